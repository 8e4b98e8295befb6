//! 实收日报: what a terminal took on a day — per shift, per cashier, or for the whole terminal-day —
//! with totals by kind and method, every receipt, the voids, the waivers, the holiday cash and its
//! deposits, the deposits, and the over/short of the shifts closed that day (DOMAIN.md "Shifts and
//! cash": the day's summary a second person checks against the bank slips and receipt stubs).
//!
//! Invariants:
//! - a report is "as of the end of its day": a receipt counts if it was not voided by the end of
//!   the day it was issued; a void on a later day leaves that report as it was and appears in its
//!   own day's report as a **correction** (更正), which lowers that day's net. So a report signed
//!   off never changes, and every void is counted exactly once;
//! - the totals are the sums of the rows listed (`total` = Σ receipts counted; `net` = total −
//!   corrections); a property test over random days checks it;
//! - money is `Yuan` throughout.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    money::Yuan,
    payments::{Method, PaymentKind},
};

/// Whose takings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// One shift (班次).
    Shift {
        #[ts(type = "number")]
        shift_id: i64,
    },
    /// One cashier's shifts at this terminal that day.
    Cashier { username: String },
    /// Everything at this terminal that day (what the supervisor signs off).
    TerminalDay,
}

/// A receipt issued that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceiptRow {
    pub receipt_no: String,
    /// `HH:MM:SS`.
    pub at: String,
    pub kind: PaymentKind,
    pub method: Method,
    pub account_no: String,
    pub name: String,
    pub cashier: String,
    pub amount: Yuan,
    /// Late fee waived on it (减免).
    pub waived: Yuan,
    pub waiver_reason: Option<String>,
    pub holiday_cash: bool,
    /// The day it was voided, if it was.
    pub voided_on: Option<NaiveDate>,
}

/// A void made that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VoidRow {
    pub receipt_no: String,
    /// The day the voided receipt was issued: before the report's day makes it a correction.
    pub issued_on: NaiveDate,
    /// `HH:MM:SS`.
    pub at: String,
    pub method: Method,
    pub amount: Yuan,
    pub reason: String,
    pub cashier: String,
    pub approved_by: String,
}

/// A deposit (解款) made that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DepositRow {
    pub slip_no: String,
    pub bank: String,
    pub at: String,
    pub cashier: String,
    pub amount: Yuan,
    /// The part from the drawer (the rest is earlier holiday cash from the safe).
    pub from_drawer: Yuan,
}

/// A shift closed that day, with its over/short (长短款).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CloseRow {
    #[ts(type = "number")]
    pub shift_id: i64,
    pub cashier: String,
    pub expected: Yuan,
    pub counted: Yuan,
    /// counted − expected: negative is 短款.
    pub difference: Yuan,
    pub reason: Option<String>,
    pub approved_by: Option<String>,
}

/// What a day's rows are, loaded for one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayRows {
    pub receipts: Vec<ReceiptRow>,
    pub voids: Vec<VoidRow>,
    pub deposits: Vec<DepositRow>,
    pub closes: Vec<CloseRow>,
}

/// One line of the totals: a kind and a method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TotalRow {
    pub kind: PaymentKind,
    pub method: Method,
    pub count: u32,
    pub amount: Yuan,
}

/// The 实收日报.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DailyReport {
    pub terminal: String,
    pub date: NaiveDate,
    pub scope: Scope,
    /// By kind and method, receipts counted (not voided by the end of the day).
    pub totals: Vec<TotalRow>,
    /// Σ totals.
    pub total: Yuan,
    pub cash_total: Yuan,
    pub transfer_total: Yuan,
    /// Receipts of the day voided the same day: listed, not counted.
    pub voided_count: u32,
    pub voided_amount: Yuan,
    /// Voids of earlier days' receipts (更正): they lower the day's net.
    pub corrections: Yuan,
    /// total − corrections.
    pub net: Yuan,
    pub waived_total: Yuan,
    pub holiday_cash_total: Yuan,
    pub deposits_total: Yuan,
    /// Σ differences of the shifts closed that day.
    pub over_short: Yuan,
    pub receipts: Vec<ReceiptRow>,
    pub voids: Vec<VoidRow>,
    pub deposits: Vec<DepositRow>,
    pub closes: Vec<CloseRow>,
}

