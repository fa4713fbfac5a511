//! The minijinja environment of every server-rendered page: templates compiled into the binary
//! (the service runs from any directory, offline) and filters that format numbers for people.

use crate::analysis::format;
use crate::analysis::report::Kind;
use minijinja::Environment;
use std::sync::LazyLock;

/// Every template, by name.
const TEMPLATES: [(&str, &str); 17] = [
    ("base.html", include_str!("../templates/base.html")),
    ("report.html", include_str!("../templates/report.html")),
    ("decision.html", include_str!("../templates/decision.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("dashboard.html", include_str!("../templates/dashboard.html")),
    ("experiments.html", include_str!("../templates/experiments.html")),
    ("experiment.html", include_str!("../templates/experiment.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("confirm.html", include_str!("../templates/confirm.html")),
    ("programme.html", include_str!("../templates/programme.html")),
    ("ship.html", include_str!("../templates/ship.html")),
    ("webhooks.html", include_str!("../templates/webhooks.html")),
    ("keys.html", include_str!("../templates/keys.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("tools.html", include_str!("../templates/tools.html")),
    ("experiment_form.html", include_str!("../templates/experiment_form.html")),
    ("users.html", include_str!("../templates/users.html")),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // The templates are part of the binary; a syntax error fails the test suite.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    let kind = |k: &str| if k == "proportion" { Kind::Proportion } else { Kind::Mean };
    env.add_filter("pct", |x: f64| format::percent(x));
    env.add_filter("signed_pct", |x: f64| format::signed_percent(x));
    env.add_filter("pvalue", |x: f64| format::p_value(x));
    // Times are shown in UTC, to the minute, and say so.
    env.add_filter("utc", |t: String| match chrono::DateTime::parse_from_rfc3339(&t) {
        Ok(t) => t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => t,
    });
    env.add_filter("value", move |x: f64, k: String| format::value(kind(&k), x));
    env.add_filter("signed", move |x: f64, k: String| format::signed(kind(&k), x));
    env
});

/// Renders template `name` with `context`.
pub fn render(name: &str, context: minijinja::Value) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?.render(context)
}
