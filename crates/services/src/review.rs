//! The review center's use cases: queues, review votes, close / reopen /
//! delete votes, suggested edits, flags, moderator tools, the audit log,
//! notifications, badges, and the background jobs behind them.

use crate::community::actor_of;
use crate::{App, Result};
use guildhall_domain::badges::BadgeDef;
use guildhall_domain::moderation::{check_suspension, Capability};
use guildhall_domain::review::{
    require_moderator, tag_wiki_route, EditRoute, FlagKind, Queue, Verdict,
};
use guildhall_domain::{utc_day, Actor, DomainError, ErrorCode};
use guildhall_i18n::{tf, Lang};
use guildhall_storage::content::PostRecord;
use guildhall_storage::moderation::{AuditRecord, FlagResult, FlaggedPost, Notification};
use guildhall_storage::review::{QueueHealth, ReviewItem, SuggestedEdit, VoteInput, VoteResult};
use guildhall_storage::users::UserRecord;
use guildhall_storage::{badges::BadgeAward, now};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// In-memory state of the background jobs: members whose badges need a
/// look, buffered page views, and who was seen today.
#[derive(Default)]
pub struct Activity {
    dirty: Mutex<HashSet<i64>>,
    views: Mutex<ViewBuffer>,
    visits: Mutex<HashMap<i64, i64>>,
    hasher: std::hash::RandomState,
}

#[derive(Default)]
struct ViewBuffer {
    counts: HashMap<i64, i64>,
    /// (question, hash of the viewer) pairs counted since the last reset, so
    /// reloading a page does not count again.
    seen: HashSet<(i64, u64)>,
}

/// Largest number of remembered (question, viewer) pairs before forgetting.
const VIEW_MEMORY: usize = 200_000;

