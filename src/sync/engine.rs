//! 同步引擎: one sync round with the central ledger, [`Engine::sync_once`]: push, then pull.
//!
//! Invariants:
//! - Push: waiting outbox events go in `seq` order, in batches of at most `wire::MAX_BATCH`. An
//!   event is marked pushed (`pushed_at`; the outbox's `push_from` mark follows, `outbox` module
//!   docs) only when the ledger's reply acknowledges it: applied, duplicate and flagged are all
//!   acknowledgements; flagged ones are also recorded with their reason in `sync_flagged`. A reply that does not answer exactly the events sent, in order, marks
//!   nothing (resending is always safe: the ledger keeps each event id once).
//! - Audit head: the first push of a round carries the audit chain's head and the counter's entry
//!   at the place of the head the ledger last acknowledged (kept in `settings`,
//!   `state::SETTING_AUDIT_SEEN`); with no event waiting that push has no events. The ledger flags
//!   a head that goes backwards or no longer extends the one it saw (`wire::AuditHead`).
//! - Pull: pages until `more` is false, each page with its cursor in one transaction (`pull`); a page
//!   is skipped, not applied, while events wait to be pushed.
//! - No database transaction is open while waiting on the network: the counter's payments never
//!   wait for the ledger. Each write transaction is one batch's marks or one page.
//! - The outcome of every attempt (success, or the error's code, message and whether to retry) is
//!   stored in `sync_state`, except "not enrolled", which is not an attempt.

use std::sync::{Arc, LazyLock};

use sqlx::SqlitePool;

use super::{
    client::{LedgerClient, LedgerUrl},
    outbox,
    pull::{self, Applied},
    state,
    token::{Token, TokenStore},
    wire::{self, AuditHead, AuditMark, EnrolRequest, EventResult, Outcome, PushEvent, PushRequest},
};
use crate::{Error, Result, config::TerminalCode, desk::Clock, store};

/// Changes asked for per pull page: small enough that applying one holds SQLite's write lock only
/// briefly (a payment waiting behind it waits milliseconds, not seconds).
pub const PULL_LIMIT: i64 = 1000;

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct SyncReport {
    /// Events acknowledged by the ledger, by outcome.
    pub applied: u32,
    pub duplicate: u32,
    pub flagged: u32,
    /// Pages applied, and the accounts and bills in them.
    pub pages: u32,
    pub accounts: u32,
    pub bills: u32,
    /// Whether the policy, or which calendar years, were replaced.
    pub policy_changed: bool,
    pub calendar_years: Vec<i32>,
    /// The pull was skipped because this many events were waiting (made during the push): run again.
    #[ts(type = "number | null")]
    pub pull_skipped_waiting: Option<i64>,
}

/// The sync engine of one counter database.
#[derive(Debug, Clone)]
pub struct Engine {
    pool: SqlitePool,
    /// Where the engine writes (`store` module docs); the pool itself unless given.
    writer: SqlitePool,
    terminal: TerminalCode,
    tokens: Arc<dyn TokenStore>,
    keys: crate::keystore::Keys,
    clock: Clock,
    pull_limit: i64,
}

impl Engine {
    /// An engine on the counter's database (already opened and migrated, e.g. `Desk::pool`), for
    /// `terminal`, keeping its token in `tokens` (production: `token::KeyringStore`) and opening
    /// the outbox's sealed secrets with the database's data key (`keys`, as `Desk` holds it).
    pub fn new(
        pool: SqlitePool,
        terminal: TerminalCode,
        tokens: Arc<dyn TokenStore>,
        keys: crate::keystore::Keys,
    ) -> Engine {
        Engine { writer: pool.clone(), pool, terminal, tokens, keys, clock: Clock::System, pull_limit: PULL_LIMIT }
    }

