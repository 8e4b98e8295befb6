//! The late-fee rule ([`super::late_fee::late_fee_with_minimum`], as [`super::quote::late_fee_due`]
//! applies it to a bill) written as an SQLite expression in whole 分, so that a total over a
//! county's arrears (the 催费 preview: how many accounts, what they owe) is summed where the bills
//! are instead of streaming every overdue bill out of the database.
//!
//! Invariants:
//! - The expression equals the Rust rule to the fen for every bill it accepts; a property test
//!   over a real SQLite file holds it to that (tests below), and the Rust rule stays the one that
//!   prints notices and takes money.
//! - It is exact integer arithmetic: each daily rate is a whole number of millionths
//!   (`rate × 10⁶`); the fee in fen is `⌊(outstanding_fen × Σ rate_ppm × days + 500 000) / 10⁶⌋`,
//!   half-up as the rule rounds. A policy with a finer rate, or a rate outside `[0, 0.01]`, has no
//!   expression ([`fee_fen_expr`] returns `None`) and the caller uses the Rust rule.
//! - No silent overflow (SQLite turns an overflowing integer into a float): a bill is accepted only
//!   with `outstanding ≤ 10⁹ fen` and at most 10⁵ charged days, so the product stays below 10¹⁸.
//!   [`UNSAFE_EXPR`] is 1 for a bill outside those bounds or with a date SQLite cannot read; the
//!   caller sums it and falls back to the Rust rule when any bill is unsafe.
//!
//! The expression reads the columns of a bill `b` (`amount_fen`, `paid_fen`, `due_date`,
//! `late_fee_from`, `late_fee_received_fen`, `late_fee_waived_fen`, `late_fee_owed_fen`), its
//! account's category as `a.category`, and the print date as the text parameter `?1`.

use rust_decimal::{Decimal, prelude::ToPrimitive};

use crate::policy::LateFeePolicy;

/// Days since 1970-01-01 of the print date and of the bill's dates.
const ON: &str = "(unixepoch(?1) / 86400)";
const START: &str = "(unixepoch(max(b.late_fee_from, b.due_date)) / 86400)";
const YEAR_END: &str = "(unixepoch(substr(b.due_date, 1, 4) || '-12-31') / 86400)";

/// 1 when the bill is outside the bounds the expression is exact in, or a date does not parse.
pub const UNSAFE_EXPR: &str = "(CASE WHEN b.amount_fen - b.paid_fen > 1000000000 \
     OR unixepoch(?1) IS NULL OR unixepoch(b.due_date) IS NULL OR unixepoch(b.late_fee_from) IS NULL \
     OR (unixepoch(?1) - unixepoch(b.due_date)) / 86400 > 100000 THEN 1 ELSE 0 END)";

/// Days past the due date on the print date, `max(0, on − due)`.
pub const DAYS_OVERDUE_EXPR: &str = "max(0, (unixepoch(?1) - unixepoch(b.due_date)) / 86400)";

/// A daily rate in millionths, if it is a whole number of them within the validated range.
fn ppm(rate: Decimal) -> Option<i64> {
    if rate < Decimal::ZERO || rate > Decimal::new(1, 2) {
        return None;
    }
    let scaled = rate.checked_mul(Decimal::from(1_000_000))?;
    if scaled.fract().is_zero() { scaled.to_i64() } else { None }
}

