//! 班次与现金: shifts, the drawer, deposits and holiday cash.
//!
//! A cashier opens a shift at a terminal with a float (备用金); one open shift per terminal and per
//! cashier (enforced by unique partial indexes). Every payment belongs to the open shift of the
//! cashier who took it. Expected cash in the drawer = float + cash kept (tendered − change, i.e. the
//! amount of each cash payment not voided) − cash deposited (解款). At close the cashier counts the
//! drawer by denomination without seeing the expected figure (a blind count); a difference (长款/
//! 短款) needs a reason and a supervisor's approval.
//!
//! Owns the tables `shifts`, `deposits` and `holiday_cash` (`db`); the arithmetic here is pure.

pub mod db;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, money::Yuan};

/// 券别: the denominations counted at close, in fen: 100, 50, 20, 10, 5, 1, 0.5 and 0.1 yuan.
pub const DENOMINATIONS: [i64; 8] = [10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10];

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
            let fen = Yuan::parse(&c.denomination)
                .map(Yuan::fen)
                .ok()
                .filter(|f| DENOMINATIONS.contains(f))
                .ok_or_else(|| {
                    Error::invalid(
                        "count",
                        format!("'{}' is not a denomination: use 100, 50, 20, 10, 5, 1, 0.5 or 0.1", c.denomination),
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

/// What closing a shift found. Shown after the blind count is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CloseOutcome {
    pub shift: ShiftInfo,
    pub expected: Yuan,
    pub counted: Yuan,
    /// counted − expected: positive is 长款 (over), negative 短款 (short).
    pub difference: Yuan,
    pub approved_by: Option<String>,
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
        ])
        .unwrap();
        assert_eq!(c.total(), Yuan::parse("631.20").unwrap(), "500+50+40+30+5+4+1.5+0.7");
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
