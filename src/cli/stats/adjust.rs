//! `stagelab stats adjust`: p-values corrected for multiple comparisons.

use super::{invalid, to_json, typed, CliError};
use crate::analysis::format::p_value;
use crate::stats::{adjust, input, Correction};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;

/// Correction methods on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Holm (family-wise error rate).
    Holm,
    /// Benjamini–Hochberg (false discovery rate).
    Bh,
}

/// `stagelab stats adjust`.
#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// Correction method.
    #[arg(long, value_enum)]
    pub method: Method,
    /// Raw p-values, comma-separated.
    #[arg(
        long,
        value_name = "P-VALUES",
        required = true,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_parser = input::number
    )]
    pub p: Vec<f64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The adjusted p-values, as JSON or a two-column table.
pub(super) fn run(a: &AdjustArgs) -> Result<String, CliError> {
    let method = match a.method {
        Method::Holm => Correction::Holm,
        Method::Bh => Correction::BenjaminiHochberg,
    };
    let adjusted = adjust(&a.p, method).map_err(|e| invalid("--p", typed(&a.p), e))?;
    if a.json {
        return to_json(&serde_json::json!({ "adjusted": adjusted }));
    }
    let mut out = format!("{:>12}  {:>12}", "raw", "adjusted");
    for (raw, q) in a.p.iter().zip(&adjusted) {
        let _ = write!(out, "\n{:>12}  {:>12}", p_value(*raw), p_value(*q));
    }
    Ok(out)
}
