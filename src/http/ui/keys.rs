//! `GET /keys`, `POST /keys` and `POST /keys/{id}/revoke`: API keys (admin role). A new key's
//! token is shown once, on the page that created it.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::api_keys;
use crate::domain::key::KeyRole;
use crate::domain::password::UserRole;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};

#[derive(serde::Deserialize)]
pub(super) struct CreateForm {
    csrf_token: String,
    name: String,
    role: String,
}

#[derive(serde::Deserialize)]
pub(super) struct RevokeForm {
    csrf_token: String,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Notice<'a> {
    token: Option<&'a str>,
    message: Option<String>,
    error: Option<String>,
    name: &'a str,
}

async fn render(state: &AppState, session: &Session, notice: Notice<'_>) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let keys = api_keys::list(&mut conn).await?;
    let html = crate::templates::render(
        "keys.html",
        minijinja::context! {
            title => "API keys", nav => "keys", user => session, csrf_token => &session.csrf_token, keys,
            token => notice.token, message => notice.message, error => notice.error, name => notice.name,
        },
    )?;
    Ok(page(html))
}

#[get("/keys")]
pub(super) async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Admin)?;
    render(&state, &session, Notice::default()).await
}

#[post("/keys")]
pub(super) async fn create(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let role = form.role.parse::<KeyRole>().map_err(|e| e.to_string());
    let (name, role) = match (crate::keys::validate_name(&form.name), role) {
        (Ok(name), Ok(role)) => (name, role),
        (Err(e), _) | (_, Err(e)) => {
            let notice = Notice { error: Some(format!("Not created: {e}.")), name: &form.name, ..Notice::default() };
            return render(&state, &session, notice).await;
        }
    };
    let mut conn = state.pool.get().await?;
    let (stored, token) = crate::keys::create(&mut conn, name, role, &format!("user:{}", session.email)).await?;
    let message =
        Some(format!("Key {:?} ({}) created. Copy its token now: it is not shown again.", stored.name, stored.role));
    render(&state, &session, Notice { token: Some(&token), message, ..Notice::default() }).await
}

#[post("/keys/{id}/revoke")]
pub(super) async fn revoke(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let id = path.into_inner();
    let mut conn = state.pool.get().await?;
    let notice = if crate::keys::revoke(&mut conn, id, &format!("user:{}", session.email)).await? {
        Notice { message: Some(format!("Key {id} revoked.")), ..Notice::default() }
    } else {
        Notice { error: Some(format!("There is no active key {id}.")), ..Notice::default() }
    };
    render(&state, &session, notice).await
}
