//! HTML pages: request → service → template. No rules live here.

use crate::ctx::{Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::error::{message, WebError};
use crate::forms::FormData;
use crate::search::DirectoryQuery;
use crate::views::*;
use crate::Web;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use guildhall_domain::privileges::LadderPreset;
use guildhall_domain::reputation::Reason;
use guildhall_domain::votes::VoteValue;
use guildhall_domain::{DomainError, Privilege, Role};
use guildhall_services::accounts::Registration;
use guildhall_services::admin::SettingsChange;
use guildhall_services::community::{EditOutcome, QuestionForm};
use guildhall_services::storage::content::QuestionSort;
use guildhall_services::storage::users::{MemberSort, UserRecord};
use guildhall_services::ServiceError;
use std::collections::HashMap;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(home))
        .route("/questions", get(home))
        .route("/questions/{id}", get(question))
        .route("/questions/{id}/{slug}", get(question_slug))
        .route("/ask", get(ask_form).post(ask))
        .route("/questions/{id}/answers", post(answer))
        .route("/questions/{id}/accept", post(accept))
        .route("/questions/{id}/bookmark", post(bookmark))
        .route("/comments/{id}/delete", post(delete_comment))
        .route("/posts/{id}/comments", post(comment))
        .route("/posts/{id}/vote", post(vote))
        .route("/posts/{id}/edit", get(edit_form).post(edit))
        .route("/posts/{id}/history", get(history))
        .route("/posts/{id}/rollback", post(rollback))
        .route("/posts/{id}/delete", post(delete))
        .route("/users", get(users))
        .route("/users/{name}", get(profile))
        .route("/register", get(register_form).post(register))
        .route("/activate/{token}", get(activate))
        .route("/resend-activation", post(resend))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/forgot", get(forgot_form).post(forgot))
        .route("/reset/{token}", get(reset_form).post(reset))
        .route("/admin", get(admin))
        .route("/admin/settings", post(admin_settings))
        .route("/admin/role", post(admin_role))
        .route("/admin/recompute", post(admin_recompute))
        .route("/lang/{code}", get(switch_lang))
}

type PageResult = Result<Response, WebError>;

fn render(t: impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok(Html(html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(WebError::new(
                ServiceError::Internal(e.to_string()),
                guildhall_i18n::Lang::En,
            ))
        }
    }
}

fn render_status(status: StatusCode, t: impl Template) -> PageResult {
    let mut r = render(t)?;
    *r.status_mut() = status;
    Ok(r)
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub(crate) fn session_cookie(web: &Web, token: &str, max_age: i64) -> HeaderValue {
    let secure = if web.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie header")
}

/// A refusal the person can fix on the same form: shown there, input kept.
fn is_form_error(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Domain(DomainError::Validation { .. } | DomainError::PrivilegeMissing { .. })
    )
}

pub async fn not_found(c: Ctx) -> WebError {
    c.err(DomainError::NotFound("page"))
}

// Lists ------------------------------------------------------------------------

#[derive(serde::Deserialize)]
pub struct ListQuery {
    pub(crate) sort: Option<String>,
    pub(crate) page: Option<String>,
}

pub(crate) fn tabs(c: &Ctx, active: QuestionSort) -> Vec<SortTab> {
    [
        QuestionSort::Newest,
        QuestionSort::Active,
        QuestionSort::Votes,
        QuestionSort::Unanswered,
    ]
    .into_iter()
    .map(|s| SortTab {
        key: s.key(),
        label: c.t(&format!("list.sort.{}", s.key())),
        active: s == active,
    })
    .collect()
}

pub(crate) fn parse_list(q: &ListQuery) -> (QuestionSort, i64) {
    let sort = q
        .sort
        .as_deref()
        .and_then(QuestionSort::parse)
        .unwrap_or(QuestionSort::Active);
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    (sort, page)
}

