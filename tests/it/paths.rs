//! Path parameters that cannot name anything (a NUL or another control character, over 200
//! bytes, a non-numeric id) are a 4xx on every route, API and UI: never a 500, never a query.

use crate::support::app::{assert_envelope, read};
use crate::support::{shipped_experiments, TestApp};
use reqwest::header::COOKIE;
use stagelab::db::models::{sessions, users};
use stagelab::domain::key::{self, KeyRole};

/// A NUL, another control character, DEL, and a key one byte over the limit.
fn bad_keys() -> Vec<String> {
    vec!["%00".into(), "ab%01cd".into(), "%7F".into(), "k".repeat(stagelab::http::path::MAX_KEY_BYTES + 1)]
}

/// A signed-in admin: the session cookie and the form token.
struct Login {
    cookie: String,
    csrf: String,
}

async fn admin_session(app: &TestApp) -> Login {
    let mut conn = app.pool.get().await.unwrap();
    let hash = stagelab::domain::password::hash("correct horse battery").unwrap();
    let new = users::NewUser { email: "ana@example.com", password_hash: &hash, role: "admin" };
    let user = users::insert(&mut conn, &new).await.unwrap();
    let (token, csrf) = (stagelab::domain::session::random_token(), stagelab::domain::session::random_token());
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let session =
        sessions::NewSession { token_hash: &key::hash(&token), user_id: user.id, csrf_token: &csrf, expires_at };
    sessions::insert(&mut conn, &session).await.unwrap();
    Login { cookie: format!("{}={token}", stagelab::http::ui::session::COOKIE), csrf }
}

#[tokio::test]
async fn api_routes_answer_bad_keys_with_the_not_found_envelope() {
    let app = TestApp::spawn().await;
    stagelab::apply::run(&app.pool, &shipped_experiments(), false, "test").await.unwrap();
    let admin = app.create_key(KeyRole::Admin).await;
    for key in bad_keys() {
        for path in [
            format!("/api/v1/experiments/{key}"),
            format!("/api/v1/experiments/{key}/results"),
            format!("/api/v1/experiments/{key}/results.csv"),
        ] {
            let (status, body) = app.get(&path, Some(&admin)).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert_envelope(&body, "not_found");
            let (status, body) = app.get(&path, None).await;
            assert_eq!(status, 401, "credentials are checked first: {path}: {body}");
            assert_envelope(&body, "unauthorized");
        }
    }
    // A good key still works, and the report page takes an admin key too.
    let (status, body) = app.get("/api/v1/experiments/welcome-offer/results", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    for key in bad_keys() {
        let (status, body) = app.get(&format!("/experiments/{key}/report"), Some(&admin)).await;
        assert_eq!(status, 404, "{body}");
    }
}

#[tokio::test]
async fn ui_routes_answer_bad_keys_and_ids_with_the_not_found_page() {
    let app = TestApp::spawn().await;
    stagelab::apply::run(&app.pool, &shipped_experiments(), false, "test").await.unwrap();
    let login = admin_session(&app).await;
    let get = |path: String| {
        let request = app.client.get(format!("{}{path}", app.address)).header(COOKIE, &login.cookie);
        async move { (path, read(request.send().await.unwrap()).await) }
    };
    let post = |path: String| {
        let request = app.client.post(format!("{}{path}", app.address)).header(COOKIE, &login.cookie);
        let request = request.form(&[("csrf_token", login.csrf.as_str()), ("disabled", "true")]);
        async move { (path, read(request.send().await.unwrap()).await) }
    };
    let (path, (status, _)) = get("/experiments/welcome-offer".into()).await;
    assert_eq!(status, 200, "{path}: the session works");
    let mut answers = Vec::new();
    for key in bad_keys() {
        for page in ["", "/edit", "/export.toml", "/report", "/results.csv", "/status/running"] {
            answers.push(get(format!("/experiments/{key}{page}")).await);
        }
        for action in ["/edit", "/status/running"] {
            answers.push(post(format!("/experiments/{key}{action}")).await);
        }
    }
    for id in ["abc", "1%00", "99999999999999999999"] {
        answers.push(post(format!("/keys/{id}/revoke")).await);
        answers.push(post(format!("/users/{id}/disabled")).await);
    }
    for (path, (status, body)) in answers {
        assert_eq!(status, 404, "{path}: {body}");
        let html = body.as_str().unwrap_or_else(|| panic!("{path}: an HTML page, not {body}"));
        assert!(html.contains("Not found"), "{path}: {html}");
    }
}
