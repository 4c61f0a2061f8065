//! The embedded engine: a tantivy index in the data directory, next to the
//! SQLite database.

use crate::analyzer;
use crate::plan::{Group, Plan, Sort};
use crate::query::Kind;
use crate::ranked::{
    count_upto, Alternatives, Checks, ColumnCache, Gate, Ranked, Standing, TopRanked,
};
use crate::{Doc, Found, SearchError};
use guildhall_domain::search::SearchRules;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STRING,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer, Token, TokenStream};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};

/// Bump when the schema or the analysis changes: the index is then rebuilt.
const SCHEMA_VERSION: &str = "guildhall-search-4";

/// A `[tag]` or `user:` filter holding fewer than this share of the posts
/// drives the search; a broader one is checked per candidate.
const SELECTIVE_SHARE: f64 = 0.05;

struct Parts {
    scoring: Vec<Box<dyn Query>>,
    alternatives: Alternatives,
    implied: bool,
}
const MARKER: &str = "guildhall-schema";

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    author: Field,
    tag: Field,
    title: Field,
    body: Field,
    tagtext: Field,
    /// Pairs of consecutive words, so a two-word phrase is one term lookup
    /// instead of a positional intersection of two long posting lists (and
    /// a longer phrase is ranked by its pairs, then checked by position).
    title_pairs: Field,
    body_pairs: Field,
    /// Every word of title, body and tags, without frequencies: what
    /// "the post contains this word" is checked against.
    words: Field,
    score: Field,
    answers: Field,
    accepted: Field,
    closed: Field,
    created: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer::NAME)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let num = || NumericOptions::default().set_indexed().set_fast();
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        kind: b.add_u64_field("kind", num()),
        author: b.add_u64_field("author", num()),
        tag: b.add_text_field("tag", STRING),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        tagtext: b.add_text_field("tagtext", text(false)),
        title_pairs: b.add_text_field("title_pairs", text(false)),
        body_pairs: b.add_text_field("body_pairs", text(false)),
        words: b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer::NAME)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        score: b.add_i64_field("score", num()),
        answers: b.add_i64_field("answers", num()),
        accepted: b.add_u64_field("accepted", num()),
        closed: b.add_u64_field("closed", num()),
        created: b.add_i64_field("created", num()),
    };
    (b.build(), f)
}

pub struct Embedded {
    index: Index,
    reader: IndexReader,
    /// Taken on the first write: tantivy allows one writer per directory,
    /// and other commands (`recompute`, `admin`) must open the database
    /// while `serve` holds it.
    writer: Mutex<Option<IndexWriter>>,
    heap_bytes: usize,
    f: Fields,
    columns: Arc<ColumnCache>,
}

