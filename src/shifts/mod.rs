//! 班次与现金: shifts, the drawer, deposits and holiday cash.
//!
//! A cashier opens a shift at a terminal with a float (备用金); one open shift per terminal and per
//! cashier (enforced by unique partial indexes). Every payment belongs to the open shift of the
//! cashier who took it. Expected cash in the drawer = float + cash kept (tendered − change, i.e. the
//! amount of each cash payment not voided) − cash deposited (解款).
//!
//! 盲点: at close the cashier counts the drawer by denomination and never learns the expected
//! figure before the close is final ([`judge_count`]): a count that differs is refused without any
//! amount, every count is kept (`shift_counts`, attempt 1 first) and audited with its
//! denominations, and once one count has differed the close needs a supervisor and a reason
//! whatever a later count says, so recounting until the answer changes teaches nothing. A cashier
//! never sees the expected cash of an open shift; a supervisor may.
//!
//! Owns the tables `shifts`, `shift_counts`, `deposits` and `holiday_cash` (`db`); the rules here
//! and in `holiday` (节假日现金 admission) and `deposit` (what a 解款 covers) are pure.

pub mod db;
pub mod deposit;
pub mod holiday;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, money::Yuan};

/// 券别: the denominations counted at close, in fen: notes 100, 50, 20, 10, 5, 1 yuan and coins 1,
/// 0.5, 0.1, 0.05, 0.02, 0.01 yuan (bills are to the fen, so the fen coins are in the drawer; the
/// 1-yuan note and coin are counted together).
pub const DENOMINATIONS: [i64; 11] = [10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10, 5, 2, 1];

/// One denomination's count as the UI or CLI sends it: `{"denomination":"100","count":12}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DenominationCount {
    pub denomination: String,
    pub count: u32,
}

/// A validated drawer count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashCount {
    /// (denomination in fen, count), every denomination once, in [`DENOMINATIONS`] order.
    pub counts: Vec<(i64, u32)>,
}

impl CashCount {
    /// Validate: only known denominations, each at most once, at most 100,000 pieces each.
    pub fn parse(input: &[DenominationCount]) -> Result<CashCount> {
        let mut counts: Vec<(i64, u32)> = DENOMINATIONS.iter().map(|d| (*d, 0)).collect();
        let mut seen = Vec::new();
        for c in input {
            let fen = Yuan::parse(&crate::input::amount(&c.denomination))
                .map(Yuan::fen)
                .ok()
                .filter(|f| DENOMINATIONS.contains(f))
                .ok_or_else(|| {
                    Error::invalid(
                        "count",
                        format!(
                            "'{}' is not a denomination: use 100, 50, 20, 10, 5, 1, 0.5, 0.1, 0.05, 0.02 or 0.01",
                            c.denomination
                        ),
                    )
                })?;
            if seen.contains(&fen) {
                return Err(Error::invalid("count", format!("the denomination {} is counted twice", c.denomination)));
            }
            if c.count > 100_000 {
                return Err(Error::invalid(
                    "count",
                    format!("{} pieces of {} is not a plausible count", c.count, c.denomination),
                ));
            }
            seen.push(fen);
            if let Some(slot) = counts.iter_mut().find(|(d, _)| *d == fen) {
                slot.1 = c.count;
            }
        }
        Ok(CashCount { counts })
    }

    pub fn total(&self) -> Yuan {
        Yuan::from_fen(self.counts.iter().map(|(d, n)| d * i64::from(*n)).sum())
    }

    /// As stored and printed: `{"100.00":12,"50.00":3,...}` (every denomination, zeros included).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.counts.iter().map(|(d, n)| (Yuan::from_fen(*d).to_string(), serde_json::Value::from(*n))).collect(),
        )
    }
}

/// Expected cash in the drawer.
pub fn expected_cash(float: Yuan, cash_kept: Yuan, deposited: Yuan) -> Yuan {
    float + cash_kept - deposited
}

/// What a count submitted at close means (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountJudgement {
    /// The count equals the expected cash.
    pub matches: bool,
    /// The close needs a supervisor's approval and a reason.
    pub needs_approval: bool,
}

