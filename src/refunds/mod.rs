//! 退费: refund requests, as pure rules (DOMAIN.md "Voids and refunds"; the papers' 营销审核 →
//! 财务复核 → 付款 → 反馈). No SQL here: the counter's `desk` and the ledger load a request, ask
//! these functions, and store what they answer.
//!
//! The state machine:
//!
//! ```text
//! submitted ──hall approve──▶ hall_approved ──reaches the ledger──▶ at_ledger ──finance approve──▶ finance_approved ──pay──▶ paid
//!     │                                                                │                                  ┆ (flagged only)
//!     └──hall reject──▶ hall_rejected                                   └──finance reject──▶ finance_rejected ◀┄┄finance reject┄┘
//! ```
//!
//! A request the centre flags after finance approved it (a later void left the balance short) is
//! never paid; finance rejects it from `finance_approved` ([`next_flagged`]) rather than leave it
//! stuck. An approval of a request that is not flagged stands: a second reviewer is told who
//! approved it, and cannot overturn it.
//!
//! Invariants:
//! - every other transition is refused with `REFUND_STATE`, naming the state and the step;
//! - the amount is **held** from submission until a rejection or the payout: held money pays no bill
//!   and is not refunded twice ([`State::holds`]); at the payout the balance falls by the amount;
//! - nobody acts on their own request: the hall approver is a supervisor other than the submitter,
//!   and the finance reviewer (a ledger user) is neither the submitter nor the hall approver (the
//!   same person has the same user name at the counter and at the centre);
//! - the refundable amount is the prepaid balance less what other requests hold; for a duplicate
//!   payment, at most that payment's amount not already refunded ([`refundable`]);
//! - a payout pays exactly the amount approved.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{calendar::Calendar, money::Yuan};

/// 退费原因.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 多缴: paid more than was owed.
    Overpaid,
    /// 重复缴费: paid the same twice (names the receipt).
    Duplicate,
    /// 销户余额: the balance of an account being closed.
    Closure,
    /// 电费差错退补: billed in error (a wrong meter reading).
    BillingError,
    /// 其他: said in words.
    Other,
}

impl Reason {
    pub const ALL: [Reason; 5] =
        [Reason::Overpaid, Reason::Duplicate, Reason::Closure, Reason::BillingError, Reason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Overpaid => "overpaid",
            Reason::Duplicate => "duplicate",
            Reason::Closure => "closure",
            Reason::BillingError => "billing_error",
            Reason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// As printed.
    pub fn label_zh(self) -> &'static str {
        match self {
            Reason::Overpaid => "多缴",
            Reason::Duplicate => "重复缴费",
            Reason::Closure => "销户余额",
            Reason::BillingError => "电费差错退补",
            Reason::Other => "其他",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 已提交: waiting for the hall's supervisor.
    Submitted,
    /// 营业厅已审核: waiting to reach the ledger.
    HallApproved,
    /// 营业厅驳回.
    HallRejected,
    /// 待财务复核: at the ledger.
    AtLedger,
    /// 财务已复核: waiting for the payout.
    FinanceApproved,
    /// 财务驳回.
    FinanceRejected,
    /// 已付款.
    Paid,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Submitted,
        State::HallApproved,
        State::HallRejected,
        State::AtLedger,
        State::FinanceApproved,
        State::FinanceRejected,
        State::Paid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::HallApproved => "hall_approved",
            State::HallRejected => "hall_rejected",
            State::AtLedger => "at_ledger",
            State::FinanceApproved => "finance_approved",
            State::FinanceRejected => "finance_rejected",
            State::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Submitted => "待营业厅审核",
            State::HallApproved => "营业厅已审核",
            State::HallRejected => "营业厅驳回",
            State::AtLedger => "待财务复核",
            State::FinanceApproved => "财务已复核，待付款",
            State::FinanceRejected => "财务驳回",
            State::Paid => "已付款",
        }
    }

    /// Whether the amount is held in this state (not spendable, not refundable again).
    pub fn holds(self) -> bool {
        matches!(self, State::Submitted | State::HallApproved | State::AtLedger | State::FinanceApproved)
    }

