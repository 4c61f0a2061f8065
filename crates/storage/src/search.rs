//! What search needs from the database: the outbox of changed posts, the
//! indexable fields of a post, hydrating hits for display, tag synonyms,
//! tag follows and the tag directory.

use crate::content::{not_found, TagRecord, TAG_COLS};
use crate::{id_list, now, prefix_pattern, Backend, Result, RowExt, Store};
use guildhall_domain::{DomainError, ErrorCode};
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A post as the search index sees it (published, not deleted).
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub id: i64,
    /// 1 question, 2 answer.
    pub kind: i64,
    /// The question itself for a question.
    pub question_id: i64,
    pub author_id: i64,
    pub title: String,
    pub body_md: String,
    pub tags: Vec<String>,
    pub score: i64,
    /// The question's answer count (0 for answers).
    pub answers: i64,
    /// A question with an accepted answer, or the accepted answer.
    pub accepted: bool,
    pub closed: bool,
    pub created_at: i64,
}

/// A search hit with what a result line shows.
#[derive(Debug, Clone, Serialize)]
pub struct HitRow {
    pub id: i64,
    pub kind: i64,
    pub question_id: i64,
    /// The question's title (for answers too).
    pub title: String,
    #[serde(skip)]
    pub body_md: String,
    pub tags: Vec<String>,
    pub author: String,
    pub score: i64,
    pub answers: i64,
    pub accepted: bool,
    pub closed: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagSort {
    Popular,
    Name,
    New,
}

impl TagSort {
    pub fn parse(s: &str) -> Option<TagSort> {
        match s {
            "popular" => Some(TagSort::Popular),
            "name" => Some(TagSort::Name),
            "new" => Some(TagSort::New),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            TagSort::Popular => "popular",
            TagSort::Name => "name",
            TagSort::New => "new",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Synonym {
    pub synonym: String,
    pub tag: String,
    pub created_at: i64,
}

/// `column` is one of `ids`, and the parameter that says so: on
/// PostgreSQL one array (`$1`), so the statement's text, and with it its
/// prepared plan, is the same for every list (an inlined list was parsed
/// and planned anew for each page of hits); SQLite has no arrays, and the
/// integers are inlined.
fn ids_condition(backend: Backend, column: &str, ids: &[i64]) -> (String, Option<String>) {
    match backend {
        Backend::Postgres => (
            format!("{column} = ANY(CAST($1 AS BIGINT[]))"),
            Some(format!("{{{}}}", id_list(ids))),
        ),
        Backend::Sqlite => (format!("{column} IN ({})", id_list(ids)), None),
    }
}

/// Binds the array of [`ids_condition`], when there is one.
fn bind_ids<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    array: Option<String>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match array {
        Some(a) => q.bind(a),
        None => q,
    }
}

fn split_tags(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

const INDEX_COLS: &str = "p.id, p.kind, COALESCE(p.question_id, p.id) AS qid, p.author_id, p.title, p.body_md, \
    COALESCE(q.tags, p.tags) AS tags, p.score, \
    CASE WHEN p.kind = 1 THEN p.answer_count ELSE 0 END AS answers, \
    CASE WHEN p.kind = 1 AND p.accepted_answer_id IS NOT NULL THEN 1 \
         WHEN p.kind = 2 AND q.accepted_answer_id = p.id THEN 1 ELSE 0 END AS accepted, \
    CASE WHEN COALESCE(q.closed_at, p.closed_at) IS NOT NULL THEN 1 ELSE 0 END AS closed, p.created_at";

/// A post is searchable when it and its question are published and not
/// deleted.
const VISIBLE: &str = "p.deleted_at IS NULL AND p.status = 0 \
    AND (p.kind = 1 OR (q.id IS NOT NULL AND q.deleted_at IS NULL AND q.status = 0))";

fn index_row(r: &AnyRow) -> IndexRow {
    IndexRow {
        id: r.i("id"),
        kind: r.i("kind"),
        question_id: r.i("qid"),
        author_id: r.i("author_id"),
        title: r.s("title"),
        body_md: r.s("body_md"),
        tags: split_tags(&r.s("tags")),
        score: r.i("score"),
        answers: r.i("answers"),
        accepted: r.i("accepted") == 1,
        closed: r.i("closed") == 1,
        created_at: r.i("created_at"),
    }
}

impl Store {
    // The outbox ----------------------------------------------------------

    /// Up to `limit` changed posts (distinct) and the last outbox entry read.
    pub async fn search_outbox(&self, limit: i64) -> Result<(Vec<i64>, Option<i64>)> {
        let rows = sqlx::query("SELECT id, post_id FROM search_outbox ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        let last = rows.last().map(|r| r.i("id"));
        let mut ids: Vec<i64> = rows.iter().map(|r| r.i("post_id")).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok((ids, last))
    }

    /// Forget outbox entries up to `last` (after the index has them).
    pub async fn search_outbox_done(&self, last: i64) -> Result<()> {
        sqlx::query("DELETE FROM search_outbox WHERE id <= $1")
            .bind(last)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn search_outbox_len(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM search_outbox")
            .fetch_one(self.reader())
            .await?
            .i("n"))
    }

    pub async fn search_outbox_last(&self) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT MAX(id) AS n FROM search_outbox")
            .fetch_one(self.reader())
            .await?
            .oi("n"))
    }

    // Indexing ------------------------------------------------------------

    /// The searchable ones among `ids` (the others are to be removed).
    pub async fn index_rows(&self, ids: &[i64]) -> Result<Vec<IndexRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (among, array) = ids_condition(self.backend, "p.id", ids);
        let sql = format!(
            "SELECT {INDEX_COLS} FROM posts p LEFT JOIN posts q ON q.id = p.question_id
             WHERE {among} AND {VISIBLE}"
        );
        Ok(bind_ids(sqlx::query(&sql), array)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(index_row)
            .collect())
    }

    /// Searchable posts with id > `after`, in id order (for rebuilds).
    pub async fn index_rows_after(&self, after: i64, limit: i64) -> Result<Vec<IndexRow>> {
        let sql = format!(
            "SELECT {INDEX_COLS} FROM posts p LEFT JOIN posts q ON q.id = p.question_id
             WHERE p.id > $1 AND {VISIBLE} ORDER BY p.id LIMIT $2"
        );
        Ok(sqlx::query(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(index_row)
            .collect())
    }

    pub async fn count_indexable(&self) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM posts p LEFT JOIN posts q ON q.id = p.question_id WHERE {VISIBLE}"
        );
        Ok(sqlx::query(&sql).fetch_one(self.reader()).await?.i("n"))
    }

