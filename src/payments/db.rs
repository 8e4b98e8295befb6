//! The `payments`, `vouchers`, `voids` and `holiday_cash` tables. Every function runs inside the
//! caller's transaction.
//!
//! Invariants: payment rows are never deleted (a trigger refuses it), so the last receipt number
//! of a terminal and year is the largest `receipt_no` with that prefix, read off its UNIQUE index
//! ([`before`]); numbers have a fixed width of six digits ([`receipt_no`] refuses more), so text
//! order is number order. `payments.lines` holds the allocation: a JSON array of `[kind, bill id,
//! period, amount_fen]` in allocation order. `payments.bills_before` holds, for a void, each touched bill's state
//! before the payment: a JSON array of `[bill id, paid_fen, late_fee_from, late_fee_owed_fen,
//! late_fee_received_fen, late_fee_waived_fen]`.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sqlx::SqliteConnection;

use std::sync::LazyLock;

use sqlx::{QueryBuilder, Sqlite};

use super::{Method, PaymentKind, Voucher, allocation::Line, settle::BillChange};
use crate::{
    Error, Result,
    accounts::{Bill, db as accounts_db},
    audit,
    money::Yuan,
    store,
};

/// The largest receipt number of a year.
pub const LAST_RECEIPT_OF_YEAR: i64 = 999_999;

/// Receipt number `TERMINAL-YEAR-NNNNNN`, the `n`th of the year (1 ..= [`LAST_RECEIPT_OF_YEAR`]).
pub fn receipt_no(terminal: &str, year: i32, n: i64) -> Result<String> {
    if !(1..=LAST_RECEIPT_OF_YEAR).contains(&n) {
        return Err(Error::ReceiptNumbersUsedUp { terminal: terminal.to_string(), year });
    }
    Ok(format!("{terminal}-{year}-{n:06}"))
}

/// A stored voucher and its current (not voided) use, if any: (receipt no, created at, cashier).
#[derive(Debug)]
pub struct StoredVoucher {
    pub id: i64,
    pub amount: Yuan,
    pub payer: String,
    pub in_use: Option<(String, String, String)>,
}

pub async fn find_voucher(conn: &mut SqliteConnection, bank: &str, serial: &str) -> Result<Option<StoredVoucher>> {
    let row: Option<(i64, i64, String)> =
        sqlx::query_as("SELECT id, amount_fen, payer FROM vouchers WHERE bank = ? AND serial = ?")
            .bind(bank)
            .bind(serial)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((id, amount, payer)) = row else { return Ok(None) };
    let in_use: Option<(String, String, String)> = sqlx::query_as(
        "SELECT p.receipt_no, p.created_at, u.username FROM payments p JOIN shifts s ON s.id = p.shift_id
         JOIN users u ON u.id = s.user_id WHERE p.voucher_id = ? AND p.voided = 0",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Some(StoredVoucher { id, amount: Yuan::from_fen(amount), payer, in_use }))
}

/// Register a voucher, or reuse its earlier registration when every earlier use was voided.
/// Refuses a voucher in use (naming the first use) or one registered with other details.
pub async fn claim_voucher(
    conn: &mut SqliteConnection,
    v: &Voucher,
    user_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<i64> {
    if let Some(found) = find_voucher(conn, &v.bank, &v.serial).await? {
        if let Some((receipt_no, at, cashier)) = found.in_use {
            return Err(Error::VoucherUsed {
                bank: v.bank_name.clone(),
                serial: v.serial.clone(),
                receipt_no,
                at,
                cashier,
            });
        }
        if found.amount != v.amount || found.payer != v.payer {
            return Err(Error::VoucherMismatch {
                bank: v.bank_name.clone(),
                serial: v.serial.clone(),
                registered: found.amount.to_string(),
                payer: found.payer,
            });
        }
        return Ok(found.id);
    }
    let res = sqlx::query(
        "INSERT INTO vouchers (bank, serial, payer, amount_fen, transfer_date, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&v.bank)
    .bind(&v.serial)
    .bind(&v.payer)
    .bind(v.amount.fen())
    .bind(v.transfer_date.format("%Y-%m-%d").to_string())
    .bind(now.to_rfc3339())
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(res.last_insert_rowid())
}

/// A payment row to insert.
#[derive(Debug)]
pub struct NewPayment<'a> {
    pub event_id: &'a str,
    pub receipt_no: &'a str,
    pub kind: PaymentKind,
    pub shift_id: i64,
    pub account_id: i64,
    pub method: Method,
    pub amount: Yuan,
    pub tendered: Option<Yuan>,
    pub change: Option<Yuan>,
    pub voucher_id: Option<i64>,
    pub holiday_cash: bool,
    pub approved_by: Option<i64>,
    pub waived: Yuan,
    pub waiver_reason: Option<&'a str>,
    pub prepaid_after: Yuan,
    pub verification_code: &'a str,
    pub created_at: DateTime<FixedOffset>,
    /// The receipt as printed (print::Receipt as JSON).
    pub receipt: &'a str,
}

/// What a payment reads once it holds the write lock: whether its shift is still open, the
/// terminal's last receipt number of the year, the account's prepaid balance, the audit chain's
/// head and (for a payment, not a vend) the account's open bills.
#[derive(Debug)]
pub struct Before {
    pub shift_open: bool,
    pub last_receipt: i64,
    pub prepaid: Yuan,
    pub audit_head: String,
    pub bills: Vec<Bill>,
}

/// The last receipt number of a year (0 before the first), off the receipt-number index (module
/// docs); two parameters, [`receipt_prefixes`]: the year's prefix `TERMINAL-YEAR-` and that prefix
/// followed by `:`, the character after the digits.
const LAST_RECEIPT: &str = "COALESCE((SELECT CAST(substr(receipt_no, -6) AS INTEGER) FROM payments
     WHERE receipt_no > ? AND receipt_no < ? ORDER BY receipt_no DESC LIMIT 1), 0)";

