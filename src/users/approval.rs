//! 审批: one approval mechanism for every exception (holiday cash, late-fee waiver, shift
//! difference, void, later refunds). The approver types their own user name and password into the
//! dialog at that moment; the core checks them, checks that the approver holds the required role and
//! is not the person asking, counts a wrong password toward the approver's lock-out exactly like a
//! log-in, and the caller writes the `approval.granted` audit entry in the same transaction as the
//! operation it approves. Refusals are audited on their own.
//!
//! The password is compared only after the attempt is counted (`credentials`), and nothing about
//! the approver is told before it is compared: an unknown name, a locked approver and a wrong
//! password all answer `APPROVAL_INVALID`. Only the requester's own name is refused at once
//! (`APPROVAL_SELF`: they know it is theirs); a right password of someone who may not approve
//! answers `APPROVAL_ROLE`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::SqlitePool;

use super::{
    Action, Role,
    credentials::{self, Outcome, UNKNOWN_USER, name_digest},
};
use crate::{Error, Result, audit, store};

/// What the approval dialog sends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for ApprovalInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalInput").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

/// A checked approver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approver {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

/// Who asks for the approval, and where.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub requester_id: i64,
    pub requester: &'a str,
    /// What is approved, as audited and as the error names it ("holiday cash", "void", ...).
    pub action: &'static str,
    pub terminal: &'a str,
    pub now: DateTime<FixedOffset>,
    /// The audit key the approval's entries are sealed with (`audit`).
    pub audit_key: Option<&'a crate::audit::Key>,
}

async fn audit_alone(
    writer: &SqlitePool,
    r: &Request<'_>,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let mut tx = store::write_tx(writer).await?;
    audit::append(
        &mut tx,
        r.audit_key,
        audit::Entry { at: r.now, terminal: r.terminal, actor, action, subject: Some(r.requester), detail },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The one approval check: `input` is what the dialog sent (see the module docs).
pub async fn check(
    pool: &SqlitePool,
    writer: &SqlitePool,
    input: Option<&ApprovalInput>,
    r: Request<'_>,
) -> Result<Approver> {
    let input = input.ok_or(Error::ApprovalRequired { action: r.action })?;
    let name = input.username.trim();
    let refused = |why: &str| json!({"action": r.action, "requester": r.requester, "why": why});
    if name == r.requester {
        audit_alone(writer, &r, name, "approval.refused", refused("self-approval")).await?;
        return Err(Error::ApprovalSelf);
    }
    match credentials::check(pool, writer, name, &input.password, r.now).await? {
        Outcome::Unknown => {
            let mut detail = refused("unknown approver");
            detail["name"] = json!(name_digest(name));
            audit_alone(writer, &r, UNKNOWN_USER, "approval.refused", detail).await?;
            Err(Error::ApprovalInvalid)
        }
        Outcome::Locked { .. } => {
            audit_alone(writer, &r, name, "approval.refused", refused("approver locked")).await?;
            Err(Error::ApprovalInvalid)
        }
        Outcome::Wrong { failed, locked_until, .. } => {
            let mut detail = json!({"action": r.action, "requester": r.requester, "failed_attempts": failed});
            if let Some(until) = locked_until {
                detail["locked_until"] = json!(until.to_rfc3339());
            }
            audit_alone(writer, &r, name, "approval.failed", detail).await?;
            Err(Error::ApprovalInvalid)
        }
        Outcome::Disabled(_) => {
            audit_alone(writer, &r, name, "approval.refused", refused("approver disabled")).await?;
            Err(Error::ApprovalRole { role: Role::Supervisor.as_str() })
        }
        Outcome::Ok(user) if user.id == r.requester_id => {
            audit_alone(writer, &r, name, "approval.refused", refused("self-approval")).await?;
            Err(Error::ApprovalSelf)
        }
        Outcome::Ok(user) if !user.info.role.permits(Action::Approve) => {
            audit_alone(writer, &r, name, "approval.refused", refused("not a supervisor")).await?;
            Err(Error::ApprovalRole { role: Role::Supervisor.as_str() })
        }
        Outcome::Ok(user) => {
            Ok(Approver { user_id: user.id, username: user.info.username, display_name: user.info.display_name })
        }
    }
}
