//! `stagelab programme [--format text|json|csv]`: the programme holdout against everyone else.

use super::report::Format;
use super::CliError;
use crate::config::Config;
use anyhow::Context as _;
use clap::Args;

/// Arguments of `stagelab programme`.
#[derive(Debug, Args)]
pub struct ProgrammeArgs {
    /// Output format (`json` is the API's answer, CONTRACT §9).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Runs the command.
pub async fn run(config: Config, args: ProgrammeArgs) -> Result<(), CliError> {
    let programme = super::with_database(&config, async |db| {
        let compute = async {
            let mut conn = db.pool.get().await?;
            anyhow::Ok(crate::analysis::compute_programme(&mut conn, chrono::Utc::now()).await?)
        };
        Ok(compute.await.context("computing the programme analysis failed")?)
    })
    .await?;
    let out = match args.format {
        Format::Text => crate::report::programme::text(&programme),
        Format::Csv => crate::report::programme::csv(&programme),
        Format::Json => serde_json::to_string_pretty(&programme).context("cannot write the analysis as JSON")? + "\n",
    };
    print!("{out}");
    Ok(())
}
