//! Bulk writes for importing a community from a dump, and the reads an
//! export streams.
//!
//! An import arrives in batches; each batch is one transaction holding its
//! rows, the `import_map` entries that remember their source ids, and the
//! source's progress, so an interrupted import resumes where the last
//! committed batch ended and never creates a row twice. Ids are assigned
//! here, inside the transaction (PostgreSQL: from the sequences; SQLite:
//! after the highest id, under the write lock the batch's first statement
//! takes). Counters are set once at the end from the rows (`finish_import`),
//! exactly as `recompute` would.

use crate::sink::{BulkWriter, WriterTx};
use crate::{Backend, Result, RowExt, Store, StoreError, Tx};
use std::collections::HashMap;

/// Which counters an import's closing step computes from the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counters {
    /// Every counter of every imported post.
    All,
    /// Questions' answer counts and accepted answers only: the posts were
    /// written with vote and comment counts that every vote and comment
    /// row the import wrote bears out (none skipped, none already there).
    Answers,
    /// Nothing is counted from the rows: beside vote and comment counts
    /// borne out as for `Answers`, the import's questions are its own (a
    /// first run) and it hid no post, so the answers and accepts it wrote
    /// are all there is, and each question adds one to its tags' counts;
    /// it gave them with [`Store::write_known_counters`].
    Known,
}

/// What an import's closing step must do, from what the import saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Closing {
    pub counters: Counters,
    /// Every imported post has a revision from the dump's history (none
    /// needs one made from the post itself).
    pub every_post_has_history: bool,
}

/// The comment of a first revision made from the post itself, for posts
/// a dump gave no history.
pub const NO_HISTORY: &str = "(imported without history)";

pub(crate) use crate::sink::Val;

