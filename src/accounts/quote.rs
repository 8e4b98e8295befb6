//! 应缴金额: what an account owes on a day, pure. Lists the bills with principal left, oldest
//! period first, each with its days overdue and the late fee to that day, and the totals in figures
//! and in 大写. A bill's late fee is what was charged earlier and not yet received (`late_fee_owed`)
//! plus what accrued since `late_fee_from`. The same function serves the counter screen, `cashdeskctl quote` and (later) the
//! amount proposed for a payment, so they cannot disagree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{AccountNo, Bill, BillStatus, Category, Period, late_fee};
use crate::{money::Yuan, policy::LateFeePolicy};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QuoteLine {
    pub period: Period,
    pub kwh: String,
    pub amount: Yuan,
    pub paid: Yuan,
    /// Principal outstanding (欠费本金).
    pub principal: Yuan,
    pub due_date: NaiveDate,
    pub days_overdue: u32,
    pub late_fee: Yuan,
    pub status: BillStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Quote {
    pub account_no: AccountNo,
    pub on: NaiveDate,
    pub bills: Vec<QuoteLine>,
    pub principal_total: Yuan,
    pub late_fee_total: Yuan,
    pub total: Yuan,
    /// The total in Chinese capitals (大写).
    pub total_words: String,
}

/// The late fee a bill owes on `on`: charged earlier and not received, plus accrued since (the
/// 1-yuan minimum applying to the bill's total: received + waived + owed + new).
pub fn late_fee_due(b: &Bill, category: Category, on: NaiveDate, policy: &LateFeePolicy) -> Yuan {
    let charged_before = b.late_fee_received + b.late_fee_waived + b.late_fee_owed;
    b.late_fee_owed
        + late_fee::late_fee_with_minimum(
            b.outstanding(),
            category,
            b.due_date,
            b.late_fee_from,
            on,
            policy,
            charged_before,
        )
}

pub fn quote(
    account_no: &AccountNo,
    category: Category,
    bills: &[Bill],
    on: NaiveDate,
    policy: &LateFeePolicy,
) -> Quote {
    let mut open: Vec<&Bill> = bills.iter().filter(|b| b.outstanding().is_positive()).collect();
    open.sort_by_key(|b| b.period);
    let lines: Vec<QuoteLine> = open
        .into_iter()
        .map(|b| {
            let principal = b.outstanding();
            QuoteLine {
                period: b.period,
                kwh: b.kwh.clone(),
                amount: b.amount,
                paid: b.paid,
                principal,
                due_date: b.due_date,
                days_overdue: u32::try_from(late_fee::days_overdue(b.due_date, on)).unwrap_or(u32::MAX),
                late_fee: late_fee_due(b, category, on, policy),
                status: b.status(),
            }
        })
        .collect();
    let principal_total: Yuan = lines.iter().map(|l| l.principal).sum();
    let late_fee_total: Yuan = lines.iter().map(|l| l.late_fee).sum();
    let total = principal_total + late_fee_total;
    Quote {
        account_no: account_no.clone(),
        on,
        bills: lines,
        principal_total,
        late_fee_total,
        total,
        total_words: total.words(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn bill(period: &str, amount: &str, paid: &str, due: &str) -> Bill {
        Bill {
            id: 1,
            period: Period::parse(period).unwrap(),
            kwh: "100".into(),
            amount: Yuan::parse(amount).unwrap(),
            paid: Yuan::parse(paid).unwrap(),
            due_date: d(due),
            late_fee_from: d(due),
            late_fee_received: Yuan::ZERO,
            late_fee_waived: Yuan::ZERO,
            late_fee_owed: Yuan::ZERO,
            written_off: false,
        }
    }

    #[test]
    fn lists_open_bills_oldest_first_with_totals() {
        let no = AccountNo::parse("3100000001").unwrap();
        let bills = vec![
            bill("202601", "3000.00", "0", "2026-01-15"),
            bill("202512", "2000.00", "0", "2025-12-31"),
            bill("202511", "500.00", "500.00", "2025-11-30"),
        ];
        let q = quote(&no, Category::Industrial, &bills, d("2026-01-18"), &Policy::default().late_fee);
        let periods: Vec<String> = q.bills.iter().map(|l| l.period.to_string()).collect();
        assert_eq!(periods, ["202512", "202601"], "settled 202511 is left out, oldest first");
        // DOMAIN.md's exam problem: 108.00 + 18.00.
        assert_eq!(q.late_fee_total, Yuan::parse("126.00").unwrap());
        assert_eq!(q.principal_total, Yuan::parse("5000.00").unwrap());
        assert_eq!(q.total, Yuan::parse("5126.00").unwrap());
        assert_eq!(q.total_words, "人民币伍仟壹佰贰拾陆元整");
        assert_eq!(q.bills[0].days_overdue, 18);
    }

    #[test]
    fn partly_paid_bill_owes_its_remainder() {
        let no = AccountNo::parse("3100000002").unwrap();
        let bills = vec![bill("202603", "300.00", "176.55", "2026-03-25")];
        let q = quote(&no, Category::Residential, &bills, d("2026-03-25"), &Policy::default().late_fee);
        assert_eq!(q.bills[0].principal, Yuan::parse("123.45").unwrap());
        assert_eq!(q.bills[0].status, BillStatus::PartlyPaid);
        assert_eq!(q.late_fee_total, Yuan::ZERO, "paid on the due date: no fee");
    }
}
