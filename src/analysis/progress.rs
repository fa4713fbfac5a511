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
        // Exposed on day D, the last needed customer's window ends on day D + window.
        p.days_to_sample = Some(0);
        p.days_remaining = Some((day.date - plan.today).num_days().saturating_add(window).max(0) as u64);
        return p;
    }
    if !plan.running {
        p.note = Some("the experiment no longer takes new customers, so the planned sample will not be reached".into());
        return p;
    }
    match days_needed(needed.total, exposed, recent_rate(&p.daily, plan.today)) {
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

/// Exposures per day over the last full days (at most [`RATE_DAYS`], only since the first
/// exposure); today's partial count only when there is no full day yet.
fn recent_rate(daily: &[Day], today: NaiveDate) -> f64 {
    let Some(first) = daily.first().map(|d| d.date) else { return 0.0 };
    let full_days = (today - first).num_days().clamp(0, RATE_DAYS);
    let in_range = |from: i64, to: i64| -> u64 {
        daily.iter().filter(|d| (from..=to).contains(&(today - d.date).num_days())).flat_map(|d| &d.exposed).sum()
    };
    if full_days == 0 {
        in_range(0, 0) as f64
    } else {
        in_range(1, full_days) as f64 / full_days as f64
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, exposed: u64) -> Day {
        let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        Day { date, exposed: vec![exposed / 2, exposed - exposed / 2], cumulative_conversion: vec![0.0, 0.0] }
    }

    #[test]
    fn the_rate_uses_full_days_since_the_start() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        // Started 3 days ago: 3 full days (20, 22 and 21) and a partial today.
        let daily = [day(20, 300), day(21, 330), day(22, 300), day(23, 50)];
        assert_eq!(recent_rate(&daily, today), 310.0);
        // Started today: today's count stands in.
        assert_eq!(recent_rate(&[day(23, 50)], today), 50.0);
        // Older: the last 7 full days only.
        let long: Vec<Day> = (1..=23).map(|d| day(d, if (16..23).contains(&d) { 70 } else { 1000 })).collect();
        assert_eq!(recent_rate(&long, today), 70.0);
        assert_eq!(recent_rate(&[], today), 0.0);
    }
}
