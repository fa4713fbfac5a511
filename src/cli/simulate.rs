//! `stagelab simulate --url URL --key TOKEN [--customers N] [--days D] [--seed S] [--rate R]
//! [--concurrency C]`: a synthetic store with known true effects that drives a running service,
//! and a load generator.

use super::CliError;
use crate::simulate::{self, Client, Options, Progress, SimError};
use clap::Args;
use std::io::IsTerminal;

/// Arguments of `stagelab simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Base URL of the running service, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "STAGELAB_URL")]
    pub url: String,
    /// An admin API key (`stagelab keys create NAME --role admin`).
    #[arg(long, env = "STAGELAB_KEY", hide_env_values = true)]
    pub key: String,
    /// Customers arriving at the first stage (referrals bring more).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub customers: u64,
    /// Days of history: arrivals are spread over this many days up to now.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub days: u32,
    /// Seed: the same seed sends the same customers and event ids again.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// At most this many requests per second (0: as fast as possible).
    #[arg(long, default_value_t = 0.0, value_parser = non_negative)]
    pub rate: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Customers per assignment request: 1 uses POST /api/v1/assignments (as a storefront does),
    /// more the batch endpoint.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// Events per POST /api/v1/events.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub event_batch: u16,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// A finite number ≥ 0.
fn non_negative(s: &str) -> Result<f64, String> {
    match crate::stats::input::number(s) {
        Ok(v) if v >= 0.0 => Ok(v),
        Ok(v) => Err(format!("{v} is negative")),
        Err(e) => Err(e.to_string()),
    }
}

/// The caller's input (exit code 2) or the service (1).
fn cli_error(e: SimError) -> CliError {
    if e.is_bad_input() {
        CliError::input(e.to_string())
    } else {
        CliError::from(e)
    }
}

/// Runs the simulation and prints its summary.
pub async fn run(args: SimulateArgs) -> Result<(), CliError> {
    let client = Client::new(&args.url, &args.key).map_err(cli_error)?;
    let options = Options {
        customers: args.customers,
        days: f64::from(args.days),
        seed: args.seed,
        rate: (args.rate > 0.0).then_some(args.rate),
        concurrency: usize::from(args.concurrency),
        batch: usize::from(args.batch),
        event_batch: usize::from(args.event_batch),
        ..Options::default()
    };
    let progress = if std::io::stderr().is_terminal() { Progress::Bar } else { Progress::Hidden };
    eprintln!(
        "simulating {} customers over {} days against {} (seed {})",
        options.customers, args.days, args.url, options.seed
    );
    let summary = simulate::run(&client, &options, progress).await.map_err(cli_error)?;
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{summary}");
    }
    Ok(())
}
