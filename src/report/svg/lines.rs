//! Line charts over time: cumulative conversion per variant, and the Kaplan–Meier curves of the
//! time to goal (drawn as the share that has reached the goal, with its interval band).

use super::funnel::legend;
use super::{colour, Scale, Svg};
use crate::analysis::format::percent;
use crate::analysis::report::{Day, TimeToGoal};

use super::{BOTTOM, RIGHT, TOP, WIDTH};

const HEIGHT: f64 = 290.0;
const LEFT: f64 = 56.0;

fn frame(svg: &mut Svg, y: &Scale) {
    for t in y.ticks(5) {
        svg.line(LEFT, y.at(t), RIGHT, y.at(t), "#e5e7eb", 1.0);
        svg.text(LEFT - 6.0, y.at(t) + 4.0, "end", "axis", &percent(t));
    }
    svg.line(LEFT, BOTTOM, RIGHT, BOTTOM, "#9ca3af", 1.0);
}

/// Cumulative conversion per variant by day.
pub fn cumulative_conversion(days: &[Day], variants: &[String]) -> String {
    let mut svg = Svg::new(WIDTH, HEIGHT, "Cumulative conversion over time, per variant");
    let top = days.iter().flat_map(|d| d.cumulative_conversion.iter().copied()).fold(0.0f64, f64::max);
    let y = Scale::new(0.0, if top > 0.0 { top * 1.1 } else { 0.1 }, BOTTOM, TOP);
    frame(&mut svg, &y);
    if days.is_empty() {
        svg.text(LEFT + 10.0, (TOP + BOTTOM) / 2.0, "start", "muted", "No exposures yet.");
        return svg.finish();
    }
    let x = Scale::new(0.0, (days.len() - 1) as f64, LEFT, RIGHT);
    let step = (days.len() / 6).max(1);
    for (k, d) in days.iter().enumerate().step_by(step) {
        svg.text(x.at(k as f64), BOTTOM + 16.0, "middle", "axis", &d.date.format("%b %d").to_string());
    }
    for (i, name) in variants.iter().enumerate() {
        let points: Vec<(f64, f64)> = days
            .iter()
            .enumerate()
            .filter_map(|(k, d)| d.cumulative_conversion.get(i).map(|c| (x.at(k as f64), y.at(*c))))
            .collect();
        let last = days.last().and_then(|d| d.cumulative_conversion.get(i)).copied().unwrap_or(0.0);
        let tip = format!("{name}: {} so far", percent(last));
        svg.polyline(&points, colour(i), &tip);
        // The latest value as a dot: also visible when there is only one day.
        if let Some((x, y)) = points.last() {
            svg.circle(*x, *y, 3.5, colour(i), &tip);
        }
    }
    legend(&mut svg, variants.iter().map(String::as_str), BOTTOM + 40.0);
    svg.finish()
}

/// The share of customers who reached the goal by each day since exposure (1 − Kaplan–Meier
/// survival), per variant, with pointwise interval bands.
pub fn time_to_goal(t: &TimeToGoal, window_days: i32) -> String {
    let mut svg =
        Svg::new(WIDTH, HEIGHT, "Share of customers who reached the goal, by days since exposure (Kaplan–Meier)");
    let top = t.variants.iter().flat_map(|v| v.curve.iter().map(|p| 1.0 - p.ci.lower())).fold(0.0f64, f64::max);
    let y = Scale::new(0.0, if top > 0.0 { (top * 1.1).min(1.0) } else { 0.1 }, BOTTOM, TOP);
    frame(&mut svg, &y);
    let x = Scale::new(0.0, f64::from(window_days.max(1)), LEFT, RIGHT);
    for tick in x.ticks(8) {
        svg.text(x.at(tick), BOTTOM + 16.0, "middle", "axis", &format!("day {tick}"));
    }
    if t.variants.iter().all(|v| v.curve.is_empty()) {
        svg.text(LEFT + 10.0, (TOP + BOTTOM) / 2.0, "start", "muted", "No exposures yet.");
    }
    for (i, v) in t.variants.iter().enumerate() {
        // A step function: flat until the next event time, then a jump.
        let (mut line, mut upper, mut lower) = (vec![(x.at(0.0), y.at(0.0))], vec![], vec![]);
        let mut previous = (0.0f64, 0.0f64, 0.0f64);
        for p in &v.curve {
            let time = p.time.min(f64::from(window_days));
            let reached = 1.0 - p.survival;
            line.push((x.at(time), y.at(previous.0)));
            line.push((x.at(time), y.at(reached)));
            upper.push((x.at(time), y.at(previous.1)));
            upper.push((x.at(time), y.at(1.0 - p.ci.lower())));
            lower.push((x.at(time), y.at(previous.2)));
            lower.push((x.at(time), y.at(1.0 - p.ci.upper())));
            previous = (reached, 1.0 - p.ci.lower(), 1.0 - p.ci.upper());
        }
        let mut band = upper.clone();
        band.extend(lower.iter().rev());
        svg.band(&band, colour(i));
        let test = v.log_rank.map_or_else(String::new, |l| format!(", log-rank p = {:.4}", l.p_value));
        svg.polyline(&line, colour(i), &format!("{}: {} reached the goal{test}", v.variant, percent(previous.0)));
    }
    legend(&mut svg, t.variants.iter().map(|v| v.variant.as_str()), BOTTOM + 40.0);
    svg.finish()
}
