//! Errors of HTML pages: a redirect to the login page, or an error page (never JSON).

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
    /// Anything else (logged, not shown).
    Internal(String),
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UiError::Login(next) => write!(f, "login required for {next}"),
            UiError::Forbidden(m) | UiError::NotFound(m) | UiError::Internal(m) | UiError::BadRequest(m) => {
                f.write_str(m)
            }
            UiError::Csrf => f.write_str("the form's security token is missing or stale"),
        }
    }
}

impl From<diesel::result::Error> for UiError {
    fn from(e: diesel::result::Error) -> Self {
        UiError::Internal(format!("database: {e}"))
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for UiError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        UiError::Internal(format!("database pool: {e}"))
    }
}

impl From<crate::analysis::ReportError> for UiError {
    fn from(e: crate::analysis::ReportError) -> Self {
        UiError::Internal(format!("report: {e}"))
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
        match self {
            UiError::Login(_) => StatusCode::SEE_OTHER,
            UiError::Forbidden(_) | UiError::Csrf => StatusCode::FORBIDDEN,
            UiError::NotFound(_) => StatusCode::NOT_FOUND,
            UiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            UiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let UiError::Login(next) = self {
            let target = format!("/login?next={}", super::encode_component(next));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        }
        let (heading, message) = match self {
            UiError::Forbidden(m) => ("Not allowed", m.clone()),
            UiError::NotFound(m) => ("Not found", m.clone()),
            UiError::BadRequest(m) => ("The form could not be read", format!("{m}. Go back and try again.")),
            UiError::Csrf => {
                ("Form expired", "The form was stale or not sent by this site. Go back, reload and try again.".into())
            }
            _ => {
                tracing::error!(error = %self, "page failed");
                ("Something went wrong", "The page could not be shown; the error has been logged.".into())
            }
        };
        let context = minijinja::context! { title => heading, heading, message };
        let body = crate::templates::render("error.html", context).unwrap_or_else(|_| message.clone());
        super::with_headers(HttpResponse::build(self.status_code())).content_type("text/html; charset=utf-8").body(body)
    }
}