/// `INSERT … VALUES (…), (…)` in chunks, with bound parameters. Rows are
/// taken from the iterator a chunk at a time (arrays need no allocation
/// each), so a large flush is never held twice in memory.
pub(crate) async fn insert_rows<'v, R: AsRef<[Val<'v>]>>(
    backend: Backend,
    tx: &mut Tx<'_>,
    head: &str,
    width: usize,
    rows: impl IntoIterator<Item = R>,
    suffix: &str,
) -> Result<u64> {
    use std::fmt::Write;
    let mut affected = 0;
    let per = (30_000 / width).clamp(1, 500);
    let mut rows = rows.into_iter();
    let mut chunk: Vec<R> = Vec::with_capacity(per);
    loop {
        chunk.clear();
        chunk.extend(rows.by_ref().take(per));
        if chunk.is_empty() {
            break;
        }
        let mut sql = String::with_capacity(head.len() + chunk.len() * width * 5 + 32);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..width {
                if j > 0 {
                    sql.push(',');
                }
                // SQLite looks a numbered parameter's name up by walking a
                // list (quadratic over a statement of thousands of them,
                // which sqlx asks for each); anonymous `?` are not listed.
                if backend == Backend::Sqlite {
                    sql.push('?');
                } else {
                    n += 1;
                    let _ = write!(sql, "${n}");
                }
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        let mut q = sqlx::query(&sql);
        for row in &chunk {
            let row = row.as_ref();
            debug_assert_eq!(row.len(), width);
            for v in row {
                q = match v {
                    Val::I(x) => q.bind(*x),
                    Val::N(x) => q.bind(*x),
                    Val::S(s) => q.bind(*s),
                    Val::F(x) => q.bind(*x),
                    Val::B(x) => q.bind(*x),
                };
            }
        }
        affected += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(affected)
}

/// PostgreSQL text cannot hold NUL; neither engine needs it.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "").into()
    } else {
        s.into()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImpUser {
    pub source_id: i64,
    pub username: String,
    pub about: String,
    pub location: String,
    pub website: String,
    pub created_at: i64,
    /// The balance the dump shows; one ledger row ("imported balance").
    pub reputation: i64,
    /// The cached reputation to show (the balance through the floor rule).
    pub shown: i64,
    /// Stands for a deleted account the dump names only by display name.
    pub ghost: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ImpPost {
    pub source_id: i64,
    pub kind: i64,
    pub question_id: Option<i64>,
    pub author_id: i64,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    /// Distinct.
    pub tag_ids: Vec<i64>,
    pub tags: String,
    pub view_count: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub last_activity_at: i64,
    pub closed_at: Option<i64>,
    /// This answer is its question's accepted answer.
    pub accepted: bool,
    /// The asker, who accepted it (for the accept ledger).
    pub accepted_by: i64,
    /// Counters as the dump's votes and comments give them; the import's
    /// closing step corrects any the rows do not bear out.
    pub upvotes: i64,
    pub downvotes: i64,
    pub comment_count: i64,
    /// A question's answers as the dump counts them (corrected likewise).
    pub answer_count: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ImpComment {
    pub source_id: i64,
    pub post_id: i64,
    pub author_id: i64,
    pub body_md: String,
    pub body_html: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ImpVote {
    pub source_id: i64,
    pub post_id: i64,
    pub vote_type: i64,
    pub value: i64,
    pub user_id: Option<i64>,
    pub bounty: Option<i64>,
    pub created_at: i64,
    /// A favourite by a known member: also a bookmark.
    pub bookmark: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ImpRevision {
    /// The first history row of the revision.
    pub source_id: i64,
    pub post_id: i64,
    pub author_id: i64,
    pub kind: &'static str,
    pub title: String,
    pub body_md: String,
    pub tags: String,
    pub comment: String,
    pub created_at: i64,
}

/// A post's moderation state as its history leaves it.
#[derive(Debug, Clone, Default)]
pub struct ImpState {
    pub post_id: i64,
    pub closed: Option<(Option<i64>, String)>,
    pub deleted: Option<Option<i64>>,
    pub locked: Option<Option<i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct ImpLink {
    pub source_id: i64,
    pub post_id: i64,
    pub related_id: i64,
    pub link_type: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ImpBadge {
    pub source_id: i64,
    pub user_id: i64,
    pub name: String,
    pub class: i64,
    pub tag_based: bool,
    pub awarded_at: i64,
    /// guildhall's badge of the same name, if there is one.
    pub matched: Option<String>,
}

/// One transaction's worth of imported rows.
#[derive(Debug, Default)]
pub struct ImportBatch {
    pub users: Vec<ImpUser>,
    pub posts: Vec<ImpPost>,
    pub comments: Vec<ImpComment>,
    pub votes: Vec<ImpVote>,
    pub revisions: Vec<ImpRevision>,
    pub states: Vec<ImpState>,
    pub links: Vec<ImpLink>,
    pub badges: Vec<ImpBadge>,
    /// (tag id, description) from tag wikis.
    pub tag_descriptions: Vec<(i64, String)>,
    /// The file and the rows read of it once this batch is in.
    pub progress: Option<(String, u64)>,
    /// Facts to remember under the source (kind, source id, value), such
    /// as a question's accepted answer before that answer is read.
    pub notes: Vec<(&'static str, i64, i64)>,
}

impl ImportBatch {
    pub fn len(&self) -> usize {
        self.users.len()
            + self.posts.len()
            + self.comments.len()
            + self.votes.len()
            + self.revisions.len()
            + self.states.len()
            + self.links.len()
            + self.badges.len()
            + self.tag_descriptions.len()
            + self.notes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Local ids given to the batch's users, posts and comments, in order.
#[derive(Debug, Default)]
pub struct Assigned {
    pub users: Vec<i64>,
    pub posts: Vec<i64>,
    pub comments: Vec<i64>,
    /// Rows new to the database (a re-run finds the rest already there).
    pub votes: u64,
    pub badges: u64,
    pub links: u64,
}

#[derive(Debug, Clone)]
pub struct ImportSource {
    pub id: i64,
    pub name: String,
    pub state: String,
    /// Rows read per file by committed batches.
    pub progress: HashMap<String, u64>,
}

/// The SQLite import writer's page cache, in KiB (the upper levels of the
/// tables' B-trees, which every batch walks to append).
const IMPORT_WRITER_CACHE_KIB: i64 = 32 * 1024;

/// `n` new ids for `table`: PostgreSQL's sequence; on SQLite, after the
/// highest id (the batch holds the write lock).
async fn reserve(sink: &mut WriterTx<'_>, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(vec![]);
    }
    Ok(match sink.backend() {
        Backend::Postgres => sink
            .fetch(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)"),
                &[Val::I(n as i64)],
            )
            .await?
            .iter()
            .map(|r| r[0].int())
            .collect(),
        Backend::Sqlite => {
            let max = sink
                .fetch(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), &[])
                .await?
                .first()
                .map_or(0, |r| r[0].int());
            (max + 1..=max + n as i64).collect()
        }
    })
}

/// One batch's rows, the import map entries of their source ids and the
/// source's progress, in the sink's transaction.
/// Runs `sql` (an `UPDATE … FROM (VALUES {values}) AS v …`, the columns
/// being `v.column1`, `v.column2`, …) over `rows`, 500 rows a statement: one
/// statement a row costs PostgreSQL a round trip each (30 s for 100,000
/// accepted answers).
async fn update_from_values<const N: usize>(
    sink: &mut WriterTx<'_>,
    sql: &str,
    rows: &[[Val<'_>; N]],
) -> Result<()> {
    for chunk in rows.chunks(500) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> = (1..=N).map(|c| format!("${}", r * N + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let params: Vec<Val> = chunk.iter().flatten().copied().collect();
        sink.execute(&sql.replace("{values}", &values.join(", ")), &params)
            .await?;
    }
    Ok(())
}

async fn write_batch(sink: &mut WriterTx<'_>, source: i64, b: &ImportBatch) -> Result<Assigned> {
    let t = crate::now();
    match &b.progress {
        Some((file, rows)) => {
            let cur = sink
                .fetch(
                    "SELECT progress FROM import_sources WHERE id = $1",
                    &[Val::I(source)],
                )
                .await?;
            let cur = cur.first().map_or("", |r| r[0].text());
            let mut p: HashMap<String, u64> = serde_json::from_str(cur).unwrap_or_default();
            p.insert(file.clone(), *rows);
            let p = serde_json::to_string(&p).unwrap_or_default();
            sink.execute(
                "UPDATE import_sources SET progress = $1, updated_at = $2 WHERE id = $3",
                &[Val::S(&p), Val::I(t), Val::I(source)],
            )
            .await?;
        }
        None => {
            sink.execute(
                "UPDATE import_sources SET updated_at = $1 WHERE id = $2",
                &[Val::I(t), Val::I(source)],
            )
            .await?;
        }
    }
    let mut out = Assigned::default();
    let mut map: Vec<(&'static str, i64, i64)> = Vec::new();

    if !b.users.is_empty() {
        out.users = reserve(sink, "users", b.users.len()).await?;
        let emails: Vec<String> = b
            .users
            .iter()
            .map(|u| {
                let kind = if u.ghost { "ghost" } else { "user" };
                format!("{kind}-{source}-{}@import.invalid", u.source_id)
            })
            .collect();
        let keys: Vec<String> = b.users.iter().map(|u| u.username.to_lowercase()).collect();
        let texts: Vec<[std::borrow::Cow<str>; 3]> = b
            .users
            .iter()
            .map(|u| [clean(&u.about), clean(&u.location), clean(&u.website)])
            .collect();
        let rows = b.users.iter().enumerate().map(|(i, u)| {
            [
                Val::I(out.users[i]),
                Val::S(&u.username),
                Val::S(&keys[i]),
                Val::S(&emails[i]),
                // Not an argon2 hash: nobody can log in as an imported member.
                Val::S("!"),
                Val::S(&texts[i][0]),
                Val::S(&texts[i][1]),
                Val::S(&texts[i][2]),
                Val::I(u.created_at),
                Val::I(u.created_at),
                Val::I(u.shown),
            ]
        });
        sink.rows(
            "users",
            &[
                "id",
                "username",
                "username_key",
                "email",
                "password_hash",
                "about",
                "location",
                "website",
                "created_at",
                "activated_at",
                "reputation",
            ],
            rows,
            "",
        )
        .await?;
        let src = format!("import:{source}");
        let ledger = b
            .users
            .iter()
            .enumerate()
            .filter(|(_, u)| u.reputation != 0)
            .map(|(i, u)| {
                [
                    Val::I(out.users[i]),
                    Val::I(u.reputation),
                    Val::I(u.reputation),
                    Val::I(0),
                    Val::S("imported_balance"),
                    Val::N(None),
                    Val::S(&src),
                    Val::I(u.source_id),
                    Val::N(None),
                    Val::I(t / 86_400),
                    Val::I(t),
                ]
            });
        sink.rows(
            "reputation_ledger",
            &[
                "user_id",
                "amount",
                "requested",
                "capped",
                "reason",
                "post_id",
                "source",
                "source_id",
                "reverses_id",
                "day",
                "created_at",
            ],
            ledger,
            "",
        )
        .await?;
        for (u, id) in b.users.iter().zip(&out.users) {
            map.push((if u.ghost { "ghost" } else { "user" }, u.source_id, *id));
        }
    }

    // Authors below zero are members created in this batch (-1: the first).
    let users = out.users.clone();
    let who = |a: i64| -> i64 {
        if a < 0 {
            users.get((-a - 1) as usize).copied().unwrap_or(a)
        } else {
            a
        }
    };
    if !b.posts.is_empty() {
        out.posts = reserve(sink, "posts", b.posts.len()).await?;
        let texts: Vec<[std::borrow::Cow<str>; 3]> = b
            .posts
            .iter()
            .map(|p| [clean(&p.title), clean(&p.body_md), clean(&p.body_html)])
            .collect();
        let rows = b.posts.iter().enumerate().map(|(i, p)| {
            [
                Val::I(out.posts[i]),
                Val::I(p.kind),
                Val::N(p.question_id),
                Val::I(who(p.author_id)),
                Val::S(&texts[i][0]),
                Val::S(&texts[i][1]),
                Val::S(&texts[i][2]),
                Val::S(&p.tags),
                Val::I(p.view_count),
                Val::I(p.created_at),
                Val::N(p.edited_at),
                Val::I(p.last_activity_at),
                Val::N(p.closed_at),
                Val::I(p.upvotes - p.downvotes),
                Val::I(p.upvotes),
                Val::I(p.downvotes),
                Val::I(p.comment_count),
                Val::I(p.answer_count),
            ]
        });
        sink.rows(
            "posts",
            &[
                "id",
                "kind",
                "question_id",
                "author_id",
                "title",
                "body_md",
                "body_html",
                "tags",
                "view_count",
                "created_at",
                "edited_at",
                "last_activity_at",
                "closed_at",
                "score",
                "upvotes",
                "downvotes",
                "comment_count",
                "answer_count",
            ],
            rows,
            "",
        )
        .await?;
        let mut pt = Vec::new();
        let mut accepts = Vec::new();
        for (p, id) in b.posts.iter().zip(&out.posts) {
            for tag in &p.tag_ids {
                pt.push([Val::I(*id), Val::I(*tag)]);
            }
            if let (true, Some(q)) = (p.accepted, p.question_id) {
                accepts.push([
                    Val::I(q),
                    Val::I(*id),
                    Val::I(who(p.accepted_by)),
                    Val::I(p.created_at),
                ]);
            }
            map.push(("post", p.source_id, *id));
        }
        sink.rows("post_tags", &["post_id", "tag_id"], &pt, "")
            .await?;
        sink.rows(
            "accept_events",
            &["question_id", "answer_id", "actor_id", "created_at"],
            &accepts,
            "",
        )
        .await?;
        // The question shows its accepted answer from now on (the closing
        // step would otherwise rewrite each such question at the end).
        let accepted: Vec<[Val; 2]> = accepts.iter().map(|a| [a[0], a[1]]).collect();
        update_from_values(
            sink,
            "UPDATE posts SET accepted_answer_id = v.column2 FROM (VALUES {values}) AS v WHERE posts.id = v.column1",
            &accepted,
        )
        .await?;
    }

    for (tag, desc) in &b.tag_descriptions {
        sink.execute(
            "UPDATE tags SET description = $1 WHERE id = $2",
            &[Val::S(&clean(desc)), Val::I(*tag)],
        )
        .await?;
    }

    if !b.comments.is_empty() {
        out.comments = reserve(sink, "comments", b.comments.len()).await?;
        let texts: Vec<[std::borrow::Cow<str>; 2]> = b
            .comments
            .iter()
            .map(|c| [clean(&c.body_md), clean(&c.body_html)])
            .collect();
        let rows = b.comments.iter().enumerate().map(|(i, c)| {
            [
                Val::I(out.comments[i]),
                Val::I(c.post_id),
                Val::I(who(c.author_id)),
                Val::S(&texts[i][0]),
                Val::S(&texts[i][1]),
                Val::I(c.created_at),
            ]
        });
        sink.rows(
            "comments",
            &[
                "id",
                "post_id",
                "author_id",
                "body_md",
                "body_html",
                "created_at",
            ],
            rows,
            "",
        )
        .await?;
        for (c, id) in b.comments.iter().zip(&out.comments) {
            map.push(("comment", c.source_id, *id));
        }
    }

    if !b.votes.is_empty() {
        let rows = b.votes.iter().map(|v| {
            [
                Val::I(source),
                Val::I(v.source_id),
                Val::I(v.post_id),
                Val::I(v.vote_type),
                Val::I(v.value),
                Val::N(v.user_id),
                Val::N(v.bounty),
                Val::I(v.created_at),
            ]
        });
        out.votes = sink
            .rows(
                "imported_votes",
                &[
                    "source",
                    "source_id",
                    "post_id",
                    "vote_type",
                    "value",
                    "user_id",
                    "bounty",
                    "created_at",
                ],
                rows,
                " ON CONFLICT DO NOTHING",
            )
            .await?;
        let marks = b
            .votes
            .iter()
            .filter_map(|v| match (v.bookmark, v.user_id) {
                (true, Some(u)) => Some([
                    Val::I(u),
                    Val::I(v.post_id),
                    Val::I(v.created_at),
                    Val::I(source),
                ]),
                _ => None,
            });
        sink.rows(
            "bookmarks",
            &["user_id", "post_id", "created_at", "source"],
            marks,
            " ON CONFLICT DO NOTHING",
        )
        .await?;
    }

    if !b.revisions.is_empty() {
        // Revision numbers continue each post's history.
        let mut next: HashMap<i64, i64> = HashMap::new();
        let mut posts: Vec<i64> = b.revisions.iter().map(|r| r.post_id).collect();
        posts.sort_unstable();
        posts.dedup();
        for chunk in posts.chunks(500) {
            let list = chunk
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            // The dump's history replaces a first version made up when an
            // earlier run had none.
            sink.execute(
                &format!(
                    "DELETE FROM revisions WHERE post_id IN ({list}) AND rev = 1 AND comment = $1"
                ),
                &[Val::S(NO_HISTORY)],
            )
            .await?;
            let found = sink
                .fetch(
                    &format!("SELECT post_id, MAX(rev) FROM revisions WHERE post_id IN ({list}) GROUP BY post_id"),
                    &[],
                )
                .await?;
            for r in found {
                next.insert(r[0].int(), r[1].int());
            }
        }
        let ids = reserve(sink, "revisions", b.revisions.len()).await?;
        let texts: Vec<[std::borrow::Cow<str>; 4]> = b
            .revisions
            .iter()
            .map(|r| {
                [
                    clean(&r.title),
                    clean(&r.body_md),
                    clean(&r.tags),
                    clean(&r.comment),
                ]
            })
            .collect();
        let mut revs = Vec::with_capacity(b.revisions.len());
        for r in &b.revisions {
            let n = next.entry(r.post_id).or_insert(0);
            *n += 1;
            revs.push(*n);
        }
        let rows = b.revisions.iter().enumerate().map(|(i, r)| {
            [
                Val::I(ids[i]),
                Val::I(r.post_id),
                Val::I(revs[i]),
                Val::I(who(r.author_id)),
                Val::S(r.kind),
                Val::S(&texts[i][0]),
                Val::S(&texts[i][1]),
                Val::S(&texts[i][2]),
                Val::S(&texts[i][3]),
                Val::I(r.created_at),
            ]
        });
        sink.rows(
            "revisions",
            &[
                "id",
                "post_id",
                "rev",
                "author_id",
                "kind",
                "title",
                "body_md",
                "tags",
                "comment",
                "created_at",
            ],
            rows,
            "",
        )
        .await?;
        for (r, id) in b.revisions.iter().zip(&ids) {
            map.push(("revision", r.source_id, *id));
        }
    }

    for s in &b.states {
        if let Some((at, reason)) = &s.closed {
            sink.execute(
                "UPDATE posts SET closed_at = $1, close_reason = $2 WHERE id = $3",
                &[Val::N(*at), Val::S(reason), Val::I(s.post_id)],
            )
            .await?;
        }
        if let Some(at) = s.deleted {
            sink.execute(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                &[Val::N(at), Val::I(s.post_id)],
            )
            .await?;
        }
        if let Some(at) = s.locked {
            sink.execute(
                "UPDATE posts SET locked_at = $1 WHERE id = $2",
                &[Val::N(at), Val::I(s.post_id)],
            )
            .await?;
        }
    }

    if !b.links.is_empty() {
        let rows = b.links.iter().map(|l| {
            [
                Val::I(l.post_id),
                Val::I(l.related_id),
                Val::I(l.link_type),
                Val::I(l.created_at),
                Val::I(source),
                Val::I(l.source_id),
            ]
        });
        out.links = sink
            .rows(
                "post_links",
                &[
                    "post_id",
                    "related_post_id",
                    "link_type",
                    "created_at",
                    "source",
                    "source_id",
                ],
                rows,
                " ON CONFLICT DO NOTHING",
            )
            .await?;
        for l in b.links.iter().filter(|l| l.link_type == 3) {
            sink.execute(
                "UPDATE posts SET duplicate_of = $1 WHERE id = $2",
                &[Val::I(l.related_id), Val::I(l.post_id)],
            )
            .await?;
        }
    }

    if !b.badges.is_empty() {
        let keys: Vec<String> = b
            .badges
            .iter()
            .map(|x| format!("import:{source}:{}", x.source_id))
            .collect();
        let matched = b.badges.iter().enumerate().filter_map(|(i, x)| {
            x.matched.as_deref().map(|m| {
                [
                    Val::I(x.user_id),
                    Val::S(m),
                    Val::S(&keys[i]),
                    Val::I(x.awarded_at),
                ]
            })
        });
        out.badges = sink
            .rows(
                "badge_awards",
                &["user_id", "badge", "source_key", "awarded_at"],
                matched,
                " ON CONFLICT DO NOTHING",
            )
            .await?;
        let kept = b.badges.iter().filter(|x| x.matched.is_none()).map(|x| {
            [
                Val::I(source),
                Val::I(x.source_id),
                Val::I(x.user_id),
                Val::S(&x.name),
                Val::I(x.class),
                Val::I(i64::from(x.tag_based)),
                Val::I(x.awarded_at),
            ]
        });
        out.badges += sink
            .rows(
                "imported_badges",
                &[
                    "source",
                    "source_id",
                    "user_id",
                    "name",
                    "class",
                    "tag_based",
                    "awarded_at",
                ],
                kept,
                " ON CONFLICT DO NOTHING",
            )
            .await?;
    }

    map.extend(b.notes.iter().copied());
    let rows = map
        .iter()
        .map(|(k, s, l)| [Val::I(source), Val::S(k), Val::I(*s), Val::I(*l)]);
    sink.rows(
        "import_map",
        &["source", "kind", "source_id", "local_id"],
        rows,
        "",
    )
    .await?;
    Ok(out)
}

impl Store {
    /// The source called `name`, created (state `running`) if new.
    pub async fn import_source(&self, name: &str, format: &str) -> Result<ImportSource> {
        let t = crate::now();
        sqlx::query(
            "INSERT INTO import_sources (name, format, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(format)
        .bind(t)
        .execute(&self.write)
        .await?;
        let r = sqlx::query("SELECT id, name, state, progress FROM import_sources WHERE name = $1")
            .bind(name)
            .fetch_one(&self.write)
            .await?;
        Ok(ImportSource {
            id: r.i("id"),
            name: r.s("name"),
            state: r.s("state"),
            progress: serde_json::from_str(&r.s("progress")).unwrap_or_default(),
        })
    }

    pub async fn import_sources(&self) -> Result<Vec<(String, String, String)>> {
        Ok(
            sqlx::query("SELECT name, state, report FROM import_sources ORDER BY id")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| (r.s("name"), r.s("state"), r.s("report")))
                .collect(),
        )
    }

    pub async fn set_import_state(&self, source: i64, state: &str, report: &str) -> Result<()> {
        sqlx::query(
            "UPDATE import_sources SET state = $1, report = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(report)
        .bind(crate::now())
        .bind(source)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Source id → local id of what `source` created of `kind`.
    pub async fn import_map(&self, source: i64, kind: &str) -> Result<HashMap<i64, i64>> {
        Ok(sqlx::query(
            "SELECT source_id, local_id FROM import_map WHERE source = $1 AND kind = $2",
        )
        .bind(source)
        .bind(kind)
        .fetch_all(&self.write)
        .await?
        .iter()
        .map(|r| (r.i("source_id"), r.i("local_id")))
        .collect())
    }

    /// Every tag by name (imports add to the community's tags).
    pub async fn tag_ids(&self) -> Result<HashMap<String, i64>> {
        Ok(sqlx::query("SELECT id, name FROM tags")
            .fetch_all(&self.write)
            .await?
            .iter()
            .map(|r| (r.s("name"), r.i("id")))
            .collect())
    }

    /// Lower-cased usernames taken.
    pub async fn username_keys(&self) -> Result<std::collections::HashSet<String>> {
        Ok(sqlx::query("SELECT username_key FROM users")
            .fetch_all(&self.write)
            .await?
            .iter()
            .map(|r| r.s("username_key"))
            .collect())
    }

    /// Create the tags named (with their source ids, if the dump lists
    /// them) that do not exist yet, on the import's own connection; returns
    /// every name's id.
    pub async fn import_tags(
        &self,
        writer: &mut BulkWriter,
        source: i64,
        tags: &[(Option<i64>, String)],
    ) -> Result<HashMap<String, i64>> {
        let mut known = self.tag_ids().await?;
        let missing: Vec<&(Option<i64>, String)> = {
            let mut seen = std::collections::HashSet::new();
            tags.iter()
                .filter(|(_, n)| !known.contains_key(n) && seen.insert(n.clone()))
                .collect()
        };
        if missing.is_empty() {
            return Ok(known);
        }
        let mut tx = writer.begin().await?;
        let ids = reserve(&mut tx, "tags", missing.len()).await?;
        let t = crate::now();
        let rows = missing
            .iter()
            .zip(&ids)
            .map(|((_, name), id)| [Val::I(*id), Val::S(name), Val::I(t)]);
        tx.rows("tags", &["id", "name", "created_at"], rows, "")
            .await?;
        // Tags only posts name (not in the dump's tag list) are mapped by
        // their negated local id, so a rollback finds them too.
        let map = missing.iter().zip(&ids).map(|((sid, _), id)| {
            [
                Val::I(source),
                Val::S("tag"),
                Val::I(sid.unwrap_or(-id)),
                Val::I(*id),
            ]
        });
        tx.rows(
            "import_map",
            &["source", "kind", "source_id", "local_id"],
            map,
            " ON CONFLICT DO NOTHING",
        )
        .await?;
        tx.commit().await?;
        for ((_, name), id) in missing.into_iter().zip(ids) {
            known.insert(name.clone(), id);
        }
        Ok(known)
    }

    /// A connection of its own for an import's batches (see
    /// [`crate::sink`]).
    pub async fn import_writer(&self) -> Result<BulkWriter> {
        self.bulk_writer(IMPORT_WRITER_CACHE_KIB).await
    }

    /// Write one batch in one transaction on the import's own connection.
    pub async fn apply_import_batch(
        &self,
        writer: &mut BulkWriter,
        source: i64,
        b: &ImportBatch,
    ) -> Result<Assigned> {
        let mut tx = writer.begin().await?;
        let out = write_batch(&mut tx, source, b).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Questions' answer counts and accepted answers as the import that
    /// wrote their answers counted them: (question, answers, accepted
    /// answer); only the questions whose cached values differ are written.
    /// And (tag, questions) the import added to tags, as posting a
    /// question does. Counting them from the rows instead reads the whole
    /// posts table three times (seconds for a million posts).
    pub async fn write_known_counters(
        &self,
        writer: &mut BulkWriter,
        counts: &[(i64, i64, Option<i64>)],
        tags: &[(i64, i64)],
    ) -> Result<()> {
        let mut tx = writer.begin().await?;
        let distinct = match tx.backend() {
            Backend::Sqlite => "IS NOT",
            Backend::Postgres => "IS DISTINCT FROM",
        };
        let counts: Vec<[Val; 3]> = counts
            .iter()
            .map(|(q, n, a)| [Val::I(*q), Val::I(*n), Val::N(*a)])
            .collect();
        update_from_values(
            &mut tx,
            &format!(
                "UPDATE posts SET answer_count = v.column2, accepted_answer_id = v.column3
                 FROM (VALUES {{values}}) AS v
                 WHERE posts.id = v.column1 AND posts.kind = 1
                   AND (posts.answer_count <> v.column2 OR posts.accepted_answer_id {distinct} v.column3)"
            ),
            &counts,
        )
        .await?;
        let tags: Vec<[Val; 2]> = tags.iter().map(|(t, n)| [Val::I(*t), Val::I(*n)]).collect();
        update_from_values(
            &mut tx,
            "UPDATE tags SET question_count = question_count + v.column2 FROM (VALUES {values}) AS v WHERE tags.id = v.column1",
            &tags,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Set the counters of what `source` imported from the rows (the same
    /// truth `recompute` checks; `counters` says which), give posts without
    /// history a first revision, and settle tags' counts.
    pub async fn finish_import(&self, source: i64, closing: Closing) -> Result<()> {
        // These statements change a million rows each, with triggers: their
        // statement journals (the pages to restore if one fails half-way)
        // would be held in memory under `temp_store = MEMORY` (1.8 GB for a
        // million posts); on disk for the length of them.
        self.set_temp_store("FILE").await?;
        let result = self.finish_import_counts(source, closing).await;
        self.set_temp_store(crate::SQLITE_TEMP_STORE).await?;
        result?;
        if self.backend == Backend::Postgres {
            for t in ["users", "tags", "posts", "comments", "revisions"] {
                // Ids came from the sequences already; statistics did not.
                sqlx::raw_sql(&format!("ANALYZE {t}"))
                    .execute(&self.write)
                    .await?;
            }
        } else {
            // Statistics from a sample of each index: a full ANALYZE reads
            // every row of a database the import just wrote (seconds).
            sqlx::raw_sql("PRAGMA analysis_limit = 1000; ANALYZE")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// Counters and first revisions of an import, in one transaction.
    /// Posts arrive with counters counted ahead from the dump; here the
    /// counters are computed from the rows in one pass over the posts (each
    /// pass reads the whole table, bodies and all), and only the posts whose
    /// cached values differ are written (rewriting a million posts, one
    /// counter at a time, took most of an import's closing time).
    async fn finish_import_counts(&self, source: i64, closing: Closing) -> Result<()> {
        if self.backend == Backend::Postgres {
            // Without statistics of what the import wrote, PostgreSQL plans
            // the statements below as if the tables were empty (a 100,000
            // post import's closing took 81 s).
            for t in [
                "posts",
                "accept_events",
                "import_map",
                "comments",
                "imported_votes",
                "revisions",
                "post_tags",
            ] {
                sqlx::raw_sql(&format!("ANALYZE {t}"))
                    .execute(&self.write)
                    .await?;
            }
        }
        let mut tx = self.begin().await?;
        let mine = "SELECT local_id FROM import_map WHERE source = $1 AND kind = 'post'";
        let distinct = match self.backend {
            Backend::Sqlite => "IS NOT",
            Backend::Postgres => "IS DISTINCT FROM",
        };
        // A question's answers, and its accepted answer: what its latest
        // accept event says.
        let answers = "LEFT JOIN (SELECT question_id, COUNT(*) AS n FROM posts
                              WHERE kind = 2 AND deleted_at IS NULL AND status = 0 GROUP BY question_id) a
                     ON a.question_id = p.id
                   LEFT JOIN (SELECT l.question_id, ae.answer_id FROM accept_events ae
                              JOIN (SELECT question_id, MAX(id) AS m FROM accept_events GROUP BY question_id) l
                              ON ae.id = l.m) e ON e.question_id = p.id";
        let answers_differ = format!(
            "(p.kind = 1 AND (p.answer_count <> COALESCE(a.n, 0) OR p.accepted_answer_id {distinct} e.answer_id))"
        );
        let set_answers = "answer_count = CASE WHEN posts.kind = 1 THEN x.answers ELSE posts.answer_count END,
                accepted_answer_id = CASE WHEN posts.kind = 1 THEN x.accepted ELSE posts.accepted_answer_id END";
        let counters_sql = match closing.counters {
            Counters::Known => None,
            // Votes are members' and the dump's.
            Counters::All => Some(format!("UPDATE posts SET score = x.score, upvotes = x.up, downvotes = x.down, comment_count = x.comments, {set_answers}
             FROM (SELECT p.id,
                    CAST(COALESCE(v.score, 0) AS BIGINT) AS score, CAST(COALESCE(v.up, 0) AS BIGINT) AS up,
                    CAST(COALESCE(v.down, 0) AS BIGINT) AS down, CAST(COALESCE(c.n, 0) AS BIGINT) AS comments,
                    CAST(COALESCE(a.n, 0) AS BIGINT) AS answers, e.answer_id AS accepted
                   FROM posts p
                   LEFT JOIN (SELECT u.post_id, SUM(u.value) AS score,
                                SUM(CASE WHEN u.value = 1 THEN 1 ELSE 0 END) AS up,
                                SUM(CASE WHEN u.value = -1 THEN 1 ELSE 0 END) AS down
                              FROM (SELECT post_id, value FROM votes UNION ALL SELECT post_id, value FROM imported_votes) u
                              GROUP BY u.post_id) v ON v.post_id = p.id
                   LEFT JOIN (SELECT post_id, COUNT(*) AS n FROM comments WHERE deleted_at IS NULL GROUP BY post_id) c
                     ON c.post_id = p.id
                   {answers}
                   WHERE p.id IN ({mine})
                     AND (p.score <> COALESCE(v.score, 0) OR p.upvotes <> COALESCE(v.up, 0)
                          OR p.downvotes <> COALESCE(v.down, 0) OR p.comment_count <> COALESCE(c.n, 0)
                          OR {answers_differ})) x
             WHERE posts.id = x.id")),
            Counters::Answers => Some(format!("UPDATE posts SET {set_answers}
             FROM (SELECT p.id, CAST(COALESCE(a.n, 0) AS BIGINT) AS answers, e.answer_id AS accepted
                   FROM posts p
                   {answers}
                   WHERE p.kind = 1 AND p.id IN ({mine}) AND {answers_differ}) x
             WHERE posts.id = x.id")),
        };
        // Looking for posts without history reads every post (seconds for
        // a million); skipped when the import saw history for each.
        let first_revisions = (!closing.every_post_has_history).then(|| format!("INSERT INTO revisions (post_id, rev, author_id, kind, title, body_md, tags, comment, created_at)
             SELECT p.id, 1, p.author_id, 'initial', p.title, p.body_md, p.tags, '{NO_HISTORY}', p.created_at FROM posts p
             WHERE p.id IN ({mine}) AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.post_id = p.id)"));
        let tags_sql = (closing.counters != Counters::Known).then(|| {
            // Counted in one pass over the posts' tags in post order (`+`
            // keeps SQLite from walking them tag by tag, a random read of
            // a post for each).
            "WITH c AS MATERIALIZED (SELECT +pt.tag_id AS tag_id, COUNT(*) AS n FROM post_tags pt JOIN posts p ON p.id = pt.post_id
                                     WHERE p.deleted_at IS NULL AND p.status = 0 GROUP BY +pt.tag_id)
             UPDATE tags SET question_count = COALESCE((SELECT c.n FROM c WHERE c.tag_id = tags.id), 0)".to_string()
        });
        for sql in first_revisions
            .into_iter()
            .chain(counters_sql)
            .chain(tags_sql)
        {
            let q = sqlx::query(&sql);
            let q = if sql.contains("$1") {
                q.bind(source)
            } else {
                q
            };
            let t0 = std::time::Instant::now();
            q.execute(&mut *tx).await?;
            // Which of the closing statements takes the time.
            let head: Vec<&str> = sql.split_whitespace().take(4).collect();
            let seconds = t0.elapsed().as_secs_f64();
            tracing::debug!(seconds, sql = %head.join(" "), "import closing statement");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Remove everything `source` imported. Refused once members have
    /// acted on imported content (votes, flags, reviews, follows), since
    /// removing it would take their work too.
    pub async fn rollback_import(&self, name: &str) -> Result<bool> {
        let Some(source) = sqlx::query("SELECT id FROM import_sources WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.write)
            .await?
            .map(|r| r.i("id"))
        else {
            return Ok(false);
        };
        let mut tx = self.begin().await?;
        let posts = "(SELECT local_id FROM import_map WHERE source = $1 AND kind = 'post')";
        let users =
            "(SELECT local_id FROM import_map WHERE source = $1 AND kind IN ('user', 'ghost'))";
        for (what, sql) in [
            ("votes", format!("SELECT COUNT(*) AS n FROM vote_events WHERE post_id IN {posts} OR voter_id IN {users}")),
            ("flags", format!("SELECT COUNT(*) AS n FROM flags WHERE post_id IN {posts}")),
            ("reviews", format!("SELECT COUNT(*) AS n FROM review_items WHERE post_id IN {posts}")),
            ("answers by members", format!("SELECT COUNT(*) AS n FROM posts WHERE question_id IN {posts} AND id NOT IN {posts}")),
            ("comments by members", format!("SELECT COUNT(*) AS n FROM comments WHERE post_id IN {posts} AND id NOT IN (SELECT local_id FROM import_map WHERE source = $1 AND kind = 'comment')")),
        ] {
            let n = sqlx::query(&sql).bind(source).fetch_one(&mut *tx).await?.i("n");
            if n > 0 {
                return Err(StoreError::Migration(format!(
                    "cannot roll back {name}: members have acted on its content since ({n} {what})"
                )));
            }
        }
        let comments = "(SELECT local_id FROM import_map WHERE source = $1 AND kind = 'comment')";
        let tags = "(SELECT local_id FROM import_map WHERE source = $1 AND kind = 'tag')";
        for sql in [
            "INSERT INTO search_outbox (post_id) SELECT local_id FROM import_map WHERE source = $1 AND kind = 'post'".to_string(),
            "DELETE FROM imported_votes WHERE source = $1".to_string(),
            "DELETE FROM imported_badges WHERE source = $1".to_string(),
            "DELETE FROM post_links WHERE source = $1".to_string(),
            format!("DELETE FROM bookmarks WHERE post_id IN {posts} OR user_id IN {users}"),
            format!("DELETE FROM badge_awards WHERE user_id IN {users} OR source_key LIKE 'import:' || CAST($1 AS TEXT) || ':%'"),
            format!("DELETE FROM revisions WHERE post_id IN {posts}"),
            format!("DELETE FROM post_tags WHERE post_id IN {posts}"),
            format!("DELETE FROM accept_events WHERE question_id IN {posts}"),
            format!("DELETE FROM comments WHERE id IN {comments}"),
            format!("DELETE FROM notifications WHERE post_id IN {posts} OR user_id IN {users}"),
            format!("DELETE FROM reputation_ledger WHERE user_id IN {users}"),
            format!("DELETE FROM posts WHERE kind <> 1 AND id IN {posts}"),
            format!("DELETE FROM posts WHERE id IN {posts}"),
            format!("DELETE FROM users WHERE id IN {users}"),
            format!("DELETE FROM tags WHERE id IN {tags} AND NOT EXISTS (SELECT 1 FROM post_tags pt WHERE pt.tag_id = tags.id) AND NOT EXISTS (SELECT 1 FROM tag_follows f WHERE f.tag_id = tags.id) AND NOT EXISTS (SELECT 1 FROM tag_synonyms s WHERE s.tag_id = tags.id)"),
            "DELETE FROM import_map WHERE source = $1".to_string(),
            "DELETE FROM import_sources WHERE id = $1".to_string(),
            "UPDATE tags SET question_count = (SELECT COUNT(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = tags.id AND p.deleted_at IS NULL AND p.status = 0)".to_string(),
        ] {
            let q = sqlx::query(&sql);
            let q = if sql.contains("$1") { q.bind(source) } else { q };
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// What an export reads, a page at a time in id order. Each yields the
/// columns its doc names, as text (NULL as `None`), first column the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportQuery {
    /// id, username, reputation, created_at, about, location, website, upvotes, downvotes
    /// (members standing for a dump's deleted accounts are left out).
    Users,
    /// id, kind, question_id, accepted_answer_id, created_at, score, view_count,
    /// body_html, author_id, ghost name, edited_at, last_activity_at, title,
    /// tags, answer_count, comment_count, closed_at, close_reason,
    /// deleted_at, locked_at, duplicate_of
    Posts,
    /// id, post_id, created_at, body_md, author_id, ghost name
    Comments,
    /// id, post_id, vote_type, user_id, bounty, created_at: imported votes
    /// (even ids) and members' current votes (odd ids).
    Votes,
    /// id, post_id, kind, created_at, author_id, ghost name, title, body_md, tags, comment, post kind
    Revisions,
    /// id, post_id, related_post_id, link_type, created_at
    Links,
    /// id, user_id, badge, class, tag_based, awarded_at: guildhall's awards
    /// (badge key; even ids) and kept imported ones (name; odd ids).
    Badges,
    /// id, name, question_count, description
    Tags,
}

impl ExportQuery {
    fn sql(self) -> &'static str {
        match self {
            ExportQuery::Users => "SELECT CAST(u.id AS TEXT), u.username, CAST(u.reputation AS TEXT), CAST(u.created_at AS TEXT), u.about, u.location, u.website,
                CAST((SELECT COUNT(*) FROM votes v WHERE v.voter_id = u.id AND v.value = 1) AS TEXT),
                CAST((SELECT COUNT(*) FROM votes v WHERE v.voter_id = u.id AND v.value = -1) AS TEXT)
                FROM users u WHERE u.id > $1 AND NOT EXISTS (SELECT 1 FROM import_map m WHERE m.local_id = u.id AND m.kind = 'ghost')
                ORDER BY u.id LIMIT $2",
            ExportQuery::Posts => "SELECT CAST(p.id AS TEXT), CAST(p.kind AS TEXT), CAST(p.question_id AS TEXT), CAST(p.accepted_answer_id AS TEXT), CAST(p.created_at AS TEXT),
                CAST(p.score AS TEXT), CAST(p.view_count AS TEXT), p.body_html, CAST(p.author_id AS TEXT),
                (SELECT u.username FROM users u JOIN import_map m ON m.local_id = u.id AND m.kind = 'ghost' WHERE u.id = p.author_id),
                CAST(p.edited_at AS TEXT), CAST(p.last_activity_at AS TEXT), p.title, p.tags, CAST(p.answer_count AS TEXT), CAST(p.comment_count AS TEXT),
                CAST(p.closed_at AS TEXT), p.close_reason, CAST(p.deleted_at AS TEXT), CAST(p.locked_at AS TEXT), CAST(p.duplicate_of AS TEXT)
                FROM posts p WHERE p.id > $1 AND p.status = 0 ORDER BY p.id LIMIT $2",
            ExportQuery::Comments => "SELECT CAST(c.id AS TEXT), CAST(c.post_id AS TEXT), CAST(c.created_at AS TEXT), c.body_md, CAST(c.author_id AS TEXT),
                (SELECT u.username FROM users u JOIN import_map m ON m.local_id = u.id AND m.kind = 'ghost' WHERE u.id = c.author_id)
                FROM comments c JOIN posts p ON p.id = c.post_id AND p.status = 0 WHERE c.id > $1 AND c.deleted_at IS NULL ORDER BY c.id LIMIT $2",
            // Three sources, their ids interleaved so that each keeps its
            // own: imported votes, members' votes (voters unnamed, as in the
            // dumps), and members' own bookmarks as favourites (the dumps
            // name their members; imported favourites are in imported_votes).
            ExportQuery::Votes => "SELECT CAST(id AS TEXT), CAST(post_id AS TEXT), CAST(vote_type AS TEXT), CAST(user_id AS TEXT), CAST(bounty AS TEXT), CAST(created_at AS TEXT) FROM (
                SELECT i.id * 3 AS id, i.post_id, i.vote_type, i.user_id, i.bounty, i.created_at FROM imported_votes i
                UNION ALL
                SELECT v.event_id * 3 + 1 AS id, v.post_id, CASE WHEN v.value = 1 THEN 2 ELSE 3 END AS vote_type, NULL AS user_id, NULL AS bounty,
                    (SELECT e.created_at FROM vote_events e WHERE e.id = v.event_id) AS created_at FROM votes v WHERE v.value <> 0
                UNION ALL
                SELECT n * 3 + 2 AS id, post_id, 5 AS vote_type, user_id, NULL AS bounty, created_at FROM (
                    SELECT ROW_NUMBER() OVER (ORDER BY b.user_id, b.post_id) AS n, b.post_id, b.user_id, b.created_at
                    FROM bookmarks b JOIN posts p ON p.id = b.post_id AND p.status = 0
                    WHERE b.source IS NULL
                      AND NOT EXISTS (SELECT 1 FROM import_map m WHERE m.local_id = b.user_id AND m.kind = 'ghost')
                ) own
                ) x WHERE x.id > $1 ORDER BY x.id LIMIT $2",
            ExportQuery::Revisions => "SELECT CAST(r.id AS TEXT), CAST(r.post_id AS TEXT), r.kind, CAST(r.created_at AS TEXT), CAST(r.author_id AS TEXT),
                (SELECT u.username FROM users u JOIN import_map m ON m.local_id = u.id AND m.kind = 'ghost' WHERE u.id = r.author_id),
                r.title, r.body_md, r.tags, r.comment, CAST(p.kind AS TEXT)
                FROM revisions r JOIN posts p ON p.id = r.post_id AND p.status = 0 WHERE r.id > $1 ORDER BY r.id LIMIT $2",
            ExportQuery::Links => "SELECT CAST(l.id AS TEXT), CAST(l.post_id AS TEXT), CAST(l.related_post_id AS TEXT), CAST(l.link_type AS TEXT), CAST(l.created_at AS TEXT)
                FROM post_links l WHERE l.id > $1 ORDER BY l.id LIMIT $2",
            ExportQuery::Badges => "SELECT CAST(id AS TEXT), CAST(user_id AS TEXT), badge, CAST(class AS TEXT), CAST(tag_based AS TEXT), CAST(awarded_at AS TEXT) FROM (
                SELECT a.id * 2 AS id, a.user_id, a.badge, NULL AS class, 0 AS tag_based, a.awarded_at FROM badge_awards a
                UNION ALL
                SELECT b.id * 2 + 1 AS id, b.user_id, b.name AS badge, b.class, b.tag_based, b.awarded_at FROM imported_badges b
                ) x WHERE x.id > $1 ORDER BY x.id LIMIT $2",
            ExportQuery::Tags => "SELECT CAST(t.id AS TEXT), t.name, CAST(t.question_count AS TEXT), t.description FROM tags t WHERE t.id > $1 ORDER BY t.id LIMIT $2",
        }
    }
}

impl Store {
    /// One page of an export: rows with id above `after`.
    pub async fn export_page(
        &self,
        q: ExportQuery,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Vec<Option<String>>>> {
        use sqlx::Row;
        let rows = sqlx::query(q.sql())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<Option<String>, _>(i).ok().flatten())
                    .collect()
            })
            .collect())
    }

    /// A post's title, body and tags as its latest revision has them.
    pub async fn latest_revision_texts(
        &self,
        post: i64,
    ) -> Result<Option<(String, String, String)>> {
        Ok(sqlx::query(
            "SELECT title, body_md, tags FROM revisions WHERE post_id = $1 ORDER BY rev DESC LIMIT 1",
        )
        .bind(post)
        .fetch_optional(&self.write)
        .await?
        .map(|r| (r.s("title"), r.s("body_md"), r.s("tags"))))
    }

    /// The highest post id (tag wikis are exported after the posts).
    pub async fn max_post_id(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM posts")
                .fetch_one(&self.read)
                .await?
                .i("m"),
        )
    }
}

impl Store {
    /// Test hook: the first column of the first row, as a number.
    #[doc(hidden)]
    pub async fn count_for_test(&self, sql: &str) -> Result<i64> {
        use sqlx::Row;
        let r = sqlx::query(sql).fetch_one(&self.read).await?;
        Ok(r.try_get::<i64, _>(0).unwrap_or_default())
    }

    /// Test hook: every row of each query (one text column), sorted, so two
    /// communities compare without their ids.
    #[doc(hidden)]
    pub async fn fingerprint_for_test(&self, queries: &[&str]) -> Result<Vec<String>> {
        use sqlx::Row;
        let mut out = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            let mut rows: Vec<String> = sqlx::query(q)
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| {
                    format!(
                        "{i}:{}",
                        r.try_get::<Option<String>, _>(0)
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                    )
                })
                .collect();
            rows.sort();
            out.extend(rows);
        }
        Ok(out)
    }
}
