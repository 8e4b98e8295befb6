//! The late-fee rule ([`super::late_fee::late_fee_with_minimum`], as [`super::quote::late_fee_due`]
//! applies it to a bill) written as SQLite expressions in whole 分, so that a total over a county's
//! arrears (the 催费 preview: how many accounts, what they owe) is summed where the bills are
//! instead of streaming every overdue bill out of the database.
//!
//! Invariants:
//! - The expressions equal the Rust rule to the fen for every bill they accept; a property test
//!   on a real counter database holds them to that (tests below), and the Rust rule stays the one
//!   that prints notices and takes money.
//! - Exact integer arithmetic: each daily rate is a whole number of millionths (`rate × 10⁶`); the
//!   fee in fen is `⌊(outstanding_fen × Σ rate_ppm × days + 500 000) / 10⁶⌋`, half-up as the rule
//!   rounds. A policy with a finer rate, or a rate outside `[0, 0.01]`, has no expression
//!   ([`FeeSql::for_policy`] returns `None`) and the caller uses the Rust rule.
//! - Days are the bill's generated day numbers (`due_day`, `fee_from_day`, `due_year_end_day`,
//!   migration `20261206000014`, read from the covering index `bills_arrears`) and the print
//!   date's, given as an integer: no date is parsed per bill.
//! - No silent overflow (SQLite turns an overflowing integer into a float): a bill is exact only
//!   with `outstanding ≤ 10⁹ fen` and at most 10⁵ days overdue, so every product stays below
//!   10¹⁸. [`FeeSql::unsafe_bill`] is 1 for a bill outside those bounds or with a date SQLite could
//!   not read; the caller sums it and falls back to the Rust rule when any bill is unsafe.
//!
//! The expressions read a bill `b` (`amount_fen`, `paid_fen`, the three day numbers,
//! `late_fee_received_fen`, `late_fee_waived_fen`, `late_fee_owed_fen`).

use chrono::NaiveDate;
use rust_decimal::{Decimal, prelude::ToPrimitive};

use crate::policy::LateFeePolicy;

/// A daily rate in millionths, if it is a whole number of them within the validated range.
fn ppm(rate: Decimal) -> Option<i64> {
    if rate < Decimal::ZERO || rate > Decimal::new(1, 2) {
        return None;
    }
    let scaled = rate.checked_mul(Decimal::from(1_000_000))?;
    if scaled.fract().is_zero() { scaled.to_i64() } else { None }
}

/// Days since 1970-01-01, as the generated columns count them.
pub fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// The rule as SQL for one print date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSql {
    /// The late fee due on a residential bill (居民生活), in fen: the fee still owed from before
    /// plus what accrues to the print date, the minimum applied as the rule applies it.
    pub residential: String,
    /// The same for the other categories (a higher rate for the days after the due year).
    pub other: String,
    /// Days past the due date on the print date.
    pub days_overdue: String,
    /// 1 when the bill is outside the bounds the expressions are exact in.
    pub unsafe_bill: String,
}

