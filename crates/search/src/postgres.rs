//! The engine for several app nodes on one PostgreSQL: full-text search in
//! the database over text guildhall segments itself. Documents are written
//! as `tsvector` literals and queries as `tsquery` literals, so PostgreSQL's
//! own parser never re-splits a token: both engines see the same tokens.

use crate::analyzer::{self, Tok};
use crate::plan::{Group, Plan, Sort};
use crate::query::{Kind, Range};
use crate::{Doc, Found, SearchError};
use guildhall_domain::search::{non_negative, SearchRules};
use guildhall_storage::Store;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// PostgreSQL keeps positions up to 16383 and 256 per lexeme.
const MAX_POSITION: u32 = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 255;
/// How many times `candidate_limit` newest posts the second window reads
/// when the first leaves a page short.
const WIDER_WINDOW: usize = 10;
/// Rows per INSERT when writing many documents.
const BATCH: usize = 100;
/// The advisory lock index writers take (any number, the same for all).
const TERMS_LOCK: i64 = 0x6775_696c_6468;

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

/// A tag's lexeme as a tsquery literal.
fn tag_query(tag: &str) -> String {
    let mut s = String::new();
    quote(&tag_lexeme(tag), &mut s);
    s
}

/// A document as PostgreSQL keeps it: the `tsvector` literal, and its
/// heads (table `search_heads`): each lexeme of its title and tags with
/// how strongly the post stands for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyzed {
    pub tsv: String,
    /// Pairs of consecutive words (a two-word phrase is one lookup).
    pub pairs: String,
    pub heads: Vec<Head>,
}

/// A lexeme of a post's title or tags, with what ranks the post for it
/// without reading the post: `ts_rank` of a query of that lexeme alone
/// depends only on its positions and on how many positions its column
/// holds (see [`head_rank_sql`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub term: String,
    /// Orders the candidates a word's heads give (see [`impact`]).
    pub impact: f32,
    /// The lexeme alone with its positions, as a `tsvector` literal.
    pub positions: String,
    /// How many positions its column holds (a lexeme without any counts
    /// one), as `ts_rank` measures a document's length.
    pub length: i32,
}

/// The `tsvector` literal of a document: title tokens weighted A, tag
/// names B, body D; positions continue across the parts with a gap, so a
/// phrase never spans title and body.
pub fn tsvector(d: &Doc) -> String {
    analyze(d).tsv
}

/// A post's impact for one of its lexemes: the occurrences weighted by
/// field as `ts_rank` weighs them (title 1, tags and body relative to the
/// title by the default boosts), with diminishing returns (the k-th
/// counts 1/k²), times the post's standing (votes, acceptance). It orders
/// candidates only; the ranking itself is computed with the rules in
/// force when a query runs.
fn impact(positions: &[(u32, char)], standing: f64) -> f32 {
    let r = SearchRules::default();
    let mut ws: Vec<f64> = positions
        .iter()
        .map(|(_, w)| field_weight(&r, *w))
        .collect();
    ws.sort_by(|a, b| b.total_cmp(a));
    let sum: f64 = ws
        .iter()
        .enumerate()
        .map(|(k, w)| w / ((k + 1) * (k + 1)) as f64)
        .sum();
    (sum * standing) as f32
}

/// How much an occurrence counts by its field's tsvector weight, as
/// `ts_rank` is told: title (A) 1, tag names (B) and body (D) relative to
/// the title by the rules' boosts.
fn field_weight(r: &SearchRules, weight: char) -> f64 {
    let title = r.title_boost.max(0.01);
    match weight {
        'A' => 1.0,
        'B' => r.tag_boost / title,
        _ => 1.0 / title,
    }
}

type Lexemes = BTreeMap<String, Vec<(u32, char)>>;

/// Adds a field's tokens to `lexemes` from position `base`; returns the
/// position after the field and a gap, so no phrase spans two fields.
fn add_field(lexemes: &mut Lexemes, toks: Vec<Tok>, weight: char, base: u32) -> u32 {
    let mut last = 0;
    for t in toks {
        let pos = (base + t.position).min(MAX_POSITION);
        last = last.max(t.position);
        let e = lexemes.entry(t.text).or_default();
        // PostgreSQL keeps a position once (several clamp to the last);
        // the heads' lengths count positions as it keeps them.
        if e.len() < MAX_POSITIONS_PER_LEXEME && e.last().is_none_or(|(p, _)| *p != pos) {
            e.push((pos, weight));
        }
    }
    (base + last + 2).min(MAX_POSITION)
}

/// Writes a lexeme with its positions to a `tsvector` literal.
fn write_lexeme(lex: &str, positions: &[(u32, char)], out: &mut String) {
    quote(lex, out);
    for (i, (p, w)) in positions.iter().enumerate() {
        out.push(if i == 0 { ':' } else { ',' });
        let _ = write!(out, "{p}{w}");
    }
    out.push(' ');
}

/// A lexeme with its positions as a `tsvector` of its own (a head's).
fn lexeme_alone(lex: &str, positions: &[(u32, char)]) -> String {
    let mut alone = String::new();
    write_lexeme(lex, positions, &mut alone);
    alone
}

/// Writes `lexemes` as a `tsvector` literal, and the heads of those that
/// occur outside the body. `extra` lexemes without positions follow in the
/// same column (the tags' own), counted in its length.
fn write_lexemes(
    lexemes: &Lexemes,
    extra: usize,
    standing: f64,
    out: &mut String,
    heads: &mut Vec<Head>,
) -> i32 {
    let positions: usize = lexemes.values().map(|p| p.len().max(1)).sum();
    let length = i32::try_from(positions + extra).unwrap_or(i32::MAX);
    for (lex, positions) in lexemes {
        write_lexeme(lex, positions, out);
        if positions.iter().any(|(_, w)| *w != 'D') {
            heads.push(Head {
                term: lex.clone(),
                impact: impact(positions, standing),
                positions: lexeme_alone(lex, positions),
                length,
            });
        }
    }
    length
}

pub fn analyze(d: &Doc) -> Analyzed {
    let mut a = analyzer::analyzer();
    let title = analyzer::tokens(&mut a, &d.title);
    let body = analyzer::tokens(&mut a, &d.text);
    let (title_pairs, body_pairs) = (pairs(&title), pairs(&body));
    let (mut words, mut twos) = (Lexemes::new(), Lexemes::new());
    // Pairs sit at their first word's position, in a column of their own:
    // only phrase queries read them.
    add_field(&mut twos, title_pairs, 'A', 1);
    let base = add_field(&mut words, title, 'A', 1);
    let base = add_field(
        &mut words,
        analyzer::tokens(&mut a, &d.tags.join(" ")),
        'B',
        base,
    );
    add_field(&mut twos, body_pairs, 'D', base);
    add_field(&mut words, body, 'D', base);
    // Age plays no part: it changes by the hour, and the newest matches
    // are candidates of their own.
    let standing = SearchRules::default().rank_multiplier(d.score, d.accepted, 0);
    let (mut tsv, mut pairs_tsv, mut heads) = (String::new(), String::new(), Vec::new());
    let mut tags: Vec<String> = d.tags.iter().map(|t| tag_lexeme(t)).collect();
    tags.sort();
    tags.dedup();
    let length = write_lexemes(&words, tags.len(), standing, &mut tsv, &mut heads);
    write_lexemes(&twos, 0, standing, &mut pairs_tsv, &mut heads);
    for lex in tags {
        write_lexeme(&lex, &[], &mut tsv);
        heads.push(Head {
            // Weighed as one occurrence among the tag names.
            impact: impact(&[(0, 'B')], standing),
            positions: lexeme_alone(&lex, &[]),
            term: lex,
            length,
        });
    }
    Analyzed {
        tsv,
        pairs: pairs_tsv,
        heads,
    }
}

/// Consecutive words of a field (a dropped token leaves a gap in the
/// positions, which no pair bridges, as no phrase does).
fn pairs(tokens: &[Tok]) -> Vec<Tok> {
    tokens
        .windows(2)
        .filter(|w| w[1].position == w[0].position + 1)
        .map(|w| Tok {
            text: analyzer::pair(&w[0].text, &w[1].text),
            position: w[0].position,
            from: w[0].from,
            to: w[1].to,
        })
        .collect()
}

