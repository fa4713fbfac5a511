//! The rollout fields of an experiment file (CONTRACT §7): `ship`, and the schedule (`start_at`,
//! `stop_at`, `stop_on_sample`).

use super::{Problems, RawExperiment};
use crate::domain::experiment::{Schedule, Status, VariantDef};
use toml::Spanned;

/// `ship = "variant"`: only on a stopped (or shipped) experiment, naming one of its variants.
pub(super) fn check_ship(
    p: &mut Problems,
    raw: Option<&Spanned<String>>,
    status: Option<Status>,
    raw_status: &Spanned<String>,
    variants: &[VariantDef],
) -> Option<String> {
    let Some(raw) = raw else {
        if status == Some(Status::Shipped) {
            p.at(raw_status.span().start, "status \"shipped\" needs `ship = \"<variant>\"`: name the variant to ship");
        }
        return None;
    };
    let key = raw.get_ref();
    if !matches!(status, Some(Status::Stopped | Status::Shipped) | None) {
        p.at(
            raw.span().start,
            format!(
                "ship: only a stopped experiment can ship a variant (set status = \"stopped\"), not a {} one",
                raw_status.get_ref()
            ),
        );
    }
    if !variants.iter().any(|v| &v.key == key) {
        let known: Vec<&str> = variants.iter().map(|v| v.key.as_str()).collect();
        p.at(raw.span().start, format!("ship: the experiment has no variant {key:?} (variants: {})", known.join(", ")));
    }
    Some(key.clone())
}

/// `start_at`, `stop_at` (RFC 3339 with an offset, as a TOML date-time or a string) and
/// `stop_on_sample`. Whether a time has passed depends on what is stored: `apply` checks that.
pub(super) fn check_schedule(p: &mut Problems, raw: &RawExperiment) -> Schedule {
    let mut time = |field: &str, value: Option<&Spanned<toml::Value>>| {
        let value = value?;
        let text = match value.get_ref() {
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Some(at.with_timezone(&chrono::Utc)),
            Err(_) => {
                p.at(
                    value.span().start,
                    format!("{field} must be an RFC 3339 time with an offset, e.g. 2026-12-24T09:00:00Z, not {text}"),
                );
                None
            }
        }
    };
    let schedule = Schedule {
        start_at: time("start_at", raw.start_at.as_ref()),
        stop_at: time("stop_at", raw.stop_at.as_ref()),
        stop_on_sample: raw.stop_on_sample,
    };
    // Order only: a kept time may have passed; apply checks the rest against what is stored.
    if let Err(e) = schedule.check(Some(&schedule), chrono::DateTime::<chrono::Utc>::MIN_UTC) {
        let at = raw.stop_at.as_ref().map_or(0, |s| s.span().start);
        p.at(at, e.to_string());
    }
    schedule
}
