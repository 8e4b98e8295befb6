//! 审计日志: the audit trail. Every operation (log-in success and failure, log-out, account look-up,
//! import, user administration, later every money operation) appends one entry: who, what, when,
//! at which terminal, on what subject, with a JSON detail (before/after where something changed).
//!
//! Invariants: append-only (SQLite triggers refuse UPDATE and DELETE); tamper-evident: each entry
//! stores the SHA-256 of the previous entry's hash and its own fields, so an edit or a removal in
//! the middle breaks [`verify`]. An entry is written in the same transaction as the change it
//! describes. Details never contain passwords, tokens, ID-card or bank numbers.
//!
//! Keyed ([`Key`]): each entry's hash is HMAC-SHA-256 (ring's `hmac`) under the counter's audit
//! key, a secret kept with its other keys in the OS keyring or the file store an administrator
//! chose (`keystore`), never in the database; the MAC covers the entry's `seq`, its predecessor's
//! hash and every field. Someone who can write the file but has not the key cannot make an entry
//! that verifies, so cannot edit, insert, renumber or reorder entries and recompute the chain after
//! them. `scheme` says how an entry was sealed: 1 keyed, 0 the plain SHA-256 of earlier builds
//! (and of a counter that has never had a keyring). Plain entries may only come before the first
//! keyed one: a plain entry after a keyed one is a break ([`Broken::Unkeyed`]), so the chain cannot
//! be downgraded. Once a database has recorded its audit key, nothing is audited without it: an
//! append fails with `AUDIT_KEY_UNAVAILABLE` rather than write an entry that is not evidence.
//!
//! Checked incrementally ([`verify_from`]): the counter checks the chain at start and at each
//! administrator's log-in from the entry the last check ended on (its checkpoint, kept in
//! `settings`), which must still be there with the same hash: entries edited, removed or reordered
//! since, and the end of the trail cut off or rewritten, are found at once. An entry edited before
//! the checkpoint is found by a whole walk (`cashdeskctl audit verify`). A break found either way
//! is recorded and told to administrators at every log-in until a whole walk finds the chain
//! intact. What a keyed chain alone does not catch is the end of the trail cut off together with
//! the checkpoint (or the whole file replaced by an older copy): each sync round sends the chain's
//! [`head`] to the ledger with the counter's entry at the place of the head the ledger last
//! acknowledged ([`entry_at`]); the ledger flags for review a head that goes backwards or no longer
//! extends the one it saw (`sync::wire::AuditHead`), and `cashdeskctl audit verify` compares the
//! local chain with the head the ledger holds.

use chrono::{DateTime, FixedOffset};
use ring::hmac;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::{Error, Result, datakey::Secret};

macro_rules! genesis {
    () => {
        "0000000000000000000000000000000000000000000000000000000000000000"
    };
}

/// The hash that precedes the first entry.
pub const GENESIS: &str = genesis!();

/// How an entry was sealed (`audit_log.scheme`).
pub const SCHEME_PLAIN: i64 = 0;
pub const SCHEME_KEYED: i64 = 1;

/// The audit key (审计密钥): seals entries with HMAC-SHA-256. `Debug` is redacted.
pub struct Key {
    key: hmac::Key,
    id: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit::Key(id {}, <redacted>)", self.id)
    }
}

impl Key {
    pub fn from_secret(secret: &Secret) -> Key {
        Key { key: hmac::Key::new(hmac::HMAC_SHA256, secret.bytes()), id: secret.id() }
    }

    /// The key's fingerprint (safe to store and show).
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The fields an entry's hash covers, each length-prefixed so that no two lists of fields give the
/// same input.
struct Fields<'a> {
    seq: i64,
    prev: &'a str,
    at: &'a str,
    terminal: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: Option<&'a str>,
    detail: &'a str,
}

