//! `stagelab stats sample-size`: units per variant for a conversion-rate test.

use super::{invalid, to_json, CliError};
use crate::stats::{input, sample_size, Alpha, Mde, StatsError};
use clap::Args;

/// `stagelab stats sample-size`.
#[derive(Debug, Args)]
pub struct SampleSizeArgs {
    /// Baseline conversion rate, in (0, 1).
    #[arg(long, allow_hyphen_values = true, value_parser = input::number)]
    pub baseline: f64,
    /// Minimum detectable effect (absolute rate points unless --relative).
    #[arg(long, allow_hyphen_values = true, value_parser = input::number)]
    pub mde: f64,
    /// Read --mde as relative to the baseline (0.1 = +10 %).
    #[arg(long)]
    pub relative: bool,
    /// Power, in (0, 1).
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true, value_parser = input::number)]
    pub power: f64,
    /// Number of variants, control included.
    #[arg(long, default_value_t = 2)]
    pub variants: u32,
    /// Significance level, in (0, 1).
    #[arg(long, default_value = "0.05", allow_hyphen_values = true, value_parser = input::alpha)]
    pub alpha: Alpha,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The sample size, naming the flag the engine rejected.
pub(super) fn run(a: &SampleSizeArgs) -> Result<String, CliError> {
    let mde = if a.relative { Mde::Relative(a.mde) } else { Mde::Absolute(a.mde) };
    let s = sample_size(a.baseline, mde, a.alpha, a.power, a.variants).map_err(|e| {
        let (flag, value) = match &e {
            StatsError::OutOfRange { what: "baseline", .. } => ("--baseline", a.baseline),
            StatsError::OutOfRange { what: "power", .. } => ("--power", a.power),
            StatsError::TooFew { .. } => ("--variants", f64::from(a.variants)),
            _ => ("--mde", a.mde),
        };
        invalid(flag, value, e)
    })?;
    if a.json {
        return to_json(&s);
    }
    Ok(format!("per variant  {}\ntotal        {}", s.per_variant, s.total))
}
