//! Highlighted excerpts, computed from the post's text the same way for
//! both engines: the window of the text with the most distinct query tokens
//! in it, HTML-escaped, with the matches in `<mark>`.

use crate::analyzer;
use std::collections::HashSet;
use tantivy::tokenizer::TextAnalyzer;

/// Text beyond this is not scanned for a better window (long posts would
/// cost more to excerpt than to find).
const SCAN_BYTES: usize = 64 * 1024;

/// The best window of about `max_chars` characters, highlighted.
pub fn snippet(
    a: &mut TextAnalyzer,
    text: &str,
    want: &HashSet<String>,
    max_chars: usize,
) -> String {
    let mut cut = text.len().min(SCAN_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let scanned = &text[..cut];
    let hits: Vec<(usize, usize, &str)> = occurrences(a, scanned, want)
        .into_iter()
        .map(|(from, to)| (from, to, ""))
        .collect();
    // Byte offset of each character, to measure windows in characters.
    let starts: Vec<usize> = scanned.char_indices().map(|(i, _)| i).collect();
    let char_at = |byte: usize| starts.partition_point(|&s| s < byte);
    let total_chars = starts.len();
    let (mut best_start, mut best) = (0usize, 0usize);
    for (i, h) in hits.iter().enumerate() {
        // Start a little before the match so it reads in context.
        let start_char = char_at(h.0).saturating_sub(max_chars / 5);
        let end_byte = starts
            .get(start_char + max_chars)
            .copied()
            .unwrap_or(scanned.len());
        let distinct: HashSet<&str> = hits[i..]
            .iter()
            .take_while(|x| x.1 <= end_byte)
            .map(|x| &scanned[x.0..x.1])
            .collect();
        if distinct.len() > best {
            best = distinct.len();
            best_start = start_char;
        }
    }
    let start_byte = starts.get(best_start).copied().unwrap_or(0);
    let end_char = (best_start + max_chars).min(total_chars);
    let end_byte = starts.get(end_char).copied().unwrap_or(scanned.len());
    let ranges: Vec<(usize, usize)> = hits
        .iter()
        .filter(|h| h.0 >= start_byte && h.1 <= end_byte)
        .map(|h| (h.0, h.1))
        .collect();
    let mut out = String::new();
    if best_start > 0 {
        out.push('…');
    }
    out.push_str(&mark(scanned, start_byte, end_byte, &ranges));
    if end_byte < text.len() {
        out.push('…');
    }
    out
}

/// The whole text highlighted (for titles).
pub fn highlight(a: &mut TextAnalyzer, text: &str, want: &HashSet<String>) -> String {
    let ranges = occurrences(a, text, want);
    mark(text, 0, text.len(), &ranges)
}

/// Byte ranges of `text` where a wanted token occurs, in order.
///
/// Segmenting every hit's whole text with jieba cost more than the search
/// itself, so the text is not analyzed as a whole:
/// - a token that is not plain ASCII (Chinese words) is found where it
///   stands in the text: the analyzer leaves such tokens as they are;
/// - ASCII runs of letters and digits are the analyzer's Latin words; a
///   run is analyzed (lower-cased, stemmed) only when its first letter is
///   that of some wanted stem, as every English stem keeps the word's
///   first letter.
fn occurrences(a: &mut TextAnalyzer, text: &str, want: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (latin, other): (Vec<&String>, Vec<&String>) = want
        .iter()
        .filter(|w| !w.is_empty())
        .partition(|w| w.bytes().all(|b| b.is_ascii_alphanumeric()));
    for w in other {
        out.extend(
            text.match_indices(w.as_str())
                .map(|(i, m)| (i, i + m.len())),
        );
    }
    if !latin.is_empty() {
        let firsts: HashSet<u8> = latin.iter().map(|w| w.as_bytes()[0]).collect();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if firsts.contains(&bytes[start].to_ascii_lowercase()) {
                let word = &text[start..i];
                if analyzer::terms(a, word).iter().any(|t| want.contains(t)) {
                    out.push((start, i));
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Escape `text[start..end]`, wrapping the (possibly overlapping) ranges.
fn mark(text: &str, start: usize, end: usize, ranges: &[(usize, usize)]) -> String {
    let mut merged: Vec<(usize, usize)> = Vec::new();
    let mut sorted = ranges.to_vec();
    sorted.sort();
    for (a, b) in sorted {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut out = String::with_capacity(end - start + merged.len() * 13);
    let mut at = start;
    for (a, b) in merged {
        escape_into(&mut out, &text[at..a]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[a..b]);
        out.push_str("</mark>");
        at = b;
    }
    escape_into(&mut out, &text[at..end]);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::{analyzer, terms};

    fn want(a: &mut TextAnalyzer, q: &str) -> HashSet<String> {
        terms(a, q).into_iter().collect()
    }

    #[test]
    fn window_with_the_matches() {
        let mut a = analyzer();
        let text = format!(
            "{} The connection pool in tokio is shared. {}",
            "filler ".repeat(50),
            "tail ".repeat(50)
        );
        let w = want(&mut a, "connection pool");
        let s = snippet(&mut a, &text, &w, 80);
        assert!(
            s.contains("<mark>connection</mark> <mark>pool</mark>"),
            "{s}"
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
    }

    #[test]
    fn chinese_and_escaping() {
        let mut a = analyzer();
        let w = want(&mut a, "连接池");
        let s = snippet(
            &mut a,
            "如何配置<script>数据库连接池</script>的大小",
            &w,
            100,
        );
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(s.contains("<mark>"), "{s}");
        assert!(!s.contains("<script>"));
        let w = want(&mut a, "pool");
        let h = highlight(&mut a, "Tom & Jerry's pool", &w);
        assert_eq!(h, "Tom &amp; Jerry&#39;s <mark>pool</mark>");
    }

    /// Every match the analyzer finds in the whole text is found (Chinese
    /// words may also be found inside a longer word: still a match to show).
    #[test]
    fn occurrences_cover_the_analyzers_matches() {
        let mut a = analyzer();
        let texts = [
            "The connection pool in tokio is shared; connections are pooled by deadpool.",
            "Running runners ran; happy happiness; dying ties; UTF8 utf-8 x86_64 C++ e.g. don't",
            "如何配置数据库连接池的大小？连接池太小会导致请求排队，数据库连接数过多也不好。",
            "rust 异步 连接池: tokio::sync::Mutex 与 std::sync::Mutex 的区别 in async code",
        ];
        let queries = [
            "connection pool",
            "pooled",
            "run happy die tie",
            "utf8 x86 c",
            "连接池 数据库",
            "异步 mutex",
            "async rust",
            "区别 sync",
            "don",
        ];
        for text in texts {
            for q in queries {
                let w = want(&mut a, q);
                let found = occurrences(&mut a, text, &w);
                for t in crate::analyzer::tokens(&mut a, text) {
                    if w.contains(&t.text) {
                        assert!(
                            found.contains(&(t.from, t.to)),
                            "{q:?} in {text:?}: {:?} at {}..{} missed, found {found:?}",
                            t.text,
                            t.from,
                            t.to
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_match_gives_the_beginning() {
        let mut a = analyzer();
        let w = want(&mut a, "absent");
        let s = snippet(&mut a, "short text", &w, 100);
        assert_eq!(s, "short text");
        assert_eq!(snippet(&mut a, "", &HashSet::new(), 10), "");
    }
}