    /// Whether nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, State::HallRejected | State::FinanceRejected | State::Paid)
    }
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    HallApprove,
    HallReject,
    /// The ledger received the hall-approved request.
    Receive,
    FinanceApprove,
    FinanceReject,
    Pay,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::HallApprove => "hall_approve",
            Step::HallReject => "hall_reject",
            Step::Receive => "receive",
            Step::FinanceApprove => "finance_approve",
            Step::FinanceReject => "finance_reject",
            Step::Pay => "pay",
        }
    }
}

/// Why a refund rule refused. Each has a stable code (`REFUND_…`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("a request that is {state} cannot be {step}: it is {label} now")]
    State { state: &'static str, step: &'static str, label: &'static str },
    #[error(
        "at most {refundable} can be refunded (the prepaid balance less what other requests hold); {amount} is more"
    )]
    Amount { amount: String, refundable: String },
    #[error("nobody reviews a request they submitted or approved: another {role} must")]
    Own { role: &'static str },
    #[error("{field}: {reason}")]
    Input { field: &'static str, reason: String },
    #[error("the payout must be the amount approved, {approved}")]
    PayoutAmount { approved: String },
}

impl RefundError {
    /// The values the UI's message needs.
    pub fn params(&self) -> std::collections::BTreeMap<String, String> {
        let mut p = std::collections::BTreeMap::new();
        match self {
            RefundError::State { state, step, .. } => {
                p.insert("state".into(), (*state).into());
                p.insert("step".into(), (*step).into());
            }
            RefundError::Amount { amount, refundable } => {
                p.insert("amount".into(), amount.clone());
                p.insert("refundable".into(), refundable.clone());
            }
            RefundError::Own { role } => {
                p.insert("role".into(), (*role).into());
            }
            RefundError::Input { field, reason } => {
                p.insert("field".into(), (*field).into());
                p.insert("reason".into(), reason.clone());
            }
            RefundError::PayoutAmount { approved } => {
                p.insert("approved".into(), approved.clone());
            }
        }
        p
    }

    pub fn code(&self) -> &'static str {
        match self {
            RefundError::State { .. } => "REFUND_STATE",
            RefundError::Amount { .. } => "REFUND_AMOUNT",
            RefundError::Own { .. } => "REFUND_OWN",
            RefundError::Input { .. } => "REFUND_INPUT",
            RefundError::PayoutAmount { .. } => "REFUND_PAYOUT_AMOUNT",
        }
    }
}

/// The state after `step` from `state`, or why not.
pub fn next(state: State, step: Step) -> Result<State, RefundError> {
    use State as S;
    use Step as T;
    match (state, step) {
        (S::Submitted, T::HallApprove) => Ok(S::HallApproved),
        (S::Submitted, T::HallReject) => Ok(S::HallRejected),
        (S::HallApproved, T::Receive) => Ok(S::AtLedger),
        (S::AtLedger, T::FinanceApprove) => Ok(S::FinanceApproved),
        (S::AtLedger, T::FinanceReject) => Ok(S::FinanceRejected),
        (S::FinanceApproved, T::Pay) => Ok(S::Paid),
        _ => Err(RefundError::State { state: state.as_str(), step: step.as_str(), label: state.label_zh() }),
    }
}

/// [`next`] for a request the centre has flagged or not: a flagged request may also be rejected
/// after finance approved it (it is never paid).
pub fn next_flagged(state: State, step: Step, flagged: bool) -> Result<State, RefundError> {
    match (state, step) {
        (State::FinanceApproved, Step::FinanceReject) if flagged => Ok(State::FinanceRejected),
        _ => next(state, step),
    }
}

/// Who took part in a request so far (user names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties<'a> {
    pub submitted_by: &'a str,
    pub hall_approved_by: Option<&'a str>,
}

/// Whether `who` may take `step` on a request with these parties: nobody on their own request.
/// (The role each step needs is the role matrix's, on the side where it happens.)
pub fn may_act(step: Step, who: &str, p: &Parties<'_>) -> Result<(), RefundError> {
    match step {
        Step::HallApprove | Step::HallReject if who == p.submitted_by => Err(RefundError::Own { role: "supervisor" }),
        Step::FinanceApprove | Step::FinanceReject if who == p.submitted_by || p.hall_approved_by == Some(who) => {
            Err(RefundError::Own { role: "finance reviewer" })
        }
        _ => Ok(()),
    }
}

