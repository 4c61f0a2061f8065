//! The query the embedded engine runs.
//!
//! - Text relevance comes from one flat disjunction of term queries, the
//!   shape for which tantivy's block-max WAND skips whole posting blocks
//!   that cannot reach the current top results.
//! - What a post must also satisfy (every required word, no excluded word,
//!   `[tag]`, `is:`, ranges) is checked per candidate: [`Gate`]s over
//!   posting lists, [`Checks`] over fast fields.
//! - In relevance order the text score is multiplied by the post's
//!   standing ([`SearchRules::rank_multiplier`]). The largest multiplier in
//!   a segment bounds it (the formula grows with votes and acceptance and
//!   shrinks with age, so the columns' extremes give it), which keeps the
//!   pruning exact: a post whose text score is below threshold / bound
//!   cannot enter the top results.
//!
//! Candidates arrive in increasing document order (WAND moves its pivot
//! forward only), so gate posting lists are only ever sought forward.

use crate::query::Range;
use guildhall_domain::search::SearchRules;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::columnar::ColumnValues;
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// A segment's fast-field columns.
pub struct Columns {
    pub id: Arc<dyn ColumnValues<u64>>,
    pub kind: Arc<dyn ColumnValues<u64>>,
    pub accepted: Arc<dyn ColumnValues<u64>>,
    pub closed: Arc<dyn ColumnValues<u64>>,
    pub score: Arc<dyn ColumnValues<i64>>,
    pub answers: Arc<dyn ColumnValues<i64>>,
    pub created: Arc<dyn ColumnValues<i64>>,
}

impl Columns {
    fn open(r: &SegmentReader) -> tantivy::Result<Columns> {
        let ff = r.fast_fields();
        let u = |name: &str| -> tantivy::Result<Arc<dyn ColumnValues<u64>>> {
            Ok(ff.u64(name)?.first_or_default_col(0))
        };
        let i = |name: &str| -> tantivy::Result<Arc<dyn ColumnValues<i64>>> {
            Ok(ff.i64(name)?.first_or_default_col(0))
        };
        Ok(Columns {
            id: u("id")?,
            kind: u("kind")?,
            accepted: u("accepted")?,
            closed: u("closed")?,
            score: i("score")?,
            answers: i("answers")?,
            created: i("created")?,
        })
    }
}

/// Columns opened once per segment and kept while the segment lives:
/// opening a column decodes its block index, which for a million posts
/// costs more than the lookups a search makes in it. A segment's columns
/// never change (deletions are kept apart), so its id is the key.
#[derive(Default)]
pub struct ColumnCache(Mutex<HashMap<SegmentId, Arc<Columns>>>);

impl ColumnCache {
    pub fn get(&self, r: &SegmentReader) -> tantivy::Result<Arc<Columns>> {
        let id = r.segment_id();
        if let Some(c) = self.0.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(c);
        }
        let c = Arc::new(Columns::open(r)?);
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, c.clone());
        }
        Ok(c)
    }

    /// Forget segments the searcher no longer has (merged away).
    pub fn keep_only(&self, searcher: &Searcher) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() > searcher.segment_readers().len() {
                let live: std::collections::HashSet<SegmentId> = searcher
                    .segment_readers()
                    .iter()
                    .map(|r| r.segment_id())
                    .collect();
                m.retain(|k, _| live.contains(k));
            }
        }
    }
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ColumnCache")
    }
}

/// Alternatives under which a post is in a set: it matches every query of
/// one of them.
pub type Alternatives = Vec<Vec<Box<dyn Query>>>;

/// Posts in a set given by [`Alternatives`]. `negate` turns it into "not in
/// the set".
#[derive(Debug)]
pub struct Gate {
    pub negate: bool,
    pub any_of: Alternatives,
}

impl Clone for Gate {
    fn clone(&self) -> Gate {
        Gate {
            negate: self.negate,
            any_of: self
                .any_of
                .iter()
                .map(|all| all.iter().map(|q| q.box_clone()).collect())
                .collect(),
        }
    }
}

