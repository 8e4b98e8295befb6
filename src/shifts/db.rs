//! The `shifts`, `deposits` and `holiday_cash` tables.
//!
//! Invariant: every payment of a shift has an id in `payments_from ..= payments_to` of its shift
//! (`payments_to` is NULL while the shift is open). Payment ids only grow, so the range is set
//! once at opening ([`insert`]) and once at closing ([`CLOSE_RANGE`]); payments of a shift are read
//! through [`PAYMENTS_OF_SHIFT`], a scan of that id range, so a payment writes no shift index.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use sqlx::SqliteConnection;

use super::{HolidayCashDue, ShiftInfo};
use crate::{Error, Result, money::Yuan};

/// Join condition of a shift `s` and its payments `p`: a range of payment ids (see the module docs).
pub const PAYMENTS_OF_SHIFT: &str =
    "p.id BETWEEN s.payments_from AND COALESCE(s.payments_to, 9223372036854775807) AND p.shift_id = s.id";

/// The `SET` item that closes a shift's payment range, in the closing `UPDATE shifts`.
pub const CLOSE_RANGE: &str = "payments_to = (SELECT COALESCE(MAX(id), 0) FROM payments)";

/// An open shift row.
#[derive(Debug, Clone)]
pub struct OpenShift {
    pub id: i64,
    pub user_id: i64,
    pub terminal: String,
    pub opened_at: String,
    pub float: Yuan,
}

/// The open shift of `user_id` at `terminal`, if any.
pub async fn open_of(conn: &mut SqliteConnection, user_id: i64, terminal: &str) -> Result<Option<OpenShift>> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, opened_at, float_fen FROM shifts WHERE user_id = ? AND terminal = ? AND closed_at IS NULL",
    )
    .bind(user_id)
    .bind(terminal)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, opened_at, float)| OpenShift {
        id,
        user_id,
        terminal: terminal.to_string(),
        opened_at,
        float: Yuan::from_fen(float),
    }))
}

/// Who holds the open shift at `terminal`, if anyone: (shift id, user name).
pub async fn open_at_terminal(conn: &mut SqliteConnection, terminal: &str) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT s.id, u.username FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.terminal = ? AND s.closed_at IS NULL",
    )
    .bind(terminal)
    .fetch_optional(conn)
    .await?)
}

/// The terminal where `user_id` has an open shift, if any.
pub async fn open_terminal_of(conn: &mut SqliteConnection, user_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT terminal FROM shifts WHERE user_id = ? AND closed_at IS NULL")
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn insert(
    conn: &mut SqliteConnection,
    user_id: i64,
    terminal: &str,
    float: Yuan,
    now: DateTime<FixedOffset>,
) -> Result<i64> {
    let res = sqlx::query(
        "INSERT INTO shifts (terminal, user_id, opened_at, float_fen, payments_from)
         VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) + 1 FROM payments))",
    )
    .bind(terminal)
    .bind(user_id)
    .bind(now.to_rfc3339())
    .bind(float.fen())
    .execute(conn)
    .await;
    match res {
        Ok(r) => Ok(r.last_insert_rowid()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::ShiftAlreadyOpen),
        Err(e) => Err(e.into()),
    }
}

/// Cash kept in a shift: the amounts of its cash payments that are not voided.
pub async fn cash_kept(conn: &mut SqliteConnection, shift_id: i64) -> Result<Yuan> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT COALESCE(SUM(p.amount_fen), 0) FROM shifts s JOIN payments p ON {PAYMENTS_OF_SHIFT}
             WHERE s.id = ? AND p.method = 'cash' AND p.voided = 0"
        )
    });
    let (fen,): (i64,) = sqlx::query_as(SQL.as_str()).bind(shift_id).fetch_one(conn).await?;
    Ok(Yuan::from_fen(fen))
}

/// Cash deposited from a shift's drawer.
pub async fn deposited(conn: &mut SqliteConnection, shift_id: i64) -> Result<Yuan> {
    let (fen,): (i64,) = sqlx::query_as("SELECT COALESCE(SUM(from_drawer_fen), 0) FROM deposits WHERE shift_id = ?")
        .bind(shift_id)
        .fetch_one(conn)
        .await?;
    Ok(Yuan::from_fen(fen))
}

/// Holiday cash taken in a shift (not voided), for the optional per-shift limit.
pub async fn holiday_cash_in_shift(conn: &mut SqliteConnection, shift_id: i64) -> Result<Yuan> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT COALESCE(SUM(p.amount_fen), 0) FROM shifts s JOIN payments p ON {PAYMENTS_OF_SHIFT}
             WHERE s.id = ? AND p.holiday_cash = 1 AND p.voided = 0"
        )
    });
    let (fen,): (i64,) = sqlx::query_as(SQL.as_str()).bind(shift_id).fetch_one(conn).await?;
    Ok(Yuan::from_fen(fen))
}