/// The two parameters of [`LAST_RECEIPT`].
fn receipt_prefixes(terminal: &str, year: i32) -> (String, String) {
    let prefix = format!("{terminal}-{year}-");
    let after = format!("{prefix}:");
    (prefix, after)
}

/// The checks in front of a payment: the session with its open shift
/// (`session::USER_AND_OPEN_SHIFT`; parameters terminal, token hash), its row tagged `'s'`, then the
/// account by number (`accounts::db::BY_NO`), its row tagged `'a'`. Tell rows apart with [`row_tag`].
pub fn session_and_account_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT q.*, 's' FROM ({}) AS q; SELECT q.*, 'a' FROM ({}) AS q",
            crate::users::session::USER_AND_OPEN_SHIFT,
            accounts_db::BY_NO
        )
    });
    &SQL
}

/// The tag in the last column of a row from a batch of tagged statements.
pub fn row_tag(row: &sqlx::sqlite::SqliteRow) -> Option<&str> {
    use sqlx::Row as _;
    row.len().checked_sub(1).and_then(|last| row.try_get::<&str, _>(last).ok())
}

/// The state row of [`before`]; parameters: shift id, the two of [`LAST_RECEIPT`], account id.
fn state_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT EXISTS (SELECT 1 FROM shifts WHERE id = ? AND closed_at IS NULL), {LAST_RECEIPT},
                    (SELECT prepaid_balance_fen FROM accounts WHERE id = ?), ({})",
            audit::HEAD
        )
    });
    &SQL
}

/// `BEGIN IMMEDIATE`, [`state_sql`], and the open bills when wanted: parameters as in
/// [`state_sql`], then the account id again for the bills.
fn begin_and_read_sql(with_bills: bool) -> &'static str {
    static STATE: LazyLock<String> = LazyLock::new(|| format!("{}{}", store::BatchedTx::BEGIN, state_sql()));
    static STATE_AND_BILLS: LazyLock<String> =
        LazyLock::new(|| format!("{}; {}", STATE.as_str(), accounts_db::OPEN_BILLS));
    if with_bills { &STATE_AND_BILLS } else { &STATE }
}

/// The state row of [`begin_check_and_read`], tagged `'r'`: the last receipt number of the year
/// and the audit chain's head; parameters those of [`LAST_RECEIPT`].
fn receipts_and_audit_head_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {LAST_RECEIPT}, ({}), 'r'", audit::HEAD));
    &SQL
}