impl Embedded {
    /// Open the index in `dir` (created if missing; wiped and recreated if
    /// it is of another version or unreadable), or in memory. Returns
    /// whether the index is new (and so needs a rebuild).
    pub fn open(dir: Option<&Path>, heap_bytes: usize) -> Result<(Embedded, bool), SearchError> {
        let (schema, f) = schema();
        let (index, fresh) = match dir {
            None => (Index::create_in_ram(schema), true),
            Some(dir) => {
                let marker = dir.join(MARKER);
                let current = std::fs::read_to_string(&marker).ok();
                let reuse = current.as_deref() == Some(SCHEMA_VERSION);
                let opened = if reuse {
                    Index::open_in_dir(dir).ok()
                } else {
                    None
                };
                match opened {
                    Some(index) => (index, false),
                    None => {
                        if dir.exists() {
                            if current.is_some() {
                                tracing::warn!(dir = %dir.display(), "search index is of another version or unreadable; rebuilding it");
                            }
                            std::fs::remove_dir_all(dir)?;
                        }
                        std::fs::create_dir_all(dir)?;
                        let index = Index::create_in_dir(dir, schema)?;
                        std::fs::write(&marker, SCHEMA_VERSION)?;
                        (index, true)
                    }
                }
            }
        };
        index
            .tokenizers()
            .register(analyzer::NAME, analyzer::analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok((
            Embedded {
                index,
                reader,
                writer: Mutex::new(None),
                heap_bytes: heap_bytes.max(15_000_000),
                f,
                columns: Arc::default(),
            },
            fresh,
        ))
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, d: &Doc, a: &mut TextAnalyzer) -> TantivyDocument {
        let f = &self.f;
        let title = analyze(a, &d.title);
        let body = analyze(a, &d.text);
        let mut words: Vec<Token> = title.iter().chain(&body).cloned().collect();
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.id as u64);
        doc.add_u64(f.kind, d.kind as u64);
        doc.add_u64(f.author, d.author_id as u64);
        for t in &d.tags {
            doc.add_text(f.tag, t);
            doc.add_text(f.tagtext, t);
            words.extend(analyze(a, t));
        }
        for (i, t) in words.iter_mut().enumerate() {
            t.position = i;
        }
        doc.add_pre_tokenized_text(f.title_pairs, pretokenized(pairs(&title)));
        doc.add_pre_tokenized_text(f.body_pairs, pretokenized(pairs(&body)));
        doc.add_pre_tokenized_text(f.title, pretokenized(title));
        doc.add_pre_tokenized_text(f.body, pretokenized(body));
        doc.add_pre_tokenized_text(f.words, pretokenized(words));
        doc.add_i64(f.score, d.score);
        doc.add_i64(f.answers, d.answers);
        doc.add_u64(f.accepted, d.accepted as u64);
        doc.add_u64(f.closed, d.closed as u64);
        doc.add_i64(f.created, d.created_at);
        doc
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut slot = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        if slot.is_none() {
            let w = self
                .index
                .writer_with_num_threads(1, self.heap_bytes)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => SearchError::Other(
                        "the search index is being written by another guildhall process (serve); \
                         it applies the change itself"
                            .into(),
                    ),
                    e => e.into(),
                })?;
            *slot = Some(w);
        }
        match slot.as_mut() {
            Some(w) => f(w),
            None => Err(SearchError::Poisoned),
        }
    }

    /// Replace the given posts (a post absent from `docs` is removed) and,
    /// with `commit`, commit so the change survives a restart.
    pub fn apply(&self, docs: &[Doc], remove: &[i64], commit: bool) -> Result<(), SearchError> {
        self.with_writer(|w| {
            for id in remove.iter().chain(docs.iter().map(|d| &d.id)) {
                w.delete_term(Term::from_field_u64(self.f.id, *id as u64));
            }
            let mut a = analyzer::analyzer();
            for d in docs {
                w.add_document(self.document(d, &mut a))?;
            }
            if commit {
                w.commit()?;
            }
            Ok(())
        })?;
        if commit {
            self.reader.reload()?;
        }
        Ok(())
    }

    pub fn clear(&self) -> Result<(), SearchError> {
        self.with_writer(|w| Ok(w.delete_all_documents().map(|_| ())?))
    }

    /// Merge all segments into one, after a rebuild: a search then visits
    /// one segment instead of a dozen (each costs its own term lookups and
    /// starts its own top results). Later writes add small segments, which
    /// tantivy's merge policy folds together as usual.
    pub fn merge_all(&self) -> Result<(), SearchError> {
        {
            let mut slot = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
            // Let merges the policy started finish: a segment can be in one
            // merge only.
            if let Some(w) = slot.take() {
                w.wait_merging_threads()?;
            }
        }
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            self.with_writer(|w| Ok(w.merge(&ids).wait().map(|_| ())?))?;
            self.with_writer(|w| Ok(w.garbage_collect_files().wait().map(|_| ())?))?;
        }
        self.reader.reload()?;
        Ok(())
    }

    pub fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|w| Ok(w.commit().map(|_| ())?))?;
        self.reader.reload()?;
        Ok(())
    }

    fn term(&self, field: Field, text: &str, record: IndexRecordOption) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, text), record))
    }

    /// A word or phrase as the queries that score it and the alternatives
    /// under which a post contains it (a post contains it when it matches
    /// every query of some alternative). `implied`: a post matching any of
    /// the scoring queries contains it.
    fn group_parts(&self, g: &Group, rules: &SearchRules) -> Parts {
        let f = &self.f;
        let boost = |q: Box<dyn Query>, b: f64| -> Box<dyn Query> {
            Box::new(BoostQuery::new(q, b as f32))
        };
        let freqs = IndexRecordOption::WithFreqs;
        let mut parts = Parts {
            scoring: Vec::new(),
            alternatives: Vec::new(),
            implied: true,
        };
        if g.phrase && g.tokens.len() > 1 {
            let pairs: Vec<String> = g.pairs();
            if let [p] = pairs.as_slice() {
                for (field, b) in [(f.title_pairs, rules.title_boost), (f.body_pairs, 1.0)] {
                    parts.scoring.push(boost(self.term(field, p, freqs), b));
                    parts
                        .alternatives
                        .push(vec![self.term(field, p, IndexRecordOption::Basic)]);
                }
            } else {
                // Every pair of the phrase, then their order by position:
                // the pairs' intersection is small, the position check
                // runs on it alone.
                parts.implied = false;
                for (field, words, b) in [
                    (f.title_pairs, f.title, rules.title_boost),
                    (f.body_pairs, f.body, 1.0),
                ] {
                    let all: Vec<(Occur, Box<dyn Query>)> = pairs
                        .iter()
                        .map(|p| (Occur::Must, self.term(field, p, freqs)))
                        .collect();
                    parts
                        .scoring
                        .push(boost(Box::new(BooleanQuery::new(all)), b));
                    let mut check: Vec<Box<dyn Query>> = pairs
                        .iter()
                        .map(|p| self.term(field, p, IndexRecordOption::Basic))
                        .collect();
                    check.push(Box::new(PhraseQuery::new_with_offset(
                        g.tokens
                            .iter()
                            .enumerate()
                            .map(|(i, t)| (i, Term::from_field_text(words, t)))
                            .collect(),
                    )));
                    parts.alternatives.push(check);
                }
            }
        } else if !g.tokens.is_empty() {
            for t in &g.tokens {
                parts
                    .scoring
                    .push(boost(self.term(f.title, t, freqs), rules.title_boost));
                parts.scoring.push(self.term(f.body, t, freqs));
                parts
                    .scoring
                    .push(boost(self.term(f.tagtext, t, freqs), rules.tag_boost));
            }
            parts.implied = g.tokens.len() == 1;
            parts.alternatives.push(
                g.tokens
                    .iter()
                    .map(|t| self.term(f.words, t, IndexRecordOption::Basic))
                    .collect(),
            );
        }
        if let Some(tag) = &g.tag {
            let q = self.term(f.tag, tag, IndexRecordOption::Basic);
            parts.scoring.push(boost(q.box_clone(), rules.tag_boost));
            parts.alternatives.push(vec![q]);
        }
        parts
    }

    /// Whether a term filter keeps few enough posts to drive the search
    /// (intersected with the text) rather than be checked per candidate.
    fn selective(&self, searcher: &Searcher, term: &Term) -> bool {
        let df = searcher.doc_freq(term).unwrap_or(u64::MAX);
        (df as f64) < searcher.num_docs() as f64 * SELECTIVE_SHARE
    }

    /// The query that ranks, and the one that counts. They match the same
    /// posts but are shaped for their job: ranking scores a flat
    /// disjunction of terms (so pruning applies) and checks required words
    /// per candidate; counting scores nothing and intersects the required
    /// words' posting lists, so the rarest word drives it.
    fn ranked(&self, searcher: &Searcher, p: &Plan, rules: &SearchRules) -> (Ranked, Ranked) {
        let f = &self.f;
        let mut scoring: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut gates = Vec::new();
        let mut counting_gates = Vec::new();
        // What a post must contain, as queries: one per required group (any
        // mode: one for all groups).
        let mut required: Vec<Box<dyn Query>> = Vec::new();
        let mut any: Alternatives = Vec::new();
        let parts: Vec<(bool, Parts)> = p
            .groups
            .iter()
            .map(|g| (g.optional, self.group_parts(g, rules)))
            .collect();
        // With one group, or any group allowed, a post the scoring terms
        // find already contains a group when every group is `implied`:
        // the check would only repeat the lookup.
        let all_implied = parts.iter().all(|(_, x)| x.implied);
        let need_check = !(all_implied && (p.any || parts.len() == 1));
        for (optional, x) in parts {
            scoring.extend(x.scoring.into_iter().map(|q| (Occur::Should, q)));
            if p.any {
                any.extend(x.alternatives);
            } else if !optional {
                required.push(any_of_query(&x.alternatives));
                if need_check {
                    gates.push(Gate {
                        negate: false,
                        any_of: x.alternatives,
                    });
                }
            }
        }
        if p.any && !any.is_empty() {
            required.push(any_of_query(&any));
            if need_check {
                gates.push(Gate {
                    negate: false,
                    any_of: any,
                });
            }
        }
        for g in &p.exclude {
            let gate = Gate {
                negate: true,
                any_of: self.group_parts(g, rules).alternatives,
            };
            counting_gates.push(gate.clone());
            gates.push(gate);
        }
        // Selective filters drive the search; the rest are checked on
        // each candidate, which leaves the text a plain disjunction.
        let mut drive: Vec<Term> = p
            .tags
            .iter()
            .map(|t| Term::from_field_text(f.tag, t))
            .collect();
        if let Some(a) = p.author {
            drive.push(Term::from_field_u64(f.author, a as u64));
        }
        for term in drive {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic));
            if self.selective(searcher, &term) {
                required.push(q.box_clone());
                scoring.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
            } else {
                let gate = Gate {
                    negate: false,
                    any_of: vec![vec![q]],
                };
                counting_gates.push(gate.clone());
                gates.push(gate);
            }
        }
        let checks = Checks {
            kind: p.kind.map(|k| if k == Kind::Question { 1 } else { 2 }),
            accepted: p.accepted.map(u64::from),
            closed: p.closed.map(u64::from),
            score: p.score,
            answers: p.answers,
            created: p.created,
        };
        let counting_text: Box<dyn Query> = match required.len() {
            0 => Box::new(AllQuery),
            1 => required.pop().expect("one"),
            _ => Box::new(BooleanQuery::new(
                required.into_iter().map(|q| (Occur::Must, q)).collect(),
            )),
        };
        let text: Box<dyn Query> = if scoring.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(scoring))
        };
        let ranking = Ranked {
            text,
            gates,
            checks: checks.clone(),
            standing: (p.sort == Sort::Relevance && p.has_text()).then(|| Standing {
                rules: rules.clone(),
                now: p.now,
            }),
            columns: self.columns.clone(),
        };
        let counting = Ranked {
            text: counting_text,
            gates: counting_gates,
            checks,
            standing: None,
            columns: self.columns.clone(),
        };
        (ranking, counting)
    }

    pub fn search(&self, p: &Plan, rules: &SearchRules) -> Result<Found, SearchError> {
        if p.matches_nothing() || p.limit == 0 {
            return Ok(Found::default());
        }
        let searcher = self.reader.searcher();
        self.columns.keep_only(&searcher);
        let (query, counting) = self.ranked(&searcher, p, rules);
        let top = TopDocs::with_limit(p.limit).and_offset(p.offset);
        let hits: Vec<DocAddress> = if query.standing.is_some() {
            // Pruned: see `ranked`.
            searcher
                .search(&query, &TopRanked::new(p.offset, p.limit))?
                .into_iter()
                .map(|(_, d)| d)
                .collect()
        } else {
            let rules = rules.clone();
            let (sort, now, text) = (p.sort, p.now, p.has_text());
            let columns = self.columns.clone();
            let top = top.tweak_score(move |seg: &tantivy::SegmentReader| {
                let cols = columns.get(seg).expect("the index has its fast fields");
                let (score, created, accepted) = (
                    cols.score.clone(),
                    cols.created.clone(),
                    cols.accepted.clone(),
                );
                let rules = rules.clone();
                move |doc: tantivy::DocId, relevance: tantivy::Score| -> f64 {
                    let s = score.get_val(doc);
                    let c = created.get_val(doc);
                    let base = if text { relevance as f64 } else { 1.0 };
                    let ranked =
                        base * rules.rank_multiplier(s, accepted.get_val(doc) == 1, now - c);
                    match sort {
                        Sort::Relevance => ranked,
                        Sort::Newest => c as f64,
                        // Ties in score go to the better match.
                        Sort::Votes => s as f64 + ranked / (1.0 + ranked),
                    }
                }
            });
            searcher
                .search(&query, &top)?
                .into_iter()
                .map(|(_, d)| d)
                .collect()
        };
        let cap = (rules.max_counted as usize).max(p.offset + p.limit);
        let (total, more) = count_upto(&searcher, &counting, cap)?;
        let mut ids = Vec::with_capacity(hits.len());
        for DocAddress {
            segment_ord,
            doc_id,
        } in hits
        {
            let cols = self.columns.get(searcher.segment_reader(segment_ord))?;
            ids.push(cols.id.get_val(doc_id) as i64);
        }
        Ok(Found { total, more, ids })
    }
}

