//! The engine for several app nodes on one PostgreSQL: full-text search in
//! the database over text guildhall segments itself. Documents are written
//! as `tsvector` literals and queries as `tsquery` literals, so PostgreSQL's
//! own parser never re-splits a token: both engines see the same tokens.

use crate::analyzer::{self, Tok};
use crate::plan::{Group, Plan, Sort};
use crate::query::{Kind, Range};
use crate::{Doc, Found, SearchError};
use guildhall_domain::search::SearchRules;
use guildhall_storage::Store;
use sqlx::Row;
use std::collections::BTreeMap;
use std::fmt::Write;

/// PostgreSQL keeps positions up to 16383 and 256 per lexeme.
const MAX_POSITION: u32 = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 255;
/// Rows per INSERT when writing many documents.
const BATCH: usize = 100;

pub struct Postgres {
    store: Store,
}

fn quote(lexeme: &str, out: &mut String) {
    out.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            // PostgreSQL text cannot hold NUL.
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// A tag as a lexeme of its own; analysis never produces a ':' in a token.
fn tag_lexeme(tag: &str) -> String {
    format!("t:{tag}")
}

/// The `tsvector` literal of a document: title tokens weighted A, tag
/// names B, body D; positions continue across the parts with a gap, so a
/// phrase never spans title and body.
pub fn tsvector(d: &Doc) -> String {
    let mut a = analyzer::analyzer();
    let mut lexemes: BTreeMap<String, Vec<(u32, char)>> = BTreeMap::new();
    let mut base = 1u32;
    let mut add = |toks: Vec<Tok>, weight: char, base: &mut u32| {
        let mut last = 0;
        for t in toks {
            let pos = (*base + t.position).min(MAX_POSITION);
            last = last.max(t.position);
            let e = lexemes.entry(t.text).or_default();
            if e.len() < MAX_POSITIONS_PER_LEXEME {
                e.push((pos, weight));
            }
        }
        *base = (*base + last + 2).min(MAX_POSITION);
    };
    add(analyzer::tokens(&mut a, &d.title), 'A', &mut base);
    add(analyzer::tokens(&mut a, &d.tags.join(" ")), 'B', &mut base);
    add(analyzer::tokens(&mut a, &d.text), 'D', &mut base);
    let mut out = String::new();
    for (lex, positions) in &lexemes {
        quote(lex, &mut out);
        out.push(':');
        for (i, (p, w)) in positions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{p}{w}");
        }
        out.push(' ');
    }
    for t in &d.tags {
        quote(&tag_lexeme(t), &mut out);
        out.push(' ');
    }
    out
}

fn group_tsquery(g: &Group) -> Option<String> {
    let mut parts = Vec::new();
    if !g.tokens.is_empty() {
        let sep = if g.phrase { " <-> " } else { " & " };
        let mut s = String::from("(");
        for (i, t) in g.tokens.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            quote(t, &mut s);
        }
        s.push(')');
        parts.push(s);
    }
    if let Some(tag) = &g.tag {
        let mut s = String::new();
        quote(&tag_lexeme(tag), &mut s);
        parts.push(s);
    }
    (!parts.is_empty()).then(|| format!("({})", parts.join(" | ")))
}

/// The query that decides what matches, and the one that ranks (every
/// word, optional ones included).
fn tsqueries(p: &Plan) -> (Option<String>, Option<String>) {
    let mut must: Vec<String> = Vec::new();
    let mut any: Vec<String> = Vec::new();
    let mut all: Vec<String> = Vec::new();
    for g in &p.groups {
        if let Some(q) = group_tsquery(g) {
            all.push(q.clone());
            if p.any || g.optional {
                any.push(q);
            } else {
                must.push(q);
            }
        }
    }
    if p.any && !any.is_empty() {
        must.push(format!("({})", any.join(" | ")));
    }
    for t in &p.tags {
        let mut s = String::new();
        quote(&tag_lexeme(t), &mut s);
        must.push(s);
    }
    for g in &p.exclude {
        if let Some(q) = group_tsquery(g) {
            must.push(format!("!{q}"));
        }
    }
    let matches = (!must.is_empty()).then(|| must.join(" & "));
    let rank = (!all.is_empty()).then(|| all.join(" | "));
    (matches, rank)
}

