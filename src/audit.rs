//! 审计日志: the audit trail. Every operation (log-in success and failure, log-out, account look-up,
//! import, user administration, later every money operation) appends one entry: who, what, when,
//! at which terminal, on what subject, with a JSON detail (before/after where something changed).
//!
//! Invariants: append-only (SQLite triggers refuse UPDATE and DELETE); tamper-evident: each entry
//! stores the SHA-256 of the previous entry's hash and its own fields, so an edit or a removal in
//! the middle breaks [`verify`]. An entry is written in the same transaction as the change it
//! describes. Details never contain passwords, tokens, ID-card or bank numbers.
//!
//! Checked incrementally ([`verify_from`]): the counter checks the chain at start and at each
//! administrator's log-in from the entry the last check ended on (its checkpoint, kept in
//! `settings`), which must still be there with the same hash: entries edited, removed or reordered
//! since, and the end of the trail cut off or rewritten, are found at once. An entry edited before
//! the checkpoint is found by a whole walk (`cashdeskctl audit verify`). A break found either way
//! is recorded and told to administrators at every log-in until a whole walk finds the chain
//! intact. What this does not catch: someone who can write the file, rewrites the chain from some
//! entry on with freshly computed hashes and moves the checkpoint too. Against that, each sync
//! round sends the chain's [`head`] to the ledger with the counter's entry at the place of the head
//! the ledger last acknowledged ([`entry_at`]); the ledger flags for review a head that goes
//! backwards or no longer extends the one it saw (`sync::wire::AuditHead`). A rewrite made and
//! sent before the next round, with a chain whose hashes anyone can compute, still needs the keyed
//! chain (issue 17, part 2).

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::{Error, Result};

macro_rules! genesis {
    () => {
        "0000000000000000000000000000000000000000000000000000000000000000"
    };
}

/// The hash that precedes the first entry.
pub const GENESIS: &str = genesis!();

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

/// The newest entry's hash, or [`GENESIS`]: a scalar query, also used as a subquery by writers
/// that read everything they need in one round trip (`payments::db::before`).
pub const HEAD: &str =
    concat!("SELECT COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '", genesis!(), "')");

/// An entry chained to its predecessor, ready to insert.
#[derive(Debug, Clone)]
pub struct Sealed {
    at: String,
    terminal: String,
    actor: String,
    action: String,
    subject: Option<String>,
    detail: String,
    prev: String,
    hash: String,
}

impl Entry<'_> {
    /// Chain this entry after the entry whose hash is `prev`.
    pub fn seal(&self, prev: &str) -> Sealed {
        let at = self.at.to_rfc3339();
        let detail = self.detail.to_string();
        let hash = entry_hash(prev, &at, self.terminal, self.actor, self.action, self.subject, &detail);
        Sealed {
            at,
            terminal: self.terminal.to_string(),
            actor: self.actor.to_string(),
            action: self.action.to_string(),
            subject: self.subject.map(str::to_string),
            detail,
            prev: prev.to_string(),
            hash,
        }
    }
}

impl Sealed {
    /// This entry's hash: the `prev` of the next one.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Add this entry's `INSERT` (one statement, no trailing separator) to a batch.
    pub fn push_insert(&self, q: &mut sqlx::QueryBuilder<sqlx::Sqlite>) {
        q.push("INSERT INTO audit_log (at, terminal, actor, action, subject, detail, prev_hash, hash) VALUES (");
        let mut v = q.separated(", ");
        v.push_bind(self.at.as_str())
            .push_bind(self.terminal.as_str())
            .push_bind(self.actor.as_str())
            .push_bind(self.action.as_str())
            .push_bind(self.subject.as_deref())
            .push_bind(self.detail.as_str())
            .push_bind(self.prev.as_str())
            .push_bind(self.hash.as_str());
        q.push(")");
    }
}

