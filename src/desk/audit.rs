//! 审计日志: reading and checking the audit trail (`cashdeskctl audit verify|tail`), for the roles
//! the matrix names (administrators and supervisors). Reading it is itself audited.

use super::Desk;
use crate::{Error, Result, audit, users::Action};

impl Desk {
    /// Walk the whole hash chain; the number of entries, or the first entry that does not match.
    pub async fn audit_verify(&self, token: &str) -> Result<u64> {
        let s = self.authorise(token, Action::AuditVerify).await?;
        let mut conn = self.pool.acquire().await?;
        let n = audit::verify(&mut conn).await?;
        drop(conn);
        self.audit_alone(&s.user.username, "audit.verify", None, serde_json::json!({"entries": n})).await?;
        Ok(n)
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
}
