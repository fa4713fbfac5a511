//! The programme analysis (CONTRACT §9): per stage, the holdout (control) against everyone else
//! recorded there (the one treatment), on reaching each later stage, revenue and orders per
//! customer and referral, within each window, through the same engine as an experiment's report.
//! Pure: from the sums of [`crate::db::models::programme`].

use super::format;
use super::metrics::{self, Inputs, Spec};
use super::report::{MetricReport, Role};
use crate::db::models::programme::{CurveCount, GroupSums, ProgrammeSums};
use crate::db::models::results::VariantSums;
use crate::domain::lifecycle::Lifecycle;
use crate::stats::{self, Alpha, KmPoint, Observation};
use serde::Serialize;

/// The smallest relative lift the "too small" message sizes the holdout for.
const SIZING_LIFT: f64 = 0.10;

/// The whole programme.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Programme {
    /// The holdout share in force now.
    pub holdout: f64,
    /// The windows, ascending.
    pub windows_days: Vec<u32>,
    /// Every stage with recorded members, in lifecycle order.
    pub stages: Vec<StageProgramme>,
}

/// One stage's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageProgramme {
    /// Stage id.
    pub stage: String,
    /// Its display name.
    pub name: String,
    /// The holdout's members at the stage (mature in any window or not).
    pub holdout: GroupCount,
    /// Everyone else's.
    pub rest: GroupCount,
    /// The holdout shares in force when the stage's members were recorded, ascending (more than
    /// one after `apply --force` changed it: the groups then mix customers chosen under each).
    pub holdout_shares: Vec<f64>,
    /// The metrics, each within each window (the results JSON's metric shape, holdout first).
    pub metrics: Vec<ProgrammeMetric>,
    /// What the programme did, in one sentence.
    pub summary: String,
    /// Time to the next stage (Kaplan–Meier, days), holdout and rest; members still inside the
    /// longest window are censored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_stage: Option<NextStageCurves>,
}

/// Members of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupCount {
    /// Customers.
    pub n: u64,
}

/// A metric within one window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProgrammeMetric {
    /// The window: only members first seen at least this many days ago count.
    pub window_days: u32,
    /// The metric (variants `holdout` and `rest`).
    #[serde(flatten)]
    pub report: MetricReport,
}

/// The time-to-next-stage curves of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NextStageCurves {
    /// The next stage's id.
    pub stage: String,
    /// The holdout's curve.
    pub holdout: Vec<KmPoint>,
    /// Everyone else's.
    pub rest: Vec<KmPoint>,
}

/// The group keys, control first.
const GROUPS: [&str; 2] = ["holdout", "rest"];

/// Builds the programme analysis from its sums.
pub fn build(lifecycle: &Lifecycle, sums: &ProgrammeSums, alpha: Alpha) -> Programme {
    let windows: Vec<u32> = lifecycle.windows_days.days().to_vec();
    let options = stats::Options { alpha, ..stats::Options::default() };
    let mut stages = Vec::new();
    for (pos, stage) in lifecycle.stages.iter().enumerate() {
        let size = |held_out: bool| {
            sums.sizes.iter().filter(|s| s.stage == stage.id && s.held_out == held_out).map(|s| s.n).sum::<u64>()
        };
        let (holdout, rest) = (GroupCount { n: size(true) }, GroupCount { n: size(false) });
        if holdout.n + rest.n == 0 {
            continue;
        }
        let mut reports = Vec::new();
        for &days in &windows {
            let rows: Vec<&GroupSums> =
                sums.groups.iter().filter(|g| g.stage == stage.id && g.days == days as i32).collect();
            for m in stage_metrics(lifecycle, pos, &rows, &options) {
                reports.push(ProgrammeMetric { window_days: days, report: m });
            }
        }
        let mut plain: Vec<MetricReport> = reports.iter().map(|m| m.report.clone()).collect();
        metrics::finish(&mut plain, None, alpha.get());
        for (m, finished) in reports.iter_mut().zip(plain) {
            m.report = finished;
        }
        let next = lifecycle.stages.get(pos + 1);
        let mut summary = summary(&stage.name, next.map(|s| s.name.as_str()), &reports, holdout, rest, alpha);
        let mut holdout_shares: Vec<f64> =
            sums.sizes.iter().filter(|s| s.stage == stage.id).map(|s| s.holdout_share).collect();
        holdout_shares.sort_by(f64::total_cmp);
        holdout_shares.dedup();
        if holdout_shares.len() > 1 {
            let shares: Vec<String> = holdout_shares.iter().map(|s| format::percent(*s)).collect();
            summary.push_str(&format!(
                " Members were recorded under holdout shares of {}: the groups mix customers chosen under each.",
                shares.join(" and ")
            ));
        }
        let next_stage = next.map(|n| curves(&n.id, &stage.id, &sums.curve, alpha));
        stages.push(StageProgramme {
            stage: stage.id.clone(),
            name: stage.name.clone(),
            holdout,
            rest,
            holdout_shares,
            metrics: reports,
            summary,
            next_stage,
        });
    }
    Programme { holdout: lifecycle.holdout, windows_days: windows, stages }
}

