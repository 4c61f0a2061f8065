//! The query language people type into the search box, parsed into plain
//! data. Parsing never fails: an unknown `name:value` is a word, a known
//! operator with a value it cannot read is dropped with a notice that says
//! why, and an unbalanced quote runs to the end of the query.

use serde::Serialize;

/// A word or an "exact phrase" as typed (analysis happens in the engine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Term {
    Word(String),
    Phrase(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Question,
    Answer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UserRef {
    Me,
    Name(String),
}

/// An inclusive range; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Range {
    pub fn contains(&self, v: i64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// Why part of a query was not used; shown above the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// `op:value` where the value is not what `op` takes.
    BadValue {
        op: String,
        value: String,
    },
    TooManyTags {
        max: u32,
    },
    TooManyTerms {
        max: u32,
    },
    UnbalancedQuote,
    /// A `[tag]` that no tag or synonym has (filled in by the service).
    UnknownTag {
        tag: String,
    },
    /// `user:NAME` with no such member (filled in by the service).
    UnknownUser {
        name: String,
    },
    /// `user:me` while logged out.
    MeNeedsLogin,
    /// No post had every word; the results have some of them.
    AnyWords,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Query {
    pub terms: Vec<Term>,
    pub exclude: Vec<Term>,
    pub tags: Vec<String>,
    pub user: Option<UserRef>,
    pub score: Option<Range>,
    pub answers: Option<Range>,
    pub kind: Option<Kind>,
    pub has_accepted: Option<bool>,
    pub closed: Option<bool>,
    /// Unix seconds, inclusive.
    pub created: Option<Range>,
    pub notices: Vec<Notice>,
}

impl Query {
    /// Nothing to search for and nothing to filter by.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.exclude.is_empty()
            && self.tags.is_empty()
            && self.user.is_none()
            && self.score.is_none()
            && self.answers.is_none()
            && self.kind.is_none()
            && self.has_accepted.is_none()
            && self.closed.is_none()
            && self.created.is_none()
    }

    /// `answers:`, `hasaccepted:` and `closed:` describe questions, so they
    /// restrict the results to questions (as on Stack Overflow).
    pub fn effective_kind(&self) -> Option<Kind> {
        if self.answers.is_some() || self.has_accepted.is_some() || self.closed.is_some() {
            Some(Kind::Question)
        } else {
            self.kind
        }
    }
}

/// Limits on what one query may contain (from `SearchRules`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_terms: u32,
    pub max_tags: u32,
}

/// A query longer than this is cut (a search box is not a document).
pub const MAX_QUERY_CHARS: usize = 1_000;

