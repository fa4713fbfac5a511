//! Calculator inputs as people type them (the `stagelab stats` flags, the calculators' form
//! fields), parsed into the engine's values. Both front ends use these parsers, so they accept and
//! reject the same text with the same words.

use super::{Alpha, Mean, Proportion, StatsError, Summary, Tuning};

/// Why a typed input is not a value. Messages name the offending text, not the field: the
/// caller knows which flag or field it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// Not a number, or NaN or infinite.
    #[error("'{0}' is not a finite number")]
    NotANumber(String),
    /// Not a non-negative integer.
    #[error("'{0}' is not a whole number ≥ 0")]
    NotACount(String),
    /// The parts do not have the expected shape, e.g. `N:CONVERSIONS`.
    #[error("expected {0}")]
    Shape(&'static str),
    /// One part of a compound input (`n`, `mean`, …) is wrong.
    #[error("{0}: {1}")]
    Part(&'static str, Box<InputError>),
    /// The numbers parse but mean nothing (more conversions than units, a negative SD, …).
    #[error(transparent)]
    Invalid(#[from] StatsError),
}

impl InputError {
    fn of(self, part: &'static str) -> InputError {
        InputError::Part(part, Box::new(self))
    }
}

/// A finite number; surrounding spaces are ignored.
pub fn number(text: &str) -> Result<f64, InputError> {
    let text = text.trim();
    text.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| InputError::NotANumber(text.into()))
}

/// A count (a whole number ≥ 0); surrounding spaces are ignored.
pub fn count(text: &str) -> Result<u64, InputError> {
    let text = text.trim();
    text.parse::<u64>().map_err(|_| InputError::NotACount(text.into()))
}

/// A significance level in (0, 1).
pub fn alpha(text: &str) -> Result<Alpha, InputError> {
    Ok(Alpha::new(number(text)?)?)
}

/// The tuning parameter of a confidence sequence (> 0).
pub fn tuning(text: &str) -> Result<Tuning, InputError> {
    Ok(Tuning::new(number(text)?)?)
}

/// A conversion metric written `N:CONVERSIONS`.
pub fn proportion(text: &str) -> Result<Summary, InputError> {
    let [n, conversions] = parts(text, "N:CONVERSIONS")?;
    let n = count(n).map_err(|e| e.of("n"))?;
    let conversions = count(conversions).map_err(|e| e.of("conversions"))?;
    Ok(Proportion::new(n, conversions)?.into())
}

/// A mean metric written `N:MEAN:SD` (SD with the n − 1 denominator).
pub fn mean(text: &str) -> Result<Summary, InputError> {
    let [n, mean, sd] = parts(text, "N:MEAN:SD")?;
    let n = count(n).map_err(|e| e.of("n"))?;
    let mean = number(mean).map_err(|e| e.of("mean"))?;
    let sd = number(sd).map_err(|e| e.of("sd"))?;
    Ok(Mean::from_mean_sd(n, mean, sd)?.into())
}

/// Exactly `N` parts separated by `:`.
fn parts<'a, const N: usize>(text: &'a str, shape: &'static str) -> Result<[&'a str; N], InputError> {
    text.split(':').collect::<Vec<_>>().try_into().map_err(|_| InputError::Shape(shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_counts() {
        assert_eq!(number(" 0.25 "), Ok(0.25));
        assert_eq!(number("-1e3"), Ok(-1000.0));
        for bad in ["", "ten", "NaN", "inf", "1,5"] {
            assert_eq!(number(bad), Err(InputError::NotANumber(bad.into())), "{bad}");
        }
        assert_eq!(count(" 42"), Ok(42));
        assert_eq!(count("-3").unwrap_err().to_string(), "'-3' is not a whole number ≥ 0");
        assert!(count("1.5").is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(alpha("0.1").map(Alpha::get), Ok(0.1));
        assert!(alpha("1.5").unwrap_err().to_string().contains("alpha must be in (0, 1)"));
        assert_eq!(tuning("1000").map(Tuning::get), Ok(1000.0));
        assert!(matches!(tuning("0"), Err(InputError::Invalid(_))));
    }

    #[test]
    fn summaries() {
        let p = proportion("10000:1100").unwrap();
        assert_eq!(p, Summary::from(Proportion::new(10_000, 1_100).unwrap()));
        assert_eq!(proportion("10").unwrap_err().to_string(), "expected N:CONVERSIONS");
        assert_eq!(proportion("10:x").unwrap_err().to_string(), "conversions: 'x' is not a whole number ≥ 0");
        assert_eq!(proportion("10:20").unwrap_err().to_string(), "conversions (20) exceed n (10)");
        let m = mean("1000:5.2:3.1").unwrap();
        assert_eq!(m, Summary::from(Mean::from_mean_sd(1000, 5.2, 3.1).unwrap()));
        assert_eq!(mean("10:1").unwrap_err().to_string(), "expected N:MEAN:SD");
        assert_eq!(mean("-5:1:1").unwrap_err().to_string(), "n: '-5' is not a whole number ≥ 0");
        assert!(mean("10:1:-2").unwrap_err().to_string().contains("must not be negative"));
    }
}
