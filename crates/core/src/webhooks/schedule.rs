//! When a delivery is tried: the Standard Webhooks schedule, immediately
//! and then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, so that a
//! consumer down for most of a day still gets every event.

use std::time::Duration;

/// The wait before each try, the first immediate.
const SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Tries of one delivery before it is kept as failed.
pub const MAX_TRIES: u32 = SCHEDULE.len() as u32;

/// The longest `Retry-After` honoured: a consumer cannot park a delivery
/// for longer than the schedule's own longest wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 3600);

/// How long to wait before the next try after `tries` failed ones, or
/// `None` once they are spent. A `Retry-After` the consumer sent lengthens
/// the wait (up to 10 h), never shortens it.
pub fn next_delay(tries: u32, retry_after: Option<Duration>) -> Option<Duration> {
    let scheduled = *SCHEDULE.get(tries as usize)?;
    let asked = retry_after.map_or(Duration::ZERO, |d| d.min(MAX_RETRY_AFTER));
    Some(scheduled.max(asked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_the_specifications() {
        let waits: Vec<u64> = (0..MAX_TRIES)
            .map(|n| next_delay(n, None).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(next_delay(MAX_TRIES, None), None);
    }

    #[test]
    fn retry_after_lengthens_and_is_capped() {
        let s = Duration::from_secs;
        assert_eq!(next_delay(1, Some(s(60))), Some(s(60)));
        assert_eq!(next_delay(2, Some(s(60))), Some(s(300)));
        assert_eq!(next_delay(1, Some(s(86_400))), Some(s(36_000)));
        assert_eq!(next_delay(8, Some(s(1))), None);
    }
}