impl Fields<'_> {
    /// The plain hash of earlier builds (no key, no seq).
    fn plain(&self) -> String {
        let mut h = Sha256::new();
        for part in
            [self.prev, self.at, self.terminal, self.actor, self.action, self.subject.unwrap_or(""), self.detail]
        {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// The keyed hash: HMAC-SHA-256 under `key` of the seq and the plain hash's fields.
    fn keyed(&self, key: &Key) -> String {
        let mut ctx = hmac::Context::with_key(&key.key);
        let seq = self.seq.to_string();
        for part in [
            "cashdesk-audit-v1",
            seq.as_str(),
            self.prev,
            self.at,
            self.terminal,
            self.actor,
            self.action,
            self.subject.unwrap_or(""),
            self.detail,
        ] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        hex::encode(ctx.sign().as_ref())
    }
}

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

/// The newest entry as `seq:hash` (`0:`[`GENESIS`] on an empty trail), read with
/// [`Checkpoint::from_head`]: a scalar query, also used as a subquery by writers that read
/// everything they need in one round trip (`payments::db::before`).
pub const HEAD: &str = concat!(
    "SELECT COALESCE((SELECT seq || ':' || hash FROM audit_log ORDER BY seq DESC LIMIT 1), '0:",
    genesis!(),
    "')"
);

/// An entry chained to its predecessor, ready to insert.
#[derive(Debug, Clone)]
pub struct Sealed {
    seq: i64,
    at: String,
    terminal: String,
    actor: String,
    action: String,
    subject: Option<String>,
    detail: String,
    prev: String,
    hash: String,
    scheme: i64,
}

impl Entry<'_> {
    /// Chain this entry after `prev` (the newest entry, [`HEAD`]), keyed under `key` when there is
    /// one (see the module docs for when there is none).
    pub fn seal(&self, prev: &Checkpoint, key: Option<&Key>) -> Sealed {
        let at = self.at.to_rfc3339();
        let detail = self.detail.to_string();
        let seq = prev.seq + 1;
        let fields = Fields {
            seq,
            prev: &prev.hash,
            at: &at,
            terminal: self.terminal,
            actor: self.actor,
            action: self.action,
            subject: self.subject,
            detail: &detail,
        };
        let (hash, scheme) = match key {
            Some(k) => (fields.keyed(k), SCHEME_KEYED),
            None => (fields.plain(), SCHEME_PLAIN),
        };
        Sealed {
            seq,
            at,
            terminal: self.terminal.to_string(),
            actor: self.actor.to_string(),
            action: self.action.to_string(),
            subject: self.subject.map(str::to_string),
            detail,
            prev: prev.hash.clone(),
            hash,
            scheme,
        }
    }
}

impl Sealed {
    /// This entry's hash.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// This entry as the predecessor of the next one.
    pub fn next(&self) -> Checkpoint {
        Checkpoint { seq: self.seq, hash: self.hash.clone() }
    }

    /// Add this entry's `INSERT` (one statement, no trailing separator) to a batch.
    pub fn push_insert(&self, q: &mut sqlx::QueryBuilder<sqlx::Sqlite>) {
        q.push(
            "INSERT INTO audit_log (seq, at, terminal, actor, action, subject, detail, prev_hash, hash, scheme) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(self.seq)
            .push_bind(self.at.as_str())
            .push_bind(self.terminal.as_str())
            .push_bind(self.actor.as_str())
            .push_bind(self.action.as_str())
            .push_bind(self.subject.as_deref())
            .push_bind(self.detail.as_str())
            .push_bind(self.prev.as_str())
            .push_bind(self.hash.as_str())
            .push_bind(self.scheme);
        q.push(")");
    }
}

/// Append an entry inside the caller's transaction, keyed under `key` when there is one.
pub async fn append(conn: &mut SqliteConnection, key: Option<&Key>, e: Entry<'_>) -> Result<()> {
    let (head,): (String,) = sqlx::query_as(HEAD).fetch_one(&mut *conn).await?;
    let prev = Checkpoint::from_head(&head)?;
    let mut q = sqlx::QueryBuilder::new("");
    e.seal(&prev, key).push_insert(&mut q);
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
    let (head,): (String,) = sqlx::query_as(HEAD).fetch_one(conn).await?;
    Checkpoint::from_head(&head)
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
pub async fn verify(conn: &mut SqliteConnection, key: Option<&Key>) -> Result<u64> {
    match verify_from(conn, None, key).await? {
        Checked::Intact { entries, .. } => Ok(entries),
        Checked::Broken { seq, .. } => Err(Error::Internal(format!(
            "audit trail broken at entry {seq}: it was altered or an entry before it was removed"
        ))),
    }
}

/// An entry of the chain by its place: the last entry a check found intact (where the next check
/// starts), the predecessor of a new entry, a head sent to the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl Checkpoint {
    /// Read [`HEAD`]'s `seq:hash`.
    pub fn from_head(head: &str) -> Result<Checkpoint> {
        head.split_once(':')
            .and_then(|(seq, hash)| Some(Checkpoint { seq: seq.parse().ok()?, hash: hash.to_string() }))
            .ok_or_else(|| Error::Internal(format!("the audit trail's head reads {head:?}, not seq:hash")))
    }
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
    /// An entry's fields (its seq among them) do not give its hash: it was edited or renumbered.
    Altered,
    /// An entry does not follow the one before it: entries were removed or reordered between them.
    Unlinked,
    /// The entry a previous check ended on is gone or different: the end of the trail was removed
    /// or rewritten.
    CheckpointGone,
    /// A plain (unkeyed) entry after a keyed one: written by someone without the audit key.
    Unkeyed,
    /// The ledger holds a head this chain does not have (`cashdeskctl audit verify`): the end of
    /// the trail was removed or rewritten after it was sent.
    LedgerDiffers,
}

impl Broken {
    pub fn as_str(self) -> &'static str {
        match self {
            Broken::Altered => "altered",
            Broken::Unlinked => "unlinked",
            Broken::CheckpointGone => "checkpoint_gone",
            Broken::Unkeyed => "unkeyed",
            Broken::LedgerDiffers => "ledger_differs",
        }
    }
}

