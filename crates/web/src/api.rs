//! The JSON API under /api/v1, over the same services as the pages.
//!
//! Authentication: `Authorization: Bearer <token>` (from POST /session or
//! POST /activate), or the browser's session cookie plus an
//! `X-CSRF-Token` header for state-changing requests.

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::forms::JsonBody;
use crate::search::DirectoryQuery;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use guildhall_domain::votes::VoteValue;
use guildhall_domain::{DomainError, ErrorCode};
use guildhall_services::accounts::Registration;
use guildhall_services::admin::SettingsChange;
use guildhall_services::community::QuestionForm;
use guildhall_services::storage::content::{OwnList, QuestionSort};
use guildhall_services::ServiceError;
use serde_json::{json, Value};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/questions", get(list).post(ask))
        .route("/questions/{id}", get(question))
        .route("/questions/{id}/answers", post(answer))
        .route("/questions/{id}/accept", put(accept))
        .route("/questions/{id}/bookmark", put(bookmark).delete(bookmark))
        .route("/posts/{id}", get(post_get).patch(edit).delete(delete))
        .route("/posts/{id}/comments", post(comment))
        .route("/comments/{id}", axum::routing::delete(delete_comment))
        .route("/posts/{id}/vote", put(vote))
        .route("/posts/{id}/revisions", get(revisions))
        .route("/posts/{id}/rollback", post(rollback))
        .route("/users", get(members).post(register))
        .route("/users/{name}", get(profile))
        .route("/me", get(me))
        .route("/me/bookmarks", get(my_bookmarks))
        .route("/me/password", put(change_password))
        .route("/session", post(login).delete(logout))
        .route("/activate", post(activate))
        .route("/password-reset", post(reset_request))
        .route("/password-reset/confirm", post(reset_confirm))
        .route("/admin/settings", get(settings_get).put(settings_put))
        .fallback(api_not_found)
}

type ApiResult = Result<Response, WebError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

