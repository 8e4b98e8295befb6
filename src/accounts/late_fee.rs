//! 电费违约金: late fee. Owns the pure rule that computes the late fee on one bill's overdue principal
//! (供电营业规则 art. 98: "电费违约金从逾期之日起计算至交纳日止").
//!
//! Invariants: the fee is never negative; it is zero when nothing is owed or no day has passed since
//! the fee was last charged; it never decreases as the payment date moves later (with a valid
//! [`LateFeePolicy`]); it is exact in `Decimal` until the one rounding, half-up to the fen, and a
//! positive fee (even one that would round to 0.00) is at least the policy minimum.
//!
//! Design: the day count is "payment date − due date" (due 01-31, paid 02-03 → 3 days): the days `d`
//! with `accrue_from < d ≤ on`, where `accrue_from` is the date up to which the fee has already been
//! charged (the due date for a bill never part-paid late). For categories other than residential
//! the days in the calendar year of the due date carry one rate and the days in any later year
//! another, so the two are counted separately rather than by a day-by-day loop. Rates, minimum and
//! split are policy data ([`LateFeePolicy`]); today's date is an argument, never the clock.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::{accounts::Category, money::Yuan, policy::LateFeePolicy};

/// The late fee owed on `outstanding` (the bill's unpaid principal) when it is paid on `on`.
///
/// Charges the days `d` with `max(accrue_from, due) < d ≤ on` (a day before the due date never
/// carries a fee, even if `accrue_from` is earlier). Residential (居民生活): `residential_daily`
/// per day. Other categories: `other_daily_same_year` for the days in the year of `due`,
/// `other_daily_later_year` for the days in later years. The exact sum is rounded half-up to the
/// fen; a positive fee below `policy.minimum` is charged as the minimum. Returns 0.00 when
/// `outstanding ≤ 0` or no day is charged.
pub fn late_fee(
    outstanding: Yuan,
    category: Category,
    due: NaiveDate,
    accrue_from: NaiveDate,
    on: NaiveDate,
    policy: &LateFeePolicy,
) -> Yuan {
    late_fee_with_minimum(outstanding, category, due, accrue_from, on, policy, Yuan::ZERO)
}

/// The late fee accruing from `accrue_from` to `on`, for a bill on which `charged_before` has
/// already been charged (received, waived or still owed). The 1-yuan minimum is a minimum of the
/// bill's *total* ("总额不足1元者按1元收取"): a new accrual is raised only as far as needed to bring
/// the total to the minimum, so a partial payment does not make the minimum due again.
pub fn late_fee_with_minimum(
    outstanding: Yuan,
    category: Category,
    due: NaiveDate,
    accrue_from: NaiveDate,
    on: NaiveDate,
    policy: &LateFeePolicy,
    charged_before: Yuan,
) -> Yuan {
    let start = accrue_from.max(due);
    if !outstanding.is_positive() || on <= start {
        return Yuan::ZERO;
    }
    let (same_year_days, later_year_days) = split_days(due.year(), start, on);
    let daily_rate_days = match category {
        Category::Residential => policy.residential_daily.checked_mul(Decimal::from(same_year_days + later_year_days)),
        Category::Commercial | Category::Industrial | Category::Agricultural => {
            let same = policy.other_daily_same_year.checked_mul(Decimal::from(same_year_days));
            let later = policy.other_daily_later_year.checked_mul(Decimal::from(later_year_days));
            same.zip(later).and_then(|(s, l)| s.checked_add(l))
        }
    };
    // Overflow needs rates far outside the validated range [0, 0.01]; the fee then stops at the
    // largest amount rather than panicking.
    let fee = match daily_rate_days.and_then(|r| outstanding.decimal().checked_mul(r)) {
        // Zero, or negative only under an invalid policy with negative rates: no fee.
        Some(exact) if exact <= Decimal::ZERO => return Yuan::ZERO,
        Some(exact) => Yuan::from_decimal_half_up(exact),
        None => Yuan::MAX,
    };
    // Any positive fee, even one that rounds to 0.00, brings the bill's total to at least the minimum.
    fee.max(policy.minimum - charged_before)
}

/// Days past the due date on `on`: `max(0, on − due)`.
pub fn days_overdue(due: NaiveDate, on: NaiveDate) -> i64 {
    (on - due).num_days().max(0)
}

