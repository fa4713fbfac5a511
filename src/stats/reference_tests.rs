//! Every number of `tests/reference/fixtures.json` (computed by gbstats,
//! statsmodels, scipy and lifelines; see `tests/reference/README.md`) is
//! matched here to a relative error of 1e-6.

use super::*;
use serde_json::Value;

const FIXTURES: &str = include_str!("../../tests/reference/fixtures.json");

/// Relative tolerance required by the issue.
const REL: f64 = 1e-6;
/// Absolute floor, only relevant for quantities that are essentially 0
/// (tiny p-values, risks far in a tail, bounds that straddle 0).
const ABS: f64 = 1e-12;

fn fixtures() -> Value {
    serde_json::from_str(FIXTURES).expect("fixtures.json is valid JSON")
}

#[track_caller]
fn close(actual: f64, expected: &Value, what: &str) {
    let e = expected.as_f64().unwrap_or_else(|| panic!("{what}: expected {expected} is not a number"));
    let tol = (REL * e.abs()).max(ABS);
    assert!(
        (actual - e).abs() <= tol,
        "{what}: got {actual:e}, expected {e:e} (diff {:e}, tol {tol:e})",
        (actual - e).abs()
    );
}

#[track_caller]
fn close_effect(actual: Option<Effect>, expected: &Value, what: &str) {
    if expected.is_null() {
        assert!(actual.is_none(), "{what}: expected undefined, got {actual:?}");
        return;
    }
    let a = actual.unwrap_or_else(|| panic!("{what}: undefined but reference has {expected}"));
    close(a.estimate, &expected["estimate"], &format!("{what} estimate"));
    close(a.ci.lower(), &expected["ci"][0], &format!("{what} ci lower"));
    close(a.ci.upper(), &expected["ci"][1], &format!("{what} ci upper"));
    close(a.p_value, &expected["p_value"], &format!("{what} p-value"));
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("count")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn summary(kind: &str, v: &Value) -> Summary {
    match kind {
        "proportion" => Proportion::new(u(&v[0]), u(&v[1])).expect("valid proportion").into(),
        _ => Mean::from_mean_sd(u(&v[0]), f(&v[1]), f(&v[2])).expect("valid mean").into(),
    }
}

#[test]
fn there_are_at_least_40_reference_cases() {
    let n = fixtures()["case_count"].as_u64().unwrap_or(0);
    assert!(n >= 40, "only {n} cases");
}

#[test]
fn comparisons_match_gbstats() {
    let fx = fixtures();
    let cases = fx["comparisons"].as_array().expect("comparisons");
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let kind = case["kind"].as_str().unwrap_or("?");
        let control = summary(kind, &case["control"]);
        let treatments: Vec<Summary> =
            case["treatments"].as_array().expect("treatments").iter().map(|t| summary(kind, t)).collect();
        let opts = Options {
            alpha: Alpha::new(f(&case["alpha"])).expect("alpha"),
            sequential: case["tuning"].as_f64().map(|t| Tuning::new(t).expect("tuning")),
            prior: case["prior"].as_array().map(|p| GaussianPrior::new(f(&p[0]), f(&p[1])).expect("prior")),
            ..Options::default()
        };
        let analysis = analyze(&control, &treatments, &opts).expect("analysis");
        for (i, (got, want)) in
            analysis.treatments.iter().zip(case["expected"].as_array().expect("expected")).enumerate()
        {
            let what = format!("{name} #{i}");
            close_effect(got.absolute, &want["absolute"], &format!("{what} absolute"));
            close_effect(got.relative, &want["relative"], &format!("{what} relative"));
            if !want["absolute"].is_null() {
                close(got.degrees_of_freedom.expect("dof"), &want["absolute"]["dof"], &format!("{what} dof"));
            }
            match (&got.fisher_p_value, &want["fisher_p_value"]) {
                (None, Value::Null) => {}
                (Some(p), e) if !e.is_null() => close(*p, e, &format!("{what} fisher")),
                (g, e) => panic!("{what}: fisher {g:?} vs reference {e}"),
            }
            let b = &want["bayesian"];
            if opts.sequential.is_some() {
                continue; // the Bayesian numbers do not depend on sequential mode
            }
            if b.is_null() {
                assert!(got.bayesian.is_none(), "{what}: bayesian should be undefined");
                continue;
            }
            let g = got.bayesian.unwrap_or_else(|| panic!("{what}: bayesian undefined"));
            let scale = serde_json::to_value(g.scale).expect("scale");
            assert_eq!(&scale, &b["scale"], "{what} scale");
            close(g.expected, &b["expected"], &format!("{what} posterior mean"));
            close(g.ci.lower(), &b["ci"][0], &format!("{what} credible lower"));
            close(g.ci.upper(), &b["ci"][1], &format!("{what} credible upper"));
            close(g.chance_to_beat_control, &b["chance_to_beat_control"], &format!("{what} ctw"));
            close(g.risk.control, &b["risk"][0], &format!("{what} risk control"));
            close(g.risk.treatment, &b["risk"][1], &format!("{what} risk treatment"));
        }
    }
}

