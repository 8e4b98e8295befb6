//! 待上传事件: the outbox. Every money event (payment, vend, voucher use, void, shift open and
//! close, deposit) is appended here in the same transaction as the change it reports, so an event
//! exists if and only if its change was committed.
//!
//! Event format: `event_id` (a UUIDv7 made here: unique, time-ordered), `kind` (e.g. `payment`,
//! `vend`, `void`, `shift.open`, `shift.close`, `deposit`), the terminal, a JSON `payload` holding
//! everything the ledger needs to apply the event without asking back (money as decimal strings),
//! written only from the typed contract (`wire::Event`, the one the ledger reads with),
//! `payload_sha256` (so the ledger can tell a resend from a different event under a reused id), and
//! `seq`, the order in which the ledger must apply them. `pushed_at` is set when the ledger has
//! acknowledged the event. A secret an event carries beside its payload (a refund's payee account
//! number) is kept in `secret`, sealed with the data key, and opened only to send the event.
//!
//! Invariants: rows are never deleted, so `seq` (the largest + 1, no AUTOINCREMENT) is never
//! reused. Every event with `seq < sync_state.push_from` has been acknowledged: the waiting events
//! are found by scanning `seq` from there ([`WAITING`]), without an index a payment would have to
//! write. [`advance_push_from`] moves the mark after acknowledgements, [`lower_push_from`] moves it
//! back when events are marked to be sent again.

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::wire::Event;
use crate::Result;

/// A new event id (UUIDv7).
pub fn new_event_id() -> String {
    Uuid::now_v7().to_string()
}

/// Append an event inside the caller's transaction.
pub async fn append(
    conn: &mut SqliteConnection,
    event: &Event,
    terminal: &str,
    at: DateTime<FixedOffset>,
) -> Result<i64> {
    let mut q = sqlx::QueryBuilder::new("");
    push_append(&mut q, event, terminal, at);
    Ok(q.build().execute(conn).await?.last_insert_rowid())
}

/// The associated data a secret is sealed with (`datakey`).
pub const SECRET_COLUMN: &str = "outbox.secret";

/// Append an event with a secret that travels beside its payload (`wire::PushEvent::secret`),
/// already sealed with the data key for [`SECRET_COLUMN`].
pub async fn append_with_secret(
    conn: &mut SqliteConnection,
    event: &Event,
    sealed_secret: &str,
    terminal: &str,
    at: DateTime<FixedOffset>,
) -> Result<i64> {
    let seq = append(&mut *conn, event, terminal, at).await?;
    sqlx::query("UPDATE outbox SET secret = ? WHERE seq = ?").bind(sealed_secret).bind(seq).execute(conn).await?;
    Ok(seq)
}

/// Add an event's `INSERT` (one statement, no trailing separator) to a batch that the caller runs
/// inside its transaction.
pub fn push_append(q: &mut sqlx::QueryBuilder<sqlx::Sqlite>, event: &Event, terminal: &str, at: DateTime<FixedOffset>) {
    let text = event.payload();
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    q.push("INSERT INTO outbox (event_id, kind, terminal, payload, payload_sha256, created_at) VALUES (");
    let mut v = q.separated(", ");
    v.push_bind(event.event_id().to_string())
        .push_bind(event.kind().as_str())
        .push_bind(terminal.to_string())
        .push_bind(text)
        .push_bind(digest)
        .push_bind(at.to_rfc3339());
    q.push(")");
}

/// The `WHERE` condition of the events waiting to be pushed (a scan of the `seq` range from the
/// mark, see the module docs).
pub const WAITING: &str = "seq >= (SELECT push_from FROM sync_state WHERE id = 1) AND pushed_at IS NULL";

/// Events not yet acknowledged by the ledger.
pub async fn waiting(conn: &mut SqliteConnection) -> Result<i64> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT COUNT(*) FROM outbox WHERE {WAITING}"));
    let (n,): (i64,) = sqlx::query_as(SQL.as_str()).fetch_one(conn).await?;
    Ok(n)
}

/// Move the mark to the oldest event still waiting (or past the newest), inside the transaction
/// that acknowledged events.
pub async fn advance_push_from(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query(
        "UPDATE sync_state SET push_from = COALESCE(
             (SELECT seq FROM outbox WHERE seq >= sync_state.push_from AND pushed_at IS NULL ORDER BY seq LIMIT 1),
             (SELECT MAX(seq) + 1 FROM outbox),
             push_from)
         WHERE id = 1",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Move the mark back to `seq` (if it is past it), inside the transaction that marked the event
/// as waiting again.
pub async fn lower_push_from(conn: &mut SqliteConnection, seq: i64) -> Result<()> {
    sqlx::query("UPDATE sync_state SET push_from = MIN(push_from, MAX(?, 1)) WHERE id = 1")
        .bind(seq)
        .execute(conn)
        .await?;
    Ok(())
}
