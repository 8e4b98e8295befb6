//! 审计日志: reading and checking the audit trail (`cashdeskctl audit verify|tail`), for the roles
//! the matrix names (administrators and supervisors). Reading it is itself audited.

use super::Desk;
use crate::{
    Error, Result,
    audit::{self, Checked, Checkpoint},
    store,
    users::Action,
};

/// `settings` keys: the entry the last check of the audit trail ended on.
pub const SETTING_CHECKED_SEQ: &str = "audit_checked_seq";
pub const SETTING_CHECKED_HASH: &str = "audit_checked_hash";
/// `settings` key: the break a check found (`seq:why`), told to administrators at every log-in
/// until a whole walk of the chain finds it intact; empty when none.
pub const SETTING_BROKEN: &str = "audit_broken";

impl Desk {
    /// Walk the whole hash chain; the number of entries, or the first entry that does not match. A
    /// break found is recorded (administrators are told at log-in); an intact walk clears one.
    pub async fn audit_verify(&self, token: &str) -> Result<u64> {
        let s = self.authorise(token, Action::AuditVerify).await?;
        let mut conn = self.pool.acquire().await?;
        let checked = audit::verify_from(&mut conn, None).await?;
        drop(conn);
        match checked {
            Checked::Intact { entries, .. } => {
                self.record_break(None).await?;
                self.audit_alone(&s.user.username, "audit.verify", None, serde_json::json!({"entries": entries}))
                    .await?;
                Ok(entries)
            }
            Checked::Broken { seq, why } => {
                self.record_break(Some((seq, why))).await?;
                Err(Error::Internal(format!(
                    "audit trail broken at entry {seq} ({}): it was altered, or entries were removed or reordered",
                    why.as_str()
                )))
            }
        }
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
        let mut conn = self.pool.acquire().await?;
        let checked = audit::verify_from(&mut conn, from.as_ref()).await?;
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
