//! `stagelab simulate` against the real app: known true effects are found (and an A/A is not),
//! runs are deterministic for a seed, the command line fails clearly, and `serve --demo` fills a
//! store once.

use crate::support::cli::{run, signal, spawn_serve, stderr, stdout};
use crate::support::keys::insert_key;
use crate::support::{experiments_copy, TestApp, TestDb};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use nix::sys::signal::Signal;
use stagelab::domain::key::KeyRole;
use stagelab::simulate::{self, Baseline, Client, Options, Progress};
use stagelab::stats::{analyze, Proportion, Summary};
use std::path::Path;
use std::time::{Duration, Instant};

/// An experiment at `reach` judged by `acquisition` within 14 days, with a true effect on the
/// goal for its second variant.
fn reach_experiment(dir: &Path, key: &str, effect: f64) {
    let text = format!(
        "key = \"{key}\"\nname = \"{key}\"\nstage = \"reach\"\ngoal = \"acquisition\"\nwindow_days = 14\n\
         status = \"running\"\n\n[[variants]]\nkey = \"control\"\nweight = 1\n\n[[variants]]\nkey = \"treatment\"\n\
         weight = 1\n\n[simulation.variants.treatment]\ngoal = {effect}\n"
    );
    std::fs::write(dir.join(format!("{key}.toml")), text).unwrap();
}

