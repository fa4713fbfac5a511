//! Progress: exposures per day, cumulative conversion, the sample the minimum detectable effect
//! needs and the days still to wait.

use super::format::ratio;
use super::report::{Day, Kind, MetricReport, Progress, SampleNeeded};
use crate::db::models::results::DailyCount;
use crate::stats::{days_needed, sample_size, sample_size_mean, Alpha, Mde, SampleSize};
use chrono::NaiveDate;

/// Days over which the recent exposure rate is measured.
const RATE_DAYS: i64 = 7;
/// Power the sample size is planned for.
const POWER: f64 = 0.8;

/// Per-day exposures and cumulative conversion for `ids` (variant order).
pub(super) fn daily(ids: &[i64], counts: &[DailyCount]) -> Vec<Day> {
    let mut days: Vec<NaiveDate> = counts.iter().map(|c| c.day).collect();
    days.sort_unstable();
    days.dedup();
    let (mut exposed_so_far, mut converted_so_far) = (vec![0u64; ids.len()], vec![0u64; ids.len()]);
    days.into_iter()
        .map(|date| {
            let mut exposed = vec![0u64; ids.len()];
            for c in counts.iter().filter(|c| c.day == date) {
                if let Some(i) = ids.iter().position(|id| *id == c.variant_id) {
                    exposed[i] += c.exposed;
                    exposed_so_far[i] += c.exposed;
                    converted_so_far[i] += c.converted;
                }
            }
            let cumulative_conversion =
                exposed_so_far.iter().zip(&converted_so_far).map(|(e, c)| ratio(*c, *e)).collect();
            Day { date, exposed, cumulative_conversion }
        })
        .collect()
}

/// What the plan needs besides the daily counts.
pub(super) struct Plan<'a> {
    /// The primary metric's report.
    pub primary: Option<&'a MetricReport>,
    /// Relative minimum detectable effect.
    pub mde: f64,
    /// Significance level.
    pub alpha: Alpha,
    /// Variants.
    pub variants: u32,
    /// Mature customers.
    pub mature: u64,
    /// Conversion window.
    pub window_days: i32,
    /// Today (UTC).
    pub today: NaiveDate,
    /// Whether the experiment still takes new customers.
    pub running: bool,
}

/// The sample needed for the primary metric and the days until the results are final.
pub(super) fn progress(daily: Vec<Day>, plan: &Plan<'_>) -> Progress {
    let planned_on = plan.primary.map_or_else(String::new, |m| m.metric.clone());
    let mut p = Progress {
        daily,
        planned_on,
        mde: plan.mde,
        sample_needed: None,
        days_to_sample: None,
        days_remaining: None,
        note: None,
    };
    let needed = match needed(plan) {
        Ok(s) => s,
        Err(note) => {
            p.note = Some(note);
            return p;
        }
    };
    p.sample_needed = Some(SampleNeeded { per_variant: needed.per_variant, total: needed.total });
    if plan.mature >= needed.total {
        p.days_to_sample = Some(0);
        p.days_remaining = Some(0);
        return p;
    }
    let exposed: u64 = p.daily.iter().flat_map(|d| &d.exposed).sum();
    let window = i64::from(plan.window_days);
    // The day on which the needed number of customers had been exposed: final a window later.
    let mut total = 0u64;
    let reached = p.daily.iter().find(|d| {
        total += d.exposed.iter().sum::<u64>();
        total >= needed.total
    });
    if let Some(day) = reached {
        p.days_to_sample = Some(0);
        p.days_remaining = Some((day.date - plan.today).num_days().saturating_add(window + 1).max(0) as u64);
        return p;
    }
    if !plan.running {
        p.note = Some("the experiment no longer takes new customers, so the planned sample will not be reached".into());
        return p;
    }
    let recent: u64 =
        p.daily.iter().filter(|d| (plan.today - d.date).num_days() < RATE_DAYS).flat_map(|d| &d.exposed).sum();
    match days_needed(needed.total, exposed, recent as f64 / RATE_DAYS as f64) {
        Ok(days) => {
            p.days_to_sample = Some(days);
            p.days_remaining = Some(days + window as u64);
        }
        Err(_) => {
            p.note = Some(format!("no new exposures in the last {RATE_DAYS} days, so the time needed is unknown"))
        }
    }
    p
}

fn needed(plan: &Plan<'_>) -> Result<SampleSize, String> {
    let primary = plan.primary.ok_or("the experiment has no primary metric")?;
    let control = primary.variants.first().ok_or("the experiment has no variants")?;
    if control.n == 0 {
        return Err("the sample size is estimated once control has mature customers".into());
    }
    let mde = Mde::Relative(plan.mde);
    let result = match primary.kind {
        Kind::Proportion => sample_size(control.mean, mde, plan.alpha, POWER, plan.variants),
        Kind::Mean => sample_size_mean(control.mean, control.sd, mde, plan.alpha, POWER, plan.variants),
    };
    result.map_err(|e| format!("the sample size cannot be estimated from control's {}: {e}", primary.metric))
}
