//! How a run shows its progress: a bar on a terminal, log lines in the background (the demo),
//! or nothing (tests, pipes).

use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nowhere.
    Hidden,
    /// An indicatif bar on stderr.
    Bar,
    /// An `info` log line every few seconds.
    Log,
}

/// How often [`Progress::Log`] writes a line.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Follows a run: customers finished out of those known so far.
pub(super) struct Reporter {
    bar: Option<ProgressBar>,
    log: bool,
    last_log: Instant,
    done: u64,
    total: u64,
}

impl Reporter {
    /// A reporter for `total` customers (referrals add more).
    pub(super) fn new(progress: Progress, total: u64) -> Reporter {
        let bar = (progress == Progress::Bar).then(|| {
            let bar = ProgressBar::new(total);
            let style =
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} customers {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Reporter { bar, log: progress == Progress::Log, last_log: Instant::now(), done: 0, total }
    }

    /// One more customer to simulate (a referral).
    pub(super) fn grow(&mut self) {
        self.total += 1;
        if let Some(bar) = &self.bar {
            bar.set_length(self.total);
        }
    }

    /// A customer's journey ended; `events` sent so far and the request rate.
    pub(super) fn finished(&mut self, events: u64, requests_per_second: f64) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            if self.done.is_multiple_of(256) {
                bar.set_message(format!("· {events} events · {requests_per_second:.0} req/s"));
            }
        }
        if self.log && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            tracing::info!(
                customers.done = self.done,
                customers.total = self.total,
                events,
                requests_per_second = requests_per_second.round(),
                "simulating"
            );
        }
    }

    /// The run ended.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
