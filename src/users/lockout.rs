//! 登录锁定: the lock-out rule, pure. Five wrong passwords in a row lock the user for 15 minutes;
//! a correct password resets the count; when a lock has expired the count starts again from zero.

use chrono::{DateTime, Duration, FixedOffset};

pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

/// Whether a user may try a password now.
pub fn locked(
    locked_until: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    locked_until.filter(|until| *until > now)
}

/// The stored state after one more wrong password: (failed attempts, locked until).
pub fn after_failure(
    failed_before: i64,
    locked_until: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> (i64, Option<DateTime<FixedOffset>>) {
    // An expired lock starts a fresh series.
    let before = if locked_until.is_some_and(|u| u <= now) { 0 } else { failed_before };
    let failed = before + 1;
    if failed >= MAX_FAILURES { (failed, Some(now + Duration::minutes(LOCK_MINUTES))) } else { (failed, None) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn fifth_failure_locks_for_fifteen_minutes() {
        let now = t("2026-03-02T09:00:00+08:00");
        let mut state = (0, None);
        for i in 1..=4 {
            state = after_failure(state.0, state.1, now);
            assert_eq!(state, (i, None), "attempt {i} must not lock yet");
        }
        state = after_failure(state.0, state.1, now);
        assert_eq!(state, (5, Some(t("2026-03-02T09:15:00+08:00"))));
        assert!(locked(state.1, t("2026-03-02T09:14:59+08:00")).is_some());
        assert!(locked(state.1, t("2026-03-02T09:15:00+08:00")).is_none(), "the lock ends at `until`");
    }

    #[test]
    fn expired_lock_starts_a_new_series() {
        let until = t("2026-03-02T09:15:00+08:00");
        let after = after_failure(5, Some(until), t("2026-03-02T09:20:00+08:00"));
        assert_eq!(after, (1, None));
    }
}
