//! 同步 at the counter: the status bar's sync state, enrolment by an administrator, "sync now", and
//! the background runner the shell starts.
//!
//! Invariants: enrolment needs an administrator's session, validates the URL (http/https), stores
//! the token only in the token store (the OS keyring) and audits `sync.enrol` without the token or
//! the code. After a round that replaced the policy or a calendar year, every clone of this `Desk`
//! uses the new ones. Only one round runs at a time in this process.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Desk, TokenRequest};
use crate::{
    Result,
    sync::{
        client::LedgerUrl,
        engine::{Engine, SyncReport},
        outbox,
        runner::{Runner, RunnerConfig},
        state::{self, FlaggedEvent, SyncErrorInfo},
    },
    users::Action,
};

/// What the status bar and `cashdeskctl sync status` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncStatus {
    /// A ledger URL is set and the token is in the keyring.
    pub enrolled: bool,
    pub ledger_url: Option<String>,
    /// RFC 3339, the counter's time.
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    /// Money events not yet acknowledged by the ledger (待上传).
    #[ts(type = "number")]
    pub waiting: i64,
    pub last_error: Option<SyncErrorInfo>,
    #[ts(type = "number")]
    pub consecutive_failures: i64,
    /// The pull cursor ('' = nothing pulled yet). Opaque.
    pub cursor: String,
    /// Events the ledger recorded with a flag, for review.
    #[ts(type = "number")]
    pub flagged: i64,
}

/// 终端注册: an administrator enrols this terminal with the ledger.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SyncEnrolRequest {
    pub token: String,
    /// The ledger's URL, e.g. `https://ledger.example.cn:8443`.
    pub url: String,
    /// The one-time code from `cashdesk-ledger terminal enrol`.
    pub code: String,
}

impl std::fmt::Debug for SyncEnrolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEnrolRequest")
            .field("token", &"<redacted>")
            .field("url", &self.url)
            .field("code", &"<redacted>")
            .finish()
    }
}

impl Desk {
    /// The sync engine of this counter (its database, terminal code, token store and clock).
    pub fn sync_engine(&self) -> Engine {
        Engine::new(self.pool.clone(), self.terminal.clone(), self.tokens.clone(), self.keys.clone())
            .with_writer(self.writer.clone())
            .with_clock(self.clock.clone())
    }

    /// The sync state, read for no person (the shell's own checks); a person asks through
    /// [`Self::sync_status`].
    pub async fn sync_state(&self) -> Result<SyncStatus> {
        let mut conn = self.pool.acquire().await?;
        let st = state::load(&mut conn).await?;
        let waiting = outbox::waiting(&mut conn).await?;
        let flagged = state::flagged_count(&mut conn).await?;
        drop(conn);
        let enrolled = st.ledger_url.is_some() && self.token_present().await;
        Ok(SyncStatus {
            enrolled,
            ledger_url: st.ledger_url,
            last_success: st.last_success,
            last_attempt: st.last_attempt,
            waiting,
            last_error: st.last_error,
            consecutive_failures: st.consecutive_failures,
            cursor: st.cursor,
            flagged,
        })
    }

