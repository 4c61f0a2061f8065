//! GitHub analytics use cases: import GH Archive event files into the
//! aggregate tables, compute the monthly metrics, and read them back as
//! reports (the CLI, the pages and the JSON API share these).
//!
//! The import is a pipeline over scoped threads: one reads (and
//! decompresses) the input into blocks of whole lines, parsers turn blocks
//! into events in parallel, and the calling thread drops duplicates (by id,
//! against the stored bitmaps), aggregates, and writes a flush whenever the
//! aggregate grows past a bound, so memory stays bounded however large the
//! input is. Flushes are written by a thread of their own on a connection
//! of their own (`Store::gh_writer`) while parsing goes on; each is one
//! transaction with the ids it counted. A large import drops the aggregate
//! tables' secondary indexes and builds them once at its end.

use crate::{App, Result, ServiceError};
use guildhall_analytics::activity::activity;
use guildhall_analytics::aggregate::Aggregate;
use guildhall_analytics::event::{parse_line_into, Event, LineError};
use guildhall_analytics::rank::{community, global, ItemNode, Previous};
use guildhall_analytics::rules::{AnalyticsRules, Tracking};
use guildhall_analytics::seen::SeenIds;
use guildhall_analytics::time::Month;
use guildhall_storage::analytics::GH_WRITTEN_TABLES;
use guildhall_storage::bulk::worth_deferring;
use guildhall_storage::sink::BulkWriter;
use guildhall_storage::Store;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

mod report;
pub use report::*;

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    fn label(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".into(),
        }
    }
}

/// Files named on the command line: a directory stands for its `.json` and
/// `.json.gz` files (sorted by name, so hours import in order); `-` for
/// standard input.
pub fn expand_inputs(args: &[String]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let p = Path::new(a);
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| ServiceError::Internal(format!("{a}: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let n = p.to_string_lossy();
                    n.ends_with(".json") || n.ends_with(".json.gz")
                })
                .collect();
            files.sort();
            out.extend(files.into_iter().map(Input::File));
        } else if p.is_file() {
            out.push(Input::File(p.to_path_buf()));
        } else {
            return Err(ServiceError::Internal(format!(
                "{a}: no such file or directory"
            )));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Overrides the tracked repositories of the rules.
    pub tracking: Option<Tracking>,
    /// Flush when the aggregate holds this many entries.
    pub flush_entries: usize,
    /// Parser threads (0: one per core).
    pub threads: usize,
    /// Drop the aggregate tables' indexes during the import and build them
    /// at its end; `None` decides by the input's size (see `guildhall_storage::bulk`).
    pub bulk: Option<bool>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            tracking: None,
            flush_entries: 2_500_000,
            threads: 0,
            bulk: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MalformedLine {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// At most this many malformed lines are listed (all are counted).
pub const MALFORMED_LISTED: usize = 1000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<String>,
    pub lines: u64,
    /// Events counted by this import.
    pub events: u64,
    /// Events already counted by an earlier import (same id).
    pub duplicates: u64,
    /// Events of repositories not tracked.
    pub untracked: u64,
    pub malformed: u64,
    pub malformed_lines: Vec<MalformedLine>,
    /// Counted events per kind.
    pub by_kind: BTreeMap<String, u64>,
    pub flushes: u64,
    /// Of `seconds`, the time spent writing flushes to the database.
    pub write_seconds: f64,
    /// Whether the import was large enough to drop the aggregate tables'
    /// indexes and build them again at its end, and how long that took.
    pub indexes_rebuilt: bool,
    pub index_seconds: f64,
    pub seconds: f64,
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Default)]
pub struct ImportProgress {
    pub bytes: u64,
    pub total_bytes: u64,
    pub events: u64,
}

struct Block {
    file: Arc<str>,
    at: LinesBefore,
    data: BlockData,
}

/// Where a block's lines start in its file. A read block is numbered as
/// it is read; a mapped one by its place among its file's blocks, its
/// line numbers found when the blocks before it have been parsed, which
/// spares the reader a pass over every byte.
#[derive(Debug, Clone, Copy)]
enum LinesBefore {
    Known(u64),
    Block { input: usize, seq: usize },
}

