//! One embedded PostgreSQL cluster per test run, a template database migrated once, and a fresh
//! database per test (created from the template, dropped when the test ends).

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stagelab::pg::{Cluster, StartOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

const TEMPLATE: &str = "stagelab_test_template";
const PREFIX: &str = "stagelab_test_";

/// The cluster, held until the process exits (then stopped if no other process uses it).
static CLUSTER: Mutex<Option<Cluster>> = Mutex::new(None);
/// The admin URL of the cluster, once it runs and the template is ready.
static READY: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Runs async setup on a thread of its own, so that it works from inside any test runtime.
fn on_own_runtime<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f))
        .join()
        .unwrap()
}

/// Starts the cluster and prepares the template, once per process.
fn admin_url() -> &'static str {
    READY.get_or_init(|| {
        stagelab::telemetry::init("error", stagelab::config::LogFormat::Text);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("postgres");
        // A throw-away cluster: durability buys nothing here and costs seconds.
        let settings =
            [("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"), ("max_connections", "300")];
        let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let options = StartOptions { settings, bin_dir: None };
        let cluster = Cluster::start(&dir, &options).unwrap_or_else(|e| panic!("test cluster: {e}"));
        let admin = cluster.url("postgres");
        let template = cluster.url(TEMPLATE);
        *CLUSTER.lock().unwrap() = Some(cluster);
        let admin_for_setup = admin.clone();
        on_own_runtime(async move {
            let mut conn = AsyncPgConnection::establish(&admin_for_setup).await.unwrap();
            sweep_leftovers(&mut conn).await;
            exec(&mut conn, &format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")).await;
            exec(&mut conn, &format!("CREATE DATABASE {TEMPLATE}")).await;
            stagelab::db::migrate::run_pending(&template).await.unwrap();
        });
        admin
    })
}

/// Stops the cluster when the test process exits (if no other process still uses it).
#[ctor::dtor]
fn stop_cluster() {
    if let Ok(mut guard) = CLUSTER.lock() {
        drop(guard.take());
    }
}

/// Drops test databases left by processes that no longer run (e.g. a killed test run).
async fn sweep_leftovers(conn: &mut AsyncPgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'stagelab\\_test\\_%' AND datname <> $1")
            .bind::<diesel::sql_types::Text, _>(TEMPLATE)
            .load(conn)
            .await
            .unwrap();
    for name in names {
        let pid = name.datname.trim_start_matches(PREFIX).split('_').next().and_then(|p| p.parse::<i32>().ok());
        let alive = pid.is_some_and(|p| nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok());
        if !alive {
            exec(conn, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", name.datname)).await;
        }
    }
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database of its own for one test, dropped when this is dropped.
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// A fresh, fully migrated database.
    pub async fn new() -> TestDb {
        TestDb::create(Some(TEMPLATE)).await
    }

    /// A fresh database with no tables at all (for migration tests).
    pub async fn empty() -> TestDb {
        TestDb::create(None).await
    }

    async fn create(template: Option<&str>) -> TestDb {
        let admin = admin_url();
        let name = format!("{PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut conn = AsyncPgConnection::establish(admin).await.unwrap();
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name} TEMPLATE template0"),
        };
        exec(&mut conn, &sql).await;
        let url = CLUSTER.lock().unwrap().as_ref().expect("cluster runs").url(&name);
        TestDb { name, url }
    }

    /// The connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new pool on this database.
    pub fn pool(&self) -> stagelab::db::Pool {
        stagelab::db::build_pool(&self.url, 4).unwrap()
    }

    /// A single connection.
    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url).await.unwrap()
    }

    /// Drops the database now, even with open connections (to simulate losing it).
    pub async fn drop_now(&self) {
        let mut conn = AsyncPgConnection::establish(admin_url()).await.unwrap();
        exec(&mut conn, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let admin = admin_url().to_string();
        on_own_runtime(async move {
            if let Ok(mut conn) = AsyncPgConnection::establish(&admin).await {
                let _ = diesel::sql_query(sql).execute(&mut conn).await;
            }
        });
    }
}
