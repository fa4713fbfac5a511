//! The HTTP error policy.
//!
//! - Every error response is one JSON envelope: `{"error": {"code", "message", "details"}}`
//!   (CONTRACT §4), with a stable snake_case `code` that clients can branch on and a curated
//!   human `message`. `details` lists per-field problems (e.g. each invalid event by index).
//! - Handlers return `Result<_, ApiError>`. Query functions return diesel's `QueryResult`; the
//!   conversion below maps "not found" to 404, pool exhaustion and lost connections to 503 with
//!   `Retry-After`, and everything else to 500.
//! - A database error's text never reaches a response: it is logged once, here, with the
//!   request's span, and the client gets a generic message.
//! - Outside requests (CLI, startup) errors are `anyhow` with context.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// An error returned to an HTTP client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
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
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: Vec::new() }
    }

    /// Adds per-item details.
    pub fn with_details(mut self, details: Vec<Value>) -> ApiError {
        self.details = details;
        self
    }

    /// 400: the request cannot be read.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: valid credentials that may not do this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 422: well-formed but invalid.
    pub fn unprocessable(message: impl Into<String>, details: Vec<Value>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message).with_details(details)
    }

    /// 503: try again later.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500, with the cause logged (not sent).
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side; it has been logged.",
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.json(Envelope { error: Body { code: self.code, message: &self.message, details: &self.details } })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::Error;
        match e {
            Error::NotFound => ApiError::not_found("Not found."),
            Error::DatabaseError(diesel::result::DatabaseErrorKind::SerializationFailure, _) => {
                tracing::warn!(error = %e, "transaction conflict");
                ApiError::unavailable("A concurrent change conflicted; nothing was stored. Retry the request.")
            }
            Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, ref info)
                if info.message().contains("deadlock detected") =>
            {
                tracing::warn!(error = %e, "deadlock");
                ApiError::unavailable("A concurrent change conflicted; nothing was stored. Retry the request.")
            }
            Error::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, _) => {
                tracing::warn!(error = %e, "database connection lost");
                ApiError::unavailable("The database is unavailable; try again shortly.")
            }
            Error::DatabaseError(_, ref info) if out_of_reach(info.message()) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::unavailable("The database is unavailable; try again shortly.")
            }
            other => ApiError::internal(other),
        }
    }
}

pub use crate::db::outage::out_of_reach;

impl From<crate::analysis::ReportError> for ApiError {
    fn from(e: crate::analysis::ReportError) -> Self {
        match e {
            crate::analysis::ReportError::Pool(e) => e.into(),
            crate::analysis::ReportError::Database(e) => e.into(),
            crate::analysis::ReportError::Closed => ApiError::internal("the service is shutting down"),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection");
        ApiError::unavailable("The database is unavailable; try again shortly.")
    }
}

/// Turns actix's extractor errors (bad JSON, wrong content type, body too large, bad path or
/// query) into the envelope.
pub fn from_json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large.")
        }
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        E::Deserialize(e) if e.is_data() => {
            ApiError::unprocessable(format!("The JSON does not have the expected shape: {e}"), vec![])
        }
        E::Deserialize(e) => ApiError::bad_request("invalid_json", format!("The body is not valid JSON: {e}")),
        _ => ApiError::bad_request("invalid_body", format!("The body could not be read: {err}")),
    }
}