impl LinesBefore {
    /// The number of the block's line `i` (from 0): in its file when the
    /// block's start is known, else in the block (see [`LineBook`]).
    fn line(self, i: usize) -> u64 {
        match self {
            LinesBefore::Known(before) => before + 1 + i as u64,
            LinesBefore::Block { .. } => 1 + i as u64,
        }
    }
}

/// A block's bytes: read into a buffer (compressed input, standard input)
/// or a range of a file mapped into memory, which spares copying every
/// byte out of the page cache.
enum BlockData {
    Read(Vec<u8>),
    Mapped(Arc<memmap2::Mmap>, std::ops::Range<usize>),
}

impl BlockData {
    /// A parsed block's buffer goes back for reuse (a mapped range is
    /// released by the reader, see [`read_blocks`]).
    fn done(self, spare: &Spares<Vec<u8>>) {
        if let BlockData::Read(v) = self {
            spare.give(v);
        }
    }
}

impl std::ops::Deref for BlockData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            BlockData::Read(v) => v,
            BlockData::Mapped(m, r) => &m[r.clone()],
        }
    }
}

struct Parsed {
    events: Vec<Event>,
    /// Line numbers within the file, or within the block (from 0) when its
    /// start is not known yet (see [`LinesBefore`]).
    errors: Vec<MalformedLine>,
    lines: u64,
    at: LinesBefore,
}

/// Counts the bytes read from the underlying file, so progress follows the
/// file (compressed or not).
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const BLOCK_BYTES: usize = 1 << 20;

/// Buffers handed back for reuse. A fresh megabyte for every block costs a
/// page fault per page and a return to the system when dropped (large
/// allocations are mapped and unmapped), which showed as a sixth of an
/// import's time.
struct Spares<T>(Mutex<Vec<T>>);

impl<T> Spares<T> {
    fn new() -> Self {
        Spares(Mutex::new(Vec::new()))
    }

    fn take(&self) -> Option<T> {
        self.0.lock().ok()?.pop()
    }

    fn give(&self, t: T) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < 16 {
                v.push(t);
            }
        }
    }
}

fn open(input: &Input, read: Arc<AtomicU64>) -> std::io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::File(p) => Box::new(std::fs::File::open(p)?),
    };
    let counted = Counting { inner: raw, read };
    let gz = matches!(input, Input::File(p) if p.to_string_lossy().ends_with(".gz"));
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            BLOCK_BYTES,
            flate2::read::MultiGzDecoder::new(BufReader::new(counted)),
        ))
    } else {
        Box::new(BufReader::with_capacity(BLOCK_BYTES, counted))
    })
}

/// Blocks sent after one before its range is released: more than the
/// channels and parsers hold at once.
const RELEASE_BEHIND: usize = 64;

/// A plain file mapped into memory, or `None` when it is compressed,
/// empty, or cannot be mapped (it is then read).
fn mapped(input: &Input) -> Option<Arc<memmap2::Mmap>> {
    let Input::File(p) = input else { return None };
    if p.to_string_lossy().ends_with(".gz") {
        return None;
    }
    let file = std::fs::File::open(p).ok()?;
    if file.metadata().ok()?.len() == 0 {
        return None;
    }
    // SAFETY: the mapping is only read. A file changed by another program
    // during an import may be seen half-changed (as with `read`); one
    // truncated under it ends the process (SIGBUS), as it would `grep`.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(Arc::new(map))
}

/// Numbers a read block's lines (`line_no`: lines before it) and sends
/// it; false when the parsers have stopped.
fn send_read_block(
    out: &mpsc::SyncSender<Block>,
    file: &Arc<str>,
    line_no: &mut u64,
    data: Vec<u8>,
) -> bool {
    let before = *line_no;
    *line_no += memchr::memchr_iter(b'\n', &data).count() as u64;
    if data.last() != Some(&b'\n') {
        *line_no += 1;
    }
    out.send(Block {
        file: file.clone(),
        at: LinesBefore::Known(before),
        data: BlockData::Read(data),
    })
    .is_ok()
}

/// The line numbers of mapped blocks, put together as their line counts
/// arrive (in any order) from the parsers.
#[derive(Default)]
struct LineBook {
    /// Lines per block, per input.
    lines: Vec<Vec<u64>>,
    /// Listed errors still numbered within their block.
    pending: Vec<(usize, usize, usize)>,
}

