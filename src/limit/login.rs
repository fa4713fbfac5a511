//! Login attempts are rate-limited per client address and per e-mail: after `MAX_FAILURES`
//! failures within `WINDOW`, further attempts are refused until the window has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window.
pub const MAX_FAILURES: usize = 5;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys tracked at most (oldest are dropped beyond this).
const MAX_KEYS: usize = 10_000;

/// Failed login attempts by key (`ip:<addr>` and `email:<address>`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// Whether any of `keys` has used up its failures.
    pub fn blocked(&self, keys: &[String], now: Instant) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().any(|k| {
            map.get_mut(k).is_some_and(|times| {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                times.len() >= MAX_FAILURES
            })
        })
    }

    /// Records a failure for each of `keys`.
    pub fn fail(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_KEYS {
            map.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for k in keys {
            map.entry(k.clone()).or_default().push(now);
        }
    }

    /// After a successful login: the attempt recorded for the address (see [`LoginLimiter::fail`],
    /// called before verifying so that parallel guesses count) is taken back, and the e-mail's
    /// failures are forgotten. The address's other failures stay: owning one account must not
    /// reset an address's budget for guessing others.
    pub fn succeed(&self, address: &str, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(address) {
            times.pop();
        }
        map.remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_five_failures_until_the_window_passes() {
        let l = LoginLimiter::default();
        let keys = vec!["ip:1".to_string()];
        let t = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(!l.blocked(&keys, t));
            l.fail(&keys, t);
        }
        assert!(l.blocked(&keys, t));
        assert!(!l.blocked(&["ip:2".to_string()], t));
        assert!(!l.blocked(&keys, t + WINDOW + Duration::from_secs(1)));
        let later = t + WINDOW + Duration::from_secs(2);
        let both = vec!["ip:3".to_string(), "email:a".to_string()];
        for _ in 0..4 {
            l.fail(&both, later);
        }
        l.fail(&both, later); // the fifth attempt, recorded before verifying, succeeds
        l.succeed("ip:3", "email:a");
        assert!(!l.blocked(&both, later), "4 failures left on the address, none on the e-mail");
        l.fail(&both, later);
        assert!(l.blocked(&["ip:3".to_string()], later));
    }
}
