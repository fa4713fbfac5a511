//! Every diesel query lives under this module: the schema, the pool, migrations and one model
//! file per table (`models/<table>.rs`: row structs and query functions returning `QueryResult`).

pub mod migrate;
pub mod models;
pub mod outage;
pub mod schema;

use crate::config::{Config, DatabaseConfig, DatabaseUrl};
use crate::pg::{Cluster, PgError, StartOptions};
use diesel_async::pooled_connection::{deadpool, AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::time::Duration;

/// The connection pool.
pub type Pool = deadpool::Pool<AsyncPgConnection>;
/// A pooled connection.
pub type Conn = deadpool::Object<AsyncPgConnection>;

/// Why the database could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The embedded cluster failed.
    #[error("embedded PostgreSQL: {0}")]
    Embedded(#[from] PgError),
    /// Could not connect or query.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// A migration failed.
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// The application's database: a pool, and the embedded cluster when one is used (stopped when
/// this is dropped, if no other process uses it).
pub struct Database {
    /// The pool.
    pub pool: Pool,
    url: DatabaseUrl,
    cluster: Option<Cluster>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("embedded", &self.cluster.as_ref().map(Cluster::dir)).finish()
    }
}

/// The name of the application database inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "stagelab";

/// `shared_buffers` of the embedded cluster.
const EMBEDDED_SHARED_BUFFERS: &str = "512MB";

impl Database {
    /// Connects as configured: the given URL, or the embedded cluster (started if needed, its
    /// database created if missing). Runs pending migrations unless the config says not to.
    pub async fn connect(config: &Config) -> Result<Database, SetupError> {
        let (url, cluster) = match &config.database {
            DatabaseConfig::Url(url) => (url.clone(), None),
            DatabaseConfig::Embedded { data_dir, bin_dir } => {
                let dir = data_dir.join("postgres");
                // PostgreSQL's default 128 MB of buffers is smaller than one large experiment's
                // outcome rows; reports would then read them from the OS cache every time.
                let settings = vec![("shared_buffers".to_string(), EMBEDDED_SHARED_BUFFERS.to_string())];
                let options = StartOptions { bin_dir: bin_dir.clone(), settings };
                let cluster = tokio::task::spawn_blocking(move || Cluster::start(&dir, &options))
                    .await
                    .map_err(|e| SetupError::Connect(e.to_string()))??;
                create_database_if_missing(&cluster.url("postgres"), EMBEDDED_DATABASE).await?;
                (DatabaseUrl::from(cluster.default_url()), Some(cluster))
            }
        };
        if config.migrate {
            migrate::run_pending(url.expose()).await?;
        }
        let pool = build_pool(url.expose(), config.db_pool_size)?;
        Ok(Database { pool, url, cluster })
    }

    /// The connection URL, password included (for the driver: never log it).
    pub fn url(&self) -> &str {
        self.url.expose()
    }

    /// Closes the pool and lets go of the embedded cluster (stopping it if this was its last user).
    pub async fn close(mut self) {
        self.pool.close();
        if let Some(cluster) = self.cluster.take() {
            let _ = tokio::task::spawn_blocking(move || {
                if let Err(e) = cluster.stop() {
                    tracing::error!(error = %e, "could not stop the embedded PostgreSQL");
                }
            })
            .await;
        }
    }
}

/// A pool for `url` with `size` connections; waiting for a connection times out after 5 s. A
/// connection handed out again is not pinged first (one round trip saved per checkout); one whose
/// socket closed is dropped and replaced.
pub fn build_pool(url: &str, size: usize) -> Result<Pool, SetupError> {
    pool_with(url, size, None)
}

/// A pool whose connections only look rows up by key and write them (assignment's batched
/// lookups and group commits): they never scan a table. The planner would otherwise pick a scan
/// for an `= ANY($1)` lookup while a table is new and its statistics say it is tiny, and keep that
/// plan for the life of the connection while the table grows.
pub fn build_keyed_pool(url: &str, size: usize) -> Result<Pool, SetupError> {
    pool_with(url, size, Some("SET enable_seqscan = off; SET max_parallel_workers_per_gather = 0"))
}

fn pool_with(url: &str, size: usize, settings: Option<&'static str>) -> Result<Pool, SetupError> {
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.recycling_method = RecyclingMethod::Fast;
    if let Some(settings) = settings {
        config.custom_setup = Box::new(move |url| {
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.batch_execute(settings).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
    }
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| SetupError::Connect(e.to_string()))
}

/// Creates `name` on the server at `admin_url` unless it exists. `name` must be a plain
/// identifier (it cannot be a bound parameter in `CREATE DATABASE`).
pub async fn create_database_if_missing(admin_url: &str, name: &str) -> Result<(), SetupError> {
    use diesel::sql_types::Text;
    use diesel::QueryableByName;
    assert!(is_plain_identifier(name), "database names are chosen by stagelab");
    let mut conn = AsyncPgConnection::establish(admin_url).await.map_err(|e| SetupError::Connect(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    let found: Vec<Found> = diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .load(&mut conn)
        .await
        .map_err(|e| SetupError::Connect(e.to_string()))?;
    if found.is_empty() {
        match diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await {
            Ok(_) => {}
            // Another process created it meanwhile.
            Err(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("already exists") => {}
            Err(e) => return Err(SetupError::Connect(e.to_string())),
        }
    }
    Ok(())
}

/// Lower-case letters, digits and underscores, starting with a letter.
pub fn is_plain_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() < 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
