//! 审批: one approval mechanism for every exception (holiday cash, late-fee waiver, shift
//! difference, void, later refunds). The approver types their own user name and password into the
//! dialog at that moment; the core checks them, checks that the approver holds the required role and
//! is not the person asking, counts a wrong password toward the approver's lock-out exactly like a
//! log-in, and the caller writes the `approval.granted` audit entry in the same transaction as the
//! operation it approves. Refusals are audited on their own.

use serde::{Deserialize, Serialize};

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