/// The late fee due on bill `b` on the print date `?1`, in fen (the fee still owed from before
/// plus what accrues to the print date, the minimum applied as the rule applies it); `None` when
/// the policy's rates are not whole millionths.
pub fn fee_fen_expr(policy: &LateFeePolicy) -> Option<String> {
    let residential = ppm(policy.residential_daily)?;
    let same_year = ppm(policy.other_daily_same_year)?;
    let later_year = ppm(policy.other_daily_later_year)?;
    let minimum = policy.minimum.fen();
    // Charged days: start < d ≤ on; those up to 12-31 of the due year, and the rest.
    let days = format!("max(0, {ON} - {START})");
    let same = format!("max(0, min({ON}, {YEAR_END}) - {START})");
    let rate_days = format!(
        "(CASE a.category WHEN 'residential' THEN {residential} * {days} \
         ELSE {same_year} * {same} + {later_year} * ({days} - {same}) END)"
    );
    let exact = format!("((b.amount_fen - b.paid_fen) * {rate_days})");
    let before = "(b.late_fee_received_fen + b.late_fee_waived_fen + b.late_fee_owed_fen)";
    Some(format!(
        "(b.late_fee_owed_fen + CASE WHEN b.amount_fen > b.paid_fen AND {exact} > 0 \
         THEN max(({exact} + 500000) / 1000000, {minimum} - {before}) ELSE 0 END)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        accounts::{Bill, Category, quote::late_fee_due},
        money::Yuan,
        policy::Policy,
    };
    use chrono::NaiveDate;
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
        assert!(fee_fen_expr(&policy).is_none());
    }

    /// One bill, stored in a real SQLite file and evaluated by the expression, against the rule.
    #[allow(clippy::too_many_arguments)]
    async fn both(
        pool: &sqlx::SqlitePool,
        policy: &crate::policy::LateFeePolicy,
        category: Category,
        amount: i64,
        paid: i64,
        due: NaiveDate,
        from: NaiveDate,
        fees: (i64, i64, i64),
        on: NaiveDate,
    ) -> (i64, i64, Yuan) {
        sqlx::query("DELETE FROM b").execute(pool).await.unwrap();
        sqlx::query("DELETE FROM a").execute(pool).await.unwrap();
        sqlx::query("INSERT INTO a (category) VALUES (?)").bind(category.as_str()).execute(pool).await.unwrap();
        sqlx::query(
            "INSERT INTO b (amount_fen, paid_fen, due_date, late_fee_from, late_fee_received_fen, late_fee_waived_fen, \
             late_fee_owed_fen) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(amount)
        .bind(paid)
        .bind(due.to_string())
        .bind(from.to_string())
        .bind(fees.0)
        .bind(fees.1)
        .bind(fees.2)
        .execute(pool)
        .await
        .unwrap();
        let expr = fee_fen_expr(policy).unwrap();
        let (fee, unsafe_): (i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {expr}, {UNSAFE_EXPR} FROM b, a")))
                .bind(on.to_string())
                .fetch_one(pool)
                .await
                .unwrap();
        let bill = Bill {
            id: 1,
            period: crate::accounts::Period::parse("202601").unwrap(),
            kwh: "0".into(),
            amount: Yuan::from_fen(amount),
            paid: Yuan::from_fen(paid),
            due_date: due,
            late_fee_from: from,
            late_fee_received: Yuan::from_fen(fees.0),
            late_fee_waived: Yuan::from_fen(fees.1),
            late_fee_owed: Yuan::from_fen(fees.2),
            written_off: false,
        };
        (fee, unsafe_, late_fee_due(&bill, category, on, policy))
    }

    async fn scratch() -> (tempfile::TempDir, sqlx::SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let opts =
            sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("fee.sqlite")).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::query("CREATE TABLE a (category TEXT NOT NULL)").execute(&pool).await.unwrap();
        sqlx::query(
            "CREATE TABLE b (amount_fen INTEGER, paid_fen INTEGER, due_date TEXT, late_fee_from TEXT, \
             late_fee_received_fen INTEGER, late_fee_waived_fen INTEGER, late_fee_owed_fen INTEGER)",
        )
        .execute(&pool)
        .await
        .unwrap();
        (dir, pool)
    }

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(offset)
    }

    #[tokio::test]
    async fn the_domain_examples() {
        let (_dir, pool) = scratch().await;
        let policy = Policy::default().late_fee;
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // DOMAIN.md: 10 000.00 commercial due 2025-12-15 paid 2026-01-10 → 620.00.
        let (fee, unsafe_, rule) = both(
            &pool,
            &policy,
            Category::Commercial,
            1_000_000,
            0,
            d("2025-12-15"),
            d("2025-12-15"),
            (0, 0, 0),
            d("2026-01-10"),
        )
        .await;
        assert_eq!((fee, unsafe_), (62_000, 0));
        assert_eq!(Yuan::from_fen(fee), rule);
        // A fee that rounds to 0.00 is the 1.00 minimum.
        let (fee, _, rule) = both(
            &pool,
            &policy,
            Category::Residential,
            3,
            0,
            d("2026-03-15"),
            d("2026-03-15"),
            (0, 0, 0),
            d("2026-03-16"),
        )
        .await;
        assert_eq!((fee, rule), (100, Yuan::from_fen(100)));
        // Beyond the bounds: flagged, so the caller does not trust the sum.
        let (_, unsafe_, _) = both(
            &pool,
            &policy,
            Category::Industrial,
            2_000_000_000,
            0,
            d("2026-03-15"),
            d("2026-03-15"),
            (0, 0, 0),
            d("2026-04-16"),
        )
        .await;
        assert_eq!(unsafe_, 1);
    }

    fn category() -> impl Strategy<Value = Category> {
        prop_oneof![
            Just(Category::Residential),
            Just(Category::Commercial),
            Just(Category::Industrial),
            Just(Category::Agricultural)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn the_expression_is_the_rule(
            category in category(),
            amount in 0_i64..=1_000_000_000,
            paid_part in 0_u32..=100,
            due in 0_i64..1500,
            from_after in 0_i64..400,
            from_before in proptest::bool::ANY,
            on_after in -30_i64..2000,
            fees in (0_i64..300, 0_i64..300, 0_i64..300),
            rates in (0_i64..=10_000, 0_i64..=10_000, 0_i64..=10_000, 0_i64..=500),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (_dir, pool) = scratch().await;
                let policy = crate::policy::LateFeePolicy {
                    residential_daily: Decimal::new(rates.0, 6),
                    other_daily_same_year: Decimal::new(rates.1, 6),
                    other_daily_later_year: Decimal::new(rates.2, 6),
                    minimum: Yuan::from_fen(rates.3),
                };
                let paid = amount * i64::from(paid_part) / 100;
                let due_date = day(due);
                let from = if from_before { due_date - chrono::Duration::days(from_after) } else { due_date + chrono::Duration::days(from_after) };
                let on = due_date + chrono::Duration::days(on_after);
                let (fee, unsafe_, rule) = both(&pool, &policy, category, amount, paid, due_date, from, fees, on).await;
                prop_assert_eq!(unsafe_, 0);
                prop_assert_eq!(Yuan::from_fen(fee), rule);
                Ok(())
            })?;
        }
    }
}