async fn home(State(web): State<Web>, c: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let (sort, page) = parse_list(&q);
    let list = web
        .app
        .questions(sort, None, page, 30)
        .await
        .map_err(|e| c.err(e))?;
    render(ListPage {
        heading: c.t("list.title").to_string(),
        tag: None,
        can_cleanup: false,
        feed: Some("/feeds/questions".into()),
        list,
        tabs: tabs(&c, sort),
        base: "/".into(),
        sort: sort.key().into(),
        chrome: Chrome::from_ctx(&c),
    })
}

// Question page ---------------------------------------------------------------------

async fn question_view(
    web: &Web,
    c: &Ctx,
    id: i64,
    draft: String,
    error: Option<String>,
) -> Result<QuestionView, WebError> {
    let page = web
        .app
        .question(id, c.user.as_ref())
        .await
        .map_err(|e| c.err(e))?;
    let s = web.app.settings();
    let see_vote_counts = c
        .user
        .as_ref()
        .is_some_and(|u| s.privileges.holds(&u.actor(), Privilege::SeeVoteCounts));
    let is_asker = c
        .user
        .as_ref()
        .is_some_and(|u| u.id == page.question.author_id);
    let can_dispute = c
        .user
        .as_ref()
        .is_some_and(|u| s.privileges.holds(&u.actor(), Privilege::ReviewEdits));
    // Only voters see the vote counts: anonymous page views stay one cached read.
    let disputes = if can_dispute {
        web.app.disputes_on(id).await.map_err(|e| c.err(e))?
    } else {
        Vec::new()
    };
    web.app.count_view(id, c.viewer());
    Ok(QuestionView {
        chrome: Chrome::from_ctx(c),
        page,
        is_asker,
        see_vote_counts,
        draft,
        error,
        disputes,
        can_dispute,
        close_reasons: guildhall_domain::review::CLOSE_REASONS.to_vec(),
        flag_kinds: guildhall_domain::review::FlagKind::ALL
            .iter()
            .map(|k| k.key())
            .collect(),
    })
}

async fn question(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> PageResult {
    let id: i64 = id
        .parse()
        .map_err(|_| c.err(DomainError::NotFound("question")))?;
    render(question_view(&web, &c, id, String::new(), None).await?)
}

async fn question_slug(
    State(web): State<Web>,
    c: Ctx,
    Path((id, _slug)): Path<(String, String)>,
) -> PageResult {
    question(State(web), c, Path(id)).await
}

/// What every form posted about one post checks first: the id, the CSRF
/// token, and that someone is logged in.
pub(crate) fn form_on_post<'c>(
    c: &'c Ctx,
    id: &str,
    f: &FormData,
) -> Result<(i64, &'c UserRecord), WebError> {
    form_on(c, id, f, "post")
}

/// The same for a form about any numbered thing (`what` names it in a 404).
pub(crate) fn form_on<'c>(
    c: &'c Ctx,
    id: &str,
    f: &FormData,
    what: &'static str,
) -> Result<(i64, &'c UserRecord), WebError> {
    let id = id.parse().map_err(|_| c.err(DomainError::NotFound(what)))?;
    c.check_csrf(f.opt("csrf"))?;
    Ok((id, c.member()?))
}

fn post_id(c: &Ctx, id: &str) -> Result<i64, WebError> {
    id.parse().map_err(|_| c.err(DomainError::NotFound("post")))
}

async fn answer(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    match web.app.answer(user, id, f.get("body")).await {
        Ok(aid) => Ok(see_other(&format!("/questions/{id}#post-{aid}"))),
        Err(e) if is_form_error(&e) => {
            let msg = message(&e, c.lang);
            let view = question_view(&web, &c, id, f.get("body").to_string(), Some(msg)).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, view)
        }
        Err(e) => Err(c.err(e)),
    }
}

async fn question_of(web: &Web, c: &Ctx, post: i64) -> Result<i64, WebError> {
    let p = web.app.post(post).await.map_err(|e| c.err(e))?;
    Ok(p.question_id.unwrap_or(p.id))
}

async fn comment(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    web.app
        .comment(user, id, f.get("body"))
        .await
        .map_err(|e| c.err(e))?;
    let q = question_of(&web, &c, id).await?;
    Ok(see_other(&format!("/questions/{q}#post-{id}")))
}

