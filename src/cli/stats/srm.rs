//! `stagelab stats srm`: sample-ratio-mismatch check.

use super::{invalid, to_json, typed, CliError};
use crate::analysis::format::p_value;
use crate::stats::{input, srm, StatsError};
use clap::Args;

/// `stagelab stats srm`.
#[derive(Debug, Args)]
pub struct SrmArgs {
    /// Observed units per variant, comma-separated (control first).
    #[arg(
        long,
        value_name = "COUNTS",
        required = true,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_parser = input::count
    )]
    pub observed: Vec<u64>,
    /// Planned weights, comma-separated; equal when omitted.
    #[arg(long, value_name = "WEIGHTS", value_delimiter = ',', allow_hyphen_values = true, value_parser = input::number)]
    pub weights: Option<Vec<f64>>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The check's output.
pub(super) fn run(a: &SrmArgs) -> Result<String, CliError> {
    let r = srm(&a.observed, a.weights.as_deref()).map_err(|e| match (&e, &a.weights) {
        (StatsError::TooFew { .. }, _) | (_, None) => invalid("--observed", typed(&a.observed), e),
        (_, Some(w)) => invalid("--weights", typed(w), e),
    })?;
    if a.json {
        return to_json(&r);
    }
    Ok(format!(
        "chi-square  {:.4}\np-value     {}\nmismatch    {}",
        r.chi_square,
        p_value(r.p_value),
        if r.mismatch { "YES (p < 0.001): check assignment and logging" } else { "no" }
    ))
}
