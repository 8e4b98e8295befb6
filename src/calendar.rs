//! 工作日历: the official working-day calendar. Owns the State Council holiday notices (国务院办公厅
//! 关于部分节假日安排的通知) that Cashdesk knows, and answers "is this a working day?" and "which is the
//! next working day?" for the holiday-cash rules (节假日现金售电: bank-first vends may take cash on a
//! non-working day; that cash is due at the bank on the next working day).
//!
//! Invariants:
//! - a loaded year ([`YearCalendar`]) is valid: every date lies in its year, no date is both a day off
//!   and an adjusted working day (调休上班), every adjusted working day is a Saturday or Sunday, no
//!   date is listed twice. [`Calendar::insert_year`] refuses anything else, so a bad file from the
//!   ledger or an administrator never half-loads;
//! - within a loaded year a day is off when listed in `days_off`, working when listed in
//!   `working_weekends`, otherwise working on Monday–Friday and off on Saturday/Sunday;
//! - a year with no notice falls back to the weekend rule, and every answer says so
//!   ([`DayBasis::WeekendRuleYearMissing`]) so the app can warn supervisors (see
//!   [`Calendar::missing_years`]).
//!
//! Design: the calendar is data, not code. The notices for 2025 and 2026 ship in the source
//! ([`Calendar::shipped`]); later years arrive as JSON (`{"year":2027,"days_off":[...],
//! "working_weekends":[...]}`) and replace the shipped ones year by year. All functions are pure.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// One year's State Council holiday notice: the days off and the adjusted working weekends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCalendar {
    pub year: i32,
    /// 放假: public holidays and the weekend days moved into them.
    pub days_off: Vec<NaiveDate>,
    /// 调休上班: Saturdays and Sundays that are working days.
    pub working_weekends: Vec<NaiveDate>,
}

/// Why a holiday notice was refused. Every variant has the code `CALENDAR_INVALID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the calendar file is not a holiday notice ({reason}): expected JSON like \
         {{\"year\":2027,\"days_off\":[\"2027-01-01\"],\"working_weekends\":[\"2027-02-06\"]}} \
         with dates as YYYY-MM-DD"
    )]
    Json { reason: String },
    #[error("{date} is not in {year}: the notice for {year} may list only dates of {year}; correct or remove it")]
    OutsideYear { year: i32, date: NaiveDate },
    #[error("{date} is listed both as a day off and as an adjusted working day: keep it in one of the two lists")]
    InBothLists { date: NaiveDate },
    #[error(
        "{date} is a {weekday}: working_weekends lists only Saturdays and Sundays made working days (调休上班); \
         remove it (weekdays are working days anyway)"
    )]
    NotAWeekend { date: NaiveDate, weekday: Weekday },
    #[error("{date} is listed twice: remove the duplicate")]
    Duplicate { date: NaiveDate },
}

impl CalendarError {
    /// Stable code for the UI and the logs.
    pub fn code(&self) -> &'static str {
        "CALENDAR_INVALID"
    }
}

impl YearCalendar {
    /// Checks the invariants of a notice (see the module docs); the error names the first bad date.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let year = self.year;
        let mut seen = HashSet::new();
        for &date in &self.days_off {
            if date.year() != year {
                return Err(CalendarError::OutsideYear { year, date });
            }
            if !seen.insert(date) {
                return Err(CalendarError::Duplicate { date });
            }
        }
        let days_off = seen;
        let mut seen = HashSet::new();
        for &date in &self.working_weekends {
            if date.year() != year {
                return Err(CalendarError::OutsideYear { year, date });
            }
            if days_off.contains(&date) {
                return Err(CalendarError::InBothLists { date });
            }
            if !is_weekend(date) {
                return Err(CalendarError::NotAWeekend { date, weekday: date.weekday() });
            }
            if !seen.insert(date) {
                return Err(CalendarError::Duplicate { date });
            }
        }
        Ok(())
    }

    /// Reads a notice from JSON and validates it.
    pub fn from_json(s: &str) -> Result<YearCalendar, CalendarError> {
        let notice: YearCalendar =
            serde_json::from_str(s).map_err(|e| CalendarError::Json { reason: e.to_string() })?;
        notice.validate()?;
        Ok(notice)
    }
}

/// Whether a day is a working day (工作日), and on what basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct Day {
    pub working: bool,
    pub basis: DayBasis,
}

/// What an answer of the calendar rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DayBasis {
    /// The year's State Council notice is loaded.
    Notice,
    /// No notice for the year: Saturday and Sunday off, every weekday working. Warn a supervisor.
    WeekendRuleYearMissing,
}

/// One loaded year, as sets for look-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearData {
    days_off: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
}

/// The working-day calendar: the loaded notices by year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearData>,
}