pub fn parse(input: &str, limits: Limits) -> Query {
    let mut q = Query::default();
    // Control characters (NUL among them, which PostgreSQL refuses in
    // text) separate words like spaces.
    let input: String = input
        .chars()
        .take(MAX_QUERY_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut term_count = 0u32;
    let mut tags_dropped = false;
    let mut terms_dropped = false;
    for (negated, piece) in split(&input, &mut q.notices) {
        let term = match piece {
            Piece::Phrase(p) => {
                if p.trim().is_empty() {
                    continue;
                }
                Term::Phrase(p)
            }
            Piece::Tag(t) => {
                if negated {
                    // "-[tag]": exclude posts carrying the tag's name as text.
                    Term::Word(t)
                } else {
                    if q.tags.len() as u32 >= limits.max_tags {
                        tags_dropped = true;
                    } else if !q.tags.contains(&t) {
                        q.tags.push(t);
                    }
                    continue;
                }
            }
            Piece::Word(w) => {
                if !negated {
                    if let Some((op, value)) = w.split_once(':') {
                        match operator(&mut q, &op.to_lowercase(), value) {
                            Op::Used => continue,
                            Op::Bad => {
                                q.notices.push(Notice::BadValue {
                                    op: op.to_lowercase(),
                                    value: value.chars().take(40).collect(),
                                });
                                continue;
                            }
                            Op::Unknown => {}
                        }
                    }
                }
                Term::Word(w)
            }
        };
        if term_count >= limits.max_terms {
            terms_dropped = true;
            continue;
        }
        term_count += 1;
        if negated {
            q.exclude.push(term);
        } else {
            q.terms.push(term);
        }
    }
    if tags_dropped {
        q.notices.push(Notice::TooManyTags {
            max: limits.max_tags,
        });
    }
    if terms_dropped {
        q.notices.push(Notice::TooManyTerms {
            max: limits.max_terms,
        });
    }
    q
}

enum Piece {
    Word(String),
    Phrase(String),
    Tag(String),
}

/// Split into words, "phrases" and [tags], each possibly preceded by `-`.
fn split(input: &str, notices: &mut Vec<Notice>) -> Vec<(bool, Piece)> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        // "-word", "-\"phrase\"", "-[tag]" exclude; "--soft" is a word.
        if chars[i] == '-'
            && i + 1 < chars.len()
            && (chars[i + 1].is_alphanumeric() || matches!(chars[i + 1], '"' | '['))
        {
            negated = true;
            i += 1;
        }
        match chars[i] {
            '"' | '“' | '”' | '「' => {
                let close = |c: char| matches!(c, '"' | '“' | '”' | '」');
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && !close(chars[end]) {
                    end += 1;
                }
                if end >= chars.len() {
                    notices.push(Notice::UnbalancedQuote);
                }
                out.push((
                    negated,
                    Piece::Phrase(chars[start..end.min(chars.len())].iter().collect()),
                ));
                i = end + 1;
            }
            '[' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != ']' && !chars[end].is_whitespace() {
                    end += 1;
                }
                let inner: String = chars[start..end].iter().collect();
                if end < chars.len() && chars[end] == ']' && !inner.is_empty() {
                    out.push((negated, Piece::Tag(inner.to_lowercase())));
                    i = end + 1;
                } else {
                    // "[" without its "]": read the rest of the word as a word.
                    let mut e = i;
                    while e < chars.len() && !chars[e].is_whitespace() {
                        e += 1;
                    }
                    out.push((negated, Piece::Word(chars[i..e].iter().collect())));
                    i = e;
                }
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
                    i += 1;
                }
                if i > start {
                    out.push((negated, Piece::Word(chars[start..i].iter().collect())));
                } else {
                    i += 1;
                }
            }
        }
    }
    out
}

enum Op {
    Used,
    Bad,
    Unknown,
}

fn operator(q: &mut Query, op: &str, value: &str) -> Op {
    let ok = |b: bool| if b { Op::Used } else { Op::Bad };
    match op {
        "user" => {
            let v = value.trim();
            if v.is_empty() {
                return Op::Bad;
            }
            q.user = Some(if v.eq_ignore_ascii_case("me") {
                UserRef::Me
            } else {
                UserRef::Name(v.to_string())
            });
            Op::Used
        }
        "score" => {
            let r = number_range(value);
            q.score = r.or(q.score);
            ok(r.is_some())
        }
        "answers" => {
            let r = number_range(value).filter(|r| r.max.is_none_or(|m| m >= 0));
            q.answers = r.or(q.answers);
            ok(r.is_some())
        }
        "is" => match value.to_lowercase().as_str() {
            "question" | "q" | "questions" => {
                q.kind = Some(Kind::Question);
                Op::Used
            }
            "answer" | "a" | "answers" => {
                q.kind = Some(Kind::Answer);
                Op::Used
            }
            _ => Op::Bad,
        },
        "hasaccepted" => {
            let b = yes_no(value);
            q.has_accepted = b.or(q.has_accepted);
            ok(b.is_some())
        }
        "closed" => {
            let b = yes_no(value);
            q.closed = b.or(q.closed);
            ok(b.is_some())
        }
        "created" => {
            let r = date_range(value);
            q.created = r.or(q.created);
            ok(r.is_some())
        }
        _ => Op::Unknown,
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "yes" | "true" | "1" | "y" => Some(true),
        "no" | "false" | "0" | "n" => Some(false),
        _ => None,
    }
}