/// Judge a count: `earlier_differed` is whether any earlier count of this shift differed.
pub fn judge_count(counted: Yuan, expected: Yuan, earlier_differed: bool) -> CountJudgement {
    let matches = counted == expected;
    CountJudgement { matches, needs_approval: !matches || earlier_differed }
}

/// One count of a drawer at close, as kept and reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CountAttempt {
    pub attempt: u32,
    pub counted: Yuan,
    pub counted_at: String,
    /// Whether it matched the expected cash: known to the cashier only once the shift is closed.
    pub matches: Option<bool>,
}

/// An open or closed shift as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ShiftInfo {
    /// Small row ids: a JSON number, not a TypeScript bigint.
    #[ts(type = "number")]
    pub id: i64,
    pub terminal: String,
    pub cashier: String,
    pub opened_at: String,
    pub float: Yuan,
    pub closed_at: Option<String>,
}

/// What closing a shift found. Shown only after the close is final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CloseOutcome {
    pub shift: ShiftInfo,
    pub expected: Yuan,
    /// The final count.
    pub counted: Yuan,
    /// counted − expected: positive is 长款 (over), negative 短款 (short).
    pub difference: Yuan,
    pub approved_by: Option<String>,
    /// Every count of this close, the first one first (it stays on the record).
    pub attempts: Vec<CountAttempt>,
}

/// Holiday cash waiting for the bank, for the log-in warning and the deposit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct HolidayCashDue {
    pub receipt_no: String,
    pub amount_left: Yuan,
    pub due_on: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(d: &str, n: u32) -> DenominationCount {
        DenominationCount { denomination: d.into(), count: n }
    }

    #[test]
    fn count_totals_every_denomination() {
        let c = CashCount::parse(&[
            dc("100", 5),
            dc("50", 1),
            dc("20", 2),
            dc("10", 3),
            dc("5", 1),
            dc("1", 4),
            dc("0.5", 3),
            dc("0.1", 7),
            dc("0.05", 1),
            dc("0.02", 1),
            dc("０．０１", 1),
        ])
        .unwrap();
        assert_eq!(c.total(), Yuan::parse("631.28").unwrap(), "500+50+40+30+5+4+1.5+0.7+0.05+0.02+0.01");
    }

    #[test]
    fn a_takings_to_the_fen_can_be_counted_exactly() {
        // 12,793.38 = 127 × 100 + 1 × 50 + ... down to the fen coins.
        let c = CashCount::parse(&[
            dc("100", 127),
            dc("50", 1),
            dc("20", 2),
            dc("1", 3),
            dc("0.1", 3),
            dc("0.05", 1),
            dc("0.02", 1),
            dc("0.01", 1),
        ])
        .unwrap();
        assert_eq!(c.total(), Yuan::parse("12793.38").unwrap());
    }

    #[rstest::rstest]
    #[case::exact_first_time("100.00", "100.00", false, true, false)]
    #[case::short("90.00", "100.00", false, false, true)]
    #[case::over("100.01", "100.00", false, false, true)]
    #[case::exact_after_a_differing_count("100.00", "100.00", true, true, true)]
    #[case::still_differs("95.00", "100.00", true, false, true)]
    fn counts_are_judged(
        #[case] counted: &str,
        #[case] expected: &str,
        #[case] earlier_differed: bool,
        #[case] matches: bool,
        #[case] needs_approval: bool,
    ) {
        let j = judge_count(Yuan::parse(counted).unwrap(), Yuan::parse(expected).unwrap(), earlier_differed);
        assert_eq!(j, CountJudgement { matches, needs_approval });
    }

    #[test]
    fn unknown_or_repeated_denominations_are_refused() {
        assert!(CashCount::parse(&[dc("2", 1)]).is_err(), "there is no 2-yuan denomination");
        assert!(CashCount::parse(&[dc("100", 1), dc("100.00", 1)]).is_err());
        assert!(CashCount::parse(&[dc("abc", 1)]).is_err());
    }

    #[test]
    fn expected_cash_counts_what_was_kept_not_tendered() {
        // Float 500; a 123.40 bill paid with 200.00 keeps 123.40 (change 76.60); 300 deposited.
        let e = expected_cash(Yuan::parse("500").unwrap(), Yuan::parse("123.40").unwrap(), Yuan::parse("300").unwrap());
        assert_eq!(e, Yuan::parse("323.40").unwrap());
    }
}