/// How far [`Calendar::next_working_day`] looks. A valid notice marks days off within its own year
/// only, and real notices mark about 30; ten years ahead is beyond any sane data, so the bound only
/// keeps a corrupt calendar (several consecutive years entirely off) from looping for long.
const NEXT_WORKING_DAY_LIMIT_DAYS: u32 = 3660;

impl Calendar {
    /// The notices shipped with this build: 2025 and 2026.
    pub fn shipped() -> Calendar {
        let mut calendar = Calendar::default();
        for notice in shipped_notices() {
            // The shipped data is checked by a test (`shipped_notices_are_valid`); it is inserted
            // without the fallible path so that `shipped` cannot fail.
            calendar.years.insert(notice.year, YearData::from(notice));
        }
        calendar
    }

    /// Loads a year's notice, replacing any notice already loaded for that year.
    pub fn insert_year(&mut self, notice: YearCalendar) -> Result<(), CalendarError> {
        notice.validate()?;
        self.years.insert(notice.year, YearData::from(notice));
        Ok(())
    }

    /// The years with a loaded notice, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether `d` is a working day, and whether the answer rests on a notice.
    pub fn day(&self, d: NaiveDate) -> Day {
        match self.years.get(&d.year()) {
            Some(year) => {
                let working = if year.days_off.contains(&d) {
                    false
                } else {
                    year.working_weekends.contains(&d) || !is_weekend(d)
                };
                Day { working, basis: DayBasis::Notice }
            }
            None => Day { working: !is_weekend(d), basis: DayBasis::WeekendRuleYearMissing },
        }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.day(d).working
    }

    /// The first working day strictly after `d`: when holiday cash taken on `d` is due at the bank.
    ///
    /// Looks at most ten years ahead (only a corrupt calendar gets that far); if it finds none, or
    /// reaches the end of the supported date range, it returns the last day it looked at, so the
    /// function always terminates and never panics.
    /// The `n`-th working day after `d` (`d` itself if `n` is 0): a deadline of "n working days".
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        (0..n).fold(d, |day, _| self.next_working_day(day))
    }

    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        for _ in 0..NEXT_WORKING_DAY_LIMIT_DAYS {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                return day;
            }
        }
        day
    }

    /// The years in `from..=to` with no notice loaded, ascending (for the supervisor warning).
    pub fn missing_years(&self, from: i32, to: i32) -> Vec<i32> {
        (from..=to).filter(|y| !self.has_year(*y)).collect()
    }
}

impl From<YearCalendar> for YearData {
    fn from(notice: YearCalendar) -> YearData {
        YearData {
            days_off: notice.days_off.into_iter().collect(),
            working_weekends: notice.working_weekends.into_iter().collect(),
        }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A (month, day) of a shipped notice.
type MonthDay = (u32, u32);

/// A shipped notice: days off as inclusive (month, day) ranges, and the adjusted working days.
struct ShippedNotice {
    year: i32,
    days_off: &'static [(MonthDay, MonthDay)],
    working_weekends: &'static [MonthDay],
}

/// 国务院办公厅关于2025年部分节假日安排的通知.
const NOTICE_2025: ShippedNotice = ShippedNotice {
    year: 2025,
    days_off: &[
        ((1, 1), (1, 1)),   // 元旦
        ((1, 28), (2, 4)),  // 春节
        ((4, 4), (4, 6)),   // 清明节
        ((5, 1), (5, 5)),   // 劳动节
        ((5, 31), (6, 2)),  // 端午节
        ((10, 1), (10, 8)), // 国庆节、中秋节
    ],
    working_weekends: &[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)],
};

/// 国务院办公厅关于2026年部分节假日安排的通知.
const NOTICE_2026: ShippedNotice = ShippedNotice {
    year: 2026,
    days_off: &[
        ((1, 1), (1, 3)),   // 元旦
        ((2, 15), (2, 23)), // 春节
        ((4, 4), (4, 6)),   // 清明节
        ((5, 1), (5, 5)),   // 劳动节
        ((6, 19), (6, 21)), // 端午节
        ((9, 25), (9, 27)), // 中秋节
        ((10, 1), (10, 7)), // 国庆节
    ],
    working_weekends: &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)],
};

/// The notices shipped with this build (2025, 2026), also what a new ledger starts with.
pub fn shipped_notices() -> Vec<YearCalendar> {
    [NOTICE_2025, NOTICE_2026].iter().map(ShippedNotice::expand).collect()
}

