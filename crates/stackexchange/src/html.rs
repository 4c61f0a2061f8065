//! HTML → Markdown for post bodies, tag wikis and profiles.
//!
//! Stack Exchange stores each post's rendered HTML; guildhall keeps
//! Markdown and renders it itself, so an imported post is editable like any
//! other. The conversion walks the parsed DOM (html5ever, the parser the
//! sanitizer already uses) and emits CommonMark + GFM tables. What Markdown
//! cannot say (`<kbd>`, `<sup>`, `<sub>`, emphasis whose edges Markdown's
//! flanking rules would not close) is kept as inline HTML, which the post
//! sanitizer allows. The result is rendered and sanitized as any post:
//! nothing here needs to be safe, only faithful.

use html5ever::tendril::TendrilSink;
use html5ever::{local_name, ns, parse_fragment, ParseOpts, QualName};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// Convert an HTML fragment to Markdown.
pub fn to_markdown(html: &str) -> String {
    let dom = parse_fragment(
        RcDom::default(),
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    )
    .one(html);
    let root = dom.document.children.borrow().first().cloned();
    let Some(root) = root else {
        return String::new();
    };
    let mut out = Conv::default().blocks(&root, false);
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

#[derive(Default)]
struct Conv {
    in_table: bool,
}

fn tag(node: &Handle) -> Option<&str> {
    match &node.data {
        NodeData::Element { name, .. } => Some(&name.local),
        _ => None,
    }
}

fn attr(node: &Handle, key: &str) -> Option<String> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn is_block(t: &str) -> bool {
    matches!(
        t,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "ul"
            | "ol"
            | "hr"
            | "table"
            | "section"
            | "article"
            | "aside"
            | "header"
            | "footer"
            | "figure"
            | "details"
            | "summary"
            | "dl"
            | "dt"
            | "dd"
            | "li"
    )
}

fn is_dropped(t: &str) -> bool {
    matches!(
        t,
        "script" | "style" | "iframe" | "object" | "embed" | "noscript" | "template" | "head"
    )
}

/// The text of a node and its descendants, as is (for code).
fn text_content(node: &Handle, out: &mut String) {
    match &node.data {
        NodeData::Text { contents } => out.push_str(&contents.borrow()),
        NodeData::Element { name, .. } if &*name.local == "br" => out.push('\n'),
        _ => {
            for c in node.children.borrow().iter() {
                text_content(c, out);
            }
        }
    }
}

/// A fence of backticks longer than any run inside `s`.
fn fence_for(s: &str, min: usize) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(min.max(longest + 1))
}

fn language(node: &Handle) -> Option<String> {
    let from = |class: String| {
        class.split_whitespace().find_map(|c| {
            let l = c
                .strip_prefix("language-")
                .or_else(|| c.strip_prefix("lang-"))?;
            (!l.is_empty()
                && l.len() <= 30
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+#-_".contains(c)))
            .then(|| l.to_string())
        })
    };
    if let Some(l) = attr(node, "class").and_then(from) {
        return Some(l);
    }
    node.children
        .borrow()
        .iter()
        .filter(|c| tag(c) == Some("code"))
        .find_map(|c| attr(c, "class").and_then(from))
}

/// Escape text so Markdown reads it as text. Every character it escapes
/// is ASCII, so the text is copied in runs between them.
fn escape_text(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'\\' | b'`' | b'*' | b'[' | b']' | b'<' | b'~' | b'|' => true,
            // Inside a word `_` is literal already (snake_case stays readable).
            b'_' => !(word(s[..i].chars().next_back()) && word(s[i + 1..].chars().next())),
            b'&' => bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'#'),
            _ => false,
        };
        if escape {
            out.push_str(&s[copied..i]);
            out.push('\\');
            copied = i;
        }
    }
    out.push_str(&s[copied..]);
}

