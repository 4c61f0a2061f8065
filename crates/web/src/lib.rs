//! HTML pages and the JSON API, both thin layers over the service layer.
//!
//! Handlers only translate: request → service call → page or JSON. The
//! per-request context (language, member, CSRF token) is built once by
//! [`ctx::Ctx`]; errors become a localized page or a JSON body with a
//! stable code in [`error`].

pub mod analytics;
pub mod analytics_api;
pub mod api;
pub mod charts;
pub mod ctx;
pub mod error;
pub mod forms;
pub mod pages;
pub mod review;
pub mod review_api;
pub mod search;
pub mod search_api;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use guildhall_services::App;

/// Largest request body accepted (forms and JSON): a 30,000-character post
/// in UTF-8 with form encoding fits comfortably.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

#[derive(Clone)]
pub struct Web {
    pub app: App,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
}

pub fn router(app: App) -> Router {
    let secure_cookies = app.config.base_url.starts_with("https://");
    let web = Web {
        app,
        secure_cookies,
    };
    Router::new()
        .merge(pages::routes())
        .merge(review::routes())
        .merge(search::routes())
        .merge(analytics::routes())
        .nest(
            "/api/v1",
            api::routes()
                .merge(review_api::routes())
                .merge(search_api::routes())
                .merge(analytics_api::routes()),
        )
        .route("/healthz", get(healthz))
        .route("/hello", get(|| async { "hello" }))
        .route("/static/style.css", get(style))
        .route("/favicon.svg", get(favicon))
        // Asked for by browsers on documents that name no icon (feeds).
        .route("/favicon.ico", get(favicon))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(ctx::login_redirect))
        .layer(axum::middleware::from_fn(ctx::csrf_cookie))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(web)
}

async fn healthz(axum::extract::State(web): axum::extract::State<Web>) -> impl IntoResponse {
    match web.app.store.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        ),
    }
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/favicon.svg"),
    )
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/style.css"),
    )
}
