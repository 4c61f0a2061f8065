//! The knowledge community's use cases: ask, answer, comment, edit,
//! roll back, delete, vote, accept, and the reads behind every page.

use crate::{App, Result, LIST_PAGE};
use guildhall_domain::moderation::Capability;
use guildhall_domain::review::{edit_route, prepublish_queue, EditRoute};
use guildhall_domain::votes::{PostKind, VoteValue};
use guildhall_domain::{Actor, DomainError, ErrorCode, Privilege};
use guildhall_storage::content::{
    status, OwnList, PostInput, PostRecord, QuestionPage, QuestionSort, Revision, TagRecord,
    VoteOutcome,
};
use guildhall_storage::ledger::LedgerRow;
use guildhall_storage::review::{EditSuggestion, Placement};
use guildhall_storage::users::UserRecord;
use serde::Serialize;

/// What an edit did: a new revision, or a suggestion waiting for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum EditOutcome {
    Edited { rev: i64 },
    Suggested { item_id: i64 },
}

/// A member as an actor; refuses accounts that are not activated.
pub fn actor_of(u: &UserRecord) -> Result<Actor> {
    if u.activated_at.is_none() {
        return Err(ErrorCode::NotActivated.into());
    }
    Ok(u.actor())
}

#[derive(Debug, Clone, Default)]
pub struct QuestionForm {
    pub title: String,
    pub body: String,
    pub tags: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffLine {
    /// "same", "added" or "removed".
    pub op: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    pub revision: Revision,
    /// Changes against the previous revision (empty for the first).
    pub title_diff: Vec<DiffLine>,
    pub tags_diff: Vec<DiffLine>,
    pub body_diff: Vec<DiffLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub user: UserRecord,
    pub question_count: i64,
    pub answer_count: i64,
    pub questions: Vec<PostRecord>,
    pub answers: Vec<PostRecord>,
    pub history: Vec<LedgerRow>,
    pub privileges: Vec<(Privilege, i64, bool)>,
    pub badges: Vec<(
        guildhall_domain::badges::BadgeDef,
        guildhall_storage::badges::BadgeAward,
    )>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionList {
    pub questions: Vec<PostRecord>,
    pub page: i64,
    pub per_page: i64,
    pub has_next: bool,
}

pub(crate) fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "added",
                ChangeTag::Delete => "removed",
            },
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

impl App {
    async fn validate_question(&self, f: &QuestionForm) -> Result<(String, String, Vec<String>)> {
        let s = self.settings();
        let title = s.limits.title(&f.title)?;
        let body = s.limits.body(&f.body)?;
        // A synonym stands for its tag ("js" is filed under "javascript").
        let tags = self.canonical_tags(s.limits.tags(&f.tags)?).await?;
        Ok((title, body, tags))
    }

    /// Where a new post of this author waits, if it must be reviewed first.
    async fn placement(
        &self,
        actor: &Actor,
        kind: PostKind,
        question_created_at: Option<i64>,
    ) -> Result<Option<Placement>> {
        let s = self.settings();
        let (questions, answers) = self.store.count_user_posts(actor.id).await?;
        let earlier = match kind {
            PostKind::Question => questions,
            PostKind::Answer => answers,
        };
        Ok(prepublish_queue(
            &s.review,
            &s.privileges,
            actor,
            kind,
            earlier,
            question_created_at,
            guildhall_storage::now(),
        )
        .map(|queue| Placement {
            queue,
            thresholds: s.review.thresholds(queue),
        }))
    }

    pub async fn ask(&self, author: &UserRecord, f: &QuestionForm) -> Result<i64> {
        let actor = self.capable(author, Capability::Ask)?;
        let (title, body, tags) = self.validate_question(f).await?;
        let html = guildhall_markdown::render(&body);
        let input = PostInput {
            title: &title,
            body_md: &body,
            body_html: &html,
            tags: &tags,
        };
        let review = self.placement(&actor, PostKind::Question, None).await?;
        let id = self
            .store
            .create_question(&self.settings(), &actor, &input, review)
            .await?;
        self.mark_dirty(&[actor.id]);
        self.written(id).await
    }