fn int(v: &str) -> Option<i64> {
    if v.is_empty() || v.len() > 12 {
        return None;
    }
    v.parse().ok()
}

/// `N` (exactly), `>=N`, `>N`, `<=N`, `<N`, `N..M`, `N..`, `..M`.
fn number_range(v: &str) -> Option<Range> {
    let v = v.trim();
    let r = if let Some(n) = v.strip_prefix(">=") {
        Range {
            min: Some(int(n)?),
            max: None,
        }
    } else if let Some(n) = v.strip_prefix("<=") {
        Range {
            min: None,
            max: Some(int(n)?),
        }
    } else if let Some(n) = v.strip_prefix('>') {
        Range {
            min: Some(int(n)?.checked_add(1)?),
            max: None,
        }
    } else if let Some(n) = v.strip_prefix('<') {
        Range {
            min: None,
            max: Some(int(n)?.checked_sub(1)?),
        }
    } else if let Some((a, b)) = v.split_once("..") {
        let r = Range {
            min: if a.is_empty() { None } else { Some(int(a)?) },
            max: if b.is_empty() { None } else { Some(int(b)?) },
        };
        if r.min.is_none() && r.max.is_none() {
            return None;
        }
        r
    } else {
        let n = int(v)?;
        Range {
            min: Some(n),
            max: Some(n),
        }
    };
    if let (Some(a), Some(b)) = (r.min, r.max) {
        if a > b {
            return None;
        }
    }
    Some(r)
}

/// `2026-01-01..2026-06-30`, one day, a month (`2026-03`), a year
/// (`2026`), or an open end (`2026-01-01..`, `..2026-06-30`). UTC days.
fn date_range(v: &str) -> Option<Range> {
    let (a, b) = match v.split_once("..") {
        Some((a, b)) => (a, b),
        None => (v, v),
    };
    let min = if a.is_empty() { None } else { Some(date(a)?.0) };
    let max = if b.is_empty() { None } else { Some(date(b)?.1) };
    if min.is_none() && max.is_none() {
        return None;
    }
    if let (Some(x), Some(y)) = (min, max) {
        if x > y {
            return None;
        }
    }
    Some(Range { min, max })
}

