//! Pages of the review center, flags, moderation, notifications and badges.
//! Request → service → template, like `pages`.

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::forms::FormData;
use crate::pages::form_on;
use crate::views::Chrome;
use crate::Web;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use guildhall_domain::badges::{BadgeDef, Tier};
use guildhall_domain::moderation::Capability;
use guildhall_domain::review::{Queue, CLOSE_REASONS, REJECT_REASONS};
use guildhall_domain::DomainError;
use guildhall_i18n::Lang;
use guildhall_services::review::{notification_text, BadgeInfo, ItemPage, QueueSummary};
use guildhall_services::storage::moderation::{AuditRecord, FlaggedPost, Notification};
use guildhall_services::storage::review::{QueueHealth, VoteInput};
use guildhall_services::storage::users::UserRecord;
use guildhall_services::ServiceError;
use std::collections::HashMap;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/review", get(center))
        .route("/review/items/{id}", get(item))
        .route("/review/items/{id}/vote", post(vote))
        .route("/review/items/{id}/skip", post(skip))
        .route("/review/{queue}", get(queue))
        .route("/review/{queue}/next", get(next))
        .route("/posts/{id}/dispute", post(dispute))
        .route("/posts/{id}/flag", post(flag))
        .route("/posts/{id}/lock", post(lock))
        .route("/posts/{id}/unlock", post(unlock))
        .route("/posts/{id}/undelete", post(undelete))
        .route("/posts/{id}/resubmit", post(resubmit))
        .route("/moderation/flags", get(flags))
        .route("/moderation/flags/{id}", post(resolve_flags))
        .route("/moderation/audit", get(audit))
        .route("/moderation/merge-tags", post(merge_tags))
        .route("/tags/{name}/edit", post(edit_tag))
        .route("/users/{name}/moderate", post(moderate))
        .route("/notifications", get(inbox))
        .route("/settings/profile", get(profile_form).post(profile_save))
        .route("/settings/password", post(password_save))
        .route("/badges", get(badges))
        .route("/badges/{key}", get(badge))
}

type PageResult = Result<Response, WebError>;

pub(crate) fn render(c: &Ctx, t: impl Template) -> PageResult {
    t.render()
        .map(|h| Html(h).into_response())
        .map_err(|e| c.err(ServiceError::Internal(e.to_string())))
}

fn back(to: &str) -> PageResult {
    Ok(Redirect::to(to).into_response())
}

fn id_of(c: &Ctx, id: &str) -> Result<i64, WebError> {
    id.parse()
        .map_err(|_| c.err(DomainError::NotFound("review item")))
}

fn queue_of(c: &Ctx, q: &str) -> Result<Queue, WebError> {
    Queue::from_key(q).ok_or_else(|| c.err(DomainError::NotFound("queue")))
}

/// Where a form about a post returns to: the question, at the post.
async fn post_anchor(web: &Web, post: i64) -> String {
    match web.app.post(post).await {
        Ok(p) => format!("/questions/{}#post-{post}", p.question_id.unwrap_or(p.id)),
        Err(_) => "/".into(),
    }
}

// Review center ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "review_center.html")]
struct CenterPage {
    chrome: Chrome,
    queues: Vec<QueueHealth>,
    flags: QueueHealth,
    mine: Vec<guildhall_services::storage::content::PostRecord>,
}

impl CenterPage {
    fn queue_label(&self, q: &str) -> &'static str {
        self.chrome.t(&format!("queue.{q}"))
    }
    fn link(&self, p: &guildhall_services::storage::content::PostRecord) -> String {
        crate::views::question_url(p)
    }
    fn status_label(&self, p: &guildhall_services::storage::content::PostRecord) -> &'static str {
        self.chrome.t(&format!("post.status.{}", p.status))
    }
}

async fn center(State(web): State<Web>, c: Ctx) -> PageResult {
    let user = c.member()?;
    let (queues, flags) = web.app.queue_health(user).await.map_err(|e| c.err(e))?;
    let mine = web
        .app
        .unpublished_posts(user)
        .await
        .map_err(|e| c.err(e))?;
    render(
        &c,
        CenterPage {
            chrome: Chrome::from_ctx(&c),
            queues,
            flags,
            mine,
        },
    )
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    chrome: Chrome,
    summary: QueueSummary,
    now: i64,
}

impl QueuePage {
    fn heading(&self) -> &'static str {
        self.chrome
            .t(&format!("queue.{}", self.summary.queue.key()))
    }
    fn key(&self) -> &'static str {
        self.summary.queue.key()
    }
    fn today(&self) -> String {
        guildhall_i18n::tf(
            self.chrome.lang,
            "review.today",
            &[
                ("done", &self.summary.reviews_today.to_string()),
                ("limit", &self.summary.daily_limit.to_string()),
            ],
        )
    }
}

