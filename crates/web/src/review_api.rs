//! The review center in the JSON API (`/api/v1`), over the same services as
//! the pages.

use crate::api::ApiCtx;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::forms::JsonBody;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use guildhall_domain::review::Queue;
use guildhall_domain::DomainError;
use guildhall_services::review::notification_text;
use guildhall_services::storage::review::VoteInput;
use serde_json::json;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/review", get(health))
        .route("/review/items/{id}", get(item))
        .route("/review/items/{id}/votes", post(vote))
        .route("/review/items/{id}/skip", post(skip))
        .route("/review/{queue}", get(queue))
        .route("/posts/{id}/disputes", post(dispute))
        .route("/posts/{id}/flags", post(flag))
        .route("/moderation/flags", get(flags))
        .route("/moderation/flags/{id}", post(resolve))
        .route("/moderation/audit", get(audit))
        .route("/notifications", get(notifications))
        .route("/badges", get(badges))
        .route("/badges/{key}", get(badge))
}

type ApiResult = Result<Response, WebError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

fn num(c: &Ctx, s: &str) -> Result<i64, WebError> {
    s.parse().map_err(|_| c.jerr(DomainError::NotFound("item")))
}

fn vote_input(b: &JsonBody) -> VoteInput<'_> {
    VoteInput {
        reason: b.str("reason"),
        message: b.str("message"),
        duplicate_of: b.i64("duplicate_of"),
    }
}

async fn health(State(web): State<Web>, c: Ctx) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    let (queues, flags) = web.app.queue_health(user).await.map_err(|e| c.jerr(e))?;
    ok(json!({ "queues": queues, "flags": flags }))
}

async fn queue(State(web): State<Web>, c: Ctx, Path(q): Path<String>) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    let q = Queue::from_key(&q).ok_or_else(|| c.jerr(DomainError::NotFound("queue")))?;
    ok(web.app.queue(user, q, 1).await.map_err(|e| c.jerr(e))?)
}

async fn item(State(web): State<Web>, c: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.member().map_err(WebError::json)?;
    ok(web.app.review_item(user, id).await.map_err(|e| c.jerr(e))?)
}

async fn vote(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.writer(&headers)?;
    let r = web
        .app
        .review_vote(user, id, b.str("verdict"), &vote_input(&b))
        .await
        .map_err(|e| c.jerr(e))?;
    ok(r)
}

async fn skip(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.writer(&headers)?;
    web.app.skip_item(user, id).await.map_err(|e| c.jerr(e))?;
    ok(json!({ "skipped": id }))
}

async fn dispute(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.writer(&headers)?;
    let r = web
        .app
        .dispute(user, id, b.str("queue"), &vote_input(&b))
        .await
        .map_err(|e| c.jerr(e))?;
    ok(r)
}

async fn flag(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.writer(&headers)?;
    let r = web
        .app
        .flag(user, id, b.str("kind"), b.str("message"))
        .await
        .map_err(|e| c.jerr(e))?;
    ok(r)
}

async fn flags(State(web): State<Web>, c: Ctx) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    ok(web.app.flagged_posts(user).await.map_err(|e| c.jerr(e))?)
}

async fn resolve(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let id = num(&c, &id)?;
    let user = c.writer(&headers)?;
    let confirm = match b.str("decision") {
        "confirm" => true,
        "clear" => false,
        _ => return Err(c.jerr(DomainError::validation("decision", "unknown", None))),
    };
    let n = web
        .app
        .resolve_flags(user, id, confirm)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "post_id": id, "flags": n }))
}

async fn audit(State(web): State<Web>, c: Ctx) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    ok(web.app.audit_log(user, 1).await.map_err(|e| c.jerr(e))?)
}

async fn notifications(State(web): State<Web>, c: Ctx) -> ApiResult {
    let user = c.member().map_err(WebError::json)?;
    let s = web.app.settings();
    let list: Vec<_> = web
        .app
        .inbox(user)
        .await
        .map_err(|e| c.jerr(e))?
        .into_iter()
        .map(|n| {
            let text = notification_text(c.lang, &n, &s);
            json!({ "notification": n, "text": text })
        })
        .collect();
    ok(list)
}

async fn badges(State(web): State<Web>, c: Ctx) -> ApiResult {
    ok(web.app.badges().await.map_err(|e| c.jerr(e))?)
}

async fn badge(State(web): State<Web>, c: Ctx, Path(key): Path<String>) -> ApiResult {
    let (info, holders) = web.app.badge(&key).await.map_err(|e| c.jerr(e))?;
    let holders: Vec<_> = holders
        .into_iter()
        .map(|(user, source, at)| json!({ "user": user, "source": source, "awarded_at": at }))
        .collect();
    ok(json!({ "badge": info, "holders": holders }))
}