#[test]
fn fisher_matches_scipy() {
    for c in fixtures()["fisher"].as_array().expect("fisher") {
        let a = Proportion::new(u(&c["control"][0]), u(&c["control"][1])).expect("control");
        let b = Proportion::new(u(&c["treatment"][0]), u(&c["treatment"][1])).expect("treatment");
        close(fisher_exact(&a, &b), &c["p_value"], &format!("fisher {c}"));
    }
}

#[test]
fn srm_matches_gbstats() {
    for c in fixtures()["srm"].as_array().expect("srm") {
        let obs: Vec<u64> = c["observed"].as_array().expect("observed").iter().map(u).collect();
        let w: Option<Vec<f64>> = c["weights"].as_array().map(|w| w.iter().map(f).collect());
        let r = srm(&obs, w.as_deref()).expect("srm");
        close(r.p_value, &c["p_value"], "srm p");
        close(r.chi_square, &c["chi_square"], "srm chi2");
        assert_eq!(Some(r.mismatch), c["mismatch"].as_bool(), "{c}");
    }
}

#[test]
fn corrections_match_statsmodels() {
    for c in fixtures()["adjust"].as_array().expect("adjust") {
        let p: Vec<f64> = c["p"].as_array().expect("p").iter().map(f).collect();
        for (method, key) in [(Correction::Holm, "holm"), (Correction::BenjaminiHochberg, "bh")] {
            let got = adjust(&p, method).expect("valid p");
            for (g, e) in got.iter().zip(c[key].as_array().expect("adjusted")) {
                close(*g, e, &format!("{key} {p:?}"));
            }
        }
    }
}

#[test]
fn planning_matches_first_principles() {
    for c in fixtures()["planning"].as_array().expect("planning") {
        let mde = if c["relative"].as_bool() == Some(true) {
            Mde::Relative(f(&c["mde"]))
        } else {
            Mde::Absolute(f(&c["mde"]))
        };
        let alpha = Alpha::new(f(&c["alpha"])).expect("alpha");
        let variants = u(&c["variants"]) as u32;
        let s = sample_size(f(&c["baseline"]), mde, alpha, f(&c["power"]), variants).expect("size");
        assert_eq!(s.per_variant, u(&c["per_variant"]), "{c}");
        assert_eq!(s.total, u(&c["total"]), "{c}");
        let pw = power_at(f(&c["baseline"]), mde, alpha, u(&c["power_at_n"])).expect("power");
        close(pw, &c["power_reached"], "power");
        assert_eq!(days_needed(s.total, 1000, 137.5).expect("days"), u(&c["days_needed"]), "{c}");
    }
}