    pub async fn answer(&self, author: &UserRecord, question_id: i64, body: &str) -> Result<i64> {
        let actor = self.capable(author, Capability::Answer)?;
        let body = self.settings().limits.body(body)?;
        let html = guildhall_markdown::render(&body);
        let asked = self
            .store
            .post(question_id)
            .await?
            .filter(|q| q.kind == PostKind::Question)
            .ok_or(DomainError::NotFound("question"))?
            .created_at;
        let review = self
            .placement(&actor, PostKind::Answer, Some(asked))
            .await?;
        let id = self
            .store
            .create_answer(&self.settings(), &actor, question_id, &body, &html, review)
            .await?;
        self.mark_dirty(&[actor.id]);
        self.written(id).await
    }

    pub async fn comment(&self, author: &UserRecord, post_id: i64, body: &str) -> Result<i64> {
        let actor = self.capable(author, Capability::Comment)?;
        let body = self.settings().limits.comment(body)?;
        let html = guildhall_markdown::render(&body);
        self.written(
            self.store
                .create_comment(&self.settings(), &actor, post_id, &body, &html)
                .await?,
        )
        .await
    }

    /// Remove a comment: its author or a moderator. Returns the post it
    /// was on.
    pub async fn delete_comment(&self, user: &UserRecord, comment_id: i64) -> Result<i64> {
        let actor = actor_of(user)?;
        let post_id = self.store.delete_comment(&actor, comment_id).await?;
        self.written(post_id).await
    }

    /// Edit a question (title, body, tags) or an answer (body only): the
    /// author, trusted users and staff edit directly; others with the edit
    /// privilege suggest an edit that waits for review. A post whose review
    /// asked for changes goes back to its queue once its author edits it.
    pub async fn edit(
        &self,
        editor: &UserRecord,
        post_id: i64,
        f: &QuestionForm,
        comment: &str,
    ) -> Result<EditOutcome> {
        let actor = self.capable(editor, Capability::Review)?;
        let post = self
            .store
            .post(post_id)
            .await?
            .ok_or(DomainError::NotFound("post"))?;
        let s = self.settings();
        let (title, body, tags) = match post.kind {
            PostKind::Question => self.validate_question(f).await?,
            PostKind::Answer => (String::new(), s.limits.body(&f.body)?, Vec::new()),
        };
        let comment: String = comment.trim().chars().take(300).collect();
        let html = guildhall_markdown::render(&body);
        let input = PostInput {
            title: &title,
            body_md: &body,
            body_html: &html,
            tags: &tags,
        };
        let out = match edit_route(&s.privileges, &actor, post.author_id)? {
            EditRoute::Direct => {
                let rev = self
                    .store
                    .edit_post(&s, &actor, post_id, &input, &comment, None)
                    .await?;
                if post.status == status::CHANGES_REQUESTED && post.author_id == actor.id {
                    self.store.resubmit_post(&s, &actor, post_id).await?;
                }
                EditOutcome::Edited { rev }
            }
            EditRoute::Suggest => {
                if post.deleted_at.is_some() {
                    return Err(ErrorCode::Deleted.into());
                }
                // A suggestion may only use existing tags unless the editor may create tags.
                for t in &tags {
                    if !post.tags.contains(t) && self.store.tag(t).await?.is_none() {
                        s.privileges.require(&actor, Privilege::CreateTags)?;
                    }
                }
                let suggestion = EditSuggestion {
                    title: &title,
                    body_md: &body,
                    body_html: &html,
                    tags: &tags,
                    comment: &comment,
                };
                let item_id = self
                    .store
                    .suggest_post_edit(&s, &actor, post_id, &suggestion)
                    .await?;
                EditOutcome::Suggested { item_id }
            }
        };
        self.mark_dirty(&[actor.id]);
        self.written(out).await
    }

