//! 结算: what a payment does to an account's open bills, pure. The counter (`desk::counter`) and the
//! central ledger (`cashdesk-ledger`) both call [`settle`], so a payment applied at the centre lands
//! exactly as it landed at the counter when both saw the same bills.
//!
//! Rule: each open bill's late fee due on the payment date (`late_fee_due`; zero when a supervisor
//! waived it) and its principal are allocated oldest period first (`allocation::allocate`); the rest
//! is prepaid. A waiver covers the fee of the bills the payment reaches. For each bill touched, the
//! fee due that day is charged: what is neither paid nor waived stays owed, and accrual restarts
//! from the payment date on the principal left.

use chrono::NaiveDate;

use super::allocation::{self, Due, Line, LineKind};
use crate::{
    accounts::{Bill, Category, quote::late_fee_due},
    money::Yuan,
    policy::LateFeePolicy,
};

/// How one bill changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillChange {
    pub bill_id: i64,
    pub principal_paid: Yuan,
    pub late_fee_paid: Yuan,
    pub late_fee_waived: Yuan,
    /// 违约金应收未收 after the payment (replaces the bill's value).
    pub late_fee_owed_after: Yuan,
}

/// The outcome of a payment on an account's bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub lines: Vec<Line>,
    /// Per open bill: the late fee due on the payment date (before any waiver).
    pub fees_due: Vec<(i64, Yuan)>,
    /// Per bill: the late fee waived by this payment.
    pub waived: Vec<(i64, Yuan)>,
    pub changes: Vec<BillChange>,
}

impl Settlement {
    /// The part that goes to the prepaid balance.
    pub fn prepaid(&self) -> Yuan {
        self.lines.iter().filter(|l| l.kind == LineKind::Prepaid).map(|l| l.amount).sum()
    }

    pub fn waived_total(&self) -> Yuan {
        self.waived.iter().map(|w| w.1).sum()
    }
}

/// Settle `amount` against the open `bills` of an account of `category` on `on`.
pub fn settle(
    bills: &[Bill],
    category: Category,
    on: NaiveDate,
    policy: &LateFeePolicy,
    amount: Yuan,
    waive_late_fee: bool,
) -> Settlement {
    let open: Vec<&Bill> = bills.iter().filter(|b| b.outstanding().is_positive()).collect();
    let fees_due: Vec<(i64, Yuan)> = open.iter().map(|b| (b.id, late_fee_due(b, category, on, policy))).collect();
    let dues: Vec<Due> = open
        .iter()
        .zip(&fees_due)
        .map(|(b, (_, fee))| Due {
            bill_id: b.id,
            period: b.period,
            late_fee: if waive_late_fee { Yuan::ZERO } else { *fee },
            principal: b.outstanding(),
        })
        .collect();
    let lines = allocation::allocate(&dues, amount);
    let waived: Vec<(i64, Yuan)> = if waive_late_fee {
        fees_due
            .iter()
            .filter(|(id, fee)| fee.is_positive() && lines.iter().any(|l| l.bill_id == Some(*id)))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let mut changes = Vec::new();
    for (b, (_, fee_due)) in open.iter().zip(&fees_due) {
        let of = |kind| -> Yuan {
            lines.iter().filter(|l| l.bill_id == Some(b.id) && l.kind == kind).map(|l| l.amount).sum()
        };
        let (fee_paid, principal_paid) = (of(LineKind::LateFee), of(LineKind::Principal));
        let waived_here = waived.iter().find(|(id, _)| *id == b.id).map(|w| w.1).unwrap_or(Yuan::ZERO);
        if fee_paid.is_zero() && principal_paid.is_zero() && waived_here.is_zero() {
            continue;
        }
        changes.push(BillChange {
            bill_id: b.id,
            principal_paid,
            late_fee_paid: fee_paid,
            late_fee_waived: waived_here,
            late_fee_owed_after: (*fee_due - fee_paid - waived_here).max(Yuan::ZERO),
        });
    }
    Settlement { lines, fees_due, waived, changes }
}

/// Apply a change to a bill as held in memory (the ledger's view; the counter does it in SQL).
pub fn apply_change(bill: &mut Bill, c: &BillChange, on: NaiveDate) {
    bill.paid += c.principal_paid;
    bill.late_fee_received += c.late_fee_paid;
    bill.late_fee_waived += c.late_fee_waived;
    bill.late_fee_owed = c.late_fee_owed_after;
    bill.late_fee_from = bill.late_fee_from.max(on);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{accounts::Period, policy::Policy};

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    fn bill(id: i64, period: &str, amount: &str, due: &str) -> Bill {
        let due = NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap();
        Bill {
            id,
            period: Period::parse(period).unwrap(),
            kwh: "100".into(),
            amount: y(amount),
            paid: Yuan::ZERO,
            due_date: due,
            late_fee_from: due,
            late_fee_received: Yuan::ZERO,
            late_fee_waived: Yuan::ZERO,
            late_fee_owed: Yuan::ZERO,
            written_off: false,
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_partial_payment_leaves_the_unpaid_fee_owed_and_restarts_accrual() {
        // Commercial 10,000.00 due 2025-12-15, paid 2026-01-10: fee 620.00 (DOMAIN.md). Pay 500.00.
        let mut bills = vec![bill(1, "202511", "10000.00", "2025-12-15")];
        let policy = Policy::default().late_fee;
        let s = settle(&bills, Category::Commercial, day("2026-01-10"), &policy, y("500.00"), false);
        assert_eq!(s.fees_due, vec![(1, y("620.00"))]);
        assert_eq!(s.lines.len(), 1);
        assert_eq!(s.lines[0].kind, LineKind::LateFee);
        assert_eq!(s.changes[0].late_fee_owed_after, y("120.00"));
        apply_change(&mut bills[0], &s.changes[0], day("2026-01-10"));
        // Same day again: only the owed 120.00 is due, then the principal.
        let again = settle(&bills, Category::Commercial, day("2026-01-10"), &policy, y("10120.00"), false);
        assert_eq!(again.fees_due, vec![(1, y("120.00"))]);
        assert_eq!(again.prepaid(), Yuan::ZERO);
        apply_change(&mut bills[0], &again.changes[0], day("2026-01-10"));
        assert!(bills[0].outstanding().is_zero());
        assert_eq!(bills[0].late_fee_received, y("620.00"));
    }

    #[test]
    fn a_waiver_covers_only_the_bills_reached_and_excess_is_prepaid() {
        let bills = vec![bill(1, "202509", "100.00", "2025-10-15"), bill(2, "202510", "100.00", "2025-11-15")];
        let s = settle(&bills, Category::Residential, day("2025-12-15"), &Policy::default().late_fee, y("50.00"), true);
        assert_eq!(s.waived.len(), 1);
        assert_eq!(s.waived[0].0, 1);
        let all =
            settle(&bills, Category::Residential, day("2025-12-15"), &Policy::default().late_fee, y("250.00"), true);
        assert_eq!(all.prepaid(), y("50.00"));
        assert_eq!(all.changes.len(), 2);
    }

    #[test]
    fn settled_bills_are_ignored() {
        let mut b = bill(1, "202509", "100.00", "2025-10-15");
        b.paid = y("100.00");
        let s = settle(&[b], Category::Residential, day("2025-12-15"), &Policy::default().late_fee, y("10.00"), false);
        assert_eq!(s.prepaid(), y("10.00"));
        assert!(s.changes.is_empty() && s.fees_due.is_empty());
    }
}