impl FeeSql {
    /// The expressions for `policy` on print date `on`, or `None` when its rates are not whole
    /// millionths.
    pub fn for_policy(policy: &LateFeePolicy, on: NaiveDate) -> Option<FeeSql> {
        let residential = ppm(policy.residential_daily)?;
        let same_year = ppm(policy.other_daily_same_year)?;
        let later_year = ppm(policy.other_daily_later_year)?;
        let minimum = policy.minimum.fen();
        let on = day_number(on);
        // Charged days: start < d ≤ on; those up to 12-31 of the due year, and the rest.
        let days = format!("max(0, {on} - b.fee_from_day)");
        let same = format!("max(0, min({on}, b.due_year_end_day) - b.fee_from_day)");
        // rate_same × same + rate_later × (days − same), with each of days and same written once.
        let step = same_year - later_year;
        let fee = |rate_days: String| {
            let exact = format!("((b.amount_fen - b.paid_fen) * ({rate_days}))");
            format!(
                "(b.late_fee_owed_fen + max(({exact} + 500000) / 1000000, ({exact} > 0) * ({minimum} - \
                 (b.late_fee_received_fen + b.late_fee_waived_fen + b.late_fee_owed_fen))))"
            )
        };
        Some(FeeSql {
            residential: fee(format!("{residential} * {days}")),
            other: fee(format!("{later_year} * {days} + {step} * {same}")),
            days_overdue: format!("max(0, {on} - b.due_day)"),
            unsafe_bill: format!(
                "(b.amount_fen - b.paid_fen > 1000000000 OR b.due_day IS NULL OR b.fee_from_day IS NULL \
                 OR b.due_year_end_day IS NULL OR {on} - b.due_day > 100000)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        accounts::{Bill, Category, Period, quote::late_fee_due},
        money::Yuan,
        policy::Policy,
    };
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rates_in_whole_millionths_only() {
        assert_eq!(ppm(dec!(0.001)), Some(1000));
        assert_eq!(ppm(dec!(0.0025)), Some(2500));
        assert_eq!(ppm(dec!(0.01)), Some(10_000));
        assert_eq!(ppm(dec!(0)), Some(0));
        assert_eq!(ppm(dec!(0.0000001)), None, "finer than a millionth");
        assert_eq!(ppm(dec!(0.02)), None, "outside the validated range");
        assert_eq!(ppm(dec!(-0.001)), None);
        let mut policy = Policy::default().late_fee;
        policy.other_daily_later_year = dec!(0.00300001);
        assert!(FeeSql::for_policy(&policy, NaiveDate::default()).is_none());
        assert_eq!(day_number(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()), 20_780);
    }

    /// A real counter database (every migration) with one account to hang bills on.
    struct Scratch {
        _dir: tempfile::TempDir,
        pool: sqlx::SqlitePool,
    }

    async fn scratch() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&dir.path().join("fee.sqlite")).await.unwrap();
        sqlx::query(
            "INSERT INTO accounts (id, account_no, name, address, category, billing_mode, meter_no, multiplier, \
             prepaid_balance_fen, updated_at) VALUES (1, '3100000001', '张三', '示范市', 'residential', 'postpaid', \
             '0110000000001', 1, 0, '2026-01-01T00:00:00+08:00')",
        )
        .execute(&pool)
        .await
        .unwrap();
        Scratch { _dir: dir, pool }
    }

    /// One bill as the table holds it, priced by the expressions and by the rule.
    struct Case {
        category: Category,
        amount: i64,
        paid: i64,
        due: NaiveDate,
        from: NaiveDate,
        fees: (i64, i64, i64),
        on: NaiveDate,
    }

    /// (fee by SQL, unsafe, days overdue by SQL, fee by the rule).
    async fn both(pool: &sqlx::SqlitePool, policy: &LateFeePolicy, c: &Case) -> (i64, bool, i64, Yuan) {
        sqlx::query("DELETE FROM bills").execute(pool).await.unwrap();
        sqlx::query(
            "INSERT INTO bills (account_id, period, kwh, amount_fen, paid_fen, due_date, late_fee_from, \
             late_fee_received_fen, late_fee_waived_fen, late_fee_owed_fen) VALUES (1, 202601, '1', ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(c.amount)
        .bind(c.paid)
        .bind(c.due.to_string())
        .bind(c.from.to_string())
        .bind(c.fees.0)
        .bind(c.fees.1)
        .bind(c.fees.2)
        .execute(pool)
        .await
        .unwrap();
        let sql = FeeSql::for_policy(policy, c.on).unwrap();
        let fee = if c.category == Category::Residential { &sql.residential } else { &sql.other };
        let (fee, unsafe_, days): (i64, bool, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {fee}, {}, {} FROM bills b",
            sql.unsafe_bill, sql.days_overdue
        )))
        .fetch_one(pool)
        .await
        .unwrap();
        let bill = Bill {
            id: 1,
            period: Period::parse("202601").unwrap(),
            kwh: "1".into(),
            amount: Yuan::from_fen(c.amount),
            paid: Yuan::from_fen(c.paid),
            due_date: c.due,
            late_fee_from: c.from,
            late_fee_received: Yuan::from_fen(c.fees.0),
            late_fee_waived: Yuan::from_fen(c.fees.1),
            late_fee_owed: Yuan::from_fen(c.fees.2),
            written_off: false,
        };
        (fee, unsafe_, days, late_fee_due(&bill, c.category, c.on, policy))
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn the_domain_examples() {
        let s = scratch().await;
        let policy = Policy::default().late_fee;
        // DOMAIN.md: 10 000.00 commercial due 2025-12-15 paid 2026-01-10 → 620.00.
        let case = Case {
            category: Category::Commercial,
            amount: 1_000_000,
            paid: 0,
            due: d("2025-12-15"),
            from: d("2025-12-15"),
            fees: (0, 0, 0),
            on: d("2026-01-10"),
        };
        let (fee, unsafe_, days, rule) = both(&s.pool, &policy, &case).await;
        assert_eq!((fee, unsafe_, days), (62_000, false, 26));
        assert_eq!(Yuan::from_fen(fee), rule);
        // A fee that rounds to 0.00 is the 1.00 minimum.
        let tiny = Case {
            category: Category::Residential,
            amount: 3,
            due: d("2026-03-15"),
            from: d("2026-03-15"),
            on: d("2026-03-16"),
            ..case
        };
        let (fee, _, _, rule) = both(&s.pool, &policy, &tiny).await;
        assert_eq!((fee, rule), (100, Yuan::from_fen(100)));
        // Exactly half a fen rounds up, just under half rounds down (no minimum, to see it).
        let no_minimum = LateFeePolicy { minimum: Yuan::ZERO, ..policy.clone() };
        let half = Case { amount: 500, due: d("2026-03-15"), from: d("2026-03-15"), on: d("2026-03-16"), ..tiny };
        assert_eq!(both(&s.pool, &no_minimum, &half).await.0, 1, "0.5 fen → 1 fen");
        assert_eq!(Yuan::from_fen(1), both(&s.pool, &no_minimum, &half).await.3);
        let under = Case { amount: 499, ..half };
        assert_eq!(both(&s.pool, &no_minimum, &under).await.0, 0, "0.499 fen → 0");
        // The later year's rate after 12-31 of the due year: 2 days at 2‰ and 3 days at 3‰ of 100.00.
        let split = Case {
            category: Category::Commercial,
            amount: 10_000,
            due: d("2025-12-29"),
            from: d("2025-12-29"),
            on: d("2026-01-03"),
            ..half
        };
        assert_eq!(both(&s.pool, &no_minimum, &split).await.0, 130, "100.00 × (0.002 × 2 + 0.003 × 3) = 1.30");
        // Beyond the bounds: flagged, so the caller does not trust the sum.
        let huge = Case { category: Category::Industrial, amount: 2_000_000_000, ..tiny };
        assert!(both(&s.pool, &policy, &huge).await.1);
    }

    fn category() -> impl Strategy<Value = Category> {
        prop_oneof![
            Just(Category::Residential),
            Just(Category::Commercial),
            Just(Category::Industrial),
            Just(Category::Agricultural)
        ]
    }

    /// Bills of every shape against the rule, on one database: amounts up to 10,000,000.00, part
    /// payments, fees charged before, late-fee dates before and after the due date, print dates
    /// before the due date and years after it, any whole-millionth rates and minimum.
    #[test]
    fn the_expressions_are_the_rule() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let s = rt.block_on(scratch());
        let strategy = (
            category(),
            0_i64..=1_000_000_000,
            0_u32..=100,
            (0_i64..1500, 0_i64..400, proptest::bool::ANY, -30_i64..2000),
            (0_i64..300, 0_i64..300, 0_i64..300),
            (0_i64..=10_000, 0_i64..=10_000, 0_i64..=10_000, 0_i64..=500),
        );
        let mut runner =
            proptest::test_runner::TestRunner::new(ProptestConfig { cases: 512, ..ProptestConfig::default() });
        runner
            .run(&strategy, |(category, amount, paid_part, (due, from_after, from_before, on_after), fees, rates)| {
                let policy = LateFeePolicy {
                    residential_daily: Decimal::new(rates.0, 6),
                    other_daily_same_year: Decimal::new(rates.1, 6),
                    other_daily_later_year: Decimal::new(rates.2, 6),
                    minimum: Yuan::from_fen(rates.3),
                };
                let due = d("2024-01-01") + chrono::Duration::days(due);
                let shift = chrono::Duration::days(from_after);
                let amount = amount.max(1);
                let case = Case {
                    category,
                    amount,
                    // Overdue bills only: something is still owed.
                    paid: (amount * i64::from(paid_part) / 100).min(amount - 1),
                    due,
                    from: if from_before { due - shift } else { due + shift },
                    fees,
                    on: due + chrono::Duration::days(on_after),
                };
                let (fee, unsafe_, days, rule) = rt.block_on(both(&s.pool, &policy, &case));
                prop_assert!(!unsafe_);
                prop_assert_eq!(Yuan::from_fen(fee), rule);
                prop_assert_eq!(days, on_after.max(0));
                Ok(())
            })
            .unwrap();
    }
}