/// What a payment reads in its one round trip before writing when nothing needs approving first
/// ([`begin_check_and_read`]): the session's row (with the open shift) and the account's row, for
/// the caller to check, and the rest of [`Before`].
#[derive(Debug)]
pub struct CheckedRead {
    pub session: Option<sqlx::sqlite::SqliteRow>,
    pub account: Option<sqlx::sqlite::SqliteRow>,
    pub last_receipt: i64,
    pub audit_head: String,
    pub bills: Vec<Bill>,
}

/// Begin the payment's transaction and read, in one round trip, the session with its open shift
/// at `terminal` (`session::USER_AND_OPEN_SHIFT`, rows tagged `'s'`), the account by number
/// (tagged `'a'`), the last receipt number and the audit head, and (`with_bills`) the account's
/// open bills. Under the write lock nothing read can change before the commit, so the caller's
/// checks of the session and account hold for the write.
pub async fn begin_check_and_read(
    tx: &mut store::BatchedTx<'_>,
    terminal: &str,
    token_hash: String,
    account_no: &str,
    year: i32,
    with_bills: bool,
) -> Result<CheckedRead> {
    static CHECKS: LazyLock<String> = LazyLock::new(|| {
        format!("{}{}; {}", store::BatchedTx::BEGIN, session_and_account_sql(), receipts_and_audit_head_sql())
    });
    static CHECKS_AND_BILLS: LazyLock<String> =
        LazyLock::new(|| format!("{}; {}", CHECKS.as_str(), accounts_db::OPEN_BILLS_BY_NO_TAGGED));
    let sql = if with_bills { CHECKS_AND_BILLS.as_str() } else { CHECKS.as_str() };
    let (prefix, after) = receipt_prefixes(terminal, year);
    let mut q = sqlx::query(sql)
        .bind(terminal.to_string())
        .bind(token_hash)
        .bind(account_no.to_string())
        .bind(prefix)
        .bind(after);
    if with_bills {
        q = q.bind(account_no.to_string());
    }
    let rows = q.fetch_all(tx.conn()).await?;
    let (mut session, mut account, mut state, mut bills) = (None, None, None, Vec::new());
    for row in rows {
        let tag = row_tag(&row).map(str::to_owned);
        match tag.as_deref() {
            Some("s") => session = Some(row),
            Some("a") => account = Some(row),
            Some("r") => state = Some(row),
            Some("b") => bills.push(accounts_db::open_bill_from_row(&row)?),
            _ => return Err(Error::Internal("an untagged row in the payment's read".into())),
        }
    }
    let state = state.ok_or_else(|| Error::Internal("the payment's state row is missing".into()))?;
    let (last_receipt, audit_head): (i64, String) = sqlx::FromRow::from_row(&state)?;
    Ok(CheckedRead { session, account, last_receipt, audit_head, bills })
}

/// Begin the payment's transaction and read [`Before`], in one round trip (`BEGIN IMMEDIATE`
/// and two or three statements). The write lock keeps every value current until commit.
pub async fn before(
    tx: &mut store::BatchedTx<'_>,
    shift_id: i64,
    terminal: &str,
    year: i32,
    account_id: i64,
    with_bills: bool,
) -> Result<Before> {
    let sql = begin_and_read_sql(with_bills);
    let (prefix, after) = receipt_prefixes(terminal, year);
    let mut q = sqlx::query(sql).bind(shift_id).bind(prefix).bind(after).bind(account_id);
    if with_bills {
        q = q.bind(account_id);
    }
    let rows = q.fetch_all(tx.conn()).await?;
    let Some((state, bills)) = rows.split_first() else {
        return Err(Error::Internal("the payment's state row is missing".into()));
    };
    let (shift_open, last_receipt, prepaid, audit_head): (bool, i64, Option<i64>, String) =
        sqlx::FromRow::from_row(state)?;
    let prepaid = prepaid.ok_or_else(|| Error::Internal(format!("account {account_id} is missing")))?;
    Ok(Before {
        shift_open,
        last_receipt,
        prepaid: Yuan::from_fen(prepaid),
        audit_head,
        bills: bills.iter().map(accounts_db::open_bill_from_row).collect::<Result<_>>()?,
    })
}