impl LineBook {
    fn record(&mut self, at: LinesBefore, lines: u64) {
        if let LinesBefore::Block { input, seq } = at {
            if self.lines.len() <= input {
                self.lines.resize_with(input + 1, Vec::new);
            }
            let blocks = &mut self.lines[input];
            if blocks.len() <= seq {
                blocks.resize(seq + 1, 0);
            }
            blocks[seq] = lines;
        }
    }

    /// Notes that `listed[index]` came from a block at `at`.
    fn listed(&mut self, at: LinesBefore, index: usize) {
        if let LinesBefore::Block { input, seq } = at {
            self.pending.push((index, input, seq));
        }
    }

    /// Turns every pending error's line into its line in the file.
    fn number(self, listed: &mut [MalformedLine]) {
        let starts: Vec<Vec<u64>> = self
            .lines
            .iter()
            .map(|blocks| {
                let mut sum = 0;
                blocks
                    .iter()
                    .map(|n| {
                        let start = sum;
                        sum += n;
                        start
                    })
                    .collect()
            })
            .collect();
        for (index, input, seq) in self.pending {
            listed[index].line += starts[input][seq];
        }
    }
}

/// Reads every input into blocks of whole lines: large reads (or ranges
/// of a mapped file), cut after the last newline, the rest carried to the
/// next block (no copy per line).
fn read_blocks(
    inputs: &[Input],
    out: mpsc::SyncSender<Block>,
    bytes: Arc<AtomicU64>,
    spare: &Spares<Vec<u8>>,
) -> std::result::Result<(), String> {
    for (index, input) in inputs.iter().enumerate() {
        let label: Arc<str> = input.label().into();
        let mut line_no = 0u64;
        if let Some(map) = mapped(input) {
            // Ranges far enough behind the newest block have been parsed:
            // they leave this process's memory (their pages stay in the
            // page cache), so the import's resident size stays that of its
            // aggregates. A range dropped too early is read again.
            let mut sent = std::collections::VecDeque::new();
            let mut released = 0;
            let (mut start, mut sent_count) = (0, 0);
            while start < map.len() {
                if sent.len() > RELEASE_BEHIND {
                    let upto = sent.pop_front().unwrap_or(released);
                    // SAFETY: the mapping is shared and read-only; a
                    // dropped page is read again from the file if touched.
                    let _ = unsafe {
                        map.unchecked_advise_range(
                            memmap2::UncheckedAdvice::DontNeed,
                            released,
                            upto - released,
                        )
                    };
                    released = upto;
                }
                sent.push_back(start);
                let mut end = (start + BLOCK_BYTES).min(map.len());
                if end < map.len() {
                    // A line longer than a block makes the block longer.
                    end = match memchr::memrchr(b'\n', &map[start..end]) {
                        Some(k) => start + k + 1,
                        None => {
                            memchr::memchr(b'\n', &map[end..]).map_or(map.len(), |k| end + k + 1)
                        }
                    };
                }
                bytes.fetch_add((end - start) as u64, Ordering::Relaxed);
                let block = Block {
                    file: label.clone(),
                    at: LinesBefore::Block {
                        input: index,
                        seq: sent_count,
                    },
                    data: BlockData::Mapped(map.clone(), start..end),
                };
                sent_count += 1;
                if out.send(block).is_err() {
                    return Ok(());
                }
                start = end;
            }
            continue;
        }
        let mut r = open(input, bytes.clone()).map_err(|e| format!("{label}: {e}"))?;
        let mut carry: Vec<u8> = Vec::new();
        let mut eof = false;
        while !eof {
            // A line longer than a block grows the block until it ends.
            let target = BLOCK_BYTES.max(carry.len() + BLOCK_BYTES / 16);
            let mut data = spare.take().unwrap_or_default();
            data.clear();
            data.reserve(target + 4096);
            data.append(&mut carry);
            let want = (target - data.len()) as u64;
            match r.by_ref().take(want).read_to_end(&mut data) {
                Ok(got) => eof = (got as u64) < want,
                Err(e) => {
                    let at = line_no + memchr::memchr_iter(b'\n', &data).count() as u64;
                    return Err(format!("{label}: line {}: {e}", at + 1));
                }
            }
            if !eof {
                match memchr::memrchr(b'\n', &data) {
                    Some(last) => carry = data.split_off(last + 1),
                    None => {
                        carry = data;
                        continue;
                    }
                }
            }
            if data.is_empty() {
                break;
            }
            if !send_read_block(&out, &label, &mut line_no, data) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Splits a block at newlines with a vectorized search.
fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let d = rest?;
        match memchr::memchr(b'\n', d) {
            Some(k) => {
                rest = Some(&d[k + 1..]);
                Some(&d[..k])
            }
            None => {
                rest = None;
                Some(d)
            }
        }
    })
}

