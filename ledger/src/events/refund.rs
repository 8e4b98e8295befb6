//! Refund requests in a push, worked out in memory with the core's rules (`cashdesk::refunds`):
//! a submission stored and held (flagged when the centre's balance does not cover it), the hall's
//! decision applied (approved: received at the ledger at once), and a void that takes a balance
//! below what requests hold flagging the newest of them. Anything odd is a conflict of the event,
//! never a refusal.

use cashdesk::refunds::{self, Parties, State, Step};

use super::*;
use crate::refunds::{CENTRE, uncovered};

/// A request as a batch sees it: its row (locked), or new in this batch.
#[derive(Debug, Clone)]
pub(super) struct Req {
    /// `refunds.seq`; none while new in this batch.
    pub seq: Option<i64>,
    pub account_no: String,
    pub terminal: String,
    pub request_no: String,
    pub amount: Yuan,
    pub state: State,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub flag: Option<String>,
    /// The hall's decision, when this batch brought it.
    pub hall: Option<Hall>,
    /// Whether this batch changed it (its row is written).
    pub changed: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Hall {
    pub by: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// One step of a request's history to write; `at` none: the time of the push.
#[derive(Debug)]
pub(super) struct History {
    pub refund_id: Uuid,
    pub at: Option<DateTime<Utc>>,
    pub actor: String,
    pub step: &'static str,
    pub state: State,
    pub note: Option<String>,
}

/// What `account_no`'s requests hold at the centre: those whose state holds, not flagged.
fn held_on(refunds: &HashMap<Uuid, Req>, account_no: &str) -> Yuan {
    refunds
        .values()
        .filter(|r| r.account_no == account_no && r.state.holds() && r.flag.is_none())
        .fold(Yuan::ZERO, |sum, r| sum + r.amount)
}

fn conflict(writes: &mut Writes, c: &Checked<'_>, kind: &'static str, account_no: Option<&str>, detail: String) {
    writes.conflicts.push(Conflict {
        kind,
        event_id: c.id,
        account_no: account_no.map(str::to_string),
        amount: c.amount,
        detail,
    });
}

fn log(writes: &mut Writes, id: Uuid) {
    if !writes.refund_log.contains(&id) {
        writes.refund_log.push(id);
    }
}

/// 退费申请: a new request, held from now on; flagged when it asks more than the account's balance
/// at the centre less what its other requests hold (`refunds::refundable`).
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_submit(
    c: &Checked<'_>,
    index: usize,
    terminal: &str,
    p: &wire::RefundSubmit,
    at: DateTime<FixedOffset>,
    accounts: &HashMap<String, Acc>,
    refunds: &mut HashMap<Uuid, Req>,
    writes: &mut Writes,
) {
    let flag = match accounts.get(&p.account_no) {
        None => {
            let flag = format!("there is no account {} at the centre", p.account_no);
            conflict(
                writes,
                c,
                "refund_unknown_account",
                Some(&p.account_no),
                format!("refund request {}: {flag}", p.request_no),
            );
            Some(flag)
        }
        Some(a) => {
            let held = held_on(refunds, &p.account_no);
            let can = refunds::refundable(a.prepaid, held, None);
            match refunds::check_amount(p.amount, can) {
                Ok(()) => None,
                Err(_) => {
                    let flag = format!(
                        "more than the centre can refund: the account's balance there is {}, other requests hold {held}, so at most {can}; this request asks {}",
                        a.prepaid, p.amount
                    );
                    conflict(
                        writes,
                        c,
                        "refund_over_balance",
                        Some(&p.account_no),
                        format!("refund request {}: {flag}", p.request_no),
                    );
                    Some(flag)
                }
            }
        }
    };
    let submitted_at = at.with_timezone(&Utc);
    writes.refund_steps.push(History {
        refund_id: c.id,
        at: Some(submitted_at),
        actor: p.submitted_by.clone(),
        step: "submit",
        state: State::Submitted,
        note: None,
    });
    if let Some(f) = &flag {
        writes.refund_steps.push(History {
            refund_id: c.id,
            at: None,
            actor: CENTRE.into(),
            step: "flag",
            state: State::Submitted,
            note: Some(f.clone()),
        });
    }
    writes.refunds_new.push((c.id, index));
    refunds.insert(
        c.id,
        Req {
            seq: None,
            account_no: p.account_no.clone(),
            terminal: terminal.to_string(),
            request_no: p.request_no.clone(),
            amount: p.amount,
            state: State::Submitted,
            submitted_by: p.submitted_by.clone(),
            submitted_at,
            flag,
            hall: None,
            changed: true,
        },
    );
}

/// 营业厅审核: the hall's supervisor decided; an approved request reaches the ledger now
/// (`Step::Receive`). A decision the rules refuse changes nothing and is listed.
pub(super) fn apply_hall(
    c: &Checked<'_>,
    terminal: &str,
    p: &wire::RefundHall,
    refund_id: Uuid,
    at: DateTime<FixedOffset>,
    refunds: &mut HashMap<Uuid, Req>,
    writes: &mut Writes,
) {
    let Some(r) = refunds.get_mut(&refund_id) else {
        conflict(
            writes,
            c,
            "refund_unknown",
            None,
            format!("a hall decision for request {refund_id}, which the centre does not have"),
        );
        return;
    };
    let account_no = r.account_no.clone();
    if r.terminal != terminal {
        let detail = format!(
            "a hall decision for request {} of terminal {}, sent by terminal {terminal}",
            r.request_no, r.terminal
        );
        conflict(writes, c, "refund_terminal", Some(&account_no), detail);
        return;
    }
    let step = match p.decision {
        wire::HallDecision::Approved => Step::HallApprove,
        wire::HallDecision::Rejected => Step::HallReject,
    };
    if let Err(e) = refunds::may_act(step, &p.by, &Parties { submitted_by: &r.submitted_by, hall_approved_by: None }) {
        let detail = format!("request {}: {} decided their own request at the hall ({e})", r.request_no, p.by);
        conflict(writes, c, "refund_own", Some(&account_no), detail);
        return;
    }
    let to = match refunds::next(r.state, step) {
        Ok(to) => to,
        Err(e) => {
            let detail = format!("request {}: {e}", r.request_no);
            conflict(writes, c, "refund_state", Some(&account_no), detail);
            return;
        }
    };
    let at = at.with_timezone(&Utc);
    let reason = p.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    writes.refund_steps.push(History {
        refund_id,
        at: Some(at),
        actor: p.by.clone(),
        step: step.as_str(),
        state: to,
        note: reason.clone(),
    });
    r.state = to;
    if let Ok(received) = refunds::next(to, Step::Receive) {
        writes.refund_steps.push(History {
            refund_id,
            at: None,
            actor: CENTRE.into(),
            step: Step::Receive.as_str(),
            state: received,
            note: r.flag.clone(),
        });
        r.state = received;
    }
    r.hall = Some(Hall { by: p.by.clone(), at, reason });
    r.changed = true;
    log(writes, refund_id);
}

/// After a void: when the account's balance at the centre no longer covers what its requests
/// hold, the newest of them are flagged (`refunds::uncovered`) and the void is listed.
pub(super) fn check_holds(
    c: &Checked<'_>,
    receipt_no: &str,
    account_no: &str,
    accounts: &HashMap<String, Acc>,
    refunds: &mut HashMap<Uuid, Req>,
    writes: &mut Writes,
) {
    let Some(a) = accounts.get(account_no) else { return };
    let mut holds: Vec<(&Uuid, &Req)> =
        refunds.iter().filter(|(_, r)| r.account_no == account_no && r.state.holds() && r.flag.is_none()).collect();
    holds.sort_by_key(|(id, r)| (r.submitted_at, **id));
    let list: Vec<(Uuid, Yuan)> = holds.iter().map(|(id, r)| (**id, r.amount)).collect();
    let gone = uncovered(a.prepaid, &list);
    if gone.is_empty() {
        return;
    }
    let flag = format!(
        "the void of receipt {receipt_no} left the account {} at the centre, which no longer covers this request",
        a.prepaid
    );
    let mut numbers = Vec::new();
    for id in &gone {
        if let Some(r) = refunds.get_mut(id) {
            r.flag = Some(flag.clone());
            r.changed = true;
            numbers.push(r.request_no.clone());
            writes.refund_steps.push(History {
                refund_id: *id,
                at: None,
                actor: CENTRE.into(),
                step: "flag",
                state: r.state,
                note: Some(flag.clone()),
            });
            log(writes, *id);
        }
    }
    conflict(
        writes,
        c,
        "refund_uncovered",
        Some(account_no),
        format!(
            "void of receipt {receipt_no}: the account's balance at the centre ({}) no longer covers refund requests {}; they are flagged",
            a.prepaid,
            numbers.join(", ")
        ),
    );
}
