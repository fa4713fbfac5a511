//! The HTML report page: a minijinja template with the charts rendered on the server.

use crate::analysis::format;
use crate::analysis::report::{Kind, Report};
use minijinja::{Environment, Value};
use std::sync::LazyLock;

/// The templates, compiled into the binary so the service runs from any directory.
const TEMPLATES: [(&str, &str); 2] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("report.html", include_str!("../../templates/report.html")),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // The templates are part of the binary; a syntax error fails the test suite.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_filter("pct", |x: f64| format::percent(x));
    env.add_filter("signed_pct", |x: f64| format::signed_percent(x));
    env.add_filter("pvalue", |x: f64| format::p_value(x));
    env.add_filter("value", |x: f64, kind: String| {
        format::value(if kind == "proportion" { Kind::Proportion } else { Kind::Mean }, x)
    });
    env.add_filter("signed", |x: f64, kind: String| {
        format::signed(if kind == "proportion" { Kind::Proportion } else { Kind::Mean }, x)
    });
    env
});

/// The shared template environment (other pages add their templates here too).
pub fn environment() -> &'static Environment<'static> {
    &ENV
}

/// The report page.
pub fn render(report: &Report) -> Result<String, minijinja::Error> {
    let keys: Vec<String> = report.exposures.variants.iter().map(|v| v.variant.clone()).collect();
    let charts = minijinja::context! {
        forest => Value::from_safe_string(super::svg::forest(&report.metrics)),
        cumulative => Value::from_safe_string(super::svg::cumulative_conversion(&report.progress.daily, &keys)),
        funnel => Value::from_safe_string(super::svg::funnel(&report.funnel)),
        time_to_goal => Value::from_safe_string(super::svg::time_to_goal(&report.time_to_goal, report.window_days)),
    };
    let reached: Vec<f64> =
        report.time_to_goal.variants.iter().map(|v| v.curve.last().map_or(0.0, |p| 1.0 - p.survival)).collect();
    ENV.get_template("report.html")?.render(minijinja::context! {
        title => format!("{} — results", report.name),
        r => Value::from_serialize(report),
        charts,
        reached,
    })
}