/// Parses a block into `events`, whose slots (and their names' memory)
/// are reused from the block before.
fn parse_block(b: &Block, mut events: Vec<Event>) -> Parsed {
    let mut n = 0;
    let mut errors = Vec::new();
    let mut lines = 0;
    // The block ends with its last line's newline (or the file's end).
    let data = b.data.strip_suffix(b"\n").unwrap_or(&b.data);
    for (i, line) in split_lines(data).enumerate() {
        lines += 1;
        if n == events.len() {
            events.push(Event::blank());
        }
        match parse_line_into(line, &mut events[n]) {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => errors.push(MalformedLine {
                file: b.file.to_string(),
                line: b.at.line(i),
                reason: match e {
                    LineError::Json(m) => format!("not a JSON event: {m}"),
                    other => other.to_string(),
                },
            }),
        }
    }
    events.truncate(n);
    Parsed {
        events,
        errors,
        lines,
        at: b.at,
    }
}

impl App {
    /// Imports GH Archive events (see the module comment).
    pub async fn analytics_import(
        &self,
        inputs: Vec<Input>,
        opts: ImportOptions,
        on_progress: Arc<dyn Fn(&ImportProgress) + Send + Sync>,
    ) -> Result<ImportReport> {
        let started = std::time::Instant::now();
        let rules = self.settings().analytics.clone();
        let tracking = opts.tracking.clone().unwrap_or(rules.tracking);
        let seen = SeenIds::load(self.store.gh_seen().await?)
            .map_err(|e| ServiceError::Internal(format!("stored event ids do not read: {e}")))?;
        let labels: Vec<String> = inputs.iter().map(Input::label).collect();
        // An earlier import may have stopped while its indexes were set aside.
        self.store.restore_indexes().await?;
        let input_bytes = input_bytes(&inputs);
        let bulk = match opts.bulk {
            Some(b) => b,
            // A whole rebuild costs about what the database holds; keeping
            // indexes up to date costs with every row written, and GH
            // Archive JSON is some 30 times the aggregates it becomes.
            None => worth_deferring(input_bytes, self.store.database_bytes().await?),
        };
        if bulk {
            self.store.defer_indexes(GH_WRITTEN_TABLES).await?;
        }
        let run = self.store.gh_import_started(&labels.join(" ")).await?;
        let store = self.store.clone();
        let handle = tokio::runtime::Handle::current();
        let outcome = tokio::task::spawn_blocking(move || {
            pipeline(
                &handle,
                &store,
                &inputs,
                &tracking,
                seen,
                &opts,
                &*on_progress,
            )
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("import task: {e}")));
        let (report, writer) = match outcome {
            Ok(Ok((report, writer))) => (Ok(report), Some(writer)),
            Ok(Err(e)) | Err(e) => (Err(e), None),
        };
        // The import's connection left the log to be copied back once; it
        // is, on that connection, while the indexes are built on another
        // (both cores busy instead of one after the other).
        let copying = tokio::task::spawn_blocking(move || writer.map(|mut w| w.copy_log_back()));
        // Built again whatever became of the import (what it wrote stays).
        let indexed = std::time::Instant::now();
        if bulk {
            self.store.restore_indexes().await?;
        }
        if let Ok(Some(copied)) = copying.await {
            copied?;
        }
        // What the index builds added is copied back, and the log emptied.
        self.store.checkpoint().await?;
        let mut report = report?;
        report.indexes_rebuilt = bulk;
        report.index_seconds = indexed.elapsed().as_secs_f64();
        report.files = labels;
        report.seconds = started.elapsed().as_secs_f64();
        let json = serde_json::to_string(&report).unwrap_or_default();
        self.store
            .gh_import_finished(run, report.events, &json)
            .await?;
        Ok(report)
    }