/// Append an entry inside the caller's transaction.
pub async fn append(conn: &mut SqliteConnection, e: Entry<'_>) -> Result<()> {
    let (prev,): (String,) = sqlx::query_as(HEAD).fetch_one(&mut *conn).await?;
    let mut q = sqlx::QueryBuilder::new("");
    e.seal(&prev).push_insert(&mut q);
    q.build().execute(&mut *conn).await?;
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

/// The newest entry (seq 0 and [`GENESIS`] on an empty trail): the head a sync round sends the
/// ledger (`sync::engine`).
pub async fn head(conn: &mut SqliteConnection) -> Result<Checkpoint> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(conn).await?;
    Ok(row.map_or_else(|| Checkpoint { seq: 0, hash: GENESIS.to_string() }, |(seq, hash)| Checkpoint { seq, hash }))
}

/// The entry at `seq` as it is now (seq 0 is the genesis), if there is one.
pub async fn entry_at(conn: &mut SqliteConnection, seq: i64) -> Result<Option<Checkpoint>> {
    if seq == 0 {
        return Ok(Some(Checkpoint { seq: 0, hash: GENESIS.to_string() }));
    }
    let row: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_log WHERE seq = ?").bind(seq).fetch_optional(conn).await?;
    Ok(row.map(|(hash,)| Checkpoint { seq, hash }))
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
    match verify_from(conn, None).await? {
        Checked::Intact { entries, .. } => Ok(entries),
        Checked::Broken { seq, .. } => Err(Error::Internal(format!(
            "audit trail broken at entry {seq}: it was altered or an entry before it was removed"
        ))),
    }
}

/// The last entry a check found intact: where the next check starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

/// What a check of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Every entry read matches; `head` is the newest (none on an empty trail), `entries` how many
    /// were read.
    Intact { head: Option<Checkpoint>, entries: u64 },
    /// The first entry that does not match (`seq`), and why.
    Broken { seq: i64, why: Broken },
}

/// Why a chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// An entry's fields do not give its hash: it was edited.
    Altered,
    /// An entry does not follow the one before it: entries were removed or reordered between them.
    Unlinked,
    /// The entry a previous check ended on is gone or different: the end of the trail was removed
    /// or rewritten.
    CheckpointGone,
}

impl Broken {
    pub fn as_str(self) -> &'static str {
        match self {
            Broken::Altered => "altered",
            Broken::Unlinked => "unlinked",
            Broken::CheckpointGone => "checkpoint_gone",
        }
    }
}

/// Check the chain from `from` on (the entry a previous check ended on), or from its start: the
/// checkpoint's entry must still be there with the same hash, and every later entry must follow
/// its predecessor and match its own fields. Reads only the entries after the checkpoint.
pub async fn verify_from(conn: &mut SqliteConnection, from: Option<&Checkpoint>) -> Result<Checked> {
    type Row = (i64, String, String, String, String, Option<String>, String, String, String);
    let (after, mut prev) = match from {
        None => (0, GENESIS.to_string()),
        Some(c) => {
            let found: Option<(String,)> = sqlx::query_as("SELECT hash FROM audit_log WHERE seq = ?")
                .bind(c.seq)
                .fetch_optional(&mut *conn)
                .await?;
            if found.map(|(h,)| h) != Some(c.hash.clone()) {
                return Ok(Checked::Broken { seq: c.seq, why: Broken::CheckpointGone });
            }
            (c.seq, c.hash.clone())
        }
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, terminal, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq",
    )
    .bind(after)
    .fetch_all(conn)
    .await?;
    let mut head = from.cloned();
    let mut entries = 0u64;
    for (seq, at, terminal, actor, action, subject, detail, prev_hash, hash) in rows {
        if prev_hash != prev {
            return Ok(Checked::Broken { seq, why: Broken::Unlinked });
        }
        if hash != entry_hash(&prev, &at, &terminal, &actor, &action, subject.as_deref(), &detail) {
            return Ok(Checked::Broken { seq, why: Broken::Altered });
        }
        prev = hash.clone();
        head = Some(Checkpoint { seq, hash });
        entries += 1;
    }
    Ok(Checked::Intact { head, entries })
}
