//! `POST /logout`: ends the session (CSRF-protected).

use super::error::UiError;
use super::session::{Session, COOKIE};
use super::with_headers;
use crate::db::models::sessions;
use crate::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{post, web, HttpResponse};

#[derive(serde::Deserialize)]
pub(super) struct LogoutForm {
    csrf_token: String,
}

#[post("/logout")]
pub(super) async fn logout(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    let mut conn = state.pool.get().await?;
    sessions::delete(&mut conn, &session.token_hash).await?;
    let mut removal = Cookie::build(COOKIE, "").path("/").finish();
    removal.make_removal();
    Ok(with_headers(HttpResponse::SeeOther()).insert_header((header::LOCATION, "/login")).cookie(removal).finish())
}