/// One item with what a reviewer needs to judge it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemPage {
    pub item: ReviewItem,
    pub post: Option<PostRecord>,
    /// For answers: the question they answer.
    pub question: Option<PostRecord>,
    pub edit: Option<SuggestedEdit>,
    /// For suggested edits: the text before the edit.
    pub before_title: String,
    pub before_body: String,
    pub before_tags: String,
    pub body_diff: Vec<crate::community::DiffLine>,
    pub can_vote: bool,
    pub refusal: Option<String>,
    pub age_secs: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueSummary {
    pub queue: Queue,
    pub items: Vec<ReviewItem>,
    pub reviews_today: i64,
    pub daily_limit: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadgeInfo {
    pub def: BadgeDef,
    pub awards: i64,
    pub holders: i64,
}

impl App {
    /// The member as an actor who may use `cap` now (activated, not
    /// suspended, capability not switched off).
    pub fn capable(&self, u: &UserRecord, cap: Capability) -> Result<Actor> {
        let actor = actor_of(u)?;
        u.sanctions().check(cap, now())?;
        Ok(actor)
    }

    pub(crate) fn mark_dirty(&self, users: &[i64]) {
        let mut d = self.activity.dirty.lock().expect("dirty lock");
        d.extend(users.iter().copied());
    }

    // Review ------------------------------------------------------------

    pub async fn queue(
        &self,
        reviewer: &UserRecord,
        queue: Queue,
        page: i64,
    ) -> Result<QueueSummary> {
        let actor = actor_of(reviewer)?;
        let s = self.settings();
        s.privileges.require(&actor, queue.privilege())?;
        self.store.expire_review_items(&s).await?;
        let items = self
            .store
            .queue_items(queue, 50, (page.max(1) - 1) * 50)
            .await?;
        Ok(QueueSummary {
            queue,
            items,
            reviews_today: self.store.reviews_today(reviewer.id, queue).await?,
            daily_limit: s.review.daily_review_limit,
        })
    }

    /// The next item this reviewer can act on in a queue.
    pub async fn next_item(&self, reviewer: &UserRecord, queue: Queue) -> Result<Option<i64>> {
        let actor = actor_of(reviewer)?;
        self.settings()
            .privileges
            .require(&actor, queue.privilege())?;
        Ok(self.store.next_review_item(queue, reviewer.id).await?)
    }

    pub async fn review_item(&self, viewer: &UserRecord, id: i64) -> Result<ItemPage> {
        let actor = actor_of(viewer)?;
        let item = self
            .store
            .review_item(id)
            .await?
            .ok_or(DomainError::NotFound("review item"))?;
        let s = self.settings();
        // The author of the content and the edited post's author may look;
        // everyone else needs the queue's privilege.
        let involved = item.author_id == viewer.id || item.post_author_id == Some(viewer.id);
        if !involved {
            s.privileges.require(&actor, item.queue.privilege())?;
        }
        let post = match item.post_id {
            Some(p) => self.store.post(p).await?,
            None => None,
        };
        let question = match post.as_ref().and_then(|p| p.question_id) {
            Some(q) => self.store.post(q).await?,
            None => None,
        };
        let edit = match item.edit_id {
            Some(e) => self.store.suggested_edit(e).await?,
            None => None,
        };
        let (mut before_title, mut before_body, mut before_tags) =
            (String::new(), String::new(), String::new());
        if let Some(e) = &edit {
            if let Some(pid) = e.post_id {
                let revs = self.store.revisions(pid).await?;
                if let Some(r) = revs.iter().find(|r| r.rev == e.base_rev) {
                    before_title = r.title.clone();
                    before_body = r.body_md.clone();
                    before_tags = r.tags.clone();
                }
            } else if !item.tag_name.is_empty() {
                before_body = self
                    .store
                    .tag(&item.tag_name)
                    .await?
                    .map(|t| t.description)
                    .unwrap_or_default();
            }
        }
        let body_diff = edit
            .as_ref()
            .map(|e| crate::community::diff(&before_body, &e.body_md))
            .unwrap_or_default();
        let voted = item.votes.iter().any(|v| v.reviewer_id == viewer.id);
        let today = self.store.reviews_today(viewer.id, item.queue).await?;
        let view = guildhall_domain::review::ItemView {
            queue: item.queue,
            author_id: item.author_id,
            post_author_id: item.post_author_id,
            decided: item.state != "open",
            tag_wiki: item.tag_id.is_some(),
        };
        let check = guildhall_domain::review::check_reviewer(
            &s.review,
            &s.privileges,
            &actor,
            &view,
            voted,
            today,
        )
        .and_then(|_| viewer.sanctions().check(Capability::Review, now()));
        let age_secs = now() - item.created_at;
        Ok(ItemPage {
            can_vote: check.is_ok(),
            refusal: check.err().map(|e| e.code().as_str().to_string()),
            item,
            post,
            question,
            edit,
            before_title,
            before_body,
            before_tags,
            body_diff,
            age_secs,
        })
    }

    pub async fn review_vote(
        &self,
        reviewer: &UserRecord,
        item_id: i64,
        verdict: &str,
        input: &VoteInput<'_>,
    ) -> Result<VoteResult> {
        let actor = self.capable(reviewer, Capability::Review)?;
        let verdict = Verdict::from_key(verdict)
            .ok_or(DomainError::validation("verdict", "unknown", None))?;
        let r = self
            .store
            .review_vote(&self.settings(), &actor, item_id, verdict, input)
            .await?;
        self.after_review(reviewer.id, &r).await
    }

    async fn after_review(&self, reviewer: i64, r: &VoteResult) -> Result<VoteResult> {
        let mut users = vec![reviewer];
        if r.decided.is_some() {
            if let Some(item) = self.store.review_item(r.item_id).await? {
                users.push(item.author_id);
                users.extend(item.post_author_id);
            }
        }
        self.mark_dirty(&users);
        self.written(r.clone()).await
    }

    pub async fn skip_item(&self, reviewer: &UserRecord, item_id: i64) -> Result<()> {
        actor_of(reviewer)?;
        self.store
            .review_item(item_id)
            .await?
            .ok_or(DomainError::NotFound("review item"))?;
        Ok(self.store.review_skip(reviewer.id, item_id).await?)
    }

    /// Vote to close (with a reason), reopen or delete a post.
    pub async fn dispute(
        &self,
        voter: &UserRecord,
        post_id: i64,
        queue: &str,
        input: &VoteInput<'_>,
    ) -> Result<VoteResult> {
        let actor = self.capable(voter, Capability::Review)?;
        let queue = Queue::from_key(queue)
            .filter(|q| matches!(q, Queue::Close | Queue::Reopen | Queue::Delete))
            .ok_or(DomainError::validation("queue", "unknown", None))?;
        let r = self
            .store
            .dispute_vote(&self.settings(), &actor, post_id, queue, input)
            .await?;
        self.after_review(voter.id, &r).await
    }

    /// Open close / reopen / delete items on a post, for its page.
    pub async fn disputes_on(&self, post_id: i64) -> Result<Vec<ReviewItem>> {
        Ok(self.store.open_items_for_post(post_id).await?)
    }

    /// The author resubmits a post after changes were requested.
    pub async fn resubmit(&self, author: &UserRecord, post_id: i64) -> Result<i64> {
        let actor = actor_of(author)?;
        let id = self
            .store
            .resubmit_post(&self.settings(), &actor, post_id)
            .await?;
        self.written(id).await
    }

    pub async fn latest_review_of(&self, post_id: i64) -> Result<Option<ReviewItem>> {
        Ok(self.store.latest_prepublish_item(post_id).await?)
    }

    pub async fn unpublished_posts(&self, author: &UserRecord) -> Result<Vec<PostRecord>> {
        Ok(self.store.unpublished_posts(author.id).await?)
    }

    pub async fn queue_health(
        &self,
        viewer: &UserRecord,
    ) -> Result<(Vec<QueueHealth>, QueueHealth)> {
        actor_of(viewer)?;
        let s = self.settings();
        self.store.expire_review_items(&s).await?;
        let queues = self.store.queue_health().await?;
        let (backlog, oldest, week) = self.store.flag_backlog().await?;
        let t = now();
        let flags = QueueHealth {
            queue: "flags".into(),
            backlog,
            median_age_secs: 0,
            oldest_age_secs: if oldest > 0 { t - oldest } else { 0 },
            decided_last_day: 0,
            decided_last_week: week,
        };
        Ok((queues, flags))
    }

    // Suggested tag-wiki edits ----------------------------------------------

    /// Edit a tag description: directly for trusted users, otherwise as a
    /// suggested edit. Returns the review item of a suggestion.
    pub async fn edit_tag(
        &self,
        editor: &UserRecord,
        tag: &str,
        description: &str,
        comment: &str,
    ) -> Result<Option<i64>> {
        let actor = self.capable(editor, Capability::Review)?;
        let s = self.settings();
        let description = s.limits.comment(description)?;
        let comment: String = comment.trim().chars().take(300).collect();
        let tag = tag.to_lowercase();
        let out = match tag_wiki_route(&s.privileges, &actor)? {
            EditRoute::Direct => {
                self.store
                    .edit_tag_description(&actor, &tag, &description)
                    .await?;
                None
            }
            EditRoute::Suggest => Some(
                self.store
                    .suggest_tag_edit(&s, &actor, &tag, &description, &comment)
                    .await?,
            ),
        };
        self.written(out).await
    }

    // Flags ---------------------------------------------------------------

    pub async fn flag(
        &self,
        flagger: &UserRecord,
        post_id: i64,
        kind: &str,
        message: &str,
    ) -> Result<FlagResult> {
        let actor = self.capable(flagger, Capability::Flag)?;
        let kind =
            FlagKind::from_key(kind).ok_or(DomainError::validation("kind", "unknown", None))?;
        let message: String = message.trim().chars().take(500).collect();
        let r = self
            .store
            .flag_post(&self.settings(), &actor, post_id, kind, &message)
            .await?;
        self.written(r).await
    }

    pub async fn flagged_posts(&self, moderator: &UserRecord) -> Result<Vec<FlaggedPost>> {
        require_moderator(&actor_of(moderator)?)?;
        Ok(self.store.flagged_posts(100).await?)
    }

    pub async fn resolve_flags(
        &self,
        moderator: &UserRecord,
        post_id: i64,
        confirm: bool,
    ) -> Result<u64> {
        let actor = actor_of(moderator)?;
        let n = self
            .store
            .resolve_flags(&self.settings(), &actor, post_id, confirm)
            .await?;
        // Flaggers' helpful-flag badges.
        let flaggers: Vec<i64> = self
            .store
            .flags_on(post_id, false)
            .await?
            .iter()
            .map(|f| f.flagger_id)
            .collect();
        self.mark_dirty(&flaggers);
        self.written(n).await
    }

    // Moderator tools ------------------------------------------------------

    pub async fn suspend(
        &self,
        moderator: &UserRecord,
        username: &str,
        days: i64,
        reason: &str,
    ) -> Result<()> {
        let actor = actor_of(moderator)?;
        require_moderator(&actor)?;
        check_suspension(days, reason)?;
        let user = self.user_named(username).await?;
        if user.role.is_staff() && !actor.role.eq(&guildhall_domain::Role::Administrator) {
            return Err(ErrorCode::Forbidden.into());
        }
        let reason: String = reason.trim().chars().take(500).collect();
        self.store
            .suspend(&actor, user.id, Some(now() + days * 86_400), &reason)
            .await?;
        self.written(()).await
    }

    pub async fn unsuspend(&self, moderator: &UserRecord, username: &str) -> Result<()> {
        let actor = actor_of(moderator)?;
        let user = self.user_named(username).await?;
        self.store.suspend(&actor, user.id, None, "").await?;
        self.written(()).await
    }

    pub async fn set_capabilities(
        &self,
        moderator: &UserRecord,
        username: &str,
        blocked: &[String],
    ) -> Result<()> {
        let actor = actor_of(moderator)?;
        let mut caps = Vec::new();
        for b in blocked {
            caps.push(Capability::from_key(b).ok_or(DomainError::validation(
                "capability",
                "unknown",
                None,
            ))?);
        }
        let user = self.user_named(username).await?;
        self.store
            .set_blocked_capabilities(&actor, user.id, &caps)
            .await?;
        self.written(()).await
    }

    pub async fn set_locked(
        &self,
        moderator: &UserRecord,
        post_id: i64,
        locked: bool,
    ) -> Result<()> {
        let actor = actor_of(moderator)?;
        self.store.set_locked(&actor, post_id, locked).await?;
        self.written(()).await
    }

    pub async fn undelete(&self, moderator: &UserRecord, post_id: i64) -> Result<()> {
        let actor = actor_of(moderator)?;
        self.store
            .undelete(&self.settings(), &actor, post_id)
            .await?;
        self.written(()).await
    }

    pub async fn merge_tags(&self, moderator: &UserRecord, from: &str, into: &str) -> Result<i64> {
        let actor = actor_of(moderator)?;
        let n = self
            .store
            .merge_tags(
                &actor,
                &from.trim().to_lowercase(),
                &into.trim().to_lowercase(),
            )
            .await?;
        self.written(n).await
    }

    pub async fn audit_log(&self, moderator: &UserRecord, page: i64) -> Result<Vec<AuditRecord>> {
        require_moderator(&actor_of(moderator)?)?;
        Ok(self.store.audit_log(100, (page.max(1) - 1) * 100).await?)
    }

    async fn user_named(&self, username: &str) -> Result<UserRecord> {
        Ok(self
            .store
            .user_by_username(username)
            .await?
            .ok_or(DomainError::NotFound("user"))?)
    }

    // Notifications ----------------------------------------------------------

    pub async fn inbox(&self, user: &UserRecord) -> Result<Vec<Notification>> {
        let list = self.store.notifications(user.id, 100).await?;
        self.store.mark_notifications_read(user.id).await?;
        Ok(list)
    }

    pub async fn unread(&self, user: &UserRecord) -> Result<i64> {
        Ok(self.store.unread_notifications(user.id).await?)
    }

    /// Mail the notifications of members who opted in; returns how many were sent.
    pub async fn deliver_notification_mail(&self) -> Result<usize> {
        let jobs = self.store.take_mail_jobs(100).await?;
        let mut sent = 0;
        for j in jobs {
            let n = &j.notification;
            // Mail goes out in English and Chinese: we do not store a language per member yet.
            let mut body = String::new();
            for lang in [Lang::En, Lang::ZhCn] {
                body.push_str(&notification_text(lang, n, &self.settings()));
                if let Some(q) = n.question_id {
                    body.push_str(&format!("\n{}/questions/{q}", self.config.base_url));
                }
                body.push_str("\n\n");
            }
            let subject = tf(Lang::En, "mail.notification.subject", &[]);
            match self.mailer.send(&j.email, &subject, &body).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::warn!(error = %e, user = %j.username, "notification mail failed")
                }
            }
        }
        Ok(sent)
    }

    // Badges ----------------------------------------------------------------

    /// Award what these members have earned now.
    pub async fn award_badges_for(&self, users: &[i64]) -> Result<Vec<BadgeAward>> {
        let defs = self.settings().badges.clone();
        let mut out = Vec::new();
        for u in users {
            out.extend(self.store.award_badges(&defs, *u).await?);
        }
        Ok(out)
    }

    /// Award badges to members touched by recent actions.
    pub async fn process_dirty(&self) -> Result<usize> {
        let users: Vec<i64> = {
            let mut d = self.activity.dirty.lock().expect("dirty lock");
            d.drain().collect()
        };
        Ok(self.award_badges_for(&users).await?.len())
    }

    /// The full job: every member, in pages. Idempotent.
    pub async fn run_badge_job(&self) -> Result<usize> {
        let mut after = 0;
        let mut awarded = 0;
        loop {
            let ids = self.store.user_ids_after(after, 500).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            awarded += self.award_badges_for(&ids).await?.len();
            after = last;
        }
        Ok(awarded)
    }

    pub async fn badges(&self) -> Result<Vec<BadgeInfo>> {
        let counts: HashMap<String, (i64, i64)> = self
            .store
            .badge_counts()
            .await?
            .into_iter()
            .map(|(k, n, h)| (k, (n, h)))
            .collect();
        Ok(self
            .settings()
            .badges
            .iter()
            .map(|d| {
                let (awards, holders) = counts.get(&d.key).copied().unwrap_or((0, 0));
                BadgeInfo {
                    def: d.clone(),
                    awards,
                    holders,
                }
            })
            .collect())
    }

    pub async fn badge(&self, key: &str) -> Result<(BadgeInfo, Vec<(String, String, i64)>)> {
        let info = self
            .badges()
            .await?
            .into_iter()
            .find(|b| b.def.key == key)
            .ok_or(DomainError::NotFound("badge"))?;
        let holders = self.store.badge_holders(key, 100).await?;
        Ok((info, holders))
    }

    pub async fn user_badges(&self, user_id: i64) -> Result<Vec<(BadgeDef, BadgeAward)>> {
        let defs = self.settings().badges.clone();
        Ok(self
            .store
            .user_badges(user_id)
            .await?
            .into_iter()
            .filter_map(|a| {
                let d = defs.iter().find(|d| d.key == a.badge)?.clone();
                Some((d, a))
            })
            .collect())
    }

    // Views and visits ----------------------------------------------------------

    /// Count a view of a question by a viewer (anything that tells viewers
    /// apart: a member id, a client address). Hashed, so a page view
    /// allocates nothing.
    pub fn count_view(&self, question_id: i64, viewer: impl std::hash::Hash) {
        use std::hash::BuildHasher;
        let key = (question_id, self.activity.hasher.hash_one(viewer));
        let mut v = self.activity.views.lock().expect("views lock");
        if v.seen.len() >= VIEW_MEMORY {
            v.seen.clear();
        }
        if v.seen.insert(key) {
            *v.counts.entry(question_id).or_default() += 1;
        }
    }

    /// Write buffered views to the database; returns how many.
    pub async fn flush_views(&self) -> Result<i64> {
        let counts: Vec<(i64, i64)> = {
            let mut v = self.activity.views.lock().expect("views lock");
            v.counts.drain().collect()
        };
        self.store.add_views(&counts).await?;
        if let Some(cache) = &self.cache {
            for (question, _) in &counts {
                cache.forget_question(*question);
            }
        }
        Ok(counts.iter().map(|(_, n)| n).sum())
    }

    /// Note that a member was here today (for the consecutive-days badges).
    pub async fn visit(&self, user_id: i64) -> Result<()> {
        let day = utc_day(now());
        {
            let mut v = self.activity.visits.lock().expect("visits lock");
            if v.get(&user_id) == Some(&day) {
                return Ok(());
            }
            v.insert(user_id, day);
        }
        if self.store.record_visit(user_id, day).await? {
            self.mark_dirty(&[user_id]);
        }
        Ok(())
    }

    /// Run the background jobs forever: badges and mail every second, views
    /// every ten seconds, expiry and the full badge job every hour.
    pub fn spawn_background(&self) {
        // The search indexer: catch up (or rebuild) at start, then follow
        // the outbox when woken by a write here, or every two seconds for
        // writes made by other app nodes.
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.search_check().await {
                tracing::warn!(error = %e, "search index check failed");
            }
            loop {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(2),
                    app.search_wake.notified(),
                )
                .await;
                if let Err(e) = app.search.sync().await {
                    tracing::warn!(error = %e, "search index sync failed");
                }
                // Batch the writes of the next moment into one commit.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick: u64 = 0;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if let Err(e) = app.process_dirty().await {
                    tracing::warn!(error = %e, "badge job failed");
                }
                if let Err(e) = app.deliver_notification_mail().await {
                    tracing::warn!(error = %e, "notification mail job failed");
                }
                if tick.is_multiple_of(10) {
                    if let Err(e) = app.flush_views().await {
                        tracing::warn!(error = %e, "view flush failed");
                    }
                }
                if tick % 3600 == 5 {
                    let s = app.settings();
                    if let Err(e) = app.store.expire_review_items(&s).await {
                        tracing::warn!(error = %e, "review expiry failed");
                    }
                    if let Err(e) = app.run_badge_job().await {
                        tracing::warn!(error = %e, "full badge job failed");
                    }
                }
                tick += 1;
            }
        });
    }
}

/// A notification as one line of text in a language.
pub fn notification_text(
    lang: Lang,
    n: &Notification,
    s: &guildhall_domain::CommunitySettings,
) -> String {
    let detail = if n.kind == "badge_awarded" {
        s.badges
            .iter()
            .find(|b| b.key == n.detail)
            .map(|b| match lang {
                Lang::En => b.name_en.clone(),
                Lang::ZhCn => b.name_zh.clone(),
            })
            .unwrap_or_else(|| n.detail.clone())
    } else if guildhall_domain::inbox::ACTIVITY_KINDS.contains(&n.kind.as_str()) {
        // A member's name, never read as a reason key (a member may be
        // called "spam").
        n.detail.clone()
    } else if guildhall_i18n::has_key(&format!("review.reason.{}", n.detail)) {
        guildhall_i18n::t(lang, &format!("review.reason.{}", n.detail)).to_string()
    } else if guildhall_i18n::has_key(&format!("reason.{}", n.detail)) {
        guildhall_i18n::t(lang, &format!("reason.{}", n.detail)).to_string()
    } else {
        n.detail.clone()
    };
    tf(
        lang,
        &format!("notification.{}", n.kind),
        &[("detail", &detail)],
    )
}
