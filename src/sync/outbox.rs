//! 待上传事件: the outbox. Every money event (payment, vend, voucher use, void, shift open and
//! close, deposit) is appended here in the same transaction as the change it reports, so an event
//! exists if and only if its change was committed.
//!
//! Event format: `event_id` (a UUIDv7 made here: unique, time-ordered), `kind` (e.g. `payment`,
//! `vend`, `void`, `shift.open`, `shift.close`, `deposit`), the terminal, a JSON `payload` holding
//! everything the ledger needs to apply the event without asking back (money as decimal strings),
//! `payload_sha256` (so the ledger can tell a resend from a different event under a reused id), and
//! `seq`, the order in which the ledger must apply them. `pushed_at` is set when the ledger has
//! acknowledged the event.

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::Result;

/// A new event id (UUIDv7).
pub fn new_event_id() -> String {
    Uuid::now_v7().to_string()
}

/// Append an event inside the caller's transaction.
pub async fn append(
    conn: &mut SqliteConnection,
    event_id: &str,
    kind: &str,
    terminal: &str,
    payload: &serde_json::Value,
    at: DateTime<FixedOffset>,
) -> Result<i64> {
    let text = payload.to_string();
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    let res = sqlx::query(
        "INSERT INTO outbox (event_id, kind, terminal, payload, payload_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(event_id)
    .bind(kind)
    .bind(terminal)
    .bind(&text)
    .bind(&digest)
    .bind(at.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(res.last_insert_rowid())
}

/// Events not yet acknowledged by the ledger.
pub async fn waiting(conn: &mut SqliteConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL").fetch_one(conn).await?;
    Ok(n)
}
