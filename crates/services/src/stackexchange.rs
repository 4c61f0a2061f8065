//! Importing a Stack Exchange data dump into the community, and exporting
//! the community in the same format.
//!
//! Import reads the files in dependency order (users, tags, posts —
//! questions first, then answers — comments, votes, history, links,
//! badges). A reader thread parses each file and converts bodies (the CPU
//! work); this task resolves source ids to local ids and writes batches,
//! each one transaction that also records the source ids and how far the
//! file was read. Rows that cannot be imported are reported with file, row
//! and reason, and skipped or, with `OnError::Stop`, end the import.

use crate::{Result, ServiceError};
use guildhall_domain::CommunitySettings;
use guildhall_stackexchange::{
    dates, history_type, html, link_type, parse_tags, post_type, vote_type, DumpReader, DumpWriter,
    Row,
};
use guildhall_storage::bulk::worth_deferring;
use guildhall_storage::import::{
    Assigned, Closing, Counters, ExportQuery, ImpBadge, ImpComment, ImpLink, ImpPost, ImpRevision,
    ImpState, ImpUser, ImpVote, ImportBatch,
};
use guildhall_storage::sink::BulkWriter;
use guildhall_storage::Store;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Skip,
    Stop,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The source's name (default: the directory's name); re-running with
    /// the same name resumes or updates that import.
    pub name: String,
    pub on_error: OnError,
    /// Rows larger than this are refused (bounded memory per row).
    pub max_body_bytes: usize,
    pub batch: usize,
    /// Set the written tables' secondary indexes aside and build them at
    /// the end; `None` decides by the dump's size against the database's
    /// (see `guildhall_storage::bulk`).
    pub bulk: Option<bool>,
}

impl ImportOptions {
    pub fn for_dir(dir: &Path) -> ImportOptions {
        ImportOptions {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "stackexchange".into()),
            on_error: OnError::Skip,
            max_body_bytes: 1 << 20,
            batch: 2_000,
            bulk: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    pub users: u64,
    pub questions: u64,
    pub answers: u64,
    pub comments: u64,
    pub votes: u64,
    pub tags: u64,
    pub revisions: u64,
    pub badges: u64,
    pub links: u64,
    pub tag_wikis: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub row: u64,
    pub reason: String,
}

/// The report scripts read (`--format json`): these names are kept.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub imported: Imported,
    /// The first 1,000 rows skipped, each with its reason.
    pub skipped: Vec<Skipped>,
    pub skipped_total: u64,
    /// Rows already imported by an earlier run of this source.
    pub already_imported: u64,
    /// Rows guildhall has no place for, by design: history kinds such as
    /// bumps and notices, and the votes and history of tag wikis.
    pub not_kept: u64,
    pub files_missing: Vec<String>,
    pub stopped: bool,
    pub seconds: f64,
    /// Secondary indexes set aside during the import and built at its end.
    pub indexes_rebuilt: usize,
    /// Where the time went: each pass over a file, then the closing
    /// counters (`finish`), in order.
    pub steps: Vec<Step>,
    /// What the closing step computed from the rows (absent until it ran).
    pub closing: Option<Closing>,
}

/// One step of an import and its wall time.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: String,
    pub rows: u64,
    pub seconds: f64,
}

const SKIPPED_KEPT: usize = 1_000;

/// Progress as the reader moves through a file.
#[derive(Debug, Clone)]
pub struct Progress {
    pub file: String,
    pub bytes: u64,
    pub total: u64,
    pub rows: u64,
    pub posts: u64,
}

/// A username guildhall accepts made from a display name: letters, digits,
/// `-` and `_`, 3–30 characters, unique (the source id is appended when it
/// is taken).
fn username_for(display: &str, id: i64, taken: &mut HashSet<String>) -> String {
    let mut base: String = display
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .take(30)
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let base = base.trim_matches('-').to_string();
    let mut name = if base.chars().count() >= 3 {
        base.clone()
    } else {
        format!("user{}", id.unsigned_abs())
    };
    if taken.contains(&name.to_lowercase()) {
        let suffix = format!("-{}", id.unsigned_abs());
        let keep = 30usize.saturating_sub(suffix.len());
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        let mut n = 2;
        while taken.contains(&name.to_lowercase()) {
            name = format!(
                "{}{suffix}-{n}",
                base.chars()
                    .take(keep.saturating_sub(3))
                    .collect::<String>()
            );
            n += 1;
        }
    }
    taken.insert(name.to_lowercase());
    name
}

/// A stable id for a deleted account known only by its display name.
fn ghost_id(name: &str) -> i64 {
    // FNV-1a, kept positive.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (h >> 1) as i64
}

/// guildhall's close reason for a dump's close reason id.
fn close_reason(id: Option<i64>) -> &'static str {
    match id {
        Some(1) | Some(101) => "duplicate",
        Some(2) | Some(102) => "off_topic",
        Some(3) | Some(105) => "opinion_based",
        Some(4) | Some(103) | Some(104) => "needs_details",
        _ => "other",
    }
}

fn close_reason_id(reason: &str) -> i64 {
    match reason {
        "duplicate" => 101,
        "off_topic" => 102,
        "opinion_based" => 105,
        "needs_details" => 103,
        _ => 104,
    }
}

fn lost_writer() -> ServiceError {
    ServiceError::Internal("the import's connection was lost".into())
}

/// A batch written on the import's connection, handed back with it.
type Written = (BulkWriter, ImportBatch, guildhall_storage::Result<Assigned>);

/// What the reader hands over: a row with its converted text.
struct Parsed {
    row: Row,
    /// Markdown and safe HTML of the row's body, when it has one.
    body: Option<(String, String)>,
}

enum Item {
    Row(Parsed),
    Error(guildhall_stackexchange::ReadError),
    Progress(u64, u64),
}

/// Rows travel in chunks: one hand-over (and one wake-up) per chunk.
const CHUNK_ROWS: usize = 256;
/// Chunks read ahead of the importer (bounds memory: a few MB of posts).
const CHUNKS_AHEAD: usize = 8;

/// How a file's rows are converted.
#[derive(Clone, Copy)]
struct Conversion {
    body_attr: Option<&'static str>,
    html_body: bool,
    max_body: usize,
}

impl Conversion {
    /// The row's body as Markdown and rendered, sanitized HTML (the slow
    /// part of an import, done on the converter threads).
    fn apply(self, row: Row) -> Parsed {
        let body = self.body_attr.and_then(|a| row.get(a)).and_then(|b| {
            (b.len() <= self.max_body).then(|| {
                if self.html_body {
                    let md = html::to_markdown(b);
                    let html = guildhall_markdown::render(&md);
                    (md, html)
                } else {
                    (b.to_string(), guildhall_markdown::render(b))
                }
            })
        });
        Parsed { row, body }
    }
}

/// A chunk waiting for conversion, and where its result goes.
type Work = (Vec<Item>, tokio::sync::oneshot::Sender<Vec<Item>>);

