//! Hostile bodies on every write endpoint: 1,000 malformed or invalid requests, generated from a
//! fixed seed and spread over `POST /api/v1/assignments`, `…/assignments/batch` and `…/events`.
//! Each must get a 4xx with the error envelope, none may store anything, and the server must be
//! healthy afterwards.

use crate::support::app::read;
use crate::support::TestApp;
use diesel::QueryDsl;
use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use stagelab::db::schema::{customers, events, exposures};
use stagelab::domain::key::KeyRole;

const ENDPOINTS: [&str; 3] = ["/api/v1/assignments", "/api/v1/assignments/batch", "/api/v1/events"];

/// SQL fragments, placed where they make a request invalid (a stage, an event type, a field name).
const SQL: [&str; 5] = [
    "'; DROP TABLE customers; --",
    "1 OR 1=1",
    "\" OR \"\"=\"",
    "'); DELETE FROM exposures; --",
    "acquisition' UNION SELECT token_hash FROM api_keys --",
];

/// One request: what it is (for failure messages), content type and body.
struct Case {
    what: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

impl Case {
    fn json(what: impl Into<String>, value: &Value) -> Case {
        Case { what: what.into(), content_type: Some("application/json"), body: value.to_string().into_bytes() }
    }

    fn raw(what: impl Into<String>, body: Vec<u8>) -> Case {
        Case { what: what.into(), content_type: Some("application/json"), body }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A value of the wrong kind for a string field (never null: null means "absent" for optional fields).
fn not_a_string(rng: &mut StdRng) -> Value {
    pick(rng, &[json!(1), json!(-1.5), json!(true), json!([1, 2]), json!({"a": 1}), json!(1e308), json!(u64::MAX)])
        .clone()
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("bottom"), |inner, _| json!({ "n": inner }))
}

fn valid_request(i: usize) -> Value {
    json!({"customer_id": format!("fz-{i}"), "stage": "acquisition", "attributes": {"country": "JP"}})
}

fn valid_event(i: usize) -> Value {
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    json!({"id": format!("fz-e-{i}"), "customer_id": format!("fz-{i}"), "type": "purchase", "value": 10.5,
           "currency": "JPY", "occurred_at": at})
}

/// An assignment request that is invalid for sure (or back-dated, which a storefront key may not do).
fn bad_request(rng: &mut StdRng, i: usize) -> (String, Value) {
    let mut r = valid_request(i);
    let kind = rng.random_range(0..14);
    match kind {
        0 => r["customer_id"] = not_a_string(rng),
        1 => r["customer_id"] = json!(pick(rng, &["", "   ", "\t\n"])),
        2 => r["customer_id"] = json!("x".repeat(rng.random_range(201..2_000))),
        3 => r["customer_id"] = json!(format!("fz\u{0}{}", pick(rng, &SQL))),
        4 => r["stage"] = json!(pick(rng, &SQL)),
        5 => r["stage"] = not_a_string(rng),
        6 => r["attributes"] = json!({"country": pick(rng, &[json!({"a": 1}), json!(["JP"])])}),
        7 => r["attributes"] = json!({"deep": nested(rng.random_range(2..100))}),
        8 => r["attributes"] = (0..rng.random_range(101..400)).map(|k| (format!("a{k}"), json!(k))).collect(),
        9 => r["attributes"] = json!({"": 1, "long": "y".repeat(1_001)}),
        10 => r[*pick(rng, &SQL)] = json!(1),
        11 => r["experiments"] = pick(rng, &[json!([""]), json!(["k".repeat(64)]), json!("welcome-offer")]).clone(),
        12 => r["segment"] = json!(""),
        _ => r["at"] = json!(pick(rng, &["not a time", "2999-01-01T00:00:00Z", "2020-01-01T00:00:00Z"])),
    }
    (format!("assignment mutation {kind}"), r)
}

/// An event that is invalid for sure.
fn bad_event(rng: &mut StdRng, i: usize) -> (String, Value) {
    let mut e = valid_event(i);
    let (wrong, sql) = (not_a_string(rng), json!(pick(rng, &SQL)));
    let kind = rng.random_range(0..11);
    match kind {
        0 => e["id"] = pick(rng, &[wrong, json!(""), json!("i".repeat(201)), json!("a\u{0}b")]).clone(),
        1 => e["customer_id"] = pick(rng, &[wrong, json!(" "), json!("c".repeat(300))]).clone(),
        2 => e["type"] = pick(rng, &[sql, wrong, Value::Null]).clone(),
        3 => e["value"] = pick(rng, &[json!(-1), json!(1e13), json!("10"), Value::Null, json!(1e300)]).clone(),
        4 => e["occurred_at"] = pick(rng, &[json!("2999-01-01T00:00:00Z"), json!("yesterday"), json!(12345)]).clone(),
        5 => e["currency"] = json!(pick(rng, &["jpy", "JPYEN", "", "¥"])),
        6 => e["stage"] = json!("retention"),
        7 => e[*pick(rng, &SQL)] = json!("x"),
        8 => e["referred_customer_id"] = json!("someone"),
        9 => e = pick(rng, &[json!("event"), json!(1), json!([]), Value::Null]).clone(),
        _ => {
            e = json!({"id": format!("fz-r-{i}"), "customer_id": format!("fz-{i}"), "type": "referral",
                       "referred_customer_id": format!("fz-{i}"), "occurred_at": e["occurred_at"]})
        }
    }
    (format!("event mutation {kind}"), e)
}

/// A structurally valid body for `endpoint` whose content is invalid.
fn bad_body(rng: &mut StdRng, endpoint: &str, i: usize) -> Case {
    match endpoint {
        "/api/v1/assignments" => {
            let (what, r) = bad_request(rng, i);
            Case::json(what, &r)
        }
        "/api/v1/assignments/batch" => match rng.random_range(0..6) {
            0 => Case::json("empty batch", &json!({"customers": []})),
            1 => Case::json("customers not a list", &json!({"customers": not_a_string(rng)})),
            2 => Case::json("unknown batch field", &json!({"customers": [valid_request(i)], "drop": pick(rng, &SQL)})),
            _ => {
                let (what, r) = bad_request(rng, i);
                let at = rng.random_range(0..3);
                let mut customers: Vec<Value> = (0..3).map(|k| valid_request(i * 10 + k)).collect();
                customers[at] = r;
                Case::json(format!("batch with {what}"), &json!({ "customers": customers }))
            }
        },
        _ => match rng.random_range(0..6) {
            0 => Case::json("no events", &json!({"events": []})),
            1 => Case::json("events not a list", &json!({"events": not_a_string(rng)})),
            2 => Case::json("unknown batch field", &json!({"events": [valid_event(i)], "x": 1})),
            _ => {
                let (what, e) = bad_event(rng, i);
                let at = rng.random_range(0..3);
                let mut batch: Vec<Value> = (0..3).map(|k| valid_event(i * 10 + k)).collect();
                batch[at] = e;
                Case::json(format!("batch with {what}"), &json!({ "events": batch }))
            }
        },
    }
}

/// A valid body for `endpoint` (to corrupt at the byte level).
fn valid_body(endpoint: &str, i: usize) -> Value {
    match endpoint {
        "/api/v1/assignments" => valid_request(i),
        "/api/v1/assignments/batch" => json!({"customers": [valid_request(i)]}),
        _ => json!({"events": [valid_event(i)]}),
    }
}

/// A body that is not JSON, not the right JSON, or not sent as JSON.
fn malformed(rng: &mut StdRng, endpoint: &str, i: usize) -> Case {
    let valid = valid_body(endpoint, i).to_string().into_bytes();
    let kind = rng.random_range(0..12);
    let what = format!("malformed {kind}");
    match kind {
        0 => Case::raw(what, Vec::new()),
        1 => Case::raw(what, valid[..rng.random_range(1..valid.len())].to_vec()),
        2 => Case::raw(what, pick(rng, &["[]", "\"text\"", "42", "null", "true", "1e400", "{}"]).as_bytes().to_vec()),
        3 => {
            // Invalid UTF-8 inside a string.
            let mut body = valid.clone();
            let at = body.windows(3).position(|w| w == b"fz-").unwrap();
            body.splice(at..at + 1, [0xff, 0xfe, 0xc3]);
            Case::raw(what, body)
        }
        4 => {
            // A raw NUL byte, inside a string or between tokens.
            let mut body = valid.clone();
            let at = rng.random_range(1..body.len() - 1);
            body.insert(at, 0);
            Case::raw(what, body)
        }
        5 => Case::raw(what, String::from_utf8(valid).unwrap().replacen("fz-", "\\ud800fz-", 1).into_bytes()),
        6 => {
            let depth = rng.random_range(129..50_000);
            let key = if endpoint.ends_with("events") { "events" } else { "customer_id" };
            Case::raw(what, format!("{{\"{key}\": {}{}}}", "[".repeat(depth), "]".repeat(depth)).into_bytes())
        }
        7 => Case {
            what,
            content_type: *pick(
                rng,
                &[None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")],
            ),
            body: valid,
        },
        8 => {
            let mut body = valid.clone();
            let tail: &[u8] = pick(rng, &[" garbage", "{}", ",", "\0"]).as_bytes();
            body.extend_from_slice(tail);
            Case::raw(what, body)
        }
        9 => {
            let number = pick(rng, &["123456789012345678901234567890123", "-1e400", "1e999999", "0x10", "NaN"]);
            let body = if endpoint.ends_with("events") {
                String::from_utf8(valid).unwrap().replace("10.5", number)
            } else {
                format!("{{\"customer_id\": {number}}}")
            };
            Case::raw(what, body.into_bytes())
        }
        10 => {
            let mut body = b"\xef\xbb\xbf".to_vec();
            body.extend_from_slice(&valid);
            Case::raw(what, body)
        }
        _ => Case::raw(what, format!("/* comment */ {}", String::from_utf8(valid).unwrap()).into_bytes()),
    }
}

/// A body of `size` bytes: a huge string where the endpoint wants a short one.
fn huge(endpoint: &str, size: usize) -> Case {
    let filler = "z".repeat(size);
    let body = match endpoint {
        "/api/v1/assignments" => json!({"customer_id": filler, "stage": "acquisition"}),
        "/api/v1/assignments/batch" => json!({"customers": [{"customer_id": filler}]}),
        _ => json!({"events": [{"id": filler, "customer_id": "c", "type": "stage", "stage": "reach",
                                "occurred_at": "2026-01-01T00:00:00Z"}]}),
    };
    Case::json(format!("{} MB string", size >> 20), &body)
}

/// Too many items for one batch (413 `batch_too_large`).
fn too_many(endpoint: &str) -> Option<Case> {
    match endpoint {
        "/api/v1/assignments/batch" => {
            let customers: Vec<Value> = (0..1_001).map(valid_request).collect();
            Some(Case::json("1,001 customers", &json!({ "customers": customers })))
        }
        "/api/v1/events" => {
            let batch: Vec<Value> = (0..10_001).map(valid_event).collect();
            Some(Case::json("10,001 events", &json!({ "events": batch })))
        }
        _ => None,
    }
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let mut conn = app.pool.get().await.unwrap();
    let customers = customers::table.count().get_result::<i64>(&mut conn).await.unwrap();
    let events = events::table.count().get_result::<i64>(&mut conn).await.unwrap();
    let exposures = exposures::table.count().get_result::<i64>(&mut conn).await.unwrap();
    (customers, events, exposures)
}

#[tokio::test]
async fn a_thousand_hostile_bodies_get_4xx_envelopes_and_store_nothing() {
    let (app, token) = TestApp::with_key(KeyRole::Storefront).await;
    app.wait_for_key_name(&token, "test").await;
    let before = counts(&app).await;
    assert_eq!(before, (0, 0, 0));

    let mut rng = StdRng::seed_from_u64(0x5ca1ab1e);
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeMap::<(u16, String), usize>::new();
    for i in 0..1_000 {
        let endpoint = ENDPOINTS[i % ENDPOINTS.len()];
        let case = match i {
            // A handful of big bodies: under the limit (a 422), and over it (a 413).
            100..=102 => huge(endpoint, 10 << 20),
            500..=502 => huge(endpoint, stagelab::http::MAX_JSON_BYTES + 1),
            700..=702 => too_many(endpoint).unwrap_or_else(|| malformed(&mut rng, endpoint, i)),
            _ if rng.random_bool(0.5) => malformed(&mut rng, endpoint, i),
            _ => bad_body(&mut rng, endpoint, i),
        };
        let mut request = app.client.post(format!("{}{endpoint}", app.address)).bearer_auth(&token).body(case.body);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let (status, body) = read(request.send().await.unwrap()).await;
        let enveloped = body["error"]["code"].as_str().is_some_and(|c| !c.is_empty())
            && body["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
            && body["error"]["details"].is_array();
        if !(400..500).contains(&status) || !enveloped {
            let shown: String = body.to_string().chars().take(300).collect();
            failures.push(format!("#{i} {endpoint} {}: {status} {shown}", case.what));
        }
        *seen.entry((status, body["error"]["code"].as_str().unwrap_or("").to_string())).or_default() += 1;
    }
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));
    eprintln!("answers (status, code) → count: {seen:?}");
    let statuses: std::collections::BTreeSet<u16> = seen.keys().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [400, 403, 413, 415, 422].into(), "every kind of rejection was exercised");
    let too_large = seen.get(&(413, "payload_too_large".into())).copied().unwrap_or(0);
    assert_eq!(too_large, 3, "each over-limit body got 413");
    assert_eq!(counts(&app).await, before, "a rejected request stored something");

    // Still healthy, and valid requests still work and store.
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    let (status, body) = app.assign_raw(&token, &valid_request(1)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.send_events(&token, &[valid_event(1)]).await.0, 1);
    let (customers, events, _) = counts(&app).await;
    assert!(customers >= 1 && events == 1, "the valid requests were stored");
}
