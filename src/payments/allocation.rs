//! 分配: how money received for a postpaid account is applied, pure.
//!
//! Rule (DOMAIN.md): oldest period first; within a period the late fee before the principal;
//! whatever is left goes to the prepaid balance. Invariants (property-tested): the lines sum to
//! the amount received; no line is zero or negative; no line pays more than its bill owes; a later
//! period receives nothing until every earlier period is settled.

use serde::{Deserialize, Serialize};

use crate::{accounts::Period, money::Yuan};

/// What one open bill owes at the moment of payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub bill_id: i64,
    pub period: Period,
    pub late_fee: Yuan,
    pub principal: Yuan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// 违约金
    LateFee,
    /// 电费本金
    Principal,
    /// 预存
    Prepaid,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::LateFee => "late_fee",
            LineKind::Principal => "principal",
            LineKind::Prepaid => "prepaid",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            LineKind::LateFee => "违约金",
            LineKind::Principal => "电费本金",
            LineKind::Prepaid => "预存",
        }
    }
}

/// One line of an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// `None` for the prepaid line.
    pub bill_id: Option<i64>,
    pub period: Option<Period>,
    pub amount: Yuan,
}

/// Apply `amount` (≥ 0) to `dues`. The dues may come in any order; they are settled by period.
pub fn allocate(dues: &[Due], amount: Yuan) -> Vec<Line> {
    let mut ordered: Vec<&Due> = dues.iter().collect();
    ordered.sort_by_key(|d| (d.period, d.bill_id));
    let mut left = amount.max(Yuan::ZERO);
    let mut lines = Vec::new();
    for d in ordered {
        for (kind, owed) in [(LineKind::LateFee, d.late_fee), (LineKind::Principal, d.principal)] {
            let take = left.min(owed.max(Yuan::ZERO));
            if take.is_positive() {
                lines.push(Line { kind, bill_id: Some(d.bill_id), period: Some(d.period), amount: take });
                left -= take;
            }
        }
    }
    if left.is_positive() {
        lines.push(Line { kind: LineKind::Prepaid, bill_id: None, period: None, amount: left });
    }
    lines
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    fn due(id: i64, period: &str, fee: &str, principal: &str) -> Due {
        Due { bill_id: id, period: Period::parse(period).unwrap(), late_fee: y(fee), principal: y(principal) }
    }

    fn summary(lines: &[Line]) -> Vec<(String, &'static str, String)> {
        lines
            .iter()
            .map(|l| (l.period.map(|p| p.to_string()).unwrap_or_default(), l.kind.as_str(), l.amount.to_string()))
            .collect()
    }

    #[test]
    fn oldest_first_fee_before_principal_rest_to_prepaid() {
        let dues = [due(2, "202512", "3.00", "200.00"), due(1, "202511", "5.00", "100.00")];
        let lines = allocate(&dues, y("400.00"));
        assert_eq!(
            summary(&lines),
            [
                ("202511".into(), "late_fee", "5.00".into()),
                ("202511".into(), "principal", "100.00".into()),
                ("202512".into(), "late_fee", "3.00".into()),
                ("202512".into(), "principal", "200.00".into()),
                ("".into(), "prepaid", "92.00".into()),
            ]
        );
    }

    #[test]
    fn partial_payment_stops_inside_the_oldest_period() {
        let dues = [due(1, "202511", "5.00", "100.00"), due(2, "202512", "3.00", "200.00")];
        let lines = allocate(&dues, y("3.50"));
        assert_eq!(
            summary(&lines),
            [("202511".into(), "late_fee", "3.50".into())],
            "the fee is paid before any principal"
        );
    }

    #[test]
    fn nothing_owed_all_to_prepaid() {
        assert_eq!(summary(&allocate(&[], y("50.00"))), [("".into(), "prepaid", "50.00".into())]);
    }

    prop_compose! {
        fn dues_strategy()(raw in prop::collection::vec((0i64..50_000, 0i64..5_000_000, 0u32..24), 0..12)) -> Vec<Due> {
            raw.into_iter().enumerate().map(|(i, (fee, principal, m))| {
                let period = Period::from_number(202401 + (m / 12) * 100 + m % 12).unwrap();
                Due { bill_id: i as i64, period, late_fee: Yuan::from_fen(fee), principal: Yuan::from_fen(principal) }
            }).collect()
        }
    }

    proptest! {
        #[test]
        fn allocation_invariants(dues in dues_strategy(), fen in 0i64..100_000_000) {
            let amount = Yuan::from_fen(fen);
            let lines = allocate(&dues, amount);
            let sum: Yuan = lines.iter().map(|l| l.amount).sum();
            prop_assert_eq!(sum, amount, "the lines sum to the amount paid");
            prop_assert!(lines.iter().all(|l| l.amount.is_positive()), "no zero or negative line");
            for d in &dues {
                let fee: Yuan = lines.iter().filter(|l| l.bill_id == Some(d.bill_id) && l.kind == LineKind::LateFee).map(|l| l.amount).sum();
                let principal: Yuan = lines.iter().filter(|l| l.bill_id == Some(d.bill_id) && l.kind == LineKind::Principal).map(|l| l.amount).sum();
                prop_assert!(fee <= d.late_fee && principal <= d.principal, "never more than the bill owes");
                prop_assert!(principal.is_zero() || fee == d.late_fee, "principal only after the period's fee");
            }
            // Oldest first: once a line touches a period, every earlier (period, id) due is settled.
            let mut ordered: Vec<&Due> = dues.iter().collect();
            ordered.sort_by_key(|d| (d.period, d.bill_id));
            let paid_of = |id: i64| -> Yuan { lines.iter().filter(|l| l.bill_id == Some(id)).map(|l| l.amount).sum() };
            let mut seen_unsettled = false;
            for d in ordered {
                let paid = paid_of(d.bill_id);
                prop_assert!(!(seen_unsettled && paid.is_positive()), "a later period was paid before an earlier one was settled");
                if paid < d.late_fee + d.principal { seen_unsettled = true; }
            }
            let prepaid: Yuan = lines.iter().filter(|l| l.kind == LineKind::Prepaid).map(|l| l.amount).sum();
            prop_assert!(prepaid.is_zero() || !seen_unsettled, "prepaid only after every bill is settled");
        }
    }
}