/// The first and last second of a day, month or year.
fn date(s: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Option<i64> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let year = num(parts.first()?, 4)?;
    if !(1970..=9999).contains(&year) {
        return None;
    }
    match parts.len() {
        1 => Some((
            days_from_civil(year, 1, 1) * 86_400,
            days_from_civil(year + 1, 1, 1) * 86_400 - 1,
        )),
        2 => {
            let m = num(parts[1], 2)?;
            if !(1..=12).contains(&m) {
                return None;
            }
            let start = days_from_civil(year, m, 1);
            let end = if m == 12 {
                days_from_civil(year + 1, 1, 1)
            } else {
                days_from_civil(year, m + 1, 1)
            };
            Some((start * 86_400, end * 86_400 - 1))
        }
        3 => {
            let m = num(parts[1], 2)?;
            let d = num(parts[2], 2)?;
            if !(1..=12).contains(&m) || d < 1 || d > days_in_month(year, m) {
                return None;
            }
            let day = days_from_civil(year, m, d);
            Some((day * 86_400, day * 86_400 + 86_399))
        }
        _ => None,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_terms: 32,
        max_tags: 5,
    };

    fn words(v: &[&str]) -> Vec<Term> {
        v.iter().map(|w| Term::Word(w.to_string())).collect()
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let q = parse(r#"rust 异步 "connection pool" -tokio -"thread pool""#, L);
        assert_eq!(
            q.terms,
            vec![
                Term::Word("rust".into()),
                Term::Word("异步".into()),
                Term::Phrase("connection pool".into())
            ]
        );
        assert_eq!(
            q.exclude,
            vec![
                Term::Word("tokio".into()),
                Term::Phrase("thread pool".into())
            ]
        );
        assert!(q.notices.is_empty());
    }

    #[test]
    fn operators() {
        let q = parse(
            "[Rust] [sql] user:me score:>=3 answers:0 is:question hasaccepted:no closed:yes created:2026-01-01..2026-06-30",
            L,
        );
        assert_eq!(q.tags, vec!["rust", "sql"]);
        assert_eq!(q.user, Some(UserRef::Me));
        assert_eq!(
            q.score,
            Some(Range {
                min: Some(3),
                max: None
            })
        );
        assert_eq!(
            q.answers,
            Some(Range {
                min: Some(0),
                max: Some(0)
            })
        );
        assert_eq!(q.kind, Some(Kind::Question));
        assert_eq!(q.has_accepted, Some(false));
        assert_eq!(q.closed, Some(true));
        // 2026-01-01 is day 20454; 2026-06-30 is day 20634.
        assert_eq!(
            q.created,
            Some(Range {
                min: Some(20_454 * 86_400),
                max: Some(20_634 * 86_400 + 86_399)
            })
        );
        assert!(q.terms.is_empty());
        assert!(q.notices.is_empty());
    }

    #[test]
    fn unknown_operators_are_words_and_bad_values_are_notices() {
        let q = parse("lang:rust score:abc created:2026-02-30 is:maybe user:", L);
        assert_eq!(q.terms, words(&["lang:rust"]));
        assert_eq!(q.notices.len(), 4);
        assert!(q.score.is_none() && q.created.is_none() && q.kind.is_none());
        assert!(matches!(&q.notices[0], Notice::BadValue { op, .. } if op == "score"));
    }

    #[test]
    fn number_and_date_forms() {
        assert_eq!(
            number_range(">2"),
            Some(Range {
                min: Some(3),
                max: None
            })
        );
        assert_eq!(
            number_range("<0"),
            Some(Range {
                min: None,
                max: Some(-1)
            })
        );
        assert_eq!(
            number_range("1..5"),
            Some(Range {
                min: Some(1),
                max: Some(5)
            })
        );
        assert_eq!(number_range("5..1"), None);
        assert_eq!(number_range(".."), None);
        assert_eq!(number_range("99999999999999999999"), None);
        assert_eq!(date("2024-02-29").map(|d| d.1 - d.0), Some(86_399));
        assert_eq!(date("2023-02-29"), None);
        assert_eq!(date("2026-13"), None);
        // 2026 has 365 days.
        assert_eq!(date("2026").map(|d| d.1 - d.0 + 1), Some(365 * 86_400));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert!(date_range("..2026-06-30").unwrap().min.is_none());
        assert_eq!(date_range("2026-07-01..2026-06-30"), None);
    }

    #[test]
    fn unbalanced_and_odd_input() {
        let q = parse(r#"tokio "connection pool"#, L);
        assert_eq!(q.terms[1], Term::Phrase("connection pool".into()));
        assert_eq!(q.notices, vec![Notice::UnbalancedQuote]);
        let q = parse("[ ] [rust - -- \"\" []", L);
        assert!(q.tags.is_empty());
        assert!(q.notices.is_empty());
        assert!(q.terms.contains(&Term::Word("[rust".into())));
        assert!(q.exclude.is_empty(), "{:?}", q.exclude);
        let q = parse("git reset --soft", L);
        assert_eq!(q.terms, words(&["git", "reset", "--soft"]));
        assert!(parse("   ", L).is_empty());
    }

    #[test]
    fn limits() {
        let q = parse("[a] [b] [c] [d] [e] [f] [g]", L);
        assert_eq!(q.tags.len(), 5);
        assert_eq!(q.notices, vec![Notice::TooManyTags { max: 5 }]);
        let long = "word ".repeat(10_000);
        let q = parse(&long, L);
        assert_eq!(q.terms.len(), 32);
        assert_eq!(q.notices, vec![Notice::TooManyTerms { max: 32 }]);
    }

    #[test]
    fn question_only_operators_imply_questions() {
        assert_eq!(parse("closed:no", L).effective_kind(), Some(Kind::Question));
        assert_eq!(parse("is:answer", L).effective_kind(), Some(Kind::Answer));
        assert_eq!(parse("rust", L).effective_kind(), None);
    }
}
