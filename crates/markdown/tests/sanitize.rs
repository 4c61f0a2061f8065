//! The XSS corpus and the Markdown features posts rely on.

use guildhall_markdown::{plain_text, render};

/// Every tag in sanitized output, as (name, [(attr, value)]).
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        let inner = &rest[start + 1..end];
        rest = &rest[(end + 1).min(rest.len())..];
        if inner.starts_with('/') {
            continue;
        }
        let mut parts = inner.splitn(2, |c: char| c.is_whitespace());
        let name = parts
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut a = parts.next().unwrap_or("");
        // ammonia serializes attributes as name="value".
        while let Some(eq) = a.find("=\"") {
            let key = a[..eq].trim().to_ascii_lowercase();
            let after = &a[eq + 2..];
            let close = after.find('"').unwrap_or(after.len());
            attrs.push((key, after[..close].to_string()));
            a = &after[(close + 1).min(after.len())..];
        }
        out.push((name, attrs));
    }
    out
}

fn decode(v: &str) -> String {
    v.replace("&amp;", "&")
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect()
}

#[test]
fn xss_corpus_leaves_nothing_executable() {
    let corpus = include_str!("xss-corpus.txt");
    // Each line alone, and the whole file as one document.
    let mut inputs: Vec<&str> = corpus.lines().filter(|l| !l.trim().is_empty()).collect();
    inputs.push(corpus);
    assert!(inputs.len() > 60);
    let allowed = [
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
    ];
    for input in inputs {
        let html = render(input);
        for (name, attrs) in tags(&html) {
            assert!(
                allowed.contains(&name.as_str()),
                "tag <{name}> survived from {input:?}: {html}"
            );
            for (k, v) in attrs {
                assert!(
                    !k.starts_with("on"),
                    "event handler {k} survived from {input:?}: {html}"
                );
                assert!(
                    ![
                        "style",
                        "srcset",
                        "action",
                        "formaction",
                        "background",
                        "dynsrc",
                        "xlink:href"
                    ]
                    .contains(&k.as_str()),
                    "{k} survived: {html}"
                );
                if k == "href" || k == "src" {
                    let d = decode(&v);
                    // A URL has a scheme if it starts with [a-z][a-z0-9+.-]*:
                    // (browsers drop whitespace first); otherwise it is relative.
                    let scheme = d.split_once(':').map(|(s, _)| s).filter(|s| {
                        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                            && s.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                    });
                    let scheme_ok = matches!(scheme, None | Some("http" | "https" | "mailto"));
                    assert!(scheme_ok, "url {v:?} survived from {input:?}: {html}");
                }
                if k == "class" {
                    assert!(
                        v.starts_with("language-") && !v.contains(' '),
                        "class {v:?} from {input:?}"
                    );
                }
            }
        }
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{html}");
    }
}

#[test]
fn links_get_rel_nofollow_noopener() {
    let html = render("[guildhall](https://example.org/x) and <https://example.com>");
    assert_eq!(
        html.matches("rel=\"nofollow noopener noreferrer\"").count(),
        2,
        "{html}"
    );
}

#[test]
fn gfm_tables_code_and_lists_render() {
    let md = "| a | b |\n|---|--:|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n\n- [x] done\n- item\n\n~~gone~~ `x < y`";
    let html = render(md);
    assert!(html.contains("<table>"), "{html}");
    assert!(
        html.contains("<td style=\"text-align: right\">2</td>"),
        "{html}"
    );
    assert!(
        html.contains("<code class=\"language-rust\">fn main() {}"),
        "{html}"
    );
    assert!(html.contains("<del>gone</del>"), "{html}");
    assert!(html.contains("<code>x &lt; y</code>"), "{html}");
    assert!(html.contains("type=\"checkbox\""), "{html}");
}

#[test]
fn broken_markdown_still_renders() {
    for md in [
        "**unclosed",
        "```\nno end",
        "[link](",
        "<div><p>",
        "| a |\n|--",
        "\u{0}\u{feff}x",
    ] {
        let html = render(md);
        assert!(!html.is_empty() || md.trim().is_empty(), "{md:?}");
    }
    assert_eq!(
        render("<div><p>open").matches("<p>").count(),
        render("<div><p>open").matches("</p>").count()
    );
}

#[test]
fn chinese_text_and_excerpts() {
    assert!(render("你好，**世界**").contains("<strong>世界</strong>"));
    assert_eq!(
        plain_text("# Title\n\nSome *text* here.", 100),
        "Title Some text here."
    );
    assert_eq!(plain_text("abcdefghij", 4), "abcd…");
}
