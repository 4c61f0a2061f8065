//! Per-request context: language, the logged-in member, the CSRF token.

use crate::error::WebError;
use crate::views::{local_path, url_encode};
use crate::Web;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use guildhall_domain::ErrorCode;
use guildhall_i18n::{t, tf, Lang};
use guildhall_services::storage::users::UserRecord;
use rand::RngCore;

pub const SESSION_COOKIE: &str = "gh_session";
pub const CSRF_COOKIE: &str = "gh_csrf";
pub const LANG_COOKIE: &str = "gh_lang";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The CSRF token of this browser, created on first visit (double-submit
/// cookie: forms echo it in a hidden field; a cross-site form cannot read it).
#[derive(Clone)]
pub struct CsrfToken(pub String);

pub async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 32)
        .map(str::to_string);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => {
            let mut b = [0u8; 16];
            rand::rng().fill_bytes(&mut b);
            (hex::encode(b), true)
        }
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let v = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000");
        if let Ok(v) = HeaderValue::from_str(&v) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// A page that needs a member, opened without one, sends the browser to
/// the login form, which brings it back afterwards. (API routes, feeds and
/// JSON requests keep their 401.)
pub async fn login_redirect(req: Request, next: Next) -> Response {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let path = req.uri().path();
    let page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !wants_json
        && !path.starts_with("/api/")
        && !path.starts_with("/feeds/");
    // Only a page request keeps its address, for the way back.
    let back = page
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
        .flatten();
    let res = next.run(req).await;
    match back.as_deref().and_then(local_path) {
        Some(back) if res.status() == StatusCode::UNAUTHORIZED => {
            Redirect::to(&format!("/login?next={}", url_encode(back))).into_response()
        }
        _ => res,
    }
}

pub struct Ctx {
    pub lang: Lang,
    pub user: Option<UserRecord>,
    pub csrf: String,
    /// The raw session token, when the member came with one.
    pub session: Option<String>,
    /// Authenticated by an `Authorization: Bearer` header (API clients),
    /// which needs no CSRF check.
    pub bearer: bool,
    pub path: String,
    /// The client's address, for rate limits: the peer, or the first
    /// X-Forwarded-For hop when the peer is a proxy on this machine.
    pub client: String,
    /// Unread notifications of the member (0 when logged out).
    pub unread: i64,
    /// The community's settings in force (forms state their limits).
    pub settings: std::sync::Arc<guildhall_domain::CommunitySettings>,
}

fn client_of(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    match (peer, forwarded) {
        (Some(ip), Some(f)) if ip.is_loopback() => f,
        (Some(ip), _) => ip.to_string(),
        (None, _) => "unknown".into(),
    }
}

impl FromRequestParts<Web> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let query_lang = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.to_string())
        });
        let lang = query_lang
            .as_deref()
            .and_then(Lang::parse)
            .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or_else(|| {
                Lang::from_accept_language(
                    headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                )
            });
        let bearer_token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_string());
        let bearer = bearer_token.is_some();
        let session = bearer_token.or_else(|| cookie(headers, SESSION_COOKIE).map(str::to_string));
        let user = match &session {
            Some(tok) => web
                .app
                .session_user(tok)
                .await
                .map_err(|e| WebError::new(e, lang))?,
            None => None,
        };
        let mut unread = 0;
        if let Some(u) = &user {
            // Visits feed the consecutive-days badges; one write per member and day.
            if let Err(e) = web.app.visit(u.id).await {
                tracing::warn!(error = %e, "visit not recorded");
            }
            unread = web.app.unread(u).await.unwrap_or(0);
        }
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Ctx {
            lang,
            user,
            csrf,
            session,
            bearer,
            path,
            client: client_of(parts),
            unread,
            settings: web.app.settings(),
        })
    }
}

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        tf(self.lang, key, args)
    }

    /// Who is viewing, for counting a page view once per viewer: the
    /// member, or the client address of an anonymous visitor.
    pub fn viewer(&self) -> (i64, &str) {
        match &self.user {
            Some(u) => (u.id, ""),
            None => (0, self.client.as_str()),
        }
    }

    pub fn err(&self, e: impl Into<guildhall_services::ServiceError>) -> WebError {
        let mut err = WebError::new(e.into(), self.lang);
        err.chrome = Some(Box::new(crate::views::Chrome::from_ctx(self)));
        err
    }

    /// The member, or a "please log in" refusal.
    pub fn member(&self) -> Result<&UserRecord, WebError> {
        self.user
            .as_ref()
            .ok_or_else(|| self.err(ErrorCode::Unauthenticated))
    }

    /// Check a submitted CSRF token against this browser's cookie.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), WebError> {
        if self.bearer {
            return Ok(());
        }
        match submitted {
            Some(s)
                if !self.csrf.is_empty()
                    && constant_time_eq(s.as_bytes(), self.csrf.as_bytes()) =>
            {
                Ok(())
            }
            _ => Err(self.err(ErrorCode::CsrfInvalid)),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
