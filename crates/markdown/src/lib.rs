//! Markdown for posts: CommonMark with GFM tables, strikethrough, task lists
//! and fenced code, rendered on the server and then sanitized with an
//! explicit allow-list. Raw HTML in the source is passed to the sanitizer
//! rather than escaped so that harmless markup (`<kbd>`, `<sup>`) survives
//! and everything else is removed.

use pulldown_cmark::{html, Options, Parser};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let tags: HashSet<&str> = [
            "a",
            "p",
            "br",
            "hr",
            "em",
            "strong",
            "del",
            "s",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "img",
            "kbd",
            "sup",
            "sub",
            "input",
            "details",
            "summary",
        ]
        .into_iter()
        .collect();
        let mut attrs: HashMap<&str, HashSet<&str>> = HashMap::new();
        attrs.insert("a", ["href", "title"].into_iter().collect());
        attrs.insert("img", ["src", "alt", "title"].into_iter().collect());
        attrs.insert("code", ["class"].into_iter().collect());
        // Table columns keep their alignment (pulldown writes it as a style).
        attrs.insert("th", ["align", "style"].into_iter().collect());
        attrs.insert("td", ["align", "style"].into_iter().collect());
        attrs.insert("ol", ["start"].into_iter().collect());
        attrs.insert(
            "input",
            ["type", "checked", "disabled"].into_iter().collect(),
        );
        let mut b = ammonia::Builder::empty();
        b.tags(tags)
            .tag_attributes(attrs)
            // No javascript:, data:, vbscript: or other schemes.
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("nofollow noopener noreferrer"))
            .attribute_filter(|element, attribute, value| {
                // Fenced code keeps its language class (`language-xyz`),
                // whatever the language; any other class goes.
                match (element, attribute) {
                    ("code", "class") if is_language_class(value) => Some(value.into()),
                    ("code", "class") => None,
                    ("input", "type") if value == "checkbox" => Some(value.into()),
                    ("input", "type") => None,
                    ("th" | "td", "style") if is_alignment(value) => Some(value.into()),
                    ("th" | "td", "style") => None,
                    _ => Some(value.into()),
                }
            })
            .strip_comments(true);
        b
    })
}

fn is_alignment(v: &str) -> bool {
    matches!(
        v.trim().trim_end_matches(';'),
        "text-align: left" | "text-align: center" | "text-align: right"
    )
}

fn is_language_class(v: &str) -> bool {
    v.strip_prefix("language-").is_some_and(|l| {
        !l.is_empty()
            && l.len() <= 30
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+#-_".contains(c))
    })
}

/// Render Markdown to safe HTML.
pub fn render(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, options());
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    sanitize(&raw)
}

/// Sanitize HTML from any source with the posts' allow-list.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// Plain text of a Markdown body, for excerpts and feeds.
pub fn plain_text(markdown: &str, max_chars: usize) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::new();
    // Counted as we go: bodies can be megabytes (imports), and counting
    // the whole string after every event would be quadratic.
    let mut chars = 0usize;
    for ev in Parser::new_ext(markdown, options()) {
        match ev {
            Event::Text(t) | Event::Code(t) => {
                chars += t.chars().count();
                out.push_str(&t)
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => {
                chars += 1;
                out.push(' ')
            }
            _ => {}
        }
        if chars > max_chars {
            break;
        }
    }
    let trimmed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > max_chars {
        let mut s: String = trimmed.chars().take(max_chars).collect();
        s.push('…');
        s
    } else {
        trimmed
    }
}