async fn queue(State(web): State<Web>, c: Ctx, Path(q): Path<String>) -> PageResult {
    let user = c.member()?;
    let q = queue_of(&c, &q)?;
    let summary = web.app.queue(user, q, 1).await.map_err(|e| c.err(e))?;
    render(
        &c,
        QueuePage {
            chrome: Chrome::from_ctx(&c),
            summary,
            now: guildhall_services::storage::now(),
        },
    )
}

async fn next(State(web): State<Web>, c: Ctx, Path(q): Path<String>) -> PageResult {
    let user = c.member()?;
    let queue = queue_of(&c, &q)?;
    match web.app.next_item(user, queue).await.map_err(|e| c.err(e))? {
        Some(id) => back(&format!("/review/items/{id}")),
        None => back(&format!("/review/{q}?done=1")),
    }
}

#[derive(Template)]
#[template(path = "review_item.html")]
struct ItemView {
    chrome: Chrome,
    p: ItemPage,
    reject_reasons: Vec<&'static str>,
    close_reasons: Vec<&'static str>,
    error: Option<String>,
}

impl ItemView {
    fn queue_label(&self) -> &'static str {
        self.chrome.t(&format!("queue.{}", self.p.item.queue.key()))
    }
    fn reason_label(&self, r: &str) -> &'static str {
        if r.is_empty() {
            return "";
        }
        self.chrome.t(&format!("review.reason.{r}"))
    }
    fn verdict_label(&self, v: &str) -> &'static str {
        self.chrome.t(&format!("review.verdict.{v}"))
    }
    fn outcome_label(&self) -> &'static str {
        match self.p.item.state.as_str() {
            "decided" => self.verdict_label(&self.p.item.outcome),
            other => self.chrome.t(&format!("review.state.{other}")),
        }
    }
    fn refusal(&self) -> &'static str {
        match &self.p.refusal {
            Some(code) => self.chrome.t(&format!("error.{code}")),
            None => "",
        }
    }
    fn is_prepublish(&self) -> bool {
        self.p.item.queue.is_prepublish()
    }
    fn is_edit(&self) -> bool {
        self.p.item.queue == Queue::SuggestedEdits
    }
    fn is_close(&self) -> bool {
        self.p.item.queue == Queue::Close
    }
    fn approve_label(&self) -> &'static str {
        self.chrome
            .t(&format!("review.approve.{}", self.p.item.queue.key()))
    }
    fn reject_label(&self) -> &'static str {
        self.chrome
            .t(&format!("review.reject.{}", self.p.item.queue.key()))
    }
    fn question_link(&self) -> String {
        match (&self.p.question, &self.p.post) {
            (Some(q), _) => format!("/questions/{}", q.id),
            (None, Some(p)) => format!("/questions/{}", p.id),
            _ => format!("/tags/{}", self.p.item.tag_name),
        }
    }
    fn needed(&self) -> String {
        let t = &self.p.item.thresholds;
        guildhall_i18n::tf(
            self.chrome.lang,
            "review.needed",
            &[
                ("approve", &t.approve.to_string()),
                ("reject", &t.reject.to_string()),
            ],
        )
    }
}

async fn item_page(web: &Web, c: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let user = c.member()?;
    let p = web.app.review_item(user, id).await.map_err(|e| c.err(e))?;
    render(
        c,
        ItemView {
            chrome: Chrome::from_ctx(c),
            p,
            reject_reasons: REJECT_REASONS.to_vec(),
            close_reasons: CLOSE_REASONS.to_vec(),
            error,
        },
    )
}

async fn item(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> PageResult {
    let id = id_of(&c, &id)?;
    item_page(&web, &c, id, None).await
}

async fn vote(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "review item")?;
    let input = VoteInput {
        reason: f.get("reason"),
        message: f.get("message"),
        duplicate_of: f.get("duplicate_of").trim().parse().ok(),
    };
    match web
        .app
        .review_vote(user, id, f.get("verdict"), &input)
        .await
    {
        Ok(_) => {
            let item = web.app.review_item(user, id).await.map_err(|e| c.err(e))?;
            back(&format!("/review/{}/next", item.item.queue.key()))
        }
        Err(e @ ServiceError::Domain(_)) => {
            let msg = crate::error::message(&e, c.lang);
            item_page(&web, &c, id, Some(msg)).await.map(|mut r| {
                *r.status_mut() = axum::http::StatusCode::from_u16(e.code().http_status())
                    .unwrap_or(axum::http::StatusCode::BAD_REQUEST);
                r
            })
        }
        Err(e) => Err(c.err(e)),
    }
}