async fn vote(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    let value = VoteValue::parse(f.get("value"))
        .ok_or_else(|| c.err(DomainError::validation("value", "malformed", None)))?;
    web.app.vote(user, id, value).await.map_err(|e| c.err(e))?;
    let q = question_of(&web, &c, id).await?;
    Ok(see_other(&format!("/questions/{q}#post-{id}")))
}

async fn delete_comment(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "comment")?;
    let post = web
        .app
        .delete_comment(user, id)
        .await
        .map_err(|e| c.err(e))?;
    let q = question_of(&web, &c, post).await?;
    Ok(see_other(&format!("/questions/{q}#post-{post}")))
}

async fn bookmark(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on(&c, &id, &f, "question")?;
    web.app
        .bookmark(user, id, f.get("on") != "0")
        .await
        .map_err(|e| c.err(e))?;
    Ok(see_other(&format!("/questions/{id}")))
}

async fn accept(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    let answer = match f.get("answer_id") {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| c.err(DomainError::NotFound("answer")))?,
        ),
    };
    web.app
        .accept(user, id, answer)
        .await
        .map_err(|e| c.err(e))?;
    Ok(see_other(&format!(
        "/questions/{id}{}",
        answer.map(|a| format!("#post-{a}")).unwrap_or_default()
    )))
}

// Ask and edit --------------------------------------------------------------------

fn ask_page(web: &Web, c: &Ctx, f: &FormData, error: Option<String>) -> AskPage {
    let limits = &web.app.settings().limits;
    let (min, max) = (limits.tags_min.to_string(), limits.tags_max.to_string());
    AskPage {
        tags_help: c.tf("ask.tags_help", &[("min", &min), ("max", &max)]),
        chrome: Chrome::from_ctx(c),
        heading: c.t("ask.title"),
        action: "/ask".into(),
        is_question: true,
        is_edit: false,
        title: f.get("title").into(),
        body: f.get("body").into(),
        tags: f.get("tags").into(),
        comment: String::new(),
        error,
        similar: Vec::new(),
    }
}

async fn ask_form(State(web): State<Web>, c: Ctx) -> PageResult {
    c.member()?;
    render(ask_page(&web, &c, &FormData(HashMap::new()), None))
}

fn question_form(f: &FormData) -> QuestionForm {
    QuestionForm {
        title: f.get("title").into(),
        body: f.get("body").into(),
        tags: f.get("tags").into(),
    }
}

async fn ask(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    if f.get("check") == "similar" {
        // Without JavaScript: show similar questions, keep the draft.
        let mut page = ask_page(&web, &c, &f, None);
        page.similar = web
            .app
            .similar_questions(f.get("title"))
            .await
            .map_err(|e| c.err(e))?;
        return render(page);
    }
    match web.app.ask(user, &question_form(&f)).await {
        Ok(id) => Ok(see_other(&format!("/questions/{id}"))),
        Err(e) if is_form_error(&e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            ask_page(&web, &c, &f, Some(message(&e, c.lang))),
        ),
        Err(e) => Err(c.err(e)),
    }
}

