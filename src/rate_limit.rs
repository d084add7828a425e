//! A sliding-window limit per key (a member id), on the application clock. It lives in memory,
//! so each instance counts on its own: fine for slowing down guessing (invite codes), where a
//! few instances multiply the limit by a few; limits that must hold across instances (the admin
//! login lockout) are kept in the database instead.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::ApiError;

pub struct RateLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<i64, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt by `key` at `now`, or refuses it with 429 and the wait.
    pub fn check(&self, key: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
        let since = now - self.window;
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let recent = hits.entry(key).or_default();
        while recent.front().is_some_and(|t| *t <= since) {
            recent.pop_front();
        }
        if recent.len() >= self.max {
            let free_at = recent[recent.len() - self.max] + self.window;
            let wait_ms = (free_at - now).num_milliseconds().max(1000) as u64;
            return Err(ApiError::RateLimited {
                retry_after_secs: wait_ms.div_ceil(1000),
            });
        }
        recent.push_back(now);
        // Forget idle keys now and then, so memory stays bounded by the active ones.
        if hits.len() > 10_000 {
            hits.retain(|_, times| times.back().is_some_and(|t| *t > since));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_attempt_over_the_limit_until_the_window_slides() {
        let limiter = RateLimiter::new(2, Duration::seconds(60));
        let t0 = Utc::now();
        assert!(limiter.check(1, t0).is_ok());
        assert!(limiter.check(1, t0 + Duration::seconds(10)).is_ok());
        match limiter.check(1, t0 + Duration::seconds(20)) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 40),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            limiter.check(2, t0 + Duration::seconds(20)).is_ok(),
            "other keys are not affected"
        );
        assert!(limiter.check(1, t0 + Duration::seconds(61)).is_ok());
    }
}