/// A running app with the experiments of `dir`, fixed salts (so that a seed fixes every
/// outcome) and an admin key the app already knows.
async fn app_with(dir: &Path) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.apply(dir).await;
    let mut conn = app.pool.get().await.unwrap();
    stagelab::db::models::experiments::pin_for_demo(&mut conn, chrono::Utc::now()).await.unwrap();
    let started = Instant::now();
    while !app.cache.snapshot().by_id.values().all(|e| e.salt.starts_with("demo:")) {
        assert!(started.elapsed() < Duration::from_secs(10), "salts never refreshed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let key = app.create_key(KeyRole::Admin).await;
    app.wait_for_key_name(&key, "test").await;
    (app, key)
}

#[derive(diesel::QueryableByName)]
struct ArmRow {
    #[diesel(sql_type = Text)]
    variant: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    conversions: i64,
}

/// Per variant (control first): exposed customers whose window has elapsed, and those who reached
/// the goal stage within the window after their exposure.
async fn conversions(app: &TestApp, experiment: &str) -> Vec<(String, Proportion)> {
    let mut conn = app.pool.get().await.unwrap();
    let rows: Vec<ArmRow> = diesel::sql_query(
        "SELECT v.key AS variant, count(*) AS n, count(*) FILTER (WHERE EXISTS ( \
             SELECT 1 FROM events ev WHERE ev.customer_id = x.customer_id AND ev.event_type = 'stage' \
               AND ev.stage = e.goal AND ev.occurred_at >= x.exposed_at \
               AND ev.occurred_at <= x.exposed_at + make_interval(days => e.window_days))) AS conversions \
         FROM exposures x JOIN experiments e ON e.id = x.experiment_id JOIN variants v ON v.id = x.variant_id \
         WHERE e.key = $1 AND NOT x.is_override AND x.exposed_at <= now() - make_interval(days => e.window_days) \
         GROUP BY v.key, v.position ORDER BY v.position",
    )
    .bind::<Text, _>(experiment)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.variant, Proportion::new(r.n as u64, r.conversions as u64).unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_true_lift_is_significant_and_an_a_a_test_is_not() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(experiments_copy().path().join("lifecycle.toml"), dir.path().join("lifecycle.toml")).unwrap();
    reach_experiment(dir.path(), "lift", 0.2);
    reach_experiment(dir.path(), "same", 0.0);
    let (app, key) = app_with(dir.path()).await;
    // A 20% baseline from reach to a first purchase; nothing after it (quicker).
    let mut baseline = Baseline::default();
    baseline.first_purchase.probability = 0.20;
    baseline.repeat_purchase.probability = 0.0;
    baseline.side_stage = 0.0;
    let options =
        Options { customers: 9_000, days: 60.0, seed: 12, batch: 500, concurrency: 4, baseline, ..Options::default() };
    let client = Client::new(&app.address, &key).unwrap();
    let summary = simulate::run(&client, &options, Progress::Hidden).await.unwrap();
    assert_eq!(summary.events_duplicates, 0);
    assert_eq!(summary.events_accepted, summary.events_sent);

    for (experiment, significant) in [("lift", true), ("same", false)] {
        let arms = conversions(&app, experiment).await;
        let control = Summary::from(arms[0].1);
        let treatment = Summary::from(arms[1].1);
        let analysis = analyze(&control, &[treatment], &stagelab::stats::Options::default()).unwrap();
        let relative = analysis.treatments[0].relative.unwrap();
        eprintln!("{experiment}: {arms:?}: relative lift {:.3}, p = {:.5}", relative.estimate, relative.p_value);
        let base = arms[0].1.rate();
        assert!((0.17..0.23).contains(&base), "{experiment}: control converts at about 20%: {base}");
        if significant {
            assert!(relative.p_value < 0.01 && relative.estimate > 0.1, "{experiment}: {relative:?}");
        } else {
            assert!(relative.p_value > 0.05, "{experiment}: {relative:?}");
        }
        // The report finds the same: counts, and a verdict that names the winner (or nothing).
        let (status, report) = app.get(&format!("/api/v1/experiments/{experiment}/results"), Some(&key)).await;
        assert_eq!(status, 200, "{report}");
        let conversion = &report["metrics"][0];
        assert_eq!(conversion["metric"], "conversion");
        assert_eq!(conversion["variants"][0]["n"].as_u64(), Some(arms[0].1.n()));
        assert_eq!(conversion["variants"][1]["conversions"].as_u64(), Some(arms[1].1.conversions()));
        assert_eq!(
            conversion["variants"][1]["significant"], significant,
            "{experiment}: {}",
            conversion["variants"][1]
        );
        let outcome = if significant { "better" } else { "inconclusive" };
        assert_eq!(report["verdicts"][0]["outcome"], outcome, "{}", report["verdicts"][0]);
        assert_eq!(report["srm"]["mismatch"], false);
    }
}

/// Every stored exposure, sorted.
async fn exposures(app: &TestApp) -> Vec<(String, i64, i64, chrono::DateTime<chrono::Utc>)> {
    use diesel::QueryDsl;
    use stagelab::db::schema::exposures::dsl as x;
    let mut conn = app.pool.get().await.unwrap();
    x::exposures
        .select((x::customer_id, x::experiment_id, x::variant_id, x::exposed_at))
        .order((x::customer_id, x::experiment_id))
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_sends_the_same_events_and_gets_the_same_assignments() {
    let (app, key) = app_with(experiments_copy().path()).await;
    let options = Options { customers: 600, days: 90.0, seed: 5, batch: 20, ..Options::default() };
    let client = Client::new(&app.address, &key).unwrap();
    let first = simulate::run(&client, &options, Progress::Hidden).await.unwrap();
    let stored = exposures(&app).await;
    assert!(first.events_accepted > 600 && first.events_duplicates == 0, "{first:?}");
    assert!(first.assignments > 600 && stored.len() as u64 <= first.assignments, "{first:?}");
    assert!(stored.iter().all(|(_, _, _, at)| *at < chrono::Utc::now() - chrono::Duration::seconds(1)));

    let second = simulate::run(&client, &Options { batch: 1, ..options.clone() }, Progress::Hidden).await.unwrap();
    assert_eq!(second.events_sent, first.events_sent);
    assert_eq!((second.events_accepted, second.events_duplicates), (0, first.events_sent));
    assert_eq!(
        (second.customers, second.visits, second.assignments),
        (first.customers, first.visits, first.assignments)
    );
    assert_eq!(second.assignments_digest, first.assignments_digest);
    assert_eq!(exposures(&app).await, stored, "sticky: the same exposures, at the same times");

    let other = simulate::run(&client, &Options { seed: 6, ..options }, Progress::Hidden).await.unwrap();
    assert_eq!(other.events_duplicates, 0);
    assert_ne!(other.assignments_digest, first.assignments_digest);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_reports_its_summary_and_fails_clearly() {
    let (app, admin) = app_with(experiments_copy().path()).await;
    let storefront = app.create_key(KeyRole::Storefront).await;
    app.wait_for_key_name(&storefront, "test").await;
    let sim = |url: &str, key: &str, more: &[&str]| {
        let mut args: Vec<String> =
            ["simulate", "--url", url, "--key", key, "--customers", "50"].map(String::from).into();
        args.extend(more.iter().map(|a| a.to_string()));
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run("postgres://unused", &args, "")
        })
    };
    let url = app.address.as_str();
    let out = sim(url, &admin, &["--json", "--rate", "500"]).await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(summary["customers"].as_u64().unwrap() >= 50, "{summary}");
    assert!(summary["assign_latency_ms"]["p99"].as_f64().unwrap() > 0.0, "{summary}");

    let out = sim(url, &storefront, &[]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not an admin key"), "{}", stderr(&out));
    let out = sim(url, "slk_wrong", &[]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    let out = sim("http://127.0.0.1:1", &admin, &[]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
    let out = sim("not a url", &admin, &[]).await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid --url"), "{}", stderr(&out));
    let out = sim(url, &admin, &["--concurrency", "0"]).await.unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

/// The number of rows of a table.
async fn count(db: &TestDb, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = db.conn().await;
    let rows: Vec<Count> =
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).load(&mut conn).await.unwrap();
    rows[0].n
}

fn demo(db: &TestDb) -> std::process::Command {
    demo_of(db, "400")
}

fn demo_of(db: &TestDb, customers: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stagelab"));
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--workers", "1", "--demo", "--demo-customers", customers])
        .env("DATABASE_URL", db.url())
        .env("STAGELAB_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Waits until the demo's history is complete.
async fn demo_done(db: &TestDb, limit: Duration) {
    let started = Instant::now();
    let pool = db.pool();
    loop {
        let mut conn = pool.get().await.unwrap();
        let marker = stagelab::db::models::settings::get(&mut conn, "demo_simulation").await.unwrap();
        if marker.as_ref().is_some_and(|m| m["status"] == "done") {
            return;
        }
        assert!(started.elapsed() < limit, "the demo never finished: {marker:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_fills_an_empty_store_once() {
    let db = TestDb::new().await;
    let (mut server, url) = spawn_serve(demo(&db));
    demo_done(&db, Duration::from_secs(60)).await;
    let reachable = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(reachable.status(), 200);
    let (events, exposures, keys) =
        (count(&db, "events").await, count(&db, "exposures").await, count(&db, "api_keys").await);
    assert!(events > 400 && exposures > 400, "{events} events, {exposures} exposures");
    assert_eq!(count(&db, "api_keys WHERE revoked_at IS NULL").await, 0, "the demo's key is revoked when done");
    signal(&server, Signal::SIGTERM);
    server.wait().unwrap();

    let (mut again, _) = spawn_serve(demo(&db));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(&db, "events").await, events, "a filled store is not simulated again");
    assert_eq!(count(&db, "exposures").await, exposures);
    assert_eq!(count(&db, "api_keys").await, keys, "no new key");
    assert_eq!(count(&db, "users").await, 1);
    signal(&again, Signal::SIGTERM);
    again.wait().unwrap();
}

/// What a newcomer's terminal shows: the URL, the login, the summary and the login again, and
/// no request lines of the demo's own simulated traffic at the default log level, while a real
/// request is still logged.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_terminal_shows_the_login_and_summary_but_not_its_own_requests() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = demo(&db);
    cmd.env("STAGELAB_LOG", "info").env("STAGELAB_LOG_FORMAT", "text");
    let file = |p: &Path| std::fs::File::create(p).unwrap();
    let mut server = cmd.stdout(file(&out)).stderr(file(&err)).spawn().unwrap();
    demo_done(&db, Duration::from_secs(60)).await;
    let printed = std::fs::read_to_string(&out).unwrap();
    let url = printed.split_whitespace().find(|w| w.starts_with("http://")).expect("the URL").to_string();
    let token = insert_key(&mut db.conn().await, "real", KeyRole::Admin).await;
    let real = reqwest::Client::new().get(format!("{url}/api/v1/lifecycle")).bearer_auth(&token).send().await;
    assert_eq!(real.unwrap().status(), 200);
    // The history is marked done just before the summary is printed.
    let started = Instant::now();
    while !std::fs::read_to_string(&out).unwrap().contains("history ready") {
        assert!(started.elapsed() < Duration::from_secs(10), "no summary");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal(&server, Signal::SIGTERM);
    server.wait().unwrap();
    let (printed, logged) = (std::fs::read_to_string(&out).unwrap(), std::fs::read_to_string(&err).unwrap());
    let logins = printed.lines().filter(|l| l.starts_with("demo: log in as admin@stagelab.local")).count();
    assert_eq!(logins, 2, "the login, and again with the summary:\n{printed}");
    let summary = printed.lines().position(|l| l.starts_with("demo: history ready")).expect("a summary");
    assert!(printed.lines().skip(summary).any(|l| l.starts_with("demo: log in as")), "{printed}");
    let requests: Vec<&str> = logged.lines().filter(|l| l.contains(" request ") || l.ends_with(" request")).collect();
    assert!(
        requests.iter().all(|l| !l.contains("/api/v1/assignments") && !l.contains("/api/v1/events")),
        "the simulated traffic was logged:\n{}",
        requests.join("\n")
    );
    assert!(requests.iter().any(|l| l.contains("route=/api/v1/lifecycle")), "the real request:\n{logged}");
}

/// The full-size demo (the default 120,000 customers; about 45 s in a debug build): its reports
/// show the winner, the loser and the experiment without an effect as such.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_reports_show_the_winner_the_loser_and_no_effect() {
    let db = TestDb::new().await;
    let (mut server, url) = spawn_serve(demo_of(&db, "120000"));
    demo_done(&db, Duration::from_secs(600)).await;
    let token = insert_key(&mut db.conn().await, "check", KeyRole::Admin).await;
    let client = reqwest::Client::new();
    let (mut outcomes, mut decisions) = (Vec::new(), Vec::new());
    for experiment in ["second-purchase-coupon", "welcome-offer", "referral-reward"] {
        let r: serde_json::Value = client
            .get(format!("{url}/api/v1/experiments/{experiment}/results"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["srm"]["mismatch"], false, "{experiment}: {}", r["srm"]);
        let d = &r["decision"];
        decisions.push(format!("{experiment}: {} {}", d["recommendation"].as_str().unwrap(), d["variant"]));
        for v in r["verdicts"].as_array().unwrap().iter().filter(|v| v["role"] == "primary") {
            outcomes.push(format!(
                "{experiment}/{}: {}",
                v["variant"].as_str().unwrap(),
                v["outcome"].as_str().unwrap()
            ));
        }
    }
    assert_eq!(
        outcomes,
        [
            "second-purchase-coupon/coupon10: better",
            "second-purchase-coupon/free-shipping: worse",
            "welcome-offer/welcome10: better",
            "referral-reward/points500: inconclusive",
        ]
    );
    assert_eq!(
        decisions,
        [
            "second-purchase-coupon: ship \"coupon10\"",
            "welcome-offer: ship \"welcome10\"",
            "referral-reward: keep_running null",
        ]
    );
    signal(&server, Signal::SIGTERM);
    server.wait().unwrap();
}
