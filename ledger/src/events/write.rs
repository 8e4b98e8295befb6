//! Storing a batch's effects with a few bulk statements.

use super::*;

/// $1 terminal, $2 its last seq in the batch; $3..$12 the new events; $13, $14 the accounts'
/// prepaid balances; $15..$20 the bills a payment or void changed; $21, $22 the change set's
/// accounts and bills (`change_sets`, none when both are empty).
const STORE_AND_APPLY: &str = "WITH stored AS (
    INSERT INTO events (event_id, terminal, seq, kind, payload, payload_sha256, created_at, account_no, amount, outcome, effect)
    SELECT e.id, $1, e.seq, e.kind, e.payload, e.sha, e.created, e.account_no, e.amount, e.outcome, e.effect
    FROM UNNEST($3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[],
                $11::text[], $12::text[])
         AS e(id, seq, kind, payload, sha, created, account_no, amount, outcome, effect)
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
    INSERT INTO change_sets (txid, rev, size, account_ids, bill_ids)
    SELECT pg_current_xact_id(), nextval('change_rev'), cardinality($21::bigint[]) + cardinality($22::bigint[]), $21, $22
    WHERE cardinality($21::bigint[]) + cardinality($22::bigint[]) > 0
)
UPDATE terminals SET last_seq = GREATEST(last_seq, $2), last_seen_at = now() WHERE code = $1";

pub(super) async fn write_all(
    conn: &mut PgConnection,
    terminal: &str,
    checked: &[Checked<'_>],
    w: &Writes,
    accounts: &HashMap<String, Acc>,
    bills: &HashMap<i64, Vec<Bill>>,
    dirty_bills: &HashSet<i64>,
) -> Result<(), LedgerError> {
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
    let changed: Vec<&Bill> = bills.values().flatten().filter(|b| dirty_bills.contains(&b.id)).collect();
    // The change set: the accounts changed and those whose bills changed (a pull sends a bill's
    // account with it), and the bills; each sorted, once.
    let mut set_accounts: Vec<i64> = acc_ids.clone();
    set_accounts
        .extend(bills.iter().filter(|(_, list)| list.iter().any(|b| dirty_bills.contains(&b.id))).map(|(id, _)| *id));
    set_accounts.sort_unstable();
    set_accounts.dedup();
    let mut set_bills: Vec<i64> = changed.iter().map(|b| b.id).collect();
    set_bills.sort_unstable();
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
        .bind(rows.iter().map(|c| c.amount.decimal()).collect::<Vec<Decimal>>())
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
        .execute(&mut *conn)
        .await?;
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
            Body::Deposit(d) => {
                sqlx::query(
                    "INSERT INTO deposits (event_id, terminal, bank, slip_no, amount) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(terminal)
                .bind(&d.bank)
                .bind(&d.slip_no)
                .bind(d.amount.decimal())
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
    Ok(())
}
