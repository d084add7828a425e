//! How much of a heartbeat counts. No database here.
//!
//! The phone says how many seconds it has been reading; the server believes at most the wall
//! time since the member's previous heartbeat on the same item, and never a second that
//! another item has already been credited with (the member's study clock, `credited_until`).
//! A small slack absorbs network jitter; it is borrowed from the future (the clock moves past
//! `now`), so it never adds up across heartbeats.
use chrono::{DateTime, Duration, Utc};

/// A heartbeat later than this after the previous one on the same item starts a new session:
/// the gap is not credited.
pub const GAP: Duration = Duration::minutes(5);
/// Jitter allowed on top of the wall time.
pub const SLACK: Duration = Duration::seconds(5);
/// The most a heartbeat may claim.
pub const MAX_CLAIM: i32 = 300;

/// What the server knows when a heartbeat arrives.
#[derive(Debug, Clone, Copy)]
pub struct Beat {
    /// The member's previous heartbeat on this item, in its latest session.
    pub previous: Option<DateTime<Utc>>,
    /// The member's study clock: time up to here is already credited to some item.
    pub credited_until: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// Seconds the phone claims.
    pub claimed: i32,
}

/// What a heartbeat earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit {
    /// The heartbeat opens a new session (first one, or after a gap): nothing is credited.
    pub new_session: bool,
    pub seconds: i32,
    /// The study clock after this heartbeat.
    pub credited_until: DateTime<Utc>,
}

pub fn credit(beat: Beat) -> Credit {
    let until = beat.credited_until.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let Some(previous) = beat.previous.filter(|p| beat.now - *p <= GAP) else {
        return Credit {
            new_session: true,
            seconds: 0,
            credited_until: until,
        };
    };
    let from = previous.max(until);
    let available = (beat.now - from + SLACK).num_seconds().max(0);
    let seconds = i64::from(beat.claimed.clamp(0, MAX_CLAIM)).min(available);
    Credit {
        new_session: false,
        seconds: seconds as i32,
        credited_until: from + Duration::seconds(seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    fn beat(previous: Option<i64>, until: Option<i64>, now: i64, claimed: i32) -> Credit {
        credit(Beat {
            previous: previous.map(t),
            credited_until: until.map(t),
            now: t(now),
            claimed,
        })
    }

    #[test]
    fn the_first_heartbeat_opens_a_session_and_counts_nothing() {
        let c = beat(None, None, 0, 300);
        assert!(c.new_session);
        assert_eq!(c.seconds, 0);
    }

    #[test]
    fn a_claim_is_cut_to_the_wall_time_and_the_slack() {
        let c = beat(Some(0), Some(0), 30, 300);
        assert_eq!(c.seconds, 35);
        assert_eq!(c.credited_until, t(35));
        // The slack was borrowed, so it never adds up: 60 s of wall time earn 65, not 70.
        assert_eq!(beat(Some(30), Some(35), 60, 300).seconds, 30);
        assert_eq!(beat(Some(30), Some(35), 60, 300).credited_until, t(65));
    }

    #[test]
    fn an_honest_claim_is_credited_as_sent() {
        assert_eq!(beat(Some(0), Some(0), 30, 20).seconds, 20);
    }

    #[test]
    fn a_gap_starts_a_new_session() {
        let c = beat(Some(0), Some(0), 301, 300);
        assert!(c.new_session);
        assert_eq!(c.seconds, 0);
        assert!(!beat(Some(0), Some(0), 300, 300).new_session);
    }

    #[test]
    fn time_credited_to_another_item_is_not_credited_again() {
        // Article A was credited up to 30; B's heartbeat at 30, its previous at 0, gets only
        // the slack.
        assert_eq!(beat(Some(0), Some(30), 30, 30).seconds, 5);
        // The clock ahead of now (slack borrowed): nothing.
        assert_eq!(beat(Some(0), Some(40), 30, 30).seconds, 0);
    }

    #[test]
    fn negative_claims_count_nothing() {
        assert_eq!(beat(Some(0), Some(0), 30, -5).seconds, 0);
    }
}