/// Whether the character starting at byte `i` of `s` is whitespace to
/// collapse (all of Unicode's but the no-break space), and its length.
/// Only a few lead bytes can start a non-ASCII space, so most text (CJK
/// included) is judged by its first byte.
fn space_at(s: &str, i: usize) -> Option<usize> {
    match s.as_bytes()[i] {
        b'\t'..=b'\r' | b' ' => Some(1),
        0xC2 | 0xE1 | 0xE2 | 0xE3 => s[i..]
            .chars()
            .next()
            .filter(|c| c.is_whitespace() && *c != '\u{a0}')
            .map(char::len_utf8),
        _ => None,
    }
}

/// Collapse HTML whitespace (runs of spaces, tabs and newlines) to one space.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Where the run of text being passed over began, and whether a space
    // is owed before the next one.
    let mut run = None;
    let mut space = false;
    let mut i = 0;
    while i < s.len() {
        if let Some(len) = space_at(s, i) {
            if let Some(r) = run.take() {
                out.push_str(&s[r..i]);
            }
            space = true;
            i += len;
            continue;
        }
        if run.is_none() {
            if space {
                out.push(' ');
                space = false;
            }
            run = Some(i);
        }
        i += 1;
    }
    if let Some(r) = run {
        out.push_str(&s[r..]);
    }
    if space {
        out.push(' ');
    }
    out
}

/// A paragraph's lines, trimmed, with a character that would start a block
/// (heading, quote, list, setext underline) escaped.
fn finish_paragraph(inline: &str) -> String {
    let mut out = String::with_capacity(inline.len());
    for (n, line) in inline.split('\n').enumerate() {
        let mut line = line.trim_matches(' ');
        // A hard break ends a line with `\`; keep it.
        if n > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            continue;
        }
        let first = line.chars().next().unwrap_or(' ');
        match first {
            '#' | '>' | '=' | '+' | '-' => {
                out.push('\\');
            }
            '0'..='9' => {
                let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
                let rest = &line[digits..];
                if digits <= 9 && (rest.starts_with('.') || rest.starts_with(')')) {
                    out.push_str(&line[..digits]);
                    out.push('\\');
                    line = rest;
                }
            }
            _ => {}
        }
        out.push_str(line);
    }
    // A paragraph must not end in a hard break (it would print a backslash).
    while out.ends_with("\\\n") || out.ends_with('\n') {
        if out.ends_with("\\\n") {
            out.truncate(out.len() - 2);
        } else {
            out.pop();
        }
    }
    out
}

fn indent(block: &str, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(block.len() + 16);
    for (i, line) in block.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i == 0 {
            out.push_str(first);
        } else if !line.is_empty() {
            out.push_str(rest);
        }
        out.push_str(line);
    }
    out
}

impl Conv {
    /// Block content of `node`'s children: paragraphs from inline runs,
    /// block elements converted, separated by blank lines (`tight`: by one
    /// newline, inside a tight list item).
    fn blocks(&mut self, node: &Handle, tight: bool) -> String {
        let mut parts: Vec<(String, Option<&'static str>)> = Vec::new();
        let mut inline = String::new();
        let flush = |inline: &mut String, parts: &mut Vec<(String, Option<&'static str>)>| {
            let p = finish_paragraph(&collapse_lines(inline));
            if !p.trim().is_empty() {
                parts.push((p, None));
            }
            inline.clear();
        };
        for child in node.children.borrow().iter() {
            match tag(child) {
                Some(t) if is_dropped(t) => {}
                Some(t) if is_block(t) => {
                    flush(&mut inline, &mut parts);
                    let kind: Option<&'static str> = match t {
                        "ul" => Some("ul"),
                        "ol" => Some("ol"),
                        _ => None,
                    };
                    let b = self.block(child, t);
                    if !b.trim().is_empty() {
                        // Two lists of one kind in a row would merge.
                        if kind.is_some() && parts.last().is_some_and(|(_, k)| *k == kind) {
                            parts.push(("<!-- -->".to_string(), None));
                        }
                        parts.push((b, kind));
                    }
                }
                _ => self.inline(child, &mut inline),
            }
        }
        flush(&mut inline, &mut parts);
        let sep = if tight { "\n" } else { "\n\n" };
        parts
            .into_iter()
            .map(|(s, _)| s)
            .collect::<Vec<_>>()
            .join(sep)
    }

