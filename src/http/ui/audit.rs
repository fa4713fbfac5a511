//! `GET /audit`: who changed what, newest first, with what changed (editor role).

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::db::models::audit;
use crate::domain::password::UserRole;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::Value;

/// Entries shown.
const LIMIT: i64 = 200;

/// One changed field: name, before and after (compact JSON, shortened).
#[derive(Debug, PartialEq, serde::Serialize)]
pub struct Change {
    field: String,
    before: String,
    after: String,
}

fn short(v: Option<&Value>) -> String {
    let text = v.map_or_else(|| "—".to_string(), |v| v.to_string());
    if text.chars().count() > 160 {
        text.chars().take(157).collect::<String>() + "…"
    } else {
        text
    }
}

/// The top-level fields that differ between `before` and `after`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| b.get(*f) != a.get(*f))
        .map(|f| Change { field: f.clone(), before: short(b.get(f)), after: short(a.get(f)) })
        .collect()
}

#[get("/audit")]
pub(super) async fn log(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    session.require(UserRole::Editor)?;
    let mut conn = state.pool.get().await?;
    let entries = audit::recent(&mut conn, LIMIT).await?;
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            minijinja::context! {
                at => e.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(), actor => &e.actor, action => &e.action,
                entity => format!("{} {}", e.entity_type, e.entity_key), changes => diff(e.before.as_ref(), e.after.as_ref()),
            }
        })
        .collect();
    let html = crate::templates::render(
        "audit.html",
        minijinja::context! { title => "Audit log", nav => "audit", user => &session, csrf_token => &session.csrf_token, rows },
    )?;
    Ok(page(html))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"status": "running", "traffic": 0.5, "name": "a"});
        let after = json!({"status": "paused", "traffic": 0.5, "name": "a", "layer": "x"});
        let d = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["layer", "status"]);
        assert_eq!(d[1].before, "\"running\"");
        assert_eq!(d[0].before, "—");
        assert_eq!(diff(None, Some(&json!({"a": "x".repeat(300)})))[0].after.chars().count(), 158);
    }
}
