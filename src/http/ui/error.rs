//! Errors of HTML pages: a redirect to the login page, or an error page (never JSON). Statuses
//! come from the error-code table (`crate::errors::Code`), and database errors are classified as
//! for the API: an outage is a 503 page with `Retry-After`, a bug a 500 page with the cause logged.

use crate::errors::{classify, classify_pool, with_causes, Code};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use std::fmt;

/// Why a page cannot be shown.
#[derive(Debug)]
pub enum UiError {
    /// Not logged in: go to the login page, then back to this path.
    Login(String),
    /// Logged in, but the role may not do this.
    Forbidden(String),
    /// No such thing.
    NotFound(String),
    /// A form that cannot be read (too large, malformed).
    BadRequest(String),
    /// A form that does not carry the session's CSRF token.
    Csrf,
    /// The database is out of reach for now (logged; the page asks to retry).
    Unavailable(String),
    /// Anything else (logged, not shown).
    Internal(String),
}

impl UiError {
    /// The error's code, which gives its status; `None` for the redirect to the login page.
    pub fn code(&self) -> Option<Code> {
        match self {
            UiError::Login(_) => None,
            UiError::Forbidden(_) | UiError::Csrf => Some(Code::Forbidden),
            UiError::NotFound(_) => Some(Code::NotFound),
            UiError::BadRequest(_) => Some(Code::InvalidBody),
            UiError::Unavailable(_) => Some(Code::Unavailable),
            UiError::Internal(_) => Some(Code::Internal),
        }
    }

    /// The error page's heading and message; logs the causes that are not shown.
    fn page(&self) -> (&'static str, String) {
        match self {
            UiError::Forbidden(m) => ("Not allowed", m.clone()),
            UiError::NotFound(m) => ("Not found", m.clone()),
            UiError::BadRequest(m) => ("The form could not be read", format!("{m}. Go back and try again.")),
            UiError::Csrf => {
                ("Form expired", "The form was stale or not sent by this site. Go back, reload and try again.".into())
            }
            UiError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "page unavailable");
                ("Try again shortly", "The database is unavailable for a moment; reload the page shortly.".into())
            }
            UiError::Login(_) | UiError::Internal(_) => {
                tracing::error!(error = %self, "page failed");
                ("Something went wrong", "The page could not be shown; the error has been logged.".into())
            }
        }
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UiError::Login(next) => write!(f, "login required for {next}"),
            UiError::Forbidden(m)
            | UiError::NotFound(m)
            | UiError::Internal(m)
            | UiError::BadRequest(m)
            | UiError::Unavailable(m) => f.write_str(m),
            UiError::Csrf => f.write_str("the form's security token is missing or stale"),
        }
    }
}

impl From<diesel::result::Error> for UiError {
    fn from(e: diesel::result::Error) -> Self {
        match classify(&e) {
            Code::NotFound => UiError::NotFound("There is no such record.".into()),
            Code::Unavailable => UiError::Unavailable(format!("database: {e}")),
            _ => UiError::Internal(format!("database: {}", with_causes(&e))),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for UiError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        match classify_pool(&e) {
            Code::Unavailable => UiError::Unavailable(format!("database pool: {e}")),
            _ => UiError::Internal(format!("database pool: {e}")),
        }
    }
}

impl From<crate::analysis::ReportError> for UiError {
    fn from(e: crate::analysis::ReportError) -> Self {
        match e {
            crate::analysis::ReportError::Pool(e) => e.into(),
            crate::analysis::ReportError::Database(e) => e.into(),
            crate::analysis::ReportError::Closed => UiError::Internal(format!("report: {e}")),
        }
    }
}

impl From<crate::changes::ChangeError> for UiError {
    fn from(e: crate::changes::ChangeError) -> Self {
        use crate::changes::ChangeError as E;
        match e {
            E::NotFound(_) => UiError::NotFound(e.to_string()),
            E::Taken(_) | E::Conflict | E::Refused(_) => UiError::Forbidden(e.to_string()),
            E::Database(e) => e.into(),
        }
    }
}

impl From<minijinja::Error> for UiError {
    fn from(e: minijinja::Error) -> Self {
        UiError::Internal(format!("template: {e}"))
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        self.code().map_or(StatusCode::SEE_OTHER, Code::status)
    }

    fn error_response(&self) -> HttpResponse {
        if let UiError::Login(next) = self {
            let target = format!("/login?next={}", super::encode_component(next));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        }
        let (heading, message) = self.page();
        let context = minijinja::context! { title => heading, heading, message };
        let body = crate::templates::render("error.html", context).unwrap_or_else(|_| message.clone());
        let mut response = super::with_headers(HttpResponse::build(self.status_code()));
        if self.code() == Some(Code::Unavailable) {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.content_type("text/html; charset=utf-8").body(body)
    }
}
