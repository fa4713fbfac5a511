//! Fisher's exact test for a 2×2 table of conversions, for the small-count
//! cases where the normal approximation behind Welch's test is poor.

use super::Proportion;
use statrs::function::gamma::ln_gamma;

/// Smallest expected cell count below which Fisher's test is reported.
pub const SMALL_EXPECTED_CELL: f64 = 10.0;

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Two-sided p-value of Fisher's exact test of equal conversion rates.
///
/// The p-value sums the probabilities of all tables with the same margins that
/// are no more likely than the observed one (scipy's and R's definition); the
/// relative tolerance of 1e-7 keeps ties that rounding would otherwise split.
pub fn fisher_exact(a: &Proportion, b: &Proportion) -> f64 {
    let (x, r1) = (a.conversions(), a.n());
    let (c, r2) = (b.conversions(), b.n());
    let n = r1 + r2;
    let c1 = x + c; // converted in total
    if n == 0 || c1 == 0 || c1 == n || r1 == 0 || r2 == 0 {
        return 1.0; // one margin is empty, every table is the observed one
    }
    let lo = (r1 + c1).saturating_sub(n);
    let hi = r1.min(c1);
    let (nf, c1f, r1f) = (n as f64, c1 as f64, r1 as f64);
    // log P(X = k) for the hypergeometric count of conversions in arm a.
    let ln_pmf_lo = ln_choose(c1f, lo as f64) + ln_choose(nf - c1f, r1f - lo as f64) - ln_choose(nf, r1f);
    // Walk the support with the pmf ratio recurrence: one ln per step instead of
    // six ln Γ, and no cancellation.
    let mut ln_pmfs = Vec::with_capacity((hi - lo + 1) as usize);
    let mut lp = ln_pmf_lo;
    for k in lo..=hi {
        ln_pmfs.push(lp);
        let kf = k as f64;
        lp += ((c1f - kf) * (r1f - kf) / ((kf + 1.0) * (nf - c1f - r1f + kf + 1.0))).ln();
    }
    let observed = ln_pmfs[(x - lo) as usize];
    let threshold = observed + (1.0 + 1e-7f64).ln();
    let p: f64 = ln_pmfs.iter().filter(|&&l| l <= threshold).map(|l| l.exp()).sum();
    p.clamp(0.0, 1.0)
}

/// Whether any expected cell of the 2×2 table is below [`SMALL_EXPECTED_CELL`],
/// i.e. whether Fisher's test should be reported beside Welch's.
pub fn has_small_cell(a: &Proportion, b: &Proportion) -> bool {
    let n = (a.n() + b.n()) as f64;
    if n == 0.0 {
        return true;
    }
    let conv = (a.conversions() + b.conversions()) as f64;
    [a.n() as f64, b.n() as f64]
        .iter()
        .any(|&row| row * conv / n < SMALL_EXPECTED_CELL || row * (n - conv) / n < SMALL_EXPECTED_CELL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u64, c: u64) -> Proportion {
        Proportion::new(n, c).unwrap()
    }

    #[test]
    fn tea_tasting() {
        // Fisher's lady tasting tea: [[3, 1], [1, 3]], two-sided p = 34/70.
        let v = fisher_exact(&p(4, 3), &p(4, 1));
        assert!((v - 34.0 / 70.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn extreme_table_and_degenerate_margins() {
        // [[0, 10], [10, 0]]: only the two extreme tables are as unlikely; 2/C(20,10).
        let v = fisher_exact(&p(10, 0), &p(10, 10));
        assert!((v - 2.0 / 184_756.0).abs() < 1e-15, "{v}");
        assert_eq!(fisher_exact(&p(10, 0), &p(10, 0)), 1.0);
        assert_eq!(fisher_exact(&p(0, 0), &p(10, 3)), 1.0);
    }

    #[test]
    fn small_cells_are_detected() {
        assert!(has_small_cell(&p(100, 2), &p(100, 5)));
        assert!(!has_small_cell(&p(1000, 100), &p(1000, 120)));
        assert!(has_small_cell(&p(1000, 998), &p(1000, 995)));
    }
}