async fn skip(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "review item")?;
    web.app.skip_item(user, id).await.map_err(|e| c.err(e))?;
    let item = web.app.review_item(user, id).await.map_err(|e| c.err(e))?;
    back(&format!("/review/{}/next", item.item.queue.key()))
}

// Actions on a post ------------------------------------------------------------

async fn dispute(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    let input = VoteInput {
        reason: f.get("reason"),
        message: "",
        duplicate_of: f.get("duplicate_of").trim().parse().ok(),
    };
    web.app
        .dispute(user, id, f.get("queue"), &input)
        .await
        .map_err(|e| c.err(e))?;
    back(&post_anchor(&web, id).await)
}

async fn flag(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    web.app
        .flag(user, id, f.get("kind"), f.get("message"))
        .await
        .map_err(|e| c.err(e))?;
    back(&post_anchor(&web, id).await)
}

async fn set_lock(web: Web, c: Ctx, id: String, f: FormData, locked: bool) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    web.app
        .set_locked(user, id, locked)
        .await
        .map_err(|e| c.err(e))?;
    back(&post_anchor(&web, id).await)
}

async fn lock(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    set_lock(web, c, id, f, true).await
}

async fn unlock(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    set_lock(web, c, id, f, false).await
}

async fn undelete(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    web.app.undelete(user, id).await.map_err(|e| c.err(e))?;
    back(&post_anchor(&web, id).await)
}

async fn resubmit(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    let item = web.app.resubmit(user, id).await.map_err(|e| c.err(e))?;
    back(&format!("/review/items/{item}"))
}

// Moderation --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "flags.html")]
struct FlagsPage {
    chrome: Chrome,
    posts: Vec<FlaggedPost>,
    now: i64,
}

impl FlagsPage {
    fn kind_label(&self, k: &str) -> &'static str {
        self.chrome.t(&format!("flag.{k}"))
    }
}

async fn flags(State(web): State<Web>, c: Ctx) -> PageResult {
    let user = c.member()?;
    let posts = web.app.flagged_posts(user).await.map_err(|e| c.err(e))?;
    render(
        &c,
        FlagsPage {
            chrome: Chrome::from_ctx(&c),
            posts,
            now: guildhall_services::storage::now(),
        },
    )
}

async fn resolve_flags(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "post")?;
    web.app
        .resolve_flags(user, id, f.get("decision") == "confirm")
        .await
        .map_err(|e| c.err(e))?;
    back("/moderation/flags")
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRecord>,
    page: i64,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn audit(State(web): State<Web>, c: Ctx, Query(q): Query<PageQuery>) -> PageResult {
    let user = c.member()?;
    // An unreadable page number is the first page, as on the other lists.
    let page = q
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let rows = web.app.audit_log(user, page).await.map_err(|e| c.err(e))?;
    render(
        &c,
        AuditPage {
            chrome: Chrome::from_ctx(&c),
            rows,
            page,
        },
    )
}

async fn merge_tags(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    web.app
        .merge_tags(user, f.get("from"), f.get("into"))
        .await
        .map_err(|e| c.err(e))?;
    back(&format!("/tags/{}", f.get("into").trim().to_lowercase()))
}

/// Edit a tag description: applied at once for trusted members, otherwise
/// a suggestion that waits in the suggested-edits queue.
async fn edit_tag(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    f: FormData,
) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    match web
        .app
        .edit_tag(user, &name, f.get("description"), f.get("comment"))
        .await
        .map_err(|e| c.err(e))?
    {
        Some(item) => back(&format!("/review/items/{item}")),
        None => back(&format!("/tags/{name}")),
    }
}

async fn moderate(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    f: FormData,
) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let r = match f.get("action") {
        "suspend" => {
            let days = f.get("days").trim().parse().unwrap_or(0);
            web.app.suspend(user, &name, days, f.get("reason")).await
        }
        "unsuspend" => web.app.unsuspend(user, &name).await,
        _ => {
            let blocked: Vec<String> = Capability::ALL
                .iter()
                .filter(|cap| f.opt(&format!("block_{}", cap.key())).is_some())
                .map(|cap| cap.key().to_string())
                .collect();
            web.app.set_capabilities(user, &name, &blocked).await
        }
    };
    r.map_err(|e| c.err(e))?;
    back(&format!("/users/{name}"))
}

// Notifications and profile settings ---------------------------------------------

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    items: Vec<(Notification, String)>,
}

