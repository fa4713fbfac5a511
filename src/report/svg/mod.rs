//! Server-rendered SVG charts for the report page: readable without JavaScript, printable, and
//! well-formed XML (every text is escaped).

mod builder;
mod forest;
mod funnel;
mod lines;

pub use builder::{escape, Svg};
pub use forest::forest;
pub use funnel::funnel;
pub use lines::{cumulative_conversion, time_to_goal};

/// Width of every chart, in pixels.
pub const WIDTH: f64 = 720.0;
/// Right edge of the plotting area.
pub const RIGHT: f64 = 700.0;
/// Top edge of the plotting area.
pub const TOP: f64 = 20.0;
/// Bottom edge (the x axis) of the plotting area of the over-time and funnel charts.
pub const BOTTOM: f64 = 240.0;

/// Colours per variant (control first), distinguishable for colour-blind readers.
pub const PALETTE: [&str; 6] = ["#6b7280", "#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed"];

/// The colour of variant `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A linear map from a data range to a pixel range.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    /// Maps `[d0, d1]` onto `[p0, p1]` (a zero-width domain is widened).
    pub fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        let (d0, d1) = if (d1 - d0).abs() < 1e-12 { (d0 - 0.5, d1 + 0.5) } else { (d0, d1) };
        Scale { d0, d1, p0, p1 }
    }

    /// The pixel position of `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.p0 + (x - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }

    /// About `n` round tick values inside the domain.
    pub fn ticks(&self, n: usize) -> Vec<f64> {
        let (lo, hi) = (self.d0.min(self.d1), self.d0.max(self.d1));
        let raw = (hi - lo) / n.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step =
            [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(magnitude * 10.0);
        let mut t = (lo / step).ceil() * step;
        let mut out = Vec::new();
        while t <= hi + step * 1e-9 && out.len() < 50 {
            out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            t += step;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_ticks() {
        let s = Scale::new(0.0, 1.0, 10.0, 110.0);
        assert_eq!(s.at(0.5), 60.0);
        assert_eq!(s.ticks(5), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let flat = Scale::new(3.0, 3.0, 0.0, 100.0);
        assert_eq!(flat.at(3.0), 50.0);
        assert!(Scale::new(-0.05, 0.2, 0.0, 1.0).ticks(5).contains(&0.0));
    }
}
