//! Search, similar questions, the tag directory (synonyms, follows) and
//! feeds: the use cases pages and the JSON API share.

use crate::community::actor_of;
use crate::{App, Result, ServiceError};
use guildhall_domain::{DomainError, Privilege};
use guildhall_search::plan::{self, PlanInput, Resolved, Sort};
use guildhall_search::query::{self, Limits, Notice, UserRef};
use guildhall_search::{analyzer, snippet, SearchError};
use guildhall_storage::content::{PostRecord, TagRecord};
use guildhall_storage::now;
use guildhall_storage::search::{Synonym, TagSort};
use guildhall_storage::users::UserRecord;
use serde::Serialize;

impl From<SearchError> for ServiceError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "search failure");
                ServiceError::Internal(other.to_string())
            }
        }
    }
}

/// Snippet length in characters.
const SNIPPET_CHARS: usize = 240;
/// Results beyond this many pages are not served (nobody reads them, and
/// deep offsets cost every engine).
const MAX_PAGES: usize = guildhall_domain::search::MAX_PAGES as usize;

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: i64,
    /// "question" or "answer".
    pub kind: &'static str,
    pub question_id: i64,
    /// Title with the matches in `<mark>` (HTML-escaped).
    pub title_html: String,
    pub snippet_html: String,
    pub tags: Vec<String>,
    pub author: String,
    pub score: i64,
    pub answers: i64,
    pub accepted: bool,
    pub closed: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub sort: Sort,
    pub page: usize,
    pub pages: usize,
    /// Matches counted, up to the rules' `max_counted`.
    pub total: usize,
    /// More posts match than `total` (counting stopped there).
    pub more: bool,
    pub hits: Vec<Hit>,
    pub notices: Vec<Notice>,
    /// Nothing was asked (an empty or operator-less blank query).
    pub empty: bool,
    /// Which engine answered ("tantivy" or "postgresql").
    pub engine: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    pub id: i64,
    pub title: String,
    pub score: i64,
    pub answers: i64,
    pub accepted: bool,
    pub closed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagEntry {
    #[serde(flatten)]
    pub tag: TagRecord,
    pub followers: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagDirectory {
    pub sort: TagSort,
    pub filter: String,
    pub page: i64,
    pub has_next: bool,
    pub tags: Vec<TagEntry>,
    /// The viewer's followed tags.
    pub following: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagDetail {
    #[serde(flatten)]
    pub tag: TagRecord,
    pub synonyms: Vec<Synonym>,
    pub followers: i64,
    pub following: bool,
}

/// A feed, ready for Atom or RSS.
#[derive(Debug, Clone, Serialize)]
pub struct Feed {
    pub title: String,
    /// Path of the page the feed follows (made absolute by the caller).
    pub link: String,
    /// Path of the feed itself.
    pub self_link: String,
    pub updated: i64,
    pub entries: Vec<FeedEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedEntry {
    pub id: i64,
    pub title: String,
    pub link: String,
    pub author: String,
    pub published: i64,
    pub updated: i64,
    /// Sanitized HTML.
    pub content_html: String,
    pub tags: Vec<String>,
}

const FEED_ENTRIES: i64 = 30;

impl App {
    /// Run a query in the search language for a viewer (who `user:me` is).
    pub async fn search(
        &self,
        viewer: Option<&UserRecord>,
        q: &str,
        sort: Option<&str>,
        page: i64,
    ) -> Result<SearchResults> {
        let rules = self.settings().search.clamp();
        let sort = sort.and_then(Sort::parse).unwrap_or_default();
        let mut parsed = query::parse(
            q,
            Limits {
                max_terms: rules.max_terms,
                max_tags: rules.max_tags,
            },
        );
        let engine = self.search.engine_name();
        let page = (page.max(1) as usize).min(MAX_PAGES);
        let empty = |parsed: query::Query| SearchResults {
            query: q.to_string(),
            sort,
            page: 1,
            pages: 0,
            total: 0,
            more: false,
            hits: Vec::new(),
            empty: true,
            notices: parsed.notices,
            engine,
        };
        if parsed.is_empty() {
            return Ok(empty(parsed));
        }
        let mut resolved = Resolved {
            tags: self
                .store
                .canonical_tags(&plan::tag_candidates(&parsed))
                .await?,
            author: None,
        };
        for t in &parsed.tags {
            if !resolved.tags.contains_key(t) {
                parsed.notices.push(Notice::UnknownTag { tag: t.clone() });
            }
        }
        match &parsed.user {
            None => {}
            Some(UserRef::Me) => match viewer {
                Some(v) => resolved.author = Some(Some(v.id)),
                None => {
                    parsed.notices.push(Notice::MeNeedsLogin);
                    resolved.author = Some(None);
                }
            },
            Some(UserRef::Name(name)) => {
                let user = self.store.user_by_username(&name.to_lowercase()).await?;
                if user.is_none() {
                    parsed
                        .notices
                        .push(Notice::UnknownUser { name: name.clone() });
                }
                resolved.author = Some(user.map(|u| u.id));
            }
        }
        let limit = rules.page_size as usize;
        let mut p = plan::plan(PlanInput {
            query: &parsed,
            resolved: &resolved,
            sort,
            offset: (page - 1) * limit,
            limit,
            now: now(),
        });
        let mut found = self.search.search(&p, &rules).await?;
        if found.total == 0 && p.groups.iter().filter(|g| !g.optional).count() > 1 {
            // No post has every word: show those with some, and say so.
            p.any = true;
            found = self.search.search(&p, &rules).await?;
            if found.total > 0 {
                parsed.notices.push(Notice::AnyWords);
            }
        }
        let want = p.highlight_terms();
        let rows = self.store.search_hits(&found.ids).await?;
        // Inline, not on the blocking pool: excerpts are bounded (20,000
        // characters of text, 64 KiB scanned) and cheap since they no
        // longer segment whole texts, and the hop between threads cost
        // more than the work under load.
        let mut a = analyzer::analyzer();
        let hits: Vec<Hit> = rows
            .into_iter()
            .map(|r| {
                let text = guildhall_markdown::plain_text(&r.body_md, 20_000);
                Hit {
                    id: r.id,
                    kind: if r.kind == 1 { "question" } else { "answer" },
                    question_id: r.question_id,
                    title_html: snippet::highlight(&mut a, &r.title, &want),
                    snippet_html: snippet::snippet(&mut a, &text, &want, SNIPPET_CHARS),
                    tags: r.tags,
                    author: r.author,
                    score: r.score,
                    answers: r.answers,
                    accepted: r.accepted,
                    closed: r.closed,
                    created_at: r.created_at,
                }
            })
            .collect();
        let pages = found.total.div_ceil(limit).min(MAX_PAGES);
        Ok(SearchResults {
            query: q.to_string(),
            sort,
            page,
            pages,
            total: found.total,
            more: found.more,
            hits,
            notices: parsed.notices,
            empty: false,
            engine,
        })
    }

    /// Existing questions like a title being typed (before it is asked).
    pub async fn similar_questions(&self, title: &str) -> Result<Vec<Similar>> {
        let title: String = title
            .chars()
            .take(300)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let rules = self.settings().search.clamp();
        let words: Vec<String> = title
            .split_whitespace()
            .map(|w| w.to_lowercase())
            .take(32)
            .collect();
        let resolved = Resolved {
            tags: self.store.canonical_tags(&words).await?,
            author: None,
        };
        let p = plan::similar(&title, &resolved, rules.similar_limit as usize, now());
        if !p.has_text() {
            return Ok(Vec::new());
        }
        let found = self.search.search(&p, &rules).await?;
        Ok(self
            .store
            .search_hits(&found.ids)
            .await?
            .into_iter()
            .map(|h| Similar {
                id: h.id,
                title: h.title,
                score: h.score,
                answers: h.answers,
                accepted: h.accepted,
                closed: h.closed,
            })
            .collect())
    }

    /// Apply pending index updates now (tests, and `guildhall search sync`).
    pub async fn search_sync(&self) -> Result<usize> {
        Ok(self.search.sync().await?)
    }

    /// Rebuild the index from the database, reporting (done, total).
    pub async fn search_rebuild(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64> {
        Ok(self.search.rebuild(progress).await?)
    }

    /// Rebuild if the index is new or disagrees with the database.
    pub async fn search_check(&self) -> Result<bool> {
        if self.search.needs_rebuild().await? {
            tracing::info!("search index is new or out of step with the database; rebuilding");
            let n = self
                .search
                .rebuild(&|done, total| {
                    if total > 0 && (done == total || done % 50_000 == 0) {
                        tracing::info!(done, total, "search index rebuild");
                    }
                })
                .await?;
            tracing::info!(posts = n, "search index rebuilt");
            return Ok(true);
        }
        self.search.sync().await?;
        Ok(false)
    }

    /// Cached counts of the search index that disagree with it (see
    /// `SearchIndex::cached_count_drift`).
    pub async fn search_count_drift(&self) -> Result<u64> {
        Ok(self.search.cached_count_drift().await?)
    }

    pub fn search_engine(&self) -> &'static str {
        self.search.engine_name()
    }

    pub async fn search_indexed(&self) -> Result<u64> {
        Ok(self.search.num_docs().await?)
    }

    // Tags --------------------------------------------------------------------

    /// The tags a list of names stands for (synonyms replaced, duplicates
    /// dropped, unknown names kept for the tag rules to judge).
    pub(crate) async fn canonical_tags(&self, names: Vec<String>) -> Result<Vec<String>> {
        let map = self.store.canonical_tags(&names).await?;
        let mut out: Vec<String> = Vec::new();
        for n in names {
            let c = map.get(&n).cloned().unwrap_or(n);
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    }

    pub async fn tag_directory(
        &self,
        viewer: Option<&UserRecord>,
        sort: Option<&str>,
        filter: &str,
        page: i64,
    ) -> Result<TagDirectory> {
        const PER_PAGE: i64 = 60;
        let sort = sort.and_then(TagSort::parse).unwrap_or(TagSort::Popular);
        let filter = crate::directory_filter(filter);
        let page = page.max(1);
        let rows = self
            .store
            .tag_directory(sort, &filter, PER_PAGE, (page - 1) * PER_PAGE)
            .await?;
        let (tags, has_next) = crate::paged(rows, PER_PAGE);
        let ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
        let counts = self.store.tag_follower_counts(&ids).await?;
        let following = match viewer {
            Some(v) => self.store.followed_tags(v.id).await?,
            None => Vec::new(),
        };
        Ok(TagDirectory {
            sort,
            filter,
            page,
            has_next,
            tags: tags
                .into_iter()
                .map(|t| TagEntry {
                    followers: counts.get(&t.id).copied().unwrap_or(0),
                    tag: t,
                })
                .collect(),
            following,
        })
    }

    /// The tag a name stands for, following a synonym.
    pub async fn resolve_tag(&self, name: &str) -> Result<TagRecord> {
        let name = name.to_lowercase();
        let map = self
            .store
            .canonical_tags(std::slice::from_ref(&name))
            .await?;
        let canonical = map.get(&name).cloned().unwrap_or(name);
        self.tag(&canonical).await
    }

    pub async fn tag_detail(&self, name: &str, viewer: Option<&UserRecord>) -> Result<TagDetail> {
        let tag = self.resolve_tag(name).await?;
        let following = match viewer {
            Some(v) => self.store.followed_tags(v.id).await?.contains(&tag.name),
            None => false,
        };
        Ok(TagDetail {
            synonyms: self.store.tag_synonyms(tag.id).await?,
            followers: self.store.tag_followers(tag.id).await?,
            following,
            tag,
        })
    }

    pub async fn follow_tag(
        &self,
        user: &UserRecord,
        name: &str,
        follow: bool,
    ) -> Result<TagRecord> {
        actor_of(user)?;
        let tag = self.resolve_tag(name).await?;
        self.store.set_tag_follow(user.id, tag.id, follow).await?;
        Ok(tag)
    }

    pub async fn followed_tags(&self, user: &UserRecord) -> Result<Vec<String>> {
        Ok(self.store.followed_tags(user.id).await?)
    }

    /// Make `synonym` find and file under `tag` (tag-cleanup privilege).
    pub async fn add_tag_synonym(&self, user: &UserRecord, tag: &str, synonym: &str) -> Result<()> {
        let actor = actor_of(user)?;
        self.settings()
            .privileges
            .require(&actor, Privilege::TagCleanup)?;
        let tag = self.resolve_tag(tag).await?;
        let names = self.settings().limits.tags(synonym)?;
        let [synonym] = names.as_slice() else {
            return Err(DomainError::validation("synonym", "too_many_tags", Some(1)).into());
        };
        self.store
            .add_tag_synonym(synonym, &tag.name, user.id)
            .await?;
        self.written(()).await
    }

    pub async fn remove_tag_synonym(&self, user: &UserRecord, synonym: &str) -> Result<()> {
        let actor = actor_of(user)?;
        self.settings()
            .privileges
            .require(&actor, Privilege::TagCleanup)?;
        self.store
            .remove_tag_synonym(&synonym.to_lowercase(), user.id)
            .await?;
        self.written(()).await
    }

    // Feeds -------------------------------------------------------------------

    fn question_entry(p: PostRecord) -> FeedEntry {
        FeedEntry {
            link: format!("/questions/{}", p.id),
            title: p.title,
            author: p.author_name,
            published: p.created_at,
            updated: p.edited_at.unwrap_or(p.created_at),
            content_html: p.body_html,
            tags: p.tags,
            id: p.id,
        }
    }

    async fn question_feed(&self, tag: Option<&str>) -> Result<Vec<FeedEntry>> {
        let rows = self
            .store
            .list_questions(
                guildhall_storage::content::QuestionSort::Newest,
                tag,
                FEED_ENTRIES,
                0,
            )
            .await?;
        let mut entries = Vec::new();
        // Lists carry no bodies; a feed shows each question's text.
        for p in rows.into_iter().take(FEED_ENTRIES as usize) {
            let full = self.store.post(p.id).await?.unwrap_or(p);
            entries.push(Self::question_entry(full));
        }
        Ok(entries)
    }

    fn feed(title: String, link: String, self_link: String, entries: Vec<FeedEntry>) -> Feed {
        Feed {
            updated: entries.iter().map(|e| e.updated).max().unwrap_or(0),
            title,
            link,
            self_link,
            entries,
        }
    }

    /// The newest questions. `title` is the localized feed title.
    pub async fn feed_newest(&self, title: String) -> Result<Feed> {
        let entries = self.question_feed(None).await?;
        Ok(Self::feed(
            title,
            "/questions?sort=newest".into(),
            "/feeds/questions".into(),
            entries,
        ))
    }

    pub async fn feed_tag(&self, name: &str, title: impl Fn(&str) -> String) -> Result<Feed> {
        let tag = self.resolve_tag(name).await?;
        let entries = self.question_feed(Some(&tag.name)).await?;
        Ok(Self::feed(
            title(&tag.name),
            format!("/tags/{}", tag.name),
            format!("/feeds/tags/{}", tag.name),
            entries,
        ))
    }

    /// A question and its answers, newest answer first.
    pub async fn feed_question(&self, id: i64, title: impl Fn(&str) -> String) -> Result<Feed> {
        let page = self.question(id, None).await?;
        let q = page.question.clone();
        if q.deleted_at.is_some() || !q.is_published() {
            return Err(DomainError::NotFound("question").into());
        }
        let mut entries: Vec<FeedEntry> = page
            .answers
            .iter()
            .map(|a| FeedEntry {
                id: a.id,
                title: title(&q.title),
                link: format!("/questions/{}#post-{}", q.id, a.id),
                author: a.author_name.clone(),
                published: a.created_at,
                updated: a.edited_at.unwrap_or(a.created_at),
                content_html: a.body_html.clone(),
                tags: Vec::new(),
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.published));
        entries.push(Self::question_entry(q.clone()));
        Ok(Self::feed(
            q.title.clone(),
            format!("/questions/{}", q.id),
            format!("/feeds/questions/{}", q.id),
            entries,
        ))
    }
}