    /// Write through `writer` (the `Desk`'s), so the counter keeps one writing connection.
    pub fn with_writer(mut self, writer: SqlitePool) -> Engine {
        self.writer = writer;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Engine {
        self.clock = clock;
        self
    }

    /// Changes per pull page (1..=`wire::MAX_PAGE`).
    pub fn with_pull_limit(mut self, limit: i64) -> Engine {
        self.pull_limit = limit.clamp(1, wire::MAX_PAGE);
        self
    }

    pub fn terminal(&self) -> &TerminalCode {
        &self.terminal
    }

    fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// Exchange a one-time enrolment code for this terminal's token: the token goes into the token
    /// store, the URL into `sync_state` (a new URL starts pulling from the beginning). A plain
    /// `http://` URL is refused unless the ledger is on this machine: the code and the token would
    /// cross the network in clear.
    pub async fn enrol(&self, url: &LedgerUrl, code: &str) -> Result<()> {
        url.require_encryption()?;
        let code = code.trim();
        if code.is_empty() || code.len() > 200 || !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid("code", "give the one-time enrolment code the ledger's administrator printed"));
        }
        let client = LedgerClient::new(url.clone())?;
        let reply = client
            .enrol(&EnrolRequest { terminal: self.terminal.as_str().to_string(), code: code.to_string() })
            .await?;
        if reply.terminal != self.terminal.as_str() {
            return Err(Error::SyncBadReply {
                detail: format!(
                    "the ledger enrolled terminal '{}', not {}",
                    super::client::clip(&reply.terminal, 40),
                    self.terminal
                ),
            });
        }
        let token = Token::new(reply.token)?;
        let (tokens, terminal) = (self.tokens.clone(), self.terminal.as_str().to_string());
        blocking(move || tokens.set(&terminal, &token)).await?;
        let mut conn = self.pool.acquire().await?;
        state::set_ledger_url(&mut conn, url.as_str()).await?;
        Ok(())
    }

    /// The ledger URL and token, or `SYNC_NOT_ENROLLED`.
    async fn credentials(&self) -> Result<(LedgerUrl, Token)> {
        let mut conn = self.pool.acquire().await?;
        let url = state::load(&mut conn).await?.ledger_url.ok_or(Error::SyncNotEnrolled)?;
        drop(conn);
        let url = LedgerUrl::parse(&url)?;
        let token = self.token().await?.ok_or(Error::SyncNotEnrolled)?;
        Ok((url, token))
    }

    /// The stored token, if any (read off the async runtime: a keyring call may block).
    pub async fn token(&self) -> Result<Option<Token>> {
        let (tokens, terminal) = (self.tokens.clone(), self.terminal.as_str().to_string());
        blocking(move || tokens.get(&terminal)).await
    }

    /// Whether this counter has a ledger URL and a token.
    pub async fn enrolled(&self) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        let has_url = state::load(&mut conn).await?.ledger_url.is_some();
        drop(conn);
        Ok(has_url && self.token().await?.is_some())
    }

    /// One sync round: push every waiting event, then pull every page. The outcome is recorded in
    /// `sync_state`.
    pub async fn sync_once(&self) -> Result<SyncReport> {
        let result = match self.credentials().await {
            Err(Error::SyncNotEnrolled) => return Err(Error::SyncNotEnrolled),
            // A keyring that cannot be read is an attempt that failed: the status bar shows it.
            Err(e) => Err(e),
            Ok((url, token)) => self.round(&url, &token).await,
        };
        let mut conn = self.pool.acquire().await?;
        match &result {
            Ok(_) => state::record_success(&mut conn, &self.now()).await?,
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "sync with the ledger failed");
                state::record_failure(&mut conn, &self.now(), e).await?;
            }
        }
        result
    }

    /// The audit chain head the ledger holds for this terminal (`cashdeskctl audit verify`).
    pub async fn ledger_audit_head(&self) -> Result<Option<crate::audit::Checkpoint>> {
        let (url, token) = self.credentials().await?;
        let held = LedgerClient::new(url)?.audit_head(&token).await?;
        Ok(held.head.filter(AuditMark::is_well_formed).map(|m| crate::audit::Checkpoint { seq: m.seq, hash: m.hash }))
    }

    async fn round(&self, url: &LedgerUrl, token: &Token) -> Result<SyncReport> {
        let client = LedgerClient::new(url.clone())?;
        let mut report = SyncReport::default();
        self.push_all(&client, token, &mut report).await?;
        self.pull_all(&client, token, &mut report).await?;
        Ok(report)
    }

    /// Push the events waiting when the round began (later ones go next round: a busy counter
    /// cannot keep a round going for ever).
    ///
    /// The first request carries the audit chain's head (`audit_head`); when no event waits, the
    /// round sends it in a push with no events, so an idle counter's head reaches the ledger too.
    async fn push_all(&self, client: &LedgerClient, token: &Token, report: &mut SyncReport) -> Result<()> {
        static LAST: LazyLock<String> =
            LazyLock::new(|| format!("SELECT MAX(seq) FROM outbox WHERE {}", outbox::WAITING));
        let mut audit = Some(self.audit_head().await?);
        let (last,): (Option<i64>,) = sqlx::query_as(LAST.as_str()).fetch_one(&self.pool).await?;
        let mut after = 0i64;
        loop {
            let events = match last {
                Some(last) => self.waiting_batch(after, last).await?,
                None => Vec::new(),
            };
            let Some(newest) = events.last() else {
                if audit.is_some() {
                    let reply = client.push(token, &PushRequest { events: Vec::new(), audit }).await?;
                    self.acknowledge(&[], &reply.results, report).await?;
                    self.keep_audit_seen(reply.audit_seen.as_ref()).await?;
                }
                return Ok(());
            };
            after = newest.seq;
            let reply = client.push(token, &PushRequest { events: events.clone(), audit: audit.take() }).await?;
            self.acknowledge(&events, &reply.results, report).await?;
            self.keep_audit_seen(reply.audit_seen.as_ref()).await?;
        }
    }

    /// The audit chain's head, and the counter's own entry at the seq of the head the ledger last
    /// acknowledged (none when there is no acknowledgement yet or the entry is gone).
    async fn audit_head(&self) -> Result<AuditHead> {
        let mut conn = self.pool.acquire().await?;
        let head = crate::audit::head(&mut conn).await?;
        let at_last = match state::audit_seen(&mut conn).await? {
            Some(seen) => crate::audit::entry_at(&mut conn, seen.seq).await?,
            None => None,
        };
        let mark = |c: crate::audit::Checkpoint| AuditMark { seq: c.seq, hash: c.hash };
        Ok(AuditHead { head: mark(head), at_last: at_last.map(mark) })
    }

    /// Keep the head the ledger says it holds (an older ledger says nothing: nothing changes).
    async fn keep_audit_seen(&self, seen: Option<&AuditMark>) -> Result<()> {
        if let Some(seen) = seen.filter(|s| s.is_well_formed()) {
            let mut conn = self.writer.acquire().await?;
            state::set_audit_seen(&mut conn, seen).await?;
        }
        Ok(())
    }

    /// The next waiting events in `(after, last]`, in order: at most `MAX_BATCH`, and about half
    /// the ledger's body limit (payloads are small; this only guards a pathological outbox).
    async fn waiting_batch(&self, after: i64, last: i64) -> Result<Vec<PushEvent>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT seq, event_id, kind, terminal, payload, payload_sha256, created_at, secret FROM outbox
                 WHERE {} AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                outbox::WAITING
            )
        });
        type Row = (i64, String, String, String, String, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(SQL.as_str())
            .bind(after)
            .bind(last)
            .bind(i64::try_from(wire::MAX_BATCH).unwrap_or(500))
            .fetch_all(&self.pool)
            .await?;
        let mut bytes = 0usize;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, event_id, kind, terminal, payload, payload_sha256, created_at, sealed) in rows {
            bytes += payload.len() + 256;
            if !out.is_empty() && bytes > wire::MAX_BODY_BYTES / 2 {
                break;
            }
            // A secret is opened only here, for the request that carries it (`outbox` docs). A
            // secret that no longer opens (the data key lost) must not stop every later event: the
            // event goes without it, and the ledger flags it for the paper form to be read.
            let secret = match sealed {
                Some(sealed) => {
                    match self.keys.data(&self.pool).await.and_then(|k| k.open(outbox::SECRET_COLUMN, &sealed)) {
                        Ok(secret) => Some(secret),
                        Err(e) => {
                            tracing::warn!(event = %event_id, code = e.code(), "an event's secret does not open: sent without it");
                            None
                        }
                    }
                }
                None => None,
            };
            out.push(PushEvent { event_id, seq, kind, terminal, payload, payload_sha256, created_at, secret });
        }
        Ok(out)
    }

    /// Mark the acknowledged events pushed and record flagged ones, in one transaction.
    async fn acknowledge(&self, sent: &[PushEvent], results: &[EventResult], report: &mut SyncReport) -> Result<()> {
        if results.len() != sent.len() || sent.iter().zip(results).any(|(e, r)| e.event_id != r.event_id) {
            return Err(Error::SyncBadReply {
                detail: format!(
                    "sent {} events, the reply does not answer each of them in order ({} results)",
                    sent.len(),
                    results.len()
                ),
            });
        }
        if sent.is_empty() {
            return Ok(());
        }
        let at = self.now();
        let mut tx = store::write_tx(&self.writer).await?;
        for (e, r) in sent.iter().zip(results) {
            sqlx::query("UPDATE outbox SET pushed_at = ? WHERE event_id = ? AND pushed_at IS NULL")
                .bind(&at)
                .bind(&e.event_id)
                .execute(&mut *tx)
                .await?;
            match r.outcome {
                Outcome::Applied => report.applied += 1,
                Outcome::Duplicate => report.duplicate += 1,
                Outcome::Flagged => {
                    report.flagged += 1;
                    let reason = super::client::clip(r.flag.as_deref().unwrap_or("flagged by the ledger"), 500);
                    state::record_flagged(&mut tx, &e.event_id, e.seq, &e.kind, &reason, &at).await?;
                }
            }
        }
        outbox::advance_push_from(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pull_all(&self, client: &LedgerClient, token: &Token, report: &mut SyncReport) -> Result<()> {
        let mut cursor = {
            let mut conn = self.pool.acquire().await?;
            state::load(&mut conn).await?.cursor
        };
        loop {
            let page = client.pull(token, &cursor, self.pull_limit).await?;
            match pull::apply_page(&self.writer, &page, &self.now()).await? {
                Applied::Skipped { waiting } => {
                    report.pull_skipped_waiting = Some(waiting);
                    return Ok(());
                }
                Applied::Page { accounts, bills, policy, calendar_years } => {
                    report.pages += 1;
                    report.accounts += accounts;
                    report.bills += bills;
                    report.policy_changed |= policy;
                    report.calendar_years.extend(calendar_years);
                }
            }
            if !page.more {
                return Ok(());
            }
            if page.cursor == cursor {
                return Err(Error::SyncBadReply {
                    detail: "the ledger says more changes wait but its cursor did not move".into(),
                });
            }
            cursor = page.cursor;
        }
    }
}

/// Run a token-store call on the blocking pool (keyring calls talk to D-Bus and may block).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("the keyring call did not finish: {e}")))?
}
