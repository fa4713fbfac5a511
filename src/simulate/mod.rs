//! `stagelab simulate`: a synthetic store with known true effects that drives the real HTTP API.
//!
//! It reads the lifecycle and the experiments (with their `[simulation]` tables) from the
//! service, lets customers arrive over the last `days` days, asks for their assignments at every
//! stage they reach (back-dated with `at`), and sends the events of their journeys (back-dated
//! `occurred_at`) in batches. Everything is derived from the seed, so a re-run sends the same
//! event ids (the service counts them as duplicates) and gets the same sticky assignments.
//!
//! - [`model`]: the lifecycle's stages, the experiments' true effects, the baseline behaviour;
//! - [`journey`]: one customer's way through the lifecycle (pure, deterministic);
//! - [`client`]: the HTTP calls; [`driver`]: batching, concurrency and pacing;
//! - [`stats`]: counts, throughput and latency percentiles; [`progress`]: bar or log lines.

pub mod client;
mod driver;
pub mod error;
pub mod journey;
pub mod model;
mod pace;
pub mod progress;
pub mod stats;

pub use client::Client;
pub use error::SimError;
pub use model::{Baseline, Model};
pub use progress::Progress;
pub use stats::Summary;

/// What to simulate and how hard to drive the service.
#[derive(Debug, Clone)]
pub struct Options {
    /// Customers arriving (referrals bring more).
    pub customers: u64,
    /// Arrivals spread over this many days up to now.
    pub days: f64,
    /// Seed of everything random.
    pub seed: u64,
    /// At most this many requests per second (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Customers per assignment request (1: `POST /api/v1/assignments`, as a storefront calls it;
    /// more: the batch endpoint).
    pub batch: usize,
    /// Events per `POST /api/v1/events`.
    pub event_batch: usize,
    /// Customer behaviour without experiments.
    pub baseline: Baseline,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            customers: 10_000,
            days: 60.0,
            seed: 1,
            rate: None,
            concurrency: 16,
            batch: 1,
            event_batch: 500,
            baseline: Baseline::default(),
        }
    }
}

/// Runs a simulation against the service behind `client` (which needs an admin key).
pub async fn run(client: &Client, options: &Options, progress: Progress) -> Result<Summary, SimError> {
    let lifecycle = client.lifecycle().await?;
    let experiments = client.experiments().await?;
    let model = Model::from_api(&lifecycle, &experiments, options.baseline.clone())?;
    let world = journey::World { model: &model, seed: options.seed, now: chrono::Utc::now() };
    let reporter = progress::Reporter::new(progress, options.customers);
    driver::Driver::new(world, client.clone(), options, reporter).run().await
}
