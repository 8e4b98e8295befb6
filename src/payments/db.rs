//! The `payments`, `payment_lines`, `payment_bill_before`, `vouchers`, `voids`, `holiday_cash` and
//! `receipt_counters` tables. Every function runs inside the caller's transaction.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use super::{Method, PaymentKind, Voucher, allocation::Line};
use crate::{Error, Result, money::Yuan, store};

/// Take the next receipt number of `terminal` in `year`: `TERMINAL-YEAR-NNNNNN`.
pub async fn next_receipt_no(conn: &mut SqliteConnection, terminal: &str, year: i32) -> Result<String> {
    let (n,): (i64,) = sqlx::query_as(
        "INSERT INTO receipt_counters (terminal, year, last) VALUES (?, ?, 1)
         ON CONFLICT (terminal, year) DO UPDATE SET last = last + 1 RETURNING last",
    )
    .bind(terminal)
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(format!("{terminal}-{year}-{n:06}"))
}

/// The secret that keys verification codes: read from `settings`, made there on first use.
pub async fn receipt_secret(pool: &sqlx::SqlitePool) -> Result<String> {
    if let Some(s) = store::setting(pool, "receipt_secret").await? {
        return Ok(s);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // Two processes opening a new database at once: the first secret written wins.
    sqlx::query("INSERT INTO settings (key, value) VALUES ('receipt_secret', ?) ON CONFLICT (key) DO NOTHING")
        .bind(hex::encode(bytes))
        .execute(pool)
        .await?;
    store::setting(pool, "receipt_secret").await?.ok_or_else(|| Error::Internal("receipt secret missing".into()))
}

/// 校验码: 8 characters that tie the receipt number, account, amount and time to this database's
/// secret, so a forged receipt can be recognised at the counter.
pub fn verification_code(secret: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())[..8].to_ascii_uppercase()
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

pub async fn insert_payment(conn: &mut SqliteConnection, p: &NewPayment<'_>) -> Result<i64> {
    let res = sqlx::query(
        "INSERT INTO payments (event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen, change_fen,
                               voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason, prepaid_after_fen,
                               verification_code, created_at, receipt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(p.event_id)
    .bind(p.receipt_no)
    .bind(p.kind.as_str())
    .bind(p.shift_id)
    .bind(p.account_id)
    .bind(p.method.as_str())
    .bind(p.amount.fen())
    .bind(p.tendered.map(Yuan::fen))
    .bind(p.change.map(Yuan::fen))
    .bind(p.voucher_id)
    .bind(i64::from(p.holiday_cash))
    .bind(p.approved_by)
    .bind(p.waived.fen())
    .bind(p.waiver_reason)
    .bind(p.prepaid_after.fen())
    .bind(p.verification_code)
    .bind(p.created_at.to_rfc3339())
    .bind(p.receipt)
    .execute(&mut *conn)
    .await;
    match res {
        Ok(r) => Ok(r.last_insert_rowid()),
        // Two counters racing for one voucher: the partial unique index decides.
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() && db.message().contains("voucher") => {
            Err(Error::invalid("voucher", "this voucher was just used by another payment"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Store the allocation lines and apply the bill changes of `settle::settle`, recording each
/// bill's state before.
pub async fn apply_lines(
    conn: &mut SqliteConnection,
    payment_id: i64,
    lines: &[Line],
    changes: &[super::settle::BillChange],
    today: NaiveDate,
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO payment_lines (payment_id, seq, kind, bill_id, period, amount_fen) ",
    );
    q.push_values(lines.iter().enumerate(), |mut row, (seq, l)| {
        row.push_bind(payment_id)
            .push_bind(seq as i64)
            .push_bind(l.kind.as_str())
            .push_bind(l.bill_id)
            .push_bind(l.period.map(|p| i64::from(p.number())))
            .push_bind(l.amount.fen());
    });
    q.build().execute(&mut *conn).await?;
    if changes.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO payment_bill_before (payment_id, bill_id, paid_fen, late_fee_from, late_fee_owed_fen, late_fee_received_fen, late_fee_waived_fen)
         SELECT ",
    );
    q.push_bind(payment_id);
    q.push(", id, paid_fen, late_fee_from, late_fee_owed_fen, late_fee_received_fen, late_fee_waived_fen FROM bills WHERE id IN (");
    let mut ids = q.separated(", ");
    for c in changes {
        ids.push_bind(c.bill_id);
    }
    q.push(")");
    q.build().execute(&mut *conn).await?;
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "UPDATE bills SET paid_fen = paid_fen + v.column2, late_fee_received_fen = late_fee_received_fen + v.column3,
                          late_fee_waived_fen = late_fee_waived_fen + v.column4, late_fee_owed_fen = v.column5,
                          late_fee_from = MAX(late_fee_from, ",
    );
    q.push_bind(today.format("%Y-%m-%d").to_string());
    q.push(") FROM (");
    q.push_values(changes, |mut row, c| {
        row.push_bind(c.bill_id)
            .push_bind(c.principal_paid.fen())
            .push_bind(c.late_fee_paid.fen())
            .push_bind(c.late_fee_waived.fen())
            .push_bind(c.late_fee_owed_after.fen());
    });
    q.push(") AS v WHERE bills.id = v.column1");
    q.build().execute(&mut *conn).await?;
    Ok(())
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
        "SELECT COALESCE(SUM(amount_fen), 0) FROM payment_lines WHERE payment_id = ? AND kind = 'prepaid'",
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
             paid_fen = b.paid_fen, late_fee_from = b.late_fee_from, late_fee_owed_fen = b.late_fee_owed_fen,
             late_fee_received_fen = b.late_fee_received_fen, late_fee_waived_fen = b.late_fee_waived_fen
         FROM (SELECT * FROM payment_bill_before WHERE payment_id = ?) AS b WHERE bills.id = b.bill_id",
    )
    .bind(payment_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE payments SET voided = 1 WHERE id = ?").bind(payment_id).execute(&mut *conn).await?;
    Ok(())
}
