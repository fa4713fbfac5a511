//! `--rate`: spaces requests evenly so that at most `rate` start per second.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out start times `1/rate` apart.
pub struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Instant>,
}

impl Pacer {
    /// A pacer for `rate` requests per second; `None` or 0 means no limit.
    pub fn new(rate: Option<f64>) -> Pacer {
        let interval = rate.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer { interval, next: Mutex::new(Instant::now()) }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else { return };
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_spaced_by_the_rate() {
        let pacer = Pacer::new(Some(200.0));
        let started = Instant::now();
        for _ in 0..21 {
            pacer.wait().await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100) && elapsed < Duration::from_millis(600), "{elapsed:?}");
        let unlimited = Pacer::new(Some(0.0));
        let started = Instant::now();
        for _ in 0..1000 {
            unlimited.wait().await;
        }
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