impl ShippedNotice {
    fn expand(&self) -> YearCalendar {
        let date = |(m, d): MonthDay| NaiveDate::from_ymd_opt(self.year, m, d);
        let mut days_off = Vec::new();
        for &(first, last) in self.days_off {
            if let (Some(first), Some(last)) = (date(first), date(last)) {
                days_off.extend(first.iter_days().take_while(|d| *d <= last));
            }
        }
        let working_weekends = self.working_weekends.iter().filter_map(|&md| date(md)).collect();
        YearCalendar { year: self.year, days_off, working_weekends }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_notices_are_valid() {
        let notices = shipped_notices();
        for notice in &notices {
            notice.validate().unwrap();
        }
        let counts: Vec<_> = notices.iter().map(|n| (n.year, n.days_off.len(), n.working_weekends.len())).collect();
        // 2025: 1+8+3+5+3+8 days off; 2026: 3+9+3+5+3+3+7 (DOMAIN.md table).
        assert_eq!(counts, [(2025, 28, 5), (2026, 33, 6)], "every range of the table was expanded");
        assert_eq!(Calendar::shipped().years(), [2025, 2026]);
    }

    #[rstest]
    #[case::new_year("2026-01-01", "2026-01-03")]
    #[case::spring_festival("2026-02-15", "2026-02-23")]
    #[case::qingming("2026-04-04", "2026-04-06")]
    #[case::labour_day("2026-05-01", "2026-05-05")]
    #[case::dragon_boat("2026-06-19", "2026-06-21")]
    #[case::mid_autumn("2026-09-25", "2026-09-27")]
    #[case::national_day("2026-10-01", "2026-10-07")]
    fn days_off_2026(#[case] first: &str, #[case] last: &str) {
        let calendar = Calendar::shipped();
        for d in date(first).iter_days().take_while(|d| *d <= date(last)) {
            assert_eq!(
                calendar.day(d),
                Day { working: false, basis: DayBasis::Notice },
                "{d} is a holiday in the 2026 notice"
            );
        }
    }

    #[rstest]
    #[case::new_year_sunday("2026-01-04")]
    #[case::spring_festival_saturday_before("2026-02-14")]
    #[case::spring_festival_saturday_after("2026-02-28")]
    #[case::labour_day_saturday("2026-05-09")]
    #[case::mid_autumn_sunday("2026-09-20")]
    #[case::national_day_saturday("2026-10-10")]
    #[case::spring_festival_sunday_2025("2025-01-26")]
    #[case::spring_festival_saturday_2025("2025-02-08")]
    #[case::labour_day_sunday_2025("2025-04-27")]
    #[case::national_day_sunday_2025("2025-09-28")]
    #[case::national_day_saturday_2025("2025-10-11")]
    fn adjusted_working_weekends(#[case] d: &str) {
        let d = date(d);
        assert!(is_weekend(d), "{d} is a weekend day made a working day");
        assert_eq!(Calendar::shipped().day(d), Day { working: true, basis: DayBasis::Notice });
    }

    #[rstest]
    #[case::national_day_2025_last_day("2025-10-08", false)]
    #[case::spring_festival_2025_weekday("2025-01-28", false)]
    #[case::ordinary_saturday("2026-03-07", false)]
    #[case::ordinary_sunday("2026-03-08", false)]
    #[case::ordinary_weekday("2026-03-09", true)]
    #[case::weekday_after_national_day("2026-10-08", true)]
    fn ordinary_and_spot_days(#[case] d: &str, #[case] working: bool) {
        assert_eq!(Calendar::shipped().day(date(d)), Day { working, basis: DayBasis::Notice }, "{d}");
    }

    #[rstest]
    #[case::into_adjusted_saturday("2026-02-13", "2026-02-14")]
    #[case::across_spring_festival("2026-02-14", "2026-02-24")]
    #[case::from_inside_spring_festival("2026-02-20", "2026-02-24")]
    #[case::across_national_day("2026-09-30", "2026-10-08")]
    #[case::friday_to_monday("2026-03-06", "2026-03-09")]
    #[case::weekday_to_weekday("2026-03-09", "2026-03-10")]
    #[case::across_new_year_2026("2025-12-31", "2026-01-04")]
    #[case::into_missing_year("2026-12-31", "2027-01-01")]
    #[case::missing_year_weekend("2027-01-01", "2027-01-04")]
    fn next_working_day(#[case] from: &str, #[case] expected: &str) {
        assert_eq!(Calendar::shipped().next_working_day(date(from)), date(expected), "after {from}");
    }

    #[test]
    fn next_working_day_terminates_at_the_end_of_time() {
        assert_eq!(Calendar::default().next_working_day(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn next_working_day_is_bounded_on_absurd_data() {
        let mut calendar = Calendar::default();
        for year in 2030..2045 {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            let days_off = first.iter_days().take_while(|d| d.year() == year).collect();
            calendar.insert_year(YearCalendar { year, days_off, working_weekends: vec![] }).unwrap();
        }
        let start = date("2030-01-01");
        let found = calendar.next_working_day(start);
        assert_eq!((found - start).num_days(), i64::from(NEXT_WORKING_DAY_LIMIT_DAYS), "stops at the bound");
    }

    #[test]
    fn missing_year_falls_back_to_weekends() {
        let calendar = Calendar::shipped();
        assert!(!calendar.has_year(2027));
        assert_eq!(calendar.day(date("2027-01-01")), Day { working: true, basis: DayBasis::WeekendRuleYearMissing });
        assert_eq!(calendar.day(date("2027-01-02")), Day { working: false, basis: DayBasis::WeekendRuleYearMissing });
        assert_eq!(calendar.missing_years(2025, 2027), [2027]);
        assert_eq!(calendar.missing_years(2024, 2026), [2024]);
        assert!(calendar.missing_years(2027, 2026).is_empty(), "an empty range has nothing missing");
    }

    #[test]
    fn insert_year_loads_and_replaces() {
        let mut calendar = Calendar::shipped();
        let json = r#"{"year":2027,"days_off":["2027-01-01"],"working_weekends":["2027-01-02"]}"#;
        calendar.insert_year(YearCalendar::from_json(json).unwrap()).unwrap();
        assert_eq!(calendar.years(), [2025, 2026, 2027]);
        assert_eq!(calendar.day(date("2027-01-01")), Day { working: false, basis: DayBasis::Notice });
        assert!(calendar.is_working_day(date("2027-01-02")), "an adjusted Saturday");

        let replacement = YearCalendar { year: 2026, days_off: vec![], working_weekends: vec![] };
        calendar.insert_year(replacement).unwrap();
        assert!(calendar.is_working_day(date("2026-02-16")), "the 2026 notice was replaced");
    }

    #[test]
    fn insert_year_refuses_invalid_and_keeps_the_old_notice() {
        let mut calendar = Calendar::shipped();
        let bad = YearCalendar { year: 2026, days_off: vec![date("2027-01-01")], working_weekends: vec![] };
        assert!(calendar.insert_year(bad).is_err());
        assert_eq!(calendar, Calendar::shipped(), "a refused notice changes nothing");
    }

    #[test]
    fn json_shape() {
        let notice = YearCalendar { year: 2027, days_off: vec![date("2027-01-01")], working_weekends: vec![] };
        assert_eq!(
            serde_json::to_string(&notice).unwrap(),
            r#"{"year":2027,"days_off":["2027-01-01"],"working_weekends":[]}"#
        );
    }

    #[rstest]
    #[case::outside_year(
        r#"{"year":2027,"days_off":["2026-12-31"],"working_weekends":[]}"#,
        CalendarError::OutsideYear { year: 2027, date: date("2026-12-31") }
    )]
    #[case::working_weekend_outside_year(
        r#"{"year":2027,"days_off":[],"working_weekends":["2028-01-01"]}"#,
        CalendarError::OutsideYear { year: 2027, date: date("2028-01-01") }
    )]
    #[case::weekday_as_working_weekend(
        r#"{"year":2027,"days_off":[],"working_weekends":["2027-01-04"]}"#,
        CalendarError::NotAWeekend { date: date("2027-01-04"), weekday: Weekday::Mon }
    )]
    #[case::in_both_lists(
        r#"{"year":2027,"days_off":["2027-01-02"],"working_weekends":["2027-01-02"]}"#,
        CalendarError::InBothLists { date: date("2027-01-02") }
    )]
    #[case::duplicate_day_off(
        r#"{"year":2027,"days_off":["2027-01-01","2027-01-01"],"working_weekends":[]}"#,
        CalendarError::Duplicate { date: date("2027-01-01") }
    )]
    #[case::duplicate_working_weekend(
        r#"{"year":2027,"days_off":[],"working_weekends":["2027-01-02","2027-01-02"]}"#,
        CalendarError::Duplicate { date: date("2027-01-02") }
    )]
    fn from_json_refuses_bad_notices(#[case] json: &str, #[case] expected: CalendarError) {
        let err = YearCalendar::from_json(json).unwrap_err();
        assert_eq!(err.code(), "CALENDAR_INVALID");
        let message = err.to_string();
        assert_eq!(err, expected, "{json}");
        if let CalendarError::OutsideYear { date, .. }
        | CalendarError::InBothLists { date }
        | CalendarError::NotAWeekend { date, .. }
        | CalendarError::Duplicate { date } = expected
        {
            assert!(message.contains(&date.to_string()), "the message names the bad date: {message}");
        }
    }

    #[rstest]
    #[case::not_json("year 2027")]
    #[case::bad_date(r#"{"year":2027,"days_off":["2027-02-30"],"working_weekends":[]}"#)]
    #[case::missing_list(r#"{"year":2027,"days_off":[]}"#)]
    fn from_json_refuses_malformed_files(#[case] json: &str) {
        let err = YearCalendar::from_json(json).unwrap_err();
        assert!(matches!(err, CalendarError::Json { .. }), "{err}");
        assert_eq!(err.code(), "CALENDAR_INVALID");
    }
}
