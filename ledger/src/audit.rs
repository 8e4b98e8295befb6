//! 审计: what the ledger's users do — log-ins (and every failed one), log-outs, user
//! administration, finance decisions and payouts — in table `finance_audit`. A request's own steps
//! are also in `refund_history` (what the finance view shows); this is the trail of the people.
//!
//! Invariants: append-only (a trigger refuses UPDATE and DELETE); tamper-evident: each entry is
//! chained to the one before with the core's plain hash (`cashdesk::audit::Entry::seal` without a
//! key: the ledger's trail lives in PostgreSQL, written only through the serving role, which cannot
//! alter the table's triggers), so an edit or a removal breaks [`verify`]. Writers append one at a time (a transaction-scoped advisory lock
//! orders them), in the same transaction as the change they describe. Details never contain
//! passwords, tokens or bank account numbers.

use cashdesk::audit::{Checkpoint, Entry, GENESIS};
use chrono::{DateTime, FixedOffset};
use sqlx::{PgConnection, PgPool};

use crate::error::LedgerError;

/// Where an action came from: the finance API or the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Cli => "cli",
        }
    }
}

/// Serialises the appenders of one database (the chain has one head).
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('finance_audit'))";
const HEAD: &str = "SELECT hash FROM finance_audit ORDER BY seq DESC LIMIT 1";

/// The predecessor of a plain entry: its hash is all the plain scheme covers.
fn plain_prev(hash: &str) -> Checkpoint {
    Checkpoint { seq: 0, hash: hash.to_string() }
}

/// Append an entry inside the caller's transaction (which must be one: the lock is held to its end).
pub async fn append(
    conn: &mut PgConnection,
    at: DateTime<FixedOffset>,
    channel: Channel,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), LedgerError> {
    sqlx::query(LOCK).execute(&mut *conn).await?;
    let prev: Option<(String,)> = sqlx::query_as(HEAD).fetch_optional(&mut *conn).await?;
    let prev = prev.map_or_else(|| GENESIS.to_string(), |(h,)| h);
    let entry = Entry { at, terminal: channel.as_str(), actor, action, subject, detail };
    let sealed = entry.seal(&plain_prev(&prev), None);
    sqlx::query(
        "INSERT INTO finance_audit (at, channel, actor, action, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.at.to_rfc3339())
    .bind(channel.as_str())
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(entry.detail.to_string())
    .bind(&prev)
    .bind(sealed.hash())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Append an entry in a transaction of its own.
pub async fn append_now(
    pool: &PgPool,
    at: DateTime<FixedOffset>,
    channel: Channel,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), LedgerError> {
    let mut tx = pool.begin().await?;
    append(&mut tx, at, channel, actor, action, subject, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub seq: i64,
    pub at: String,
    pub channel: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: String,
}

/// The last `limit` entries, newest first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Stored>, LedgerError> {
    type Row = (i64, String, String, String, String, Option<String>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, channel, actor, action, subject, detail FROM finance_audit ORDER BY seq DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, at, channel, actor, action, subject, detail)| Stored {
            seq,
            at,
            channel,
            actor,
            action,
            subject,
            detail,
        })
        .collect())
}

/// Walk the whole chain: the number of entries, or the first entry that does not match.
pub async fn verify(pool: &PgPool) -> Result<u64, LedgerError> {
    type Row = (i64, String, String, String, String, Option<String>, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, channel, actor, action, subject, detail, prev_hash, hash FROM finance_audit ORDER BY seq",
    )
    .fetch_all(pool)
    .await?;
    let mut prev = GENESIS.to_string();
    let mut n = 0u64;
    for (seq, at, channel, actor, action, subject, detail, prev_hash, hash) in rows {
        let broken = || LedgerError::Internal(format!("the finance audit is broken at entry {seq}"));
        let at = DateTime::parse_from_rfc3339(&at).map_err(|_| broken())?;
        let detail: serde_json::Value = serde_json::from_str(&detail).map_err(|_| broken())?;
        let entry =
            Entry { at, terminal: &channel, actor: &actor, action: &action, subject: subject.as_deref(), detail };
        if prev_hash != prev || entry.seal(&plain_prev(&prev), None).hash() != hash {
            return Err(LedgerError::Internal(format!(
                "the finance audit is broken at entry {seq}: it was altered or an entry before it was removed"
            )));
        }
        prev = hash;
        n += 1;
    }
    Ok(n)
}
