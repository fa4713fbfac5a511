//! The admin UI: login with CSRF and rate limiting, sessions, pages, security headers, logout.

use crate::support::browser::{app_with_user, form_of, Browser, PASSWORD};
use reqwest::header::{LOCATION, SET_COOKIE};
use stagelab::db::models::users;
use stagelab::domain::key::KeyRole;
use stagelab::domain::password;

#[tokio::test]
async fn pages_need_a_login_and_show_the_lifecycle_after_it() {
    let app = app_with_user("viewer").await;
    let mut b = Browser::new(&app);
    let (status, _, headers) = b.get("/").await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/login?next=/");
    let (status, html, headers) = b.get("/login").await;
    assert_eq!(status, 200);
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(html.contains("<form method=\"post\" action=\"/login\""));

    let (status, _, headers) = b.login("Ana@Example.com", PASSWORD).await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/experiments");
    let set_cookie = headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let session = set_cookie.iter().find(|c| c.starts_with("stagelab_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");

    let (status, html, _) = b.get("/").await;
    assert_eq!(status, 200);
    for stage in ["Reach", "Acquisition", "Retention", "Advocacy"] {
        assert!(html.contains(stage), "{stage} missing");
    }
    assert!(html.contains("Second-purchase coupon"));
    let (status, html, _) = b.get("/experiments?status=running&stage=acquisition").await;
    assert_eq!(status, 200);
    assert!(html.contains("second-purchase-coupon") && !html.contains("welcome-offer"));
    let (status, html, _) = b.get("/experiments/second-purchase-coupon").await;
    assert_eq!(status, 200);
    assert!(html.contains("No results yet") && html.contains("coupon10"));
    let (status, html, _) = b.get("/experiments/second-purchase-coupon/report").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<svg").count(), 4);
    let (status, html, _) = b.get("/tools?baseline=10&mde=10&power=80&variants=2").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>14749</strong> customers per variant"));
    let (_, html, _) =
        b.get("/tools?control_n=100&control_conversions=200&treatment_n=100&treatment_conversions=5").await;
    assert!(html.contains("role=\"alert\"") && html.contains("value=\"200\""), "the error is shown and the input kept");
    let (status, html, _) = b.get("/experiments/nope").await;
    assert_eq!(status, 404);
    assert!(html.contains("Not found"));
}

#[tokio::test]
async fn a_failed_login_says_so_and_attempts_are_limited() {
    let app = app_with_user("editor").await;
    let mut b = Browser::new(&app);
    let (status, html, _) = b.login("ana@example.com", "wrong password").await;
    assert_eq!(status, 401);
    assert!(html.contains("Wrong e-mail or password.") && html.contains("value=\"ana@example.com\""));
    let (status, _, _) = b.login("nobody@example.com", "wrong password").await;
    assert_eq!(status, 401);
    for _ in 0..3 {
        b.login("ana@example.com", "wrong password").await;
    }
    // Five failures from this address: even the right password is refused now.
    let (status, html, _) = b.login("ana@example.com", PASSWORD).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many failed attempts"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_rejected() {
    let app = app_with_user("admin").await;
    let mut b = Browser::new(&app);
    b.get("/login").await;
    let (status, html, _) = b
        .post("/login", &[("email", "ana@example.com"), ("password", PASSWORD), ("csrf_token", &"0".repeat(64))])
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("Form expired"));
    let (status, _, _) = b.login("ana@example.com", PASSWORD).await;
    assert_eq!(status, 303);
    let (status, _, _) = b.post("/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(status, 403);
    let (_, html, _) = b.get("/").await;
    let csrf = Browser::csrf(&html);
    let (status, _, headers) = b.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!((status, headers[LOCATION].to_str().unwrap()), (303, "/login"));
    let (status, _, _) = b.get("/").await;
    assert_eq!(status, 303, "the session must be gone");
}

#[tokio::test]
async fn the_report_page_takes_a_login_or_an_admin_key() {
    let app = app_with_user("viewer").await;
    let mut b = Browser::new(&app);
    let (status, _, headers) = b.get("/experiments/welcome-offer/report").await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/login?next=/experiments/welcome-offer/report");
    let storefront = app.create_key(KeyRole::Storefront).await;
    let r = b
        .client
        .get(format!("{}/experiments/welcome-offer/report", app.address))
        .bearer_auth(&storefront)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let admin = app.create_key(KeyRole::Admin).await;
    let r = b
        .client
        .get(format!("{}/experiments/welcome-offer/report", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn editors_pause_and_stop_experiments_after_confirming_viewers_cannot() {
    let app = app_with_user("editor").await;
    let hash = password::hash(PASSWORD).unwrap();
    let mut conn = app.pool.get().await.unwrap();
    users::insert(&mut conn, &users::NewUser { email: "vic@example.com", password_hash: &hash, role: "viewer" })
        .await
        .unwrap();
    let mut viewer = Browser::new(&app);
    viewer.login("vic@example.com", PASSWORD).await;
    let (_, html, _) = viewer.get("/experiments/welcome-offer").await;
    assert!(!html.contains("/status/"), "viewers see no status actions");
    let (status, _, _) = viewer.get("/experiments/welcome-offer/status/paused").await;
    assert_eq!(status, 403);
    let csrf = Browser::csrf(&html);
    let (status, _, _) = viewer.post("/experiments/welcome-offer/status/paused", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 403);

    let mut editor = Browser::new(&app);
    editor.login("ana@example.com", PASSWORD).await;
    let (_, html, _) = editor.get("/experiments/welcome-offer").await;
    assert!(html.contains("/experiments/welcome-offer/status/paused"));
    let (status, html, _) = editor.get("/experiments/welcome-offer/status/paused").await;
    assert_eq!(status, 200);
    assert!(html.contains("No new customers will enter"));
    let (status, _, _) = editor.post("/experiments/welcome-offer/status/paused", &[("csrf_token", "nope")]).await;
    assert_eq!(status, 403);
    let csrf = Browser::csrf(&html);
    let (status, _, headers) = editor.post("/experiments/welcome-offer/status/paused", &[("csrf_token", &csrf)]).await;
    assert_eq!((status, headers[LOCATION].to_str().unwrap()), (303, "/experiments/welcome-offer"));
    let stored = stagelab::db::models::experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_eq!(stored.def.status, stagelab::domain::experiment::Status::Paused);
    let audit = stagelab::db::models::audit::recent(&mut conn, 1).await.unwrap();
    assert_eq!((audit[0].actor.as_str(), audit[0].action.as_str()), ("user:ana@example.com", "experiment.status"));

    let (status, _, _) = editor.post("/experiments/welcome-offer/status/stopped", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 303);
    // Stopped is final.
    let (status, _, _) = editor.post("/experiments/welcome-offer/status/running", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 403);
    let (status, csv, headers) = editor.get("/experiments/welcome-offer/results.csv").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.starts_with("experiment,metric,role"));
}

#[tokio::test]
async fn admins_manage_keys_and_editors_read_the_audit_log() {
    let app = app_with_user("admin").await;
    let mut admin = Browser::new(&app);
    admin.login("ana@example.com", PASSWORD).await;
    let (status, html, _) = admin.get("/keys").await;
    assert_eq!(status, 200);
    let csrf = Browser::csrf(&html);
    let (status, html, _) = admin.post("/keys", &[("csrf_token", &csrf), ("name", " "), ("role", "storefront")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Not created: the key name must have 1 to 100 characters."));
    let (_, html, _) = admin.post("/keys", &[("csrf_token", &csrf), ("name", "shop"), ("role", "storefront")]).await;
    let at = html.find("value=\"slk_sf_").expect("the new token is shown") + "value=\"".len();
    let token = &html[at..at + 7 + 64];
    let (status, _) = app.get("/api/v1/experiments", Some(token)).await;
    assert_eq!(status, 403, "a working storefront key: authenticated, not allowed here");
    let (_, html, _) = admin.get("/keys").await;
    assert!(!html.contains(token), "the token is shown only once");
    let mut conn = app.pool.get().await.unwrap();
    let id = stagelab::db::models::api_keys::list(&mut conn).await.unwrap()[0].id;
    let (status, html, _) = admin.post(&format!("/keys/{id}/revoke"), &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Key {id} revoked.")));

    let (status, html, _) = admin.get("/audit").await;
    assert_eq!(status, 200);
    assert!(html.contains("key.create") && html.contains("key.revoke") && html.contains("user:ana@example.com"));
    assert!(html.contains("experiment.create"), "apply's entries are listed too");

    let hash = password::hash(PASSWORD).unwrap();
    for (email, role) in [("ed@example.com", "editor"), ("vic@example.com", "viewer")] {
        users::insert(&mut conn, &users::NewUser { email, password_hash: &hash, role }).await.unwrap();
    }
    let mut editor = Browser::new(&app);
    editor.login("ed@example.com", PASSWORD).await;
    assert_eq!(editor.get("/keys").await.0, 403);
    assert_eq!(editor.get("/audit").await.0, 200);
    let mut viewer = Browser::new(&app);
    viewer.login("vic@example.com", PASSWORD).await;
    assert_eq!(viewer.get("/audit").await.0, 403);
}

#[tokio::test]
async fn experiments_are_created_and_edited_through_the_form() {
    let app = app_with_user("editor").await;
    let mut b = Browser::new(&app);
    b.login("ana@example.com", PASSWORD).await;
    let (status, html, _) = b.get("/experiments/new").await;
    assert_eq!(status, 200);
    let csrf = Browser::csrf(&html);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("key", "vip-shipping"),
        ("name", "Free shipping for VIPs"),
        ("hypothesis", "VIPs come back sooner."),
        ("stage", "acquisition"),
        ("goal", "retention"),
        ("window_days", "30"),
        ("traffic_percent", "fifty"),
        ("targeting", r#"{"all": [{"attribute": "country", "op": "in", "value": ["JP"]}]}"#),
        ("variant_0_key", "control"),
        ("variant_0_weight", "1"),
        ("variant_0_payload", ""),
        ("variant_1_key", "free"),
        ("variant_1_weight", "1"),
        ("variant_1_payload", r#"{"shipping": 0}"#),
        ("primary", "conversion"),
        ("secondary", "revenue, orders"),
        ("guardrails", "revenue"),
        ("method", "fixed"),
        ("alpha", "0.05"),
        ("correction", "holm"),
        ("mde_percent", "10"),
        ("winsorize", ""),
    ];
    let (status, html, _) = b.post("/experiments/new", &form).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("traffic: enter a number, not &quot;fifty&quot;") || html.contains("traffic: enter a number"),
        "{html}"
    );
    assert!(html.contains("value=\"Free shipping for VIPs\""), "what was typed is kept");
    form[7] = ("traffic_percent", "150");
    let (status, html, _) = b.post("/experiments/new", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("traffic is a share between 0 and 1"), "the file validator's message is shown");
    form[7] = ("traffic_percent", "50");
    let (status, _, headers) = b.post("/experiments/new", &form).await;
    assert_eq!((status, headers[LOCATION].to_str().unwrap()), (303, "/experiments/vip-shipping"));
    let mut conn = app.pool.get().await.unwrap();
    let stored = stagelab::db::models::experiments::find(&mut conn, "vip-shipping").await.unwrap().unwrap();
    assert_eq!(stored.def.traffic, 0.5);
    assert_eq!(stored.def.status, stagelab::domain::experiment::Status::Draft);
    assert_eq!(stored.managed_by, "ui");
    assert_eq!(stored.def.variants[1].payload, serde_json::json!({"shipping": 0}));
    let (status, _, _) = b.post("/experiments/new", &form).await;
    assert_eq!(status, 422, "a taken key is refused");

    // A started experiment's variants cannot change; its traffic can.
    let (_, html, _) = b.get("/experiments/second-purchase-coupon/edit").await;
    assert!(html.contains("managed by code"));
    let fields = stagelab::http::ui::form::fields_of(
        &stagelab::db::models::experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap().def,
    );
    let mut edit: Vec<(String, String)> = fields.into_iter().collect();
    edit.push(("csrf_token".into(), csrf.clone()));
    let mut added = edit.clone();
    added.push(("variant_3_key".into(), "extra".into()));
    added.push(("variant_3_weight".into(), "1".into()));
    let (status, html, _) = b.post("/experiments/second-purchase-coupon/edit", &form_of(&added)).await;
    assert_eq!(status, 422);
    assert!(html.contains("its variants cannot change"), "{html}");
    for (k, v) in edit.iter_mut() {
        if k == "traffic_percent" {
            *v = "40".into();
        }
    }
    let (status, _, _) = b.post("/experiments/second-purchase-coupon/edit", &form_of(&edit)).await;
    assert_eq!(status, 303);
    let stored = stagelab::db::models::experiments::find(&mut conn, "second-purchase-coupon").await.unwrap().unwrap();
    assert_eq!(stored.def.traffic, 0.4);
    let audit = stagelab::db::models::audit::recent(&mut conn, 1).await.unwrap();
    assert_eq!(audit[0].action, "experiment.update");

    let (status, toml, headers) = b.get("/experiments/vip-shipping/export.toml").await;
    assert_eq!(status, 200);
    assert!(headers["content-disposition"].to_str().unwrap().contains("vip-shipping.toml"));
    assert!(toml.contains("key = \"vip-shipping\"") && toml.contains("[[variants]]"));
}

#[tokio::test]
async fn admins_create_and_disable_users() {
    let app = app_with_user("admin").await;
    let mut admin = Browser::new(&app);
    admin.login("ana@example.com", PASSWORD).await;
    let (_, html, _) = admin.get("/users").await;
    let csrf = Browser::csrf(&html);
    let (_, html, _) =
        admin.post("/users", &[("csrf_token", &csrf), ("email", "not-an-email"), ("role", "editor")]).await;
    assert!(html.contains("Not created"));
    let (_, html, _) =
        admin.post("/users", &[("csrf_token", &csrf), ("email", "Ed@Example.com"), ("role", "editor")]).await;
    let at = html.find("id=\"new-password\" class=\"token\" readonly value=\"").expect("the password is shown")
        + "id=\"new-password\" class=\"token\" readonly value=\"".len();
    let secret = html[at..at + 20].to_string();
    let mut ed = Browser::new(&app);
    assert_eq!(ed.login("ed@example.com", &secret).await.0, 303);
    assert_eq!(ed.get("/users").await.0, 403, "editors do not manage users");
    let (_, html, _) =
        admin.post("/users", &[("csrf_token", &csrf), ("email", "ed@example.com"), ("role", "viewer")]).await;
    assert!(html.contains("already exists"));
    let mut conn = app.pool.get().await.unwrap();
    let id = users::find_by_email(&mut conn, "ed@example.com").await.unwrap().unwrap().id;
    let (status, html, _) =
        admin.post(&format!("/users/{id}/disabled"), &[("csrf_token", &csrf), ("disabled", "true")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("User disabled"));
    assert_eq!(ed.get("/").await.0, 303, "a disabled user's session ends");
    assert_eq!(ed.login("ed@example.com", &secret).await.0, 401);
}

#[tokio::test]
async fn forbidden_actions_answer_403_and_change_nothing() {
    let app = app_with_user("viewer").await;
    let hash = password::hash(PASSWORD).unwrap();
    let mut conn = app.pool.get().await.unwrap();
    users::insert(&mut conn, &users::NewUser { email: "ed@example.com", password_hash: &hash, role: "editor" })
        .await
        .unwrap();
    let mut viewer = Browser::new(&app);
    viewer.login("ana@example.com", PASSWORD).await;
    let (_, html, _) = viewer.get("/experiments").await;
    let csrf = Browser::csrf(&html);
    assert_eq!(viewer.get("/experiments/new").await.0, 403);
    assert_eq!(viewer.post("/experiments/new", &[("csrf_token", &csrf), ("key", "x")]).await.0, 403);
    assert_eq!(viewer.get("/experiments/welcome-offer/edit").await.0, 403);
    assert_eq!(viewer.post("/experiments/welcome-offer/edit", &[("csrf_token", &csrf), ("name", "x")]).await.0, 403);
    let mut editor = Browser::new(&app);
    editor.login("ed@example.com", PASSWORD).await;
    let (_, html, _) = editor.get("/experiments").await;
    let csrf = Browser::csrf(&html);
    assert_eq!(editor.post("/keys", &[("csrf_token", &csrf), ("name", "k"), ("role", "admin")]).await.0, 403);
    assert_eq!(
        editor.post("/users", &[("csrf_token", &csrf), ("email", "x@example.com"), ("role", "admin")]).await.0,
        403
    );
    assert_eq!(editor.post("/keys/1/revoke", &[("csrf_token", &csrf)]).await.0, 403);
    assert!(stagelab::db::models::api_keys::list(&mut conn).await.unwrap().is_empty());
    assert!(users::find_by_email(&mut conn, "x@example.com").await.unwrap().is_none());
    let stored = stagelab::db::models::experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    assert_ne!(stored.def.name, "x");
    // A form too large to read gets an HTML page, not a crash.
    let big = "x".repeat(300 * 1024);
    let (status, html, _) = editor.post("/experiments/new", &[("csrf_token", &csrf), ("hypothesis", &big)]).await;
    assert_eq!(status, 400);
    assert!(html.contains("The form could not be read"));
}

#[tokio::test]
async fn an_edit_based_on_a_stale_page_is_refused() {
    let app = app_with_user("editor").await;
    let mut b = Browser::new(&app);
    b.login("ana@example.com", PASSWORD).await;
    let mut conn = app.pool.get().await.unwrap();
    let stored = stagelab::db::models::experiments::find(&mut conn, "welcome-offer").await.unwrap().unwrap();
    let (_, html, _) = b.get("/experiments/welcome-offer/edit").await;
    let csrf = Browser::csrf(&html);
    let mut fields: Vec<(String, String)> = stagelab::http::ui::form::fields_of(&stored.def).into_iter().collect();
    fields.push(("csrf_token".into(), csrf.clone()));
    fields.push(("version".into(), (stored.version - 1).to_string()));
    let (status, html, _) = b.post("/experiments/welcome-offer/edit", &form_of(&fields)).await;
    assert_eq!(status, 422);
    assert!(html.contains("someone changed this experiment while you were editing it"));
}
