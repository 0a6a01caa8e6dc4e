//! When to repeat a call: only functions declared read-only (`functions::Function::read`), only after a
//! transport failure, a 5xx or a 429, with backoff 100/200/400 ms (halved-range jitter)
//! and the server's `Retry-After` honoured up to a cap.
//!
//! Writes (create, update, delete, enrol, upload, token login) are never repeated: a
//! request that timed out may still have been applied, and Moodle has no idempotency keys.

use std::time::Duration;

use rand::Rng as _;

/// How reads are repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Repeats after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff; each further one doubles (default 100 ms).
    pub base_delay: Duration,
    /// The longest backoff (default 5 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries (default 10 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The full backoff before repeat number `retry` (0-based), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before repeat number `retry` (0-based), or `None` when no repeat is due:
    /// the retries are used up, or the server asked for a longer wait than the cap.
    pub fn delay(&self, retry: u32, server_wait: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let full = self.backoff(retry);
        // Halved-range jitter: between half and all of the backoff, so callers that failed
        // together do not come back together.
        let half = full / 2;
        let jittered = half + rand::rng().random_range(Duration::ZERO..=full - half);
        match server_wait {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.max(jittered)),
            None => Some(jittered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_100_ms() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(20), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_backoff() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d = p.delay(2, None).expect("a retry is due");
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
        assert_eq!(p.delay(3, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(300))), None);
    }
}