/// How the local chain stands against the head the ledger holds for this counter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgainstLedger {
    /// The ledger has no head from this counter yet.
    NoneYet,
    /// The ledger's head is in the local chain, which extends it (`local_head` ≥ `seq`).
    Matches { seq: i64, local_head: i64 },
    /// The local chain has no entry where the ledger's head is: its end was removed, or the file
    /// is an older copy.
    Missing { seq: i64, local_head: i64 },
    /// The local entry at the ledger's head differs from it: rewritten since it was sent.
    Differs { seq: i64 },
}

/// Compare the local chain with `held`, the head the ledger holds for this counter.
pub async fn against_ledger(conn: &mut SqliteConnection, held: Option<&Checkpoint>) -> Result<AgainstLedger> {
    let Some(held) = held else { return Ok(AgainstLedger::NoneYet) };
    let local_head = head(&mut *conn).await?.seq;
    Ok(match entry_at(conn, held.seq).await? {
        Some(e) if e.hash == held.hash => AgainstLedger::Matches { seq: held.seq, local_head },
        Some(_) => AgainstLedger::Differs { seq: held.seq },
        None => AgainstLedger::Missing { seq: held.seq, local_head },
    })
}

/// Whether the trail has a keyed entry at or before `seq`.
async fn keyed_by(conn: &mut SqliteConnection, seq: i64) -> Result<bool> {
    let (keyed,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM audit_log WHERE scheme = ? AND seq <= ?)")
        .bind(SCHEME_KEYED)
        .bind(seq)
        .fetch_one(conn)
        .await?;
    Ok(keyed)
}

/// Check the chain from `from` on (the entry a previous check ended on), or from its start: the
/// checkpoint's entry must still be there with the same hash, and every later entry must follow
/// its predecessor and match its own fields under `key`. Reads only the entries after the
/// checkpoint. A keyed entry cannot be checked without the key: `AUDIT_KEY_UNAVAILABLE`.
pub async fn verify_from(conn: &mut SqliteConnection, from: Option<&Checkpoint>, key: Option<&Key>) -> Result<Checked> {
    type Row = (i64, String, String, String, String, Option<String>, String, String, String, i64);
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
    let mut keyed_seen = after > 0 && keyed_by(conn, after).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, terminal, actor, action, subject, detail, prev_hash, hash, scheme FROM audit_log WHERE seq > ? ORDER BY seq",
    )
    .bind(after)
    .fetch_all(conn)
    .await?;
    let mut head = from.cloned();
    let mut entries = 0u64;
    for (seq, at, terminal, actor, action, subject, detail, prev_hash, hash, scheme) in rows {
        if prev_hash != prev {
            return Ok(Checked::Broken { seq, why: Broken::Unlinked });
        }
        let fields = Fields {
            seq,
            prev: &prev,
            at: &at,
            terminal: &terminal,
            actor: &actor,
            action: &action,
            subject: subject.as_deref(),
            detail: &detail,
        };
        let expected = match scheme {
            SCHEME_PLAIN if keyed_seen => return Ok(Checked::Broken { seq, why: Broken::Unkeyed }),
            SCHEME_PLAIN => fields.plain(),
            SCHEME_KEYED => {
                keyed_seen = true;
                match key {
                    Some(k) => fields.keyed(k),
                    None => {
                        return Err(Error::AuditKeyUnavailable {
                            detail: format!("entry {seq} is keyed and the audit key is not at hand to check it"),
                        });
                    }
                }
            }
            _ => return Ok(Checked::Broken { seq, why: Broken::Altered }),
        };
        if hash != expected {
            return Ok(Checked::Broken { seq, why: Broken::Altered });
        }
        prev = hash.clone();
        head = Some(Checkpoint { seq, hash });
        entries += 1;
    }
    Ok(Checked::Intact { head, entries })
}