/// What can be refunded from an account now: its prepaid balance less what other requests hold;
/// for a duplicate payment also at most that payment's amount less what was already refunded
/// against it (requests held or paid). Never below zero.
pub fn refundable(balance: Yuan, held: Yuan, duplicate_of: Option<(Yuan, Yuan)>) -> Yuan {
    let free = (balance - held).max(Yuan::ZERO);
    match duplicate_of {
        Some((paid, refunded)) => free.min((paid - refunded).max(Yuan::ZERO)),
        None => free,
    }
}

/// A request's amount against what is refundable.
pub fn check_amount(amount: Yuan, refundable: Yuan) -> Result<(), RefundError> {
    if !amount.is_positive() {
        return Err(RefundError::Input { field: "amount", reason: "must be more than 0.00".into() });
    }
    if amount > refundable {
        return Err(RefundError::Amount { amount: amount.to_string(), refundable: refundable.to_string() });
    }
    Ok(())
}

/// The payout pays exactly the amount approved.
pub fn check_payout(paid: Yuan, approved: Yuan) -> Result<(), RefundError> {
    if paid != approved {
        return Err(RefundError::PayoutAmount { approved: approved.to_string() });
    }
    Ok(())
}

/// A request waits too long when it is not final `days` working days after its submission
/// (policy; default 10).
pub fn is_overdue(state: State, submitted_on: NaiveDate, today: NaiveDate, days: u32, calendar: &Calendar) -> bool {
    if state.is_final() {
        return false;
    }
    today > calendar.add_working_days(submitted_on, days)
}

/// 收款账号: a bank account number as typed (spaces and hyphens dropped, full-width digits read),
/// 8–30 digits.
pub fn account_number(typed: &str) -> Result<String, RefundError> {
    let n = crate::input::number(typed);
    if (8..=30).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) {
        Ok(n)
    } else {
        Err(RefundError::Input { field: "payee_account", reason: "a bank account number is 8-30 digits".into() })
    }
}

