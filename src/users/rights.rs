//! 权限表: the role matrix as data. One row per thing a person can ask the counter to do (each IPC
//! command, each `cashdeskctl` command), and the roles that may. Every `Desk` method that acts for
//! a person looks its action up here ([`Role::require`]); the UI only hides what this table
//! refuses anyway. `tests/core/rights.rs` walks every row for every role, logged in or not, through
//! the `Desk` API and through `cashdeskctl`.
//!
//! Decisions (DOMAIN.md "Users, roles and security"):
//! - administrators run the system (users, imports, the calendar, enrolment, settings, where the
//!   keys are kept, backups and restores) but never see a customer's account, a receipt or a shift
//!   report (least privilege);
//! - cashiers and supervisors take money; only supervisors approve exceptions;
//! - finance reviewers look accounts up and read shift reports, but take no money;
//! - the audit trail is read by administrators and supervisors (the hall's own check); the ledger's
//!   flags (待复核) by everyone but the cashier at the window;
//! - refund requests are taken and printed by whoever takes money; the hall's decision is asked from
//!   the same screen, and given with a supervisor's own name and password (the approval check),
//!   never the submitter's.
//!
//! A few actions are open to any logged-in person (log out, lock the screen, the sync state, the
//! printer settings as they stand, the shift of one's own): their row lists every role.

use serde::Serialize;

use super::Role;
use crate::{Error, Result};

/// Something a person asks the counter to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SearchAccounts,
    ViewAccount,
    Quote,
    CurrentShift,
    OpenShift,
    Collect,
    Vend,
    Void,
    Deposit,
    CloseShift,
    ShiftReport,
    ViewReceipt,
    PrintReceipt,
    Approve,
    ViewPrintSettings,
    SetPrintSettings,
    ViewCounterSettings,
    SetCounterSettings,
    SyncStatus,
    SyncNow,
    SyncFlagged,
    SyncEnrol,
    SyncResend,
    ListUsers,
    AddUser,
    DisableUser,
    EnableUser,
    UnlockUser,
    ResetPassword,
    ChangeRole,
    ImportAccounts,
    ImportBills,
    LoadCalendar,
    ManageKeys,
    Backup,
    Restore,
    AuditVerify,
    AuditTail,
    RefundSubmit,
    RefundDecide,
    RefundList,
    RefundPrint,
    DailyReport,
    SignDailyReport,
    ListDeposits,
    NoticeBatch,
    NoticePrint,
    NoticeLog,
    LockScreen,
    Logout,
    SetOwnLanguage,
}

use Role::{Admin as A, Cashier as C, Finance as F, Supervisor as S};

const EVERYONE: &[Role] = &[C, S, F, A];

/// The matrix: every action once, with the roles that may do it.
pub const MATRIX: &[(Action, &[Role])] = &[
    (Action::SearchAccounts, &[C, S, F]),
    (Action::ViewAccount, &[C, S, F]),
    (Action::Quote, &[C, S, F]),
    (Action::CurrentShift, EVERYONE),
    (Action::OpenShift, &[C, S]),
    (Action::Collect, &[C, S]),
    (Action::Vend, &[C, S]),
    (Action::Void, &[C, S]),
    (Action::Deposit, &[C, S]),
    (Action::CloseShift, &[C, S]),
    (Action::ShiftReport, &[C, S, F]),
    (Action::ViewReceipt, &[C, S]),
    (Action::PrintReceipt, &[C, S]),
    (Action::Approve, &[S]),
    (Action::ViewPrintSettings, EVERYONE),
    (Action::SetPrintSettings, &[S, A]),
    (Action::ViewCounterSettings, EVERYONE),
    (Action::SetCounterSettings, &[A]),
    (Action::SyncStatus, EVERYONE),
    (Action::SyncNow, EVERYONE),
    (Action::SyncFlagged, &[S, F, A]),
    (Action::SyncEnrol, &[A]),
    (Action::SyncResend, &[A]),
    (Action::ListUsers, &[A]),
    (Action::AddUser, &[A]),
    (Action::DisableUser, &[A]),
    (Action::EnableUser, &[A]),
    (Action::UnlockUser, &[A]),
    (Action::ResetPassword, &[A]),
    (Action::ChangeRole, &[A]),
    (Action::ImportAccounts, &[A]),
    (Action::ImportBills, &[A]),
    (Action::LoadCalendar, &[A]),
    (Action::ManageKeys, &[A]),
    (Action::Backup, &[A]),
    (Action::Restore, &[A]),
    (Action::AuditVerify, &[S, A]),
    (Action::AuditTail, &[S, A]),
    (Action::RefundSubmit, &[C, S]),
    (Action::RefundDecide, &[C, S]),
    (Action::RefundList, &[C, S]),
    (Action::RefundPrint, &[C, S]),
    (Action::DailyReport, &[C, S, F]),
    (Action::SignDailyReport, &[C, S]),
    (Action::ListDeposits, &[C, S, F]),
    (Action::NoticeBatch, &[S]),
    (Action::NoticePrint, &[C, S]),
    (Action::NoticeLog, &[C, S]),
    (Action::LockScreen, EVERYONE),
    (Action::Logout, EVERYONE),
    (Action::SetOwnLanguage, EVERYONE),
];