    /// Computes activity and OpenRank for every month (or from `from` on),
    /// oldest first, so that each month starts from the one before.
    pub async fn analytics_compute(&self, from: Option<Month>) -> Result<Vec<MonthComputed>> {
        let rules = self.settings().analytics.clone();
        self.store.restore_indexes().await?;
        compute(&self.store, &rules, from).await
    }
}

/// The size of the input files (standard input counts as nothing).
fn input_bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Input::Stdin => 0,
        })
        .sum()
}

/// Whether the input was read to its end (or why not).
type ReadOutcome = std::result::Result<(), String>;

fn pipeline(
    handle: &tokio::runtime::Handle,
    store: &Store,
    inputs: &[Input],
    tracking: &Tracking,
    mut seen: SeenIds,
    opts: &ImportOptions,
    on_progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<(ImportReport, BulkWriter)> {
    let total_bytes = input_bytes(inputs);
    let threads = if opts.threads > 0 {
        opts.threads
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    };
    let bytes = Arc::new(AtomicU64::new(0));
    let mut report = ImportReport::default();
    let mut by_kind: FxHashMap<&'static str, u64> = FxHashMap::default();
    let mut tracked: FxHashMap<u64, bool> = FxHashMap::default();
    let mut agg = Aggregate::default();
    let mut book = LineBook::default();
    let (block_tx, block_rx) = mpsc::sync_channel::<Block>(threads * 2);
    let block_rx = Mutex::new(block_rx);
    let (spare_blocks, spare_events) = (Spares::new(), Spares::new());
    let read_result = std::thread::scope(|s| -> Result<(ReadOutcome, BulkWriter)> {
        // Flushes are written by their own thread while parsing goes on.
        // The channel has no room: a full aggregate waits for the writer,
        // so memory holds two aggregates at most (one being written).
        let (write_tx, write_rx) = mpsc::sync_channel::<(Aggregate, Vec<(Month, Vec<u8>)>)>(0);
        // Written aggregates come back emptied, to be filled again.
        let (back_tx, back_rx) = mpsc::sync_channel::<Aggregate>(1);
        // Named threads, so a profile tells the pipeline's stages apart
        // (failing to start one panics, as `Scope::spawn` does).
        let spawn = |name: &str| std::thread::Builder::new().name(name.to_string());
        let writer = spawn("gh-writer")
            .spawn_scoped(s, move || -> Result<(u64, f64, BulkWriter)> {
                let (mut flushes, mut seconds) = (0, 0.0);
                let mut w = handle.block_on(store.gh_writer())?;
                for (agg, dirty) in write_rx {
                    let t = std::time::Instant::now();
                    handle.block_on(store.gh_apply(&mut w, &agg, &dirty))?;
                    let mut agg = agg;
                    agg.clear();
                    let _ = back_tx.try_send(agg);
                    flushes += 1;
                    seconds += t.elapsed().as_secs_f64();
                }
                Ok((flushes, seconds, w))
            })
            .expect("starting the writer thread");
        let flush = |agg: &mut Aggregate, seen: &mut SeenIds| -> bool {
            let dirty = seen.take_dirty();
            if agg.events == 0 && dirty.is_empty() {
                return true;
            }
            let next = back_rx.try_recv().unwrap_or_else(|_| agg.with_room_of());
            write_tx.send((std::mem::replace(agg, next), dirty)).is_ok()
        };
        let (parsed_tx, parsed_rx) = mpsc::sync_channel::<Parsed>(threads * 2);
        let reader = {
            let bytes = bytes.clone();
            let spare = &spare_blocks;
            spawn("gh-reader")
                .spawn_scoped(s, move || read_blocks(inputs, block_tx, bytes, spare))
                .expect("starting the reader thread")
        };
        for _ in 0..threads {
            let tx = parsed_tx.clone();
            let rx = &block_rx;
            let (spare_blocks, spare_events) = (&spare_blocks, &spare_events);
            spawn("gh-parser")
                .spawn_scoped(s, move || loop {
                    let next = rx.lock().map(|r| r.recv());
                    match next {
                        Ok(Ok(b)) => {
                            let events = spare_events.take().unwrap_or_default();
                            let parsed = parse_block(&b, events);
                            b.data.done(spare_blocks);
                            if tx.send(parsed).is_err() {
                                return;
                            }
                        }
                        _ => return,
                    }
                })
                .expect("starting a parser thread");
        }
        drop(parsed_tx);
        for p in parsed_rx {
            report.lines += p.lines;
            report.malformed += p.errors.len() as u64;
            book.record(p.at, p.lines);
            let room = MALFORMED_LISTED.saturating_sub(report.malformed_lines.len());
            for e in p.errors.into_iter().take(room) {
                book.listed(p.at, report.malformed_lines.len());
                report.malformed_lines.push(e);
            }
            for e in &p.events {
                let keep = *tracked
                    .entry(e.repo.id)
                    .or_insert_with(|| tracking.keeps(&e.repo.name));
                if !keep {
                    report.untracked += 1;
                    continue;
                }
                if !seen.insert(Month::of(e.at), e.id) {
                    report.duplicates += 1;
                    continue;
                }
                *by_kind.entry(e.kind.name()).or_default() += 1;
                agg.add(e);
                report.events += 1;
            }
            spare_events.give(p.events);
            // A writer that stopped says why when joined below.
            if agg.size() >= opts.flush_entries && !flush(&mut agg, &mut seen) {
                break;
            }
            on_progress(&ImportProgress {
                bytes: bytes.load(Ordering::Relaxed),
                total_bytes,
                events: report.events,
            });
        }
        // What was read before a read error is kept (and its ids
        // recorded), so a re-run after fixing the input only adds the rest.
        flush(&mut agg, &mut seen);
        drop(write_tx);
        let (flushes, seconds, w) = writer
            .join()
            .map_err(|_| ServiceError::Internal("the writer stopped".into()))??;
        report.flushes = flushes;
        report.write_seconds = seconds;
        Ok((
            reader
                .join()
                .unwrap_or_else(|_| Err("the reader stopped".into())),
            w,
        ))
    })?;
    let (read_result, writer) = read_result;
    read_result.map_err(ServiceError::Internal)?;
    book.number(&mut report.malformed_lines);
    report.by_kind = by_kind
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok((report, writer))
}

/// One repository's community graph being built: its items, the numbers
/// already listed, and the (item, developer, weight) edges.
type CommunityGraph = (Vec<ItemNode>, FxHashSet<u64>, Vec<(u64, u64, f64)>);

/// What `compute` did for one month.
#[derive(Debug, Clone, Serialize)]
pub struct MonthComputed {
    pub month: String,
    pub repositories: usize,
    pub developers: usize,
    pub robots: usize,
    pub bots: usize,
    pub iterations: usize,
    pub converged: bool,
    /// Developer–repository edges of the global graph.
    pub edges: usize,
    /// Of `seconds`, the time global OpenRank took (graph and solve).
    pub openrank_seconds: f64,
    pub seconds: f64,
}

async fn compute(
    store: &Store,
    rules: &AnalyticsRules,
    from: Option<Month>,
) -> Result<Vec<MonthComputed>> {
    let months: Vec<Month> = store
        .gh_months()
        .await?
        .into_iter()
        .filter(|m| from.is_none_or(|f| *m >= f))
        .collect();
    let Some(first) = months.first().copied() else {
        return Ok(Vec::new());
    };
    let logins: FxHashMap<i64, String> = store.gh_logins().await?.into_iter().collect();
    let bots: FxHashSet<i64> = logins
        .iter()
        .filter(|(_, l)| rules.bots.is_bot(l))
        .map(|(id, _)| *id)
        .collect();
    let bot_ids: Vec<i64> = bots.iter().copied().collect();
    // Issue or pull request, and when merged, for every item.
    let kinds: FxHashMap<(i64, i64), (bool, Option<i64>)> = store
        .gh_item_kinds()
        .await?
        .into_iter()
        .map(|(repo, number, is_pull, merged_at)| ((repo, number), (is_pull, merged_at)))
        .collect();
    let mut prev_dev: FxHashMap<u64, Previous> = FxHashMap::default();
    let mut prev_repo: FxHashMap<u64, Previous> = FxHashMap::default();
    for (kind, id, month, value) in store.gh_previous_ranks(first).await? {
        let p = Previous { month, value };
        match kind.as_str() {
            "repo" => prev_repo.insert(id as u64, p),
            _ => prev_dev.insert(id as u64, p),
        };
    }
    let mut prev_community: FxHashMap<u64, FxHashMap<u64, Previous>> = FxHashMap::default();
    let mut out = Vec::new();
    for month in months {
        let t = std::time::Instant::now();
        let counts = store.gh_month_counts(month).await?;
        let bots_active = store.gh_month_active(month, &bot_ids).await?;
        let merged = store.gh_month_merged(month).await?;
        // Activity per (repository, developer), bots left out.
        let mut acts: FxHashMap<(u64, u64), (guildhall_analytics::aggregate::Counts, u32)> =
            FxHashMap::default();
        for (repo, actor, c) in counts {
            if bots.contains(&actor) {
                continue;
            }
            acts.entry((repo as u64, actor as u64)).or_default().0 = c;
        }
        for (repo, author, n) in merged {
            if !bots.contains(&author) {
                acts.entry((repo as u64, author as u64)).or_default().1 = n as u32;
            }
        }
        let edges: Vec<(u64, u64, f64)> = acts
            .iter()
            .map(|((repo, actor), (c, m))| (*repo, *actor, activity(&rules.activity, c, *m)))
            .filter(|e| e.2 > 0.0)
            .collect();
        let solve = std::time::Instant::now();
        let g = global(&rules.global, month, &edges, &prev_dev, &prev_repo);
        let openrank_seconds = solve.elapsed().as_secs_f64();
        let robots: FxHashSet<u64> = g.robots.iter().copied().collect();
        let mut repo_sum: FxHashMap<u64, (f64, i64)> = FxHashMap::default();
        let mut dev_sum: FxHashMap<u64, (f64, i64)> = FxHashMap::default();
        for &(repo, actor, a) in &edges {
            if robots.contains(&actor) {
                continue;
            }
            let r = repo_sum.entry(repo).or_default();
            r.0 += a;
            r.1 += 1;
            let d = dev_sum.entry(actor).or_default();
            d.0 += a;
            d.1 += 1;
        }
        let mut ranks: Vec<(&str, i64, f64, i64, Option<f64>)> =
            Vec::with_capacity(repo_sum.len() + dev_sum.len());
        for (repo, (a, n)) in &repo_sum {
            ranks.push((
                "repo",
                *repo as i64,
                *a,
                *n,
                g.repositories.get(repo).copied(),
            ));
        }
        for (dev, (a, n)) in &dev_sum {
            ranks.push(("actor", *dev as i64, *a, *n, g.developers.get(dev).copied()));
        }
        // Community OpenRank per repository.
        let mut per_repo: FxHashMap<u64, CommunityGraph> = FxHashMap::default();
        let c = &rules.community;
        for (repo, number, actor, part) in store.gh_month_item_activity(month).await? {
            let (is_pull, merged_at) = kinds.get(&(repo, number)).copied().unwrap_or_default();
            let merged = merged_at.is_some_and(|t| t < month.end());
            let (repo, number, actor) = (repo as u64, number as u64, actor as u64);
            let e = per_repo.entry(repo).or_default();
            if e.1.insert(number) {
                e.0.push(ItemNode {
                    number,
                    is_pull,
                    merged,
                });
            }
            if bots.contains(&(actor as i64)) || robots.contains(&actor) {
                continue;
            }
            let w = c.opened * f64::from(part.opened)
                + c.comment * f64::from(part.comments)
                + c.review * f64::from(part.reviews)
                + c.review_comment * f64::from(part.review_comments)
                + c.closed * f64::from(part.closed);
            e.2.push((number, actor, w));
        }
        let mut community_rows = Vec::new();
        let empty = FxHashMap::default();
        for (repo, (items, _, edges)) in per_repo {
            let total = g.repositories.get(&repo).copied().unwrap_or(0.0);
            let prev = prev_community.get(&repo).unwrap_or(&empty);
            let cr = community(c, rules.global.decay, month, &items, &edges, prev, total);
            let slot = prev_community.entry(repo).or_default();
            for (dev, v) in cr.developers {
                community_rows.push((repo as i64, dev as i64, v));
                slot.insert(dev, Previous { month, value: v });
            }
        }
        let robots_json = serde_json::to_string(&g.robots).unwrap_or_else(|_| "[]".into());
        store
            .gh_store_month(
                month,
                &ranks,
                &community_rows,
                g.iterations,
                g.converged,
                &robots_json,
            )
            .await?;
        for (dev, v) in &g.developers {
            prev_dev.insert(*dev, Previous { month, value: *v });
        }
        for (repo, v) in &g.repositories {
            prev_repo.insert(*repo, Previous { month, value: *v });
        }
        out.push(MonthComputed {
            month: month.label(),
            repositories: repo_sum.len(),
            developers: dev_sum.len(),
            robots: g.robots.len(),
            bots: bots_active,
            iterations: g.iterations,
            converged: g.converged,
            edges: edges.len(),
            openrank_seconds,
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    // Lockstep groups look across all months at once: a group's stars may
    // straddle a month's end.
    let stars: Vec<(u64, u64, i64)> = store
        .gh_busy_stars(rules.vanity.lockstep_repositories as i64)
        .await?
        .into_iter()
        .map(|(a, r, t)| (a as u64, r as u64, t))
        .collect();
    let vanity = rules.vanity.clone();
    let groups = tokio::task::spawn_blocking(move || {
        guildhall_analytics::vanity::lockstep_groups(&vanity, &stars)
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    store.gh_store_lockstep(&groups).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks hold whole lines whatever their length, and every line keeps
    /// its number across blocks (the numbers malformed lines are reported by).
    #[test]
    fn blocks_cut_at_line_ends_and_count_lines() {
        let long = "x".repeat(BLOCK_BYTES * 2 + 17);
        let mut text = String::new();
        let mut expected = Vec::new();
        for i in 1..=40_000u64 {
            let line = match i {
                7 => long.clone(),
                39_999 => String::new(),
                _ => format!("line {i} {}", "y".repeat((i % 97) as usize)),
            };
            text.push_str(&line);
            expected.push((i, line));
            if i < 40_000 {
                text.push('\n');
            }
        }
        // A plain file is mapped; a compressed one is read in blocks.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let plain = dir.join("events.json");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.join("events.json.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
        let packed = enc.finish().unwrap();
        std::fs::write(&gz, &packed).unwrap();
        for (path, size) in [(plain, text.len()), (gz, packed.len())] {
            let (tx, rx) = mpsc::sync_channel(1000);
            let bytes = Arc::new(AtomicU64::new(0));
            read_blocks(
                &[Input::File(path.clone())],
                tx,
                bytes.clone(),
                &Spares::new(),
            )
            .unwrap();
            assert_eq!(
                mapped(&Input::File(path.clone())).is_some(),
                size == text.len()
            );
            std::fs::remove_file(&path).unwrap();
            // Parsers finish blocks in any order: numbered here last first,
            // each line as if it were an error to be listed.
            let blocks: Vec<Block> = rx.into_iter().collect();
            let mut book = LineBook::default();
            let mut listed = Vec::new();
            for b in blocks.iter().rev() {
                let data = b.data.strip_suffix(b"\n").unwrap_or(&b.data);
                let mut lines = 0;
                for (k, line) in split_lines(data).enumerate() {
                    lines += 1;
                    book.listed(b.at, listed.len());
                    listed.push(MalformedLine {
                        file: b.file.to_string(),
                        line: b.at.line(k),
                        reason: String::from_utf8(line.to_vec()).unwrap(),
                    });
                }
                book.record(b.at, lines);
            }
            book.number(&mut listed);
            let mut seen: Vec<(u64, String)> =
                listed.into_iter().map(|m| (m.line, m.reason)).collect();
            seen.sort();
            let blocks = blocks.len();
            assert!(blocks > 3, "{blocks}");
            assert_eq!(seen.len(), expected.len());
            assert!(seen == expected, "lines differ");
            // Progress follows the file as stored.
            assert_eq!(bytes.load(Ordering::Relaxed), size as u64);
        }
    }
}