/// Posts matching every query of some alternative.
fn any_of_query(alternatives: &Alternatives) -> Box<dyn Query> {
    let all = |qs: &Vec<Box<dyn Query>>| -> Box<dyn Query> {
        match qs.as_slice() {
            [q] => q.box_clone(),
            _ => Box::new(BooleanQuery::new(
                qs.iter().map(|q| (Occur::Must, q.box_clone())).collect(),
            )),
        }
    };
    match alternatives.as_slice() {
        [one] => all(one),
        _ => Box::new(BooleanQuery::new(
            alternatives
                .iter()
                .map(|a| (Occur::Should, all(a)))
                .collect(),
        )),
    }
}

fn analyze(a: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut stream = a.token_stream(text);
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// Consecutive words (a long token dropped by the analyzer leaves a gap in
/// positions, which no pair bridges, as no phrase does).
fn pairs(tokens: &[Token]) -> Vec<Token> {
    tokens
        .windows(2)
        .filter(|w| w[1].position == w[0].position + 1)
        .map(|w| Token {
            offset_from: w[0].offset_from,
            offset_to: w[1].offset_to,
            position: w[0].position,
            text: analyzer::pair(&w[0].text, &w[1].text),
            position_length: 1,
        })
        .collect()
}

fn pretokenized(tokens: Vec<Token>) -> PreTokenizedString {
    // The text is not stored: only the tokens are indexed.
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}

#[cfg(test)]
mod tests {
    //! The pruned search against brute force: the same posts match, and
    //! the pages hold the best posts by the ranking formula, on random
    //! corpora and queries.
    use super::*;
    use crate::query::Range;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Six common words, and two rare ones (in about one post in twenty,
    /// so that a query meets both common and rare words).
    const WORDS: [&str; 8] = [
        "alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta",
    ];
    const COMMON: usize = 6;
    const NOW: i64 = 2_000_000_000;

    #[derive(Debug, Clone)]
    struct Post {
        title: Vec<usize>,
        body: Vec<usize>,
        tag: usize,
        kind: i64,
        score: i64,
        accepted: bool,
        age_days: i64,
    }

    fn post() -> impl Strategy<Value = Post> {
        (
            prop::collection::vec(0..COMMON, 1..5),
            prop::collection::vec(0..COMMON, 0..30),
            prop::option::weighted(0.05, COMMON..WORDS.len()),
            0..COMMON,
            1..3i64,
            -5..60i64,
            any::<bool>(),
            0..3000i64,
        )
            .prop_map(
                |(title, mut body, rare, tag, kind, score, accepted, age_days)| {
                    body.extend(rare);
                    (title, body, tag, kind, score, accepted, age_days)
                },
            )
            .prop_map(|(title, body, tag, kind, score, accepted, age_days)| Post {
                title,
                body,
                tag,
                kind,
                score,
                accepted,
                age_days,
            })
    }

    #[derive(Debug, Clone)]
    struct Ask {
        /// Word indices; a group of two is a phrase when `phrase`.
        groups: Vec<Vec<usize>>,
        phrase: bool,
        exclude: Option<usize>,
        question: bool,
        min_score: Option<i64>,
        accepted: Option<bool>,
        limit: usize,
    }

    fn ask() -> impl Strategy<Value = Ask> {
        (
            prop::collection::vec(0..WORDS.len(), 1..4),
            any::<bool>(),
            prop::option::of(0..WORDS.len()),
            any::<bool>(),
            prop::option::of(0..30i64),
            prop::option::of(any::<bool>()),
            1..12usize,
        )
            .prop_map(
                |(words, phrase, exclude, question, min_score, accepted, limit)| {
                    let groups = if phrase && words.len() >= 2 {
                        vec![words]
                    } else {
                        words.into_iter().map(|w| vec![w]).collect()
                    };
                    Ask {
                        phrase: phrase && groups[0].len() >= 2,
                        groups,
                        exclude,
                        question,
                        min_score,
                        accepted,
                        limit,
                    }
                },
            )
    }

    fn text(ws: &[usize]) -> String {
        ws.iter().map(|&w| WORDS[w]).collect::<Vec<_>>().join(" ")
    }

    fn doc(id: i64, p: &Post) -> Doc {
        Doc {
            id,
            kind: p.kind,
            question_id: id,
            author_id: 1,
            title: text(&p.title),
            text: text(&p.body),
            tags: vec![WORDS[p.tag].to_string()],
            score: p.score,
            answers: 0,
            accepted: p.accepted,
            closed: false,
            created_at: NOW - p.age_days * 86_400,
        }
    }

    fn matches(p: &Post, a: &Ask) -> bool {
        let has = |w: usize| p.title.contains(&w) || p.body.contains(&w) || p.tag == w;
        let run = |ws: &[usize], g: &[usize]| ws.windows(g.len()).any(|x| x == g);
        let groups = a.groups.iter().all(|g| {
            if a.phrase {
                run(&p.title, g) || run(&p.body, g)
            } else {
                g.iter().all(|&w| has(w))
            }
        });
        groups
            && a.exclude.is_none_or(|w| !has(w))
            && (!a.question || p.kind == 1)
            && a.min_score.is_none_or(|m| p.score >= m)
            && a.accepted.is_none_or(|b| p.accepted == b)
    }

    fn plan(a: &Ask) -> Plan {
        let group = |ws: &Vec<usize>| Group {
            tokens: ws.iter().map(|&w| WORDS[w].to_string()).collect(),
            phrase: a.phrase,
            tag: None,
            optional: false,
        };
        Plan {
            groups: a.groups.iter().map(group).collect(),
            exclude: a.exclude.iter().map(|&w| group(&vec![w])).collect(),
            kind: a.question.then_some(Kind::Question),
            score: a.min_score.map(|m| Range {
                min: Some(m),
                max: None,
            }),
            accepted: a.accepted,
            sort: Sort::Relevance,
            limit: a.limit,
            now: NOW,
            ..Plan::default()
        }
    }

    /// Every match with its ranking key, best first, scoring each one
    /// (no pruning).
    fn exhaustive(e: &Embedded, p: &Plan, rules: &SearchRules) -> Vec<(f64, i64)> {
        let searcher = e.reader.searcher();
        let (mut q, _) = e.ranked(&searcher, p, rules);
        q.standing = None;
        let now = p.now;
        let rules = rules.clone();
        let top = TopDocs::with_limit(100_000).tweak_score(move |seg: &tantivy::SegmentReader| {
            let ff = seg.fast_fields();
            let score = ff.i64("score").unwrap().first_or_default_col(0);
            let created = ff.i64("created").unwrap().first_or_default_col(0);
            let accepted = ff.u64("accepted").unwrap().first_or_default_col(0);
            let id = ff.u64("id").unwrap().first_or_default_col(0);
            let rules = rules.clone();
            move |doc: tantivy::DocId, relevance: tantivy::Score| {
                let m = rules.rank_multiplier(
                    score.get_val(doc),
                    accepted.get_val(doc) == 1,
                    now - created.get_val(doc),
                );
                (relevance as f64 * m, id.get_val(doc) as i64)
            }
        });
        searcher
            .search(&q, &top)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    fn index(posts: &[Post], deleted: &[usize]) -> Embedded {
        let (e, _) = Embedded::open(None, 15_000_000).unwrap();
        let docs: Vec<Doc> = (0..posts.len())
            .map(|i| doc(i as i64 + 1, &posts[i]))
            .collect();
        // Three commits: three segments, each with its own bound.
        for chunk in docs.chunks(docs.len().div_ceil(3).max(1)) {
            e.apply(chunk, &[], true).unwrap();
        }
        let gone: Vec<i64> = deleted
            .iter()
            .map(|&i| (i % posts.len()) as i64 + 1)
            .collect();
        e.apply(&[], &gone, true).unwrap();
        e
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn pruned_pages_are_the_best_matches(
            posts in prop::collection::vec(post(), 20..160),
            deleted in prop::collection::vec(0..1000usize, 0..8),
            asks in prop::collection::vec(ask(), 1..6),
        ) {
            let e = index(&posts, &deleted);
            let gone: std::collections::HashSet<i64> =
                deleted.iter().map(|&i| (i % posts.len()) as i64 + 1).collect();
            let rules = SearchRules::default();
            for a in &asks {
                let p = plan(a);
                let expected: Vec<i64> = (0..posts.len())
                    .filter(|&i| matches(&posts[i], a) && !gone.contains(&(i as i64 + 1)))
                    .map(|i| i as i64 + 1)
                    .collect();
                let all = exhaustive(&e, &p, &rules);
                let mut all_ids: Vec<i64> = all.iter().map(|k| k.1).collect();
                all_ids.sort();
                prop_assert_eq!(&all_ids, &expected, "matches of {:?}", a);
                let found = e.search(&p, &rules).unwrap();
                prop_assert_eq!(found.total, expected.len());
                prop_assert!(!found.more);
                prop_assert_eq!(found.ids.len(), a.limit.min(expected.len()));
                let key: HashMap<i64, f64> = all.iter().map(|k| (k.1, k.0)).collect();
                for (i, id) in found.ids.iter().enumerate() {
                    // The i-th best, up to ties and single-precision rounding.
                    let (want, got) = (all[i].0, key[id]);
                    prop_assert!((want - got).abs() <= 1e-4 * want.abs().max(1e-3),
                        "rank {} of {:?}: {} has key {}, the best there is {}", i, a, id, got, want);
                }
                // Newest first: the same posts, by date.
                let newest = e.search(&Plan { sort: Sort::Newest, ..p.clone() }, &rules).unwrap();
                prop_assert_eq!(newest.total, expected.len());
                let age = |id: i64| posts[id as usize - 1].age_days;
                let mut by_date: Vec<i64> = expected.iter().map(|&id| age(id)).collect();
                by_date.sort();
                let got: Vec<i64> = newest.ids.iter().map(|&id| age(id)).collect();
                prop_assert_eq!(&got[..], &by_date[..got.len()], "newest of {:?}", a);
            }
        }
    }

    #[test]
    fn counting_stops_at_the_cap() {
        let posts: Vec<Post> = (0..40)
            .map(|i| Post {
                title: vec![0, 1],
                body: vec![2, 0, 3],
                tag: 4,
                kind: 1,
                score: i,
                accepted: false,
                age_days: i,
            })
            .collect();
        let e = index(&posts, &[]);
        let a = Ask {
            groups: vec![vec![0]],
            phrase: false,
            exclude: None,
            question: false,
            min_score: None,
            accepted: None,
            limit: 5,
        };
        let rules = SearchRules {
            max_counted: 12,
            ..SearchRules::default()
        };
        let found = e.search(&plan(&a), &rules).unwrap();
        assert_eq!((found.total, found.more, found.ids.len()), (12, true, 5));
        // A deep page counts at least as far as itself.
        let mut p = plan(&a);
        p.offset = 15;
        let found = e.search(&p, &rules).unwrap();
        assert_eq!((found.total, found.more, found.ids.len()), (20, true, 5));
        // Exactly at the cap is not "more".
        let rules = SearchRules {
            max_counted: 40,
            ..SearchRules::default()
        };
        let found = e.search(&plan(&a), &rules).unwrap();
        assert_eq!((found.total, found.more), (40, false));
    }

    #[test]
    fn phrases_are_consecutive_words_only() {
        let posts = vec![
            // "alpha beta gamma" in a row.
            Post {
                title: vec![5],
                body: vec![0, 1, 2],
                tag: 4,
                kind: 1,
                score: 0,
                accepted: false,
                age_days: 1,
            },
            // The two pairs, but not as one run.
            Post {
                title: vec![5],
                body: vec![0, 1, 3, 1, 2],
                tag: 4,
                kind: 1,
                score: 0,
                accepted: false,
                age_days: 1,
            },
        ];
        let e = index(&posts, &[]);
        let p = Plan {
            groups: vec![Group {
                tokens: vec!["alpha".into(), "beta".into(), "gamma".into()],
                phrase: true,
                tag: None,
                optional: false,
            }],
            limit: 10,
            now: NOW,
            ..Plan::default()
        };
        let found = e.search(&p, &SearchRules::default()).unwrap();
        assert_eq!(found.ids, vec![1]);
    }
}