async fn inbox(State(web): State<Web>, c: Ctx) -> PageResult {
    let user = c.member()?;
    let list = web.app.inbox(user).await.map_err(|e| c.err(e))?;
    let s = web.app.settings();
    let items = list
        .into_iter()
        .map(|n| {
            let text = notification_text(c.lang, &n, &s);
            (n, text)
        })
        .collect();
    let mut chrome = Chrome::from_ctx(&c);
    chrome.unread = 0;
    render(&c, InboxPage { chrome, items })
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct ProfileEdit {
    chrome: Chrome,
    about: String,
    location: String,
    website: String,
    notify_email: bool,
    saved: bool,
    error: Option<String>,
    password_changed: bool,
    password_error: Option<String>,
}

impl ProfileEdit {
    /// The form filled in with what the member has saved.
    fn of(c: &Ctx, u: &UserRecord) -> ProfileEdit {
        ProfileEdit {
            chrome: Chrome::from_ctx(c),
            about: u.about.clone(),
            location: u.location.clone(),
            website: u.website.clone(),
            notify_email: u.notify_email,
            saved: false,
            error: None,
            password_changed: false,
            password_error: None,
        }
    }
}

async fn profile_form(c: Ctx, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let mut page = ProfileEdit::of(&c, c.member()?);
    page.saved = q.contains_key("saved");
    page.password_changed = q.contains_key("password");
    render(&c, page)
}

/// Change the password: every other session ends, and this browser gets a
/// new session in place of its own.
async fn password_save(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    match web
        .app
        .change_password(
            user,
            f.get("current_password"),
            f.get("new_password"),
            &c.client,
        )
        .await
    {
        Ok(session) => {
            let mut r = Redirect::to("/settings/profile?password=1").into_response();
            r.headers_mut().append(
                axum::http::header::SET_COOKIE,
                crate::pages::session_cookie(
                    &web,
                    &session.token,
                    web.app.config.session_days * 86_400,
                ),
            );
            Ok(r)
        }
        Err(e @ ServiceError::Domain(_)) => {
            let mut page = ProfileEdit::of(&c, user);
            page.password_error = Some(crate::error::message(&e, c.lang));
            let mut r = render(&c, page)?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

async fn profile_save(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let notify = f.opt("notify_email").is_some();
    match web
        .app
        .update_profile(
            user,
            f.get("about"),
            f.get("location"),
            f.get("website"),
            notify,
        )
        .await
    {
        Ok(()) => back("/settings/profile?saved=1"),
        Err(e @ ServiceError::Domain(_)) => {
            let mut page = ProfileEdit::of(&c, user);
            page.about = f.get("about").into();
            page.location = f.get("location").into();
            page.website = f.get("website").into();
            page.notify_email = notify;
            page.error = Some(crate::error::message(&e, c.lang));
            render(&c, page)
        }
        Err(e) => Err(c.err(e)),
    }
}

// Badges -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "badges.html")]
struct BadgesPage {
    chrome: Chrome,
    badges: Vec<BadgeInfo>,
    holders: Vec<(String, String, i64)>,
    single: bool,
}

impl BadgesPage {
    fn name(&self, d: &BadgeDef) -> String {
        badge_name(self.chrome.lang, d)
    }
    fn description(&self, d: &BadgeDef) -> String {
        match self.chrome.lang {
            Lang::En => d.description_en.clone(),
            Lang::ZhCn => d.description_zh.clone(),
        }
    }
    fn tier_label(&self, t: &Tier) -> &'static str {
        self.chrome.t(&format!("badge.tier.{}", t.key()))
    }
    fn holders_label(&self, b: &BadgeInfo) -> String {
        self.chrome
            .tf1("badges.holders", "count", &b.holders.to_string())
    }
}

pub fn badge_name(lang: Lang, d: &BadgeDef) -> String {
    match lang {
        Lang::En => d.name_en.clone(),
        Lang::ZhCn => d.name_zh.clone(),
    }
}

async fn badges(State(web): State<Web>, c: Ctx) -> PageResult {
    let badges = web.app.badges().await.map_err(|e| c.err(e))?;
    render(
        &c,
        BadgesPage {
            chrome: Chrome::from_ctx(&c),
            badges,
            holders: Vec::new(),
            single: false,
        },
    )
}

async fn badge(State(web): State<Web>, c: Ctx, Path(key): Path<String>) -> PageResult {
    let (info, holders) = web.app.badge(&key).await.map_err(|e| c.err(e))?;
    render(
        &c,
        BadgesPage {
            chrome: Chrome::from_ctx(&c),
            badges: vec![info],
            holders,
            single: true,
        },
    )
}