    fn block(&mut self, node: &Handle, t: &str) -> String {
        match t {
            "p" | "dt" | "summary" => {
                let mut s = String::new();
                self.inline_children(node, &mut s);
                finish_paragraph(&collapse_lines(&s))
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = t[1..].parse::<usize>().unwrap_or(1);
                let mut s = String::new();
                self.inline_children(node, &mut s);
                let text = collapse(&s.replace("\\\n", " ").replace('\n', " "));
                let text = text.trim();
                if text.is_empty() {
                    String::new()
                } else {
                    format!("{} {}", "#".repeat(level), text)
                }
            }
            "pre" => {
                let mut code = String::new();
                text_content(node, &mut code);
                if code.ends_with('\n') {
                    code.pop();
                }
                let lang = language(node).unwrap_or_default();
                let fence = fence_for(&code, 3);
                format!("{fence}{lang}\n{code}\n{fence}")
            }
            "blockquote" => {
                let inner = self.blocks(node, false);
                inner
                    .split('\n')
                    .map(|l| {
                        if l.is_empty() {
                            ">".to_string()
                        } else {
                            format!("> {l}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            "ul" | "ol" => self.list(node, t == "ol"),
            "hr" => "---".to_string(),
            "table" => self.table(node),
            "li" => self.blocks(node, false),
            _ => self.blocks(node, false),
        }
    }

    fn list(&mut self, node: &Handle, ordered: bool) -> String {
        let items: Vec<Handle> = node
            .children
            .borrow()
            .iter()
            .filter(|c| tag(c).is_some())
            .cloned()
            .collect();
        // Loose when an item holds paragraphs (as Stack Exchange renders
        // lists with blank lines between items).
        let loose = items.iter().any(|li| {
            li.children
                .borrow()
                .iter()
                .any(|c| matches!(tag(c), Some("p")))
        });
        let start: i64 = if ordered {
            attr(node, "start")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(1)
                .clamp(0, 999_999_999)
        } else {
            1
        };
        let mut out = Vec::new();
        for (i, li) in items.iter().enumerate() {
            let body = self.blocks(li, !loose);
            let marker = if ordered {
                format!("{}. ", start + i as i64)
            } else {
                "- ".to_string()
            };
            let pad = " ".repeat(marker.len());
            if body.is_empty() {
                out.push(marker.trim_end().to_string());
            } else {
                out.push(indent(&body, &marker, &pad));
            }
        }
        out.join(if loose { "\n\n" } else { "\n" })
    }

    fn table(&mut self, node: &Handle) -> String {
        let mut rows: Vec<Vec<(String, Option<String>)>> = Vec::new();
        fn collect_rows(n: &Handle, rows: &mut Vec<Handle>) {
            for c in n.children.borrow().iter() {
                match tag(c) {
                    Some("tr") => rows.push(c.clone()),
                    Some("thead") | Some("tbody") | Some("tfoot") => collect_rows(c, rows),
                    _ => {}
                }
            }
        }
        let mut trs = Vec::new();
        collect_rows(node, &mut trs);
        let was = self.in_table;
        self.in_table = true;
        for tr in &trs {
            let mut cells = Vec::new();
            for td in tr.children.borrow().iter() {
                if matches!(tag(td), Some("td") | Some("th")) {
                    let mut s = String::new();
                    self.inline_children(td, &mut s);
                    let text = collapse(&s.replace('\n', " ")).trim().to_string();
                    let align = attr(td, "align").or_else(|| {
                        attr(td, "style").and_then(|st| {
                            let st = st.to_ascii_lowercase().replace(' ', "");
                            ["left", "center", "right"]
                                .into_iter()
                                .find(|a| st.contains(&format!("text-align:{a}")))
                                .map(str::to_string)
                        })
                    });
                    cells.push((text, align));
                }
            }
            rows.push(cells);
        }
        self.in_table = was;
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return String::new();
        }
        let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
        let mut out = Vec::new();
        let cell = |row: &Vec<(String, Option<String>)>, i: usize| {
            row.get(i).map(|c| c.0.clone()).unwrap_or_default()
        };
        out.push(line((0..cols).map(|i| cell(&rows[0], i)).collect()));
        out.push(line(
            (0..cols)
                .map(|i| {
                    match rows[0].get(i).and_then(|c| c.1.as_deref()) {
                        Some("left") => ":---",
                        Some("center") => ":---:",
                        Some("right") => "---:",
                        _ => "---",
                    }
                    .to_string()
                })
                .collect(),
        ));
        for row in &rows[1..] {
            out.push(line((0..cols).map(|i| cell(row, i)).collect()));
        }
        out.join("\n")
    }

    fn inline_children(&mut self, node: &Handle, out: &mut String) {
        for c in node.children.borrow().iter() {
            self.inline(c, out);
        }
    }

    /// Inline content. Block elements met here (a `<p>` inside a link)
    /// contribute their inline content.
    fn inline(&mut self, node: &Handle, out: &mut String) {
        match &node.data {
            NodeData::Text { contents } => {
                escape_text(&collapse(&contents.borrow()), out);
            }
            NodeData::Element { name, .. } => {
                let t: &str = &name.local;
                match t {
                    _ if is_dropped(t) => {}
                    "br" => {
                        if self.in_table {
                            out.push_str("<br>");
                        } else {
                            out.push_str("\\\n");
                        }
                    }
                    "strong" | "b" => self.wrap(node, out, "**", "strong"),
                    "em" | "i" => self.wrap(node, out, "*", "em"),
                    "del" | "s" | "strike" => self.wrap(node, out, "~~", "del"),
                    "kbd" | "sup" | "sub" => {
                        let mut inner = String::new();
                        self.inline_children(node, &mut inner);
                        out.push_str(&format!("<{t}>{inner}</{t}>"));
                    }
                    "code" | "tt" => {
                        let mut code = String::new();
                        text_content(node, &mut code);
                        let code = code.replace('\n', " ");
                        if code.is_empty() {
                            return;
                        }
                        let fence = fence_for(&code, 1);
                        let pad = code.starts_with('`')
                            || code.ends_with('`')
                            || (code.starts_with(' ')
                                && code.ends_with(' ')
                                && !code.trim().is_empty());
                        let sp = if pad { " " } else { "" };
                        out.push_str(&format!("{fence}{sp}{code}{sp}{fence}"));
                    }
                    "a" => {
                        let mut inner = String::new();
                        self.inline_children(node, &mut inner);
                        match attr(node, "href").filter(|h| !h.trim().is_empty()) {
                            Some(href) => {
                                let title = attr(node, "title");
                                out.push('[');
                                out.push_str(inner.trim());
                                out.push_str("](");
                                out.push_str(&destination(&href));
                                push_title(out, title);
                                out.push(')');
                            }
                            None => out.push_str(&inner),
                        }
                    }
                    "img" => {
                        let Some(src) = attr(node, "src").filter(|s| !s.trim().is_empty()) else {
                            return;
                        };
                        let mut alt = String::new();
                        escape_text(&collapse(&attr(node, "alt").unwrap_or_default()), &mut alt);
                        out.push_str("![");
                        out.push_str(alt.trim());
                        out.push_str("](");
                        out.push_str(&destination(&src));
                        push_title(out, attr(node, "title"));
                        out.push(')');
                    }
                    "pre" => {
                        // Preformatted text inside inline content: keep it as code.
                        let mut code = String::new();
                        text_content(node, &mut code);
                        let code = code.trim_end_matches('\n').replace('\n', " ");
                        if !code.is_empty() {
                            let fence = fence_for(&code, 1);
                            out.push_str(&format!("{fence} {code} {fence}"));
                        }
                    }
                    _ if is_block(t) => {
                        out.push(' ');
                        self.inline_children(node, out);
                        out.push(' ');
                    }
                    _ => self.inline_children(node, out),
                }
            }
            _ => {}
        }
    }

    /// Emphasis: Markdown delimiters when its flanking rules will close
    /// them, else the HTML element. Edge whitespace moves outside.
    fn wrap(&mut self, node: &Handle, out: &mut String, delim: &str, html: &str) {
        let mut inner = String::new();
        self.inline_children(node, &mut inner);
        let trimmed = inner.trim_matches(' ');
        if trimmed.is_empty() || trimmed.replace("\\\n", "").trim().is_empty() {
            out.push_str(&inner);
            return;
        }
        let lead = &inner[..inner.len() - inner.trim_start_matches(' ').len()];
        let trail = &inner[inner.trim_end_matches(' ').len()..];
        out.push_str(lead);
        let first = trimmed.chars().next().unwrap_or(' ');
        let last = trimmed.chars().last().unwrap_or(' ');
        let edgy = |c: char| c.is_ascii_punctuation() || !c.is_alphanumeric();
        if edgy(first) || edgy(last) || trimmed.contains('\n') {
            out.push_str(&format!("<{html}>{trimmed}</{html}>"));
        } else {
            out.push_str(delim);
            out.push_str(trimmed);
            out.push_str(delim);
        }
        out.push_str(trail);
    }
}

/// Runs of spaces inside a paragraph collapse (whitespace from several text
/// nodes meets at element edges).
fn collapse_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.as_bytes().windows(2).position(|w| w == b"  ") {
        out.push_str(&rest[..=i]);
        rest = rest[i + 1..].trim_start_matches(' ');
    }
    out.push_str(rest);
    out
}

/// A link destination: bare when Markdown can read it so, else in `<…>`.
fn destination(url: &str) -> String {
    // Spaces as the renderer writes them, so a second conversion matches.
    let url = url.trim().replace(' ', "%20");
    let url = url.as_str();
    let mut depth = 0i32;
    let mut balanced = true;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    balanced = false;
                }
            }
            _ => {}
        }
    }
    let plain = balanced
        && depth == 0
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '\\');
    if plain && !url.is_empty() {
        url.to_string()
    } else {
        let mut s = String::from("<");
        for c in url.chars() {
            match c {
                '<' => s.push_str("%3C"),
                '>' => s.push_str("%3E"),
                '\n' | '\r' => {}
                '\\' => s.push_str("%5C"),
                c => s.push(c),
            }
        }
        s.push('>');
        s
    }
}

