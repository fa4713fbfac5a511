//! Full analysis of one metric with 5 variants (control + 4 treatments):
//! Welch on both scales, Bayesian chance to beat and risk, Holm correction
//! and the SRM check. Run with `cargo bench --bench stats`.

use criterion::{criterion_group, criterion_main, Criterion};
use stagelab::stats::{analyze, Correction, Mean, Options, Proportion, Summary, Tuning};
use std::hint::black_box;

fn proportions() -> (Summary, Vec<Summary>) {
    let p = |n, c| Summary::from(Proportion::new(n, c).expect("valid counts"));
    (p(50_000, 5_000), vec![p(50_100, 5_150), p(49_900, 4_980), p(50_050, 5_090), p(49_950, 5_210)])
}

fn means() -> (Summary, Vec<Summary>) {
    let m = |n, mean, sd| Summary::from(Mean::from_mean_sd(n, mean, sd).expect("valid mean"));
    (
        m(50_000, 12.0, 30.0),
        vec![m(50_100, 12.3, 31.0), m(49_900, 11.9, 29.5), m(50_050, 12.1, 30.2), m(49_950, 12.6, 32.0)],
    )
}

fn bench(c: &mut Criterion) {
    let opts = Options { correction: Some(Correction::Holm), srm_weights: Some(vec![1.0; 5]), ..Options::default() };
    let seq = Options { sequential: Some(Tuning::default()), ..opts.clone() };
    let (pc, pt) = proportions();
    let (mc, mt) = means();
    c.bench_function("analyze proportions, 5 variants", |b| {
        b.iter(|| analyze(black_box(&pc), black_box(&pt), black_box(&opts)))
    });
    c.bench_function("analyze means, 5 variants", |b| {
        b.iter(|| analyze(black_box(&mc), black_box(&mt), black_box(&opts)))
    });
    c.bench_function("analyze proportions, 5 variants, sequential", |b| {
        b.iter(|| analyze(black_box(&pc), black_box(&pt), black_box(&seq)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
