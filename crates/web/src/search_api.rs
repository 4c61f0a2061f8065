//! JSON API for search, similar questions, tags (directory, synonyms,
//! follows); the same service calls as the pages.

use crate::api::ApiCtx;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::forms::JsonBody;
use crate::search::{notice_text, DirectoryQuery, SearchQuery};
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use guildhall_domain::DomainError;
use serde_json::json;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/search", get(search))
        .route("/questions/similar", get(similar))
        .route("/tags", get(tags))
        .route("/tags/{name}", get(tag))
        .route("/tags/{name}/follow", put(follow).delete(unfollow))
        .route("/tags/{name}/synonyms", post(add_synonym))
        .route("/tags/{name}/synonyms/{synonym}", delete(remove_synonym))
}

type ApiResult = Result<Response, WebError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

/// `?q=…&sort=relevance|newest|votes&page=N`. Notices come both as codes
/// (for programs) and as text in the request's language.
async fn search(State(web): State<Web>, c: Ctx, Query(q): Query<SearchQuery>) -> ApiResult {
    let r = web
        .app
        .search(c.user.as_ref(), q.text(), q.sort_key(), q.page())
        .await
        .map_err(|e| c.jerr(e))?;
    let messages: Vec<String> = r.notices.iter().map(|n| notice_text(c.lang, n)).collect();
    ok(json!({ "results": r, "messages": messages }))
}

#[derive(serde::Deserialize)]
struct SimilarQuery {
    title: Option<String>,
}

async fn similar(State(web): State<Web>, c: Ctx, Query(q): Query<SimilarQuery>) -> ApiResult {
    ok(web
        .app
        .similar_questions(q.title.as_deref().unwrap_or(""))
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn tags(State(web): State<Web>, c: Ctx, Query(q): Query<DirectoryQuery>) -> ApiResult {
    ok(web
        .app
        .tag_directory(c.user.as_ref(), q.sort(), q.filter(), q.page())
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn tag(State(web): State<Web>, c: Ctx, Path(name): Path<String>) -> ApiResult {
    ok(web
        .app
        .tag_detail(&name, c.user.as_ref())
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn set_follow(web: &Web, c: &Ctx, headers: &HeaderMap, name: &str, on: bool) -> ApiResult {
    let user = c.writer(headers)?;
    let tag = web
        .app
        .follow_tag(user, name, on)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(json!({ "tag": tag.name, "following": on }))
}

async fn follow(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult {
    set_follow(&web, &c, &headers, &name, true).await
}

async fn unfollow(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult {
    set_follow(&web, &c, &headers, &name, false).await
}

/// Body: `{"synonym": "js"}`.
async fn add_synonym(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path(name): Path<String>,
    b: JsonBody,
) -> ApiResult {
    let user = c.writer(&headers)?;
    let synonym =
        b.0.get("synonym")
            .and_then(|v| v.as_str())
            .ok_or_else(|| c.jerr(DomainError::validation("synonym", "required", None)))?;
    web.app
        .add_tag_synonym(user, &name, synonym)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(web
        .app
        .tag_detail(&name, Some(user))
        .await
        .map_err(|e| c.jerr(e))?)
}

async fn remove_synonym(
    State(web): State<Web>,
    c: Ctx,
    headers: HeaderMap,
    Path((name, synonym)): Path<(String, String)>,
) -> ApiResult {
    let user = c.writer(&headers)?;
    web.app
        .remove_tag_synonym(user, &synonym)
        .await
        .map_err(|e| c.jerr(e))?;
    ok(web
        .app
        .tag_detail(&name, Some(user))
        .await
        .map_err(|e| c.jerr(e))?)
}
