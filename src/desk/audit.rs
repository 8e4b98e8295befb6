//! 审计日志: reading and checking the audit trail (`cashdeskctl audit verify|tail`), for the roles
//! the matrix names (administrators and supervisors). Reading it is itself audited.

use super::Desk;
use crate::{
    Error, Result,
    audit::{self, AgainstLedger, Checked, Checkpoint},
    store,
    users::Action,
};

/// `settings` keys: the entry the last check of the audit trail ended on.
pub const SETTING_CHECKED_SEQ: &str = "audit_checked_seq";
pub const SETTING_CHECKED_HASH: &str = "audit_checked_hash";
/// `settings` key: the break a check found (`seq:why`), told to administrators at every log-in
/// until a whole walk of the chain finds it intact; empty when none.
pub const SETTING_BROKEN: &str = "audit_broken";

/// What `cashdeskctl audit verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditVerified {
    /// Entries walked, all intact.
    pub entries: u64,
    pub ledger: LedgerAudit,
}

/// The comparison with the ledger's head.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "ledger", rename_all = "snake_case")]
pub enum LedgerAudit {
    /// The counter is not enrolled with a ledger: nothing to compare.
    NotEnrolled,
    /// The ledger could not be asked (offline, refused): the local walk stands alone.
    Unreachable {
        detail: String,
    },
    Compared(AgainstLedger),
}

impl Desk {
    /// Walk the whole chain, then, when the counter is enrolled, compare it with the head the
    /// ledger holds for it (`audit::against_ledger`): the number of entries and what the ledger
    /// comparison found, or the first entry that does not match. A break found either way is
    /// recorded (administrators are told at log-in); an intact walk that the ledger does not
    /// contradict clears one. A ledger that cannot be reached is said so, and the local walk stands.
    pub async fn audit_verify(&self, token: &str) -> Result<AuditVerified> {
        let s = self.authorise(token, Action::AuditVerify).await?;
        let key = self.keys.audit(&self.pool).await?;
        let mut conn = self.pool.acquire().await?;
        let checked = audit::verify_from(&mut conn, None, key.as_deref()).await?;
        drop(conn);
        let entries = match checked {
            Checked::Intact { entries, .. } => entries,
            Checked::Broken { seq, why } => {
                self.record_break(Some((seq, why))).await?;
                return Err(Error::Internal(format!(
                    "audit trail broken at entry {seq} ({}): it was altered, or entries were removed or reordered",
                    why.as_str()
                )));
            }
        };
        let ledger = match self.sync_engine().ledger_audit_head().await {
            Err(Error::SyncNotEnrolled) => LedgerAudit::NotEnrolled,
            Err(e) => LedgerAudit::Unreachable { detail: format!("{}: {e}", e.code()) },
            Ok(held) => {
                let mut conn = self.pool.acquire().await?;
                LedgerAudit::Compared(audit::against_ledger(&mut conn, held.as_ref()).await?)
            }
        };
        let differs = match &ledger {
            LedgerAudit::Compared(AgainstLedger::Missing { seq, .. }) => Some((*seq, "missing here")),
            LedgerAudit::Compared(AgainstLedger::Differs { seq }) => Some((*seq, "another hash here")),
            _ => None,
        };
        self.record_break(differs.map(|(seq, _)| (seq, audit::Broken::LedgerDiffers))).await?;
        self.audit_alone(
            &s.user.username,
            "audit.verify",
            None,
            serde_json::json!({"entries": entries, "ledger": ledger}),
        )
        .await?;
        if let Some((seq, how)) = differs {
            return Err(Error::Internal(format!(
                "audit trail differs from the ledger at entry {seq} ({how}): the ledger holds a head this trail no longer has; the end of the trail was removed or rewritten after it was sent"
            )));
        }
        Ok(AuditVerified { entries, ledger })
    }

    /// The last `n` entries (1..=10,000), newest first.
    pub async fn audit_tail(&self, token: &str, n: i64) -> Result<Vec<audit::Stored>> {
        let s = self.authorise(token, Action::AuditTail).await?;
        if !(1..=10_000).contains(&n) {
            return Err(Error::invalid("n", "show 1 to 10000 entries"));
        }
        let mut conn = self.pool.acquire().await?;
        let rows = audit::recent(&mut conn, n).await?;
        drop(conn);
        self.audit_alone(&s.user.username, "audit.read", None, serde_json::json!({"entries": rows.len()})).await?;
        Ok(rows)
    }

    /// Check the audit trail from where the last check ended (at the app's start, and at each
    /// administrator's log-in): see `audit::verify_from`. An intact chain moves the checkpoint to
    /// its newest entry; a broken one leaves it where it was, so every later check finds the break
    /// again until it is dealt with. No session: it reads no customer data and says only intact or
    /// broken at which entry.
    pub async fn audit_check(&self) -> Result<Checked> {
        let seq = store::setting(&self.pool, SETTING_CHECKED_SEQ).await?;
        let hash = store::setting(&self.pool, SETTING_CHECKED_HASH).await?;
        let from = match (seq.and_then(|s| s.parse::<i64>().ok()), hash) {
            (Some(seq), Some(hash)) => Some(Checkpoint { seq, hash }),
            _ => None,
        };
        let key = self.keys.audit(&self.pool).await?;
        let mut conn = self.pool.acquire().await?;
        let checked = audit::verify_from(&mut conn, from.as_ref(), key.as_deref()).await?;
        drop(conn);
        match &checked {
            Checked::Intact { head: Some(head), entries } if *entries > 0 => {
                let mut tx = store::write_tx(&self.writer).await?;
                store::set_setting(&mut *tx, SETTING_CHECKED_SEQ, &head.seq.to_string()).await?;
                store::set_setting(&mut *tx, SETTING_CHECKED_HASH, &head.hash).await?;
                tx.commit().await?;
            }
            Checked::Broken { seq, why } => {
                tracing::error!(entry = seq, why = why.as_str(), "the audit trail is broken");
                self.record_break(Some((*seq, *why))).await?;
            }
            Checked::Intact { .. } => {}
        }
        Ok(checked)
    }

    /// The break recorded by a check (this one or an earlier one, incremental or whole), if any.
    pub async fn audit_break(&self) -> Result<Option<(i64, String)>> {
        let recorded = store::setting(&self.pool, SETTING_BROKEN).await?.unwrap_or_default();
        Ok(recorded.split_once(':').and_then(|(seq, why)| Some((seq.parse().ok()?, why.to_string()))))
    }

    /// Record a break found, or (`None`, after a whole walk found the chain intact) clear it.
    async fn record_break(&self, found: Option<(i64, audit::Broken)>) -> Result<()> {
        let value = found.map(|(seq, why)| format!("{seq}:{}", why.as_str())).unwrap_or_default();
        if store::setting(&self.pool, SETTING_BROKEN).await?.unwrap_or_default() == value {
            return Ok(());
        }
        let mut tx = store::write_tx(&self.writer).await?;
        store::set_setting(&mut *tx, SETTING_BROKEN, &value).await?;
        tx.commit().await?;
        Ok(())
    }
}
