//! `GET /tools`: a sample-size calculator and a significance calculator (the engine behind
//! `stagelab stats` and the reports). Read-only, so plain GET forms; inputs are kept on errors.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::stats::{self, input, Alpha, Mde, Proportion, Summary, Tuning};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The two forms' fields, all optional text so that what was typed comes back.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct Inputs {
    #[serde(default)]
    baseline: String,
    #[serde(default)]
    mde: String,
    #[serde(default)]
    absolute: Option<String>,
    #[serde(default)]
    power: String,
    #[serde(default)]
    variants: String,
    #[serde(default)]
    control_n: String,
    #[serde(default)]
    control_conversions: String,
    #[serde(default)]
    treatment_n: String,
    #[serde(default)]
    treatment_conversions: String,
    #[serde(default)]
    sequential: Option<String>,
    #[serde(default)]
    alpha: String,
}

/// A number typed in `field`, `default` when the field is empty.
fn number(field: &str, text: &str, default: f64) -> Result<f64, String> {
    if text.trim().is_empty() {
        return Ok(default);
    }
    input::number(text).map_err(|e| format!("{field}: {e}"))
}

/// A count typed in `field`.
fn count(field: &str, text: &str) -> Result<u64, String> {
    input::count(text).map_err(|e| format!("{field}: {e}"))
}

/// Sample size for the inputs (percentages as typed).
fn sample(i: &Inputs) -> Result<stats::SampleSize, String> {
    let baseline = number("baseline", &i.baseline, f64::NAN)? / 100.0;
    let mde = number("minimum detectable effect", &i.mde, f64::NAN)? / 100.0;
    let power = number("power", &i.power, 80.0)? / 100.0;
    let variants = number("variants", &i.variants, 2.0)?;
    let alpha = Alpha::new(number("alpha", &i.alpha, 0.05)?).map_err(|e| e.to_string())?;
    let mde = if i.absolute.is_some() { Mde::Absolute(mde) } else { Mde::Relative(mde) };
    if !(2.0..=20.0).contains(&variants) || variants.fract() != 0.0 {
        return Err("variants: a whole number from 2 to 20".into());
    }
    stats::sample_size(baseline, mde, alpha, power, variants as u32).map_err(|e| e.to_string())
}

/// The comparison of two conversion counts.
fn significance(i: &Inputs) -> Result<stats::Analysis, String> {
    let control =
        Proportion::new(count("control n", &i.control_n)?, count("control conversions", &i.control_conversions)?)
            .map_err(|e| e.to_string())?;
    let treatment = Proportion::new(
        count("treatment n", &i.treatment_n)?,
        count("treatment conversions", &i.treatment_conversions)?,
    )
    .map_err(|e| e.to_string())?;
    let options = stats::Options {
        alpha: Alpha::new(number("alpha", &i.alpha, 0.05)?).map_err(|e| e.to_string())?,
        sequential: i.sequential.is_some().then_some(Tuning::DEFAULT),
        ..stats::Options::default()
    };
    stats::analyze(&Summary::from(control), &[Summary::from(treatment)], &options).map_err(|e| e.to_string())
}

#[get("/tools")]
pub(super) async fn tools(session: Session, query: web::Query<Inputs>) -> Result<HttpResponse, UiError> {
    let i = query.into_inner();
    let (sample_result, sample_error) = match i.baseline.trim().is_empty() {
        true => (None, None),
        false => match sample(&i) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        },
    };
    let (test_result, test_error) = match i.control_n.trim().is_empty() {
        true => (None, None),
        false => match significance(&i) {
            Ok(a) => (Some(a.treatments[0].clone()), None),
            Err(e) => (None, Some(e)),
        },
    };
    let html = crate::templates::render(
        "tools.html",
        minijinja::context! {
            title => "Calculators", nav => "tools", user => &session, csrf_token => &session.csrf_token, i => &i,
            sample => sample_result, sample_error, test => test_result, test_error,
        },
    )?;
    Ok(page(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calculators_validate_and_compute() {
        let i = Inputs { baseline: "10".into(), mde: "10".into(), ..Inputs::default() };
        assert_eq!(sample(&i).unwrap().per_variant, 14_749);
        let bad = Inputs { baseline: "ten".into(), mde: "10".into(), ..Inputs::default() };
        assert!(sample(&bad).unwrap_err().contains("baseline"));
        let t = Inputs {
            control_n: "10000".into(),
            control_conversions: "1000".into(),
            treatment_n: "10000".into(),
            treatment_conversions: "1100".into(),
            ..Inputs::default()
        };
        let a = significance(&t).unwrap();
        assert!((a.treatments[0].absolute.unwrap().p_value - 0.0211).abs() < 1e-3);
        let over = Inputs { control_conversions: "20000".into(), ..t };
        assert!(significance(&over).is_err());
    }
}
