//! Path parameters checked before a handler runs, so that what reaches PostgreSQL is text it
//! accepts (a NUL byte in a query parameter is a database error, which would be a 500).

use crate::errors::{ApiError, Code};
use crate::http::ui::error::UiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, ResponseError};
use std::future::{ready, Ready};
use std::marker::PhantomData;

/// Longest `{key}` accepted, in bytes. Keys are at most 63 characters when created
/// (`crate::domain::experiment::is_valid_key`); the rest is headroom, not a second key grammar.
pub const MAX_KEY_BYTES: usize = 200;

/// The `{key}` of an experiment route: text without control characters (NUL included) and at most
/// [`MAX_KEY_BYTES`]. Such a key names no experiment, so it is answered as one that does not
/// exist (404) in the route's own way, `E`: the JSON envelope for the API ([`ApiError`], the
/// default) or the HTML page for the UI ([`UiError`]). A 404 rather than a 422 because a client
/// cannot tell a malformed key from an unknown one any better than the service can.
pub struct ExperimentKey<E = ApiError> {
    key: String,
    answer: PhantomData<fn() -> E>,
}

/// A `{key}` that cannot name an experiment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("There is no experiment with this key: a key has no control characters and at most {MAX_KEY_BYTES} bytes.")]
pub struct BadKey;

impl<E> ExperimentKey<E> {
    /// Checks a decoded path segment.
    pub fn parse(key: String) -> Result<Self, BadKey> {
        if key.len() > MAX_KEY_BYTES || key.chars().any(char::is_control) {
            return Err(BadKey);
        }
        Ok(ExperimentKey { key, answer: PhantomData })
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.key
    }
}

impl<E> std::ops::Deref for ExperimentKey<E> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.key
    }
}

impl<E> std::fmt::Display for ExperimentKey<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)
    }
}

/// As the key's text (`{key:?}` in messages quotes it).
impl<E> std::fmt::Debug for ExperimentKey<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.key, f)
    }
}

impl From<BadKey> for ApiError {
    fn from(e: BadKey) -> Self {
        ApiError::new(Code::NotFound, e.to_string())
    }
}

impl From<BadKey> for UiError {
    fn from(e: BadKey) -> Self {
        UiError::NotFound(e.to_string())
    }
}

/// The route's `{key}` segment, percent-decoded as `web::Path` decodes it.
#[derive(serde::Deserialize)]
struct KeySegment {
    key: String,
}

impl<E: From<BadKey> + ResponseError + 'static> FromRequest for ExperimentKey<E> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A route without `{key}` is a programming error; it still answers 404, never a 500.
        let key = req.match_info().load::<KeySegment>().map_err(|_| BadKey).and_then(|s| Self::parse(s.key));
        ready(key.map_err(|bad| E::from(bad).into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_without_control_characters_and_not_too_long_pass() {
        let parse = |s: &str| ExperimentKey::<ApiError>::parse(s.to_string()).map(|k| k.to_string());
        assert_eq!(parse("welcome-offer"), Ok("welcome-offer".into()));
        assert_eq!(parse("Ünïcode ok"), Ok("Ünïcode ok".into()));
        assert_eq!(parse(&"k".repeat(MAX_KEY_BYTES)).map(|k| k.len()), Ok(MAX_KEY_BYTES));
        for bad in ["a\0b".to_string(), "\u{1}".into(), "\u{7f}".into(), "a\nb".into(), "k".repeat(MAX_KEY_BYTES + 1)] {
            assert_eq!(parse(&bad), Err(BadKey), "{bad:?}");
        }
        let answer = ApiError::from(BadKey);
        assert_eq!((answer.status().as_u16(), answer.code), (404, Code::NotFound));
        assert_eq!(UiError::from(BadKey).code(), Some(Code::NotFound));
    }
}