impl DailyReport {
    /// Whether a receipt counts in this report (see the module docs).
    pub fn counts(&self, r: &ReceiptRow) -> bool {
        counts_on(r, self.date)
    }
}

fn counts_on(r: &ReceiptRow, date: NaiveDate) -> bool {
    r.voided_on.is_none_or(|d| d > date)
}

/// Build the report of `date` from its rows (see the module docs).
pub fn build(terminal: &str, date: NaiveDate, scope: Scope, rows: DayRows) -> DailyReport {
    let mut by: BTreeMap<(u8, u8), (u32, Yuan)> = BTreeMap::new();
    let key = |k: PaymentKind, m: Method| (matches!(k, PaymentKind::Vend) as u8, matches!(m, Method::Transfer) as u8);
    let (mut total, mut cash, mut transfer) = (Yuan::ZERO, Yuan::ZERO, Yuan::ZERO);
    let (mut voided_count, mut voided_amount, mut waived, mut holiday) = (0u32, Yuan::ZERO, Yuan::ZERO, Yuan::ZERO);
    for r in &rows.receipts {
        if !counts_on(r, date) {
            voided_count += 1;
            voided_amount += r.amount;
            continue;
        }
        let slot = by.entry(key(r.kind, r.method)).or_insert((0, Yuan::ZERO));
        slot.0 += 1;
        slot.1 += r.amount;
        total += r.amount;
        match r.method {
            Method::Cash => cash += r.amount,
            Method::Transfer => transfer += r.amount,
        }
        waived += r.waived;
        if r.holiday_cash {
            holiday += r.amount;
        }
    }
    let corrections: Yuan = rows.voids.iter().filter(|v| v.issued_on < date).map(|v| v.amount).sum();
    let totals = [
        (PaymentKind::Payment, Method::Cash),
        (PaymentKind::Payment, Method::Transfer),
        (PaymentKind::Vend, Method::Cash),
        (PaymentKind::Vend, Method::Transfer),
    ]
    .into_iter()
    .map(|(kind, method)| {
        let (count, amount) = by.get(&key(kind, method)).copied().unwrap_or((0, Yuan::ZERO));
        TotalRow { kind, method, count, amount }
    })
    .collect();
    DailyReport {
        terminal: terminal.to_string(),
        date,
        scope,
        totals,
        total,
        cash_total: cash,
        transfer_total: transfer,
        voided_count,
        voided_amount,
        corrections,
        net: total - corrections,
        waived_total: waived,
        holiday_cash_total: holiday,
        deposits_total: rows.deposits.iter().map(|d| d.amount).sum(),
        over_short: rows.closes.iter().map(|c| c.difference).sum(),
        receipts: rows.receipts,
        voids: rows.voids,
        deposits: rows.deposits,
        closes: rows.closes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn receipt(no: u32, kind: PaymentKind, method: Method, fen: i64, voided_on: Option<NaiveDate>) -> ReceiptRow {
        ReceiptRow {
            receipt_no: format!("GY01-03-2026-{no:06}"),
            at: "10:00:00".into(),
            kind,
            method,
            account_no: "3100000001".into(),
            name: "张建国".into(),
            cashier: "cashier1".into(),
            amount: Yuan::from_fen(fen),
            waived: Yuan::ZERO,
            waiver_reason: None,
            holiday_cash: false,
            voided_on,
        }
    }

    #[test]
    fn a_void_counts_on_its_own_day() {
        let day = d("2026-03-02");
        let rows = DayRows {
            receipts: vec![
                receipt(1, PaymentKind::Payment, Method::Cash, 10_000, None),
                receipt(2, PaymentKind::Payment, Method::Cash, 2_000, Some(day)),
                receipt(3, PaymentKind::Vend, Method::Transfer, 50_000, Some(d("2026-03-03"))),
            ],
            voids: vec![VoidRow {
                receipt_no: "GY01-03-2026-000000".into(),
                issued_on: d("2026-03-01"),
                at: "09:00:00".into(),
                method: Method::Cash,
                amount: Yuan::from_fen(700),
                reason: "收错户号".into(),
                cashier: "cashier1".into(),
                approved_by: "super1".into(),
            }],
            ..DayRows::default()
        };
        let r = build("GY01-03", day, Scope::TerminalDay, rows);
        assert_eq!(r.total, Yuan::from_fen(60_000), "receipt 3 is voided only the next day: it counts today");
        assert_eq!((r.voided_count, r.voided_amount), (1, Yuan::from_fen(2_000)));
        assert_eq!(r.corrections, Yuan::from_fen(700), "yesterday's receipt voided today");
        assert_eq!(r.net, Yuan::from_fen(59_300));
        assert_eq!(
            r.totals[0],
            TotalRow { kind: PaymentKind::Payment, method: Method::Cash, count: 1, amount: Yuan::from_fen(10_000) }
        );
        assert_eq!(r.totals[3].count, 1);
    }

    proptest! {
        /// Over random days of payments, vends and voids: the total is the sum of the day's
        /// receipts not voided by its end, the totals by kind and method add up to it, and every
        /// void is counted once (in its own day's report).
        #[test]
        fn totals_are_the_sum_of_the_days_receipts(
            rows in prop::collection::vec((0u8..4, 1i64..10_000_000, 0i64..4, prop::option::of(0i64..4)), 0..60),
        ) {
            let base = d("2026-03-01");
            let day = |n: i64| base + chrono::Duration::days(n);
            let receipts: Vec<(i64, ReceiptRow)> = rows.iter().enumerate().map(|(i, (km, fen, issued, voided))| {
                let kind = if km / 2 == 0 { PaymentKind::Payment } else { PaymentKind::Vend };
                let method = if km % 2 == 0 { Method::Cash } else { Method::Transfer };
                let voided_on = voided.map(|v| day(issued + v));
                (*issued, receipt(u32::try_from(i).unwrap(), kind, method, *fen, voided_on))
            }).collect();
            let mut voids_counted = Yuan::ZERO;
            for n in 0..8 {
                let date = day(n);
                let todays: Vec<ReceiptRow> = receipts.iter().filter(|(i, _)| *i == n).map(|(_, r)| r.clone()).collect();
                let voids: Vec<VoidRow> = receipts.iter().filter(|(_, r)| r.voided_on == Some(date)).map(|(i, r)| VoidRow {
                    receipt_no: r.receipt_no.clone(), issued_on: day(*i), at: "12:00:00".into(), method: r.method,
                    amount: r.amount, reason: "x".into(), cashier: "c".into(), approved_by: "s".into(),
                }).collect();
                let report = build("T", date, Scope::TerminalDay, DayRows { receipts: todays.clone(), voids, ..DayRows::default() });
                let want: Yuan = todays.iter().filter(|r| r.voided_on.is_none_or(|v| v > date)).map(|r| r.amount).sum();
                prop_assert_eq!(report.total, want);
                prop_assert_eq!(report.totals.iter().map(|t| t.amount).sum::<Yuan>(), report.total);
                prop_assert_eq!(report.cash_total + report.transfer_total, report.total);
                prop_assert_eq!(report.net, report.total - report.corrections);
                voids_counted += report.corrections + report.voided_amount;
            }
            let all_voided: Yuan = receipts.iter().filter(|(i, r)| r.voided_on.is_some_and(|v| v < day(8)) && *i < 8).map(|(_, r)| r.amount).sum();
            prop_assert_eq!(voids_counted, all_voided, "every void counted once");
        }
    }
}