async fn edit_form(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> PageResult {
    let id = post_id(&c, &id)?;
    c.member()?;
    let p = web.app.post(id).await.map_err(|e| c.err(e))?;
    let is_question = p.kind == guildhall_domain::votes::PostKind::Question;
    let mut page = ask_page(&web, &c, &FormData(HashMap::new()), None);
    page.heading = c.t("edit.title");
    page.action = format!("/posts/{id}/edit");
    page.is_question = is_question;
    page.is_edit = true;
    page.title = p.title;
    page.body = p.body_md;
    page.tags = p.tags.join(" ");
    render(page)
}

async fn edit(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    match web
        .app
        .edit(user, id, &question_form(&f), f.get("comment"))
        .await
    {
        Ok(EditOutcome::Suggested { item_id }) => {
            Ok(see_other(&format!("/review/items/{item_id}")))
        }
        Ok(EditOutcome::Edited { .. }) => {
            let q = question_of(&web, &c, id).await?;
            Ok(see_other(&format!("/questions/{q}#post-{id}")))
        }
        Err(e) if is_form_error(&e) => {
            let p = web.app.post(id).await.map_err(|e| c.err(e))?;
            let mut page = ask_page(&web, &c, &f, Some(message(&e, c.lang)));
            page.heading = c.t("edit.title");
            page.action = format!("/posts/{id}/edit");
            page.is_edit = true;
            page.is_question = p.kind == guildhall_domain::votes::PostKind::Question;
            page.comment = f.get("comment").into();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(c.err(e)),
    }
}

async fn history(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> PageResult {
    let id = post_id(&c, &id)?;
    let (post, revisions) = web.app.history(id).await.map_err(|e| c.err(e))?;
    let can_edit = c.user.as_ref().is_some_and(|u| {
        u.id == post.author_id
            || web
                .app
                .settings()
                .privileges
                .holds(&u.actor(), Privilege::EditOthers)
    });
    render(HistoryPage {
        chrome: Chrome::from_ctx(&c),
        post,
        revisions,
        can_edit,
    })
}

async fn rollback(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    f: FormData,
) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    let rev: i64 = f
        .get("rev")
        .parse()
        .map_err(|_| c.err(DomainError::NotFound("revision")))?;
    web.app
        .rollback(user, id, rev)
        .await
        .map_err(|e| c.err(e))?;
    Ok(see_other(&format!("/posts/{id}/history")))
}

async fn delete(State(web): State<Web>, c: Ctx, Path(id): Path<String>, f: FormData) -> PageResult {
    let (id, user) = form_on_post(&c, &id, &f)?;
    let q = question_of(&web, &c, id).await?;
    web.app.delete(user, id).await.map_err(|e| c.err(e))?;
    Ok(see_other(
        if q == id {
            "/".to_string()
        } else {
            format!("/questions/{q}")
        }
        .as_str(),
    ))
}

// Profiles -------------------------------------------------------------------------

async fn users(State(web): State<Web>, c: Ctx, Query(q): Query<DirectoryQuery>) -> PageResult {
    let dir = web
        .app
        .member_directory(q.sort(), q.filter(), q.page())
        .await
        .map_err(|e| c.err(e))?;
    let tabs = MemberSort::ALL
        .into_iter()
        .map(|m| SortTab {
            key: m.key(),
            label: c.t(&format!("users.sort.{}", m.key())),
            active: dir.sort == m,
        })
        .collect();
    render(UsersPage {
        chrome: Chrome::from_ctx(&c),
        dir,
        tabs,
    })
}

async fn profile(State(web): State<Web>, c: Ctx, Path(name): Path<String>) -> PageResult {
    let profile = web.app.profile(&name).await.map_err(|e| c.err(e))?;
    render(ProfilePage {
        chrome: Chrome::from_ctx(&c),
        profile,
    })
}

// Accounts -------------------------------------------------------------------------

async fn register_form(c: Ctx) -> PageResult {
    render(AuthPage::new(&c, "register"))
}

async fn register(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let reg = Registration {
        username: f.get("username"),
        email: f.get("email"),
        password: f.get("password"),
    };
    match web.app.register(&reg, c.lang).await {
        Ok(_) => {
            let mut page = AuthPage::new(&c, "check");
            page.notice = Some(c.tf("auth.check_mail", &[("email", f.get("email").trim())]));
            page.email = f.get("email").trim().to_string();
            render(page)
        }
        Err(e) if is_form_error(&e) => {
            let mut page = AuthPage::new(&c, "register");
            page.error = Some(message(&e, c.lang));
            page.username = f.get("username").into();
            page.email = f.get("email").into();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(c.err(e)),
    }
}

async fn activate(State(web): State<Web>, c: Ctx, Path(token): Path<String>) -> PageResult {
    let session = web.app.activate(&token).await.map_err(|e| c.err(e))?;
    let mut r = see_other(&format!("/users/{}?welcome=1", session.user.username));
    r.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(&web, &session.token, web.app.config.session_days * 86_400),
    );
    Ok(r)
}

async fn resend(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    web.app
        .resend_activation(f.get("email"), c.lang)
        .await
        .map_err(|e| c.err(e))?;
    let mut page = AuthPage::new(&c, "check");
    page.notice = Some(c.t("auth.resent").into());
    page.email = f.get("email").into();
    render(page)
}

async fn login_form(c: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    let mut page = AuthPage::new(&c, "login");
    page.next = q.next.as_deref().and_then(local_path).unwrap_or("").into();
    render(page)
}

async fn login(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    match web
        .app
        .login(f.get("login"), f.get("password"), &c.client)
        .await
    {
        Ok(session) => {
            let mut r = see_other(local_path(f.get("next")).unwrap_or("/"));
            r.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&web, &session.token, web.app.config.session_days * 86_400),
            );
            Ok(r)
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.code().http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            if matches!(e, ServiceError::Internal(_)) {
                return Err(c.err(e));
            }
            let mut page = AuthPage::new(&c, "login");
            page.error = Some(message(&e, c.lang));
            page.login = f.get("login").into();
            page.next = local_path(f.get("next")).unwrap_or("").into();
            render_status(status, page)
        }
    }
}

