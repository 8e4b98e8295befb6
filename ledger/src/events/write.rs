//! Storing a batch's effects with a few bulk statements.
//!
//! Places in the change log: a push writes no `changes` rows from the sequence. Its change sets sit
//! at rev 1, 1 + `SET_MAX`, 1 + 2 × `SET_MAX`, ... of its transaction, each owning the numbers up
//! to its `rev_last`; the refund requests it moved on (kind 'r') follow at the places after the
//! last set, one each (`write_refunds`), so no two entries of the transaction share a place and
//! compaction, which turns each set into entries inside its own range, never meets them.

use std::collections::BTreeMap;

use super::*;

/// Ids in one change set, at most: a pull sends a set whole, and a counter takes pages of at most
/// `wire::MAX_PAGE` changes.
pub(super) const SET_MAX: usize = 1000;
// A page may start with a set and the account of each of its bills that moved since: twice a set.
const _: () = assert!(2 * SET_MAX as i64 <= wire::MAX_PAGE);

/// Inserts one change set (`$a` its accounts, `$b` its bills, `$r` its place; nothing when both are
/// empty). A push's transaction writes no `changes` rows, only its sets, so its places are its own:
/// set k of the batch sits at rev 1 + k × `SET_MAX` and owns the numbers up to
/// `rev_last` = rev + size - 1, where compaction turns it into one log entry per row
/// (`changes::compact`).
macro_rules! insert_set {
    ($a:literal, $b:literal, $r:literal) => {
        concat!(
            "INSERT INTO change_sets (txid, rev, rev_last, size, account_ids, bill_ids)
             SELECT pg_current_xact_id(), ",
            $r,
            "::bigint, ",
            $r,
            "::bigint + s.n - 1, s.n, ",
            $a,
            ", ",
            $b,
            " FROM (SELECT cardinality(",
            $a,
            "::bigint[]) + cardinality(",
            $b,
            "::bigint[]) AS n) AS s WHERE s.n > 0"
        )
    };
}

/// $1 terminal, $2 its last seq in the batch; $3..$12 and $23 (the receipt each claims) the new
/// events; $13, $14 the accounts' prepaid balances; $15..$20 the bills a payment or void changed;
/// $21, $22 the first change set's accounts and bills.
const STORE_AND_APPLY: &str = concat!(
    "WITH stored AS (
    INSERT INTO events (event_id, terminal, seq, kind, payload, payload_sha256, created_at, account_no, amount, outcome, effect,
                        receipt_no)
    SELECT e.id, $1, e.seq, e.kind, e.payload, e.sha, e.created, e.account_no, e.amount, e.outcome, e.effect, e.receipt_no
    FROM UNNEST($3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[],
                $11::text[], $12::text[], $23::text[])
         AS e(id, seq, kind, payload, sha, created, account_no, amount, outcome, effect, receipt_no)
), balances AS (
    UPDATE accounts SET prepaid_balance = v.prepaid FROM UNNEST($13::bigint[], $14::numeric[]) AS v(id, prepaid)
    WHERE accounts.id = v.id
), settled AS (
    UPDATE bills SET paid = v.paid, late_fee_from = v.late_fee_from, late_fee_received = v.received,
                     late_fee_waived = v.waived, late_fee_owed = v.owed
    FROM UNNEST($15::bigint[], $16::numeric[], $17::date[], $18::numeric[], $19::numeric[], $20::numeric[])
         AS v(id, paid, late_fee_from, received, waived, owed)
    WHERE bills.id = v.id
), change_set AS (
    ",
    insert_set!("$21", "$22", "1"),
    "
)
UPDATE terminals SET last_seq = GREATEST(last_seq, $2), last_seen_at = now() WHERE code = $1"
);