impl Action {
    /// What the action is, in words that finish "the role X may not …".
    pub fn describe(self) -> &'static str {
        match self {
            Action::SearchAccounts => "look up accounts",
            Action::ViewAccount => "open an account",
            Action::Quote => "quote what an account owes",
            Action::CurrentShift => "see their shift",
            Action::OpenShift => "open a shift",
            Action::Collect => "take a payment",
            Action::Vend => "sell electricity",
            Action::Void => "void a payment",
            Action::Deposit => "record a deposit",
            Action::CloseShift => "close a shift",
            Action::ShiftReport => "see shift reports",
            Action::ViewReceipt => "see receipts",
            Action::PrintReceipt => "print receipts",
            Action::Approve => "approve exceptions",
            Action::ViewPrintSettings => "see the printer settings",
            Action::SetPrintSettings => "change the printer settings",
            Action::ViewCounterSettings => "see the counter settings",
            Action::SetCounterSettings => "change the counter settings",
            Action::SyncStatus => "see the sync state",
            Action::SyncNow => "sync now",
            Action::SyncFlagged => "review flagged events",
            Action::SyncEnrol => "enrol this terminal with the ledger",
            Action::SyncResend => "resend events to the ledger",
            Action::ListUsers => "list users",
            Action::AddUser => "add users",
            Action::DisableUser => "disable users",
            Action::EnableUser => "enable users",
            Action::UnlockUser => "unlock users",
            Action::ResetPassword => "reset passwords",
            Action::ChangeRole => "change roles",
            Action::ImportAccounts => "import accounts",
            Action::ImportBills => "import bills",
            Action::LoadCalendar => "load a holiday calendar",
            Action::ManageKeys => "choose where the counter's keys are kept",
            Action::Backup => "back the counter's database up",
            Action::Restore => "restore the counter's database from a backup",
            Action::AuditVerify => "verify the audit trail",
            Action::AuditTail => "read the audit trail",
            Action::RefundSubmit => "submit refund requests",
            Action::RefundDecide => "decide refund requests at the hall",
            Action::RefundList => "list refund requests",
            Action::RefundPrint => "print refund forms",
            Action::DailyReport => "see the daily report",
            Action::SignDailyReport => "sign the daily report off",
            Action::ListDeposits => "list deposits",
            Action::NoticeBatch => "print arrears notices in batch",
            Action::NoticePrint => "print an arrears notice",
            Action::NoticeLog => "read the notice log",
            Action::LockScreen => "lock the screen",
            Action::Logout => "log out",
            Action::SetOwnLanguage => "choose the language of their own screens",
        }
    }

    /// Every action, in the matrix's order.
    pub fn all() -> impl Iterator<Item = Action> {
        MATRIX.iter().map(|(a, _)| *a)
    }

    /// The roles that may do this.
    pub fn roles(self) -> &'static [Role] {
        MATRIX.iter().find(|(a, _)| *a == self).map(|(_, r)| *r).unwrap_or(&[])
    }
}

impl Role {
    /// Whether this role may do `action` (the matrix).
    pub fn permits(self, action: Action) -> bool {
        action.roles().contains(&self)
    }

    /// `Forbidden` unless this role may do `action`.
    pub fn require(self, action: Action) -> Result<()> {
        if self.permits(action) {
            Ok(())
        } else {
            Err(Error::Forbidden { role: self.as_str(), action: action.describe() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        let mut seen = std::collections::HashSet::new();
        for (a, roles) in MATRIX {
            assert!(seen.insert(*a), "{a:?} is listed twice");
            assert!(!roles.is_empty(), "{a:?}: an action nobody may do is no action");
        }
    }

    #[test]
    fn administrators_never_see_customers_or_money() {
        for a in [Action::SearchAccounts, Action::ViewAccount, Action::Quote, Action::ViewReceipt, Action::ShiftReport]
        {
            assert!(!Role::Admin.permits(a), "{a:?}");
        }
        assert!(!Role::Admin.permits(Action::Collect));
        assert!(matches!(Role::Admin.require(Action::ViewAccount), Err(Error::Forbidden { .. })));
    }

    #[test]
    fn only_supervisors_approve_and_only_administrators_manage_users() {
        assert_eq!(Action::Approve.roles(), &[Role::Supervisor]);
        for a in [Action::AddUser, Action::DisableUser, Action::ResetPassword, Action::ChangeRole] {
            assert_eq!(a.roles(), &[Role::Admin], "{a:?}");
        }
    }
}
