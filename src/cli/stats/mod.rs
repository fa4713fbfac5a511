//! `stagelab stats …`: calculators on summary statistics, with the same engine
//! ([`crate::stats`]) as the reports.
//!
//! Each flag's value is parsed by [`crate::stats::input`] inside clap, so a malformed value is a
//! usage error naming the flag; what only the engine can judge (weights that do not match the
//! counts, a power of 1.2) is reported in the same form, `invalid --flag 'value': why`. Both exit
//! with code 2.

mod adjust;
mod compare;
mod sample_size;
mod srm;
mod table;
#[cfg(test)]
mod tests;

pub use adjust::{AdjustArgs, Method};
pub use compare::{MeansArgs, ProportionsArgs, TestArgs};
pub use sample_size::SampleSizeArgs;
pub use srm::SrmArgs;

use super::CliError;
use clap::{Args, Subcommand};

/// Arguments of `stagelab stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Which calculator to run.
    #[command(subcommand)]
    pub command: StatsCommand,
}

/// The calculators.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Compare conversion rates: control against one or more treatments.
    Proportions(ProportionsArgs),
    /// Compare means given as N:MEAN:SD (SD with the n − 1 denominator).
    Means(MeansArgs),
    /// Sample-ratio-mismatch check of observed units against planned weights.
    Srm(SrmArgs),
    /// Units per variant needed to detect an effect on a conversion rate.
    SampleSize(SampleSizeArgs),
    /// Adjust p-values for multiple comparisons.
    Adjust(AdjustArgs),
}

/// Runs `stagelab stats` and prints its output.
pub fn run(args: &StatsArgs) -> Result<(), CliError> {
    println!("{}", execute(args)?);
    Ok(())
}

/// Computes the output of a calculator (without printing it), or why not.
pub fn execute(args: &StatsArgs) -> Result<String, CliError> {
    match &args.command {
        StatsCommand::Proportions(a) => compare::run(a.control, &a.treatment, &a.test, 6),
        StatsCommand::Means(a) => compare::run(a.control, &a.treatment, &a.test, 4),
        StatsCommand::Srm(a) => srm::run(a),
        StatsCommand::SampleSize(a) => sample_size::run(a),
        StatsCommand::Adjust(a) => adjust::run(a),
    }
}

/// A value the engine rejected, in the form clap's parsers use: `invalid --flag 'value': why`.
fn invalid(flag: &str, value: impl std::fmt::Display, why: impl std::fmt::Display) -> CliError {
    CliError::input(format!("invalid {flag} '{value}': {why}"))
}

/// A list as it was typed on the command line.
fn typed<T: std::fmt::Display>(list: &[T]) -> String {
    list.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// The `--json` output: exactly one JSON object.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    Ok(serde_json::to_string(value)?)
}