/// A bank account number as shown everywhere but the application form: `6222 **** **** 1234`.
pub fn mask_account(number: &str) -> String {
    let n: Vec<char> = number.chars().collect();
    if n.len() < 8 {
        return "*".repeat(n.len());
    }
    let head: String = n[..4].iter().collect();
    let tail: String = n[n.len() - 4..].iter().collect();
    format!("{head} **** **** {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    /// Every (state, step) pair: the six legal transitions, and every other one refused.
    #[test]
    fn every_illegal_transition_is_refused() {
        let legal = [
            (State::Submitted, Step::HallApprove, State::HallApproved),
            (State::Submitted, Step::HallReject, State::HallRejected),
            (State::HallApproved, Step::Receive, State::AtLedger),
            (State::AtLedger, Step::FinanceApprove, State::FinanceApproved),
            (State::AtLedger, Step::FinanceReject, State::FinanceRejected),
            (State::FinanceApproved, Step::Pay, State::Paid),
        ];
        let steps =
            [Step::HallApprove, Step::HallReject, Step::Receive, Step::FinanceApprove, Step::FinanceReject, Step::Pay];
        let mut refused = 0;
        for state in State::ALL {
            for step in steps {
                match legal.iter().find(|(s, t, _)| *s == state && *t == step) {
                    Some((_, _, to)) => assert_eq!(next(state, step), Ok(*to)),
                    None => {
                        let e = next(state, step).unwrap_err();
                        assert_eq!(e.code(), "REFUND_STATE", "{state:?} {step:?}");
                        refused += 1;
                    }
                }
            }
        }
        assert_eq!(refused, 7 * 6 - 6);
        // A flagged request: the same, and rejected after approval too.
        assert_eq!(next_flagged(State::FinanceApproved, Step::FinanceReject, true), Ok(State::FinanceRejected));
        assert_eq!(
            next_flagged(State::FinanceApproved, Step::FinanceReject, false).unwrap_err().code(),
            "REFUND_STATE"
        );
        assert_eq!(next_flagged(State::AtLedger, Step::FinanceApprove, true), Ok(State::FinanceApproved));
    }

    #[rstest]
    #[case::submitted(State::Submitted, true)]
    #[case::hall_approved(State::HallApproved, true)]
    #[case::at_ledger(State::AtLedger, true)]
    #[case::finance_approved(State::FinanceApproved, true)]
    #[case::hall_rejected(State::HallRejected, false)]
    #[case::finance_rejected(State::FinanceRejected, false)]
    #[case::paid(State::Paid, false)]
    fn the_amount_is_held_until_a_rejection_or_the_payout(#[case] s: State, #[case] holds: bool) {
        assert_eq!(s.holds(), holds);
    }

    #[rstest]
    #[case::supervisor_on_own(Step::HallApprove, "super1", false)]
    #[case::supervisor_on_a_cashiers(Step::HallApprove, "super2", true)]
    #[case::reject_own(Step::HallReject, "super1", false)]
    #[case::finance_who_submitted(Step::FinanceApprove, "super1", false)]
    #[case::finance_who_approved_at_the_hall(Step::FinanceReject, "super2", false)]
    #[case::another_finance(Step::FinanceApprove, "finance1", true)]
    #[case::payout_by_anyone_of_finance(Step::Pay, "super1", true)]
    fn nobody_acts_on_their_own_request(#[case] step: Step, #[case] who: &str, #[case] ok: bool) {
        let p = Parties { submitted_by: "super1", hall_approved_by: Some("super2") };
        assert_eq!(may_act(step, who, &p).is_ok(), ok);
    }

    #[rstest]
    #[case::the_balance("300.00", "0.00", None, "300.00")]
    #[case::less_what_is_held("300.00", "120.00", None, "180.00")]
    #[case::held_more_than_the_balance("100.00", "120.00", None, "0.00")]
    #[case::a_duplicate_at_most_its_payment("800.00", "0.00", Some(("500.00", "0.00")), "500.00")]
    #[case::a_duplicate_partly_refunded("800.00", "0.00", Some(("500.00", "400.00")), "100.00")]
    #[case::a_duplicate_capped_by_the_balance("300.00", "0.00", Some(("500.00", "0.00")), "300.00")]
    fn what_is_refundable(
        #[case] balance: &str,
        #[case] held: &str,
        #[case] dup: Option<(&str, &str)>,
        #[case] want: &str,
    ) {
        assert_eq!(refundable(y(balance), y(held), dup.map(|(a, b)| (y(a), y(b)))), y(want));
    }

    #[test]
    fn amounts_and_payouts_are_checked() {
        assert!(check_amount(y("100.00"), y("100.00")).is_ok());
        assert_eq!(check_amount(y("100.01"), y("100.00")).unwrap_err().code(), "REFUND_AMOUNT");
        assert_eq!(check_amount(Yuan::ZERO, y("100.00")).unwrap_err().code(), "REFUND_INPUT");
        assert!(check_payout(y("88.00"), y("88.00")).is_ok());
        assert_eq!(check_payout(y("87.99"), y("88.00")).unwrap_err().code(), "REFUND_PAYOUT_AMOUNT");
    }

    #[test]
    fn a_request_waiting_ten_working_days_is_overdue() {
        let cal = Calendar::shipped();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Submitted Friday 2026-09-18; 10 working days: 09-20 (调休 Sunday), 09-21..09-24,
        // 09-28..09-30 (09-25..27 off), 10-08, 10-09 (10-01..07 off): due 2026-10-09.
        assert!(!is_overdue(State::AtLedger, d("2026-09-18"), d("2026-10-09"), 10, &cal));
        assert!(is_overdue(State::AtLedger, d("2026-09-18"), d("2026-10-10"), 10, &cal));
        assert!(!is_overdue(State::Paid, d("2026-09-18"), d("2026-12-01"), 10, &cal), "a final request is not late");
    }

    #[test]
    fn account_numbers_are_read_and_masked() {
        assert_eq!(account_number("6222 0212-3456 7890 1234").unwrap(), "62220212345678901234");
        assert_eq!(account_number("１２３").unwrap_err().code(), "REFUND_INPUT");
        assert_eq!(mask_account("62220212345678901234"), "6222 **** **** 1234");
    }
}
