//! The downstream funnel: share of each variant's customers reaching each later stage.

use super::{colour, Scale, Svg};
use crate::analysis::format::percent;
use crate::analysis::report::Funnel;

use super::{BOTTOM, RIGHT, TOP, WIDTH};

const HEIGHT: f64 = 280.0;
const LEFT: f64 = 50.0;

/// Grouped bars: one group per stage, one bar per variant.
pub fn funnel(f: &Funnel) -> String {
    let mut svg = Svg::new(WIDTH, HEIGHT, "Share of customers reaching each later stage, per variant");
    let top = f.variants.iter().flat_map(|v| v.steps.iter().map(|s| s.share)).fold(0.0f64, f64::max);
    let y = Scale::new(0.0, if top > 0.0 { top * 1.1 } else { 1.0 }, BOTTOM, TOP);
    for t in y.ticks(5) {
        svg.line(LEFT, y.at(t), RIGHT, y.at(t), "#e5e7eb", 1.0);
        svg.text(LEFT - 6.0, y.at(t) + 4.0, "end", "axis", &percent(t));
    }
    if f.stages.is_empty() || f.variants.is_empty() {
        svg.text(LEFT + 10.0, (TOP + BOTTOM) / 2.0, "start", "muted", "No later stage in the lifecycle.");
        return svg.finish();
    }
    let group = (RIGHT - LEFT) / f.stages.len() as f64;
    let bar = (group * 0.8 / f.variants.len() as f64).min(40.0);
    for (s, stage) in f.stages.iter().enumerate() {
        let x0 = LEFT + group * s as f64 + (group - bar * f.variants.len() as f64) / 2.0;
        for (i, v) in f.variants.iter().enumerate() {
            let Some(step) = v.steps.get(s) else { continue };
            let tip = format!(
                "{}: {} of {} reached {stage} ({}; {} of the previous step)",
                v.variant,
                step.customers,
                v.n,
                percent(step.share),
                percent(step.step_rate)
            );
            let x = x0 + bar * i as f64;
            svg.rect(x, y.at(step.share), bar - 2.0, BOTTOM - y.at(step.share), colour(i), &tip);
        }
        svg.text(LEFT + group * (s as f64 + 0.5), BOTTOM + 16.0, "middle", "label", stage);
    }
    legend(&mut svg, f.variants.iter().map(|v| v.variant.as_str()), BOTTOM + 34.0);
    svg.finish()
}

/// A one-line legend of variant colours at height `y`.
pub(super) fn legend<'a>(svg: &mut Svg, names: impl Iterator<Item = &'a str>, y: f64) {
    let mut x = LEFT;
    for (i, name) in names.enumerate() {
        svg.rect(x, y - 9.0, 10.0, 10.0, colour(i), name);
        svg.text(x + 14.0, y, "start", "label", name);
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
}