    /// Restore a post to an earlier revision, as a new revision.
    pub async fn rollback(&self, editor: &UserRecord, post_id: i64, rev: i64) -> Result<i64> {
        let actor = self.capable(editor, Capability::Review)?;
        let post = self.post(post_id).await?;
        // Rolling back someone else's post is an edit without review.
        if edit_route(&self.settings().privileges, &actor, post.author_id)? != EditRoute::Direct {
            self.settings()
                .privileges
                .require(&actor, Privilege::Trusted)?;
        }
        let revs = self.store.revisions(post_id).await?;
        let r = revs
            .iter()
            .find(|r| r.rev == rev)
            .ok_or(DomainError::NotFound("revision"))?;
        let tags: Vec<String> = r.tags.split_whitespace().map(str::to_string).collect();
        let html = guildhall_markdown::render(&r.body_md);
        let input = PostInput {
            title: &r.title,
            body_md: &r.body_md,
            body_html: &html,
            tags: &tags,
        };
        self.written(
            self.store
                .edit_post(&self.settings(), &actor, post_id, &input, "", Some(rev))
                .await?,
        )
        .await
    }

    pub async fn delete(&self, actor: &UserRecord, post_id: i64) -> Result<()> {
        let actor = self.capable(actor, Capability::Review)?;
        self.written(
            self.store
                .delete_post(&self.settings(), &actor, post_id)
                .await?,
        )
        .await
    }

    pub async fn vote(
        &self,
        voter: &UserRecord,
        post_id: i64,
        value: VoteValue,
    ) -> Result<VoteOutcome> {
        let actor = self.capable(voter, Capability::Vote)?;
        {
            let out = self
                .store
                .vote(&self.settings(), &actor, post_id, value)
                .await?;
            if out.changed {
                self.mark_dirty(&[actor.id, out.author_id]);
                self.wrote().await;
            }
            Ok(out)
        }
    }

    pub async fn accept(
        &self,
        actor: &UserRecord,
        question_id: i64,
        answer_id: Option<i64>,
    ) -> Result<Option<i64>> {
        let actor = self.capable(actor, Capability::Vote)?;
        self.mark_dirty(&[actor.id]);
        self.written(
            self.store
                .accept(&self.settings(), &actor, question_id, answer_id)
                .await?,
        )
        .await
    }

    // Reads -----------------------------------------------------------------

