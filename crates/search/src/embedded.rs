//! The embedded engine: a tantivy index in the data directory, next to the
//! SQLite database.

use crate::analyzer;
use crate::plan::{Group, Plan, Sort};
use crate::query::{Kind, Range};
use crate::{Doc, Found, SearchError};
use guildhall_domain::search::SearchRules;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STRING,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bump when the schema or the analysis changes: the index is then rebuilt.
const SCHEMA_VERSION: &str = "guildhall-search-3";
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
            },
            fresh,
        ))
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.id as u64);
        doc.add_u64(f.kind, d.kind as u64);
        doc.add_u64(f.author, d.author_id as u64);
        for t in &d.tags {
            doc.add_text(f.tag, t);
            doc.add_text(f.tagtext, t);
        }
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.text);
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
            for d in docs {
                w.add_document(self.document(d))?;
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

    pub fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|w| Ok(w.commit().map(|_| ())?))?;
        self.reader.reload()?;
        Ok(())
    }

    fn group_query(&self, g: &Group, rules: &SearchRules) -> Option<Box<dyn Query>> {
        let f = &self.f;
        let boost = |q: Box<dyn Query>, b: f64| -> Box<dyn Query> {
            Box::new(BoostQuery::new(q, b as f32))
        };
        let term_in = |field: Field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let token = |t: &str| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, boost(term_in(f.title, t), rules.title_boost)),
                (Occur::Should, term_in(f.body, t)),
                (Occur::Should, boost(term_in(f.tagtext, t), rules.tag_boost)),
            ]))
        };
        let text: Option<Box<dyn Query>> = match g.tokens.len() {
            0 => None,
            1 => Some(token(&g.tokens[0])),
            _ if g.phrase => {
                let phrase = |field: Field| -> Box<dyn Query> {
                    Box::new(PhraseQuery::new_with_offset(
                        g.tokens
                            .iter()
                            .enumerate()
                            .map(|(i, t)| (i, Term::from_field_text(field, t)))
                            .collect(),
                    ))
                };
                Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Should, boost(phrase(f.title), rules.title_boost)),
                    (Occur::Should, phrase(f.body)),
                ])))
            }
            _ => Some(Box::new(BooleanQuery::new(
                g.tokens.iter().map(|t| (Occur::Must, token(t))).collect(),
            ))),
        };
        let tag = g.tag.as_ref().map(|t| {
            boost(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.tag, t),
                    IndexRecordOption::Basic,
                )),
                rules.tag_boost,
            )
        });
        match (text, tag) {
            (Some(t), Some(g)) => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, t),
                (Occur::Should, g),
            ]))),
            (t, g) => t.or(g),
        }
    }

    fn query(&self, p: &Plan, rules: &SearchRules) -> Box<dyn Query> {
        let f = &self.f;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let filter = |q: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
        };
        let mut required = Vec::new();
        let mut optional = Vec::new();
        for g in &p.groups {
            if let Some(q) = self.group_query(g, rules) {
                if g.optional || p.any {
                    optional.push((Occur::Should, q));
                } else {
                    required.push((Occur::Must, q));
                }
            }
        }
        if p.any && !optional.is_empty() {
            // At least one of the words must match.
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(optional))));
        } else {
            clauses.extend(required);
            clauses.extend(optional);
        }
        for g in &p.exclude {
            if let Some(q) = self.group_query(g, rules) {
                clauses.push((Occur::MustNot, q));
            }
        }
        let term_u64 = |field: Field, v: u64| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_u64(field, v),
                IndexRecordOption::Basic,
            ))
        };
        for t in &p.tags {
            clauses.push(filter(Box::new(TermQuery::new(
                Term::from_field_text(f.tag, t),
                IndexRecordOption::Basic,
            ))));
        }
        if let Some(a) = p.author {
            clauses.push(filter(term_u64(f.author, a as u64)));
        }
        if let Some(k) = p.kind {
            clauses.push(filter(term_u64(
                f.kind,
                if k == Kind::Question { 1 } else { 2 },
            )));
        }
        if let Some(b) = p.accepted {
            clauses.push(filter(term_u64(f.accepted, b as u64)));
        }
        if let Some(b) = p.closed {
            clauses.push(filter(term_u64(f.closed, b as u64)));
        }
        let range = |field: Field, r: &Range| -> Box<dyn Query> {
            let bound = |v: Option<i64>| match v {
                Some(v) => Bound::Included(Term::from_field_i64(field, v)),
                None => Bound::Unbounded,
            };
            Box::new(RangeQuery::new(bound(r.min), bound(r.max)))
        };
        for (field, r) in [
            (f.score, &p.score),
            (f.answers, &p.answers),
            (f.created, &p.created),
        ] {
            if let Some(r) = r {
                clauses.push(filter(range(field, r)));
            }
        }
        let positive = clauses
            .iter()
            .any(|(o, _)| matches!(o, Occur::Must | Occur::Should));
        if !positive || !p.has_text() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    pub fn search(&self, p: &Plan, rules: &SearchRules) -> Result<Found, SearchError> {
        if p.impossible || p.limit == 0 {
            return Ok(Found::default());
        }
        let searcher = self.reader.searcher();
        let query = self.query(p, rules);
        let rules = rules.clone();
        let (sort, now, text) = (p.sort, p.now, p.has_text());
        let top = TopDocs::with_limit(p.limit)
            .and_offset(p.offset)
            .tweak_score(move |seg: &tantivy::SegmentReader| {
                let ff = seg.fast_fields();
                let score = ff
                    .i64("score")
                    .map(|c| c.first_or_default_col(0))
                    .expect("score is a fast field");
                let accepted = ff
                    .u64("accepted")
                    .map(|c| c.first_or_default_col(0))
                    .expect("accepted is a fast field");
                let created = ff
                    .i64("created")
                    .map(|c| c.first_or_default_col(0))
                    .expect("created is a fast field");
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
        let (hits, total) = searcher.search(&query, &(top, Count))?;
        let mut ids = Vec::with_capacity(hits.len());
        for (
            _,
            DocAddress {
                segment_ord,
                doc_id,
            },
        ) in hits
        {
            let col = searcher
                .segment_reader(segment_ord)
                .fast_fields()
                .u64("id")?
                .first_or_default_col(0);
            ids.push(col.get_val(doc_id) as i64);
        }
        Ok(Found { total, ids })
    }
}