fn created(v: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub trait ApiCtx {
    fn jerr(&self, e: impl Into<ServiceError>) -> WebError;
    fn writer(
        &self,
        headers: &HeaderMap,
    ) -> Result<&guildhall_services::storage::users::UserRecord, WebError>;
}

impl ApiCtx for Ctx {
    fn jerr(&self, e: impl Into<ServiceError>) -> WebError {
        self.err(e).json()
    }
    /// The member making a state-changing call (CSRF-checked for cookies).
    fn writer(
        &self,
        headers: &HeaderMap,
    ) -> Result<&guildhall_services::storage::users::UserRecord, WebError> {
        let user = self.member().map_err(WebError::json)?;
        self.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
            .map_err(WebError::json)?;
        Ok(user)
    }
}

fn id_of(c: &Ctx, s: &str) -> Result<i64, WebError> {
    s.parse().map_err(|_| c.jerr(DomainError::NotFound("post")))
}

async fn api_not_found(c: Ctx) -> WebError {
    c.jerr(DomainError::NotFound("endpoint"))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}

/// Numbers arrive as text, so a malformed one is a JSON validation error
/// like any other, not the framework's plain-text rejection.
#[derive(serde::Deserialize)]
struct ListQuery {
    sort: Option<String>,
    tag: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

impl ListQuery {
    fn number(
        c: &Ctx,
        field: &'static str,
        v: &Option<String>,
        default: i64,
    ) -> Result<i64, WebError> {
        match v.as_deref() {
            None | Some("") => Ok(default),
            Some(s) => s
                .trim()
                .parse()
                .map_err(|_| c.jerr(DomainError::validation(field, "malformed", None))),
        }
    }
    fn page(&self, c: &Ctx) -> Result<i64, WebError> {
        Self::number(c, "page", &self.page, 1)
    }
}

async fn list(State(web): State<Web>, c: Ctx, Query(q): Query<ListQuery>) -> ApiResult {
    let sort = match q.sort.as_deref() {
        None => QuestionSort::Active,
        Some(s) => QuestionSort::parse(s)
            .ok_or_else(|| c.jerr(DomainError::validation("sort", "unknown", None)))?,
    };
    let list = web
        .app
        .questions(
            sort,
            q.tag.as_deref(),
            q.page(&c)?,
            ListQuery::number(&c, "per_page", &q.per_page, 30)?,
        )
        .await
        .map_err(|e| c.jerr(e))?;
    ok(list)
}

fn question_form(b: &JsonBody) -> QuestionForm {
    let tags = match b.0.get("tags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    QuestionForm {
        title: b.str("title").into(),
        body: b.str("body").into(),
        tags,
    }
}

async fn ask(State(web): State<Web>, c: Ctx, headers: HeaderMap, b: JsonBody) -> ApiResult {
    let user = c.writer(&headers)?;
    let id = web
        .app
        .ask(user, &question_form(&b))
        .await
        .map_err(|e| c.jerr(e))?;
    created(json!({ "id": id, "url": format!("/questions/{id}") }))
}

async fn question(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = id_of(&c, &id)?;
    ok(web
        .app
        .question(id, c.user.as_ref())
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn post_get(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = id_of(&c, &id)?;
    ok(web.app.post(id).await.map_err(|e| c.jerr(e))?)
}

async fn answer(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let aid = web
        .app
        .answer(user, id, b.str("body"))
        .await
        .map_err(|e| c.jerr(e))?;
    created(json!({ "id": aid, "question_id": id }))
}

async fn comment(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let cid = web
        .app
        .comment(user, id, b.str("body"))
        .await
        .map_err(|e| c.jerr(e))?;
    created(json!({ "id": cid, "post_id": id }))
}

async fn vote(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let value = VoteValue::parse(b.str("value"))
        .ok_or_else(|| c.jerr(DomainError::validation("value", "malformed", None)))?;
    ok(web.app.vote(user, id, value).await.map_err(|e| c.jerr(e))?)
}

async fn accept(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let answer = match b.0.get("answer_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| c.jerr(DomainError::validation("id", "malformed", None)))?,
        ),
    };
    let accepted = web
        .app
        .accept(user, id, answer)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "question_id": id, "accepted_answer_id": accepted }))
}

async fn edit(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let out = web
        .app
        .edit(user, id, &question_form(&b), b.str("comment"))
        .await
        .map_err(|e| c.jerr(e))?;
    let mut v = json!(out);
    v["id"] = json!(id);
    ok(v)
}

async fn delete(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    web.app.delete(user, id).await.map_err(|e| c.jerr(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revisions(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = id_of(&c, &id)?;
    let (_, revs) = web.app.history(id).await.map_err(|e| c.jerr(e))?;
    ok(revs)
}

async fn rollback(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let rev = b
        .i64("rev")
        .ok_or_else(|| c.jerr(DomainError::validation("id", "malformed", None)))?;
    let new_rev = web
        .app
        .rollback(user, id, rev)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "id": id, "revision": new_rev }))
}

async fn profile(State(web): State<Web>, c: Ctx, Path(name): Path<String>) -> ApiResult {
    ok(web.app.profile(&name).await.map_err(|e| c.jerr(e))?)
}

/// PUT bookmarks the question, DELETE removes the bookmark.
async fn bookmark(
    State(web): State<Web>,
    c: Ctx,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = id_of(&c, &id)?;
    let user = c.writer(&headers)?;
    let on = web
        .app
        .bookmark(user, id, method == Method::PUT)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "question_id": id, "bookmarked": on }))
}

async fn my_bookmarks(State(web): State<Web>, c: Ctx, Query(q): Query<ListQuery>) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    let page = q.page(&c)?.max(1);
    let (questions, has_next) = web
        .app
        .own_questions(user, OwnList::Bookmarks, page)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "questions": questions, "page": page, "has_next": has_next }))
}

