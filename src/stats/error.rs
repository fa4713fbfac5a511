//! The one error type of the engine: every way a caller can hand over input that
//! has no statistical meaning. Results that exist but are undefined (a relative
//! lift against a zero control mean, say) are not errors: see [`super::Undefined`].

use thiserror::Error;

/// Invalid input to the statistics engine.
///
/// Each variant names the offending value so that the CLI and the report layer
/// can pass the message on unchanged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// More conversions than units.
    #[error("conversions ({conversions}) exceed n ({n})")]
    ConversionsExceedN {
        /// Units exposed.
        n: u64,
        /// Units converted.
        conversions: u64,
    },
    /// A value that must be a finite number was NaN or infinite.
    #[error("{what} must be a finite number, got {value}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// The value received.
        value: f64,
    },
    /// A value that must be ≥ 0 was negative.
    #[error("{what} must not be negative, got {value}")]
    Negative {
        /// Which input.
        what: &'static str,
        /// The value received.
        value: f64,
    },
    /// A probability-like value (alpha, power, a rate, a p-value) outside its range.
    #[error("{what} must be in {range}, got {value}")]
    OutOfRange {
        /// Which input.
        what: &'static str,
        /// The allowed range, written for people, e.g. "(0, 1)".
        range: &'static str,
        /// The value received.
        value: f64,
    },
    /// Sums that no set of real numbers can have (sum of squares below sum²/n).
    #[error("sum of squares ({sum_squares}) is smaller than sum²/n for sum {sum} and n {n}")]
    ImpossibleSums {
        /// Units.
        n: u64,
        /// Sum of values.
        sum: f64,
        /// Sum of squared values.
        sum_squares: f64,
    },
    /// The number of weights differs from the number of observed counts.
    #[error("{weights} weights given for {observed} observed counts")]
    WeightCount {
        /// Number of observed counts.
        observed: usize,
        /// Number of weights.
        weights: usize,
    },
    /// Weights must be non-negative and sum to a positive number.
    #[error("weights must be non-negative and sum to a positive number, got sum {sum}")]
    WeightSum {
        /// Their sum.
        sum: f64,
    },
    /// An input list that needs at least a given number of entries.
    #[error("{what} needs at least {min} entries, got {got}")]
    TooFew {
        /// Which input.
        what: &'static str,
        /// Entries needed.
        min: usize,
        /// Entries given.
        got: usize,
    },
    /// Control and treatments are summaries of different kinds of metric.
    #[error("control and treatments must all be proportions or all be means")]
    MixedKinds,
    /// The minimum detectable effect moves the rate out of (0, 1) or is zero.
    #[error("minimum detectable effect {mde} gives a treatment rate {rate} outside (0, 1) or no effect")]
    InvalidEffect {
        /// The effect as given.
        mde: f64,
        /// The implied treatment rate.
        rate: f64,
    },
}