/// A PostgreSQL array literal of texts (`{"a","b"}`), for binding a whole
/// column of rows as one parameter.
fn text_array(items: impl Iterator<Item = impl AsRef<str>>, out: &mut String) {
    out.push('{');
    for (i, it) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in it.as_ref().chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                '\0' => {}
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

/// The lexemes whose heads give a query its candidates: every word of
/// every group (a phrase's pairs) and every tag; candidates are checked
/// against the whole query.
fn head_terms(p: &Plan) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for g in &p.groups {
        if is_phrase(g) {
            terms.extend(g.pairs());
        } else {
            terms.extend(g.tokens.iter().cloned());
        }
        terms.extend(g.tag.iter().map(|t| tag_lexeme(t)));
    }
    terms.extend(p.tags.iter().map(|t| tag_lexeme(t)));
    terms.sort();
    terms.dedup();
    terms
}

/// Whether a group is a phrase of several words, matched by its pairs.
fn is_phrase(g: &Group) -> bool {
    g.phrase && g.tokens.len() >= 2
}

/// `('a' <sep> 'b' …)`.
fn joined<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    let mut s = String::from("(");
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        quote(t.as_ref(), &mut s);
    }
    s.push(')');
    s
}

/// A group's query on the `tsv` column: its words, or its tag. A phrase of
/// several words has none (see [`phrase_sql`]).
fn group_tsquery(g: &Group) -> Option<String> {
    let mut parts = Vec::new();
    if !g.tokens.is_empty() && !is_phrase(g) {
        parts.push(joined(&g.tokens, " & "));
    }
    if let Some(tag) = &g.tag {
        parts.push(tag_query(tag));
    }
    (!parts.is_empty()).then(|| format!("({})", parts.join(" | ")))
}

/// How a match condition is written.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Form {
    /// `@@`: PostgreSQL may answer it from the GIN index.
    Index,
    /// `ts_match_vq(…)`: checked on rows already found, never through the
    /// index. For candidates: PostgreSQL misjudges how many posts have
    /// words that always come together (a Chinese compound jieba splits,
    /// 代码审查 → 代码 & 审查), and then fetched all of them (43,000
    /// posts, 90 ms) to join the few hundred candidates.
    Row,
}

/// Binds a tsquery literal and returns the condition on `column`.
fn bind_match(binds: &mut Vec<String>, column: &str, q: String, form: Form) -> String {
    binds.push(q);
    match form {
        Form::Index => format!("d.{column} @@ CAST(${} AS tsquery)", binds.len()),
        Form::Row => format!("ts_match_vq(d.{column}, CAST(${} AS tsquery))", binds.len()),
    }
}

/// How many posts hold each of some lexemes (`search_terms`): a lone
/// lexeme, the words of a conjunction, the pairs of long phrases' words.
type TermCounts = HashMap<String, i64>;

/// The condition for a phrase of several words: its pairs (one lookup
/// each, where `a <-> b` makes PostgreSQL read every post with both words
/// to check their positions), the words in order when there are more than
/// two (pairs alone could lie apart), or the group's tag. With the pairs'
/// counts, only the rarest pair is looked up: the order check implies the
/// others, and jieba's overlapping pieces make some pairs very common
/// (服务器 gives 服务, 务器, 服务器: 服务·务器 is in half of all posts).
fn phrase_sql(g: &Group, binds: &mut Vec<String>, form: Form, counts: &TermCounts) -> String {
    let mut pairs = g.pairs();
    if g.tokens.len() > 2 && pairs.iter().all(|t| counts.contains_key(t)) {
        if let Some(rarest) = pairs
            .iter()
            .min_by_key(|t| counts.get(*t).copied().unwrap_or(0))
            .cloned()
        {
            pairs = vec![rarest];
        }
    }
    let mut s = bind_match(binds, "pairs", joined(&pairs, " & "), form);
    if g.tokens.len() > 2 {
        // Checked on the posts the pairs found, never through the index:
        // the function form of `@@` is not indexable, and the index would
        // intersect the words' whole lists (seconds for common words).
        binds.push(joined(&g.tokens, " <-> "));
        s = format!(
            "{s} AND ts_match_vq(d.tsv, CAST(${} AS tsquery))",
            binds.len()
        );
    }
    match &g.tag {
        Some(tag) => format!(
            "(({s}) OR {})",
            bind_match(binds, "tsv", tag_query(tag), form)
        ),
        None => format!("({s})"),
    }
}

/// The condition that decides what matches, its tsquery literals bound to
/// `binds` (None when the text restricts nothing).
fn match_sql(p: &Plan, binds: &mut Vec<String>, form: Form, counts: &TermCounts) -> Option<String> {
    let (mut tsv_must, mut sql_must) = (Vec::new(), Vec::new());
    let (mut tsv_any, mut sql_any) = (Vec::new(), Vec::new());
    let any = p.any;
    for g in &p.groups {
        // Common words rank but do not restrict, unless any word will do.
        if g.optional && !any {
            continue;
        }
        if is_phrase(g) {
            let s = phrase_sql(g, binds, form, counts);
            if any {
                sql_any.push(s)
            } else {
                sql_must.push(s)
            }
        } else if let Some(q) = group_tsquery(g) {
            if any {
                tsv_any.push(q)
            } else {
                tsv_must.push(q)
            }
        }
    }
    tsv_must.extend(p.tags.iter().map(|t| tag_query(t)));
    for g in &p.exclude {
        if is_phrase(g) {
            sql_must.push(format!("NOT {}", phrase_sql(g, binds, form, counts)));
        } else if let Some(q) = group_tsquery(g) {
            tsv_must.push(format!("!{q}"));
        }
    }
    let mut conds = Vec::new();
    if !tsv_must.is_empty() {
        conds.push(bind_match(binds, "tsv", tsv_must.join(" & "), form));
    }
    conds.extend(sql_must);
    if !tsv_any.is_empty() {
        sql_any.push(bind_match(binds, "tsv", tsv_any.join(" | "), form));
    }
    if !sql_any.is_empty() {
        conds.push(format!("({})", sql_any.join(" OR ")));
    }
    (!conds.is_empty()).then(|| conds.join(" AND "))
}

/// The words of the phrases that every match holds (none when any group
/// will do), as one conjunction on `tsv`. A post holds a pair's two words
/// wherever it holds the pair (both come from the same tokens), and its
/// words are in the row where its pairs are stored apart: checked first on
/// rows read outside the index, they spare reading the pairs of most of
/// them (1,429 buffers for a window of 500 posts, 197 with the words).
fn phrase_words(p: &Plan) -> Option<String> {
    if p.any {
        return None;
    }
    let words: Vec<String> = p
        .groups
        .iter()
        .filter(|g| !g.optional && is_phrase(g) && g.tag.is_none())
        .map(|g| joined(&g.tokens, " & "))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// The rank queries (every group, optional ones included): on the words,
/// and on the pairs of the phrases.
fn rank_queries(p: &Plan) -> (Option<String>, Option<String>) {
    let words: Vec<String> = p.groups.iter().filter_map(group_tsquery).collect();
    let twos: Vec<String> = p
        .groups
        .iter()
        .filter(|g| is_phrase(g))
        .map(|g| joined(&g.pairs(), " & "))
        .collect();
    let or = |v: Vec<String>| (!v.is_empty()).then(|| v.join(" | "));
    (or(words), or(twos))
}

/// Deletes the rows of `table` for the posts `ids`, a thousand at a time.
async fn delete_posts(
    tx: &mut guildhall_storage::Tx<'static>,
    table: &str,
    ids: &[i64],
) -> Result<(), SearchError> {
    for chunk in ids.chunks(BATCH * 10) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(&format!("DELETE FROM {table} WHERE post_id IN ({list})"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A search statement with its tsquery literals bound. Not prepared for
/// reuse: a reused statement gets a generic plan after a few runs, one plan
/// for every word, and the best plan depends on how common a word is. An
/// unnamed statement is planned with its parameters. (`ids_prepared` keeps
/// the few whose plan does not depend on the words.)
fn bound<'q>(
    sql: &'q str,
    binds: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    binds
        .iter()
        .fold(sqlx::query(sql).persistent(false), |q, b| {
            q.bind(b.as_str())
        })
}

/// Adds (`sign` "") or takes away ("-") the lexemes (words and pairs) of the indexed posts
/// `ids` to or from their counts, in lexeme order (the order every writer
/// locks the rows in); returns how many lexemes' counts changed (0 when
/// none of the posts is indexed).
async fn count_terms(
    tx: &mut guildhall_storage::Tx<'static>,
    ids: &[i64],
    sign: &str,
) -> Result<u64, SearchError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let changed = sqlx::query(&format!(
        "INSERT INTO search_terms (term, docs) \
         SELECT t, {sign}COUNT(*) FROM search_docs d, unnest(tsvector_to_array(d.tsv || d.pairs)) t \
         WHERE d.post_id = ANY(CAST($1 AS BIGINT[])) GROUP BY t ORDER BY t \
         ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + excluded.docs"
    ))
    .bind(number_array(ids))
    .execute(&mut **tx)
    .await?;
    Ok(changed.rows_affected())
}

/// `{1,2,3}`: numbers as one array parameter.
fn number_array<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|n| n.to_string()).collect();
    format!("{{{}}}", items.join(","))
}