async fn logout(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    if let Some(tok) = &c.session {
        web.app.logout(tok).await.map_err(|e| c.err(e))?;
    }
    let mut r = see_other("/");
    r.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&web, "", 0));
    Ok(r)
}

async fn forgot_form(c: Ctx) -> PageResult {
    render(AuthPage::new(&c, "forgot"))
}

async fn forgot(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    web.app
        .request_password_reset(f.get("email"), c.lang)
        .await
        .map_err(|e| c.err(e))?;
    let mut page = AuthPage::new(&c, "forgot");
    page.notice = Some(c.t("auth.forgot_sent").into());
    render(page)
}

async fn reset_form(c: Ctx, Path(token): Path<String>) -> PageResult {
    let mut page = AuthPage::new(&c, "reset");
    page.token = token.chars().filter(|ch| ch.is_ascii_hexdigit()).collect();
    render(page)
}

async fn reset(
    State(web): State<Web>,
    c: Ctx,
    Path(token): Path<String>,
    f: FormData,
) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    match web.app.reset_password(&token, f.get("password")).await {
        Ok(()) => {
            let mut page = AuthPage::new(&c, "login");
            page.notice = Some(c.t("auth.reset_done").into());
            render(page)
        }
        Err(e) if is_form_error(&e) => {
            let mut page = AuthPage::new(&c, "reset");
            page.error = Some(message(&e, c.lang));
            page.token = token.chars().filter(|ch| ch.is_ascii_hexdigit()).collect();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(c.err(e)),
    }
}

/// `?next=`: where to go afterwards (language switch, login).
#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn switch_lang(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = guildhall_i18n::Lang::parse(&code).unwrap_or(guildhall_i18n::Lang::En);
    // Only local paths: never redirect elsewhere.
    let mut r = see_other(q.next.as_deref().and_then(local_path).unwrap_or("/"));
    let v = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&v).expect("cookie"),
    );
    r
}

// Administration -------------------------------------------------------------------------

