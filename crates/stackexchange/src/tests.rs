use crate::html::to_markdown;
use crate::{dates, parse_tags, DumpReader, DumpWriter};
use html5ever::tendril::TendrilSink;
use html5ever::{local_name, ns, parse_fragment, ParseOpts, QualName};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// A canonical form of an HTML fragment for "equivalent": elements with
/// their meaningful attributes (sorted; `rel` and `class` left out, the
/// sanitizer sets or drops them), text with whitespace collapsed and
/// trimmed, whitespace-only text dropped; code inside `<pre>` exact.
fn canonical(html: &str) -> Vec<String> {
    let dom = parse_fragment(
        RcDom::default(),
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    )
    .one(html);
    let mut out = Vec::new();
    fn walk(n: &Handle, pre: bool, out: &mut Vec<String>) {
        match &n.data {
            NodeData::Text { contents } => {
                let t = contents.borrow().to_string();
                if pre {
                    out.push(format!("pre-text:{}", t.trim_end_matches('\n')));
                } else {
                    // Adjacent text runs (split by a dropped node) join.
                    if let Some(last) = out.last_mut().filter(|l| l.starts_with("text:")) {
                        last.push_str(&t);
                    } else {
                        out.push(format!("text:{t}"));
                    }
                }
            }
            NodeData::Element { name, attrs, .. } => {
                // Same meaning, another spelling.
                let t = match &*name.local {
                    "s" | "strike" => "del".to_string(),
                    "b" => "strong".to_string(),
                    "i" => "em".to_string(),
                    t => t.to_string(),
                };
                let mut a: Vec<String> = attrs
                    .borrow()
                    .iter()
                    .filter(|a| !matches!(&*a.name.local, "rel" | "class"))
                    .filter(|a| !(a.value.is_empty() && matches!(&*a.name.local, "alt" | "title")))
                    .map(|a| {
                        format!(
                            "{}={}",
                            a.name.local,
                            a.value.trim_end_matches(';').replace(' ', "%20")
                        )
                    })
                    .collect();
                a.sort();
                // An anchor without a destination is only its text.
                if t == "a" && a.is_empty() {
                    for c in n.children.borrow().iter() {
                        walk(c, pre, out);
                    }
                    return;
                }
                out.push(format!("<{t} {}>", a.join(" ")));
                for c in n.children.borrow().iter() {
                    walk(c, pre || t == "pre", out);
                }
                out.push(format!("</{t}>"));
            }
            _ => {
                for c in n.children.borrow().iter() {
                    walk(c, pre, out);
                }
            }
        }
    }
    let root = dom.document.children.borrow()[0].clone();
    for c in root.children.borrow().iter() {
        walk(c, false, &mut out);
    }
    // Text at element edges: "a <b>x</b>" and "a<b> x</b>" read the same.
    for s in out.iter_mut() {
        if let Some(t) = s.strip_prefix("text:") {
            *s = format!(
                "text:{}",
                t.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
    out.retain(|s| s != "text:");
    // A line break at a paragraph's edge shows nothing; paragraph marks
    // themselves only group text (loose text in a tag excerpt is one).
    let mut i = 0;
    while i + 1 < out.len() {
        let edge = (i > 0 && out[i - 1] == "<p >") || out.get(i + 2).is_some_and(|n| n == "</p>");
        if out[i] == "<br >" && out[i + 1] == "</br>" && edge {
            out.drain(i..i + 2);
            i = i.saturating_sub(1);
        } else {
            i += 1;
        }
    }
    out.retain(|s| s != "<p >" && s != "</p>");
    out
}

/// Bodies as Stack Exchange renders them, each with a construct that a
/// naive converter gets wrong.
const TRICKY: &[&str] = &[
    "<p>Plain <strong>bold</strong>, <em>italic</em>, <code>inline `tick` code</code> and <a href=\"https://example.com/a_(b)\" title=\"A &quot;title&quot;\">a link</a>.</p>\n",
    "<pre class=\"lang-rust s-code-block\"><code class=\"hljs language-rust\">fn main() {\n    println!(\"&lt;hi&gt; ```\");\n}\n</code></pre>\n",
    "<pre><code>plain code\n\n  with a blank line and * stars _under_\n</code></pre>",
    "<ul>\n<li>one</li>\n<li>two with <code>code</code></li>\n<li>three\n<ul>\n<li>nested</li>\n</ul></li>\n</ul>\n",
    "<ol start=\"3\">\n<li><p>loose three</p></li>\n<li><p>loose four</p>\n<pre><code>code in a list\n</code></pre></li>\n</ol>\n",
    "<blockquote>\n  <p>Quoted <em>text</em></p>\n  <blockquote><p>nested quote</p></blockquote>\n  <ul><li>list in a quote</li></ul>\n</blockquote>\n",
    "<table>\n<thead>\n<tr>\n<th>Name</th>\n<th style=\"text-align: right;\">Count</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>a | b</td>\n<td style=\"text-align: right;\">1</td>\n</tr>\n<tr>\n<td><code>x</code></td>\n<td style=\"text-align: right;\">22</td>\n</tr>\n</tbody>\n</table>\n",
    "<p><img src=\"https://i.sstatic.net/abc.png\" alt=\"a [diagram]\" title=\"Diagram\"></p>\n<p><a href=\"https://i.sstatic.net/big.png\" rel=\"nofollow noreferrer\"><img src=\"https://i.sstatic.net/small.png\" alt=\"thumb\"></a></p>",
    "<p>Text that looks like Markdown: 1. not a list, # not a heading, *not emphasis*, [not](a link), &lt;b&gt;not bold&lt;/b&gt;, a_b_c and _x_ and 2 &lt; 3 &amp;&amp; 4 &gt; 3 &amp;amp;</p>",
    "<p>line one<br>\nline two<br/>line three</p>",
    "<h1>Heading one</h1>\n<h2>Heading <em>two</em></h2>\n<p>After</p>\n<hr>\n<h3>3</h3>",
    "<p><strong>\"Quoted bold\"</strong>after and <em>(parenthesised)</em>x</p>",
    "<p>Keys <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, x<sup>2</sup>, <del>struck</del> and <s>also</s></p>",
    "<ul><li>a</li></ul><ul><li>b (a second list)</li></ul>",
    "<p>- dash at start<br>+ plus<br>1) paren</p>\n<p>=== equals</p>",
    "<p>中文段落，<strong>加粗</strong>和<code>代码</code>。</p>",
    "<p>Link with spaces <a href=\"https://example.com/a b\">here</a> and empty <a>anchor</a>.</p>",
    "<p>Backslash \\ and pipes | and tilde ~ and stars ***</p>",
    "<ol><li>first</li><li>second<ol><li>inner one</li><li>inner two</li></ol></li></ol>",
];

#[test]
fn tricky_bodies_round_trip_to_equivalent_html() {
    for html in TRICKY {
        let md = to_markdown(html);
        let back = guildhall_markdown::render(&md);
        let want = canonical(&guildhall_markdown::sanitize(html));
        let got = canonical(&back);
        assert_eq!(
            got, want,
            "\n-- html:\n{html}\n-- markdown:\n{md}\n-- rendered:\n{back}"
        );
    }
}

#[test]
fn loose_text_becomes_a_paragraph() {
    assert_eq!(
        to_markdown("Loose text and <b>bold</b> <i>x</i>"),
        "Loose text and **bold** *x*"
    );
}

#[test]
fn conversion_is_stable() {
    // Export writes the rendered HTML; importing it again must give the
    // same Markdown, or import → export → import would drift.
    for html in TRICKY {
        let md = to_markdown(html);
        let again = to_markdown(&guildhall_markdown::render(&md));
        assert_eq!(again, md, "\n-- html:\n{html}");
    }
}

#[test]
fn hostile_html_becomes_harmless() {
    let md = to_markdown(
        "<p onclick=\"x()\">hi<script>alert(1)</script><a href=\"javascript:alert(1)\">x</a><iframe src=\"//evil\"></iframe></p><style>p{}</style>",
    );
    let html = guildhall_markdown::render(&md);
    assert!(!html.contains("script") && !html.contains("javascript") && !html.contains("iframe"));
    assert!(html.contains("hi"));
}

proptest::proptest! {
    #[test]
    fn any_input_converts(s in "(<[a-z]{1,6}( [a-z]{1,5}=\"[^\"]{0,8}\")?>|</[a-z]{1,6}>|[^<]{0,12}|&[a-z#0-9]{0,6};?){0,30}") {
        let md = to_markdown(&s);
        let _ = guildhall_markdown::render(&md);
    }
}

fn write(dir: &std::path::Path, name: &str, body: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("gh-se-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read_all(p: &std::path::Path) -> (Vec<crate::Row>, Vec<crate::ReadError>) {
    let mut r = match DumpReader::open(p) {
        Ok(r) => r,
        Err(e) => return (vec![], vec![e]),
    };
    let (mut rows, mut errs) = (vec![], vec![]);
    while let Some(x) = r.next_row() {
        match x {
            Ok(row) => rows.push(row),
            Err(e) => errs.push(e),
        }
    }
    (rows, errs)
}

#[test]
fn reader_reports_bad_files_by_row() {
    let d = tmp("reader");
    let ok = write(
        &d,
        "Posts.xml",
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<posts>\n  <row Id=\"1\" Body=\"&lt;p&gt;a&#xA;b&lt;/p&gt;\" />\n  <row Id=\"x\" />\n</posts>\n".as_bytes(),
    );
    let (rows, errs) = read_all(&ok);
    assert_eq!(rows.len(), 2);
    assert!(errs.is_empty());
    assert_eq!(rows[0].get("Body"), Some("<p>a\nb</p>"));
    assert_eq!(rows[0].int("Id"), Ok(Some(1)));
    assert!(rows[1]
        .int("Id")
        .unwrap_err()
        .contains("not a whole number"));
    assert!(rows[1]
        .required_int("PostId")
        .unwrap_err()
        .contains("missing"));

    let truncated = write(
        &d,
        "Trunc.xml",
        b"<posts>\n<row Id=\"1\" />\n<row Id=\"2\" Bo",
    );
    let (rows, errs) = read_all(&truncated);
    assert_eq!(rows.len(), 1);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].fatal);
    assert_eq!(errs[0].row, 2);

    let unclosed = write(&d, "Unclosed.xml", b"<posts>\n<row Id=\"1\" />\n");
    let (rows, errs) = read_all(&unclosed);
    assert_eq!((rows.len(), errs.len()), (1, 1));
    assert!(errs[0].reason.contains("ends early"), "{:?}", errs[0]);

    let utf16 = write(&d, "U16.xml", &[0xFF, 0xFE, b'<', 0]);
    let (_, errs) = read_all(&utf16);
    assert!(errs[0].reason.contains("UTF-16"));

    let latin = write(
        &d,
        "Latin.xml",
        b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><posts><row Id=\"1\" /></posts>",
    );
    let (_, errs) = read_all(&latin);
    assert!(errs[0].reason.contains("iso-8859-1"));

    let mut bad_utf8 = b"<posts><row Id=\"1\" Body=\"caf".to_vec();
    bad_utf8.extend([0xE9, b'"', b' ', b'/', b'>']);
    bad_utf8.extend(b"<row Id=\"2\" /></posts>");
    let bad = write(&d, "BadUtf8.xml", &bad_utf8);
    let (rows, errs) = read_all(&bad);
    assert_eq!(rows.len(), 1, "{errs:?}");
    assert_eq!(rows[0].get("Id"), Some("2"));
    assert_eq!(errs[0].row, 1);
    assert!(!errs[0].fatal);

    let empty = write(&d, "Empty.xml", b"");
    let (_, errs) = read_all(&empty);
    assert!(errs[0].reason.contains("empty"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn writer_output_reads_back() {
    let d = tmp("writer");
    let mut w = DumpWriter::create(&d, "Comments.xml", "comments").unwrap();
    let text = "line\none \"quoted\" <b>&amp;</b>\ttab\u{1}";
    w.row(&[
        ("Id", Some("7".into())),
        ("Text", Some(text.into())),
        ("UserId", None),
    ])
    .unwrap();
    assert_eq!(w.finish().unwrap(), 1);
    let (rows, errs) = read_all(&d.join("Comments.xml"));
    assert!(errs.is_empty());
    assert_eq!(
        rows[0].get("Text"),
        Some("line\none \"quoted\" <b>&amp;</b>\ttab")
    );
    assert_eq!(rows[0].get("UserId"), None);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn tags_in_both_notations() {
    assert_eq!(parse_tags("<rust><tokio>"), vec!["rust", "tokio"]);
    assert_eq!(parse_tags("|rust|c++|"), vec!["rust", "c++"]);
    assert!(parse_tags("").is_empty());
    assert_eq!(dates::parse("2024-04-01T00:00:00.000"), Some(1_711_929_600));
}

/// Every body of a real dump converts to equivalent HTML.
#[test]
fn real_dump_bodies_round_trip() {
    let posts = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/stackexchange/conlang.meta/Posts.xml");
    let (rows, errs) = read_all(&posts);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(rows.len(), 177);
    let mut failures = Vec::new();
    for row in &rows {
        let html = row.text("Body");
        let md = to_markdown(html);
        if canonical(&guildhall_markdown::render(&md))
            != canonical(&guildhall_markdown::sanitize(html))
        {
            let (a, b) = (
                canonical(&guildhall_markdown::render(&md)),
                canonical(&guildhall_markdown::sanitize(html)),
            );
            let i = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            eprintln!(
                "post {}: got {:?}\n want {:?}",
                row.text("Id"),
                &a[i.saturating_sub(2)..(i + 3).min(a.len())],
                &b[i.saturating_sub(2)..(i + 3).min(b.len())]
            );
            failures.push(row.text("Id").to_string());
        }
        assert_eq!(
            to_markdown(&guildhall_markdown::render(&md)),
            md,
            "post {}",
            row.text("Id")
        );
    }
    assert!(
        failures.is_empty(),
        "posts whose HTML changed: {failures:?}"
    );
}