/// Everything a payment or vend writes to the payment tables.
#[derive(Debug)]
pub struct Record<'a> {
    pub payment: NewPayment<'a>,
    pub terminal: &'a str,
    /// What goes to the prepaid balance.
    pub prepaid_credit: Yuan,
    pub lines: &'a [Line],
    pub changes: &'a [BillChange],
    pub today: NaiveDate,
    /// Holiday cash: the day it is due at the bank.
    pub holiday_due: Option<NaiveDate>,
}

/// Add a payment's writes to a batch: the prepaid balance, the payment row (with its allocation
/// lines and each touched bill's state before it), each bill's change, and its holiday-cash
/// obligation; statements separated by `;`, none after the last, and none for what does not
/// change. Lines and changes travel as JSON arrays read with `json_each`, so the batch's SQL text
/// does not depend on how many there are: it takes one of a few shapes, which SQLite prepares once
/// each and sqlx keeps. Run the batch with [`run`] inside the transaction
/// that read [`before`].
pub fn push_record(q: &mut QueryBuilder<Sqlite>, r: &Record<'_>) {
    let p = &r.payment;
    // [bill id, principal paid, late fee paid, late fee waived, late fee owed after].
    let changes = serde_json::Value::Array(
        r.changes
            .iter()
            .map(|c| {
                serde_json::json!([
                    c.bill_id,
                    c.principal_paid.fen(),
                    c.late_fee_paid.fen(),
                    c.late_fee_waived.fen(),
                    c.late_fee_owed_after.fen()
                ])
            })
            .collect(),
    )
    .to_string();
    // Nothing to the balance (the usual payment): no statement, so the row's page is not written
    // and the batch has a statement less (each costs a few µs). A batch's text takes one of a few
    // shapes, each a statement SQLite prepares once and sqlx keeps.
    if !r.prepaid_credit.is_zero() {
        q.push("UPDATE accounts SET prepaid_balance_fen = prepaid_balance_fen + ")
            .push_bind(r.prepaid_credit.fen())
            .push(" WHERE id = ")
            .push_bind(p.account_id)
            .push(";\n");
    }
    q.push(
        "INSERT INTO payments (event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen, change_fen,
                               voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason, prepaid_after_fen,
                               verification_code, created_at, receipt, lines, bills_before) VALUES (",
    );
    // [kind, bill id, period, amount], in allocation order.
    let lines: Vec<serde_json::Value> = r
        .lines
        .iter()
        .map(|l| serde_json::json!([l.kind.as_str(), l.bill_id, l.period.map(|p| p.number()), l.amount.fen()]))
        .collect();
    q.separated(", ")
        .push_bind(p.event_id)
        .push_bind(p.receipt_no)
        .push_bind(p.kind.as_str())
        .push_bind(p.shift_id)
        .push_bind(p.account_id)
        .push_bind(p.method.as_str())
        .push_bind(p.amount.fen())
        .push_bind(p.tendered.map(Yuan::fen))
        .push_bind(p.change.map(Yuan::fen))
        .push_bind(p.voucher_id)
        .push_bind(i64::from(p.holiday_cash))
        .push_bind(p.approved_by)
        .push_bind(p.waived.fen())
        .push_bind(p.waiver_reason)
        .push_bind(p.prepaid_after.fen())
        .push_bind(p.verification_code)
        .push_bind(p.created_at.to_rfc3339())
        .push_bind(p.receipt)
        .push_bind(serde_json::Value::Array(lines).to_string());
    // The bills as they are now, before this batch's update below (the module docs give the layout).
    q.push(
        ", (SELECT json_group_array(json_array(b.id, b.paid_fen, b.late_fee_from, b.late_fee_owed_fen,
                                               b.late_fee_received_fen, b.late_fee_waived_fen))
            FROM bills b WHERE b.id IN (SELECT value ->> 0 FROM json_each(",
    )
    .push_bind(changes.clone())
    .push("))))");
    // A vend, or a payment on an account with nothing owed, updates no bill: no statement.
    if !r.changes.is_empty() {
        q.push(
            ";\nUPDATE bills SET paid_fen = paid_fen + v.principal, late_fee_received_fen = late_fee_received_fen + v.fee,
                              late_fee_waived_fen = late_fee_waived_fen + v.waived, late_fee_owed_fen = v.owed,
                              late_fee_from = MAX(late_fee_from, ",
        )
        .push_bind(r.today.format("%Y-%m-%d").to_string())
        .push(
            ") FROM (SELECT value ->> 0 AS id, value ->> 1 AS principal, value ->> 2 AS fee, value ->> 3 AS waived,
                            value ->> 4 AS owed FROM json_each(",
        )
        .push_bind(changes)
        .push(")) AS v WHERE bills.id = v.id");
    }
    if let Some(due) = r.holiday_due {
        q.push(";\nINSERT INTO holiday_cash (payment_id, terminal, amount_fen, taken_on, due_on) SELECT id, ");
        q.separated(", ")
            .push_bind(r.terminal)
            .push_bind(p.amount.fen())
            .push_bind(r.today.to_string())
            .push_bind(due.to_string());
        q.push(" FROM payments WHERE receipt_no = ").push_bind(p.receipt_no);
    }
}

/// Run a payment's batch (one round trip to the connection's thread).
pub async fn run(conn: &mut SqliteConnection, q: &mut QueryBuilder<Sqlite>) -> Result<()> {
    match q.build().execute(conn).await {
        Ok(_) => Ok(()),
        // Two counters racing for one voucher: the partial unique index decides.
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() && db.message().contains("voucher") => {
            Err(Error::invalid("voucher", "this voucher was just used by another payment"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Change an account's prepaid balance; returns the new balance.
pub async fn add_prepaid(conn: &mut SqliteConnection, account_id: i64, delta: Yuan) -> Result<Yuan> {
    let (fen,): (i64,) = sqlx::query_as(
        "UPDATE accounts SET prepaid_balance_fen = prepaid_balance_fen + ? WHERE id = ? RETURNING prepaid_balance_fen",
    )
    .bind(delta.fen())
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(Yuan::from_fen(fen))
}

/// A stored payment, for voids and reprints.
#[derive(Debug, Clone)]
pub struct StoredPayment {
    pub id: i64,
    pub event_id: String,
    pub receipt_no: String,
    pub kind: String,
    pub shift_id: i64,
    pub account_id: i64,
    pub method: String,
    pub amount: Yuan,
    pub voided: bool,
    pub created_at: String,
}

pub async fn by_receipt(conn: &mut SqliteConnection, receipt_no: &str) -> Result<Option<StoredPayment>> {
    type Row = (i64, String, String, String, i64, i64, String, i64, i64, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, voided, created_at FROM payments WHERE receipt_no = ?",
    )
    .bind(receipt_no)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, event_id, receipt_no, kind, shift_id, account_id, method, amount, voided, created_at)| {
        StoredPayment {
            id,
            event_id,
            receipt_no,
            kind,
            shift_id,
            account_id,
            method,
            amount: Yuan::from_fen(amount),
            voided: voided != 0,
            created_at,
        }
    }))
}

/// The prepaid part of a payment.
pub async fn prepaid_credit(conn: &mut SqliteConnection, payment_id: i64) -> Result<Yuan> {
    let (fen,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(j.value ->> 3), 0) FROM payments p, json_each(p.lines) j
         WHERE p.id = ? AND j.value ->> 0 = 'prepaid'",
    )
    .bind(payment_id)
    .fetch_one(conn)
    .await?;
    Ok(Yuan::from_fen(fen))
}

/// Whether a later payment (not voided) exists on the same account.
pub async fn later_payment_on_account(conn: &mut SqliteConnection, p: &StoredPayment) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT receipt_no FROM payments WHERE account_id = ? AND id > ? AND voided = 0 ORDER BY id LIMIT 1",
    )
    .bind(p.account_id)
    .bind(p.id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Reverse a payment: restore each bill to its recorded state, mark the payment voided, and free
/// its holiday-cash obligation. The caller adjusts the prepaid balance and writes the `voids` row.
pub async fn restore_bills(conn: &mut SqliteConnection, payment_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE bills SET
             paid_fen = b.value ->> 1, late_fee_from = b.value ->> 2, late_fee_owed_fen = b.value ->> 3,
             late_fee_received_fen = b.value ->> 4, late_fee_waived_fen = b.value ->> 5
         FROM (SELECT j.value FROM payments p, json_each(p.bills_before) j WHERE p.id = ?) AS b
         WHERE bills.id = b.value ->> 0",
    )
    .bind(payment_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE payments SET voided = 1 WHERE id = ?").bind(payment_id).execute(&mut *conn).await?;
    Ok(())
}