    /// Whether the token store holds this terminal's token (see `Desk::token_seen`).
    async fn token_present(&self) -> bool {
        use std::sync::atomic::Ordering;
        if self.token_seen.load(Ordering::Relaxed) {
            return true;
        }
        match self.sync_engine().token().await {
            Ok(t) => {
                let present = t.is_some();
                if present {
                    self.token_seen.store(true, Ordering::Relaxed);
                }
                present
            }
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "cannot read the ledger token");
                false
            }
        }
    }

    /// 同步状态 for the status bar and `cashdeskctl sync status`: any logged-in user.
    pub async fn sync_status(&self, req: TokenRequest) -> Result<SyncStatus> {
        self.authorise(&req.token, Action::SyncStatus).await?;
        self.sync_state().await
    }

    /// 待复核: the events the ledger flagged, for supervisors, finance reviewers and administrators
    /// (a cashier sees only that there are some).
    pub async fn sync_review(&self, req: TokenRequest) -> Result<Vec<FlaggedEvent>> {
        self.authorise(&req.token, Action::SyncFlagged).await?;
        let mut conn = self.pool.acquire().await?;
        state::flagged(&mut conn).await
    }

    /// 终端注册: an administrator gives the ledger's URL and the one-time code; the token goes into
    /// the keyring. Audited (`sync.enrol`, with the URL; never the token or the code).
    pub async fn sync_enrol(&self, req: SyncEnrolRequest) -> Result<SyncStatus> {
        let s = self.authorise(&req.token, Action::SyncEnrol).await?;
        let url = LedgerUrl::parse(&req.url)?;
        self.sync_engine().enrol(&url, &req.code).await?;
        self.token_seen.store(true, std::sync::atomic::Ordering::Relaxed);
        self.audit_alone(
            &s.user.username,
            "sync.enrol",
            Some(self.terminal.as_str()),
            serde_json::json!({"url": url.as_str()}),
        )
        .await?;
        tracing::info!(url = %url, "terminal enrolled with the ledger");
        self.sync_state().await
    }

    /// 重新上传: after the ledger was restored from a backup, mark every event acknowledged at or after
    /// `since` (RFC 3339) as waiting again, so the next round sends it again; the ledger answers
    /// `duplicate` for what it still has and applies what it lost. The pull starts again from the
    /// beginning too: a restored ledger reuses the transaction ids of what it lost, so a cursor handed
    /// out after the backup would pass over changes made after the restore. Administrators only;
    /// audited. Returns how many events wait again.
    pub async fn sync_resend(&self, token: &str, since: &str) -> Result<i64> {
        let s = self.authorise(token, Action::SyncResend).await?;
        let since = chrono::DateTime::parse_from_rfc3339(since.trim()).map_err(|_| {
            crate::Error::invalid("since", "give a time like 2026-11-20T00:00:00+08:00 (before the ledger's backup)")
        })?;
        let mut tx = crate::store::write_tx(&self.writer).await?;
        // pushed_at is RFC 3339 text in the counter's offset: compare as instants, row by row.
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, pushed_at FROM outbox WHERE pushed_at IS NOT NULL").fetch_all(&mut *tx).await?;
        let again: Vec<i64> = rows
            .into_iter()
            .filter(|(_, at)| chrono::DateTime::parse_from_rfc3339(at).map(|t| t >= since).unwrap_or(true))
            .map(|(seq, _)| seq)
            .collect();
        for chunk in again.chunks(500) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("UPDATE outbox SET pushed_at = NULL WHERE seq IN (");
            let mut list = q.separated(", ");
            for seq in chunk {
                list.push_bind(*seq);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        if let Some(first) = again.iter().min() {
            crate::sync::outbox::lower_push_from(&mut tx, *first).await?;
        }
        sqlx::query("UPDATE sync_state SET cursor = '' WHERE id = 1").execute(&mut *tx).await?;
        let n = i64::try_from(again.len()).unwrap_or(i64::MAX);
        self.audit(
            &mut tx,
            &s.user.username,
            "sync.resend",
            Some(self.terminal.as_str()),
            serde_json::json!({"since": since.to_rfc3339(), "events": n, "pull": "from the beginning"}),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One sync round now, without a session (the background runner; a person goes through
    /// [`Self::sync_now`]). Afterwards the policy and calendar in force are the ones the ledger sent.
    pub async fn sync_once(&self) -> Result<SyncReport> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let report = self.sync_engine().sync_once().await?;
        if report.policy_changed || !report.calendar_years.is_empty() {
            self.reload_policy_and_calendar().await?;
        }
        Ok(report)
    }

    /// 立即同步 from the status bar: any logged-in user.
    pub async fn sync_now(&self, req: TokenRequest) -> Result<SyncReport> {
        self.authorise(&req.token, Action::SyncNow).await?;
        self.sync_once().await
    }

    /// Start the background sync task on the current tokio runtime (the shell keeps the handle and
    /// calls `Runner::stop` on exit).
    pub fn spawn_sync_runner(&self, cfg: RunnerConfig) -> Runner {
        let desk = Arc::new(self.clone());
        Runner::spawn(cfg, move || {
            let desk = desk.clone();
            async move { desk.sync_once().await }
        })
    }
}