/// Read `path` on a blocking thread, converting the rows `wanted` selects
/// on one thread per core; rows up to `skip` are passed by unread. Chunks
/// come out in file order: the importer awaits each chunk's own reply.
fn read_file(
    path: PathBuf,
    conv: Conversion,
    wanted: fn(&Row) -> bool,
    skip: u64,
) -> tokio::sync::mpsc::Receiver<tokio::sync::oneshot::Receiver<Vec<Item>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let (work_tx, work_rx) = crossbeam_channel::bounded::<Work>(workers);
    for i in 0..workers {
        let work_rx = work_rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("se-convert-{i}"))
            .spawn(move || {
                for (chunk, reply) in work_rx {
                    let items = chunk
                        .into_iter()
                        .map(|item| match item {
                            Item::Row(p) => Item::Row(conv.apply(p.row)),
                            other => other,
                        })
                        .collect();
                    let _ = reply.send(items);
                }
            });
        if spawned.is_err() && i > 0 {
            break;
        }
    }
    let _ = std::thread::Builder::new()
        .name("se-reader".into())
        .spawn(move || {
            // Hand a chunk to the converters and its reply slot to the
            // importer; false once the importer has gone.
            let send = |chunk: Vec<Item>| {
                let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
                tx.blocking_send(reply_rx).is_ok() && work_tx.send((chunk, reply_tx)).is_ok()
            };
            let mut r = match DumpReader::open(&path) {
                Ok(r) => r,
                Err(e) => {
                    send(vec![Item::Error(e)]);
                    return;
                }
            };
            let mut chunk = Vec::with_capacity(CHUNK_ROWS + 1);
            while let Some(x) = r.next_row() {
                match x {
                    Err(e) => chunk.push(Item::Error(e)),
                    Ok(row) if row.number <= skip || !wanted(&row) => continue,
                    Ok(row) => chunk.push(Item::Row(Parsed { row, body: None })),
                }
                if chunk.len() >= CHUNK_ROWS {
                    let (b, t) = r.progress();
                    chunk.push(Item::Progress(b, t));
                    if !send(std::mem::replace(
                        &mut chunk,
                        Vec::with_capacity(CHUNK_ROWS + 1),
                    )) {
                        return;
                    }
                }
            }
            let (b, t) = r.progress();
            chunk.push(Item::Progress(b.max(t), t));
            send(chunk);
        });
    rx
}

struct Importer<'a> {
    store: &'a Store,
    settings: &'a CommunitySettings,
    opts: ImportOptions,
    dir: PathBuf,
    source: i64,
    progress_done: HashMap<String, u64>,
    report: ImportReport,
    users: HashMap<i64, i64>,
    ghosts: HashMap<i64, i64>,
    posts: HashMap<i64, i64>,
    /// Question source id → its accepted answer's source id (kept in
    /// import_map as kind `accepted`, so a resumed import still knows).
    accepted: HashMap<i64, i64>,
    /// Ghosts queued in the current batch: name id → placeholder.
    ghost_pending: HashMap<i64, i64>,
    /// Source ids of the users, posts or comments in the current batch (a
    /// second row with one of them is a duplicate).
    in_batch: rustc_hash::FxHashSet<i64>,
    /// The batch being written while the next one is gathered (one at
    /// most: batches commit in file order, so progress stays resumable).
    writing: Option<tokio::task::JoinHandle<Written>>,
    /// The import's own connection, here while no batch is being written.
    writer: Option<BulkWriter>,
    /// Source ids of the batch being written (still duplicates).
    in_flight: rustc_hash::FxHashSet<i64>,
    /// Ghosts the batch being written creates: a row naming one waits for
    /// that write, to learn its id.
    ghosts_in_flight: rustc_hash::FxHashSet<i64>,
    /// Question local id → its asker (who accepted its answer).
    askers: HashMap<i64, i64>,
    /// The GUID of the revision being gathered.
    last_guid: String,
    /// The GUID of a revision found already imported.
    done_guid: String,
    /// Each post's text after its latest revision read.
    texts: RevisionTexts,
    comments: HashMap<i64, i64>,
    revisions: HashMap<i64, i64>,
    tags: HashMap<String, i64>,
    wiki_tag: HashMap<i64, (String, bool)>,
    /// Tag id → (excerpt, wiki) Markdown.
    wiki_text: HashMap<i64, (Option<String>, Option<String>)>,
    taken: HashSet<String>,
    /// Each post's votes and comments as the dump has them (see [`tally`]).
    tallies: FxHashMap<i64, Tally>,
    /// Whether the posts' vote and comment counters, written from the
    /// tallies, are borne out by every vote and comment row written: none
    /// of those rows skipped or found already there, in one run. The
    /// closing step then computes only questions' answers from the rows.
    tallies_exact: bool,
    /// This run is the source's first: the maps hold only what it wrote.
    fresh: bool,
    /// Question local id → the answers this run wrote to it and the last
    /// of them it wrote as accepted, for each question it wrote. On a
    /// first run that hides no post (`hid_posts`) these are the questions'
    /// counters, and the closing step need not count them from the rows.
    answers_written: FxHashMap<i64, (i64, Option<i64>)>,
    /// Tag id → the questions this run wrote with it (the same first run
    /// adds them to the tags' counts).
    tag_questions: FxHashMap<i64, i64>,
    /// A history row of this run deleted or undeleted a post.
    hid_posts: bool,
    on_progress: &'a (dyn Fn(&Progress) + Sync),
}

/// A post's title, body and tags.
type Texts = (String, String, String);

/// Each post's text after its latest revision read: a history row repeats
/// only the field it changes. Bounded: a post untouched for `window`
/// revisions (ten batches: its revisions long committed) is dropped and
/// read back from the database if it is edited again (a million posts'
/// texts took 600 MB when all were kept).
struct RevisionTexts {
    recent: FxHashMap<i64, (u64, Texts)>,
    dropped: rustc_hash::FxHashSet<i64>,
    tick: u64,
    window: u64,
    /// A resumed import's earlier revisions are only in the database.
    resumed: bool,
}

impl RevisionTexts {
    fn new(resumed: bool, batch: usize) -> RevisionTexts {
        RevisionTexts {
            recent: FxHashMap::default(),
            dropped: Default::default(),
            tick: 0,
            window: 10 * batch.max(1) as u64,
            resumed,
        }
    }

    fn get(&self, post: i64) -> Option<Texts> {
        self.recent.get(&post).map(|(_, t)| t.clone())
    }

    /// Whether the post's text must be read from the database.
    fn stored(&self, post: i64) -> bool {
        !self.recent.contains_key(&post) && (self.resumed || self.dropped.contains(&post))
    }

    /// The post's latest revision is in the database, not here.
    fn forget(&mut self, post: i64) {
        self.recent.remove(&post);
        self.dropped.insert(post);
    }

    fn put(&mut self, post: i64, texts: Texts) {
        self.tick += 1;
        self.recent.insert(post, (self.tick, texts));
        if self.recent.len() as u64 > 2 * self.window {
            let oldest = self.tick - self.window;
            let dropped = &mut self.dropped;
            self.recent.retain(|post, (tick, _)| {
                let keep = *tick > oldest;
                if !keep {
                    dropped.insert(*post);
                }
                keep
            });
        }
    }
}

/// A post's up and down votes and comments, counted ahead from the dump.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    up: u32,
    down: u32,
    comments: u32,
}

/// Count each post's votes and comments in Votes.xml and Comments.xml
/// (by source post id), so posts are written with their counters: the
/// closing step then corrects only the few a skipped row made wrong rather
/// than rewriting every post. Reading the two files costs a few seconds on
/// threads of their own; a million posts' tallies take some 30 MB.
fn tally(dir: &Path, max_body: usize) -> FxHashMap<i64, Tally> {
    type Count = fn(&Row, usize, &mut FxHashMap<i64, Tally>);
    // The same checks the passes make (their rows would be skipped).
    fn valid(row: &Row, attrs: &[&str]) -> bool {
        row.required_int("Id").is_ok()
            && row.required_int("PostId").is_ok()
            && row.required_date("CreationDate").is_ok()
            && attrs.iter().all(|a| row.required_int(a).is_ok())
    }
    let votes: Count = |row, _, out| {
        if !valid(row, &["VoteTypeId"]) {
            return;
        }
        let post = row.required_int("PostId").unwrap_or_default();
        match row.required_int("VoteTypeId") {
            Ok(vote_type::UP) => out.entry(post).or_default().up += 1,
            Ok(vote_type::DOWN) => out.entry(post).or_default().down += 1,
            _ => {}
        }
    };
    let comments: Count = |row, max_body, out| {
        if valid(row, &[]) && row.get("Text").is_some_and(|t| t.len() <= max_body) {
            let post = row.required_int("PostId").unwrap_or_default();
            out.entry(post).or_default().comments += 1;
        }
    };
    let count = |file: &str, f: Count| {
        let mut out = FxHashMap::default();
        if let Ok(mut r) = DumpReader::open(&dir.join(file)) {
            while let Some(row) = r.next_row() {
                if let Ok(row) = row {
                    f(&row, max_body, &mut out);
                }
            }
        }
        out
    };
    // The two files on two threads: the posts pass waits for both.
    std::thread::scope(|scope| {
        let voted = scope.spawn(|| count("Votes.xml", votes));
        let mut out = count("Comments.xml", comments);
        for (post, t) in voted.join().unwrap_or_default() {
            let o = out.entry(post).or_default();
            o.up += t.up;
            o.down += t.down;
        }
        out
    })
}

