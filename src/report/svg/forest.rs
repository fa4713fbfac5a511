//! The interval (forest) plot: each treatment's relative lift on each metric, with its interval.

use super::{colour, Scale, Svg, WIDTH};
use crate::analysis::format::signed_percent;
use crate::analysis::report::MetricReport;

const LEFT: f64 = 250.0;
const RIGHT: f64 = 690.0;
const ROW: f64 = 28.0;
const TOP: f64 = 34.0;

/// One row: label, variant index, (estimate, lower, upper) and whether it is significant.
type Row = (String, usize, Option<(f64, f64, f64)>, bool);

/// The forest plot of `metrics` (relative lifts against control).
pub fn forest(metrics: &[MetricReport]) -> String {
    let rows: Vec<Row> = metrics
        .iter()
        .flat_map(|m| {
            m.variants.iter().enumerate().skip(1).map(move |(i, v)| {
                let effect = v.relative.map(|e| (e.estimate, e.ci.lower(), e.ci.upper()));
                (format!("{} · {}", m.metric, v.variant), i, effect, v.significant == Some(true))
            })
        })
        .collect();
    let height = TOP + ROW * rows.len().max(1) as f64 + 30.0;
    let mut svg = Svg::new(WIDTH, height, "Relative lift of each variant against control, with intervals");
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for (_, _, e, _) in &rows {
        if let Some((_, a, b)) = e {
            lo = lo.min(*a);
            hi = hi.max(*b);
        }
    }
    let pad = ((hi - lo) * 0.08).max(0.01);
    let x = Scale::new(lo - pad, hi + pad, LEFT, RIGHT);
    let bottom = height - 30.0;
    for t in x.ticks(6) {
        let px = x.at(t);
        svg.line(px, TOP - 6.0, px, bottom, "#e5e7eb", 1.0);
        svg.text(px, bottom + 16.0, "middle", "axis", &signed_percent(t));
    }
    svg.line(x.at(0.0), TOP - 10.0, x.at(0.0), bottom, "#111827", 1.0);
    svg.text(x.at(0.0), TOP - 14.0, "middle", "muted", "no change");
    if rows.is_empty() {
        svg.text(LEFT, TOP + ROW / 2.0, "start", "muted", "No treatment to compare yet.");
    }
    for (k, (label, i, effect, significant)) in rows.iter().enumerate() {
        let y = TOP + ROW * (k as f64 + 0.5);
        svg.text(LEFT - 10.0, y + 4.0, "end", "label", label);
        match effect {
            Some((est, a, b)) => {
                let tip =
                    format!("{label}: {} ({} to {})", signed_percent(*est), signed_percent(*a), signed_percent(*b));
                svg.line(x.at(*a), y, x.at(*b), y, colour(*i), if *significant { 3.0 } else { 2.0 });
                svg.line(x.at(*a), y - 5.0, x.at(*a), y + 5.0, colour(*i), 1.5);
                svg.line(x.at(*b), y - 5.0, x.at(*b), y + 5.0, colour(*i), 1.5);
                svg.circle(x.at(*est), y, if *significant { 5.0 } else { 4.0 }, colour(*i), &tip);
            }
            None => {
                svg.text(LEFT, y + 4.0, "start", "muted", "no interval yet");
            }
        }
    }
    svg.finish()
}
