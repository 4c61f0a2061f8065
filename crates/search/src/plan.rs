//! A parsed query with everything looked up (the member behind `user:`,
//! the tag behind a synonym) and every word analyzed: what both engines
//! execute, so they answer the same question.

use crate::analyzer::{self, terms};
use crate::query::{Kind, Query, Range, Term};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use tantivy::tokenizer::TextAnalyzer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Votes,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "newest" => Some(Sort::Newest),
            "votes" => Some(Sort::Votes),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Votes => "votes",
        }
    }
}

/// One word or phrase, analyzed.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Tokens in order; a phrase needs them adjacent, a word needs all.
    pub tokens: Vec<String>,
    pub phrase: bool,
    /// The word names a tag (or a synonym of one): posts with that tag match too.
    pub tag: Option<String>,
    /// A very common word ("how", "的"): it ranks but is not required.
    pub optional: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub groups: Vec<Group>,
    pub exclude: Vec<Group>,
    /// Required tags (canonical names).
    pub tags: Vec<String>,
    pub author: Option<i64>,
    pub kind: Option<Kind>,
    pub score: Option<Range>,
    pub answers: Option<Range>,
    pub accepted: Option<bool>,
    pub closed: Option<bool>,
    pub created: Option<Range>,
    /// Match any group instead of all (similar questions; the fallback
    /// when no post has every word).
    pub any: bool,
    /// Something in the query cannot match (an unknown tag or member).
    pub impossible: bool,
    /// An exclusion removes every post a required group matches (`a -a`);
    /// with `any`, posts matching another group still can.
    pub excluded_all: bool,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// "Now" for the recency part of the ranking.
    pub now: i64,
}

/// What the service looked up for a query.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Tag or synonym name → canonical tag name (names that are neither
    /// are absent).
    pub tags: HashMap<String, String>,
    /// `user:` resolved; `None` when the query has no `user:`.
    pub author: Option<Option<i64>>,
}

const STOP_WORDS: &str =
    "a an and are as at be by can do does for from how i in is it my of on or \
    the this that to was what when where which why with you 的 了 吗 呢 吧 啊 是 在 和 与 及 我 你 \
    他 她 它 这 那 有 就 都 也 一个 怎么 怎样 如何 什么 为什么 哪些 请问";

/// Analyzed stop words (stemmed the same way as queries).
fn stop_words() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut a = analyzer::analyzer();
        STOP_WORDS
            .split_whitespace()
            .flat_map(|w| terms(&mut a, w))
            .collect()
    })
}

