//! A cap on database lookups for tokens the in-memory key table does not know.
//!
//! Known keys never touch the database. An unknown token is looked up once in case it was created
//! a moment ago on another node, but a flood of random tokens must not drain the connection pool:
//! at most `per_second` such lookups happen each second; beyond that the answer is 401 at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Counts lookups in the current one-second window.
#[derive(Debug)]
pub struct MissLimiter {
    per_second: u64,
    /// Window start (seconds) in the high 32 bits, lookups in it in the low 32 bits.
    state: AtomicU64,
}

impl MissLimiter {
    /// A limiter allowing `per_second` lookups per second.
    pub fn new(per_second: u32) -> MissLimiter {
        MissLimiter { per_second: per_second as u64, state: AtomicU64::new(0) }
    }

    /// Whether one more lookup may happen now.
    pub fn allow(&self) -> bool {
        self.allow_at(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
    }

    fn allow_at(&self, now: u64) -> bool {
        let window = now & 0xffff_ffff;
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            let (start, count) = (current >> 32, current & 0xffff_ffff);
            let next = if start == window { (window << 32) | (count + 1) } else { (window << 32) | 1 };
            if start == window && count >= self.per_second {
                return false;
            }
            match self.state.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_second() {
        let limiter = MissLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow_at(100)));
        assert!(!limiter.allow_at(100));
        assert!(!limiter.allow_at(100));
        assert!(limiter.allow_at(101), "a new second, a new budget");
        assert!(limiter.allow_at(101) && limiter.allow_at(101));
        assert!(!limiter.allow_at(101));
    }
}
