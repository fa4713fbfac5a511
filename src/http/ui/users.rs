//! `GET /users`, `POST /users` and `POST /users/{id}/disabled`: UI users (admin role). A new
//! user's generated password is shown once.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::users;
use crate::domain::password::{self, UserRole};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};

#[derive(serde::Deserialize)]
pub(super) struct CreateForm {
    csrf_token: String,
    email: String,
    role: String,
}

#[derive(serde::Deserialize)]
pub(super) struct DisableForm {
    csrf_token: String,
    disabled: String,
}

#[derive(Default)]
struct Notice {
    message: Option<String>,
    password: Option<String>,
    error: Option<String>,
    email: String,
}

async fn render(state: &AppState, session: &Session, notice: Notice) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let rows: Vec<_> = users::list(&mut conn)
        .await?
        .into_iter()
        .map(|u| minijinja::context! { id => u.id, email => u.email, role => u.role, created_at => u.created_at.format("%Y-%m-%d").to_string(), disabled => u.disabled_at.is_some(), me => u.id == session.user_id })
        .collect();
    let html = crate::templates::render(
        "users.html",
        minijinja::context! {
            title => "Users", nav => "users", user => session, csrf_token => &session.csrf_token, users => rows,
            message => notice.message, password => notice.password, error => notice.error, email => notice.email,
        },
    )?;
    Ok(page(html))
}

#[get("/users")]
pub(super) async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Admin)?;
    render(&state, &session, Notice::default()).await
}

#[post("/users")]
pub(super) async fn create(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let checked = password::normalize_email(&form.email)
        .and_then(|e| form.role.parse::<UserRole>().map(|r| (e, r)).map_err(|e| e.to_string()));
    let (email, role) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            let notice =
                Notice { error: Some(format!("Not created: {e}.")), email: form.email.clone(), ..Notice::default() };
            return render(&state, &session, notice).await;
        }
    };
    let secret = password::generate();
    let typed = secret.clone();
    let hash = web::block(move || password::hash(&typed))
        .await
        .map_err(|e| UiError::Internal(format!("hashing: {e}")))?
        .map_err(|e| UiError::Internal(format!("hashing: {e}")))?;
    let mut conn = state.pool.get().await?;
    let notice = if crate::users::create(&mut conn, &email, role, &hash, &format!("user:{}", session.email)).await? {
        Notice {
            message: Some(format!("Created {role} {email}. Give them this password now: it is not shown again.")),
            password: Some(secret),
            ..Notice::default()
        }
    } else {
        Notice { error: Some(format!("A user with e-mail {email} already exists.")), email, ..Notice::default() }
    };
    render(&state, &session, notice).await
}

#[post("/users/{id}/disabled")]
pub(super) async fn disable(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    form: web::Form<DisableForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let id = path.into_inner();
    let disabled = form.disabled == "true";
    if id == session.user_id && disabled {
        let notice = Notice { error: Some("You cannot disable yourself.".into()), ..Notice::default() };
        return render(&state, &session, notice).await;
    }
    let mut conn = state.pool.get().await?;
    let notice = if crate::users::set_disabled(&mut conn, id, disabled, &format!("user:{}", session.email)).await? {
        Notice {
            message: Some(if disabled { "User disabled; their sessions ended." } else { "User enabled." }.into()),
            ..Notice::default()
        }
    } else {
        Notice { error: Some(format!("There is no user {id}.")), ..Notice::default() }
    };
    render(&state, &session, notice).await
}
