//! `stagelab stats proportions` and `stagelab stats means`: a control against treatments.

use super::{table, to_json, CliError};
use crate::stats::{analyze, input, Alpha, Options, Summary, Tuning};
use clap::Args;

/// Options shared by `proportions` and `means`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Always-valid (sequential) intervals and p-values.
    #[arg(long)]
    pub sequential: bool,
    /// Tuning parameter of the confidence sequence (sample size where it is tightest).
    #[arg(long, default_value = "5000", requires = "sequential", allow_hyphen_values = true, value_parser = input::tuning)]
    pub tuning: Tuning,
    /// Significance level, in (0, 1).
    #[arg(long, default_value = "0.05", allow_hyphen_values = true, value_parser = input::alpha)]
    pub alpha: Alpha,
    /// Print exactly one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `stagelab stats proportions`.
#[derive(Debug, Args)]
pub struct ProportionsArgs {
    /// Control as N:CONVERSIONS.
    #[arg(long, value_name = "N:CONVERSIONS", allow_hyphen_values = true, value_parser = input::proportion)]
    pub control: Summary,
    /// A treatment as N:CONVERSIONS (repeat for several).
    #[arg(
        long,
        value_name = "N:CONVERSIONS",
        required = true,
        allow_hyphen_values = true,
        value_parser = input::proportion
    )]
    pub treatment: Vec<Summary>,
    #[command(flatten)]
    pub test: TestArgs,
}

/// `stagelab stats means`.
#[derive(Debug, Args)]
pub struct MeansArgs {
    /// Control as N:MEAN:SD.
    #[arg(long, value_name = "N:MEAN:SD", allow_hyphen_values = true, value_parser = input::mean)]
    pub control: Summary,
    /// A treatment as N:MEAN:SD (repeat for several).
    #[arg(long, value_name = "N:MEAN:SD", required = true, allow_hyphen_values = true, value_parser = input::mean)]
    pub treatment: Vec<Summary>,
    #[command(flatten)]
    pub test: TestArgs,
}

/// The comparison as JSON or as a table with `decimals` digits for means and lifts.
pub(super) fn run(control: Summary, treatments: &[Summary], t: &TestArgs, decimals: usize) -> Result<String, CliError> {
    let opts = Options { alpha: t.alpha, sequential: t.sequential.then_some(t.tuning), ..Options::default() };
    // Inputs are parsed into one kind per subcommand, so the engine cannot reject them; report
    // rather than panic should that ever change.
    let analysis = analyze(&control, treatments, &opts).map_err(|e| CliError::input(e.to_string()))?;
    if t.json {
        to_json(&analysis)
    } else {
        Ok(table::render(&analysis, decimals))
    }
}
