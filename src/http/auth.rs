//! API-key authentication for `/api/v1`: `Authorization: Bearer <token>`.
//!
//! Storefront keys may call the storefront endpoints (assignments, events); admin keys may call
//! everything. UI sessions are separate and never accepted here.

use crate::db::models::api_keys;
use crate::domain::key::{self, KeyRole};
use crate::errors::{ApiError, Code};
use crate::state::AppState;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::{ready, Either, LocalBoxFuture, Ready};
use std::future::Future;
use std::pin::Pin;

/// The key a request authenticated with.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// Key id.
    pub id: i64,
    /// Key label (the event `source`, and the audit actor `key:<name>`).
    pub name: String,
    /// What it may do.
    pub role: KeyRole,
}

/// An [`ApiKey`] with the admin role (403 otherwise).
#[derive(Debug, Clone)]
pub struct AdminKey(pub ApiKey);

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = Either<Ready<Result<Self, Self::Error>>, LocalBoxFuture<'static, Result<Self, Self::Error>>>;

    /// A key the in-memory table knows (every key but one created a moment ago) is found without
    /// waiting: the extractor is then ready at once, with no boxed future.
    /// While the demo fills its history, the demo key's id is also left in the request's
    /// extensions ([`QuietKey`]), so that the request log can keep its lines below `info`.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = match bearer_token(req) {
            Ok(token) => token,
            Err(e) => return Either::Left(ready(Err(e))),
        };
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return Either::Left(ready(Err(ApiError::internal("application state missing"))));
        };
        let quiet = |request: &HttpRequest, key: &ApiKey| {
            if state.quiet_key() == Some(key.id) {
                request.extensions_mut().insert(QuietKey);
            }
        };
        if let Some(known) = state.cache.snapshot().key(&token) {
            let key = ApiKey { id: known.id, name: known.name.clone(), role: known.role };
            quiet(req, &key);
            return Either::Left(ready(Ok(key)));
        }
        let request = req.clone();
        Either::Right(Box::pin(async move {
            let key = look_up(token, &state).await?;
            if state.quiet_key() == Some(key.id) {
                request.extensions_mut().insert(QuietKey);
            }
            Ok(key)
        }))
    }
}

/// Marks a request made with the key whose requests are logged at debug level only.
#[derive(Debug, Clone, Copy)]
pub struct QuietKey;

/// The active key of a token the in-memory key table does not know (yet): the key table is
/// refreshed on every change, so the database is asked only about a key created a moment ago, and
/// only as often as the miss limiter allows. Keys are found by their prefix and the token's digest
/// is compared in constant time.
async fn look_up(token: String, state: &AppState) -> Result<ApiKey, ApiError> {
    if let Some(known) = state.cache.snapshot().key(&token) {
        return Ok(ApiKey { id: known.id, name: known.name.clone(), role: known.role });
    }
    let invalid = || ApiError::new(Code::Unauthorized, "The API key is not valid (unknown or revoked).");
    if key::prefix(&token).is_none() || !state.key_misses.allow() {
        return Err(invalid());
    }
    let mut conn = state.pool.get().await?;
    let found = api_keys::find_active(&mut conn, &token).await?.ok_or_else(invalid)?;
    Ok(ApiKey { id: found.id, name: found.name, role: found.role })
}

impl FromRequest for AdminKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = ApiKey::from_request(req, payload);
        Box::pin(async move {
            let key = key.await?;
            if key.role != KeyRole::Admin {
                return Err(ApiError::new(
                    Code::Forbidden,
                    "This endpoint needs an admin key; a storefront key may only send assignments and events.",
                ));
            }
            Ok(AdminKey(key))
        })
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::new(Code::Unauthorized, "Send an API key as `Authorization: Bearer <token>`."))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::new(Code::Unauthorized, "The Authorization header is not readable text."))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() && token.len() <= 200 =>
        {
            Ok(token.trim().to_string())
        }
        _ => Err(ApiError::new(Code::Unauthorized, "The Authorization header must be `Bearer <token>`.")),
    }
}