/// A number from the settings, safe to write into SQL.
fn num(v: f64, default: f64) -> String {
    format!("{:.6}", if v.is_finite() { v } else { default })
}

impl Postgres {
    pub fn new(store: Store) -> Postgres {
        Postgres { store }
    }

    pub async fn num_docs(&self) -> Result<u64, SearchError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM search_docs")
            .fetch_one(self.store.reader())
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }

    pub async fn clear(&self) -> Result<(), SearchError> {
        let mut tx = self.store.begin().await?;
        sqlx::query("DELETE FROM search_docs")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn apply(&self, docs: &[Doc], remove: &[i64]) -> Result<(), SearchError> {
        // Analysis is CPU work: keep it off the async threads.
        let owned: Vec<Doc> = docs.to_vec();
        let vectors = tokio::task::spawn_blocking(move || {
            owned.iter().map(tsvector).collect::<Vec<String>>()
        })
        .await
        .map_err(|e| SearchError::Other(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        if !remove.is_empty() {
            let list = remove
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(&format!(
                "DELETE FROM search_docs WHERE post_id IN ({list})"
            ))
            .execute(&mut *tx)
            .await?;
        }
        for (chunk, vecs) in docs.chunks(BATCH).zip(vectors.chunks(BATCH)) {
            let mut sql = String::from(
                "INSERT INTO search_docs (post_id, kind, question_id, author_id, score, answers, accepted, closed, created_at, tsv) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 10;
                if i > 0 {
                    sql.push(',');
                }
                let _ = write!(
                    sql,
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, CAST(${} AS tsvector))",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10
                );
            }
            sql.push_str(
                " ON CONFLICT (post_id) DO UPDATE SET kind = excluded.kind, question_id = excluded.question_id, \
                 author_id = excluded.author_id, score = excluded.score, answers = excluded.answers, \
                 accepted = excluded.accepted, closed = excluded.closed, created_at = excluded.created_at, tsv = excluded.tsv",
            );
            let mut q = sqlx::query(&sql);
            for (d, v) in chunk.iter().zip(vecs) {
                q = q
                    .bind(d.id)
                    .bind(d.kind)
                    .bind(d.question_id)
                    .bind(d.author_id)
                    .bind(d.score)
                    .bind(d.answers)
                    .bind(i64::from(d.accepted))
                    .bind(i64::from(d.closed))
                    .bind(d.created_at)
                    .bind(v.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn search(&self, p: &Plan, rules: &SearchRules) -> Result<Found, SearchError> {
        if p.impossible || p.limit == 0 {
            return Ok(Found::default());
        }
        let d = SearchRules::default();
        let (matches, rank) = tsqueries(p);
        let mut wh: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(m) = matches {
            binds.push(m);
            wh.push(format!("d.tsv @@ CAST(${} AS tsquery)", binds.len()));
        }
        let relevance = match rank {
            Some(r) if p.has_text() => {
                binds.push(r);
                // Weights are {D, C, B, A}: body, unused, tags, title.
                format!(
                    "ts_rank('{{{}, 0, {}, 1}}', d.tsv, CAST(${} AS tsquery), 1)",
                    num(1.0 / rules.title_boost.max(0.01), 1.0 / d.title_boost),
                    num(
                        rules.tag_boost / rules.title_boost.max(0.01),
                        d.tag_boost / d.title_boost
                    ),
                    binds.len()
                )
            }
            _ => "1.0".to_string(),
        };
        // SearchRules::rank_multiplier, in SQL.
        let vw = num(rules.vote_weight, d.vote_weight);
        let multiplier = format!(
            "(CASE WHEN d.score >= 0 THEN 1 + {vw} * ln(1 + d.score) ELSE 1 / (1 + {vw} * ln(1 - d.score)) END) \
             * (CASE WHEN d.accepted = 1 THEN {ab} ELSE 1 END) \
             * ((1 - {rw}) + {rw} * power(2.0, -GREATEST({now} - d.created_at, 0) / 86400.0 / {hl}))",
            ab = num(rules.accepted_boost, d.accepted_boost),
            rw = num(rules.recency_weight.clamp(0.0, 1.0), d.recency_weight),
            now = p.now,
            hl = num(rules.recency_half_life_days.max(1.0), d.recency_half_life_days),
        );
        if let Some(a) = p.author {
            wh.push(format!("d.author_id = {a}"));
        }
        if let Some(k) = p.kind {
            wh.push(format!(
                "d.kind = {}",
                if k == Kind::Question { 1 } else { 2 }
            ));
        }
        if let Some(b) = p.accepted {
            wh.push(format!("d.accepted = {}", i64::from(b)));
        }
        if let Some(b) = p.closed {
            wh.push(format!("d.closed = {}", i64::from(b)));
        }
        let range = |col: &str, r: &Range, wh: &mut Vec<String>| {
            if let Some(v) = r.min {
                wh.push(format!("d.{col} >= {v}"));
            }
            if let Some(v) = r.max {
                wh.push(format!("d.{col} <= {v}"));
            }
        };
        if let Some(r) = &p.score {
            range("score", r, &mut wh);
        }
        if let Some(r) = &p.answers {
            range("answers", r, &mut wh);
        }
        if let Some(r) = &p.created {
            range("created_at", r, &mut wh);
        }
        let order = match p.sort {
            Sort::Relevance => "ranked DESC, d.post_id DESC",
            Sort::Newest => "d.created_at DESC, d.post_id DESC",
            Sort::Votes => "d.score DESC, ranked DESC, d.post_id DESC",
        };
        let where_sql = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let sql = format!(
            "SELECT d.post_id, ({relevance}) * {multiplier} AS ranked, COUNT(*) OVER () AS total
             FROM search_docs d {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
            p.limit, p.offset
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.store.reader()).await?;
        let mut total = 0u64;
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(r.try_get::<i64, _>("post_id")?);
            total = r.try_get::<i64, _>("total")? as u64;
        }
        if rows.is_empty() && p.offset > 0 {
            // Past the last page: count without a window.
            total = self.count(&where_sql, p).await?;
        }
        // Counted up to the same cap as the embedded engine, so both say
        // the same thing.
        let cap = (rules.max_counted as usize).max(p.offset + p.limit);
        Ok(Found {
            total: (total as usize).min(cap),
            more: total as usize > cap,
            ids,
        })
    }

    async fn count(&self, where_sql: &str, p: &Plan) -> Result<u64, SearchError> {
        let (matches, _) = tsqueries(p);
        let q = format!("SELECT COUNT(*) AS n FROM search_docs d {where_sql}");
        let mut query = sqlx::query(&q);
        if let Some(m) = matches {
            query = query.bind(m);
        }
        let n: i64 = query.fetch_one(self.store.reader()).await?.try_get("n")?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_quote_and_weight() {
        let d = Doc {
            id: 1,
            kind: 1,
            question_id: 1,
            author_id: 1,
            title: "Tom's pool".into(),
            text: "pool of 连接".into(),
            tags: vec!["c++".into()],
            score: 0,
            answers: 0,
            accepted: false,
            closed: false,
            created_at: 0,
        };
        let v = tsvector(&d);
        // Title 1–3 (A), tags from 5 (B), body from 7 (D).
        assert_eq!(
            v,
            "'c++':5B 'of':8D 'pool':3A,7D 's':2A 'tom':1A '连接':9D 't:c++' "
        );
        let g = Group {
            tokens: vec!["a'b".into(), "c".into()],
            phrase: true,
            tag: Some("x".into()),
            optional: false,
        };
        assert_eq!(group_tsquery(&g).unwrap(), "(('a''b' <-> 'c') | 't:x')");
    }
}
