//! `stagelab report KEY [--format text|json|csv]`: the analysis of one experiment.

use crate::config::Config;
use clap::{Args, ValueEnum};
use std::process::ExitCode;

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
pub async fn run(config: Config, args: ReportArgs) -> ExitCode {
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let result = match db.pool.get().await {
        Ok(mut conn) => {
            let computed = crate::analysis::compute(&mut conn, &args.key, chrono::Utc::now()).await;
            computed.map(|c| c.map(|c| c.report)).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    db.close().await;
    match result {
        Ok(Some(report)) => {
            let out = match args.format {
                Format::Text => crate::report::text::render(&report),
                Format::Csv => crate::report::csv::render(&report),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(s) => s + "\n",
                    Err(e) => {
                        eprintln!("error: cannot write the report as JSON: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            print!("{out}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("error: no experiment with key {:?} (see `stagelab apply`)", args.key);
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: computing the report failed: {e}");
            ExitCode::FAILURE
        }
    }
}
