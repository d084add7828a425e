//! The most members attending at once. No database here.
use chrono::{DateTime, Utc};

/// The largest number of `sessions` (start, last heartbeat) open at one instant, and the first
/// instant it was reached. A session ending when another starts does not overlap it, and a
/// session of one heartbeat (no time credited) never counts.
pub fn peak(sessions: &[(DateTime<Utc>, DateTime<Utc>)]) -> (u64, Option<DateTime<Utc>>) {
    // (instant, +1 start / -1 end): at equal instants ends sort first.
    let mut events: Vec<(DateTime<Utc>, i8)> = sessions
        .iter()
        .filter(|(start, end)| end > start)
        .flat_map(|(start, end)| [(*start, 1), (*end, -1)])
        .collect();
    events.sort_unstable();
    let (mut open, mut best, mut at) = (0i64, 0i64, None);
    for (instant, step) in events {
        open += i64::from(step);
        if open > best {
            best = open;
            at = Some(instant);
        }
    }
    (best as u64, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    #[test]
    fn overlapping_sessions_add_up_and_touching_ones_do_not() {
        let sessions = [
            (at(0), at(30)),
            (at(10), at(20)),
            (at(15), at(40)),
            (at(30), at(50)), // starts as the first ends
            (at(40), at(45)), // starts as the third ends
        ];
        assert_eq!(peak(&sessions), (3, Some(at(15))));
    }

    #[test]
    fn single_heartbeats_and_no_sessions_count_nothing() {
        assert_eq!(peak(&[]), (0, None));
        assert_eq!(peak(&[(at(5), at(5))]), (0, None));
        assert_eq!(peak(&[(at(5), at(5)), (at(0), at(10))]), (1, Some(at(0))));
    }
}
