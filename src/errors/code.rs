//! The error-code table: every code the service answers with, its HTTP status and its default
//! message. The names are part of the public interface (CONTRACT §4): clients branch on them.

use actix_web::http::StatusCode;

/// A stable, machine-readable error code; its snake_case name is the envelope's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::Display, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Code {
    /// No valid credentials (API key or session).
    Unauthorized,
    /// Valid credentials whose role may not do this (also a stale CSRF token on a form).
    Forbidden,
    /// No such route, experiment or record, or a path parameter that cannot name one.
    NotFound,
    /// Well-formed but invalid: `details` lists every problem.
    ValidationFailed,
    /// The body is not JSON.
    InvalidJson,
    /// The body could not be read (or a UI form could not be decoded).
    InvalidBody,
    /// A path parameter could not be read.
    InvalidPath,
    /// The query string could not be read.
    InvalidQuery,
    /// The body is over the size limit.
    PayloadTooLarge,
    /// The body is not sent as JSON.
    UnsupportedMediaType,
    /// A batch has more items than one request may carry.
    BatchTooLarge,
    /// Too much work is queued; retry shortly (with `Retry-After`).
    Overloaded,
    /// The database is out of reach or a transaction conflicted; retry shortly (with `Retry-After`).
    Unavailable,
    /// A bug or an unexpected failure; the cause is logged, never sent.
    Internal,
}

impl Code {
    /// The code as sent, e.g. `validation_failed`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The HTTP status of an answer with this code.
    pub fn status(self) -> StatusCode {
        self.entry().0
    }

    /// The message sent when the situation needs no more precise one.
    pub fn message(self) -> &'static str {
        self.entry().1
    }

    /// The table.
    fn entry(self) -> (StatusCode, &'static str) {
        match self {
            Code::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "Send a valid API key as `Authorization: Bearer <token>`.")
            }
            Code::Forbidden => (StatusCode::FORBIDDEN, "These credentials may not do this."),
            Code::NotFound => (StatusCode::NOT_FOUND, "Not found."),
            Code::ValidationFailed => (StatusCode::UNPROCESSABLE_ENTITY, "The request is invalid."),
            Code::InvalidJson => (StatusCode::BAD_REQUEST, "The body is not valid JSON."),
            Code::InvalidBody => (StatusCode::BAD_REQUEST, "The body could not be read."),
            Code::InvalidPath => (StatusCode::BAD_REQUEST, "The path could not be read."),
            Code::InvalidQuery => (StatusCode::BAD_REQUEST, "The query string could not be read."),
            Code::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."),
            Code::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send the body as JSON with Content-Type: application/json.")
            }
            Code::BatchTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "The batch is too large; split it."),
            Code::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "The service is overloaded; retry shortly."),
            Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable; try again shortly."),
            Code::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side; it has been logged.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;
    use strum::IntoEnumIterator;

    /// The codes and statuses clients rely on (CONTRACT §4): a change here breaks them.
    #[test]
    fn codes_and_statuses_are_stable() {
        let table: Vec<(&str, u16)> = Code::iter().map(|c| (c.as_str(), c.status().as_u16())).collect();
        assert_eq!(
            table,
            [
                ("unauthorized", 401),
                ("forbidden", 403),
                ("not_found", 404),
                ("validation_failed", 422),
                ("invalid_json", 400),
                ("invalid_body", 400),
                ("invalid_path", 400),
                ("invalid_query", 400),
                ("payload_too_large", 413),
                ("unsupported_media_type", 415),
                ("batch_too_large", 413),
                ("overloaded", 503),
                ("unavailable", 503),
                ("internal", 500),
            ]
        );
        assert!(Code::iter().all(|c| c.message().ends_with('.') && c.to_string() == c.as_str()));
    }
}