/// A push's change sets: each account with the bills of it that changed (none when only its
/// balance did), in sets of at most `max` ids, so that a set always holds the account of each of its
/// bills; an account with more bills than a set holds goes in several sets, each with the account.
pub(super) fn change_sets(groups: &BTreeMap<i64, Vec<i64>>, max: usize) -> Vec<(Vec<i64>, Vec<i64>)> {
    let max = max.max(2);
    let mut out = Vec::new();
    let mut set: (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
    for (&account, bills) in groups {
        let pieces: Vec<&[i64]> = if bills.is_empty() { vec![&[]] } else { bills.chunks(max - 1).collect() };
        for piece in pieces {
            if !set.0.is_empty() && set.0.len() + set.1.len() + 1 + piece.len() > max {
                out.push(std::mem::take(&mut set));
            }
            set.0.push(account);
            set.1.extend_from_slice(piece);
        }
    }
    if !set.0.is_empty() {
        out.push(set);
    }
    out
}

/// Writes the batch's events and their effects on accounts and bills; returns the first place in
/// the change log after the batch's change sets.
pub(super) async fn write_all(
    conn: &mut PgConnection,
    terminal: &str,
    checked: &[Checked<'_>],
    w: &Writes,
    accounts: &HashMap<String, Acc>,
    bills: &HashMap<i64, Vec<Bill>>,
    dirty_bills: &HashSet<i64>,
) -> Result<i64, LedgerError> {
    // The events, the balances and bills they changed, and the terminal's last seq: one statement
    // (data-modifying CTEs), one round trip. An empty array makes its part a no-op.
    let rows: Vec<&Checked<'_>> = w.events.iter().map(|(_, i, _)| &checked[*i]).collect();
    let effects = w
        .events
        .iter()
        .map(|e| w.effects.get(&e.0).map(serde_json::to_string).transpose())
        .collect::<Result<Vec<Option<String>>, _>>()
        .map_err(|e| LedgerError::Internal(format!("cannot write an event's effect: {e}")))?;
    let (acc_ids, acc_prepaid): (Vec<i64>, Vec<Decimal>) =
        accounts.values().filter(|a| a.dirty).map(|a| (a.id, a.prepaid.decimal())).unzip();
    // The bills that changed, and the change sets' groups: each changed account, and each account
    // whose bills changed with those bills.
    let mut changed: Vec<&Bill> = Vec::new();
    let mut groups: BTreeMap<i64, Vec<i64>> = acc_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (account, list) in bills {
        for b in list.iter().filter(|b| dirty_bills.contains(&b.id)) {
            changed.push(b);
            groups.entry(*account).or_default().push(b.id);
        }
    }
    let sets = change_sets(&groups, SET_MAX);
    let next_rev = 1 + i64::try_from(sets.len()).unwrap_or(i64::MAX / 2) * SET_MAX as i64;
    let mut sets = sets.into_iter();
    let (set_accounts, set_bills) = sets.next().unwrap_or_default();
    let last_seq = checked.iter().map(|c| c.raw.seq).max().unwrap_or(0);
    sqlx::query(STORE_AND_APPLY)
        .bind(terminal)
        .bind(last_seq)
        .bind(w.events.iter().map(|e| e.0).collect::<Vec<Uuid>>())
        .bind(rows.iter().map(|c| c.raw.seq).collect::<Vec<i64>>())
        .bind(rows.iter().map(|c| c.raw.kind.as_str()).collect::<Vec<&str>>())
        .bind(rows.iter().map(|c| c.raw.payload.as_str()).collect::<Vec<&str>>())
        .bind(rows.iter().map(|c| c.raw.payload_sha256.as_str()).collect::<Vec<&str>>())
        .bind(rows.iter().map(|c| c.raw.created_at.as_str()).collect::<Vec<&str>>())
        .bind(rows.iter().map(|c| c.account_no.as_deref()).collect::<Vec<Option<&str>>>())
        .bind(rows.iter().map(|c| c.amount.map(Yuan::decimal)).collect::<Vec<Option<Decimal>>>())
        .bind(w.events.iter().map(|e| e.2).collect::<Vec<&str>>())
        .bind(&effects)
        .bind(&acc_ids)
        .bind(&acc_prepaid)
        .bind(changed.iter().map(|b| b.id).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.paid.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_from).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_received.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_waived.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_owed.decimal()).collect::<Vec<_>>())
        .bind(&set_accounts)
        .bind(&set_bills)
        .bind(w.events.iter().map(|e| w.receipts.get(&e.0).map(String::as_str)).collect::<Vec<Option<&str>>>())
        .execute(&mut *conn)
        .await?;
    // A batch that changed more rows than a set holds (500 payments each settling two bills do).
    for (k, (accounts, bills)) in (1i64..).zip(sets) {
        let rev = 1 + k * SET_MAX as i64;
        sqlx::query(insert_set!("$1", "$2", "$3")).bind(&accounts).bind(&bills).bind(rev).execute(&mut *conn).await?;
    }
    if !w.vouchers_freed.is_empty() {
        sqlx::query("DELETE FROM vouchers WHERE event_id = ANY($1)")
            .bind(&w.vouchers_freed)
            .execute(&mut *conn)
            .await?;
    }
    if !w.vouchers_new.is_empty() {
        sqlx::query(
            "INSERT INTO vouchers (bank, serial, event_id) SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[])
             ON CONFLICT (bank, serial) DO NOTHING",
        )
        .bind(w.vouchers_new.iter().map(|v| v.0.clone()).collect::<Vec<_>>())
        .bind(w.vouchers_new.iter().map(|v| v.1.clone()).collect::<Vec<_>>())
        .bind(w.vouchers_new.iter().map(|v| v.2).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    for (void, target) in &w.voids {
        sqlx::query("INSERT INTO voids (event_id, voided_event_id) VALUES ($1, $2)")
            .bind(void)
            .bind(target)
            .execute(&mut *conn)
            .await?;
    }
    for (event_id, account_no, amount, reason) in &w.suspense {
        sqlx::query("INSERT INTO suspense (event_id, account_no, amount, reason) VALUES ($1, $2, $3, $4)")
            .bind(event_id)
            .bind(account_no)
            .bind(amount.decimal())
            .bind(reason)
            .execute(&mut *conn)
            .await?;
    }
    for &i in &w.rejects {
        let c = &checked[i];
        sqlx::query(
            "INSERT INTO event_rejects (event_id, terminal, seq, kind, payload, payload_sha256) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (event_id, payload_sha256) DO NOTHING",
        )
        .bind(c.id)
        .bind(terminal)
        .bind(c.raw.seq)
        .bind(&c.raw.kind)
        .bind(&c.raw.payload)
        .bind(&c.raw.payload_sha256)
        .execute(&mut *conn)
        .await?;
    }
    for k in &w.conflicts {
        sqlx::query(
            "INSERT INTO conflicts (kind, event_id, terminal, account_no, amount, detail)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE NOT EXISTS (SELECT 1 FROM conflicts WHERE kind = $1 AND event_id = $2 AND detail = $6)",
        )
        .bind(k.kind)
        .bind(k.event_id)
        .bind(terminal)
        .bind(&k.account_no)
        .bind(k.amount.map(Yuan::decimal))
        .bind(&k.detail)
        .execute(&mut *conn)
        .await?;
    }
    for (id, i, _) in &w.events {
        match &checked[*i].body {
            // In transit until the centre confirms it (`deposits`). Its time is the counter's (the
            // event's `at`; an older counter's event has none: the outbox time, which `check` read).
            Body::Deposit(d) => {
                let at = DateTime::parse_from_rfc3339(&d.at)
                    .or_else(|_| DateTime::parse_from_rfc3339(&checked[*i].raw.created_at))
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
                sqlx::query(
                    "INSERT INTO deposits (event_id, terminal, bank, slip_no, amount, cashier, deposited_at)
                     VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))",
                )
                .bind(id)
                .bind(terminal)
                .bind(&d.bank)
                .bind(&d.slip_no)
                .bind(d.amount.decimal())
                .bind(&d.cashier)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            Body::ShiftOpen(s) => {
                sqlx::query(
                    "INSERT INTO shifts (terminal, shift_id, cashier, float, opened_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (terminal, shift_id) DO NOTHING",
                )
                .bind(terminal)
                .bind(s.shift)
                .bind(&s.cashier)
                .bind(s.float.decimal())
                .bind(&s.opened_at)
                .execute(&mut *conn)
                .await?;
            }
            Body::ShiftClose(s) => {
                sqlx::query(
                    "INSERT INTO shifts (terminal, shift_id, cashier, float, opened_at, expected, counted, closed_at)
                     VALUES ($1, $2, $3, $4, '', $5, $6, $7)
                     ON CONFLICT (terminal, shift_id) DO UPDATE SET expected = $5, counted = $6, closed_at = $7",
                )
                .bind(terminal)
                .bind(s.shift)
                .bind(&s.cashier)
                .bind(s.float.decimal())
                .bind(s.expected.decimal())
                .bind(s.counted.decimal())
                .bind(&s.at)
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
    }
    Ok(next_rev)
}

/// The batch's refund requests: the new ones (the payee's account number sealed with `key`), the
/// changed ones, their history, and a change-log entry for each request moved on, from `first_rev`.
pub(super) async fn write_refunds(
    conn: &mut PgConnection,
    key: &DataKey,
    checked: &[Checked<'_>],
    w: &Writes,
    refunds: &HashMap<Uuid, refund::Req>,
    first_rev: i64,
) -> Result<(), LedgerError> {
    if !w.refunds_new.is_empty() {
        let mut n = NewRefunds::default();
        for (id, i) in &w.refunds_new {
            let (Body::RefundSubmit { p, secret, .. }, Some(r)) = (&checked[*i].body, refunds.get(id)) else {
                return Err(LedgerError::Internal(format!("refund {id} is not a submission of this batch")));
            };
            let sealed = key
                .seal(crate::datakey::PAYEE_ACCOUNT, &secret.0)
                .map_err(|e| LedgerError::Internal(format!("cannot seal a payee's account number: {e}")))?;
            let docs = serde_json::to_string(&p.docs)
                .map_err(|e| LedgerError::Internal(format!("cannot write a refund's documents: {e}")))?;
            n.id.push(*id);
            n.request_no.push(p.request_no.clone());
            n.terminal.push(r.terminal.clone());
            n.account_no.push(p.account_no.clone());
            n.amount.push(p.amount.decimal());
            n.reason.push(p.reason.as_str());
            n.reason_text.push(p.reason_text.clone());
            n.payee_name.push(p.payee_name.clone());
            n.payee_reason.push(p.payee_reason.clone());
            n.payee_bank.push(p.payee_bank.clone());
            n.payee_branch.push(p.payee_branch.clone());
            n.sealed.push(sealed);
            n.masked.push(p.payee_account_masked.clone());
            n.docs.push(docs);
            n.duplicate_of.push(p.duplicate_of.clone());
            n.state.push(r.state.as_str());
            n.submitted_by.push(p.submitted_by.clone());
            n.submitted_at.push(r.submitted_at);
            n.hall_by.push(r.hall.as_ref().map(|h| h.by.clone()));
            n.hall_at.push(r.hall.as_ref().map(|h| h.at));
            n.hall_reason.push(r.hall.as_ref().and_then(|h| h.reason.clone()));
            n.flag.push(r.flag.clone());
        }
        sqlx::query(
            "INSERT INTO refunds (refund_id, request_no, terminal, account_no, amount, reason, reason_text, payee_name,
                                  payee_reason, payee_bank, payee_branch, payee_account_sealed, payee_account_masked, docs,
                                  duplicate_of, state, submitted_by, submitted_at, hall_by, hall_at, hall_reason, flag)
             SELECT id, request_no, terminal, account_no, amount, reason, reason_text, payee_name, payee_reason, payee_bank,
                    payee_branch, sealed, masked, docs::jsonb, duplicate_of, state, submitted_by, submitted_at, hall_by,
                    hall_at, hall_reason, flag
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                         $17::text[], $18::timestamptz[], $19::text[], $20::timestamptz[], $21::text[], $22::text[])
                  AS n(id, request_no, terminal, account_no, amount, reason, reason_text, payee_name, payee_reason,
                       payee_bank, payee_branch, sealed, masked, docs, duplicate_of, state, submitted_by, submitted_at,
                       hall_by, hall_at, hall_reason, flag)",
        )
        .bind(&n.id)
        .bind(&n.request_no)
        .bind(&n.terminal)
        .bind(&n.account_no)
        .bind(&n.amount)
        .bind(&n.reason)
        .bind(&n.reason_text)
        .bind(&n.payee_name)
        .bind(&n.payee_reason)
        .bind(&n.payee_bank)
        .bind(&n.payee_branch)
        .bind(&n.sealed)
        .bind(&n.masked)
        .bind(&n.docs)
        .bind(&n.duplicate_of)
        .bind(&n.state)
        .bind(&n.submitted_by)
        .bind(&n.submitted_at)
        .bind(&n.hall_by)
        .bind(&n.hall_at)
        .bind(&n.hall_reason)
        .bind(&n.flag)
        .execute(&mut *conn)
        .await?;
    }
    let changed: Vec<(&Uuid, &refund::Req)> = refunds.iter().filter(|(_, r)| r.changed && r.seq.is_some()).collect();
    if !changed.is_empty() {
        sqlx::query(
            "UPDATE refunds r SET state = v.state, hall_by = COALESCE(v.hall_by, r.hall_by),
                    hall_at = COALESCE(v.hall_at, r.hall_at), hall_reason = COALESCE(v.hall_reason, r.hall_reason),
                    flag = COALESCE(r.flag, v.flag)
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
                  AS v(id, state, hall_by, hall_at, hall_reason, flag)
             WHERE r.refund_id = v.id",
        )
        .bind(changed.iter().map(|(id, _)| **id).collect::<Vec<Uuid>>())
        .bind(changed.iter().map(|(_, r)| r.state.as_str()).collect::<Vec<&str>>())
        .bind(changed.iter().map(|(_, r)| r.hall.as_ref().map(|h| h.by.clone())).collect::<Vec<Option<String>>>())
        .bind(changed.iter().map(|(_, r)| r.hall.as_ref().map(|h| h.at)).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(
            changed
                .iter()
                .map(|(_, r)| r.hall.as_ref().and_then(|h| h.reason.clone()))
                .collect::<Vec<Option<String>>>(),
        )
        .bind(changed.iter().map(|(_, r)| r.flag.clone()).collect::<Vec<Option<String>>>())
        .execute(&mut *conn)
        .await?;
    }
    if !w.refund_steps.is_empty() {
        let h = &w.refund_steps;
        sqlx::query(
            "INSERT INTO refund_history (refund_id, at, actor, step, state, note)
             SELECT id, COALESCE(at, now()), actor, step, state, note
             FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
                  WITH ORDINALITY AS s(id, at, actor, step, state, note, n)
             ORDER BY n",
        )
        .bind(h.iter().map(|s| s.refund_id).collect::<Vec<Uuid>>())
        .bind(h.iter().map(|s| s.at).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(h.iter().map(|s| s.actor.as_str()).collect::<Vec<&str>>())
        .bind(h.iter().map(|s| s.step).collect::<Vec<&str>>())
        .bind(h.iter().map(|s| s.state.as_str()).collect::<Vec<&str>>())
        .bind(h.iter().map(|s| s.note.clone()).collect::<Vec<Option<String>>>())
        .execute(&mut *conn)
        .await?;
    }
    if !w.refund_log.is_empty() {
        sqlx::query(
            "INSERT INTO changes (txid, rev, kind, row_id)
             SELECT pg_current_xact_id(), $1::bigint + u.n - 1, 'r', r.seq
             FROM UNNEST($2::uuid[]) WITH ORDINALITY AS u(id, n) JOIN refunds r ON r.refund_id = u.id",
        )
        .bind(first_rev)
        .bind(&w.refund_log)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The columns of the new requests, one array each (`UNNEST`).
#[derive(Debug, Default)]
struct NewRefunds {
    id: Vec<Uuid>,
    request_no: Vec<String>,
    terminal: Vec<String>,
    account_no: Vec<String>,
    amount: Vec<Decimal>,
    reason: Vec<&'static str>,
    reason_text: Vec<Option<String>>,
    payee_name: Vec<String>,
    payee_reason: Vec<Option<String>>,
    payee_bank: Vec<String>,
    payee_branch: Vec<String>,
    sealed: Vec<String>,
    masked: Vec<String>,
    docs: Vec<String>,
    duplicate_of: Vec<Option<String>>,
    state: Vec<&'static str>,
    submitted_by: Vec<String>,
    submitted_at: Vec<DateTime<Utc>>,
    hall_by: Vec<Option<String>>,
    hall_at: Vec<Option<DateTime<Utc>>>,
    hall_reason: Vec<Option<String>>,
    flag: Vec<Option<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_sets_hold_each_bills_account_and_stay_under_the_limit() {
        let groups: BTreeMap<i64, Vec<i64>> =
            [(1, vec![]), (2, vec![20, 21]), (3, (300..310).collect()), (4, vec![40])].into_iter().collect();
        let sets = change_sets(&groups, 4);
        for (accounts, bills) in &sets {
            assert!(accounts.len() + bills.len() <= 4, "{sets:?}");
            for b in bills {
                let owner = groups.iter().find(|(_, list)| list.contains(b)).map(|(a, _)| *a);
                assert!(owner.is_some_and(|a| accounts.contains(&a)), "bill {b} without its account: {sets:?}");
            }
        }
        let all_bills: Vec<i64> = sets.iter().flat_map(|s| s.1.clone()).collect();
        assert_eq!(all_bills.len(), 13);
        let mut all_accounts: Vec<i64> = sets.iter().flat_map(|s| s.0.clone()).collect();
        all_accounts.dedup();
        assert_eq!(all_accounts, [1, 2, 3, 4]);
        // One set when everything fits, none when nothing changed.
        assert_eq!(change_sets(&groups, SET_MAX), vec![(vec![1, 2, 3, 4], all_bills)]);
        assert!(change_sets(&BTreeMap::new(), SET_MAX).is_empty());
    }
}
