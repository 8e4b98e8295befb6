//! The counter's `refunds` and `refund_history` tables (migration `20261206000010`). The rules
//! are `crate::refunds`; this file only reads and writes rows.

use sqlx::SqliteConnection;

use crate::{
    Error, Result,
    money::Yuan,
    refunds::{Reason, State},
    sync::wire::RefundDocs,
};

/// The states that hold money (`refunds::State::holds`), as SQL.
macro_rules! holding {
    () => {
        "('submitted', 'hall_approved', 'at_ledger', 'finance_approved')"
    };
}

/// A stored request, with its account's 户号 and name and its people's user names.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub refund_id: String,
    pub request_no: String,
    pub account_id: i64,
    pub account_no: String,
    pub account_name: String,
    pub address: String,
    pub amount: Yuan,
    pub reason: Reason,
    pub reason_text: Option<String>,
    pub payee_name: String,
    pub payee_reason: Option<String>,
    pub payee_bank: String,
    pub payee_branch: String,
    pub payee_account_sealed: String,
    pub payee_account_masked: String,
    pub docs: RefundDocs,
    pub duplicate_of: Option<String>,
    pub state: State,
    pub submitted_by: String,
    pub submitted_by_name: String,
    pub submitted_at: String,
    pub hall_by: Option<String>,
    pub hall_by_name: Option<String>,
    pub hall_at: Option<String>,
    pub hall_reason: Option<String>,
    pub finance_by: Option<String>,
    pub finance_at: Option<String>,
    pub finance_reason: Option<String>,
    pub paid: Option<Yuan>,
    pub payout_date: Option<String>,
    pub payout_ref: Option<String>,
    pub flag: Option<String>,
    pub verification_code: String,
    pub form_prints: i64,
    pub notice_prints: i64,
    /// The submission has reached the ledger (its outbox event was acknowledged).
    pub sent: bool,
}

macro_rules! select {
    () => {
        "SELECT r.id, r.refund_id, r.request_no, r.account_id, a.account_no, a.name, a.address, r.amount_fen,
        r.reason, r.reason_text, r.payee_name, r.payee_reason, r.payee_bank, r.payee_branch, r.payee_account_sealed,
        r.payee_account_masked, r.docs, r.duplicate_of, r.state, su.username, su.display_name, r.submitted_at,
        hu.username, hu.display_name, r.hall_at, r.hall_reason, r.finance_by, r.finance_at, r.finance_reason,
        r.paid_fen, r.payout_date, r.payout_ref, r.flag, r.verification_code, r.form_prints, r.notice_prints,
        (SELECT o.pushed_at IS NOT NULL FROM outbox o WHERE o.event_id = r.refund_id)
    FROM refunds r JOIN accounts a ON a.id = r.account_id JOIN users su ON su.id = r.submitted_by
    LEFT JOIN users hu ON hu.id = r.hall_by"
    };
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Stored> {
    use sqlx::Row;
    let bad = |what: &str| Error::Internal(format!("a stored refund has a bad {what}"));
    let reason: String = row.try_get(8)?;
    let state: String = row.try_get(18)?;
    let docs: String = row.try_get(16)?;
    Ok(Stored {
        id: row.try_get(0)?,
        refund_id: row.try_get(1)?,
        request_no: row.try_get(2)?,
        account_id: row.try_get(3)?,
        account_no: row.try_get(4)?,
        account_name: row.try_get(5)?,
        address: row.try_get(6)?,
        amount: Yuan::from_fen(row.try_get(7)?),
        reason: Reason::parse(&reason).ok_or_else(|| bad("reason"))?,
        reason_text: row.try_get(9)?,
        payee_name: row.try_get(10)?,
        payee_reason: row.try_get(11)?,
        payee_bank: row.try_get(12)?,
        payee_branch: row.try_get(13)?,
        payee_account_sealed: row.try_get(14)?,
        payee_account_masked: row.try_get(15)?,
        docs: serde_json::from_str(&docs).map_err(|_| bad("docs"))?,
        duplicate_of: row.try_get(17)?,
        state: State::parse(&state).ok_or_else(|| bad("state"))?,
        submitted_by: row.try_get(19)?,
        submitted_by_name: row.try_get(20)?,
        submitted_at: row.try_get(21)?,
        hall_by: row.try_get(22)?,
        hall_by_name: row.try_get(23)?,
        hall_at: row.try_get(24)?,
        hall_reason: row.try_get(25)?,
        finance_by: row.try_get(26)?,
        finance_at: row.try_get(27)?,
        finance_reason: row.try_get(28)?,
        paid: row.try_get::<Option<i64>, _>(29)?.map(Yuan::from_fen),
        payout_date: row.try_get(30)?,
        payout_ref: row.try_get(31)?,
        flag: row.try_get(32)?,
        verification_code: row.try_get(33)?,
        form_prints: row.try_get(34)?,
        notice_prints: row.try_get(35)?,
        sent: row.try_get::<Option<bool>, _>(36)?.unwrap_or(false),
    })
}

/// A request by its number.
pub async fn by_no(conn: &mut SqliteConnection, request_no: &str) -> Result<Option<Stored>> {
    let row = sqlx::query(concat!(select!(), " WHERE r.request_no = ?")).bind(request_no).fetch_optional(conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Requests, newest first: of one account, or in one state, or all (at most `limit`).
pub async fn list(
    conn: &mut SqliteConnection,
    account_id: Option<i64>,
    state: Option<State>,
    limit: i64,
) -> Result<Vec<Stored>> {
    let rows = sqlx::query(concat!(
        select!(),
        " WHERE (?1 IS NULL OR r.account_id = ?1) AND (?2 IS NULL OR r.state = ?2) ORDER BY r.id DESC LIMIT ?3"
    ))
    .bind(account_id)
    .bind(state.map(State::as_str))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What the account's requests hold now.
pub async fn held(conn: &mut SqliteConnection, account_id: i64) -> Result<Yuan> {
    let (fen,): (i64,) = sqlx::query_as(concat!(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM refunds WHERE account_id = ? AND state IN ",
        holding!()
    ))
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(Yuan::from_fen(fen))
}

/// What requests held or paid against a payment (a duplicate), by its receipt number.
pub async fn refunded_against(conn: &mut SqliteConnection, receipt_no: &str) -> Result<Yuan> {
    let (fen,): (i64,) = sqlx::query_as(concat!(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM refunds WHERE duplicate_of = ? AND (state = 'paid' OR state IN ",
        holding!(),
        ")"
    ))
    .bind(receipt_no)
    .fetch_one(conn)
    .await?;
    Ok(Yuan::from_fen(fen))
}

/// The last request number of a terminal's year: `PREFIX` + 6 digits.
pub async fn last_number(conn: &mut SqliteConnection, prefix: &str) -> Result<i64> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT request_no FROM refunds WHERE request_no >= ? AND request_no < ? ORDER BY request_no DESC LIMIT 1",
    )
    .bind(prefix)
    .bind(format!("{prefix}\u{10FFFF}"))
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(no,)| no.strip_prefix(prefix).and_then(|n| n.parse().ok())).unwrap_or(0))
}

/// A new request, as validated.
#[derive(Debug)]
pub struct NewRefund<'a> {
    pub refund_id: &'a str,
    pub request_no: &'a str,
    pub account_id: i64,
    pub amount: Yuan,
    pub reason: Reason,
    pub reason_text: Option<&'a str>,
    pub payee_name: &'a str,
    pub payee_reason: Option<&'a str>,
    pub payee_bank: &'a str,
    pub payee_branch: &'a str,
    pub payee_account_sealed: &'a str,
    pub payee_account_masked: &'a str,
    pub docs: RefundDocs,
    pub duplicate_of: Option<&'a str>,
    pub submitted_by: i64,
    pub submitted_at: &'a str,
    pub verification_code: &'a str,
}

