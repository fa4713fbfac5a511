//! `GET /login` and `POST /login`: e-mail and password (argon2), rate-limited; a new session
//! cookie (HttpOnly, SameSite=Strict) on success.

use super::error::UiError;
use super::session::COOKIE;
use super::{safe_next, with_headers};
use crate::db::models::{sessions, users};
use crate::domain::{key, password, session};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use std::sync::LazyLock;
use std::time::Instant;

/// The login form's double-submit CSRF cookie (there is no session yet).
const CSRF_COOKIE: &str = "stagelab_login_csrf";

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: String,
}

fn cookie(name: &str, value: String, req: &HttpRequest) -> Cookie<'static> {
    Cookie::build(name.to_string(), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .finish()
}

fn form_page(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, UiError> {
    let csrf = session::random_token();
    let html = crate::templates::render(
        "login.html",
        minijinja::context! { title => "Log in", csrf_token => &csrf, next => safe_next(next), email, error },
    )?;
    Ok(with_headers(HttpResponse::build(status))
        .cookie(cookie(CSRF_COOKIE, csrf, req))
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[get("/login")]
pub(super) async fn show(req: HttpRequest, query: web::Query<Next>) -> Result<HttpResponse, UiError> {
    form_page(&req, actix_web::http::StatusCode::OK, query.next.as_deref().unwrap_or("/"), "", None)
}

#[post("/login")]
pub(super) async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Form<LoginForm>,
) -> Result<HttpResponse, UiError> {
    let form = body.into_inner();
    let sent_cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if sent_cookie.is_empty() || !session::constant_time_eq(&sent_cookie, &form.csrf_token) {
        return Err(UiError::Csrf);
    }
    let email = password::normalize_email(&form.email).unwrap_or_else(|_| form.email.trim().to_lowercase());
    let ip = req.peer_addr().map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let keys = [format!("ip:{ip}"), format!("email:{email}")];
    let now = Instant::now();
    let unauthorized = actix_web::http::StatusCode::UNAUTHORIZED;
    if state.login_limit.blocked(&keys, now) {
        let message = "Too many failed attempts. Wait 15 minutes and try again.";
        return form_page(&req, actix_web::http::StatusCode::TOO_MANY_REQUESTS, &form.next, &email, Some(message));
    }
    // Count the attempt before verifying, so that parallel guesses count too.
    state.login_limit.fail(&keys, now);
    let mut conn = state.pool.get().await?;
    let user = users::find_by_email(&mut conn, &email).await?;
    // Verify against a fixed hash when the user does not exist, so timing does not tell. argon2
    // is slow on purpose: it runs on the blocking pool, not on the request workers.
    let stored = user.as_ref().map_or_else(|| DUMMY_HASH.clone(), |u| u.password_hash.clone());
    let typed = form.password.clone();
    let password_ok = web::block(move || password::verify(&typed, &stored))
        .await
        .map_err(|e| UiError::Internal(format!("password check: {e}")))?;
    let user = match user {
        Some(u) if password_ok && u.disabled_at.is_none() => u,
        _ => {
            tracing::info!(%email, %ip, "failed login");
            return form_page(&req, unauthorized, &form.next, &email, Some("Wrong e-mail or password."));
        }
    };
    state.login_limit.succeed(&keys[0], &keys[1]);
    let token = session::random_token();
    let csrf = session::random_token();
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(session::LIFETIME_HOURS);
    let hash = key::hash(&token);
    sessions::insert(
        &mut conn,
        &sessions::NewSession { token_hash: &hash, user_id: user.id, csrf_token: &csrf, expires_at },
    )
    .await?;
    // Now and then, clear out expired sessions.
    if rand::random::<u8>() == 0 {
        sessions::delete_expired(&mut conn, chrono::Utc::now()).await?;
    }
    tracing::info!(email = %user.email, "login");
    let mut remove = cookie(CSRF_COOKIE, String::new(), &req);
    remove.make_removal();
    Ok(with_headers(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, safe_next(&form.next).to_string()))
        .cookie(cookie(COOKIE, token, &req))
        .cookie(remove)
        .finish())
}

/// An argon2 hash of a random password, verified against when the e-mail is unknown.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| password::hash(&password::generate()).unwrap_or_default());
