//! Building blocks of results: intervals, effects and the reasons a quantity
//! can be undefined.
//!
//! Every float that reaches a result passes through a constructor here that
//! rejects NaN and ±∞, so serialised JSON can never contain them: a quantity
//! that cannot be computed becomes `None` plus an [`Undefined`] reason.

use serde::{Serialize, Serializer};

/// Why a quantity has no value. Serialises as its human-readable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    /// An arm has no units.
    EmptyArm,
    /// An arm has a single unit, so its variance (and the Welch degrees of freedom) is undefined.
    TooFewUnits,
    /// Both arms have zero variance: every unit has the same value.
    ZeroVariance,
    /// The control mean is 0, so a relative lift has no denominator.
    ZeroControlMean,
    /// The computation overflowed or otherwise produced no finite number.
    NonFinite,
}

impl Undefined {
    /// The reason, as written into results.
    pub fn reason(&self) -> &'static str {
        match self {
            Undefined::EmptyArm => "an arm has no units",
            Undefined::TooFewUnits => "each arm needs at least 2 units",
            Undefined::ZeroVariance => "no variance in either arm",
            Undefined::ZeroControlMean => "control mean is 0, so the relative lift is undefined",
            Undefined::NonFinite => "the computation did not give a finite number",
        }
    }
}

impl std::fmt::Display for Undefined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl Serialize for Undefined {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.reason())
    }
}

/// A value that is either defined or has a reason why not.
pub type Defined<T> = Result<T, Undefined>;

/// Returns `x` when finite, else [`Undefined::NonFinite`].
pub fn finite(x: f64) -> Defined<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Undefined::NonFinite)
    }
}

/// Splits a [`Defined`] into the `(value, reason)` pair that result structs store,
/// so the two can never disagree.
pub fn split<T>(d: Defined<T>) -> (Option<T>, Option<Undefined>) {
    match d {
        Ok(v) => (Some(v), None),
        Err(u) => (None, Some(u)),
    }
}

/// A closed interval with finite bounds, lower ≤ upper. Serialises as `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    lower: f64,
    upper: f64,
}

impl Interval {
    /// The degenerate interval [0, 0].
    pub const ZERO: Interval = Interval { lower: 0.0, upper: 0.0 };

    /// An interval; undefined when a bound is not finite. Bounds are ordered.
    pub fn new(a: f64, b: f64) -> Defined<Self> {
        let (a, b) = (finite(a)?, finite(b)?);
        Ok(Self { lower: a.min(b), upper: a.max(b) })
    }

    /// Lower bound.
    pub fn lower(&self) -> f64 {
        self.lower
    }

    /// Upper bound.
    pub fn upper(&self) -> f64 {
        self.upper
    }

    /// Whether `x` lies in the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.lower, self.upper].serialize(s)
    }
}

/// A frequentist effect: point estimate, confidence interval and two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Effect {
    /// Point estimate of the lift.
    pub estimate: f64,
    /// Confidence interval (a confidence sequence when the test is sequential).
    #[schema(value_type = Vec<f64>, min_items = 2, max_items = 2)]
    pub ci: Interval,
    /// Two-sided p-value of "no lift".
    pub p_value: f64,
    /// Standard error of the estimate.
    pub std_error: f64,
}

impl Effect {
    /// An effect whose every number is finite and whose p-value is in [0, 1].
    pub fn new(estimate: f64, ci: (f64, f64), p_value: f64, std_error: f64) -> Defined<Self> {
        Ok(Self {
            estimate: finite(estimate)?,
            ci: Interval::new(ci.0, ci.1)?,
            p_value: finite(p_value)?.clamp(0.0, 1.0),
            std_error: finite(std_error)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_are_undefined() {
        assert_eq!(Interval::new(f64::NAN, 1.0), Err(Undefined::NonFinite));
        assert_eq!(Effect::new(1.0, (0.0, f64::INFINITY), 0.5, 1.0), Err(Undefined::NonFinite));
    }

    #[test]
    fn interval_orders_and_serialises_as_pair() {
        let i = Interval::new(2.0, -1.0).unwrap();
        assert_eq!((i.lower(), i.upper()), (-1.0, 2.0));
        assert!(i.contains(0.0) && !i.contains(3.0));
        assert_eq!(serde_json::to_string(&i).unwrap(), "[-1.0,2.0]");
    }

    #[test]
    fn reasons_serialise_as_text() {
        let (v, r) = split::<f64>(Err(Undefined::ZeroControlMean));
        assert!(v.is_none());
        let s = serde_json::to_string(&r).unwrap();
        assert!(s.contains("control mean is 0"), "{s}");
    }
}