/// The metrics of one stage in one window: reaching each later stage, revenue, orders, referral.
fn stage_metrics(
    lifecycle: &Lifecycle,
    pos: usize,
    rows: &[&GroupSums],
    options: &stats::Options,
) -> Vec<MetricReport> {
    let keys: Vec<String> = GROUPS.iter().map(|g| g.to_string()).collect();
    let group = |held_out: bool, reached_from: Option<usize>| {
        let mut v = VariantSums { variant_id: i64::from(!held_out), ..VariantSums::default() };
        for g in rows.iter().filter(|g| g.held_out == held_out) {
            v.n += g.n;
            v.exposed += g.n;
            v.revenue_sum += g.revenue_sum;
            v.revenue_squares += g.revenue_squares;
            v.orders_sum += g.orders_sum;
            v.orders_squares += g.orders_squares;
            v.referrals += g.referrals;
            // `furthest` is 1-based; a later stage at index `t` is reached when furthest > t.
            if reached_from.is_some_and(|t| g.furthest.is_some_and(|f| f as usize > t)) {
                v.conversions += g.n;
            }
        }
        v
    };
    let mut out = Vec::new();
    let report = |spec: Spec, sums: &[VariantSums], goal_name: &str| {
        let inputs = Inputs { keys: &keys, sums, custom: &[], options, cuped: false, revenue_cap: None, goal_name };
        metrics::report(&spec, &inputs)
    };
    for (t, later) in lifecycle.stages.iter().enumerate().skip(pos + 1) {
        let role = if t == pos + 1 { Role::Primary } else { Role::Secondary };
        let Some(spec) = Spec::builtin("conversion", &format!("reached:{}", later.id), role) else { continue };
        let sums = [group(true, Some(t)), group(false, Some(t))];
        let mut m = report(spec, &sums, &later.name);
        m.label = format!("reached {}", later.name.to_lowercase());
        out.push(m);
    }
    let sums = [group(true, None), group(false, None)];
    for name in ["revenue", "orders", "referral"] {
        if let Some(spec) = Spec::builtin(name, name, Role::Secondary) {
            out.push(report(spec, &sums, ""));
        }
    }
    out
}

/// The sentence: the next stage within the longest window with mature members in both groups.
fn summary(
    stage: &str,
    next: Option<&str>,
    metrics: &[ProgrammeMetric],
    holdout: GroupCount,
    rest: GroupCount,
    alpha: Alpha,
) -> String {
    let Some(next) = next else {
        return format!("{stage} is the last stage: the programme is read on revenue, orders and referral below.");
    };
    if holdout.n == 0 {
        return format!(
            "No customer at {stage} is in the holdout, so the programme cannot be compared with doing \
             nothing (set `holdout` in lifecycle.toml)."
        );
    }
    let headline = metrics
        .iter()
        .filter(|m| m.report.role == Role::Primary)
        .filter(|m| m.report.variants.iter().all(|v| v.n > 0))
        .max_by_key(|m| m.window_days);
    let Some(m) = headline else {
        return format!(
            "No window has elapsed yet for the customers at {stage} ({} in the holdout, {} others): \
             the first numbers come once the shortest window has passed.",
            holdout.n, rest.n
        );
    };
    let (h, r) = (&m.report.variants[0], &m.report.variants[1]);
    let rests_on = format!("{} holdout and {} other customers", h.n, r.n);
    let Some(relative) = r.relative else {
        return format!("Reaching {next} within {} days cannot be compared yet ({rests_on}).", m.window_days);
    };
    let p = r.absolute.map_or(1.0, |a| a.p_value);
    let direction = if relative.estimate >= 0.0 { "more" } else { "less" };
    let lift = format::percent(relative.estimate.abs());
    if p < alpha.get() {
        format!(
            "Customers at {stage} reached {next} {lift} {direction} often within {} days than the holdout \
             ({}; {rests_on}).",
            m.window_days,
            format::p_is(p)
        )
    } else if let Some(needed) = needed(h.mean, holdout.n, rest.n, alpha) {
        format!(
            "Customers at {stage} reached {next} {lift} {direction} often within {} days than the holdout, \
             which is not significant ({}; {rests_on}): the holdout is too small to tell a {} lift; it \
             needs about {needed} customers.",
            m.window_days,
            format::p_is(p),
            format::percent(SIZING_LIFT)
        )
    } else {
        format!(
            "Customers at {stage} reached {next} {lift} {direction} often within {} days than the holdout, \
             which is not significant ({}; {rests_on}).",
            m.window_days,
            format::p_is(p)
        )
    }
}

/// The holdout size needed to detect a [`SIZING_LIFT`] relative lift on a rate `baseline` with 80%
/// power, at the groups' current ratio; `None` when the holdout already has it (or the rate is 0
/// or 1). With k = rest / holdout: n = (z₁₋α/₂ + z₀.₈)² · (p₁q₁ + p₂q₂ / k) / (p₂ − p₁)².
pub fn needed(baseline: f64, holdout: u64, rest: u64, alpha: Alpha) -> Option<u64> {
    if !(baseline > 0.0 && baseline < 1.0) || holdout == 0 {
        return None;
    }
    let p2 = (baseline * (1.0 + SIZING_LIFT)).min(0.999);
    let k = (rest as f64 / holdout as f64).max(1e-9);
    let z = stats::dist::norm_ppf(1.0 - alpha.get() / 2.0) + stats::dist::norm_ppf(0.8);
    let n = z * z * (baseline * (1.0 - baseline) + p2 * (1.0 - p2) / k) / ((p2 - baseline) * (p2 - baseline));
    let n = n.ceil() as u64;
    (n > holdout).then_some(n)
}

/// The Kaplan–Meier curves of time from `stage` to `next` (`next` is named for the reader).
fn curves(next: &str, stage: &str, counts: &[CurveCount], alpha: Alpha) -> NextStageCurves {
    let curve = |held_out: bool| {
        let obs: Vec<Observation> = counts
            .iter()
            .filter(|c| c.stage == stage && c.held_out == held_out)
            .filter_map(|c| Observation::grouped(f64::from(c.days), c.reached, c.n).ok())
            .collect();
        stats::kaplan_meier(&obs, alpha).points
    };
    NextStageCurves { stage: next.to_string(), holdout: curve(true), rest: curve(false) }
}

#[cfg(test)]
mod tests;