async fn admin_page(
    web: &Web,
    c: &Ctx,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let user = c.member()?;
    let users = web.app.users(user, 1).await.map_err(|e| c.err(e))?;
    let s = (*web.app.settings()).clone();
    let thresholds = Privilege::ALL
        .into_iter()
        .map(|p| ThresholdRow {
            key: p.key(),
            label: c.t(&format!("privilege.{}", p.key())),
            value: s.privileges.threshold(p),
        })
        .collect();
    let mut amounts: Vec<ThresholdRow> = Reason::ALL
        .into_iter()
        .map(|r| ThresholdRow {
            key: r.key(),
            label: c.t(&format!("reason.{}", r.key())),
            value: s.reputation.amount(r),
        })
        .collect();
    amounts.push(ThresholdRow {
        key: "daily_cap",
        label: c.t("admin.daily_cap"),
        value: s.reputation.daily_cap,
    });
    amounts.push(ThresholdRow {
        key: "floor",
        label: c.t("admin.floor"),
        value: s.reputation.floor,
    });
    let mut presets: Vec<(&'static str, &'static str, bool)> = vec![(
        "custom",
        c.t("admin.preset.custom"),
        s.privileges.preset.is_none(),
    )];
    for p in LadderPreset::ALL {
        presets.push((
            p.key(),
            c.t(&format!("admin.preset.{}", p.key())),
            s.privileges.preset == Some(p),
        ));
    }
    let review = match serde_json::to_value(&s.review) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| ReviewRow {
                label: c.t(&format!("admin.review.{k}")),
                value: v.as_i64().unwrap_or(0),
                key: k,
            })
            .collect(),
        _ => Vec::new(),
    };
    // Search weights are numbers with fractions; whole ones show as such.
    let search = match serde_json::to_value(&s.search) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| SearchRow {
                label: c.t(&format!("admin.search.{k}")),
                value: v.as_f64().map(|x| x.to_string()).unwrap_or_default(),
                key: k,
            })
            .collect(),
        _ => Vec::new(),
    };
    render(AdminPage {
        chrome: Chrome::from_ctx(c),
        settings: s,
        thresholds,
        amounts,
        review,
        search,
        users,
        notice,
        error,
        presets,
    })
}

async fn admin(State(web): State<Web>, c: Ctx) -> PageResult {
    admin_page(&web, &c, None, None).await
}

/// Read the settings form: a preset choice, or individual numbers.
pub fn settings_change(
    f: &FormData,
    current_preset: Option<LadderPreset>,
) -> Result<SettingsChange, DomainError> {
    let mut change = SettingsChange::default();
    let preset = f.get("preset");
    let preset_changed =
        !preset.is_empty() && preset != "custom" && Some(preset) != current_preset.map(|p| p.key());
    if preset_changed {
        // A new preset replaces every threshold; the numbers shown were the old ones.
        change.preset = Some(preset.to_string());
    }
    for (k, v) in &f.0 {
        let parse = || {
            v.trim()
                .parse::<i64>()
                .map_err(|_| DomainError::validation("value", "malformed", None))
        };
        if let Some(p) = k.strip_prefix("threshold.") {
            if !preset_changed {
                change.thresholds.push((p.to_string(), parse()?));
            }
        } else if let Some(r) = k.strip_prefix("amount.") {
            change.amounts.push((r.to_string(), parse()?));
        } else if let Some(r) = k.strip_prefix("review.") {
            change.review.push((r.to_string(), parse()?));
        } else if let Some(r) = k.strip_prefix("search.") {
            let n = v
                .trim()
                .parse::<f64>()
                .map_err(|_| DomainError::validation("value", "malformed", None))?;
            change.search.push((r.to_string(), n));
        }
    }
    Ok(change)
}

async fn admin_settings(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let change = settings_change(&f, web.app.settings().privileges.preset).map_err(|e| c.err(e))?;
    match web.app.update_settings(user, &change).await {
        Ok(_) => admin_page(&web, &c, Some(c.t("admin.saved").into()), None).await,
        Err(e) if is_form_error(&e) => admin_page(&web, &c, None, Some(message(&e, c.lang))).await,
        Err(e) => Err(c.err(e)),
    }
}

async fn admin_role(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let role = Role::parse(f.get("role"))
        .ok_or_else(|| c.err(DomainError::validation("role", "unknown", None)))?;
    web.app
        .set_role(user, f.get("username"), role)
        .await
        .map_err(|e| c.err(e))?;
    admin_page(&web, &c, Some(c.t("admin.role_saved").into()), None).await
}

async fn admin_recompute(State(web): State<Web>, c: Ctx, f: FormData) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let report = web
        .app
        .recompute_by(user, true)
        .await
        .map_err(|e| c.err(e))?;
    let n = report.differences.len();
    let notice = if n == 0 {
        c.tf(
            "admin.recompute_ok",
            &[(
                "count",
                &(report.checked_posts + report.checked_users + report.checked_tags).to_string(),
            )],
        )
    } else {
        c.tf("admin.recompute_diff", &[("count", &n.to_string())])
    };
    admin_page(&web, &c, Some(notice), None).await
}
