//! 审计日志: the audit trail. Every operation (log-in success and failure, log-out, account look-up,
//! import, user administration, later every money operation) appends one entry: who, what, when,
//! at which terminal, on what subject, with a JSON detail (before/after where something changed).
//!
//! Invariants: append-only (SQLite triggers refuse UPDATE and DELETE); tamper-evident: each entry
//! stores the SHA-256 of the previous entry's hash and its own fields, so an edit or a removal in
//! the middle breaks [`verify`]. An entry is written in the same transaction as the change it
//! describes. Details never contain passwords, tokens, ID-card or bank numbers.

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::{Error, Result};

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub at: DateTime<FixedOffset>,
    pub terminal: &'a str,
    /// A user name, or `cashdeskctl:<os user>` for the admin CLI.
    pub actor: &'a str,
    /// A stable verb such as `login.ok`, `login.failed`, `account.view`, `import.accounts`.
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub detail: serde_json::Value,
}

fn entry_hash(
    prev: &str,
    at: &str,
    terminal: &str,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, terminal, actor, action, subject.unwrap_or(""), detail] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Append an entry inside the caller's transaction.
pub async fn append(conn: &mut SqliteConnection, e: Entry<'_>) -> Result<()> {
    let prev: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let prev = prev.map(|p| p.0).unwrap_or_else(|| GENESIS.to_string());
    let at = e.at.to_rfc3339();
    let detail = e.detail.to_string();
    let hash = entry_hash(&prev, &at, e.terminal, e.actor, e.action, e.subject, &detail);
    sqlx::query(
        "INSERT INTO audit_log (at, terminal, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&at)
    .bind(e.terminal)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.subject)
    .bind(&detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A stored entry, for listing.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Stored {
    pub seq: i64,
    pub at: String,
    pub terminal: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: String,
}

/// The last `limit` entries, newest first.
pub async fn recent(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<Stored>> {
    Ok(sqlx::query_as(
        "SELECT seq, at, terminal, actor, action, subject, detail FROM audit_log ORDER BY seq DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Walk the whole chain; returns the number of entries, or names the first entry that does not match.
pub async fn verify(conn: &mut SqliteConnection) -> Result<u64> {
    type Row = (i64, String, String, String, String, Option<String>, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, terminal, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(conn)
    .await?;
    let mut prev = GENESIS.to_string();
    let mut n = 0u64;
    for (seq, at, terminal, actor, action, subject, detail, prev_hash, hash) in rows {
        let expect = entry_hash(&prev, &at, &terminal, &actor, &action, subject.as_deref(), &detail);
        if prev_hash != prev || hash != expect {
            return Err(Error::Internal(format!(
                "audit trail broken at entry {seq}: it was altered or an entry before it was removed"
            )));
        }
        prev = hash;
        n += 1;
    }
    Ok(n)
}
