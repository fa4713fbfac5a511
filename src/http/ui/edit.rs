//! Creating and editing experiments in the UI (editor role): `GET`/`POST /experiments/new`
//! (`?from=KEY` clones), `GET`/`POST /experiments/{key}/edit`, and `GET
//! /experiments/{key}/export.toml` (the file for `experiments/`).

use super::error::UiError;
use super::form::{self, Fields, Problems, VARIANT_ROWS};
use super::session::Session;
use super::with_headers;
use crate::changes::{self, ChangeError};
use crate::db::models::experiments::{self, StoredExperiment};
use crate::db::models::stages;
use crate::domain::experiment::BUILTIN_METRICS;
use crate::domain::lifecycle::Lifecycle;
use crate::domain::password::UserRole;
use crate::http::path::ExperimentKey;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};

#[derive(serde::Deserialize)]
pub(super) struct From {
    from: Option<String>,
}

fn render(
    session: &Session,
    lifecycle: &Lifecycle,
    fields: &Fields,
    problems: &Problems,
    editing: Option<&StoredExperiment>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let rows: Vec<usize> = (0..VARIANT_ROWS.max(editing.map_or(0, |e| e.def.variants.len() + 2))).collect();
    let html = crate::templates::render(
        "experiment_form.html",
        minijinja::context! {
            title => if editing.is_some() { "Edit experiment" } else { "New experiment" }, nav => "experiments",
            user => session, csrf_token => &session.csrf_token, f => fields, problems, rows,
            stages => &lifecycle.stages, metrics => BUILTIN_METRICS,
            editing => editing.map(|e| minijinja::context! {
                key => &e.def.key, started => e.started_at.is_some(), managed_by => &e.managed_by, version => e.version,
            }),
        },
    )?;
    Ok(with_headers(HttpResponse::build(status)).content_type("text/html; charset=utf-8").body(html))
}

async fn current(conn: &mut diesel_async::AsyncPgConnection, key: &str) -> Result<StoredExperiment, UiError> {
    experiments::find(conn, key)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no experiment with key {key:?}.")))
}

#[get("/experiments/new")]
pub(super) async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<From>,
) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let mut fields = Fields::new();
    if let Some(from) = &query.from {
        let e = current(&mut conn, from).await?;
        fields = form::fields_of(&e.def);
        fields.insert("key".into(), format!("{}-2", e.def.key));
        fields.insert("name".into(), format!("{} (copy)", e.def.name));
    } else {
        for (k, v) in [
            ("window_days", "30"),
            ("traffic_percent", "100"),
            ("method", "fixed"),
            ("alpha", "0.05"),
            ("correction", "holm"),
            ("mde_percent", "10"),
            ("primary", "conversion"),
        ] {
            fields.insert(k.into(), v.into());
        }
        fields.insert("variant_0_key".into(), "control".into());
        fields.insert("variant_0_weight".into(), "1".into());
        fields.insert("variant_1_weight".into(), "1".into());
    }
    render(&session, &lifecycle, &fields, &Problems::default(), None, StatusCode::OK)
}

#[post("/experiments/new")]
pub(super) async fn create(
    state: web::Data<AppState>,
    session: Session,
    body: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    let fields = body.into_inner();
    session.check_csrf(fields.get("csrf_token").map_or("", String::as_str))?;
    session.require(UserRole::Editor)?;
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let mut def = match form::to_def(&fields, &lifecycle, None) {
        Ok(def) => def,
        Err(p) => return render(&session, &lifecycle, &fields, &p, None, StatusCode::UNPROCESSABLE_ENTITY),
    };
    def.status = crate::domain::experiment::Status::Draft;
    let refused = |message: String| {
        let mut p = Problems::default();
        p.fields.insert("key".into(), message);
        render(&session, &lifecycle, &fields, &p, None, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if def.key == "new" {
        return refused("the key \"new\" is reserved: choose another".into());
    }
    match changes::create(&mut conn, &def, &format!("user:{}", session.email)).await {
        Ok(()) => {}
        Err(e @ ChangeError::Taken(_)) => return refused(e.to_string()),
        Err(e) => return Err(e.into()),
    }
    Ok(with_headers(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, format!("/experiments/{}", def.key)))
        .finish())
}

#[get("/experiments/{key}/edit")]
pub(super) async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let e = current(&mut conn, &key).await?;
    render(&session, &lifecycle, &form::fields_of(&e.def), &Problems::default(), Some(&e), StatusCode::OK)
}

#[post("/experiments/{key}/edit")]
pub(super) async fn update(
    state: web::Data<AppState>,
    session: Session,
    key: ExperimentKey<UiError>,
    body: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    let mut fields = body.into_inner();
    session.check_csrf(fields.get("csrf_token").map_or("", String::as_str))?;
    session.require(UserRole::Editor)?;
    let mut conn = state.pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    let e = current(&mut conn, &key).await?;
    fields.insert("key".into(), e.def.key.clone());
    let def = match form::to_def(&fields, &lifecycle, Some(&e.def)) {
        Ok(def) => def,
        Err(p) => return render(&session, &lifecycle, &fields, &p, Some(&e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let version = fields.get("version").and_then(|v| v.parse::<i32>().ok()).unwrap_or(e.version);
    match changes::update(&mut conn, &def, version, &format!("user:{}", session.email)).await {
        Ok(_) => {}
        Err(err @ (ChangeError::Conflict | ChangeError::Refused(_))) => {
            let p = Problems { general: vec![err.to_string()], ..Problems::default() };
            return render(&session, &lifecycle, &fields, &p, Some(&e), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(err) => return Err(err.into()),
    }
    Ok(with_headers(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, format!("/experiments/{}", def.key)))
        .finish())
}

#[get("/experiments/{key}/export.toml")]
pub(super) async fn export(
    state: web::Data<AppState>,
    _session: Session,
    key: ExperimentKey<UiError>,
) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let e = current(&mut conn, &key).await?;
    let text = crate::files::to_toml(&e.def).map_err(|err| UiError::Internal(format!("export: {err}")))?;
    Ok(with_headers(HttpResponse::Ok())
        .content_type("application/toml; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.toml\"", e.def.key)))
        .body(text))
}