/// Words whose tags the service should look up: `[tag]`s and single words.
pub fn tag_candidates(q: &Query) -> Vec<String> {
    let mut out: Vec<String> = q.tags.clone();
    for t in &q.terms {
        if let Term::Word(w) = t {
            let w = w.to_lowercase();
            if !w.is_empty() && w.len() <= 64 && !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// The analyzers a query's words and phrases go through (see
/// [`analyzer::query_analyzer`]).
struct Analyzers {
    words: TextAnalyzer,
    phrases: TextAnalyzer,
}

impl Analyzers {
    fn new() -> Analyzers {
        Analyzers {
            words: analyzer::query_analyzer(),
            phrases: analyzer::analyzer(),
        }
    }
}

fn group(a: &mut Analyzers, term: &Term, resolved: &Resolved) -> Option<Group> {
    let (text, phrase) = match term {
        Term::Word(w) => (w.as_str(), false),
        Term::Phrase(p) => (p.as_str(), true),
    };
    let tokens = if phrase {
        analyzer::phrase_terms(&mut a.phrases, text)
    } else {
        terms(&mut a.words, text)
    };
    let tag = (!phrase)
        .then(|| resolved.tags.get(&text.to_lowercase()).cloned())
        .flatten();
    if tokens.is_empty() && tag.is_none() {
        return None;
    }
    let stop = stop_words();
    let optional = !phrase && tag.is_none() && tokens.iter().all(|t| stop.contains(t));
    Some(Group {
        phrase: phrase && tokens.len() > 1,
        tokens,
        tag,
        optional,
    })
}

pub struct PlanInput<'a> {
    pub query: &'a Query,
    pub resolved: &'a Resolved,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    pub now: i64,
}

pub fn plan(input: PlanInput<'_>) -> Plan {
    let PlanInput {
        query: q,
        resolved,
        sort,
        offset,
        limit,
        now,
    } = input;
    let mut a = Analyzers::new();
    let mut groups: Vec<Group> = q
        .terms
        .iter()
        .filter_map(|t| group(&mut a, t, resolved))
        .collect();
    // Common words are optional only when something else is required.
    if groups.iter().all(|g| g.optional) {
        for g in &mut groups {
            g.optional = false;
        }
    }
    let exclude: Vec<Group> = q
        .exclude
        .iter()
        .filter_map(|t| group(&mut a, t, resolved))
        .map(|mut g| {
            g.optional = false;
            g.tag = None;
            g
        })
        .collect();
    // "word -word" excludes every post it requires: known now, rather than
    // found by reading every match of the word.
    let excluded_all = exclude.iter().any(|x| {
        groups
            .iter()
            .any(|g| !g.optional && g.tag.is_none() && excludes_all(x, g))
    });
    let mut impossible = false;
    let mut tags = Vec::new();
    for t in &q.tags {
        match resolved.tags.get(t) {
            Some(c) if !tags.contains(c) => tags.push(c.clone()),
            Some(_) => {}
            None => impossible = true,
        }
    }
    let author = match resolved.author {
        Some(Some(id)) => Some(id),
        Some(None) => {
            impossible = true;
            None
        }
        None => None,
    };
    Plan {
        groups,
        exclude,
        tags,
        author,
        kind: q.effective_kind(),
        score: q.score,
        answers: q.answers,
        accepted: q.has_accepted,
        closed: q.closed,
        created: q.created,
        any: false,
        impossible,
        excluded_all,
        sort,
        offset,
        limit,
        now,
    }
}

impl Group {
    /// The pairs of consecutive words of a phrase (see [`analyzer::pair`]).
    pub fn pairs(&self) -> Vec<String> {
        self.tokens
            .windows(2)
            .map(|w| analyzer::pair(&w[0], &w[1]))
            .collect()
    }
}

/// Whether every post matching the required group `g` is excluded by `x`:
/// `x`'s words are all among `g`'s (a post with `g`'s words has them), or
/// both are the same phrase.
fn excludes_all(x: &Group, g: &Group) -> bool {
    !x.tokens.is_empty()
        && if x.phrase {
            g.phrase && x.tokens == g.tokens
        } else {
            x.tokens.iter().all(|t| g.tokens.contains(t))
        }
}

/// Similar questions to a title being typed: any of its words, questions only.
pub fn similar(title: &str, resolved: &Resolved, limit: usize, now: i64) -> Plan {
    let query = Query {
        terms: title
            .split_whitespace()
            .take(32)
            .map(|w| Term::Word(w.to_string()))
            .collect(),
        ..Query::default()
    };
    let mut p = plan(PlanInput {
        query: &query,
        resolved,
        sort: Sort::Relevance,
        offset: 0,
        limit,
        now,
    });
    p.any = true;
    p.kind = Some(Kind::Question);
    // Common words alone would match half the site.
    let stop = stop_words();
    p.groups
        .retain(|g| g.tag.is_some() || !g.tokens.iter().all(|t| stop.contains(t)));
    p
}

impl Plan {
    /// Tokens to highlight.
    pub fn highlight_terms(&self) -> HashSet<String> {
        self.groups
            .iter()
            .flat_map(|g| g.tokens.iter().cloned())
            .collect()
    }

    /// Whether nothing can match, known without asking an engine.
    pub fn matches_nothing(&self) -> bool {
        self.impossible || (self.excluded_all && !self.any)
    }

    pub fn has_text(&self) -> bool {
        !self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{parse, Limits};

    fn build(q: &str, resolved: &Resolved) -> Plan {
        let query = parse(
            q,
            Limits {
                max_terms: 32,
                max_tags: 5,
            },
        );
        plan(PlanInput {
            query: &query,
            resolved,
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            now: 0,
        })
    }

    #[test]
    fn stop_words_are_optional_only_beside_real_words() {
        let p = build("how to use tokio", &Resolved::default());
        let optional: Vec<bool> = p.groups.iter().map(|g| g.optional).collect();
        assert_eq!(optional, vec![true, true, false, false]);
        let p = build("how to", &Resolved::default());
        assert!(p.groups.iter().all(|g| !g.optional));
    }

    #[test]
    fn excluding_what_is_required_matches_nothing() {
        let none = |q: &str| build(q, &Resolved::default()).matches_nothing();
        assert!(none("socket -socket"));
        assert!(none("\"tokio runtime\" -runtime"));
        assert!(none("\"tokio runtime\" -\"tokio runtime\""));
        // A phrase excluded does not exclude every post with its words.
        assert!(!none("tokio runtime -\"tokio runtime\""));
        assert!(!none("socket -server"));
        // With any word enough, posts with the other word still match.
        let mut p = build("socket server -socket", &Resolved::default());
        assert!(p.matches_nothing());
        p.any = true;
        assert!(!p.matches_nothing());
    }

    #[test]
    fn synonyms_and_unknowns() {
        let mut r = Resolved::default();
        r.tags.insert("js".into(), "javascript".into());
        let p = build("js [js] \"exact words\" ,,,", &r);
        assert_eq!(p.groups.len(), 2, "{:?}", p.groups);
        assert_eq!(p.groups[0].tag.as_deref(), Some("javascript"));
        assert!(p.groups[1].phrase);
        assert_eq!(p.tags, vec!["javascript"]);
        assert!(!p.impossible);
        assert!(build("[nosuchtag]", &r).impossible);
        let r = Resolved {
            author: Some(None),
            ..Resolved::default()
        };
        assert!(build("user:ghost", &r).impossible);
    }
}
