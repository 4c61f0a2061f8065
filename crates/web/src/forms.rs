//! Request bodies: urlencoded forms and JSON, with our own errors (a
//! malformed or oversized body gets a clear message, never a bare 422).

use crate::error::WebError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use guildhall_domain::{DomainError, ErrorCode};
use guildhall_i18n::Lang;
use guildhall_services::ServiceError;
use std::collections::HashMap;

/// A body that cannot be read becomes a page or JSON error in the
/// request's language.
pub type BodyError = WebError;

fn request_lang(req: &Request) -> Lang {
    let h = req.headers();
    crate::ctx::cookie(h, crate::ctx::LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                h.get(axum::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

fn body_error(req_lang: Lang, json: bool, err: ServiceError) -> WebError {
    WebError {
        json,
        ..WebError::new(err, req_lang)
    }
}

async fn read_bytes(req: Request) -> Result<Bytes, BodyError> {
    let lang = request_lang(&req);
    let json = req.uri().path().starts_with("/api/");
    Bytes::from_request(req, &()).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            body_error(lang, json, ErrorCode::PayloadTooLarge.into())
        } else {
            body_error(
                lang,
                json,
                DomainError::validation("form", "malformed", None).into(),
            )
        }
    })
}

/// A urlencoded form as field → value (missing fields read as empty).
pub struct FormData(pub HashMap<String, String>);

impl FormData {
    pub fn get(&self, k: &str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn opt(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = BodyError;
    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_bytes(req).await?;
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(&bytes) {
            // Invalid UTF-8 is replaced, not fatal; NULs never reach storage.
            map.insert(k.into_owned(), v.replace('\0', ""));
        }
        Ok(FormData(map))
    }
}

/// A JSON object body.
pub struct JsonBody(pub serde_json::Value);

impl JsonBody {
    pub fn str(&self, k: &str) -> &str {
        self.0.get(k).and_then(|v| v.as_str()).unwrap_or("")
    }
    pub fn i64(&self, k: &str) -> Option<i64> {
        self.0.get(k).and_then(|v| v.as_i64())
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = BodyError;
    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_bytes(req).await?;
        if bytes.is_empty() {
            return Ok(JsonBody(serde_json::Value::Object(Default::default())));
        }
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(JsonBody(v)),
            _ => Err(WebError::new(
                DomainError::validation("body", "malformed", None).into(),
                Lang::En,
            )
            .json()),
        }
    }
}
