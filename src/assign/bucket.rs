//! Deterministic bucketing: a customer's position in [0, 1) for one purpose, from xxHash64.
//!
//! Each experiment hashes `salt:purpose:customer_id` with a separate purpose for "is the customer
//! in the experiment" (`traffic`) and "which variant" (`variant`). The two positions are
//! independent, so raising traffic only adds customers and never moves anyone between variants,
//! and changing weights never changes who is in the experiment.

use xxhash_rust::xxh64::Xxh64;

/// Purpose: is the customer in the experiment's traffic?
pub const TRAFFIC: &str = "traffic";
/// Purpose: which variant?
pub const VARIANT: &str = "variant";

/// The customer's position in [0, 1) for `salt` and `purpose`.
pub fn position(salt: &str, purpose: &str, customer_id: &str) -> f64 {
    let mut hasher = Xxh64::new(0);
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(purpose.as_bytes());
    hasher.update(b":");
    hasher.update(customer_id.as_bytes());
    // The top 53 bits give every representable double in [0, 1) on an even grid.
    (hasher.digest() >> 11) as f64 / (1u64 << 53) as f64
}

/// The variant index for a position, with `weights` normalised to their sum (zero weights are
/// never chosen). `weights` must have a positive sum (validated when the experiment is defined).
pub fn pick(position: f64, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let target = position * total;
    let mut cumulative = 0.0;
    for (i, w) in weights.iter().enumerate() {
        cumulative += w;
        if target < cumulative && *w > 0.0 {
            return i;
        }
    }
    // Rounding can leave `target` a hair above the sum: the last variant with weight takes it.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_stable_and_in_range() {
        let a = position("salt", TRAFFIC, "c-1");
        assert_eq!(a, position("salt", TRAFFIC, "c-1"));
        assert!((0.0..1.0).contains(&a));
        assert_ne!(a, position("salt", VARIANT, "c-1"));
        assert_ne!(a, position("other", TRAFFIC, "c-1"));
        // The separator keeps `ab:c` and `a:bc` apart.
        assert_ne!(position("ab", "c", "x"), position("a", "bc", "x"));
    }

    #[test]
    fn positions_are_uniform() {
        // χ² over 20 bins for 100,000 ids: the 0.999 quantile with 19 degrees of freedom is 43.8.
        let n = 100_000;
        let mut bins = [0u32; 20];
        for i in 0..n {
            bins[(position("s", VARIANT, &format!("customer-{i}")) * 20.0) as usize] += 1;
        }
        let expected = n as f64 / 20.0;
        let chi2: f64 = bins.iter().map(|&b| (b as f64 - expected).powi(2) / expected).sum();
        assert!(chi2 < 43.8, "χ² = {chi2}, bins {bins:?}");
    }

    #[test]
    fn traffic_and_variant_positions_are_independent() {
        // Among customers inside 30% traffic, the variant split is still even.
        let (mut inside, mut first_half) = (0, 0);
        for i in 0..50_000 {
            let id = format!("c{i}");
            if position("s", TRAFFIC, &id) < 0.3 {
                inside += 1;
                if position("s", VARIANT, &id) < 0.5 {
                    first_half += 1;
                }
            }
        }
        let share = first_half as f64 / inside as f64;
        assert!((share - 0.5).abs() < 0.02, "{share} of {inside}");
    }

    #[test]
    fn pick_follows_cumulative_weights() {
        let w = [50.0, 30.0, 20.0];
        assert_eq!(pick(0.0, &w), 0);
        assert_eq!(pick(0.4999, &w), 0);
        assert_eq!(pick(0.5, &w), 1);
        assert_eq!(pick(0.7999, &w), 1);
        assert_eq!(pick(0.8, &w), 2);
        assert_eq!(pick(0.999_999_999, &w), 2);
        assert_eq!(pick(0.5, &[0.5, 0.5]), 1);
        // Zero weights are never chosen, wherever they stand.
        for p in [0.0, 0.3, 0.6, 0.999_999] {
            assert_ne!(pick(p, &[0.0, 1.0, 0.0, 1.0, 0.0]) % 2, 0);
        }
        assert_eq!(pick(0.999_999_999_999, &[1.0, 1.0, 0.0]), 1);
    }
}
