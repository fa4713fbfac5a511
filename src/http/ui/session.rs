//! The signed-in UI user, from the session cookie; sessions live in PostgreSQL and are separate
//! from API keys.

use super::error::UiError;
use crate::db::models::sessions;
use crate::domain::key;
use crate::domain::password::UserRole;
use crate::state::AppState;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The session cookie's name.
pub const COOKIE: &str = "stagelab_session";

/// A signed-in user.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    /// User id.
    #[serde(skip)]
    pub user_id: i64,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: UserRole,
    /// The token this session's forms must carry.
    #[serde(skip)]
    pub csrf_token: String,
    /// Digest of the cookie token (for logout).
    #[serde(skip)]
    pub token_hash: String,
}

impl Session {
    /// Fails with 403 unless the role is at least `needed` (admin > editor > viewer).
    pub fn require(&self, needed: UserRole) -> Result<(), UiError> {
        let rank = |r: UserRole| match r {
            UserRole::Viewer => 0,
            UserRole::Editor => 1,
            UserRole::Admin => 2,
        };
        if rank(self.role) >= rank(needed) {
            Ok(())
        } else {
            Err(UiError::Forbidden(format!("This needs the {needed} role; you are signed in as a {}.", self.role)))
        }
    }

    /// Fails unless `sent` is this session's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        if crate::domain::session::constant_time_eq(sent, &self.csrf_token) {
            Ok(())
        } else {
            Err(UiError::Csrf)
        }
    }
}

impl FromRequest for Session {
    type Error = UiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req.cookie(COOKIE).map(|c| c.value().to_string());
        let next = req.uri().path_and_query().map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.filter(|t| !t.is_empty() && t.len() <= 128).ok_or(UiError::Login(next.clone()))?;
            let state = state.ok_or_else(|| UiError::Internal("application state missing".into()))?;
            let hash = key::hash(&token);
            let mut conn = state.pool.get().await?;
            let (user, csrf_token) =
                sessions::find_valid(&mut conn, &hash, chrono::Utc::now()).await?.ok_or(UiError::Login(next))?;
            let role = user.role;
            Ok(Session { user_id: user.id, email: user.email, role, csrf_token, token_hash: hash })
        })
    }
}
