//! Calibration by simulation: under A/A (no true difference) the fixed-horizon
//! test must reject about α of the time, and the sequential test at most α
//! even when the results are looked at 20 times.
//!
//! Arms are simulated as summary counts (binomial draws), not per user, so the
//! test stays fast enough to run in every `cargo test`.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Exact Binomial(n, p) draw by skipping geometric gaps between successes:
/// O(np) work instead of O(n) Bernoulli trials.
fn binomial(rng: &mut StdRng, n: u64, p: f64) -> u64 {
    let log_q = (1.0 - p).ln();
    let (mut successes, mut position) = (0u64, 0u64);
    loop {
        let u: f64 = rng.random();
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let gap = ((1.0 - u).ln() / log_q).floor() as u64;
        position = position.saturating_add(gap + 1);
        if position > n {
            return successes;
        }
        successes += 1;
    }
}

fn significant(a: (u64, u64), b: (u64, u64), opts: &Options) -> bool {
    let c = Proportion::new(a.0, a.1).expect("simulated counts are valid").moments();
    let t = Proportion::new(b.0, b.1).expect("simulated counts are valid").moments();
    compare(&c, &t, opts).absolute.is_some_and(|e| e.p_value < opts.alpha.get())
}

const EXPERIMENTS: usize = 2_000;
const RATE: f64 = 0.1;

#[test]
fn binomial_sampler_has_the_right_mean_and_variance() {
    let mut rng = StdRng::seed_from_u64(1);
    let draws: Vec<f64> = (0..20_000).map(|_| binomial(&mut rng, 500, 0.1) as f64).collect();
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws.len() - 1) as f64;
    assert!((mean - 50.0).abs() < 0.2, "{mean}");
    assert!((var - 45.0).abs() < 1.5, "{var}");
}

#[test]
fn fixed_horizon_false_positive_rate_is_alpha() {
    let mut rng = StdRng::seed_from_u64(20_261_123);
    let opts = Options::default();
    let n = 4_000;
    let hits = (0..EXPERIMENTS)
        .filter(|_| {
            let a = binomial(&mut rng, n, RATE);
            let b = binomial(&mut rng, n, RATE);
            significant((n, a), (n, b), &opts)
        })
        .count();
    let rate = hits as f64 / EXPERIMENTS as f64;
    eprintln!("A/A fixed-horizon false-positive rate: {rate}");
    assert!((0.035..=0.065).contains(&rate), "false-positive rate {rate}");
}

#[test]
fn sequential_false_positive_rate_survives_peeking() {
    let mut rng = StdRng::seed_from_u64(7_351);
    let seq = Options { sequential: Some(Tuning::default()), ..Options::default() };
    let fixed = Options::default();
    let (peeks, batch) = (20, 250u64);
    let (mut seq_hits, mut naive_hits) = (0usize, 0usize);
    for _ in 0..EXPERIMENTS {
        let (mut a, mut b, mut n) = (0u64, 0u64, 0u64);
        let (mut seq_rejected, mut naive_rejected) = (false, false);
        for _ in 0..peeks {
            n += batch;
            a += binomial(&mut rng, batch, RATE);
            b += binomial(&mut rng, batch, RATE);
            seq_rejected |= significant((n, a), (n, b), &seq);
            naive_rejected |= significant((n, a), (n, b), &fixed);
        }
        seq_hits += usize::from(seq_rejected);
        naive_hits += usize::from(naive_rejected);
    }
    let seq_rate = seq_hits as f64 / EXPERIMENTS as f64;
    let naive_rate = naive_hits as f64 / EXPERIMENTS as f64;
    eprintln!("A/A with 20 peeks: sequential {seq_rate}, naive fixed-horizon {naive_rate}");
    assert!(seq_rate <= 0.05, "sequential false-positive rate {seq_rate}");
    // The same peeking inflates the fixed-horizon test well above α, which is
    // the reason the sequential test exists (and shows this test has teeth).
    assert!(naive_rate > 0.1, "naive peeking rate {naive_rate}");
}