/// Filters on a post's fast fields.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    pub kind: Option<u64>,
    pub accepted: Option<u64>,
    pub closed: Option<u64>,
    pub score: Option<Range>,
    pub answers: Option<Range>,
    pub created: Option<Range>,
}

/// Multiply the text score by the post's standing at `now`.
#[derive(Clone, Debug)]
pub struct Standing {
    pub rules: SearchRules,
    pub now: i64,
}

#[derive(Debug)]
pub struct Ranked {
    pub text: Box<dyn Query>,
    pub gates: Vec<Gate>,
    pub checks: Checks,
    /// `None`: keep the text score (the caller orders by something else).
    pub standing: Option<Standing>,
    pub columns: Arc<ColumnCache>,
}

impl Clone for Ranked {
    fn clone(&self) -> Ranked {
        Ranked {
            text: self.text.box_clone(),
            gates: self.gates.clone(),
            checks: self.checks.clone(),
            standing: self.standing.clone(),
            columns: self.columns.clone(),
        }
    }
}

impl Query for Ranked {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // Gates only decide membership: never score them.
        let unscored = match scoring.searcher() {
            Some(s) => EnableScoring::disabled_from_searcher(s),
            None => EnableScoring::disabled_from_schema(scoring.schema()),
        };
        let mut gates = Vec::with_capacity(self.gates.len());
        for g in &self.gates {
            let mut any_of = Vec::with_capacity(g.any_of.len());
            for all in &g.any_of {
                let ws = all
                    .iter()
                    .map(|q| q.weight(unscored))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                any_of.push(ws);
            }
            gates.push((g.negate, any_of));
        }
        Ok(Box::new(RankedWeight {
            text: self.text.weight(scoring)?,
            gates,
            checks: self.checks.clone(),
            standing: if scoring.is_scoring_enabled() {
                self.standing.clone()
            } else {
                None
            },
            columns: self.columns.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.text.query_terms(visitor);
    }
}

type GateWeights = Vec<Vec<Box<dyn Weight>>>;

struct RankedWeight {
    text: Box<dyn Weight>,
    gates: Vec<(bool, GateWeights)>,
    checks: Checks,
    standing: Option<Standing>,
    columns: Arc<ColumnCache>,
}

/// Whether a posting list holds `doc`, seeking it forward only.
fn holds(s: &mut Box<dyn Scorer>, doc: DocId) -> bool {
    if s.doc() < doc {
        s.seek(doc);
    }
    s.doc() == doc
}

struct SegmentGate {
    negate: bool,
    any_of: Vec<Vec<Box<dyn Scorer>>>,
}

struct SegmentStanding {
    rules: SearchRules,
    now: i64,
    score: Arc<dyn ColumnValues<i64>>,
    accepted: Arc<dyn ColumnValues<u64>>,
    created: Arc<dyn ColumnValues<i64>>,
}

impl SegmentStanding {
    fn multiplier(&self, doc: DocId) -> Score {
        self.rules.rank_multiplier(
            self.score.get_val(doc),
            self.accepted.get_val(doc) == 1,
            self.now - self.created.get_val(doc),
        ) as Score
    }

    /// No post of the segment has a larger multiplier.
    fn bound(&self) -> Score {
        let m = self.rules.rank_multiplier(
            self.score.max_value(),
            self.accepted.max_value() >= 1,
            self.now - self.created.max_value(),
        ) as Score;
        // Slack for rounding, and never zero (it divides).
        (m * 1.000_01).max(1e-6)
    }
}

/// A weight's per-segment state: open columns and gate posting lists.
struct Segment {
    gates: Vec<SegmentGate>,
    u64_checks: Vec<(Arc<dyn ColumnValues<u64>>, u64)>,
    i64_checks: Vec<(Arc<dyn ColumnValues<i64>>, Range)>,
    standing: Option<SegmentStanding>,
}

impl Segment {
    fn open(w: &RankedWeight, r: &SegmentReader) -> tantivy::Result<Segment> {
        let mut gates = Vec::with_capacity(w.gates.len());
        for (negate, any_of) in &w.gates {
            let mut alts = Vec::with_capacity(any_of.len());
            for all in any_of {
                alts.push(
                    all.iter()
                        .map(|w| w.scorer(r, 1.0))
                        .collect::<tantivy::Result<Vec<_>>>()?,
                );
            }
            gates.push(SegmentGate {
                negate: *negate,
                any_of: alts,
            });
        }
        let c = &w.checks;
        let cols = w.columns.get(r)?;
        let mut u64_checks = Vec::new();
        for (col, v) in [
            (&cols.kind, c.kind),
            (&cols.accepted, c.accepted),
            (&cols.closed, c.closed),
        ] {
            if let Some(v) = v {
                u64_checks.push((col.clone(), v));
            }
        }
        let mut i64_checks = Vec::new();
        for (col, range) in [
            (&cols.score, c.score),
            (&cols.answers, c.answers),
            (&cols.created, c.created),
        ] {
            if let Some(range) = range {
                i64_checks.push((col.clone(), range));
            }
        }
        let standing = w.standing.as_ref().map(|s| SegmentStanding {
            rules: s.rules.clone(),
            now: s.now,
            score: cols.score.clone(),
            accepted: cols.accepted.clone(),
            created: cols.created.clone(),
        });
        Ok(Segment {
            gates,
            u64_checks,
            i64_checks,
            standing,
        })
    }

    /// Whether `doc` passes every filter and gate. Calls must come in
    /// increasing `doc` order.
    fn admits(&mut self, doc: DocId) -> bool {
        if !self.u64_checks.iter().all(|(c, v)| c.get_val(doc) == *v) {
            return false;
        }
        if !self
            .i64_checks
            .iter()
            .all(|(c, r)| r.contains(c.get_val(doc)))
        {
            return false;
        }
        self.gates.iter_mut().all(|g| {
            let inside = g
                .any_of
                .iter_mut()
                .any(|all| all.iter_mut().all(|s| holds(s, doc)));
            inside != g.negate
        })
    }

    fn multiplier(&self, doc: DocId) -> Score {
        self.standing.as_ref().map_or(1.0, |s| s.multiplier(doc))
    }

    fn bound(&self) -> Score {
        self.standing.as_ref().map_or(1.0, SegmentStanding::bound)
    }
}

struct RankedScorer {
    text: Box<dyn Scorer>,
    segment: Segment,
}

impl RankedScorer {
    fn settle(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && !self.segment.admits(doc) {
            doc = self.text.advance();
        }
        doc
    }
}

impl DocSet for RankedScorer {
    fn advance(&mut self) -> DocId {
        let doc = self.text.advance();
        self.settle(doc)
    }
    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.text.seek(target);
        self.settle(doc)
    }
    fn doc(&self) -> DocId {
        self.text.doc()
    }
    fn size_hint(&self) -> u32 {
        self.text.size_hint()
    }
}

impl Scorer for RankedScorer {
    fn score(&mut self) -> Score {
        self.text.score() * self.segment.multiplier(self.text.doc())
    }
}

impl Weight for RankedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut s = RankedScorer {
            text: self.text.scorer(reader, boost)?,
            segment: Segment::open(self, reader)?,
        };
        let first = s.text.doc();
        s.settle(first);
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let text = self.text.explain(reader, doc)?;
        let segment = Segment::open(self, reader)?;
        let m = segment.multiplier(doc);
        let mut e = Explanation::new("text relevance × standing", text.value() * m);
        e.add_detail(text);
        e.add_const("standing", m);
        Ok(e)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut segment = Segment::open(self, reader)?;
        let bound = segment.bound();
        let text_threshold = |t: Score| if t > 0.0 { t / bound } else { t };
        let mut best = threshold;
        self.text
            .for_each_pruning(text_threshold(threshold), reader, &mut |doc, score| {
                if segment.admits(doc) {
                    let ranked = score * segment.multiplier(doc);
                    if ranked > best {
                        best = callback(doc, ranked);
                    }
                }
                text_threshold(best)
            })
    }
}

