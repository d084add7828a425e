//! Where "now" comes from. Services never call `Utc::now()` directly, so tests can move time
//! (expire a token, cross midnight in Asia/Shanghai) without sleeping.
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use chrono_tz::Tz;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub type SharedClock = Arc<dyn Clock>;

/// The local calendar day of `at` in `tz`: what "today" means for check-ins, quizzes and caps.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The instant `day` begins in `tz` (its first valid local time, should a DST gap fall there):
/// the end of the day before.
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..24)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + Duration::hours(h)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The real clock, truncated to microseconds: the precision PostgreSQL and MySQL `datetime(6)`
/// keep, so a value read back equals the value written on every backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until moved. For tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start.trunc_subsecs(6)),
        })
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = to.trunc_subsecs(6);
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock only means a test panicked while holding it; the time is still valid.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_date_follows_shanghai_midnight_not_utc() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // 15:59:59 UTC is 23:59:59 in Shanghai; one second later is the next local day.
        let before = Utc.with_ymd_and_hms(2026, 3, 1, 15, 59, 59).unwrap();
        let after = before + Duration::seconds(1);
        assert_eq!(local_date(before, tz).to_string(), "2026-03-01");
        assert_eq!(local_date(after, tz).to_string(), "2026-03-02");
    }
}