    pub async fn questions(
        &self,
        sort: QuestionSort,
        tag: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<QuestionList> {
        let page = page.max(1);
        let per_page = per_page.clamp(1, 100);
        let key = (
            sort.key().to_string(),
            tag.map(str::to_string),
            page,
            per_page,
        );
        let mut questions = match self.cache.as_ref().and_then(|c| c.list(&key)) {
            Some(rows) => (*rows).clone(),
            None => {
                let generation = self.cache.as_ref().map(|c| c.generation());
                let rows = self
                    .store
                    .list_questions(sort, tag, per_page, (page - 1) * per_page)
                    .await?;
                if let (Some(c), Some(g)) = (&self.cache, generation) {
                    c.put_list(key, g, std::sync::Arc::new(rows.clone()));
                }
                rows
            }
        };
        let has_next = questions.len() as i64 > per_page;
        questions.truncate(per_page as usize);
        Ok(QuestionList {
            questions,
            page,
            per_page,
            has_next,
        })
    }

    /// Bookmark a question or remove the bookmark; returns whether it is
    /// bookmarked now.
    pub async fn bookmark(&self, user: &UserRecord, question_id: i64, on: bool) -> Result<bool> {
        self.store.set_bookmark(user.id, question_id, on).await?;
        self.written(on).await
    }

    /// A page of one of the member's own lists (the questions in the tags
    /// they follow, newest first; their bookmarks, most recent first), and
    /// whether there are more.
    pub async fn own_questions(
        &self,
        user: &UserRecord,
        list: OwnList,
        page: i64,
    ) -> Result<(Vec<PostRecord>, bool)> {
        let page = page.max(1);
        let rows = self
            .store
            .own_list(list, user.id, LIST_PAGE, (page - 1) * LIST_PAGE)
            .await?;
        Ok(crate::paged(rows, LIST_PAGE))
    }

    pub async fn question(&self, id: i64, viewer: Option<&UserRecord>) -> Result<QuestionPage> {
        let page = match &self.cache {
            Some(cache) => {
                let shared = match cache.question(id) {
                    Some(p) => p,
                    None => {
                        let generation = cache.generation();
                        let p = std::sync::Arc::new(
                            self.store
                                .question_page(id, None)
                                .await?
                                .ok_or(DomainError::NotFound("question"))?,
                        );
                        cache.put_question(id, generation, p.clone());
                        p
                    }
                };
                let mut page = (*shared).clone();
                if let Some(v) = viewer {
                    (page.my_votes, page.bookmarked) = self.store.viewer_state(v.id, id).await?;
                }
                page
            }
            None => self
                .store
                .question_page(id, viewer.map(|v| v.id))
                .await?
                .ok_or(DomainError::NotFound("question"))?,
        };
        let q = &page.question;
        let own = viewer.is_some_and(|v| v.role.is_staff() || v.id == q.author_id);
        if q.deleted_at.is_some() && !own {
            return Err(ErrorCode::Deleted.into());
        }
        // Unpublished questions: their author, staff, and (while waiting)
        // the reviewers of first posts.
        if q.status != status::PUBLISHED && !own {
            let reviewer = q.status == status::PENDING
                && viewer.is_some_and(|v| {
                    self.settings()
                        .privileges
                        .holds(&v.actor(), Privilege::ReviewFirstPosts)
                });
            if !reviewer {
                return Err(DomainError::NotFound("question").into());
            }
        }
        Ok(page)
    }

    pub async fn post(&self, id: i64) -> Result<PostRecord> {
        self.store
            .post(id)
            .await?
            .ok_or_else(|| DomainError::NotFound("post").into())
    }

    pub async fn history(&self, post_id: i64) -> Result<(PostRecord, Vec<RevisionView>)> {
        let post = self.post(post_id).await?;
        let revs = self.store.revisions(post_id).await?;
        let mut out = Vec::with_capacity(revs.len());
        let mut prev: Option<&Revision> = None;
        for r in &revs {
            let (t, g, b) = match prev {
                Some(p) => (
                    diff(&p.title, &r.title),
                    diff(&p.tags, &r.tags),
                    diff(&p.body_md, &r.body_md),
                ),
                None => (vec![], vec![], diff("", &r.body_md)),
            };
            out.push(RevisionView {
                revision: r.clone(),
                title_diff: t,
                tags_diff: g,
                body_diff: b,
            });
            prev = Some(r);
        }
        out.reverse();
        Ok((post, out))
    }

    pub async fn profile(&self, username: &str) -> Result<Profile> {
        let user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(DomainError::NotFound("user"))?;
        let (question_count, answer_count) = self.store.count_user_posts(user.id).await?;
        let questions = self
            .store
            .user_posts(user.id, PostKind::Question, 20)
            .await?;
        let answers = self.store.user_posts(user.id, PostKind::Answer, 20).await?;
        let history = self.store.reputation_history(user.id, 200, 0).await?;
        let s = self.settings();
        let actor = user.actor();
        let privileges = Privilege::ALL
            .into_iter()
            .map(|p| (p, s.privileges.threshold(p), s.privileges.holds(&actor, p)))
            .collect();
        let badges = self.user_badges(user.id).await?;
        Ok(Profile {
            badges,
            user,
            question_count,
            answer_count,
            questions,
            answers,
            history,
            privileges,
        })
    }

    pub async fn tag(&self, name: &str) -> Result<TagRecord> {
        self.store
            .tag(&name.to_lowercase())
            .await?
            .ok_or_else(|| DomainError::NotFound("tag").into())
    }
}

impl App {
    /// Create a tag (needs the create-tags privilege).
    pub async fn create_tag(
        &self,
        creator: &UserRecord,
        name: &str,
        description: &str,
    ) -> Result<TagRecord> {
        let actor = actor_of(creator)?;
        self.settings()
            .privileges
            .require(&actor, Privilege::CreateTags)?;
        let names = self.settings().limits.tags(name)?;
        let [name] = names.as_slice() else {
            return Err(DomainError::validation("tags", "too_many_tags", Some(1)).into());
        };
        let description = guildhall_markdown::plain_text(description, 500);
        self.written(
            self.store
                .create_tag(name, &description, creator.id)
                .await?,
        )
        .await
    }
}
