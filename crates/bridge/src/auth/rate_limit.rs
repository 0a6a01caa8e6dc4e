//! The per-caller rate limit: a GCRA bucket per token source and subject (`governor`), so
//! one client cannot use up Moodle for the others. Answers how long to wait when a request
//! is over the limit; the HTTP layer turns that into 429 with `Retry-After`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests per caller per minute, with a burst allowance.
pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `per_minute` steady requests with `burst` at once; `per_minute == 0` turns it off.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        RateLimiter {
            limiter,
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `key` may make a request now, else how long until it may.
    ///
    /// # Errors
    /// The wait, rounded up to whole seconds (at least one), when over the limit.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                .max(Duration::from_secs(1))
        })
    }

    /// Forgets callers whose buckets are full again (keeps memory bounded).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_is_allowed_then_the_caller_waits_and_others_do_not() {
        let limiter = RateLimiter::new(60, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        let wait = limiter.check("a").expect_err("over the limit");
        assert_eq!(wait, Duration::from_secs(1));
        assert_eq!(limiter.check("b"), Ok(()), "other callers are not affected");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0, 1);
        for _ in 0..1000 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
    }
}