fn cuped_arm(v: &Value) -> CupedArm {
    CupedArm::from_sums(
        u(&v["n"]),
        f(&v["post_sum"]),
        f(&v["post_sum_squares"]),
        f(&v["pre_sum"]),
        f(&v["pre_sum_squares"]),
        f(&v["sum_products"]),
    )
    .expect("cuped arm")
}

#[test]
fn cuped_matches_gbstats_regression_adjustment() {
    for c in fixtures()["cuped"].as_array().expect("cuped") {
        let name = c["name"].as_str().unwrap_or("?");
        let a = analyze_cuped(&cuped_arm(&c["control"]), &[cuped_arm(&c["treatment"])], &Options::default())
            .expect("analysis");
        let t = &a.treatments[0];
        let e = &c["expected"];
        close(t.theta.expect("theta"), &e["theta"], &format!("{name} theta"));
        close(a.control.variance, &e["control_variance"], &format!("{name} adjusted variance"));
        close_effect(t.absolute, &e["absolute"], &format!("{name} absolute"));
        close_effect(t.relative, &e["relative"], &format!("{name} relative"));
        close(t.degrees_of_freedom.expect("dof"), &e["absolute"]["dof"], &format!("{name} dof"));
    }
}

#[test]
fn winsorised_tests_match() {
    for c in fixtures()["winsor"].as_array().expect("winsor") {
        let name = c["name"].as_str().unwrap_or("?");
        let a: Vec<f64> = c["control"].as_array().expect("control").iter().map(f).collect();
        let b: Vec<f64> = c["treatment"].as_array().expect("treatment").iter().map(f).collect();
        let (cap, means) = winsorized_means(&[&a, &b], f(&c["percentile"])).expect("winsorised");
        let e = &c["expected"];
        close(cap, &e["cap"], &format!("{name} cap"));
        close(means[0].mean(), &e["control_mean"], &format!("{name} control mean"));
        close(means[1].mean(), &e["treatment_mean"], &format!("{name} treatment mean"));
        let r = analyze(&means[0].into(), &[means[1].into()], &Options::default()).expect("analysis");
        close_effect(r.treatments[0].absolute, &e["absolute"], &format!("{name} absolute"));
        close_effect(r.treatments[0].relative, &e["relative"], &format!("{name} relative"));
    }
}

fn observations(v: &Value) -> Vec<Observation> {
    let d = v["durations"].as_array().expect("durations");
    let e = v["events"].as_array().expect("events");
    d.iter().zip(e).map(|(d, e)| Observation::new(f(d), e.as_bool().expect("bool")).expect("observation")).collect()
}

#[test]
fn survival_matches_lifelines() {
    for c in fixtures()["survival"].as_array().expect("survival") {
        let name = c["name"].as_str().unwrap_or("?");
        let (ctrl, trt) = (observations(&c["control"]), observations(&c["treatment"]));
        let r = analyze_survival(&ctrl, &[&trt], Alpha::default());
        let e = &c["expected"];
        for (curve, key) in [(&r.control, "control_curve"), (&r.treatments[0].curve, "treatment_curve")] {
            let want = e[key].as_array().expect("curve");
            assert_eq!(curve.points.len(), want.len(), "{name} {key} length");
            for (p, w) in curve.points.iter().zip(want) {
                let what = format!("{name} {key} t={}", p.time);
                close(p.time, &w["time"], &what);
                assert_eq!(p.at_risk, u(&w["at_risk"]), "{what} at risk");
                close(p.survival, &w["survival"], &format!("{what} S"));
                close(p.std_error, &w["std_error"], &format!("{what} greenwood se"));
                close(p.ci.lower(), &w["ci"][0], &format!("{what} lower"));
                close(p.ci.upper(), &w["ci"][1], &format!("{what} upper"));
            }
        }
        let lr = r.treatments[0].log_rank.expect("log-rank");
        close(lr.chi_square, &e["log_rank_chi_square"], &format!("{name} log-rank chi2"));
        close(lr.p_value, &e["log_rank_p_value"], &format!("{name} log-rank p"));
    }
}
