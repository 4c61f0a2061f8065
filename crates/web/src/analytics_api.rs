//! JSON API for community analytics: the same reports as the pages.

use crate::analytics::{developer_report, repo_report, AnalyticsQuery, PageResult};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use guildhall_domain::DomainError;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/analytics/overview", get(overview_api))
        .route("/analytics/repos/{owner}/{name}", get(repo_api))
        .route("/analytics/developers/{login}", get(developer_api))
}

async fn overview_api(
    State(web): State<Web>,
    c: Ctx,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let j = |e: DomainError| c.err(e).json();
    let (month, order, limit) = (
        q.month().map_err(j)?,
        q.order().map_err(j)?,
        q.limit().map_err(j)?,
    );
    let o = web
        .app
        .analytics_overview(month, order, limit)
        .await
        .map_err(|e| c.err(e).json())?;
    Ok(Json(o).into_response())
}

async fn repo_api(
    State(web): State<Web>,
    c: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let r = repo_report(&web, &c, &owner, &name, &q)
        .await
        .map_err(WebError::json)?;
    Ok(Json(r).into_response())
}

async fn developer_api(
    State(web): State<Web>,
    c: Ctx,
    Path(login): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let d = developer_report(&web, &c, &login, &q)
        .await
        .map_err(WebError::json)?;
    Ok(Json(d).into_response())
}
