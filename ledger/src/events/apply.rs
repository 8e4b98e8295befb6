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
        Applied {
            terminal: c.raw.terminal.clone(),
            amount: Some(p.amount),
            receipt_no: Some(p.receipt_no.clone()),
            account_no: Some(p.account_no.clone()),
            lines: lines.clone(),
            before: before.clone(),
            voided: false,
        },
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
    if let Some(why) = void_mismatch(&c.raw.terminal, v, p) {
        conflict("void_mismatch", format!("void of receipt {}: {why}; nothing was reversed", v.receipt_no), writes);
        return;
    }
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

/// Why a void by `terminal` may not reverse the payment `p` (None: it may): only the terminal that
/// took the money voids it, for exactly its amount and receipt.
fn void_mismatch(terminal: &str, v: &wire::Void, p: &Applied) -> Option<String> {
    if p.terminal != terminal {
        return Some(format!("the payment was taken by terminal {}, not {terminal}", p.terminal));
    }
    if p.amount != Some(v.amount) {
        let paid = p.amount.map_or_else(|| "no amount".to_string(), |a| a.to_string());
        return Some(format!("the void is for {} but the payment was {paid}", v.amount));
    }
    if p.receipt_no.as_deref() != Some(v.receipt_no.as_str()) {
        let receipt = p.receipt_no.as_deref().unwrap_or("none");
        return Some(format!("the payment's receipt is {receipt}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(terminal: &str, amount: &str, receipt: &str) -> Applied {
        Applied {
            terminal: terminal.into(),
            amount: Some(Yuan::parse(amount).unwrap()),
            receipt_no: Some(receipt.into()),
            account_no: None,
            lines: Vec::new(),
            before: Vec::new(),
            voided: false,
        }
    }

    fn void(amount: &str, receipt: &str) -> wire::Void {
        serde_json::from_value(serde_json::json!({
            "event_id": Uuid::now_v7().to_string(), "voids_event_id": Uuid::now_v7().to_string(),
            "receipt_no": receipt, "amount": amount, "reason": "r", "at": "2026-11-23T10:00:00+08:00"
        }))
        .unwrap()
    }

    #[rstest::rstest]
    #[case::same_terminal_amount_and_receipt("T1", "10.00", "T1-2026-000001", None)]
    #[case::another_terminal("T2", "10.00", "T1-2026-000001", Some("taken by terminal T1"))]
    #[case::another_amount("T1", "9.99", "T1-2026-000001", Some("the void is for 9.99"))]
    #[case::another_receipt("T1", "10.00", "T1-2026-000002", Some("receipt is T1-2026-000001"))]
    fn a_void_must_match_its_payment(
        #[case] terminal: &str,
        #[case] amount: &str,
        #[case] receipt: &str,
        #[case] why: Option<&str>,
    ) {
        let got = void_mismatch(terminal, &void(amount, receipt), &paid("T1", "10.00", "T1-2026-000001"));
        match why {
            None => assert_eq!(got, None),
            Some(w) => assert!(got.as_deref().is_some_and(|g| g.contains(w)), "{got:?}"),
        }
    }
}