fn push_title(out: &mut String, title: Option<String>) {
    if let Some(t) = title.filter(|t| !t.is_empty()) {
        out.push_str(" \"");
        for c in t.chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' | '\r' => out.push(' '),
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

#[cfg(test)]
mod text_tests {
    //! The text helpers copy runs of text; each must say what a plain
    //! character-by-character reading of its rule says.
    use super::*;

    fn escape_by_char(s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
        let mut out = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let next = chars.get(i + 1);
            let escape = match c {
                '\\' | '`' | '*' | '[' | ']' | '<' | '~' | '|' => true,
                '_' => !(word(i.checked_sub(1).and_then(|j| chars.get(j))) && word(next)),
                '&' => next.is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#'),
                _ => false,
            };
            if escape {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }

    fn collapse_by_char(s: &str, space: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        let mut pending = false;
        for c in s.chars() {
            if space(c) {
                pending = true;
            } else {
                if pending {
                    out.push(' ');
                    pending = false;
                }
                out.push(c);
            }
        }
        if pending {
            out.push(' ');
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn helpers_follow_their_rules(s in "[a_é\\\\`*&#<|~ \t\n\u{b}\u{85}\u{a0}\u{2003}\u{3000}中1]{0,24}") {
            let mut escaped = String::new();
            escape_text(&s, &mut escaped);
            proptest::prop_assert_eq!(escaped, escape_by_char(&s));
            proptest::prop_assert_eq!(
                collapse(&s),
                collapse_by_char(&s, |c| c.is_whitespace() && c != '\u{a0}')
            );
            // Runs of spaces only, each kept as one; a space at the start
            // stays where it is.
            let lines = collapse_lines(&s);
            proptest::prop_assert!(!lines.contains("  "));
            proptest::prop_assert_eq!(lines.replace(' ', ""), s.replace(' ', ""));
        }
    }
}
