//! Reading (and locking, in id order) what a batch touches.

use crate::db::yuan;

use super::*;

/// The ledger's current policy (the shipped default until one is stored).
pub async fn load_policy(conn: &mut PgConnection) -> Result<Policy, LedgerError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT body FROM policy WHERE id = 1").fetch_optional(&mut *conn).await?;
    policy_from(row.map(|r| r.0))
}

/// The policy stored as `body` (the shipped default when there is none).
pub(super) fn policy_from(body: Option<String>) -> Result<Policy, LedgerError> {
    match body {
        Some(body) => {
            Policy::from_json(&body).map_err(|e| LedgerError::Internal(format!("the stored policy is invalid: {e}")))
        }
        None => Ok(Policy::default()),
    }
}

pub(super) async fn load_applied(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Applied>, LedgerError> {
    let mut out: HashMap<Uuid, Applied> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    type Row = (Uuid, String, Option<Decimal>, Option<String>, Option<String>, bool, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT e.event_id, e.terminal, e.amount, e.payload::jsonb ->> 'receipt_no', e.account_no,
                EXISTS (SELECT 1 FROM voids v WHERE v.voided_event_id = e.event_id), e.effect
         FROM events e WHERE e.event_id = ANY($1) AND e.kind IN ('payment', 'vend')",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (id, terminal, amount, receipt_no, account_no, voided, effect) in rows {
        let effect: Effect = match effect {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| LedgerError::Internal(format!("event {id} has an unreadable effect: {e}")))?,
            None => Effect::default(),
        };
        let amount = amount.map(crate::db::yuan);
        out.insert(
            id,
            Applied { terminal, amount, receipt_no, account_no, lines: effect.lines, before: effect.before, voided },
        );
    }
    Ok(out)
}

/// The receipt numbers of `terminal` that the new payments and vends of a batch name and that an
/// earlier event already claimed.
pub(super) async fn load_receipts(
    conn: &mut PgConnection,
    terminal: &str,
    checked: &[Checked<'_>],
    fresh: &[usize],
) -> Result<HashSet<String>, LedgerError> {
    let nos: Vec<&str> = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::Taking { p, .. } => Some(p.receipt_no.as_str()),
            _ => None,
        })
        .collect();
    if nos.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT receipt_no FROM events WHERE terminal = $1 AND receipt_no = ANY($2)")
            .bind(terminal)
            .bind(&nos)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

pub(super) async fn load_accounts(
    conn: &mut PgConnection,
    nos: &[String],
) -> Result<HashMap<String, Acc>, LedgerError> {
    if nos.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String, bool, Decimal)> = sqlx::query_as(
        "SELECT id, account_no, category, closed, prepaid_balance FROM accounts WHERE account_no = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(nos)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for (id, no, category, closed, prepaid) in rows {
        let category = Category::parse(&category)
            .ok_or_else(|| LedgerError::Internal(format!("account {no} has an unknown category {category}")))?;
        out.insert(no, Acc { id, category, closed, prepaid: yuan(prepaid), dirty: false });
    }
    Ok(out)
}

pub(super) type BillRow =
    (i64, i64, i32, String, Decimal, Decimal, NaiveDate, NaiveDate, Decimal, Decimal, Decimal, bool);