/// The charged days `start < d ≤ on`, split into those in `due_year` and those in later years.
/// Requires `start < on` and `start.year() ≥ due_year`.
fn split_days(due_year: i32, start: NaiveDate, on: NaiveDate) -> (i64, i64) {
    let total = (on - start).num_days();
    // 12-31 exists in every year chrono represents; without it, all days count as the due year.
    let Some(year_end) = NaiveDate::from_ymd_opt(due_year, 12, 31) else {
        return (total, 0);
    };
    let same_year = (on.min(year_end) - start).num_days().max(0);
    (same_year, total - same_year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use proptest::prelude::*;
    use rstest::rstest;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    fn defaults() -> LateFeePolicy {
        Policy::default().late_fee
    }

    #[rstest]
    #[case::domain_commercial_16_days_2permille_10_days_3permille(
        "10000.00",
        Category::Commercial,
        "2025-12-15",
        "2025-12-15",
        "2026-01-10",
        "620.00"
    )]
    #[case::exam_industrial_due_year_end_18_days_3permille(
        "2000.00",
        Category::Industrial,
        "2025-12-31",
        "2025-12-31",
        "2026-01-18",
        "108.00"
    )]
    #[case::exam_industrial_3_days_2permille(
        "3000.00",
        Category::Industrial,
        "2026-01-15",
        "2026-01-15",
        "2026-01-18",
        "18.00"
    )]
    #[case::residential_30_days_1permille(
        "500.00",
        Category::Residential,
        "2026-03-15",
        "2026-03-15",
        "2026-04-14",
        "15.00"
    )]
    #[case::residential_has_no_year_split_16_plus_10_days_1permille(
        "10000.00",
        Category::Residential,
        "2025-12-15",
        "2025-12-15",
        "2026-01-10",
        "260.00"
    )]
    #[case::fee_0_15_below_minimum_charged_1_yuan(
        "50.00",
        Category::Residential,
        "2026-03-15",
        "2026-03-15",
        "2026-03-18",
        "1.00"
    )]
    #[case::paid_on_due_date_no_fee("500.00", Category::Commercial, "2026-03-15", "2026-03-15", "2026-03-15", "0.00")]
    #[case::paid_before_due_no_fee("500.00", Category::Commercial, "2026-03-15", "2026-03-15", "2026-03-01", "0.00")]
    #[case::partly_paid_fee_on_outstanding_123_45_only_10_days_2permille(
        "123.45",
        Category::Commercial,
        "2026-03-31",
        "2026-03-31",
        "2026-04-10",
        "2.47"
    )]
    #[case::accrue_from_after_due_10_days_not_20(
        "1000.00",
        Category::Commercial,
        "2026-03-01",
        "2026-03-11",
        "2026-03-21",
        "20.00"
    )]
    #[case::paid_on_accrue_from_no_new_fee(
        "1000.00",
        Category::Commercial,
        "2026-03-01",
        "2026-03-11",
        "2026-03-11",
        "0.00"
    )]
    #[case::accrue_from_before_due_counts_from_due(
        "1000.00",
        Category::Commercial,
        "2026-03-01",
        "2026-02-01",
        "2026-03-11",
        "20.00"
    )]
    #[case::exact_1_245_rounds_half_up_to_1_25_not_even_1_24(
        "1245.00",
        Category::Residential,
        "2026-03-01",
        "2026-03-01",
        "2026-03-02",
        "1.25"
    )]
    #[case::agricultural_counts_as_other_10_days_2permille(
        "1000.00",
        Category::Agricultural,
        "2026-03-01",
        "2026-03-01",
        "2026-03-11",
        "20.00"
    )]
    #[case::due_2024_11_days_2permille_then_375_days_3permille(
        "1000.00",
        Category::Commercial,
        "2024-12-20",
        "2024-12-20",
        "2026-01-10",
        "1147.00"
    )]
    #[case::accrued_into_later_year_all_days_3permille(
        "1000.00",
        Category::Commercial,
        "2025-12-20",
        "2026-01-05",
        "2026-01-15",
        "30.00"
    )]
    #[case::nothing_outstanding_no_fee("0.00", Category::Commercial, "2026-03-01", "2026-03-01", "2026-04-01", "0.00")]
    fn late_fees(
        #[case] outstanding: &str,
        #[case] category: Category,
        #[case] due: &str,
        #[case] accrue_from: &str,
        #[case] on: &str,
        #[case] expected: &str,
    ) {
        let fee = late_fee(y(outstanding), category, date(due), date(accrue_from), date(on), &defaults());
        assert_eq!(fee, y(expected), "{category:?} {outstanding} due {due}, charged to {accrue_from}, paid {on}");
    }

    #[test]
    fn the_exam_problem_totals_126() {
        let on = date("2026-01-18");
        let (a, b) = (date("2025-12-31"), date("2026-01-15"));
        let total = late_fee(y("2000"), Category::Industrial, a, a, on, &defaults())
            + late_fee(y("3000"), Category::Industrial, b, b, on, &defaults());
        assert_eq!(total, y("126.00"));
    }

    #[test]
    fn half_a_fen_rounds_up_to_one_fen() {
        let policy = LateFeePolicy { minimum: Yuan::ZERO, ..defaults() };
        // 5.00 × 1‰ × 1 day = 0.005 exactly.
        let fee = late_fee(
            y("5.00"),
            Category::Residential,
            date("2026-03-01"),
            date("2026-03-01"),
            date("2026-03-02"),
            &policy,
        );
        assert_eq!(fee, y("0.01"));
    }

    #[test]
    fn a_fee_that_rounds_to_zero_is_still_raised_to_the_minimum() {
        // 0.01 × 1‰ × 1 day = 0.00001: a positive fee below 1 yuan is charged as 1 yuan, even when it
        // would round to 0.00 (DOMAIN.md: per bill, a total below 1 yuan is charged as 1 yuan).
        let fee = late_fee(
            y("0.01"),
            Category::Residential,
            date("2026-03-01"),
            date("2026-03-01"),
            date("2026-03-02"),
            &defaults(),
        );
        assert_eq!(fee, y("1.00"));
    }

    #[test]
    fn the_minimum_is_a_minimum_of_the_bills_total() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = defaults();
        // 158.49 residential, 1 day: 0.16 → raised to 1.00 when nothing was charged before,
        let first = late_fee_with_minimum(
            y("158.49"),
            Category::Residential,
            d("2025-12-20"),
            d("2025-12-20"),
            d("2025-12-21"),
            &p,
            Yuan::ZERO,
        );
        assert_eq!(first, y("1.00"));
        // … but after 1.00 was charged, the next day's accrual (on 108.49 left) is just 0.11.
        let next = late_fee_with_minimum(
            y("108.49"),
            Category::Residential,
            d("2025-12-20"),
            d("2025-12-21"),
            d("2025-12-22"),
            &p,
            y("1.00"),
        );
        assert_eq!(next, y("0.11"));
        // 0.40 charged before: the new accrual is raised to 0.60, bringing the total to 1.00.
        let topped = late_fee_with_minimum(
            y("108.49"),
            Category::Residential,
            d("2025-12-20"),
            d("2025-12-21"),
            d("2025-12-22"),
            &p,
            y("0.40"),
        );
        assert_eq!(topped, y("0.60"));
    }

    #[test]
    fn absurd_inputs_do_not_panic() {
        let policy = LateFeePolicy {
            residential_daily: Decimal::MAX,
            other_daily_same_year: Decimal::MAX,
            other_daily_later_year: Decimal::MIN,
            minimum: Yuan::from_fen(100),
        };
        let fee = late_fee(Yuan::MAX, Category::Residential, NaiveDate::MIN, NaiveDate::MIN, NaiveDate::MAX, &policy);
        assert_eq!(fee, Yuan::MAX, "overflow stops at the largest amount");
        let fee = late_fee(Yuan::MAX, Category::Commercial, NaiveDate::MIN, NaiveDate::MIN, NaiveDate::MAX, &policy);
        assert!(!fee.is_negative());
        let negative = LateFeePolicy { residential_daily: Decimal::NEGATIVE_ONE, ..defaults() };
        let fee = late_fee(
            y("100"),
            Category::Residential,
            date("2026-03-01"),
            date("2026-03-01"),
            date("2026-03-05"),
            &negative,
        );
        assert_eq!(fee, Yuan::ZERO, "a negative rate never makes a negative fee");
    }

    #[rstest]
    #[case::three_days("2026-01-31", "2026-02-03", 3)]
    #[case::on_due_date("2026-01-31", "2026-01-31", 0)]
    #[case::before_due_date("2026-01-31", "2026-01-01", 0)]
    #[case::across_year("2025-12-31", "2026-01-18", 18)]
    fn days_overdue_counts_from_the_day_after_due(#[case] due: &str, #[case] on: &str, #[case] days: i64) {
        assert_eq!(days_overdue(date(due), date(on)), days);
    }

    fn category() -> impl Strategy<Value = Category> {
        prop_oneof![
            Just(Category::Residential),
            Just(Category::Commercial),
            Just(Category::Industrial),
            Just(Category::Agricultural),
        ]
    }

    proptest! {
        #[test]
        fn fee_is_monotone_non_negative_and_zero_until_due(
            fen in 0i64..=99_999_999_999_999,
            category in category(),
            due_offset in 0i64..20_000,
            accrued in 0i64..400,
            on1 in -400i64..3000,
            step in 0i64..3000,
        ) {
            let policy = defaults();
            let outstanding = Yuan::from_fen(fen);
            let due = date("2000-01-01") + chrono::Days::new(due_offset.unsigned_abs());
            let accrue_from = due + chrono::Days::new(accrued.unsigned_abs());
            let at = |offset: i64| due + chrono::TimeDelta::days(offset);
            let earlier = late_fee(outstanding, category, due, accrue_from, at(on1), &policy);
            let later = late_fee(outstanding, category, due, accrue_from, at(on1 + step), &policy);
            prop_assert!(!earlier.is_negative());
            prop_assert!(earlier <= later, "{} then {}", earlier, later);
            if on1 <= 0 {
                prop_assert_eq!(earlier, Yuan::ZERO, "no fee on or before the due date");
            }
        }
    }
}
