//! `stagelab serve --demo`: applies `experiments/`, creates the demo admin user and, on a store
//! with no events yet, fills in a simulated, back-dated history in the background once the server
//! listens, by running `stagelab simulate` in-process against the server's own URL.
//!
//! A re-run duplicates nothing: the user exists, and a store with events is left alone, unless a
//! previous fill was interrupted (it is then resumed; the same seed re-sends the same events, which
//! the service counts as duplicates).

use crate::db::models::{api_keys, audit, events, experiments, settings, users};
use crate::db::Pool;
use crate::domain::key::KeyRole;
use crate::domain::password;
use crate::simulate::{self, Client, Options, Progress};
use serde_json::json;
use std::path::Path;

/// The demo's admin login.
pub const DEMO_ADMIN: &str = "admin@stagelab.local";
/// Customers of the demo's history: enough for clear answers in every report, few enough to fill
/// within about half a minute in a release build.
pub const DEMO_CUSTOMERS: u64 = 120_000;
/// Days of demo history: long enough for the 60-day referral window to mature.
pub const DEMO_DAYS: f64 = 120.0;
/// The demo's seed (with the pinned salts, the demo is the same everywhere).
pub const DEMO_SEED: u64 = 7;

/// What `--demo` prepared before the server started.
pub struct Demo {
    login: String,
    fill: Option<Fill>,
}

/// A history to simulate once the server listens.
struct Fill {
    token: String,
    key_id: i64,
    options: Options,
}

/// Applies `experiments/`, creates the admin user once and decides whether to simulate.
/// `customers` overrides the demo's size (for tests).
pub async fn prepare(pool: &Pool, customers: Option<u64>) -> anyhow::Result<Demo> {
    match crate::apply::run(pool, Path::new("experiments"), false, "demo").await {
        Ok(plan) => {
            let (create, update, unchanged) = plan.counts();
            println!("demo: experiments applied ({create} created, {update} updated, {unchanged} unchanged)");
        }
        Err(crate::apply::ApplyError::Invalid(errors)) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::bail!("the experiment files are invalid:\n{}", text.join("\n"));
        }
        Err(e) => return Err(e.into()),
    }
    let login = admin_user(pool).await?;
    let mut conn = pool.get().await?;
    let marker = settings::get(&mut conn, settings::DEMO_SIMULATION).await?;
    let interrupted = marker.as_ref().is_some_and(|m| m["status"] == "running");
    if events::any(&mut conn).await? && !interrupted {
        println!("demo: the store already has events; not simulating a history again");
        return Ok(Demo { login, fill: None });
    }
    if let Some(old) = marker.as_ref().and_then(|m| m["key_id"].as_i64()) {
        api_keys::revoke(&mut conn, old).await?;
    }
    let options = Options {
        customers: customers.unwrap_or(DEMO_CUSTOMERS),
        days: DEMO_DAYS,
        seed: DEMO_SEED,
        concurrency: 4,
        batch: 500,
        ..Options::default()
    };
    let start = chrono::Utc::now() - chrono::Duration::days(DEMO_DAYS as i64);
    experiments::pin_for_demo(&mut conn, start).await?;
    // The key exists before the server loads its key table, so its first requests are known.
    let (stored, token) = crate::keys::create(&mut conn, "demo", KeyRole::Admin, "demo").await?;
    let marker = json!({"status": "running", "key_id": stored.id, "seed": DEMO_SEED});
    settings::put(&mut conn, settings::DEMO_SIMULATION, &marker).await?;
    Ok(Demo { login, fill: Some(Fill { token, key_id: stored.id, options }) })
}

/// Creates the demo admin once; returns the line that tells how to log in.
async fn admin_user(pool: &Pool) -> anyhow::Result<String> {
    let mut conn = pool.get().await?;
    if users::find_by_email(&mut conn, DEMO_ADMIN).await?.is_some() {
        return Ok(format!("demo: log in as {DEMO_ADMIN} (its password was printed when the demo first ran)"));
    }
    let secret = password::generate();
    let hash = password::hash(&secret).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    let user =
        users::insert(&mut conn, &users::NewUser { email: DEMO_ADMIN, password_hash: &hash, role: "admin" }).await?;
    let after = json!({"id": user.id, "email": user.email, "role": user.role});
    let entry = audit::NewEntry {
        actor: "demo",
        action: "user.create",
        entity_type: "user",
        entity_key: DEMO_ADMIN,
        before: None,
        after: Some(after),
    };
    audit::record(&mut conn, &entry).await?;
    Ok(format!("demo: log in as {DEMO_ADMIN} with password {secret}"))
}

impl Demo {
    /// The key of the simulated traffic, while a history is to be filled.
    pub fn key_id(&self) -> Option<i64> {
        self.fill.as_ref().map(|f| f.key_id)
    }

    /// Prints the login and starts filling the history in the background against `url`, the
    /// server's own address; the login is printed again when the history is ready.
    pub fn start(self, pool: Pool, url: String) {
        println!("{}", self.login);
        let Some(fill) = self.fill else { return };
        println!(
            "demo: simulating {} customers over {} days in the background; reports fill in as it runs",
            fill.options.customers, fill.options.days
        );
        tokio::spawn(run_fill(pool, url, fill, self.login));
    }
}

/// Runs the simulation; on success refreshes the planner's statistics, marks the history done
/// and revokes the demo's key.
async fn run_fill(pool: Pool, url: String, fill: Fill, login: String) {
    let result = async {
        let client = Client::new(&url, &fill.token)?;
        let summary = simulate::run(&client, &fill.options, Progress::Log).await?;
        let mut conn = pool.get().await?;
        events::analyze_after_bulk_load(&mut conn).await?;
        let marker = json!({"status": "done", "seed": fill.options.seed, "summary": summary});
        settings::put(&mut conn, settings::DEMO_SIMULATION, &marker).await?;
        api_keys::revoke(&mut conn, fill.key_id).await?;
        anyhow::Ok(summary)
    }
    .await;
    match result {
        Ok(s) => {
            tracing::info!(
                customers = s.customers,
                events = s.events_accepted,
                seconds = s.elapsed_seconds,
                "demo history ready"
            );
            println!(
                "demo: history ready: {} customers, {} assignments, {} events in {:.1} s",
                s.customers, s.assignments, s.events_accepted, s.elapsed_seconds
            );
            println!("{login}");
        }
        Err(e) => tracing::error!(
            error = %e,
            "demo: filling the history stopped; run `stagelab serve --demo` again to finish it"
        ),
    }
}
