//! 同步状态: the `sync_state` row (the ledger's URL, the pull cursor, the outcome of the last attempt)
//! and the `sync_flagged` table (events the ledger recorded with a flag, for the supervisor).
//!
//! Invariants: exactly one `sync_state` row (id 1, made by the migration). Changing the ledger URL
//! resets the cursor (a cursor means nothing to another ledger). The token is never stored here.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::{Error, Result};

/// The last sync error as stored and shown: the core's stable code, its message, and whether
/// retrying may help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncErrorInfo {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl From<&Error> for SyncErrorInfo {
    fn from(e: &Error) -> SyncErrorInfo {
        SyncErrorInfo {
            code: e.code().to_string(),
            message: super::client::clip(&e.to_string(), 500),
            retryable: e.retryable(),
        }
    }
}

/// The `sync_state` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub ledger_url: Option<String>,
    pub cursor: String,
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    pub last_error: Option<SyncErrorInfo>,
    pub consecutive_failures: i64,
}

type StateRaw =
    (Option<String>, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<i64>, i64);

pub async fn load(conn: &mut SqliteConnection) -> Result<State> {
    let (ledger_url, cursor, last_success, last_attempt, code, message, retryable, consecutive_failures): StateRaw =
        sqlx::query_as(
            "SELECT ledger_url, cursor, last_success, last_attempt, last_error_code, last_error_message, last_error_retryable, consecutive_failures FROM sync_state WHERE id = 1",
        )
        .fetch_one(conn)
        .await?;
    let last_error = match (code, message) {
        (Some(code), Some(message)) => Some(SyncErrorInfo { code, message, retryable: retryable == Some(1) }),
        _ => None,
    };
    Ok(State { ledger_url, cursor, last_success, last_attempt, last_error, consecutive_failures })
}

/// Set the ledger's URL; a different URL starts pulling from the beginning again.
pub async fn set_ledger_url(conn: &mut SqliteConnection, url: &str) -> Result<()> {
    sqlx::query(
        "UPDATE sync_state SET cursor = CASE WHEN ledger_url IS ? THEN cursor ELSE '' END, ledger_url = ?, last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL, consecutive_failures = 0 WHERE id = 1",
    )
    .bind(url)
    .bind(url)
    .execute(conn)
    .await?;
    Ok(())
}

/// Store the pull cursor (inside the transaction that applied its page).
pub async fn set_cursor(conn: &mut SqliteConnection, cursor: &str) -> Result<()> {
    sqlx::query("UPDATE sync_state SET cursor = ? WHERE id = 1").bind(cursor).execute(conn).await?;
    Ok(())
}

pub async fn record_success(conn: &mut SqliteConnection, at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE sync_state SET last_success = ?, last_attempt = ?, last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL, consecutive_failures = 0 WHERE id = 1",
    )
    .bind(at)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_failure(conn: &mut SqliteConnection, at: &str, error: &Error) -> Result<()> {
    let info = SyncErrorInfo::from(error);
    sqlx::query(
        "UPDATE sync_state SET last_attempt = ?, last_error_code = ?, last_error_message = ?, last_error_retryable = ?, consecutive_failures = consecutive_failures + 1 WHERE id = 1",
    )
    .bind(at)
    .bind(&info.code)
    .bind(&info.message)
    .bind(i64::from(info.retryable))
    .execute(conn)
    .await?;
    Ok(())
}

/// Record an event the ledger flagged (replaces the reason if it was flagged before).
pub async fn record_flagged(
    conn: &mut SqliteConnection,
    event_id: &str,
    seq: i64,
    kind: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_flagged (event_id, seq, kind, reason, flagged_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason, flagged_at = excluded.flagged_at",
    )
    .bind(event_id)
    .bind(seq)
    .bind(kind)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One flagged event, for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FlaggedEvent {
    pub event_id: String,
    #[ts(type = "number")]
    pub seq: i64,
    pub kind: String,
    /// The receipt of a payment, vend or void (from the event's payload), when it has one.
    pub receipt_no: Option<String>,
    pub reason: String,
    pub flagged_at: String,
}

pub async fn flagged(conn: &mut SqliteConnection) -> Result<Vec<FlaggedEvent>> {
    type Row = (String, i64, String, Option<String>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT f.event_id, f.seq, f.kind, json_extract(o.payload, '$.receipt_no'), f.reason, f.flagged_at
         FROM sync_flagged f LEFT JOIN outbox o ON o.event_id = f.event_id ORDER BY f.seq",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(event_id, seq, kind, receipt_no, reason, flagged_at)| FlaggedEvent {
            event_id,
            seq,
            kind,
            receipt_no,
            reason,
            flagged_at,
        })
        .collect())
}

pub async fn flagged_count(conn: &mut SqliteConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sync_flagged").fetch_one(conn).await?;
    Ok(n)
}

/// `settings` key: the audit chain head the ledger last acknowledged (`seq:hash`), from a push's
/// `audit_seen`; the next round sends the counter's own entry at that seq as `at_last`.
pub const SETTING_AUDIT_SEEN: &str = "sync_audit_seen";

/// The audit chain head the ledger last acknowledged, if any (an unreadable value counts as none).
pub async fn audit_seen(conn: &mut SqliteConnection) -> Result<Option<super::wire::AuditMark>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
        .bind(SETTING_AUDIT_SEEN)
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|(v,)| {
        let (seq, hash) = v.split_once(':')?;
        let mark = super::wire::AuditMark { seq: seq.parse().ok()?, hash: hash.to_string() };
        mark.is_well_formed().then_some(mark)
    }))
}

/// Keep the audit chain head the ledger acknowledged.
pub async fn set_audit_seen(conn: &mut SqliteConnection, mark: &super::wire::AuditMark) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(SETTING_AUDIT_SEEN)
    .bind(format!("{}:{}", mark.seq, mark.hash))
    .execute(conn)
    .await?;
    Ok(())
}
