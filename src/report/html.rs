//! The HTML report page: the report template with the charts rendered on the server.

use crate::analysis::report::Report;
use minijinja::Value;

/// The report's page context: the report, its four SVG charts and per-variant goal shares.
pub fn context(report: &Report) -> Value {
    let keys: Vec<String> = report.exposures.variants.iter().map(|v| v.variant.clone()).collect();
    let charts = minijinja::context! {
        forest => Value::from_safe_string(super::svg::forest(&report.metrics)),
        cumulative => Value::from_safe_string(super::svg::cumulative_conversion(&report.progress.daily, &keys)),
        funnel => Value::from_safe_string(super::svg::funnel(&report.funnel)),
        time_to_goal => Value::from_safe_string(super::svg::time_to_goal(&report.time_to_goal, report.window_days)),
    };
    let reached: Vec<f64> =
        report.time_to_goal.variants.iter().map(|v| v.curve.last().map_or(0.0, |p| 1.0 - p.survival)).collect();
    minijinja::context! {
        title => format!("{} — results", report.name),
        r => Value::from_serialize(report),
        charts,
        reached,
    }
}

/// The whole report page, without the signed-in user's navigation (for tests and exports).
pub fn render(report: &Report) -> Result<String, minijinja::Error> {
    crate::templates::render("report.html", context(report))
}
