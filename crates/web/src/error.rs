//! Errors as people and programs read them: a localized page, or a JSON
//! body `{"error": "<stable code>", "message": "...", ...details}`.

use crate::views::ErrorPage;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use guildhall_domain::{DomainError, ErrorCode};
use guildhall_i18n::{t, tf, Lang};
use guildhall_services::ServiceError;

pub struct WebError {
    pub err: ServiceError,
    pub lang: Lang,
    pub json: bool,
    /// The page's header as the request saw it (who is logged in), when
    /// the error came from a handler with a request context.
    pub chrome: Option<Box<crate::views::Chrome>>,
}

impl std::fmt::Debug for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebError")
            .field("err", &self.err)
            .field("json", &self.json)
            .finish()
    }
}

impl WebError {
    pub fn new(err: ServiceError, lang: Lang) -> WebError {
        WebError {
            err,
            lang,
            json: false,
            chrome: None,
        }
    }
    pub fn json(mut self) -> WebError {
        self.json = true;
        self
    }
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.err.code().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The localized sentence for an error.
pub fn message(err: &ServiceError, lang: Lang) -> String {
    match err {
        ServiceError::Domain(DomainError::Validation { field, rule, limit }) => {
            let field_name = t(lang, &format!("field.{field}"));
            let limit = limit.map(|l| l.to_string()).unwrap_or_default();
            tf(
                lang,
                &format!("validation.{rule}"),
                &[("field", field_name), ("limit", &limit)],
            )
        }
        ServiceError::Domain(DomainError::PrivilegeMissing {
            privilege,
            required,
            have,
        }) => tf(
            lang,
            "error.privilege_missing",
            &[
                (
                    "privilege",
                    t(lang, &format!("privilege.{}", privilege.key())),
                ),
                ("required", &required.to_string()),
                ("have", &have.to_string()),
            ],
        ),
        other => t(lang, &format!("error.{}", other.code().as_str())).to_string(),
    }
}

pub fn json_body(err: &ServiceError, lang: Lang) -> serde_json::Value {
    let mut v = serde_json::json!({ "error": err.code().as_str(), "message": message(err, lang) });
    match err {
        ServiceError::Domain(DomainError::Validation { field, rule, limit }) => {
            v["field"] = (*field).into();
            v["rule"] = (*rule).into();
            if let Some(l) = limit {
                v["limit"] = (*l).into();
            }
        }
        ServiceError::Domain(DomainError::PrivilegeMissing {
            privilege,
            required,
            have,
        }) => {
            v["privilege"] = privilege.key().into();
            v["required"] = (*required).into();
            v["have"] = (*have).into();
        }
        _ => {}
    }
    v
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if self.json {
            return (status, axum::Json(json_body(&self.err, self.lang))).into_response();
        }
        let mut page = ErrorPage::new(self.lang, status.as_u16(), message(&self.err, self.lang));
        if let Some(chrome) = self.chrome {
            page.chrome = *chrome;
        }
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message(&self.err, self.lang)).into_response(),
        }
    }
}

impl From<ErrorCode> for WebError {
    fn from(c: ErrorCode) -> Self {
        WebError::new(c.into(), Lang::En)
    }
}