/// The open bills of `account_ids`, and the bills `bill_ids` (those a void gives back money to).
///
/// Not locked here: a bill changes only in a push (imports add bills, never change them), and a
/// push holds its accounts' row locks (`load_accounts`), which covers their bills. Two queries, not
/// one with `OR`: PostgreSQL would recheck `= ANY(array)` element by element on every row it read.
pub(super) async fn load_bills(
    conn: &mut PgConnection,
    account_ids: &[i64],
    bill_ids: &[i64],
) -> Result<HashMap<i64, Vec<Bill>>, LedgerError> {
    macro_rules! select_bills {
        ($where:literal) => {
            concat!(
                "SELECT id, account_id, period, kwh, amount, paid, due_date, late_fee_from, late_fee_received,
                        late_fee_waived, late_fee_owed, written_off FROM bills WHERE ",
                $where
            )
        };
    }
    let mut rows: Vec<BillRow> = Vec::new();
    if !account_ids.is_empty() {
        rows = sqlx::query_as(select_bills!("account_id = ANY($1) AND paid < amount"))
            .bind(account_ids)
            .fetch_all(&mut *conn)
            .await?;
    }
    let have: HashSet<i64> = rows.iter().map(|r| r.0).collect();
    let more: Vec<i64> = bill_ids.iter().copied().filter(|id| !have.contains(id)).collect();
    if !more.is_empty() {
        rows.extend(
            sqlx::query_as::<_, BillRow>(select_bills!("id = ANY($1)")).bind(&more).fetch_all(&mut *conn).await?,
        );
    }
    rows.sort_by_key(|r| r.0);
    let mut out: HashMap<i64, Vec<Bill>> = HashMap::new();
    for (id, account_id, period, kwh, amount, paid, due, from, received, waived, owed, written_off) in rows {
        let period = u32::try_from(period)
            .ok()
            .and_then(Period::from_number)
            .ok_or_else(|| LedgerError::Internal(format!("bill {id} has an invalid period {period}")))?;
        out.entry(account_id).or_default().push(Bill {
            id,
            period,
            kwh,
            amount: yuan(amount),
            paid: yuan(paid),
            due_date: due,
            late_fee_from: from,
            late_fee_received: yuan(received),
            late_fee_waived: yuan(waived),
            late_fee_owed: yuan(owed),
            written_off,
        });
    }
    Ok(out)
}

pub(super) async fn load_vouchers(
    conn: &mut PgConnection,
    checked: &[Checked<'_>],
    fresh: &[usize],
) -> Result<HashMap<(String, String), Uuid>, LedgerError> {
    let (banks, serials): (Vec<String>, Vec<String>) = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::Taking { p, .. } => p.voucher.as_ref().map(|v| (v.bank.clone(), v.serial.clone())),
            _ => None,
        })
        .unzip();
    if banks.is_empty() {
        return Ok(HashMap::new());
    }
    // Two terminals pushing the same slip at the same moment: a lock per slip (taken in one order,
    // after the account rows) makes the second see the first's row and list the reuse.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(h) FROM (
             SELECT DISTINCT hashtext('voucher:' || b || ':' || s) AS h FROM UNNEST($1::text[], $2::text[]) AS k(b, s)
         ) AS locks ORDER BY h",
    )
    .bind(&banks)
    .bind(&serials)
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(String, String, Uuid)> = sqlx::query_as(
        "SELECT v.bank, v.serial, v.event_id FROM vouchers v JOIN UNNEST($1::text[], $2::text[]) AS k(bank, serial)
         ON v.bank = k.bank AND v.serial = k.serial",
    )
    .bind(&banks)
    .bind(&serials)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(b, s, id)| ((b, s), id)).collect())
}

/// The accounts of the requests `ids` (a hall decided them): read without a lock, so that the
/// accounts can be locked first (a request's account never changes).
pub(super) async fn load_refund_accounts(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<String>, LedgerError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT account_no FROM refunds WHERE refund_id = ANY($1)")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|(no,)| no).collect())
}

type RefundRow = (Uuid, i64, String, String, String, Decimal, String, String, DateTime<Utc>, Option<String>);

/// The requests that hold money on `accounts`, and the requests `ids`, locked in id order (after
/// their accounts, which the caller locked).
pub(super) async fn load_refunds(
    conn: &mut PgConnection,
    accounts: &[String],
    ids: &[Uuid],
) -> Result<HashMap<Uuid, refund::Req>, LedgerError> {
    if accounts.is_empty() && ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<RefundRow> = sqlx::query_as(
        "SELECT refund_id, seq, account_no, terminal, request_no, amount, state, submitted_by, submitted_at, flag
         FROM refunds WHERE (account_no = ANY($1) AND state = ANY($3)) OR refund_id = ANY($2)
         ORDER BY refund_id FOR UPDATE",
    )
    .bind(accounts)
    .bind(ids)
    .bind(crate::refunds::holding_states())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for (id, seq, account_no, terminal, request_no, amount, state, submitted_by, submitted_at, flag) in rows {
        out.insert(
            id,
            refund::Req {
                seq: Some(seq),
                account_no,
                terminal,
                request_no,
                amount: yuan(amount),
                state: crate::refunds::parse_state(&state)?,
                submitted_by,
                submitted_at,
                flag,
                hall: None,
                changed: false,
            },
        );
    }
    Ok(out)
}