/// The tables an import fills; on a bulk import their secondary indexes
/// are built once at the end.
const WRITTEN_TABLES: &[&str] = &[
    "posts",
    "post_tags",
    "comments",
    "revisions",
    "import_map",
    "imported_votes",
    "bookmarks",
    "reputation_ledger",
    "accept_events",
    "badge_awards",
    "imported_badges",
    "post_links",
];

/// The bytes of the dump's files.
fn dump_bytes(dir: &Path) -> u64 {
    guildhall_stackexchange::FILES
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Import the dump in `dir`; the report says what was imported and skipped.
pub async fn import(
    store: &Store,
    settings: &CommunitySettings,
    dir: &Path,
    opts: ImportOptions,
    on_progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ImportReport> {
    let started = Instant::now();
    let source = store.import_source(&opts.name, "stackexchange").await?;
    let resuming = source.state == "running" || source.state == "failed";
    let batch = opts.batch;
    // Revisions an earlier run of this source committed are only in the
    // database.
    let history_begun = resuming
        && source
            .progress
            .get(Pass::History.key())
            .is_some_and(|rows| *rows > 0);
    let mut im = Importer {
        store,
        settings,
        dir: dir.to_path_buf(),
        source: source.id,
        progress_done: if resuming {
            source.progress.clone()
        } else {
            HashMap::new()
        },
        report: ImportReport {
            source: opts.name.clone(),
            ..Default::default()
        },
        opts,
        users: store.import_map(source.id, "user").await?,
        ghosts: store.import_map(source.id, "ghost").await?,
        posts: store.import_map(source.id, "post").await?,
        accepted: store.import_map(source.id, "accepted").await?,
        ghost_pending: HashMap::new(),
        in_batch: Default::default(),
        writing: None,
        writer: Some(store.import_writer().await?),
        in_flight: Default::default(),
        ghosts_in_flight: Default::default(),
        askers: HashMap::new(),
        last_guid: String::new(),
        done_guid: String::new(),
        texts: RevisionTexts::new(history_begun, batch),
        comments: store.import_map(source.id, "comment").await?,
        revisions: store.import_map(source.id, "revision").await?,
        tags: HashMap::new(),
        wiki_tag: HashMap::new(),
        wiki_text: HashMap::new(),
        taken: store.username_keys().await?,
        tallies: FxHashMap::default(),
        tallies_exact: false,
        answers_written: FxHashMap::default(),
        tag_questions: FxHashMap::default(),
        hid_posts: false,
        fresh: false,
        on_progress,
    };
    // A first run of this source (or a rerun of one that committed
    // nothing): what it writes is all the source has.
    im.fresh = im.progress_done.values().all(|rows| *rows == 0)
        && im.users.is_empty()
        && im.posts.is_empty()
        && im.revisions.is_empty();
    im.tallies_exact = im.fresh;
    store.set_import_state(source.id, "running", "").await?;
    let bulk = match im.opts.bulk {
        Some(b) => b,
        None => worth_deferring(dump_bytes(dir), store.database_bytes().await?),
    };
    if bulk {
        store.defer_indexes(WRITTEN_TABLES).await?;
    }
    let result = im.run().await;
    // Built whatever happened: a stopped or failed import leaves a
    // community that is browsed (and resumed) with its indexes.
    let t = Instant::now();
    im.report.indexes_rebuilt = store.restore_indexes().await?;
    if im.report.indexes_rebuilt > 0 {
        im.report.steps.push(Step {
            step: "indexes".into(),
            rows: 0,
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    im.report.seconds = started.elapsed().as_secs_f64();
    let json = serde_json::to_string(&im.report).unwrap_or_default();
    match result {
        Ok(()) if !im.report.stopped => {
            let t = Instant::now();
            let closing = im.closing();
            if closing.counters == Counters::Known {
                let mut counts: Vec<(i64, i64, Option<i64>)> = im
                    .answers_written
                    .iter()
                    .map(|(q, (n, accepted))| (*q, *n, *accepted))
                    .collect();
                counts.sort_unstable();
                let mut tags: Vec<(i64, i64)> =
                    im.tag_questions.iter().map(|(t, n)| (*t, *n)).collect();
                tags.sort_unstable();
                let writer = im.writer.as_mut().ok_or_else(lost_writer)?;
                store.write_known_counters(writer, &counts, &tags).await?;
            }
            store.finish_import(source.id, closing).await?;
            // The import's connection lets the log grow (up to ~800 MB);
            // copied back and emptied here, as part of the import's time.
            drop(im.writer.take());
            store.checkpoint().await?;
            im.report.closing = Some(closing);
            im.report.steps.push(Step {
                step: "finish".into(),
                rows: 0,
                seconds: t.elapsed().as_secs_f64(),
            });
            im.report.seconds = started.elapsed().as_secs_f64();
            let json = serde_json::to_string(&im.report).unwrap_or_default();
            store.set_import_state(source.id, "done", &json).await?;
        }
        Ok(()) => store.set_import_state(source.id, "failed", &json).await?,
        Err(e) => {
            store.set_import_state(source.id, "failed", &json).await?;
            return Err(e);
        }
    }
    Ok(im.report)
}

impl Importer<'_> {
    /// What the closing step must still do, from what this run saw.
    fn closing(&self) -> Closing {
        let with_history: rustc_hash::FxHashSet<i64> = self.revisions.values().copied().collect();
        Closing {
            counters: if self.tallies_exact && self.fresh && !self.hid_posts {
                Counters::Known
            } else if self.tallies_exact {
                Counters::Answers
            } else {
                Counters::All
            },
            // Only this run's revisions say which post they belong to.
            every_post_has_history: self.fresh
                && self.posts.values().all(|p| with_history.contains(p)),
        }
    }

    fn skip(&mut self, file: &str, row: u64, reason: impl Into<String>) {
        if file == Pass::Votes.file() || file == Pass::Comments.file() {
            self.tallies_exact = false;
        }
        self.report.skipped_total += 1;
        if self.report.skipped.len() < SKIPPED_KEPT {
            self.report.skipped.push(Skipped {
                file: file.to_string(),
                row,
                reason: reason.into(),
            });
        }
        if self.opts.on_error == OnError::Stop {
            self.report.stopped = true;
        }
    }

    fn path(&mut self, file: &str) -> Option<PathBuf> {
        let p = self.dir.join(file);
        if p.exists() {
            Some(p)
        } else {
            self.report.files_missing.push(file.to_string());
            None
        }
    }

    async fn tags_pass(&mut self) -> Result<()> {
        let mut names: Vec<(Option<i64>, String)> = Vec::new();
        if let Some(path) = self.path("Tags.xml") {
            match DumpReader::open(&path) {
                Err(e) => self.skip(&e.file, e.row, e.reason),
                Ok(mut r) => {
                    while let Some(x) = r.next_row() {
                        match x {
                            Err(e) => self.skip(&e.file, e.row, e.reason),
                            Ok(row) => match tag_row(&row) {
                                Ok((id, name, wikis)) => {
                                    for (pid, wiki) in wikis {
                                        self.wiki_tag.insert(pid, (name.clone(), wiki));
                                    }
                                    names.push((Some(id), name));
                                }
                                Err(reason) => self.skip("Tags.xml", row.number, reason),
                            },
                        }
                        if self.report.stopped {
                            return Ok(());
                        }
                    }
                }
            }
        }
        let before = self.store.tag_ids().await?.len();
        let writer = self.writer.as_mut().ok_or_else(lost_writer)?;
        self.tags = self.store.import_tags(writer, self.source, &names).await?;
        self.report.imported.tags += (self.tags.len() - before) as u64;
        Ok(())
    }
}

/// A tag's id, name, and wiki posts (id, whether it is the long wiki).
type TagRow = (i64, String, Vec<(i64, bool)>);

/// A Tags.xml row.
fn tag_row(row: &Row) -> std::result::Result<TagRow, String> {
    let id = row.required_int("Id")?;
    let name = row
        .get("TagName")
        .ok_or("missing required attribute TagName")?
        .trim()
        .to_lowercase();
    if name.is_empty() || name.chars().count() > 64 || name.contains(char::is_whitespace) {
        return Err(format!("tag name {name:?} is not usable"));
    }
    let mut wikis = Vec::new();
    for (attr, wiki) in [("ExcerptPostId", false), ("WikiPostId", true)] {
        if let Some(pid) = row.int(attr)? {
            wikis.push((pid, wiki));
        }
    }
    Ok((id, name, wikis))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Users,
    Questions,
    Answers,
    Comments,
    Votes,
    History,
    Links,
    Badges,
}

impl Pass {
    fn file(self) -> &'static str {
        match self {
            Pass::Users => "Users.xml",
            Pass::Questions | Pass::Answers => "Posts.xml",
            Pass::Comments => "Comments.xml",
            Pass::Votes => "Votes.xml",
            Pass::History => "PostHistory.xml",
            Pass::Links => "PostLinks.xml",
            Pass::Badges => "Badges.xml",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Pass::Questions => "Posts.xml#questions",
            Pass::Answers => "Posts.xml#answers",
            p => p.file(),
        }
    }
    /// The attribute holding converted text, and whether it is HTML.
    fn body(self) -> Option<(&'static str, bool)> {
        match self {
            Pass::Users => Some(("AboutMe", true)),
            Pass::Questions | Pass::Answers => Some(("Body", true)),
            Pass::Comments => Some(("Text", false)),
            _ => None,
        }
    }
    /// The attributes naming a row's author: user id and display name.
    fn author_attrs(self) -> Option<(&'static str, &'static str)> {
        match self {
            Pass::Questions | Pass::Answers => Some(("OwnerUserId", "OwnerDisplayName")),
            Pass::Comments | Pass::History => Some(("UserId", "UserDisplayName")),
            _ => None,
        }
    }
    fn wanted(self) -> fn(&Row) -> bool {
        match self {
            Pass::Questions => |r| !matches!(r.int("PostTypeId"), Ok(Some(post_type::ANSWER))),
            Pass::Answers => |r| matches!(r.int("PostTypeId"), Ok(Some(post_type::ANSWER))),
            _ => |_| true,
        }
    }
}

type RowResult = std::result::Result<(), String>;

/// Rows about tag wikis (their votes and history) are not kept: the wiki's
/// text becomes the tag's description.
const WIKI: &str = "about a tag wiki (its text is the tag's description)";

/// A placeholder author (a ghost queued in the same batch) resolved.
fn resolve(author: i64, users: &[i64]) -> i64 {
    if author < 0 {
        users[(-author - 1) as usize]
    } else {
        author
    }
}

impl Importer<'_> {
    async fn run(&mut self) -> Result<()> {
        let posts_done = self.progress_done.get(Pass::Answers.key()) == Some(&u64::MAX);
        let tallies = (!posts_done).then(|| {
            let (dir, max_body) = (self.dir.clone(), self.opts.max_body_bytes);
            tokio::task::spawn_blocking(move || tally(&dir, max_body))
        });
        self.pass(Pass::Users).await?;
        if !self.report.stopped {
            self.tags_pass().await?;
        }
        match tallies {
            Some(t) => match t.await {
                Ok(t) => self.tallies = t,
                Err(_) => self.tallies_exact = false,
            },
            None => self.tallies_exact = false,
        }
        for p in [
            Pass::Questions,
            Pass::Answers,
            Pass::Comments,
            Pass::Votes,
            Pass::History,
            Pass::Links,
            Pass::Badges,
        ] {
            if self.report.stopped {
                break;
            }
            self.pass(p).await?;
        }
        self.tallies = FxHashMap::default();
        Ok(())
    }

    /// Read one file, writing a batch every `opts.batch` rows; progress
    /// goes with each batch, so a resumed import starts after the last one.
    async fn pass(&mut self, pass: Pass) -> Result<()> {
        let read = self.read_pass(pass).await;
        // Whatever happened, the write under way lands (or fails) first.
        let written = self.settle().await;
        read.and(written)
    }

    async fn read_pass(&mut self, pass: Pass) -> Result<()> {
        let file = pass.file();
        let Some(path) = self.path(file) else {
            if pass == Pass::Answers {
                self.report.files_missing.pop();
            }
            return Ok(());
        };
        let key = pass.key();
        let skip = self.progress_done.get(key).copied().unwrap_or(0);
        if skip == u64::MAX {
            return Ok(());
        }
        let (body_attr, html_body) = match pass.body() {
            Some((a, h)) => (Some(a), h),
            None => (None, false),
        };
        let conv = Conversion {
            body_attr,
            html_body,
            max_body: self.opts.max_body_bytes,
        };
        let mut chunks = read_file(path, conv, pass.wanted(), skip);
        let started = Instant::now();
        let mut batch = ImportBatch::default();
        let mut prog = Progress {
            file: file.to_string(),
            bytes: 0,
            total: 0,
            rows: 0,
            posts: 0,
        };
        let mut last = skip;
        'chunks: while let Some(reply) = chunks.recv().await {
            let items = reply.await.map_err(|_| {
                ServiceError::Internal(format!("converting the rows of {file} failed"))
            })?;
            for item in items {
                match item {
                    Item::Progress(b, t) => {
                        prog.bytes = b;
                        prog.total = t;
                        prog.posts = self.report.imported.questions + self.report.imported.answers;
                        (self.on_progress)(&prog);
                    }
                    Item::Error(e) => self.skip(&e.file, e.row, e.reason.clone()),
                    Item::Row(p) => {
                        // A full batch is written before the next row, unless
                        // that row continues the batch's last revision (whose
                        // rows must land in one batch to make one revision).
                        if batch.len() >= self.opts.batch && !self.continues(pass, &p.row) {
                            batch.progress = Some((key.to_string(), last));
                            self.flush(&mut batch).await?;
                        }
                        prog.rows += 1;
                        last = p.row.number;
                        match self.row(pass, p, &mut batch).await? {
                            Err(reason) if reason == WIKI => self.report.not_kept += 1,
                            Err(reason) => self.skip(file, last, reason),
                            Ok(()) => {}
                        }
                    }
                }
                if self.report.stopped {
                    break 'chunks;
                }
            }
        }
        let done = if self.report.stopped { last } else { u64::MAX };
        batch.progress = Some((key.to_string(), done));
        self.flush(&mut batch).await?;
        self.settle().await?;
        self.report.steps.push(Step {
            step: key.to_string(),
            rows: prog.rows,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(())
    }

    /// Whether `row` is another row of the revision just read (the rows of
    /// one revision share a GUID and follow each other).
    fn continues(&self, pass: Pass, row: &Row) -> bool {
        pass == Pass::History
            && !self.last_guid.is_empty()
            && row.get("RevisionGUID") == Some(self.last_guid.as_str())
    }

    async fn row(&mut self, pass: Pass, p: Parsed, b: &mut ImportBatch) -> Result<RowResult> {
        if self.needs_written_ghost(pass, &p.row) {
            self.settle().await?;
        }
        Ok(match pass {
            Pass::Users => self.user_row(p, b),
            Pass::Questions | Pass::Answers => return self.post_row(p, b).await,
            Pass::Comments => self.comment_row(p, b),
            Pass::Votes => self.vote_row(p, b),
            Pass::History => {
                // A post edited again long after its last revision: its
                // text is read back from the database.
                let edit = matches!(
                    p.row.int("PostHistoryTypeId"),
                    Ok(Some(
                        history_type::INITIAL_TITLE..=history_type::ROLLBACK_TAGS
                    ))
                );
                let post = p.row.int("PostId").ok().flatten();
                if let Some(local) = post.and_then(|s| self.posts.get(&s).copied()) {
                    if edit && self.texts.stored(local) {
                        let t = self.store.latest_revision_texts(local).await?;
                        self.texts.put(local, t.unwrap_or_default());
                    }
                }
                self.history_row(p, b)
            }
            Pass::Links => self.link_row(p, b),
            Pass::Badges => self.badge_row(p, b),
        })
    }

    /// Start writing the batch, once the one before it is written: the
    /// next batch is gathered while this one is written (on SQLite the
    /// writer is one thread, and gathering used to wait for it).
    async fn flush(&mut self, batch: &mut ImportBatch) -> Result<()> {
        let b = std::mem::take(batch);
        self.settle().await?;
        self.ghosts_in_flight = self.ghost_pending.drain().map(|(gid, _)| gid).collect();
        std::mem::swap(&mut self.in_flight, &mut self.in_batch);
        self.in_batch.clear();
        if b.is_empty() && b.progress.is_none() {
            return Ok(());
        }
        // Known without the write: a later row of the same id is a repeat.
        for r in &b.revisions {
            self.revisions.insert(r.source_id, r.post_id);
        }
        let (store, source) = (self.store.clone(), self.source);
        let mut writer = self.writer.take().ok_or_else(lost_writer)?;
        // SQLite's writes block (and its connection cannot be shared across
        // awaits on other threads): the write gets a thread of its own.
        let handle = tokio::runtime::Handle::current();
        self.writing = Some(tokio::task::spawn_blocking(move || {
            let assigned = handle.block_on(store.apply_import_batch(&mut writer, source, &b));
            (writer, b, assigned)
        }));
        Ok(())
    }

    /// Wait for the batch being written and learn the ids it was given.
    async fn settle(&mut self) -> Result<()> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let (writer, b, assigned) = writing
            .await
            .map_err(|e| ServiceError::Internal(format!("writing a batch failed: {e}")))?;
        self.writer = Some(writer);
        let assigned = assigned?;
        self.in_flight.clear();
        self.ghosts_in_flight.clear();
        for (u, id) in b.users.iter().zip(&assigned.users) {
            if u.ghost {
                self.ghosts.insert(u.source_id, *id);
            } else {
                self.users.insert(u.source_id, *id);
            }
        }
        for (p, id) in b.posts.iter().zip(&assigned.posts) {
            self.posts.insert(p.source_id, *id);
            if p.kind == 1 {
                self.askers
                    .insert(*id, resolve(p.author_id, &assigned.users));
                self.answers_written.entry(*id).or_default();
                for tag in &p.tag_ids {
                    *self.tag_questions.entry(*tag).or_default() += 1;
                }
            }
            if let Some(q) = p.question_id {
                let counted = self.answers_written.entry(q).or_default();
                counted.0 += 1;
                if p.accepted {
                    counted.1 = Some(*id);
                }
            }
        }
        for (c, id) in b.comments.iter().zip(&assigned.comments) {
            self.comments.insert(c.source_id, *id);
        }
        let i = &mut self.report.imported;
        i.users += b.users.iter().filter(|u| !u.ghost).count() as u64;
        i.questions += b.posts.iter().filter(|p| p.kind == 1).count() as u64;
        i.answers += b.posts.iter().filter(|p| p.kind == 2).count() as u64;
        i.comments += b.comments.len() as u64;
        i.votes += assigned.votes;
        i.revisions += b.revisions.len() as u64;
        i.badges += assigned.badges;
        i.links += assigned.links;
        if assigned.votes < b.votes.len() as u64 {
            self.tallies_exact = false;
        }
        self.report.already_imported += (b.votes.len() as u64 - assigned.votes)
            + (b.badges.len() as u64 - assigned.badges)
            + (b.links.len() as u64 - assigned.links);
        i.tag_wikis += b.tag_descriptions.len() as u64;
        Ok(())
    }

    /// A repeated source id: in this batch or the one being written.
    fn repeated(&self, id: i64) -> bool {
        self.in_batch.contains(&id) || self.in_flight.contains(&id)
    }

    /// The local author of a row: the member, or a stand-in for a deleted
    /// account the dump names only by display name, queued in the batch
    /// (a negative placeholder the batch resolves) when new.
    fn author(
        &mut self,
        id: Option<i64>,
        display: Option<&str>,
        first_seen: i64,
        b: &mut ImportBatch,
    ) -> i64 {
        let (gid, name) = match self.member_or_ghost(id, display) {
            Ok(local) => return local,
            Err(ghost) => ghost,
        };
        if let Some(local) = self
            .ghosts
            .get(&gid)
            .or_else(|| self.ghost_pending.get(&gid))
        {
            return *local;
        }
        let username = username_for(&name, gid % 100_000, &mut self.taken);
        b.users.push(ImpUser {
            source_id: gid,
            username,
            // Known only from their posts: "member since" their first one read.
            created_at: first_seen,
            shown: self.settings.reputation.shown(0, true),
            ghost: true,
            ..Default::default()
        });
        let placeholder = -(b.users.len() as i64);
        self.ghost_pending.insert(gid, placeholder);
        placeholder
    }

    /// The member's local id, or the name id and name of the stand-in a
    /// row without a known member is credited to.
    fn member_or_ghost(
        &self,
        id: Option<i64>,
        display: Option<&str>,
    ) -> std::result::Result<i64, (i64, String)> {
        if let Some(local) = id.and_then(|i| self.users.get(&i)) {
            return Ok(*local);
        }
        let name = match (display, id) {
            (Some(d), _) if !d.trim().is_empty() => d.trim().to_string(),
            (_, Some(i)) => format!("user{i}"),
            _ => "anonymous".to_string(),
        };
        Err((ghost_id(&name), name))
    }

    /// Whether `row` is credited to a stand-in the batch being written
    /// creates (the row then waits for its id).
    fn needs_written_ghost(&self, pass: Pass, row: &Row) -> bool {
        if self.ghosts_in_flight.is_empty() {
            return false;
        }
        let Some((id_attr, name_attr)) = pass.author_attrs() else {
            return false;
        };
        let id = row.int(id_attr).ok().flatten();
        match self.member_or_ghost(id, row.get(name_attr)) {
            Ok(_) => false,
            Err((gid, _)) => self.ghosts_in_flight.contains(&gid),
        }
    }

    fn post_of(&self, row: &Row, attr: &str) -> std::result::Result<i64, String> {
        let pid = row.required_int(attr)?;
        match self.posts.get(&pid) {
            Some(p) => Ok(*p),
            None if self.wiki_tag.contains_key(&pid) => Err(WIKI.into()),
            None => Err(format!("post {pid} is not in the dump")),
        }
    }

    fn user_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        let id = p.row.required_int("Id")?;
        if self.users.contains_key(&id) {
            self.report.already_imported += 1;
            return Ok(());
        }
        if self.repeated(id) {
            return Err(format!("duplicate Id {id}"));
        }
        let created = p.row.required_date("CreationDate")?;
        let display = p.row.get("DisplayName").unwrap_or("");
        let reputation = p.row.int("Reputation")?.unwrap_or(1);
        let about = match (&p.body, p.row.get("AboutMe")) {
            (Some((md, _)), _) => md.clone(),
            (None, Some(a)) => {
                return Err(format!("AboutMe of {} bytes is over the limit", a.len()))
            }
            (None, None) => String::new(),
        };
        self.in_batch.insert(id);
        b.users.push(ImpUser {
            source_id: id,
            username: username_for(display, id, &mut self.taken),
            about,
            location: p.row.text("Location").chars().take(200).collect(),
            website: p.row.text("WebsiteUrl").chars().take(500).collect(),
            created_at: created,
            reputation,
            shown: self.settings.reputation.shown(reputation, true),
            ghost: false,
        });
        Ok(())
    }

    fn comment_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        let id = p.row.required_int("Id")?;
        if self.comments.contains_key(&id) {
            self.tallies_exact = false;
            self.report.already_imported += 1;
            return Ok(());
        }
        if self.repeated(id) {
            return Err(format!("duplicate Id {id}"));
        }
        let post_id = self.post_of(&p.row, "PostId")?;
        let created = p.row.required_date("CreationDate")?;
        let Some((body_md, body_html)) = p.body else {
            return Err("missing or oversized Text".into());
        };
        let author = self.author(
            p.row.int("UserId")?,
            p.row.get("UserDisplayName"),
            created,
            b,
        );
        self.in_batch.insert(id);
        b.comments.push(ImpComment {
            source_id: id,
            post_id,
            author_id: author,
            body_md,
            body_html,
            created_at: created,
        });
        Ok(())
    }

    fn vote_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        let id = p.row.required_int("Id")?;
        let post_id = self.post_of(&p.row, "PostId")?;
        let kind = p.row.required_int("VoteTypeId")?;
        let created = p.row.required_date("CreationDate")?;
        let user = p
            .row
            .int("UserId")?
            .and_then(|u| self.users.get(&u).copied());
        let value = match kind {
            vote_type::UP => 1,
            vote_type::DOWN => -1,
            _ => 0,
        };
        b.votes.push(ImpVote {
            source_id: id,
            post_id,
            vote_type: kind,
            value,
            user_id: user,
            bounty: p.row.int("BountyAmount")?,
            created_at: created,
            bookmark: kind == vote_type::FAVORITE,
        });
        Ok(())
    }

    fn history_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        use history_type::*;
        let id = p.row.required_int("Id")?;
        let kind = p.row.required_int("PostHistoryTypeId")?;
        let post_id = self.post_of(&p.row, "PostId")?;
        let created = p.row.required_date("CreationDate")?;
        let text = p.row.text("Text");
        match kind {
            INITIAL_TITLE..=ROLLBACK_TAGS => {
                let guid = p.row.text("RevisionGUID").to_string();
                let author = self.author(
                    p.row.int("UserId")?,
                    p.row.get("UserDisplayName"),
                    created,
                    b,
                );
                // Rows of one revision share a GUID and follow each other.
                let same = b.revisions.last().is_some_and(|r| {
                    r.post_id == post_id && self.last_guid == guid && !guid.is_empty()
                });
                if !guid.is_empty() && guid == self.done_guid {
                    // The rest of a revision an earlier run imported.
                    return Ok(());
                }
                if !same {
                    if self.revisions.contains_key(&id) {
                        self.report.already_imported += 1;
                        // A later revision reads this one back.
                        self.texts.forget(post_id);
                        self.done_guid = guid;
                        return Ok(());
                    }
                    // Start from the post's state before this revision.
                    let prev = self.texts.get(post_id).unwrap_or_default();
                    b.revisions.push(ImpRevision {
                        source_id: id,
                        post_id,
                        author_id: author,
                        kind: match kind {
                            INITIAL_TITLE..=INITIAL_TAGS => "initial",
                            ROLLBACK_TITLE..=ROLLBACK_TAGS => "rollback",
                            _ => "edit",
                        },
                        title: prev.0,
                        body_md: prev.1,
                        tags: prev.2,
                        comment: p.row.text("Comment").to_string(),
                        created_at: created,
                    });
                    self.last_guid = guid;
                }
                let r = b.revisions.last_mut().expect("pushed above");
                match kind {
                    INITIAL_TITLE | EDIT_TITLE | ROLLBACK_TITLE => r.title = text.to_string(),
                    INITIAL_BODY | EDIT_BODY | ROLLBACK_BODY => r.body_md = text.to_string(),
                    _ => r.tags = parse_tags(text).join(" "),
                }
                self.texts.put(
                    post_id,
                    (r.title.clone(), r.body_md.clone(), r.tags.clone()),
                );
            }
            CLOSED | REOPENED => b.states.push(ImpState {
                post_id,
                closed: Some(if kind == CLOSED {
                    (
                        Some(created),
                        close_reason(p.row.int("Comment").ok().flatten()).to_string(),
                    )
                } else {
                    (None, String::new())
                }),
                ..Default::default()
            }),
            DELETED | UNDELETED => {
                self.hid_posts = true;
                b.states.push(ImpState {
                    post_id,
                    deleted: Some((kind == DELETED).then_some(created)),
                    ..Default::default()
                })
            }
            LOCKED | UNLOCKED => b.states.push(ImpState {
                post_id,
                locked: Some((kind == LOCKED).then_some(created)),
                ..Default::default()
            }),
            _ => self.report.not_kept += 1,
        }
        Ok(())
    }

    fn link_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        let id = p.row.required_int("Id")?;
        let post_id = self.post_of(&p.row, "PostId")?;
        let related = self.post_of(&p.row, "RelatedPostId")?;
        let kind = p.row.required_int("LinkTypeId")?;
        if kind != link_type::LINKED && kind != link_type::DUPLICATE {
            return Err(format!("link type {kind} is unknown"));
        }
        b.links.push(ImpLink {
            source_id: id,
            post_id,
            related_id: related,
            link_type: kind,
            created_at: p.row.required_date("CreationDate")?,
        });
        Ok(())
    }

    fn badge_row(&mut self, p: Parsed, b: &mut ImportBatch) -> RowResult {
        let id = p.row.required_int("Id")?;
        let uid = p.row.required_int("UserId")?;
        let user = *self
            .users
            .get(&uid)
            .ok_or_else(|| format!("user {uid} is not in the dump"))?;
        let name = p
            .row
            .get("Name")
            .filter(|n| !n.trim().is_empty())
            .ok_or("missing required attribute Name")?;
        let matched = self
            .settings
            .badges
            .iter()
            .find(|d| d.name_en.eq_ignore_ascii_case(name.trim()))
            .map(|d| d.key.clone());
        b.badges.push(ImpBadge {
            source_id: id,
            user_id: user,
            name: name.trim().to_string(),
            class: p.row.int("Class")?.unwrap_or(3),
            tag_based: p.row.text("TagBased").eq_ignore_ascii_case("true"),
            awarded_at: p.row.required_date("Date")?,
            matched,
        });
        Ok(())
    }

    /// One post row into the batch.
    async fn post_row(&mut self, p: Parsed, b: &mut ImportBatch) -> Result<RowResult> {
        let row = &p.row;
        let id = match row.required_int("Id") {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let kind = match row.required_int("PostTypeId") {
            Ok(k) => k,
            Err(e) => return Ok(Err(e)),
        };
        if self.posts.contains_key(&id) {
            self.report.already_imported += 1;
            return Ok(Ok(()));
        }
        if self.repeated(id) {
            return Ok(Err(format!("duplicate Id {id}")));
        }
        let Some((body_md, body_html)) = p.body else {
            return Ok(Err(match row.get("Body") {
                Some(body) => format!(
                    "body of {} bytes is over the limit of {} bytes",
                    body.len(),
                    self.opts.max_body_bytes
                ),
                None => "missing required attribute Body".into(),
            }));
        };
        if kind == post_type::TAG_WIKI || kind == post_type::TAG_WIKI_EXCERPT {
            let Some((tag, wiki)) = self.wiki_tag.get(&id).cloned() else {
                return Ok(Err("tag wiki of no tag in Tags.xml".into()));
            };
            let Some(tag_id) = self.tags.get(&tag).copied() else {
                return Ok(Err(format!(
                    "tag wiki of tag {tag}, which was not imported"
                )));
            };
            let text = self.wiki_text.entry(tag_id).or_default();
            if wiki {
                text.1 = Some(body_md);
            } else {
                text.0 = Some(body_md);
            }
            let desc = [text.0.clone(), text.1.clone()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n\n");
            b.tag_descriptions.push((tag_id, desc));
            return Ok(Ok(()));
        }
        if kind != post_type::QUESTION && kind != post_type::ANSWER {
            return Ok(Err(format!(
                "post type {kind} is not kept (only questions, answers and tag wikis)"
            )));
        }
        let created = match row.required_date("CreationDate") {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let num = |k: &str| row.int(k).ok().flatten();
        let date = |k: &str| row.date(k).ok().flatten();
        let author = self.author(num("OwnerUserId"), row.get("OwnerDisplayName"), created, b);
        let mut question_id = None;
        let (mut accepted, mut accepted_by) = (false, 0);
        if kind == post_type::ANSWER {
            let parent = match row.required_int("ParentId") {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let Some(q) = self.posts.get(&parent).copied() else {
                return Ok(Err(format!(
                    "answer to question {parent}, which is not in the dump"
                )));
            };
            question_id = Some(q);
            if self.accepted.get(&parent) == Some(&id) {
                accepted = true;
                accepted_by = self.askers.get(&q).copied().unwrap_or(author);
            }
        }
        let names: Vec<String> = parse_tags(row.text("Tags"))
            .into_iter()
            .map(|t| t.to_lowercase())
            .collect();
        let missing: Vec<(Option<i64>, String)> = names
            .iter()
            .filter(|n| !self.tags.contains_key(*n))
            .map(|n| (None, n.clone()))
            .collect();
        if !missing.is_empty() {
            let before = self.tags.len();
            // On the import's connection, after the batch being written.
            self.settle().await?;
            let writer = self.writer.as_mut().ok_or_else(lost_writer)?;
            self.tags = self
                .store
                .import_tags(writer, self.source, &missing)
                .await?;
            self.report.imported.tags += (self.tags.len() - before) as u64;
        }
        // A tag named twice (or in two spellings of one case) counts once.
        let mut tag_ids: Vec<i64> = Vec::with_capacity(names.len());
        for id in names.iter().filter_map(|n| self.tags.get(n).copied()) {
            if !tag_ids.contains(&id) {
                tag_ids.push(id);
            }
        }
        let tally = self.tallies.get(&id).copied().unwrap_or_default();
        let title = row.text("Title").trim().to_string();
        if kind == post_type::QUESTION && title.is_empty() {
            return Ok(Err("question without a Title".into()));
        }
        if kind == post_type::QUESTION {
            if let Some(a) = num("AcceptedAnswerId") {
                self.accepted.insert(id, a);
                b.notes.push(("accepted", id, a));
            }
        }
        self.in_batch.insert(id);
        b.posts.push(ImpPost {
            source_id: id,
            kind,
            question_id,
            author_id: author,
            title,
            body_md,
            body_html,
            tag_ids,
            tags: names.join(" "),
            view_count: num("ViewCount").unwrap_or(0).max(0),
            created_at: created,
            edited_at: date("LastEditDate"),
            last_activity_at: date("LastActivityDate").unwrap_or(created),
            closed_at: date("ClosedDate"),
            accepted,
            accepted_by,
            upvotes: tally.up.into(),
            downvotes: tally.down.into(),
            comment_count: tally.comments.into(),
            answer_count: if kind == post_type::QUESTION {
                num("AnswerCount").unwrap_or(0).max(0)
            } else {
                0
            },
        });
        Ok(Ok(()))
    }
}

/// Every row of an export query, a page at a time in id order (bounded
/// memory however large the community).
async fn each_row(
    store: &Store,
    q: ExportQuery,
    per_page: i64,
    mut f: impl FnMut(&[Option<String>]) -> Result<()>,
) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let page = store.export_page(q, after, per_page).await?;
        for c in &page {
            f(c)?;
        }
        match page
            .last()
            .and_then(|c| c[0].as_deref())
            .and_then(|s| s.parse().ok())
        {
            Some(last) if page.len() as i64 == per_page => after = last,
            _ => return Ok(()),
        }
    }
}

/// Rows written per file by an export.
pub type ExportReport = BTreeMap<String, u64>;

/// Write the community to `dir` as a Stack Exchange dump: no e-mail
/// addresses, password hashes or voters' identities on up and down votes.
pub async fn export(store: &Store, dir: &Path) -> Result<ExportReport> {
    export_paged(store, dir, 5_000).await
}

/// [`export`], reading `per_page` rows of a table at a time.
pub async fn export_paged(store: &Store, dir: &Path, per_page: i64) -> Result<ExportReport> {
    std::fs::create_dir_all(dir).map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
    let io = |e: std::io::Error| crate::ServiceError::Internal(format!("{}: {e}", dir.display()));
    let date = |v: &Option<String>| -> Option<String> {
        v.as_deref()
            .and_then(|s| s.parse::<i64>().ok())
            .map(dates::format)
    };
    let mut report = ExportReport::new();
    // Each file: its query, root element, and the row's attributes.
    type Shape = fn(
        &[Option<String>],
        &dyn Fn(&Option<String>) -> Option<String>,
    ) -> Vec<(&'static str, Option<String>)>;
    let files: [(ExportQuery, &str, &'static str, Shape); 6] = [
        (ExportQuery::Users, "Users.xml", "users", |c, d| {
            vec![
                ("Id", c[0].clone()),
                ("Reputation", c[2].clone()),
                ("CreationDate", d(&c[3])),
                ("DisplayName", c[1].clone()),
                ("LastAccessDate", d(&c[3])),
                ("WebsiteUrl", c[6].clone().filter(|s| !s.is_empty())),
                ("Location", c[5].clone().filter(|s| !s.is_empty())),
                (
                    "AboutMe",
                    c[4].as_deref()
                        .filter(|s| !s.is_empty())
                        .map(guildhall_markdown::render),
                ),
                ("Views", Some("0".into())),
                ("UpVotes", c[7].clone()),
                ("DownVotes", c[8].clone()),
            ]
        }),
        (ExportQuery::Comments, "Comments.xml", "comments", |c, d| {
            vec![
                ("Id", c[0].clone()),
                ("PostId", c[1].clone()),
                ("Score", Some("0".into())),
                ("Text", c[3].clone()),
                ("CreationDate", d(&c[2])),
                ("UserDisplayName", c[5].clone()),
                ("UserId", if c[5].is_some() { None } else { c[4].clone() }),
                ("ContentLicense", Some("CC BY-SA 4.0".into())),
            ]
        }),
        (ExportQuery::Votes, "Votes.xml", "votes", |c, d| {
            vec![
                ("Id", c[0].clone()),
                ("PostId", c[1].clone()),
                ("VoteTypeId", c[2].clone()),
                ("UserId", c[3].clone()),
                ("BountyAmount", c[4].clone()),
                ("CreationDate", d(&c[5])),
            ]
        }),
        (ExportQuery::Links, "PostLinks.xml", "postlinks", |c, d| {
            vec![
                ("Id", c[0].clone()),
                ("CreationDate", d(&c[4])),
                ("PostId", c[1].clone()),
                ("RelatedPostId", c[2].clone()),
                ("LinkTypeId", c[3].clone()),
            ]
        }),
        (ExportQuery::Badges, "Badges.xml", "badges", |c, d| {
            vec![
                ("Id", c[0].clone()),
                ("UserId", c[1].clone()),
                ("Name", c[2].clone()),
                ("Date", d(&c[5])),
                ("Class", Some(c[3].clone().unwrap_or_else(|| "3".into()))),
                (
                    "TagBased",
                    Some(
                        if c[4].as_deref() == Some("1") {
                            "True"
                        } else {
                            "False"
                        }
                        .into(),
                    ),
                ),
            ]
        }),
        (ExportQuery::Tags, "Tags.xml", "tags", |c, _| {
            vec![
                ("Id", c[0].clone()),
                ("TagName", c[1].clone()),
                ("Count", c[2].clone()),
            ]
        }),
    ];
    let settings = store.load_settings().await?;
    let wiki_base = store.max_post_id().await?;
    for (q, file, root, shape) in files {
        let mut w = DumpWriter::create(dir, file, root).map_err(io)?;
        each_row(store, q, per_page, |c| {
            let mut attrs = shape(c, &date);
            if q == ExportQuery::Badges {
                // guildhall's own badges by their English name.
                if let Some(def) = settings
                    .badges
                    .iter()
                    .find(|b| Some(&b.key) == c[2].as_ref())
                {
                    attrs[2].1 = Some(def.name_en.clone());
                    attrs[4].1 = Some(
                        match def.tier {
                            guildhall_domain::badges::Tier::Gold => "1",
                            guildhall_domain::badges::Tier::Silver => "2",
                            guildhall_domain::badges::Tier::Bronze => "3",
                        }
                        .into(),
                    );
                }
            }
            if q == ExportQuery::Tags && c[3].as_deref().is_some_and(|d| !d.is_empty()) {
                let tid: i64 = c[0].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
                attrs.push(("WikiPostId", Some((wiki_base + tid).to_string())));
            }
            w.row(&attrs).map_err(io)?;
            Ok(())
        })
        .await?;
        report.insert(file.to_string(), w.finish().map_err(io)?);
    }

    // Posts (with tag wikis after them) and their history.
    let mut posts = DumpWriter::create(dir, "Posts.xml", "posts").map_err(io)?;
    let mut hist = DumpWriter::create(dir, "PostHistory.xml", "posthistory").map_err(io)?;
    each_row(store, ExportQuery::Posts, per_page, |c| {
        let question = c[1].as_deref() == Some("1");
        let post_id = c[0].clone();
        posts
            .row(&[
                ("Id", post_id.clone()),
                ("PostTypeId", c[1].clone()),
                ("ParentId", c[2].clone()),
                ("AcceptedAnswerId", c[3].clone()),
                ("CreationDate", date(&c[4])),
                ("Score", c[5].clone()),
                ("ViewCount", if question { c[6].clone() } else { None }),
                ("Body", c[7].clone()),
                (
                    "OwnerUserId",
                    if c[9].is_some() { None } else { c[8].clone() },
                ),
                ("OwnerDisplayName", c[9].clone()),
                ("LastEditDate", date(&c[10])),
                ("LastActivityDate", date(&c[11])),
                ("Title", if question { c[12].clone() } else { None }),
                (
                    "Tags",
                    if question {
                        c[13].as_deref().map(|t| {
                            guildhall_stackexchange::format_tags(
                                &t.split_whitespace().collect::<Vec<_>>(),
                            )
                        })
                    } else {
                        None
                    },
                ),
                ("AnswerCount", if question { c[14].clone() } else { None }),
                ("CommentCount", c[15].clone()),
                ("ClosedDate", date(&c[16])),
                ("ContentLicense", Some("CC BY-SA 4.0".into())),
            ])
            .map_err(io)?;
        // Moderation states as history rows (ids above the revisions').
        let pid: i64 = post_id.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut state = |k: i64, at: &Option<String>, comment: Option<String>| {
            hist.row(&[
                ("Id", Some((i64::MAX / 8 + pid * 4 + k % 4).to_string())),
                ("PostHistoryTypeId", Some(k.to_string())),
                ("PostId", post_id.clone()),
                ("RevisionGUID", None),
                ("CreationDate", date(at)),
                ("Comment", comment),
            ])
        };
        if c[16].is_some() {
            let reason = close_reason_id(c[17].as_deref().unwrap_or(""));
            state(history_type::CLOSED, &c[16], Some(reason.to_string())).map_err(io)?;
        }
        if c[18].is_some() {
            state(history_type::DELETED, &c[18], None).map_err(io)?;
        }
        if c[19].is_some() {
            state(history_type::LOCKED, &c[19], None).map_err(io)?;
        }
        // Duplicates travel as PostLinks rows (type 3), written from post_links.
        Ok(())
    })
    .await?;
    // Tag descriptions as tag wiki posts.
    each_row(store, ExportQuery::Tags, per_page, |c| {
        if c[3].as_deref().is_none_or(|d| d.is_empty()) {
            return Ok(());
        }
        let tid: i64 = c[0].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        posts
            .row(&[
                ("Id", Some((wiki_base + tid).to_string())),
                ("PostTypeId", Some(post_type::TAG_WIKI.to_string())),
                ("CreationDate", Some(dates::format(0))),
                ("Score", Some("0".into())),
                ("Body", c[3].as_deref().map(guildhall_markdown::render)),
                ("ContentLicense", Some("CC BY-SA 4.0".into())),
            ])
            .map_err(io)?;
        Ok(())
    })
    .await?;
    report.insert("Posts.xml".into(), posts.finish().map_err(io)?);
    each_row(store, ExportQuery::Revisions, per_page, |c| {
        let rid: i64 = c[0].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        let guid = Some(format!("00000000-0000-0000-0000-{rid:012x}"));
        let question = c[10].as_deref() == Some("1");
        let (t, b, g) = match c[2].as_deref() {
            Some("initial") => (1, 2, 3),
            Some("rollback") => (7, 8, 9),
            _ => (4, 5, 6),
        };
        let mut fields = vec![(b, c[7].clone())];
        if question {
            fields.insert(0, (t, c[6].clone()));
            let tags: Vec<&str> = c[8].as_deref().unwrap_or("").split_whitespace().collect();
            fields.push((g, Some(guildhall_stackexchange::format_tags(&tags))));
        }
        for (i, (kind, text)) in fields.into_iter().enumerate() {
            hist.row(&[
                ("Id", Some((rid * 3 + i as i64).to_string())),
                ("PostHistoryTypeId", Some(kind.to_string())),
                ("PostId", c[1].clone()),
                ("RevisionGUID", guid.clone()),
                ("CreationDate", date(&c[3])),
                ("UserId", if c[5].is_some() { None } else { c[4].clone() }),
                ("UserDisplayName", c[5].clone()),
                ("Comment", c[9].clone().filter(|s| !s.is_empty())),
                ("Text", text),
                ("ContentLicense", Some("CC BY-SA 4.0".into())),
            ])
            .map_err(io)?;
        }
        Ok(())
    })
    .await?;
    report.insert("PostHistory.xml".into(), hist.finish().map_err(io)?);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Texts {
        (s.into(), s.into(), s.into())
    }

    #[test]
    fn revision_texts_keep_recent_posts_and_drop_old_ones() {
        // Batches of 2 rows: posts untouched for 20 revisions are dropped.
        let mut t = RevisionTexts::new(false, 2);
        assert!(!t.stored(1), "a post never seen has no stored text");
        t.put(1, texts("one"));
        assert_eq!(t.get(1), Some(texts("one")));
        assert!(!t.stored(1));
        for post in 100..141 {
            t.put(post, texts("other"));
        }
        // Post 1 went out of memory: its text is in the database now.
        assert_eq!(t.get(1), None);
        assert!(t.stored(1));
        assert!(!t.stored(140) && !t.stored(5));
        t.put(1, texts("back"));
        assert!(!t.stored(1));
        // Bounded: at most twice the window is held.
        for post in 1000..2000 {
            t.put(post, texts("x"));
        }
        assert!(t.recent.len() <= 40);
        // A revision found already imported is read back next time.
        t.forget(1999);
        assert!(t.stored(1999));
        // A resumed history: anything not seen may be in the database.
        assert!(RevisionTexts::new(true, 2).stored(7));
    }
}