async fn members(State(web): State<Web>, c: Ctx, Query(q): Query<DirectoryQuery>) -> ApiResult {
    ok(web
        .app
        .member_directory(q.sort(), q.filter(), q.page())
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn delete_comment(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id: i64 = id
        .parse()
        .map_err(|_| c.jerr(DomainError::NotFound("comment")))?;
    let user = c.writer(&headers)?;
    let post = web
        .app
        .delete_comment(user, id)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "comment_id": id, "post_id": post, "deleted": true }))
}

async fn me(c: Ctx) -> ApiResult {
    let u = c.member().map_err(WebError::json)?;
    ok(u)
}

async fn register(State(web): State<Web>, c: Ctx, b: JsonBody) -> ApiResult {
    let reg = Registration {
        username: b.str("username"),
        email: b.str("email"),
        password: b.str("password"),
    };
    let id = web
        .app
        .register(&reg, c.lang)
        .await
        .map_err(|e| c.jerr(e))?;
    created(json!({ "id": id, "activation": "mailed" }))
}

async fn login(State(web): State<Web>, c: Ctx, b: JsonBody) -> ApiResult {
    let s = web
        .app
        .login(b.str("login"), b.str("password"), &c.client)
        .await
        .map_err(|e| c.jerr(e))?;
    created(json!({ "token": s.token, "user": s.user }))
}

/// Every session of the member ends; the answer carries the new one.
async fn change_password(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    b: JsonBody,
) -> ApiResult {
    let user = c.writer(&headers)?;
    let s = web
        .app
        .change_password(
            user,
            b.str("current_password"),
            b.str("new_password"),
            &c.client,
        )
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "token": s.token }))
}

async fn logout(State(web): State<Web>, c: Ctx) -> ApiResult {
    let Some(tok) = &c.session else {
        return Err(c.jerr(ErrorCode::Unauthenticated));
    };
    web.app.logout(tok).await.map_err(|e| c.jerr(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn activate(State(web): State<Web>, c: Ctx, b: JsonBody) -> ApiResult {
    let s = web
        .app
        .activate(b.str("token"))
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "token": s.token, "user": s.user }))
}

async fn reset_request(State(web): State<Web>, c: Ctx, b: JsonBody) -> ApiResult {
    web.app
        .request_password_reset(b.str("email"), c.lang)
        .await
        .map_err(|e| c.jerr(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "mailed if the account exists" })),
    )
        .into_response())
}

async fn reset_confirm(State(web): State<Web>, c: Ctx, b: JsonBody) -> ApiResult {
    web.app
        .reset_password(b.str("token"), b.str("password"))
        .await
        .map_err(|e| c.jerr(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn settings_get(State(web): State<Web>, c: Ctx) -> ApiResult {
    let u = c.member().map_err(WebError::json)?;
    ok(&*web.app.settings_for(u).map_err(|e| c.jerr(e))?)
}

/// Body: `{"preset": "stack_overflow", "thresholds": {"upvote": 15}, "amounts": {"answer_upvoted": 10}}`.
async fn settings_put(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    b: JsonBody,
) -> ApiResult {
    let user = c.writer(&headers)?;
    let pairs = |k: &str| -> Result<Vec<(String, i64)>, WebError> {
        match b.0.get(k) {
            None => Ok(vec![]),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.as_i64()
                        .map(|n| (k.clone(), n))
                        .ok_or_else(|| c.jerr(DomainError::validation("value", "malformed", None)))
                })
                .collect(),
            Some(_) => Err(c.jerr(DomainError::validation("value", "malformed", None))),
        }
    };
    let change = SettingsChange {
        preset: b
            .0
            .get("preset")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        thresholds: pairs("thresholds")?,
        amounts: pairs("amounts")?,
        review: pairs("review")?,
        search: match b.0.get("search") {
            None => vec![],
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.as_f64()
                        .map(|n| (k.clone(), n))
                        .ok_or_else(|| c.jerr(DomainError::validation("value", "malformed", None)))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(c.jerr(DomainError::validation("value", "malformed", None))),
        },
    };
    ok(web
        .app
        .update_settings(user, &change)
        .await
        .map_err(|e| c.jerr(e))?)
}
