//! One error type for every refusal a user can meet, with stable codes.
//!
//! The code (`snake_case`) is what the JSON API returns and what the message
//! catalogue keys on (`error.<code>`); the HTTP status is derived here so the
//! pages and the API agree.

use crate::privileges::Privilege;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    PrivilegeMissing,
    NotFound,
    Unauthenticated,
    NotActivated,
    Forbidden,
    OwnPost,
    NotQuestionOwner,
    AnswerNotOfQuestion,
    Conflict,
    CsrfInvalid,
    RateLimited,
    PayloadTooLarge,
    InvalidCredentials,
    TokenInvalid,
    Deleted,
    AlreadyReviewed,
    ItemDecided,
    ReviewLimit,
    AlreadyFlagged,
    NotEligible,
    Closed,
    Locked,
    Suspended,
    CapabilityBlocked,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "validation",
            ErrorCode::PrivilegeMissing => "privilege_missing",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::NotActivated => "not_activated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::OwnPost => "own_post",
            ErrorCode::NotQuestionOwner => "not_question_owner",
            ErrorCode::AnswerNotOfQuestion => "answer_not_of_question",
            ErrorCode::Conflict => "conflict",
            ErrorCode::CsrfInvalid => "csrf_invalid",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::TokenInvalid => "token_invalid",
            ErrorCode::Deleted => "deleted",
            ErrorCode::AlreadyReviewed => "already_reviewed",
            ErrorCode::ItemDecided => "item_decided",
            ErrorCode::ReviewLimit => "review_limit",
            ErrorCode::AlreadyFlagged => "already_flagged",
            ErrorCode::NotEligible => "not_eligible",
            ErrorCode::Closed => "closed",
            ErrorCode::Locked => "locked",
            ErrorCode::Suspended => "suspended",
            ErrorCode::CapabilityBlocked => "capability_blocked",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation | ErrorCode::AnswerNotOfQuestion | ErrorCode::TokenInvalid => 400,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::PrivilegeMissing
            | ErrorCode::Forbidden
            | ErrorCode::OwnPost
            | ErrorCode::NotQuestionOwner
            | ErrorCode::NotActivated
            | ErrorCode::CsrfInvalid
            | ErrorCode::Suspended
            | ErrorCode::CapabilityBlocked => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict
            | ErrorCode::AlreadyReviewed
            | ErrorCode::ItemDecided
            | ErrorCode::AlreadyFlagged
            | ErrorCode::NotEligible
            | ErrorCode::Closed
            | ErrorCode::Locked => 409,
            ErrorCode::Deleted => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited | ErrorCode::ReviewLimit => 429,
            ErrorCode::Internal => 500,
        }
    }
}

/// A refusal, with what the message needs to be specific.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// `field` names the form field; `rule` is a catalogue key suffix
    /// (`validation.<rule>`) and `limit` the number it talks about, if any.
    #[error("invalid {field}: {rule}")]
    Validation {
        field: &'static str,
        rule: &'static str,
        limit: Option<i64>,
    },
    #[error("privilege {privilege:?} needs {required} reputation, you have {have}")]
    PrivilegeMissing {
        privilege: Privilege,
        required: i64,
        have: i64,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{}", .0.as_str())]
    Other(ErrorCode),
}

impl DomainError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::Validation { .. } => ErrorCode::Validation,
            DomainError::PrivilegeMissing { .. } => ErrorCode::PrivilegeMissing,
            DomainError::NotFound(_) => ErrorCode::NotFound,
            DomainError::Other(c) => *c,
        }
    }

    pub fn validation(field: &'static str, rule: &'static str, limit: Option<i64>) -> Self {
        DomainError::Validation { field, rule, limit }
    }
}

impl From<ErrorCode> for DomainError {
    fn from(c: ErrorCode) -> Self {
        DomainError::Other(c)
    }
}