    /// Display data for hits, in the order of `ids`, dropping any that are
    /// no longer searchable (deleted since they were indexed).
    pub async fn search_hits(&self, ids: &[i64]) -> Result<Vec<HitRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (among, array) = ids_condition(self.backend, "p.id", ids);
        let sql = format!(
            "SELECT p.id, p.kind, COALESCE(p.question_id, p.id) AS qid, COALESCE(q.title, p.title) AS title,
                    p.body_md, COALESCE(q.tags, p.tags) AS tags, u.username, p.score,
                    COALESCE(q.answer_count, p.answer_count) AS answers,
                    CASE WHEN p.kind = 1 AND p.accepted_answer_id IS NOT NULL THEN 1
                         WHEN p.kind = 2 AND q.accepted_answer_id = p.id THEN 1 ELSE 0 END AS accepted,
                    CASE WHEN COALESCE(q.closed_at, p.closed_at) IS NOT NULL THEN 1 ELSE 0 END AS closed,
                    p.created_at
             FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN posts q ON q.id = p.question_id
             WHERE {among} AND {VISIBLE}"
        );
        let rows = bind_ids(sqlx::query(&sql), array)
            .fetch_all(self.reader())
            .await?;
        let mut by_id: HashMap<i64, HitRow> = rows
            .iter()
            .map(|r| {
                (
                    r.i("id"),
                    HitRow {
                        id: r.i("id"),
                        kind: r.i("kind"),
                        question_id: r.i("qid"),
                        title: r.s("title"),
                        body_md: r.s("body_md"),
                        tags: split_tags(&r.s("tags")),
                        author: r.s("username"),
                        score: r.i("score"),
                        answers: r.i("answers"),
                        accepted: r.i("accepted") == 1,
                        closed: r.i("closed") == 1,
                        created_at: r.i("created_at"),
                    },
                )
            })
            .collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    // Tags: synonyms ------------------------------------------------------

    /// The tag each name stands for: a synonym's tag, else the tag of that
    /// name; names that are neither are left out.
    pub async fn canonical_tags(&self, names: &[String]) -> Result<HashMap<String, String>> {
        if names.is_empty() {
            return Ok(HashMap::new());
        }
        // One round trip for every word of a query; synonyms win over a
        // tag of the same name (a merged tag keeps its row).
        let list = (1..=names.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT s.synonym AS given, t.name, 0 AS rank FROM tag_synonyms s JOIN tags t ON t.id = s.tag_id WHERE s.synonym IN ({list})
             UNION ALL SELECT name AS given, name, 1 AS rank FROM tags WHERE name IN ({list})
             ORDER BY rank DESC"
        );
        let mut q = sqlx::query(&sql);
        for n in names {
            q = q.bind(n);
        }
        let mut out = HashMap::new();
        // Tags first, then synonyms overwrite them.
        for r in q.fetch_all(self.reader()).await? {
            out.insert(r.s("given"), r.s("name"));
        }
        Ok(out)
    }