/// How many live posts match, counting no further than `cap`; the flag
/// says whether more exist.
pub fn count_upto(
    searcher: &Searcher,
    query: &Ranked,
    cap: usize,
) -> tantivy::Result<(usize, bool)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut n = 0usize;
    for reader in searcher.segment_readers() {
        let alive = reader.alive_bitset();
        let mut s = weight.scorer(reader, 1.0)?;
        let mut doc = s.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n > cap {
                    return Ok((cap, true));
                }
            }
            doc = s.advance();
        }
    }
    Ok((n, false))
}

/// The best `offset + limit` posts over all segments, then the page.
///
/// tantivy's `TopDocs` collects each segment on its own, so every segment
/// starts pruning from nothing. Here the k-th best score found so far is
/// carried into the next segment: a segment's posts must beat it to count.
pub struct TopRanked {
    pub offset: usize,
    pub limit: usize,
    best_so_far: std::sync::atomic::AtomicU32,
}

impl TopRanked {
    pub fn new(offset: usize, limit: usize) -> TopRanked {
        TopRanked {
            offset,
            limit,
            best_so_far: std::sync::atomic::AtomicU32::new(Score::MIN.to_bits()),
        }
    }

    fn k(&self) -> usize {
        self.offset + self.limit
    }

    fn shared(&self) -> Score {
        Score::from_bits(self.best_so_far.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn raise(&self, t: Score) {
        let ord = std::sync::atomic::Ordering::Relaxed;
        let mut cur = self.best_so_far.load(ord);
        while Score::from_bits(cur) < t {
            match self
                .best_so_far
                .compare_exchange_weak(cur, t.to_bits(), ord, ord)
            {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
    }
}

/// A min-heap entry: the worst kept post on top; of equal scores the later
/// document is worse (earlier documents win ties, as in tantivy).
#[derive(Clone, Copy, PartialEq)]
struct Kept(Score, DocId);

impl Eq for Kept {}

impl Ord for Kept {
    fn cmp(&self, o: &Kept) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}

impl PartialOrd for Kept {
    fn partial_cmp(&self, o: &Kept) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

pub struct TopSegment {
    k: usize,
    segment_ord: u32,
    heap: std::collections::BinaryHeap<Kept>,
}

impl TopSegment {
    /// Keep the post if it is among the k best; returns the score to beat.
    fn push(&mut self, doc: DocId, score: Score) -> Score {
        if self.heap.len() < self.k {
            self.heap.push(Kept(score, doc));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if score > worst.0 {
                *worst = Kept(score, doc);
            }
        }
        self.threshold()
    }

    fn threshold(&self) -> Score {
        if self.heap.len() < self.k {
            Score::MIN
        } else {
            self.heap.peek().map_or(Score::MIN, |w| w.0)
        }
    }
}

impl tantivy::collector::SegmentCollector for TopSegment {
    type Fruit = Vec<(Score, tantivy::DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.push(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        let ord = self.segment_ord;
        self.heap
            .into_iter()
            .map(|Kept(s, d)| (s, tantivy::DocAddress::new(ord, d)))
            .collect()
    }
}

impl tantivy::collector::Collector for TopRanked {
    type Fruit = Vec<(Score, tantivy::DocAddress)>;
    type Child = TopSegment;

    fn for_segment(&self, segment_ord: u32, _: &SegmentReader) -> tantivy::Result<TopSegment> {
        Ok(TopSegment {
            k: self.k(),
            segment_ord,
            heap: std::collections::BinaryHeap::with_capacity(self.k() + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<(Score, tantivy::DocAddress)>> {
        let mut top = self.for_segment(segment_ord, reader)?;
        if top.k == 0 {
            return Ok(Vec::new());
        }
        let alive = reader.alive_bitset();
        let start = self.shared();
        weight.for_each_pruning(start, reader, &mut |doc, score| {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let t = top.push(doc, score);
                self.raise(t);
            }
            top.threshold().max(self.shared())
        })?;
        Ok(tantivy::collector::SegmentCollector::harvest(top))
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(Score, tantivy::DocAddress)>>,
    ) -> tantivy::Result<Vec<(Score, tantivy::DocAddress)>> {
        let mut all: Vec<(Score, tantivy::DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(all.into_iter().skip(self.offset).take(self.limit).collect())
    }
}
