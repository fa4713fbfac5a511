//! `stagelab report KEY [--format text|json|csv]`: the analysis of one experiment.

use super::CliError;
use crate::config::Config;
use anyhow::Context as _;
use clap::{Args, ValueEnum};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text.
    Text,
    /// The results JSON of the API (CONTRACT §5).
    Json,
    /// One row per metric and variant.
    Csv,
}

/// Arguments of `stagelab report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Experiment key.
    pub key: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Runs the command.
pub async fn run(config: Config, args: ReportArgs) -> Result<(), CliError> {
    let computed = super::with_database(&config, async |db| {
        let compute = async {
            let mut conn = db.pool.get().await?;
            anyhow::Ok(crate::analysis::compute(&mut conn, &args.key, chrono::Utc::now()).await?)
        };
        Ok(compute.await.context("computing the report failed")?)
    })
    .await?;
    let Some(report) = computed.map(|c| c.report) else {
        return Err(CliError::input(format!("no experiment with key {:?} (see `stagelab apply`)", args.key)));
    };
    let out = match args.format {
        Format::Text => crate::report::text::render(&report),
        Format::Csv => crate::report::csv::render(&report),
        Format::Json => serde_json::to_string_pretty(&report).context("cannot write the report as JSON")? + "\n",
    };
    print!("{out}");
    Ok(())
}