/// Holiday cash of a terminal not yet (fully) deposited, oldest due first.
pub async fn holiday_cash_open(conn: &mut SqliteConnection, terminal: &str) -> Result<Vec<HolidayCashDue>> {
    Ok(holiday_cash_rows(conn, terminal).await?.into_iter().map(|r| r.due).collect())
}

/// An open holiday-cash row: its payment, the shift that took it, what is left.
#[derive(Debug, Clone)]
pub struct HolidayCashRow {
    pub payment_id: i64,
    pub shift_id: i64,
    pub due: HolidayCashDue,
}

pub async fn holiday_cash_rows(conn: &mut SqliteConnection, terminal: &str) -> Result<Vec<HolidayCashRow>> {
    let rows: Vec<(i64, i64, String, i64, String)> = sqlx::query_as(
        "SELECT h.payment_id, p.shift_id, p.receipt_no, h.amount_fen - h.deposited_fen, h.due_on
         FROM holiday_cash h JOIN payments p ON p.id = h.payment_id
         WHERE h.terminal = ? AND h.deposited_fen < h.amount_fen AND p.voided = 0
         ORDER BY h.due_on, h.payment_id",
    )
    .bind(terminal)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(payment_id, shift_id, receipt_no, left, due)| {
            let due_on = NaiveDate::parse_from_str(&due, "%Y-%m-%d")
                .map_err(|_| Error::Internal(format!("bad due date {due}")))?;
            Ok(HolidayCashRow {
                payment_id,
                shift_id,
                due: HolidayCashDue { receipt_no, amount_left: Yuan::from_fen(left), due_on },
            })
        })
        .collect()
}

pub async fn info(conn: &mut SqliteConnection, shift_id: i64) -> Result<ShiftInfo> {
    let (id, terminal, cashier, opened_at, float, closed_at): (i64, String, String, String, i64, Option<String>) = sqlx::query_as(
        "SELECT s.id, s.terminal, u.username, s.opened_at, s.float_fen, s.closed_at FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
    )
    .bind(shift_id)
    .fetch_one(conn)
    .await?;
    Ok(ShiftInfo { id, terminal, cashier, opened_at, float: Yuan::from_fen(float), closed_at })
}

/// A count of a shift's drawer as stored (`shift_counts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCount {
    pub attempt: u32,
    pub counted: Yuan,
    /// `{"100.00":12,...}`, as `CashCount::to_json`.
    pub detail: String,
    pub matches: bool,
    pub counted_at: String,
}

/// Every count of a shift, the first first.
pub async fn counts_of(conn: &mut SqliteConnection, shift_id: i64) -> Result<Vec<StoredCount>> {
    let rows: Vec<(i64, i64, String, i64, String)> = sqlx::query_as(
        "SELECT attempt, counted_fen, count_detail, matches, counted_at FROM shift_counts WHERE shift_id = ? ORDER BY attempt",
    )
    .bind(shift_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(attempt, counted, detail, matches, counted_at)| StoredCount {
            attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
            counted: Yuan::from_fen(counted),
            detail,
            matches: matches != 0,
            counted_at,
        })
        .collect())
}

/// Keep a count of a shift's drawer as its next attempt, unless it is the very count of the last
/// attempt (the same count sent again, e.g. with the supervisor's approval). Returns the attempt's
/// number and whether it was new.
pub async fn record_count(
    conn: &mut SqliteConnection,
    shift_id: i64,
    counted: Yuan,
    detail: &str,
    matches: bool,
    at: DateTime<FixedOffset>,
) -> Result<(u32, bool)> {
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT attempt, count_detail FROM shift_counts WHERE shift_id = ? ORDER BY attempt DESC LIMIT 1",
    )
    .bind(shift_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((attempt, last_detail)) = &last
        && last_detail == detail
    {
        return Ok((u32::try_from(*attempt).unwrap_or(u32::MAX), false));
    }
    let attempt = last.map(|(a, _)| a).unwrap_or(0) + 1;
    sqlx::query(
        "INSERT INTO shift_counts (shift_id, attempt, counted_fen, count_detail, matches, counted_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(shift_id)
    .bind(attempt)
    .bind(counted.fen())
    .bind(detail)
    .bind(i64::from(matches))
    .bind(at.to_rfc3339())
    .execute(conn)
    .await?;
    Ok((u32::try_from(attempt).unwrap_or(u32::MAX), true))
}
