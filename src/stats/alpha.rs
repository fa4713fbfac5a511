//! The significance level as a type that cannot hold a meaningless value.

use super::StatsError;
use serde::Serialize;

/// A significance level α in the open interval (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Alpha(f64);

impl Alpha {
    /// The conventional 5 %.
    pub const FIVE_PERCENT: Alpha = Alpha(0.05);

    /// α, rejected outside (0, 1) (where intervals and quantiles do not exist).
    pub fn new(alpha: f64) -> Result<Self, StatsError> {
        if alpha > 0.0 && alpha < 1.0 {
            Ok(Self(alpha))
        } else {
            Err(StatsError::OutOfRange { what: "alpha", range: "(0, 1)", value: alpha })
        }
    }

    /// The level as a number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Alpha {
    fn default() -> Self {
        Self::FIVE_PERCENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_bounds() {
        assert!(Alpha::new(0.0).is_err());
        assert!(Alpha::new(1.0).is_err());
        assert!(Alpha::new(f64::NAN).is_err());
        assert_eq!(Alpha::new(0.1).map(Alpha::get), Ok(0.1));
        assert_eq!(Alpha::default().get(), 0.05);
    }
}