/// The one lexeme (a word, or the pair of a two-word phrase) a plan's
/// match comes down to, when nothing else restricts it: its count is then
/// a row of `search_terms`, and the posts whose titles hold it match.
fn lone_lexeme(p: &Plan) -> Option<String> {
    // As in `match_sql`: optional groups restrict only when any will do.
    let mut required = p.groups.iter().filter(|g| p.any || !g.optional);
    let g = required.next()?;
    if filtered(p) || !p.tags.is_empty() || required.next().is_some() || g.tag.is_some() {
        return None;
    }
    match g.tokens.as_slice() {
        [word] => Some(word.clone()),
        // A two-word phrase is one pair.
        [_, _] if g.phrase => g.pairs().into_iter().next(),
        _ => None,
    }
}

/// Whether anything but words and tags restricts a plan's matches.
fn filtered(p: &Plan) -> bool {
    !p.exclude.is_empty()
        || p.author.is_some()
        || p.kind.is_some()
        || p.accepted.is_some()
        || p.closed.is_some()
        || p.score.is_some()
        || p.answers.is_some()
        || p.created.is_some()
}

/// The lexemes a plan's match comes down to when it is several of them,
/// all required, and nothing else (words, the pieces of a word jieba
/// splits, tags): its matches are then read from `search_postings`.
fn conjunction(p: &Plan) -> Option<Vec<String>> {
    if p.any || filtered(p) {
        return None;
    }
    let mut terms: Vec<String> = Vec::new();
    for g in p.groups.iter().filter(|g| !g.optional) {
        if is_phrase(g) || g.tag.is_some() || g.tokens.is_empty() {
            return None;
        }
        terms.extend(g.tokens.iter().cloned());
    }
    terms.extend(p.tags.iter().map(|t| tag_lexeme(t)));
    terms.sort();
    terms.dedup();
    (terms.len() >= 2).then_some(terms)
}

/// The pairs of consecutive words of a conjunction that is one group's
/// words and nothing else (a word jieba splits, 持续集成 → 持续 & 集成):
/// a post holding a pair holds both its words, so a pair's count is a
/// lower bound of the conjunction's, and most often above the cap.
fn adjacent_pairs(p: &Plan) -> Vec<String> {
    let mut required = p.groups.iter().filter(|g| p.any || !g.optional);
    match (required.next(), required.next()) {
        (Some(g), None) if !p.any && p.tags.is_empty() && g.tag.is_none() && !g.phrase => g.pairs(),
        _ => Vec::new(),
    }
}

/// How many times longer than the rarest word's list another word's may
/// be for their postings to be merged.
const MERGE_RATIO: i64 = 16;

