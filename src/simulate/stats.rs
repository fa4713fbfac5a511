//! What a run measured: counts, throughput and latency percentiles, and its summary.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// Latencies of one kind of call.
#[derive(Debug, Default)]
pub struct Latencies {
    micros: Vec<u64>,
}

impl Latencies {
    /// Records one call.
    pub fn record(&mut self, latency: Duration) {
        self.micros.push(latency.as_micros() as u64);
    }

    /// Percentiles in milliseconds (nearest rank), zeros when nothing was recorded.
    pub fn percentiles(&self) -> Percentiles {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1] as f64 / 1000.0
        };
        Percentiles { calls: sorted.len() as u64, p50: at(0.50), p90: at(0.90), p99: at(0.99), max: at(1.0) }
    }
}

/// Latency percentiles of one kind of call, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Calls measured.
    pub calls: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// The seed.
    pub seed: u64,
    /// Customers simulated, referred ones included.
    pub customers: u64,
    /// Of those, brought by referrals.
    pub referred: u64,
    /// Stage visits that asked for assignments.
    pub visits: u64,
    /// Assignments answered (customer × experiment, new or sticky).
    pub assignments: u64,
    /// Events sent.
    pub events_sent: u64,
    /// Events the service stored.
    pub events_accepted: u64,
    /// Events the service already had (a re-run with the same seed).
    pub events_duplicates: u64,
    /// Wall-clock seconds.
    pub elapsed_seconds: f64,
    /// HTTP requests per second (assignment and event calls).
    pub requests_per_second: f64,
    /// Assignment calls.
    pub assign_latency_ms: Percentiles,
    /// Event calls.
    pub events_latency_ms: Percentiles,
    /// Order-independent digest of every answered (customer, experiment, variant): equal digests
    /// mean the same assignments.
    pub assignments_digest: String,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "customers        {} ({} referred), seed {}", self.customers, self.referred, self.seed)?;
        writeln!(f, "assignments      {} over {} stage visits", self.assignments, self.visits)?;
        writeln!(
            f,
            "events           {} sent: {} accepted, {} duplicates",
            self.events_sent, self.events_accepted, self.events_duplicates
        )?;
        writeln!(f, "throughput       {:.0} requests/s over {:.1} s", self.requests_per_second, self.elapsed_seconds)?;
        for (name, p) in [("assignment calls", &self.assign_latency_ms), ("event calls", &self.events_latency_ms)] {
            writeln!(
                f,
                "{name:<16} {:>7}  p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                p.calls, p.p50, p.p90, p.p99, p.max
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut l = Latencies::default();
        assert_eq!(l.percentiles(), Percentiles::default());
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let p = l.percentiles();
        assert_eq!((p.calls, p.p50, p.p90, p.p99, p.max), (100, 50.0, 90.0, 99.0, 100.0));
    }
}
