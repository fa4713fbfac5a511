//! The statistics engine: pure functions on summary statistics (no HTTP, no SQL,
//! no I/O).
//!
//! Entry points for the report layer:
//! - [`analyze`] / [`analyze_cuped`]: one metric, a control and several
//!   treatments → [`Analysis`] (frequentist or sequential lifts, Bayesian
//!   chance to beat and risk, Fisher for small counts, SRM, corrections);
//! - [`srm()`], [`adjust()`], [`sample_size`], [`power_at`], [`days_needed`];
//! - [`winsorized_means`] before a revenue test;
//! - [`analyze_survival`] for time to transition.
//!
//! ```
//! use stagelab::stats::{analyze, Options, Proportion, Summary};
//!
//! let control = Summary::from(Proportion::new(10_000, 1_000)?);
//! let treatments = [Summary::from(Proportion::new(10_000, 1_100)?)];
//! let analysis = analyze(&control, &treatments, &Options::default())?;
//! let lift = analysis.treatments[0].absolute.expect("both arms have data");
//! assert!(lift.p_value < 0.05 && lift.ci.contains(lift.estimate));
//! let json = serde_json::to_string(&analysis)?; // never contains NaN or inf
//! # assert!(json.contains("chance_to_beat_control"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Methods follow GrowthBook's gbstats so that numbers are comparable; the
//! reference fixtures in `tests/reference/` pin them.

pub mod adjust;
pub mod alpha;
pub mod analysis;
pub mod bayesian;
pub mod cuped;
pub mod dist;
pub mod error;
pub mod fisher;
pub mod frequentist;
pub mod input;
pub mod kaplan_meier;
pub mod log_rank;
pub mod mean;
pub mod power;
pub mod proportion;
pub mod result;
pub mod sequential;
pub mod srm;
pub mod summary;
pub mod survival;
pub mod winsor;

#[cfg(test)]
mod calibration_tests;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod reference_tests;

pub use adjust::{adjust, Correction};
pub use alpha::Alpha;
pub use analysis::{analyze, analyze_cuped, compare, Analysis, ArmResult, Options, TreatmentResult};
pub use bayesian::{bayesian, Bayesian, GaussianPrior, Risk};
pub use cuped::CupedArm;
pub use error::StatsError;
pub use fisher::fisher_exact;
pub use frequentist::{fixed_horizon, fixed_horizon_both, Scale};
pub use kaplan_meier::{kaplan_meier, KaplanMeier, KmPoint, Observation};
pub use log_rank::{log_rank, LogRank};
pub use mean::{Mean, MeanAccumulator};
pub use power::{days_needed, power_at, sample_size, sample_size_mean, Mde, SampleSize};
pub use proportion::Proportion;
pub use result::{Effect, Interval, Undefined};
pub use sequential::{sequential, Tuning};
pub use srm::{srm, Srm};
pub use summary::{Moments, Summary};
pub use survival::{analyze_survival, SurvivalAnalysis, SurvivalComparison};
pub use winsor::{percentile, winsorize, winsorized_means};