/// Whether the postings of `terms` are worth merging: no word's list more
/// than [`MERGE_RATIO`] times the rarest's (by `counts`). A merge reads a
/// much commoner word's list up to the rare word's last post (190,000
/// entries, 25 ms, for a tag of 5,500 posts and a word in most posts),
/// looking it up post by post took 8–14 ms, and the GIN index skips
/// through it (4–6 ms). Words of similar frequency merge in 1–5 ms where
/// the GIN index takes 6–26 ms.
fn merges_well(terms: &[String], counts: &TermCounts) -> bool {
    let docs = terms.iter().map(|t| counts.get(t).copied().unwrap_or(0));
    let (rarest, commonest) = docs.fold((i64::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
    commonest <= rarest.saturating_mul(MERGE_RATIO)
}

/// `SELECT p0.post_id …`: the posts holding every lexeme of `terms` (bound
/// to `binds`), a merge of their postings in post order, from the rarest
/// word's (by `counts`).
fn postings_sql(terms: &[String], binds: &mut Vec<String>, counts: &TermCounts) -> String {
    let mut terms: Vec<&String> = terms.iter().collect();
    terms.sort_by_key(|t| counts.get(*t).copied().unwrap_or(0));
    let mut from = String::from("search_postings p0");
    let mut first = 0;
    for (i, t) in terms.into_iter().enumerate() {
        binds.push(t.clone());
        let k = binds.len();
        if i == 0 {
            first = k;
        } else {
            let _ = write!(
                from,
                " JOIN search_postings p{i} ON p{i}.term = ${k} AND p{i}.post_id = p0.post_id"
            );
        }
    }
    format!("SELECT p0.post_id FROM {from} WHERE p0.term = ${first}")
}

/// Takes away (before a write) or adds (after it) the postings of the
/// indexed posts `ids`, from their words as `search_docs` holds them.
async fn write_postings(
    tx: &mut guildhall_storage::Tx<'static>,
    ids: &[i64],
    add: bool,
) -> Result<(), SearchError> {
    let words =
        "SELECT w AS term, d.post_id FROM search_docs d, unnest(tsvector_to_array(d.tsv)) w \
                 WHERE d.post_id = ANY(CAST($1 AS BIGINT[]))";
    let sql = if add {
        format!("INSERT INTO search_postings (term, post_id) {words}")
    } else {
        format!(
            "DELETE FROM search_postings p USING ({words}) x WHERE p.term = x.term AND p.post_id = x.post_id"
        )
    };
    sqlx::query(&sql)
        .bind(number_array(ids))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes the heads of `docs` (analysed as `an`), each column as one
/// array parameter.
async fn write_heads(
    tx: &mut guildhall_storage::Tx<'static>,
    docs: &[Doc],
    an: &[Analyzed],
) -> Result<(), SearchError> {
    let rows: Vec<(&Doc, &Head)> = docs
        .iter()
        .zip(an)
        .flat_map(|(d, a)| a.heads.iter().map(move |h| (d, h)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let (mut terms, mut positions) = (String::new(), String::new());
    text_array(rows.iter().map(|(_, h)| &h.term), &mut terms);
    text_array(rows.iter().map(|(_, h)| &h.positions), &mut positions);
    sqlx::query(
        "INSERT INTO search_heads (post_id, term, impact, positions, length, score, accepted, created_at) \
         SELECT h.post_id, h.term, h.impact, CAST(h.positions AS tsvector), h.length, h.score, h.accepted, h.created_at \
         FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS REAL[]), CAST($4 AS TEXT[]), \
                     CAST($5 AS INTEGER[]), CAST($6 AS BIGINT[]), CAST($7 AS BIGINT[]), CAST($8 AS BIGINT[])) \
              AS h(post_id, term, impact, positions, length, score, accepted, created_at) \
         ON CONFLICT (post_id, term) DO UPDATE SET impact = excluded.impact, positions = excluded.positions, \
         length = excluded.length, score = excluded.score, accepted = excluded.accepted, created_at = excluded.created_at",
    )
    .bind(number_array(rows.iter().map(|(d, _)| d.id)))
    .bind(terms)
    .bind(number_array(rows.iter().map(|(_, h)| {
        if h.impact.is_finite() {
            h.impact
        } else {
            0.0
        }
    })))
    .bind(positions)
    .bind(number_array(rows.iter().map(|(_, h)| h.length)))
    .bind(number_array(rows.iter().map(|(d, _)| d.score)))
    .bind(number_array(rows.iter().map(|(d, _)| i64::from(d.accepted))))
    .bind(number_array(rows.iter().map(|(d, _)| d.created_at)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A head's rank for `query`, a tsquery of its lexeme alone, with
/// `weights`: what `ts_rank(weights, column, query, 1)` gives for its post.
/// For a query of one lexeme, `ts_rank` adds up that lexeme's positions
/// by their weights (so its positions alone give the same sum) and
/// divides by log2(1 + the column's positions) in double precision,
/// rounding the quotient to `real`, as done here.
fn head_rank_sql(weights: &str, query: &str) -> String {
    format!(
        "CAST(CAST(ts_rank({weights}, h.positions, {query}, 0) AS DOUBLE PRECISION) / {HEAD_LOG_LENGTH} AS REAL)"
    )
}

/// log2(1 + a head's column's length), in double precision: what
/// `ts_rank`'s normalization 1 divides by.
const HEAD_LOG_LENGTH: &str =
    "(ln(CAST(h.length + 1 AS DOUBLE PRECISION)) / ln(CAST(2 AS DOUBLE PRECISION)))";

/// How many pages' worth of a conjunction's candidates, best bound first,
/// are ranked exactly before the rest are ruled out by their bounds. On
/// the bench database, nine Chinese words jieba splits had 600–1,000
/// candidates each, and all bounds above the 20th best rank were among the
/// first 22–133 (posts with one of the words in the title and not the
/// other bound high and do not match).
const BOUNDED_PAGES: usize = 10;

/// The column whose rank is `ts_rank` of a conjunction of two lexemes or
/// more (a word jieba splits, 持续集成 → 持续 & 集成; a phrase's pairs),
/// when every head a query reads is in that column (so its length is the
/// one `ts_rank` divides by).
fn ranked_conjunction(p: &Plan) -> Option<&'static str> {
    let words: Vec<&Group> = p
        .groups
        .iter()
        .filter(|g| group_tsquery(g).is_some())
        .collect();
    let phrases: Vec<&Group> = p.groups.iter().filter(|g| is_phrase(g)).collect();
    let distinct = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v.len()
    };
    match (words.as_slice(), phrases.as_slice()) {
        ([g], []) if g.tag.is_none() && distinct(g.tokens.clone()) >= 2 => Some("tsv"),
        ([], [g]) if p.tags.is_empty() && distinct(g.pairs()) >= 2 => Some("pairs"),
        _ => None,
    }
}

/// An upper bound of a head's post's `ts_rank` (normalization 1) for a
/// conjunction of several lexemes in the head's column: PostgreSQL ranks a
/// conjunction by its words' nearness, a sum that stays below 1 with
/// weights of at most 1 (see `rank_weights`), and divides it by log2(1 +
/// the column's positions). Above 1 by a margin for `real` rounding.
fn bound_sql() -> String {
    format!("CAST(1.0001 AS DOUBLE PRECISION) / {HEAD_LOG_LENGTH}")
}

/// Whether a bounded ranking's page (its rows' `ranked`, best first) is
/// the page every candidate ranked would give: all of them were ranked
/// (`cut`, at least the best bound among those that were not, is None),
/// or the page is full and its last rank is above every bound left out.
/// No row says nothing of what was left out.
fn within_bound(ranked: &[f64], cut: Option<f64>, limit: usize) -> bool {
    match (ranked.last(), cut) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(&last), Some(cut)) => ranked.len() >= limit && last > cut,
    }
}

/// Whether `sql` refers to each of the parameters `$1` to `$n`.
fn refers_to_all(sql: &str, n: usize) -> bool {
    (1..=n).all(|k| {
        let p = format!("${k}");
        sql.match_indices(&p).any(|(i, _)| {
            !sql[i + p.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    })
}

/// The `post_id` of each row.
fn post_ids(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<i64>, SearchError> {
    Ok(rows
        .iter()
        .map(|r| r.try_get::<i64, _>("post_id"))
        .collect::<Result<Vec<_>, _>>()?)
}

/// `WHERE a AND b …`, or nothing without conditions.
fn where_clause<'a>(conds: impl Iterator<Item = &'a String>) -> String {
    let conds: Vec<&str> = conds.map(String::as_str).collect();
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

/// `ts_rank`'s weights by the rules, {D, C, B, A}: body, unused, tags,
/// title. `ts_rank` refuses a weight above 1, so all three are divided by
/// the largest: tags boosted above titles scale every rank alike instead
/// of failing every query.
fn rank_weights(rules: &SearchRules) -> String {
    let d = SearchRules::default();
    let weight = |w: char| non_negative(field_weight(rules, w), field_weight(&d, w));
    let (body, tags, title) = (weight('D'), weight('B'), weight('A'));
    let top = body.max(tags).max(title);
    let scaled = |v: f64| num(if top > 1.0 { v / top } else { v }, 0.0);
    format!(
        "'{{{}, 0, {}, {}}}'",
        scaled(body),
        scaled(tags),
        scaled(title)
    )
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
        // A rebuild's table of every (word, post): emptied at once.
        sqlx::query("TRUNCATE search_postings")
            .execute(&mut *tx)
            .await?;
        for table in ["search_heads", "search_terms", "search_docs"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Empties the tables for a rebuild and sets their secondary indexes
    /// aside (the GIN index and the heads' ranking index are built once at
    /// the end, sorted, instead of row by row; a rebuild killed half-way
    /// gets them back at the next start, see `restore_indexes`).
    pub async fn begin_rebuild(&self) -> Result<(), SearchError> {
        self.clear().await?;
        self.store
            .defer_indexes(&["search_docs", "search_heads", "search_postings"])
            .await?;
        Ok(())
    }

    /// Builds the indexes set aside, refreshes the planner's statistics,
    /// which decide between reading an index and walking the newest posts,
    /// and marks the tables' pages all-visible: the heads and postings are
    /// read by index-only scans, which otherwise visit the table for every
    /// row until autovacuum has been through tens of millions of rows.
    pub async fn end_rebuild(&self) -> Result<(), SearchError> {
        self.store.restore_indexes().await?;
        self.store
            .vacuum_analyze(&["search_docs", "search_heads", "search_postings"])
            .await?;
        Ok(())
    }

    pub async fn apply(&self, docs: &[Doc], remove: &[i64]) -> Result<(), SearchError> {
        // Analysis is CPU work: keep it off the async threads.
        let owned: Vec<Doc> = docs.to_vec();
        let analyzed = tokio::task::spawn_blocking(move || {
            owned.iter().map(analyze).collect::<Vec<Analyzed>>()
        })
        .await
        .map_err(|e| SearchError::Other(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        // One index writer at a time, across app nodes: the term counts
        // change by what each writer reads of the documents it replaces.
        sqlx::query("SELECT pg_advisory_xact_lock(CAST($1 AS BIGINT))")
            .bind(TERMS_LOCK)
            .execute(&mut *tx)
            .await?;
        let gone: Vec<i64> = remove
            .iter()
            .copied()
            .chain(docs.iter().map(|d| d.id))
            .collect();
        // Postings only of posts indexed before: none during a rebuild,
        // when the table has no index to find them by.
        if count_terms(&mut tx, &gone, "-").await? > 0 {
            write_postings(&mut tx, &gone, false).await?;
        }
        // Heads of every post written or removed go; the posts written
        // get theirs again below.
        delete_posts(&mut tx, "search_heads", &gone).await?;
        delete_posts(&mut tx, "search_docs", remove).await?;
        for (chunk, an) in docs.chunks(BATCH).zip(analyzed.chunks(BATCH)) {
            let mut sql = String::from(
                "INSERT INTO search_docs (post_id, kind, question_id, author_id, score, answers, accepted, closed, created_at, tsv, pairs) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 11;
                if i > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for k in 1..=9 {
                    let _ = write!(sql, "${}, ", b + k);
                }
                let _ = write!(
                    sql,
                    "CAST(${} AS tsvector), CAST(${} AS tsvector))",
                    b + 10,
                    b + 11
                );
            }
            sql.push_str(
                " ON CONFLICT (post_id) DO UPDATE SET kind = excluded.kind, question_id = excluded.question_id, \
                 author_id = excluded.author_id, score = excluded.score, answers = excluded.answers, \
                 accepted = excluded.accepted, closed = excluded.closed, created_at = excluded.created_at, tsv = excluded.tsv, \
                 pairs = excluded.pairs",
            );
            let mut q = sqlx::query(&sql);
            for (d, a) in chunk.iter().zip(an) {
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
                    .bind(a.tsv.clone())
                    .bind(a.pairs.clone());
            }
            q.execute(&mut *tx).await?;
            write_heads(&mut tx, chunk, an).await?;
        }
        let written: Vec<i64> = docs.iter().map(|d| d.id).collect();
        count_terms(&mut tx, &written, "").await?;
        write_postings(&mut tx, &written, true).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many lexemes' cached counts (`search_terms`) differ from the
    /// documents, plus how many rows of `search_postings` are missing,
    /// extra or there twice, plus how many heads rank their post otherwise
    /// than the post does or hold another standing: 0 unless a cache is
    /// broken.
    pub async fn term_count_drift(&self) -> Result<u64, SearchError> {
        // The postings: rows missing on either side, and rows twice over.
        let postings: i64 = sqlx::query(
            "WITH w AS (SELECT x AS term, d.post_id FROM search_docs d, unnest(tsvector_to_array(d.tsv)) x) \
             SELECT (SELECT COUNT(*) FROM w FULL JOIN search_postings p ON p.term = w.term AND p.post_id = w.post_id \
                     WHERE w.term IS NULL OR p.term IS NULL) \
                  + abs((SELECT COUNT(*) FROM w) - (SELECT COUNT(*) FROM search_postings)) AS n",
        )
        .fetch_one(self.store.reader())
        .await?
        .try_get("n")?;
        // The heads' ranking inputs: each gives its post's rank as the post
        // itself does, and the post's standing as it is.
        let query =
            r"CAST('''' || replace(replace(h.term, '\', '\\'), '''', '''''') || '''' AS tsquery)";
        let weights = rank_weights(&SearchRules::default());
        let heads: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM search_heads h LEFT JOIN search_docs d ON d.post_id = h.post_id \
             WHERE d.post_id IS NULL OR h.score <> d.score OR h.accepted <> d.accepted OR h.created_at <> d.created_at \
             OR {} <> ts_rank({weights}, CASE WHEN strpos(h.term, chr(31)) > 0 THEN d.pairs ELSE d.tsv END, {query}, 1)",
            head_rank_sql(&weights, query)
        ))
        .fetch_one(self.store.reader())
        .await?
        .try_get("n")?;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT word, CAST(ndoc AS BIGINT) AS ndoc FROM ts_stat('SELECT tsv || pairs FROM search_docs')) s \
             FULL JOIN (SELECT term, docs FROM search_terms WHERE docs <> 0) c ON c.term = s.word \
             WHERE c.docs IS DISTINCT FROM s.ndoc",
        )
        .fetch_one(self.store.reader())
        .await?
        .try_get("n")?;
        Ok((n + postings + heads) as u64)
    }

    pub async fn search(&self, p: &Plan, rules: &SearchRules) -> Result<Found, SearchError> {
        if p.matches_nothing() || p.limit == 0 {
            return Ok(Found::default());
        }
        let d = SearchRules::default();
        // Conditions beside the words' match (its index form is `matched`).
        let mut filters: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let lone = lone_lexeme(p);
        let conj = conjunction(p);
        let adjacent = conj.as_ref().map(|_| adjacent_pairs(p)).unwrap_or_default();
        let counts = self
            .term_counts(p, lone.iter().chain(conj.iter().flatten()).chain(&adjacent))
            .await?;
        let conj = conj.filter(|terms| merges_well(terms, &counts));
        let matched = match_sql(p, &mut binds, Form::Index, &counts);
        // The count and the newest-first page bind only the match.
        let match_binds = binds.len();
        let weights = rank_weights(rules);
        let (words, twos) = rank_queries(p);
        let mut ranks = Vec::new();
        // The bound rank query of the one column ranked, if one is.
        let mut rank_bind = None;
        for (column, q) in [("tsv", words), ("pairs", twos)] {
            if let Some(q) = q.filter(|_| p.has_text()) {
                binds.push(q);
                rank_bind = Some(binds.len());
                ranks.push(format!(
                    "ts_rank({weights}, d.{column}, CAST(${} AS tsquery), 1)",
                    binds.len()
                ));
            }
        }
        // One lexeme and nothing else: its heads hold it and carry what
        // ranks them (see `head_rank_sql`), and every source reads the
        // ranking inputs with the post, so no candidate is looked up again.
        let alone = match rank_bind {
            Some(k) if lone.is_some() && p.groups.len() == 1 && ranks.len() == 1 => Some(k),
            _ => None,
        };
        let relevance = if ranks.is_empty() {
            "1.0".to_string()
        } else {
            ranks.join(" + ")
        };
        // SearchRules::rank_multiplier, in SQL, in double precision: the
        // same with NUMERIC constants (a plain `0.25`) computed `power` in
        // decimal arithmetic and took half of a word query's time.
        let float = |v: f64, default: f64| format!("CAST({} AS DOUBLE PRECISION)", num(v, default));
        let vw = float(rules.vote_weight, d.vote_weight);
        // The time is bound, so the statement's text stays the same from
        // one second to the next (see the prepared ranking below).
        binds.push(p.now.to_string());
        let now = format!("CAST(${} AS BIGINT)", binds.len());
        let multiplier = format!(
            "(CASE WHEN d.score >= 0 THEN 1 + {vw} * ln(1 + d.score) ELSE 1 / (1 + {vw} * ln(1 - d.score)) END) \
             * (CASE WHEN d.accepted = 1 THEN {ab} ELSE 1 END) \
             * ((1 - {rw}) + {rw} * power(CAST(2 AS DOUBLE PRECISION), CAST(LEAST(d.created_at - {now}, 0) AS DOUBLE PRECISION) / {hl}))",
            ab = float(rules.accepted_boost, d.accepted_boost),
            rw = float(rules.recency_weight.clamp(0.0, 1.0), d.recency_weight),
            hl = float(
                86_400.0 * rules.recency_half_life_days.max(1.0),
                86_400.0 * d.recency_half_life_days
            ),
        );
        if let Some(a) = p.author {
            filters.push(format!("d.author_id = {a}"));
        }
        if let Some(k) = p.kind {
            filters.push(format!(
                "d.kind = {}",
                if k == Kind::Question { 1 } else { 2 }
            ));
        }
        if let Some(b) = p.accepted {
            filters.push(format!("d.accepted = {}", i64::from(b)));
        }
        if let Some(b) = p.closed {
            filters.push(format!("d.closed = {}", i64::from(b)));
        }
        let range = |col: &str, r: &Range, filters: &mut Vec<String>| {
            if let Some(v) = r.min {
                filters.push(format!("d.{col} >= {v}"));
            }
            if let Some(v) = r.max {
                filters.push(format!("d.{col} <= {v}"));
            }
        };
        if let Some(r) = &p.score {
            range("score", r, &mut filters);
        }
        if let Some(r) = &p.answers {
            range("answers", r, &mut filters);
        }
        if let Some(r) = &p.created {
            range("created_at", r, &mut filters);
        }
        // Cheapest first, as PostgreSQL keeps the written order of
        // conditions of equal cost where it checks rows one by one: the
        // filters (a column each), then the match.
        let where_sql = where_clause(filters.iter().chain(&matched));
        // Counted first, up to the same cap as the embedded engine (so both
        // say the same thing) and never further: counting every match of a
        // common word reads most of the table. The count also decides how
        // the page is found.
        let cap = (rules.max_counted as usize).max(p.offset + p.limit);
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM search_docs d {where_sql} LIMIT {}) x",
            cap + 1
        );
        let total = match &lone {
            Some(term) => counts.get(term).copied().unwrap_or(0).max(0) as usize,
            None => match &conj {
                // Posts with a pair of the words side by side hold both:
                // as many as the cap, and the count is known.
                Some(_)
                    if adjacent
                        .iter()
                        .any(|t| counts.get(t).is_some_and(|&n| n as usize > cap)) =>
                {
                    cap + 1
                }
                Some(terms) => {
                    let mut b = Vec::new();
                    let sql = format!(
                        "SELECT COUNT(*) AS n FROM ({} LIMIT {}) x",
                        postings_sql(terms, &mut b, &counts),
                        cap + 1
                    );
                    bound(&sql, &b)
                        .fetch_one(self.store.reader())
                        .await?
                        .try_get::<i64, _>("n")? as usize
                }
                None => bound(&count_sql, &binds[..match_binds])
                    .fetch_one(self.store.reader())
                    .await?
                    .try_get::<i64, _>("n")? as usize,
            },
        };
        let found = |ids: Vec<i64>| Found {
            total: total.min(cap),
            more: total > cap,
            ids,
        };
        if total <= p.offset {
            return Ok(found(Vec::new()));
        }
        let page = format!("LIMIT {} OFFSET {}", p.limit, p.offset);
        if p.sort == Sort::Newest {
            // No ranking: only the match query is bound.
            binds.truncate(match_binds);
            let sql = format!(
                "SELECT d.post_id FROM search_docs d {where_sql} \
                 ORDER BY d.created_at DESC, d.post_id DESC {page}"
            );
            return Ok(found(self.ids(&sql, &binds).await?));
        }
        let order = if p.sort == Sort::Votes {
            "d.score DESC, ranked DESC, d.post_id DESC"
        } else {
            "ranked DESC, d.post_id DESC"
        };
        let n = (rules.candidate_limit as usize).max(p.offset + p.limit);
        // Few matches: rank them all.
        if total <= n {
            // (The postings bounded by the count, so that PostgreSQL
            // looks each match up rather than reading search_docs whole.)
            let matches = match &conj {
                Some(terms) => format!(
                    "({} LIMIT {}) m JOIN search_docs d ON d.post_id = m.post_id",
                    postings_sql(terms, &mut binds, &counts),
                    total
                ),
                None => format!("search_docs d {where_sql}"),
            };
            let sql = format!(
                "SELECT d.post_id, ({relevance}) * {multiplier} AS ranked \
                 FROM {matches} ORDER BY {order} {page}"
            );
            return Ok(found(self.ids(&sql, &binds).await?));
        }
        // Many: rank candidates, each source bounded by `n` rows read
        // whatever the words: each word's strongest posts (heads), the
        // matches among the newest posts, and among the best-voted when
        // votes order or nothing else ranks. (Asking PostgreSQL for "the n
        // newest matches" instead reads every match when it underestimates
        // how many there are, as it does for words that always come
        // together.)
        // What each source gives: the post, and with one lexeme alone
        // what ranks it.
        // (A window's posts are ranked where they are read; a head gives
        // `r` and the post's standing.)
        let ranked_cols = format!("d.post_id, {relevance} AS r, d.score, d.accepted, d.created_at");
        let head_ranked =
            |r: String| format!("h.post_id, {r} AS r, h.score, h.accepted, h.created_at");
        let (cols, head_cols) = match alone {
            Some(k) => (
                ranked_cols.clone(),
                head_ranked(head_rank_sql(&weights, &format!("CAST(${k} AS tsquery)"))),
            ),
            None => ("d.post_id".to_string(), "h.post_id".to_string()),
        };
        // Rows read outside the index, cheapest first too: the filters, a
        // phrase's words (in the row, see `phrase_words`), then the match.
        let words_first = phrase_words(p).map(|q| {
            binds.push(q);
            format!("ts_match_vq(d.tsv, CAST(${} AS tsquery))", binds.len())
        });
        let window_where = where_clause(filters.iter().chain(&words_first).chain(&matched));
        let window = |cols: &str, col: &str, rows: usize| {
            format!(
                "(SELECT {cols} FROM (SELECT * FROM search_docs ORDER BY {col} DESC LIMIT {rows}) d {window_where})"
            )
        };
        let mut sources = vec![window(&cols, "created_at", n)];
        if p.sort == Sort::Votes || !p.has_text() {
            sources.push(window(&cols, "score", n));
        }
        // A conjunction ranked by relevance: the same sources, each with
        // what bounds its posts' ranks (see `bound_sql`).
        let bounded = ranked_conjunction(p).is_some()
            && p.sort == Sort::Relevance
            && alone.is_none()
            && ranks.len() == 1;
        // Its first source is set for each attempt below.
        let mut bounded_sources = vec![String::new()];
        for term in head_terms(p) {
            binds.push(term);
            let head = |cols: &str| {
                format!(
                    "(SELECT {cols} FROM search_heads h WHERE h.term = ${} ORDER BY h.impact DESC, h.created_at DESC, h.post_id DESC LIMIT {n})",
                    binds.len()
                )
            };
            sources.push(head(&head_cols));
            if bounded {
                bounded_sources.push(head(&head_ranked(bound_sql())));
            }
        }
        // Candidates from heads are checked against the whole query here.
        // Not when the query is one lexeme and nothing else: its heads
        // hold it, and the other sources apply the whole condition. (A
        // common word beside it has heads too, which need the check.)
        let recheck = if lone.is_some() && p.groups.len() == 1 {
            String::new()
        } else {
            // The same conditions, the match in its row form.
            let row_match = match_sql(p, &mut binds, Form::Row, &counts);
            where_clause(filters.iter().chain(&words_first).chain(&row_match))
        };
        let ranked = |sources: &[String]| {
            match alone {
            // A post from two sources has the same inputs twice.
            Some(_) => format!(
                "WITH c AS ({}) SELECT d.post_id, max(d.r) * {multiplier} AS ranked \
                 FROM c d GROUP BY d.post_id, d.score, d.accepted, d.created_at ORDER BY {order} {page}",
                sources.join(" UNION ALL ")
            ),
            None => format!(
                "WITH c AS ({}) SELECT d.post_id, ({relevance}) * {multiplier} AS ranked \
                 FROM c JOIN search_docs d ON d.post_id = c.post_id {recheck} ORDER BY {order} {page}",
                sources.join(" UNION ")
            ),
        }
        };
        // A conjunction's candidates ranked exactly only as far as their
        // bounds reach (the window's matches are ranked where they are
        // read: their bound is their rank). The first k + 1 by bound are
        // ranked, and the last one's bound stands for those left out (it is
        // at least theirs): one sort of the candidates, not two.
        let k = BOUNDED_PAGES * (p.offset + p.limit);
        let bounded_sql = |sources: &[String]| {
            format!(
                "WITH c AS ({}), g AS (SELECT d.post_id, max(d.r * {multiplier}) AS b FROM c d GROUP BY d.post_id), \
                 t AS (SELECT post_id, b FROM g ORDER BY b DESC, post_id DESC LIMIT {k} + 1) \
                 SELECT d.post_id, ({relevance}) * {multiplier} AS ranked, \
                 (SELECT CASE WHEN count(*) > {k} THEN min(t.b) END FROM t) AS cut \
                 FROM t JOIN search_docs d ON d.post_id = t.post_id {recheck} ORDER BY ranked DESC, d.post_id DESC {page}",
                sources.join(" UNION ALL ")
            )
        };
        // The first source in turn, while too few candidates match (matches
        // that are old and not in a title, or a filter that leaves few): the
        // newest posts; a wider window of them, still a bounded read; the
        // newest matches, which PostgreSQL may find by reading every match
        // when it misjudges how many there are (words that always come
        // together). Its words are bound only if it is needed.
        let mut ids = Vec::new();
        for attempt in 0..3 {
            // The newest posts read, in the first two attempts.
            let newest = [n, n * WIDER_WINDOW].get(attempt).copied();
            sources[0] = match newest {
                Some(rows) => window(&cols, "created_at", rows),
                None => match &conj {
                    // The last matches in post order, a bounded read of postings.
                    Some(terms) => format!(
                        "({} ORDER BY p0.post_id DESC LIMIT {n})",
                        postings_sql(terms, &mut binds, &counts)
                    ),
                    None => format!(
                        "(SELECT {cols} FROM search_docs d {where_sql} ORDER BY d.created_at DESC LIMIT {n})"
                    ),
                },
            };
            let within = match newest {
                Some(rows) if bounded => {
                    bounded_sources[0] = window(&ranked_cols, "created_at", rows);
                    self.bounded_page(&bounded_sql(&bounded_sources), &binds, p.limit)
                        .await?
                }
                _ => None,
            };
            // With one lexeme alone, the windows and the heads are the same
            // plan whatever the word (index ranges, never the GIN index):
            // prepared once per connection, the statement is not planned
            // again for every query. Not the newest matches, whose best
            // plan depends on how common the word is. (Preparing the other
            // queries' windows too made no difference beyond noise.)
            ids = match within {
                Some(ids) => ids,
                None if newest.is_some() && alone.is_some() => {
                    self.ids_prepared(&ranked(&sources), &binds).await?
                }
                None => self.ids(&ranked(&sources), &binds).await?,
            };
            if ids.len() >= p.limit.min(total - p.offset) {
                break;
            }
        }
        Ok(found(ids))
    }

    /// The counts of `lexemes` and of the pairs of the plan's phrases of
    /// three words or more, in one statement (none when there are none).
    async fn term_counts<'a>(
        &self,
        p: &Plan,
        lexemes: impl Iterator<Item = &'a String>,
    ) -> Result<TermCounts, SearchError> {
        let terms: Vec<String> = p
            .groups
            .iter()
            .chain(&p.exclude)
            .filter(|g| is_phrase(g) && g.tokens.len() > 2)
            .flat_map(|g| g.pairs())
            .chain(lexemes.cloned())
            .collect();
        if terms.is_empty() {
            return Ok(TermCounts::new());
        }
        let mut list = String::new();
        text_array(terms.iter(), &mut list);
        let rows =
            sqlx::query("SELECT term, docs FROM search_terms WHERE term = ANY(CAST($1 AS TEXT[]))")
                .bind(list)
                .fetch_all(self.store.reader())
                .await?;
        let mut counts: TermCounts = terms.into_iter().map(|t| (t, 0)).collect();
        for r in rows {
            counts.insert(r.try_get("term")?, r.try_get("docs")?);
        }
        Ok(counts)
    }

    /// The page of a bounded ranking (rows `post_id`, `ranked` and `cut`),
    /// if it is the page every candidate ranked gives (see
    /// [`within_bound`]).
    async fn bounded_page(
        &self,
        sql: &str,
        binds: &[String],
        limit: usize,
    ) -> Result<Option<Vec<i64>>, SearchError> {
        let rows = bound(sql, binds).fetch_all(self.store.reader()).await?;
        let ranked = rows
            .iter()
            .map(|r| r.try_get::<f64, _>("ranked"))
            .collect::<Result<Vec<f64>, _>>()?;
        let cut = match rows.first() {
            Some(r) => r.try_get::<Option<f64>, _>("cut")?,
            None => None,
        };
        if within_bound(&ranked, cut, limit) {
            Ok(Some(post_ids(rows)?))
        } else {
            Ok(None)
        }
    }

    /// Runs a query whose rows have a `post_id`.
    async fn ids(&self, sql: &str, binds: &[String]) -> Result<Vec<i64>, SearchError> {
        post_ids(bound(sql, binds).fetch_all(self.store.reader()).await?)
    }

    /// [`Self::ids`] through a statement kept prepared on the connection.
    /// A prepared statement takes exactly the parameters it refers to
    /// (an unnamed one is told their types and takes any it does not):
    /// when some bind goes unused, the statement is not prepared.
    async fn ids_prepared(&self, sql: &str, binds: &[String]) -> Result<Vec<i64>, SearchError> {
        if !refers_to_all(sql, binds.len()) {
            return self.ids(sql, binds).await;
        }
        post_ids(
            bound(sql, binds)
                .persistent(true)
                .fetch_all(self.store.reader())
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title, a body sharing one word with it, and a tag.
    fn toms_pool() -> Doc {
        Doc {
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
        }
    }

    /// The plan of a query, where `ci` is a tag.
    fn plan_of(q: &str) -> Plan {
        let query = crate::query::parse(
            q,
            crate::query::Limits {
                max_terms: 32,
                max_tags: 5,
            },
        );
        let resolved = crate::plan::Resolved {
            tags: [("ci".to_string(), "ci".to_string())].into(),
            author: None,
        };
        crate::plan::plan(crate::plan::PlanInput {
            query: &query,
            resolved: &resolved,
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            now: 0,
        })
    }

    #[test]
    fn which_ranks_are_conjunctions() {
        let ranked = |q: &str| ranked_conjunction(&plan_of(q));
        // A word jieba splits: one group of two words, `a & b`.
        assert_eq!(ranked("持续集成"), Some("tsv"));
        // Required tags are heads in the same column.
        assert_eq!(ranked("持续集成 [ci]"), Some("tsv"));
        // A phrase of three words: the conjunction of its pairs.
        assert_eq!(ranked("\"rust async runtime\""), Some("pairs"));
        // Words apart rank as `a | b`, which is not bounded by 1; one
        // lexeme is ranked from its heads; a tag's heads are in the other
        // column than a phrase's pairs.
        assert_eq!(ranked("rust async"), None);
        assert_eq!(ranked("rust"), None);
        assert_eq!(ranked("\"rust async runtime\" [ci]"), None);
        assert_eq!(ranked("\"rust async\" tokio"), None);
    }

    #[test]
    fn a_phrase_s_words_are_checked_before_its_pairs() {
        let words = |q: &str| phrase_words(&plan_of(q));
        assert_eq!(
            words("\"rust async\"").as_deref(),
            Some("('rust' & 'async')")
        );
        assert_eq!(
            words("\"rust async runtime\" \"tokio io\" [ci] -mutex").as_deref(),
            Some("('rust' & 'async' & 'runtim') & ('tokio' & 'io')")
        );
        // Words alone, an excluded phrase, a phrase of one word: no pairs read.
        assert_eq!(words("rust async"), None);
        assert_eq!(words("rust -\"async io\""), None);
        assert_eq!(words("\"rust\""), None);
        // What makes it safe: every pair's two words are in the words'
        // column, wherever the pair stands (title, body; tags have none).
        let a = analyze(&toms_pool());
        let lexemes = |literal: &str| -> Vec<String> {
            literal
                .split_whitespace()
                .map(|l| l[1..l.rfind('\'').unwrap()].to_string())
                .collect()
        };
        let (words, pairs) = (lexemes(&a.tsv), lexemes(&a.pairs));
        assert!(pairs.len() >= 3, "{pairs:?}");
        for pair in pairs {
            for word in pair.split('\u{1f}') {
                assert!(words.contains(&word.to_string()), "{word} of {pair}");
            }
        }
    }

    #[test]
    fn a_bounded_page_stands_when_nothing_left_out_could_enter_it() {
        // Every candidate ranked.
        assert!(within_bound(&[0.5], None, 20));
        // A full page above the best bound left out.
        assert!(within_bound(&[0.5, 0.4], Some(0.3), 2));
        // A tie, a rank below that bound, or a short page: not known.
        assert!(!within_bound(&[0.5, 0.4], Some(0.4), 2));
        assert!(!within_bound(&[0.5, 0.2], Some(0.3), 2));
        assert!(!within_bound(&[0.5], Some(0.3), 2));
        // No row: the candidates ranked may all have failed the check.
        assert!(!within_bound(&[], None, 2));
    }

    #[test]
    fn literals_quote_and_weight() {
        let d = toms_pool();
        let v = tsvector(&d);
        // Pairs of consecutive words at their first word's position, in
        // their own column.
        assert_eq!(
            analyze(&d).pairs,
            "'of\u{1f}连接':8D 'pool\u{1f}of':7D 's\u{1f}pool':2A 'tom\u{1f}s':1A "
        );
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
        // A two-word phrase is its pair, in the pairs column; a longer one
        // all its pairs and its words in order; the tag stays on the words.
        let mut binds = Vec::new();
        assert_eq!(
            phrase_sql(&g, &mut binds, Form::Index, &TermCounts::new()),
            "((d.pairs @@ CAST($1 AS tsquery)) OR d.tsv @@ CAST($2 AS tsquery))"
        );
        assert_eq!(binds, ["('a''b\u{1f}c')", "'t:x'"]);
        let g3 = Group {
            tokens: vec!["a".into(), "b".into(), "c".into()],
            tag: None,
            ..g
        };
        let word = Group {
            tokens: vec!["w".into()],
            phrase: false,
            tag: None,
            optional: false,
        };
        let plan = Plan {
            groups: vec![word.clone(), g3],
            exclude: vec![word],
            ..Plan::default()
        };
        let mut binds = Vec::new();
        assert_eq!(
            match_sql(&plan, &mut binds, Form::Index, &TermCounts::new()).unwrap(),
            "d.tsv @@ CAST($3 AS tsquery) AND (d.pairs @@ CAST($1 AS tsquery) AND ts_match_vq(d.tsv, CAST($2 AS tsquery)))"
        );
        assert_eq!(
            binds,
            [
                "('a\u{1f}b' & 'b\u{1f}c')",
                "('a' <-> 'b' <-> 'c')",
                "(('w')) & !(('w'))"
            ]
        );
        // With the pairs' counts, a longer phrase looks up its rarest pair.
        let counts: TermCounts = [("a\u{1f}b".to_string(), 500), ("b\u{1f}c".to_string(), 7)]
            .into_iter()
            .collect();
        let mut binds = Vec::new();
        phrase_sql(&plan.groups[1], &mut binds, Form::Index, &counts);
        assert_eq!(binds, ["('b\u{1f}c')", "('a' <-> 'b' <-> 'c')"]);
        // Checked on candidates: the same conditions, none through the index.
        let mut binds = Vec::new();
        assert_eq!(
            match_sql(&plan, &mut binds, Form::Row, &TermCounts::new()).unwrap(),
            "ts_match_vq(d.tsv, CAST($3 AS tsquery)) AND (ts_match_vq(d.pairs, CAST($1 AS tsquery)) AND ts_match_vq(d.tsv, CAST($2 AS tsquery)))"
        );
    }

    #[test]
    fn postings_merge_words_of_similar_frequency_from_the_rarest() {
        let counts: TermCounts = [("common", 700_000), ("rare", 5_000), ("near", 9_000)]
            .map(|(t, n)| (t.to_string(), n))
            .into_iter()
            .collect();
        let terms = |ts: &[&str]| -> Vec<String> { ts.iter().map(|t| t.to_string()).collect() };
        assert!(merges_well(&terms(&["near", "rare"]), &counts));
        // A word 140 times commoner: the GIN index instead.
        assert!(!merges_well(&terms(&["common", "rare", "near"]), &counts));
        // A word no post has: nothing to merge, the GIN index says so.
        assert!(!merges_well(&terms(&["near", "nowhere"]), &counts));
        let mut binds = Vec::new();
        let sql = postings_sql(&terms(&["near", "rare"]), &mut binds, &counts);
        assert_eq!(binds, ["rare", "near"]);
        assert_eq!(
            sql,
            "SELECT p0.post_id FROM search_postings p0 \
             JOIN search_postings p1 ON p1.term = $2 AND p1.post_id = p0.post_id WHERE p0.term = $1"
        );
    }

    #[test]
    fn heads_are_title_and_tag_lexemes_with_their_impact() {
        let d = toms_pool();
        let heads = |d: &Doc| -> Vec<Head> { analyze(d).heads };
        let h = heads(&d);
        let names: Vec<&str> = h.iter().map(|h| h.term.as_str()).collect();
        // Body-only lexemes ("of", "连接") have no head.
        assert_eq!(
            names,
            [
                "c++",
                "pool",
                "s",
                "tom",
                "s\u{1f}pool",
                "tom\u{1f}s",
                "t:c++"
            ]
        );
        let head = |h: &[Head], t: &str| h.iter().find(|h| h.term == t).unwrap().clone();
        let of = |h: &[Head], t: &str| head(h, t).impact;
        // Title once (1) plus body once as the second occurrence: 1 + (1/3)/4.
        assert!((of(&h, "pool") - (1.0 + 1.0 / 12.0)).abs() < 1e-6);
        // A tag name weighs tag_boost / title_boost = 2/3.
        assert!((of(&h, "c++") - 2.0 / 3.0).abs() < 1e-6);
        assert!((of(&h, "t:c++") - 2.0 / 3.0).abs() < 1e-6);
        // Standing scales every head: score 3 gives 1 + 0.25 ln 4; accepted 1.3.
        let voted = heads(&Doc {
            score: 3,
            accepted: true,
            ..d.clone()
        });
        let standing = (1.0 + 0.25 * 4f64.ln()) * 1.3;
        assert!((f64::from(of(&voted, "tom")) - standing).abs() < 1e-5);
        // Each head carries its lexeme's positions alone, and its column's
        // length as ts_rank counts it: the words column's 7 positions and
        // its tag lexeme (no position, counts one); the pairs column's 4.
        let pool = head(&h, "pool");
        assert_eq!((pool.positions.as_str(), pool.length), ("'pool':3A,7D ", 8));
        let tag = head(&h, "t:c++");
        assert_eq!((tag.positions.as_str(), tag.length), ("'t:c++' ", 8));
        let pair = head(&h, "tom\u{1f}s");
        assert_eq!(
            (pair.positions.as_str(), pair.length),
            ("'tom\u{1f}s':1A ", 4)
        );
    }

    #[test]
    fn positions_clamped_to_the_last_are_kept_once() {
        // PostgreSQL keeps positions up to 16383, and each once: a long
        // body's last words all land there, and the length counts one.
        let d = Doc {
            title: "pool".into(),
            text: format!("{} x x x", "filler ".repeat(17_000)),
            tags: vec![],
            ..toms_pool()
        };
        let a = analyze(&d);
        assert!(
            a.tsv.contains("'x':16383D "),
            "{}",
            &a.tsv[a.tsv.len() - 40..]
        );
        let pool = a.heads.iter().find(|h| h.term == "pool").unwrap();
        // pool 1, filler up to 255, x once.
        assert_eq!(pool.length, 1 + 255 + 1);
    }

    #[test]
    fn rank_weights_stay_within_what_ts_rank_accepts() {
        // The defaults: body 1/3, tags 2/3, title 1.
        assert_eq!(
            rank_weights(&SearchRules::default()),
            "'{0.333333, 0, 0.666667, 1.000000}'"
        );
        // Tags boosted above titles: the largest weight is 1.
        let tags_first = SearchRules {
            title_boost: 1.0,
            tag_boost: 4.0,
            ..SearchRules::default()
        };
        assert_eq!(
            rank_weights(&tags_first),
            "'{0.250000, 0, 1.000000, 0.250000}'"
        );
        // A negative boost weighs nothing rather than failing.
        let negative = SearchRules {
            tag_boost: -1.0,
            ..SearchRules::default()
        };
        assert_eq!(
            rank_weights(&negative),
            "'{0.333333, 0, 0.000000, 1.000000}'"
        );
    }

    #[test]
    fn parameters_referred_to() {
        assert!(refers_to_all("SELECT $1, $2", 2));
        // $1 only inside $10: not referred to.
        assert!(!refers_to_all("SELECT $10, $2", 2));
        assert!(!refers_to_all("SELECT $1", 2));
        assert!(refers_to_all("SELECT 1", 0));
    }

    #[test]
    fn text_arrays_escape_quotes_and_backslashes() {
        let mut out = String::new();
        text_array(["a", "b\"c", "d\\e", "f\0"].iter(), &mut out);
        assert_eq!(out, r#"{"a","b\"c","d\\e","f"}"#);
    }
}
