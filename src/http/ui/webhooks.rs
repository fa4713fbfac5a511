//! `GET /webhooks`, `POST /webhooks`, `POST /webhooks/{id}/delete` and `POST /webhooks/{id}/test`
//! (admin role): where notifications go, each webhook with its last 50 deliveries. A new
//! webhook's secret is shown once, on the page that created it.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::{deliveries, webhooks};
use crate::domain::notice::EventType;
use crate::domain::password::UserRole;
use crate::domain::webhook::WebhookSpec;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use strum::IntoEnumIterator;
use uuid::Uuid;

/// Deliveries listed per webhook.
const RECENT: i64 = 50;

/// What the page shows besides the list.
#[derive(Default)]
struct Notice {
    secret: Option<String>,
    message: Option<String>,
    error: Option<String>,
    url: String,
}

async fn render(state: &AppState, session: &Session, notice: Notice) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let mut hooks = Vec::new();
    for hook in webhooks::list(&mut conn).await? {
        let recent = deliveries::recent(&mut conn, hook.id, RECENT).await?;
        let recent: Vec<_> = recent
            .into_iter()
            .map(|(d, kind)| minijinja::context! { d => minijinja::Value::from_serialize(&d), kind })
            .collect();
        let shown = masked(&hook.url);
        hooks.push(minijinja::context! { hook => minijinja::Value::from_serialize(&hook), shown, recent });
    }
    let events: Vec<&str> = EventType::iter().filter(|e| e.subscribable()).map(EventType::as_str).collect();
    let html = crate::templates::render(
        "webhooks.html",
        minijinja::context! {
            title => "Webhooks", nav => "webhooks", user => session, csrf_token => &session.csrf_token, hooks, events,
            secret => notice.secret, message => notice.message, error => notice.error, url => notice.url,
        },
    )?;
    Ok(page(html))
}

/// A webhook URL as the page shows it: scheme, host and the path's last 4 characters. A path
/// may be a credential (a Slack incoming-webhook URL is), and pages are seen over shoulders.
fn masked(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else { return "(unreadable URL)".into() };
    let host = parsed.host_str().unwrap_or_default();
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = &url[parsed[..url::Position::BeforePath].len()..];
    let tail: String = rest.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let path = if rest.chars().count() > 4 { format!("/…{tail}") } else { rest.to_string() };
    format!("{}://{host}{port}{path}", parsed.scheme())
}

#[get("/webhooks")]
pub(super) async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Admin)?;
    render(&state, &session, Notice::default()).await
}

/// The form as sent: `csrf_token`, `url`, `format` and one `events` pair per ticked box.
type Pairs = Vec<(String, String)>;

fn field<'a>(form: &'a Pairs, name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[post("/webhooks")]
pub(super) async fn create(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(field(&form, "csrf_token").unwrap_or_default())?;
    session.require(UserRole::Admin)?;
    let url = field(&form, "url").unwrap_or_default().trim().to_string();
    let events: Vec<String> = form.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect();
    let spec = match WebhookSpec::parse(&url, &events, field(&form, "format")) {
        Ok(spec) => spec,
        Err(problems) => {
            let error = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" ");
            let notice = Notice { error: Some(format!("Not created: {error}")), url, ..Notice::default() };
            return render(&state, &session, notice).await;
        }
    };
    let mut conn = state.pool.get().await?;
    let (hook, secret) = crate::webhooks::create(&mut conn, &spec, &format!("user:{}", session.email)).await?;
    let message = Some(format!(
        "Webhook to {} created. Copy its signing secret now: it is not shown again.",
        spec.url.host_str().unwrap_or_default()
    ));
    tracing::info!(webhook = %hook.id, "webhook created");
    render(&state, &session, Notice { secret: Some(secret), message, ..Notice::default() }).await
}

#[derive(serde::Deserialize)]
pub(super) struct ActionForm {
    csrf_token: String,
}

fn webhook_id(text: &str) -> Result<Uuid, UiError> {
    text.parse().map_err(|_| UiError::NotFound(format!("There is no webhook {text:?}.")))
}

#[post("/webhooks/{id}/delete")]
pub(super) async fn delete(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let id = webhook_id(&path)?;
    let mut conn = state.pool.get().await?;
    let notice = match crate::webhooks::delete(&mut conn, id, &format!("user:{}", session.email)).await? {
        Some(_) => Notice {
            message: Some("Webhook deleted; its pending deliveries will not be sent.".into()),
            ..Notice::default()
        },
        None => Notice { error: Some("There is no such webhook (deleted already?).".into()), ..Notice::default() },
    };
    render(&state, &session, notice).await
}

#[post("/webhooks/{id}/test")]
pub(super) async fn test(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, UiError> {
    session.check_csrf(&form.csrf_token)?;
    session.require(UserRole::Admin)?;
    let id = webhook_id(&path)?;
    let mut conn = state.pool.get().await?;
    let notice = match crate::webhooks::test(&mut conn, id, &format!("user:{}", session.email)).await? {
        Some(queued) => Notice {
            message: Some(format!("Test delivery {queued} queued; reload to see its outcome.")),
            ..Notice::default()
        },
        None => Notice { error: Some("There is no such webhook (deleted already?).".into()), ..Notice::default() },
    };
    render(&state, &session, notice).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_shown_masked() {
        assert_eq!(super::masked("https://hooks.slack.com/services/T0/B0/abcdWXYZ"), "https://hooks.slack.com/…WXYZ");
        assert_eq!(super::masked("http://127.0.0.1:9000/"), "http://127.0.0.1:9000/");
        assert_eq!(super::masked("http://example.com/a?t=secret1234"), "http://example.com/…1234");
    }
}