    pub async fn tag_synonyms(&self, tag_id: i64) -> Result<Vec<Synonym>> {
        let rows = sqlx::query(
            "SELECT s.synonym, t.name, s.created_at FROM tag_synonyms s JOIN tags t ON t.id = s.tag_id
             WHERE s.tag_id = $1 ORDER BY s.synonym",
        )
        .bind(tag_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Synonym {
                synonym: r.s("synonym"),
                tag: r.s("name"),
                created_at: r.i("created_at"),
            })
            .collect())
    }

    /// Make `synonym` stand for `tag`. A synonym may not be an existing tag
    /// (merging two tags makes the old name a synonym).
    pub async fn add_tag_synonym(&self, synonym: &str, tag: &str, by: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let target = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(tag)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("tag"))?
            .i("id");
        let is_tag = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(synonym)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if is_tag {
            return Err(DomainError::validation("synonym", "tag_in_use", None).into());
        }
        let taken = sqlx::query("SELECT tag_id FROM tag_synonyms WHERE synonym = $1")
            .bind(synonym)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(DomainError::Other(ErrorCode::Conflict).into());
        }
        sqlx::query(
            "INSERT INTO tag_synonyms (synonym, tag_id, created_by, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(synonym)
        .bind(target)
        .bind(by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        crate::moderation::audit(
            &mut tx,
            Some(by),
            "add_synonym",
            "tag",
            Some(target),
            &format!("{synonym} -> {tag}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_tag_synonym(&self, synonym: &str, by: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("DELETE FROM tag_synonyms WHERE synonym = $1 RETURNING tag_id")
            .bind(synonym)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("synonym"))?;
        crate::moderation::audit(
            &mut tx,
            Some(by),
            "remove_synonym",
            "tag",
            Some(row.i("tag_id")),
            synonym,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // Tags: follows -------------------------------------------------------

    pub async fn set_tag_follow(&self, user_id: i64, tag_id: i64, follow: bool) -> Result<()> {
        let q = if follow {
            sqlx::query(
                "INSERT INTO tag_follows (user_id, tag_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(tag_id)
            .bind(now())
        } else {
            sqlx::query("DELETE FROM tag_follows WHERE user_id = $1 AND tag_id = $2")
                .bind(user_id)
                .bind(tag_id)
        };
        q.execute(&self.write).await?;
        Ok(())
    }

    pub async fn followed_tags(&self, user_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT t.name FROM tag_follows f JOIN tags t ON t.id = f.tag_id WHERE f.user_id = $1 ORDER BY t.name",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(|r| r.s("name")).collect())
    }

    pub async fn tag_followers(&self, tag_id: i64) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM tag_follows WHERE tag_id = $1")
                .bind(tag_id)
                .fetch_one(self.reader())
                .await?
                .i("n"),
        )
    }

    // The tag directory ---------------------------------------------------

    /// Tags whose name starts with `filter` (tags in use, and unused ones
    /// only when sorting by name), one more than `limit` when there is more.
    pub async fn tag_directory(
        &self,
        sort: TagSort,
        filter: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<TagRecord>> {
        let order = match sort {
            TagSort::Popular => "question_count DESC, name",
            TagSort::Name => "name",
            TagSort::New => "created_at DESC, name",
        };
        let sql = format!(
            "SELECT {TAG_COLS} FROM tags
             WHERE name LIKE $1 ESCAPE '\\' AND (question_count > 0 OR $2 = 1)
             ORDER BY {order} LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(&sql)
            .bind(prefix_pattern(filter))
            .bind(i64::from(sort == TagSort::Name))
            .bind(limit + 1)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(TagRecord::from_row).collect())
    }

    /// Follower counts for a page of tags.
    pub async fn tag_follower_counts(&self, tag_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if tag_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT tag_id, COUNT(*) AS n FROM tag_follows WHERE tag_id IN ({}) GROUP BY tag_id",
            id_list(tag_ids)
        );
        Ok(sqlx::query(&sql)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| (r.i("tag_id"), r.i("n")))
            .collect())
    }
}
