//! The HTTP error policy.
//!
//! - Every error the service answers with has a [`Code`]: one table below gives each code its HTTP
//!   status and default message. API handlers answer with [`ApiError`] (a code, a message and
//!   details); the UI's error pages (`crate::http::ui::error::UiError`) take their statuses from
//!   the same table.
//! - Every API error response is one JSON envelope: `{"error": {"code", "message", "details"}}`
//!   (CONTRACT §4), with the code's stable snake_case name that clients can branch on and a curated
//!   human `message`. `details` lists per-field problems (e.g. each invalid event by index).
//! - Query functions return diesel's `QueryResult`; errors keep their cause until a handler turns
//!   them into an answer, and [`classify`] decides what a database error means for the client:
//!   "not found" is 404, a lost or unreachable database and a transaction conflict are 503 with
//!   `Retry-After` (the client may retry), anything else is 500.
//! - A cause's text never reaches a response: it is logged once, where the error is turned into
//!   an answer (at `warn` for a transient outage, `error` for a 500), with the request's span, and
//!   the client gets the curated message.
//! - Outside requests (CLI, startup) errors are `anyhow` with context.

mod code;
mod json;

pub use code::Code;
pub use json::from_json_error;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::Error as DbError;
use diesel_async::pooled_connection::deadpool::PoolError;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// An error returned to an HTTP client: its status is its code's.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Stable machine-readable code (and so the HTTP status).
    pub code: Code,
    /// Human sentence.
    pub message: String,
    /// Per-item problems.
    pub details: Vec<Value>,
}

/// The JSON body of every error response (CONTRACT §4); `ErrorEnvelope` in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorEnvelope)]
pub struct Envelope<'a> {
    /// The error.
    pub error: Body<'a>,
}

/// The inside of [`Envelope`]; `ErrorBody` in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
pub struct Body<'a> {
    /// Stable snake_case code that clients can branch on (`unauthorized`, `validation_failed`, …).
    #[schema(value_type = String)]
    pub code: &'a str,
    /// A human sentence.
    #[schema(value_type = String)]
    pub message: &'a str,
    /// Per-item problems (e.g. each invalid event by `index`, `field`, `reason`, `message`); may be empty.
    #[schema(value_type = Vec<Object>)]
    pub details: &'a [Value],
}

impl ApiError {
    /// An error with a code and a message that says what is wrong with this request.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), details: Vec::new() }
    }

    /// An error with the code's default message.
    pub fn of(code: Code) -> ApiError {
        ApiError::new(code, code.message())
    }

    /// Adds per-item details.
    pub fn with_details(mut self, details: Vec<Value>) -> ApiError {
        self.details = details;
        self
    }

    /// 500, with the cause logged (not sent).
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::of(Code::Internal)
    }

    /// The HTTP status (the code's).
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status().as_u16(), self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        let body = Body { code: self.code.as_str(), message: &self.message, details: &self.details };
        response.json(Envelope { error: body })
    }
}

/// What a database error means for the client: [`Code::NotFound`] for a missing row,
/// [`Code::Unavailable`] when retrying can succeed (the database is out of reach, or the
/// transaction lost a conflict), else [`Code::Internal`]. For callers that carry database errors
/// of their own and must answer for them.
pub fn classify(e: &DbError) -> Code {
    match e {
        DbError::NotFound => Code::NotFound,
        _ if is_conflict(e) || is_outage(e) => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// What failing to get a pooled connection means: [`Code::Unavailable`] when the database cannot
/// be reached in time (or the pool is closing), [`Code::Internal`] for a misconfigured pool.
pub fn classify_pool(e: &PoolError) -> Code {
    match e {
        PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => Code::Unavailable,
        PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => Code::Internal,
    }
}

use crate::db::outage::{is_conflict, is_outage};

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match classify(&e) {
            Code::NotFound => ApiError::new(Code::NotFound, "Not found."),
            Code::Unavailable if is_conflict(&e) => {
                tracing::warn!(error = %e, "transaction conflict");
                ApiError::new(
                    Code::Unavailable,
                    "A concurrent change conflicted; nothing was stored. Retry the request.",
                )
            }
            Code::Unavailable => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::of(Code::Unavailable)
            }
            _ => ApiError::internal(with_causes(&e)),
        }
    }
}

pub use crate::telemetry::with_causes;

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        match classify_pool(&e) {
            Code::Unavailable => {
                tracing::warn!(error = %e, "no database connection");
                ApiError::of(Code::Unavailable)
            }
            _ => ApiError::internal(e),
        }
    }
}

impl From<crate::analysis::ReportError> for ApiError {
    fn from(e: crate::analysis::ReportError) -> Self {
        match e {
            crate::analysis::ReportError::Pool(e) => e.into(),
            crate::analysis::ReportError::Database(e) => e.into(),
            crate::analysis::ReportError::Closed => ApiError::internal("the service is shutting down"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::DatabaseErrorInformation;
    use diesel::result::DatabaseErrorKind;

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn db(kind: DatabaseErrorKind, message: &'static str) -> DbError {
        DbError::DatabaseError(kind, Box::new(Info(message)))
    }

    #[test]
    fn database_errors_are_classified() {
        use DatabaseErrorKind as K;
        assert_eq!(classify(&DbError::NotFound), Code::NotFound);
        assert_eq!(classify(&db(K::SerializationFailure, "could not serialize access")), Code::Unavailable);
        assert_eq!(classify(&db(K::Unknown, "deadlock detected")), Code::Unavailable);
        assert_eq!(classify(&db(K::ClosedConnection, "server closed the connection")), Code::Unavailable);
        assert_eq!(classify(&db(K::Unknown, "FATAL: the database system is shutting down")), Code::Unavailable);
        assert_eq!(classify(&db(K::UniqueViolation, "duplicate key value")), Code::Internal);
        assert_eq!(classify(&DbError::DeserializationError("unknown key role".into())), Code::Internal);
        let timeout = PoolError::Timeout(deadpool::managed::TimeoutType::Wait);
        assert_eq!(classify_pool(&timeout), Code::Unavailable);
        assert_eq!(classify_pool(&PoolError::NoRuntimeSpecified), Code::Internal);
    }

    #[test]
    fn conflicts_and_outages_answer_503_with_retry_after() {
        let conflict = ApiError::from(db(DatabaseErrorKind::SerializationFailure, "could not serialize access"));
        assert_eq!((conflict.status().as_u16(), conflict.code.as_str()), (503, "unavailable"));
        assert!(conflict.message.contains("conflicted"));
        let response = conflict.error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let bug = ApiError::from(db(DatabaseErrorKind::UniqueViolation, "duplicate key value"));
        assert_eq!((bug.status().as_u16(), bug.code.as_str()), (500, "internal"));
        assert!(!bug.message.contains("duplicate"), "the cause is logged, not sent");
        assert!(bug.error_response().headers().get(header::RETRY_AFTER).is_none());
    }
}
