//! Each new event's effect on the accounts, worked out in memory with the core's rules.

use cashdesk::payments::settle;

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn apply_taking(
    c: &Checked<'_>,
    vend: bool,
    p: &wire::Taking,
    on: NaiveDate,
    policy: &Policy,
    accounts: &mut HashMap<String, Acc>,
    bills: &mut HashMap<i64, Vec<Bill>>,
    dirty_bills: &mut HashSet<i64>,
    writes: &mut Writes,
    applied: &mut HashMap<Uuid, Applied>,
) {
    let mut lines = Vec::new();
    let mut before = Vec::new();
    let suspend = |reason: &'static str, detail: String, writes: &mut Writes, lines: &mut Vec<AppliedLine>| {
        writes.suspense.push((c.id, Some(p.account_no.clone()), p.amount, reason));
        writes.conflicts.push(Conflict {
            kind: reason,
            event_id: c.id,
            account_no: Some(p.account_no.clone()),
            amount: Some(p.amount),
            detail,
        });
        lines.push(AppliedLine { kind: "suspense".into(), bill_id: None, period: None, amount: p.amount });
    };
    match accounts.get_mut(&p.account_no) {
        None => suspend(
            "unknown_account",
            format!("receipt {}: no account {} at the centre; the money is in suspense", p.receipt_no, p.account_no),
            writes,
            &mut lines,
        ),
        Some(a) if a.closed => suspend(
            "account_closed",
            format!("receipt {}: account {} is closed centrally; the money is in suspense", p.receipt_no, p.account_no),
            writes,
            &mut lines,
        ),
        Some(a) if vend => {
            a.prepaid += p.amount;
            a.dirty = true;
            lines.push(AppliedLine { kind: "prepaid".into(), bill_id: None, period: None, amount: p.amount });
        }
        Some(a) => {
            let open = bills.entry(a.id).or_default();
            let waive = p.waiver_reason.is_some() || p.late_fee_waived.is_some_and(|w| w.is_positive());
            let s = settle::settle(open, a.category, on, &policy.late_fee, p.amount, waive);
            for ch in &s.changes {
                if let Some(b) = open.iter_mut().find(|b| b.id == ch.bill_id) {
                    before.push(Before {
                        bill_id: b.id,
                        late_fee_from: b.late_fee_from,
                        late_fee_owed: b.late_fee_owed,
                        waived_now: ch.late_fee_waived,
                    });
                    settle::apply_change(b, ch, on);
                    dirty_bills.insert(b.id);
                }
            }
            if s.prepaid().is_positive() {
                a.prepaid += s.prepaid();
                a.dirty = true;
            }
            lines = s
                .lines
                .iter()
                .map(|l| AppliedLine {
                    kind: l.kind.as_str().to_string(),
                    bill_id: l.bill_id,
                    period: l.period.map(|p| p.number() as i32),
                    amount: l.amount,
                })
                .collect();
            let ours: Vec<(Option<String>, &str, Yuan)> =
                s.lines.iter().map(|l| (l.period.map(|p| p.to_string()), l.kind.as_str(), l.amount)).collect();
            let theirs: Vec<(Option<String>, &str, Yuan)> =
                p.lines.iter().map(|l| (l.period.clone(), l.kind.as_str(), l.amount)).collect();
            if ours != theirs {
                let extra = s.prepaid();
                writes.conflicts.push(Conflict {
                    kind: "allocation_differs",
                    event_id: c.id,
                    account_no: Some(p.account_no.clone()),
                    amount: Some(p.amount),
                    detail: format!(
                        "receipt {}: the counter applied {} but the centre's bills (another payment got there first?) take {}; {} went to the prepaid balance",
                        p.receipt_no,
                        describe(&theirs),
                        describe(&ours),
                        extra
                    ),
                });
            }
        }
    }
    applied.insert(
        c.id,
        Applied { account_no: Some(p.account_no.clone()), lines: lines.clone(), before: before.clone(), voided: false },
    );
    writes.effects.insert(c.id, Effect { lines, before });
}

pub(super) fn describe(lines: &[(Option<String>, &str, Yuan)]) -> String {
    lines.iter().map(|(p, k, a)| format!("{} {k} {a}", p.as_deref().unwrap_or("-"))).collect::<Vec<_>>().join("; ")
}

#[allow(clippy::too_many_arguments)]
pub(super) fn apply_void(
    c: &Checked<'_>,
    v: &wire::Void,
    accounts: &mut HashMap<String, Acc>,
    bills: &mut HashMap<i64, Vec<Bill>>,
    dirty_bills: &mut HashSet<i64>,
    writes: &mut Writes,
    applied: &mut HashMap<Uuid, Applied>,
    vouchers: &mut HashMap<(String, String), Uuid>,
) {
    let Ok(target) = Uuid::parse_str(&v.voids_event_id) else { return };
    let conflict = |kind: &'static str, detail: String, writes: &mut Writes| {
        writes.conflicts.push(Conflict { kind, event_id: c.id, account_no: None, amount: Some(v.amount), detail });
    };
    let Some(p) = applied.get_mut(&target) else {
        conflict(
            "void_unknown",
            format!("void of receipt {}: the centre has no payment event {target}", v.receipt_no),
            writes,
        );
        return;
    };
    if p.voided {
        conflict("void_twice", format!("receipt {} is already void at the centre", v.receipt_no), writes);
        return;
    }
    p.voided = true;
    writes.voids.push((c.id, target));
    writes.vouchers_freed.push(target);
    vouchers.retain(|_, id| *id != target);
    let account = p.account_no.as_ref().and_then(|no| accounts.get_mut(no));
    let mut prepaid = Yuan::ZERO;
    let mut suspended = Yuan::ZERO;
    for l in &p.lines {
        match (l.kind.as_str(), l.bill_id) {
            ("prepaid", _) => prepaid += l.amount,
            ("suspense", _) => suspended += l.amount,
            (kind, Some(bill_id)) => {
                if let Some(b) = bills.values_mut().flat_map(|v| v.iter_mut()).find(|b| b.id == bill_id) {
                    if kind == "principal" {
                        b.paid -= l.amount;
                    } else {
                        b.late_fee_received -= l.amount;
                    }
                    dirty_bills.insert(bill_id);
                }
            }
            _ => {}
        }
    }
    for before in &p.before {
        if let Some(b) = bills.values_mut().flat_map(|v| v.iter_mut()).find(|b| b.id == before.bill_id) {
            b.late_fee_from = before.late_fee_from;
            b.late_fee_owed = before.late_fee_owed;
            b.late_fee_waived -= before.waived_now;
            dirty_bills.insert(b.id);
        }
    }
    if suspended.is_positive() {
        writes.suspense.push((c.id, p.account_no.clone(), -suspended, "void"));
    }
    if let Some(a) = account {
        let take = prepaid.min(a.prepaid);
        if take.is_positive() {
            a.prepaid -= take;
            a.dirty = true;
        }
        if take < prepaid {
            writes.suspense.push((c.id, p.account_no.clone(), -(prepaid - take), "void_overdrawn"));
            conflict(
                "void_overdrawn",
                format!(
                    "void of receipt {}: {} of its prepaid credit was already used centrally",
                    v.receipt_no,
                    prepaid - take
                ),
                writes,
            );
        }
    }
}