pub async fn insert(conn: &mut SqliteConnection, r: &NewRefund<'_>) -> Result<i64> {
    let docs = serde_json::to_string(&r.docs).map_err(|e| Error::Internal(e.to_string()))?;
    let res = sqlx::query(
        "INSERT INTO refunds (refund_id, request_no, account_id, amount_fen, reason, reason_text, payee_name, payee_reason,
             payee_bank, payee_branch, payee_account_sealed, payee_account_masked, docs, duplicate_of, state, submitted_by,
             submitted_at, verification_code)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)",
    )
    .bind(r.refund_id)
    .bind(r.request_no)
    .bind(r.account_id)
    .bind(r.amount.fen())
    .bind(r.reason.as_str())
    .bind(r.reason_text)
    .bind(r.payee_name)
    .bind(r.payee_reason)
    .bind(r.payee_bank)
    .bind(r.payee_branch)
    .bind(r.payee_account_sealed)
    .bind(r.payee_account_masked)
    .bind(docs)
    .bind(r.duplicate_of)
    .bind(r.submitted_by)
    .bind(r.submitted_at)
    .bind(r.verification_code)
    .execute(conn)
    .await?;
    Ok(res.last_insert_rowid())
}

/// The hall's decision, only from `submitted` (a second decision finds nothing to change).
pub async fn decide_at_hall(
    conn: &mut SqliteConnection,
    id: i64,
    to: State,
    by: i64,
    at: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE refunds SET state = ?, hall_by = ?, hall_at = ?, hall_reason = ? WHERE id = ? AND state = 'submitted'",
    )
    .bind(to.as_str())
    .bind(by)
    .bind(at)
    .bind(reason)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn add_history(
    conn: &mut SqliteConnection,
    id: i64,
    at: &str,
    actor: &str,
    step: &str,
    state: State,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO refund_history (refund_id, at, actor, step, state, note) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(id)
        .bind(at)
        .bind(actor)
        .bind(step)
        .bind(state.as_str())
        .bind(note)
        .execute(conn)
        .await?;
    Ok(())
}

/// A request's history, oldest first: (at, actor, step, state, note).
pub async fn history(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Vec<(String, String, String, String, Option<String>)>> {
    Ok(sqlx::query_as("SELECT at, actor, step, state, note FROM refund_history WHERE refund_id = ? ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await?)
}

/// Count one more print of the form (`form`) or the notice; the new count.
pub async fn count_print(conn: &mut SqliteConnection, id: i64, form: bool) -> Result<i64> {
    let sql = if form {
        "UPDATE refunds SET form_prints = form_prints + 1 WHERE id = ? RETURNING form_prints"
    } else {
        "UPDATE refunds SET notice_prints = notice_prints + 1 WHERE id = ? RETURNING notice_prints"
    };
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(conn).await?;
    Ok(n)
}
