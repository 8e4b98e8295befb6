//! Errors that cross from the core to a person: each has a stable `code` (the UI translates by code,
//! never by message text), `params` for the translated message, and an English message that says
//! what to fix (shown by the CLI and logged).
//!
//! Storage failures keep their detail for the log but are shown to the cashier only as `STORE_ERROR`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{accounts::import::ImportError, calendar::CalendarError, money::MoneyError, policy::PolicyError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "wrong user name or password; 5 wrong passwords in a row lock a user for 15 minutes (an administrator can unlock it)"
    )]
    AuthInvalid,
    #[error("this user is disabled; ask an administrator")]
    AuthDisabled,
    #[error("your session has ended; log in again")]
    SessionExpired,
    #[error(
        "the screen is locked: {username} unlocks it with their password, or logs out so that someone else can log in"
    )]
    SessionLocked { username: String },
    #[error("this database already has an administrator: log in as one to change it")]
    AlreadyInitialised,
    #[error("no user {username}")]
    UserNotFound { username: String },
    #[error("{0}")]
    Refund(#[from] crate::refunds::RefundError),
    #[error("no refund request {request_no}")]
    RefundNotFound { request_no: String },
    #[error("the central ledger refused ({ledger_code}): {message}")]
    FinanceRefused { ledger_code: String, message: String },
    #[error("{}", password_rule(rule))]
    PasswordWeak { rule: &'static str },
    #[error("{}", guard_rule(rule))]
    UserGuard { rule: &'static str },
    #[error("the role {role} may not {action}")]
    Forbidden { role: &'static str, action: &'static str },
    #[error("no account with 户号 {account_no}; check the number or search by name")]
    AccountNotFound { account_no: String },
    #[error("type a 户号, part of a name, an address or a meter number to search")]
    QueryEmpty,
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    Money(#[from] MoneyError),
    #[error("{0}")]
    Calendar(#[from] CalendarError),
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Import(#[from] ImportError),
    #[error("the user {0} already exists; pick another name")]
    UserExists(String),
    #[error("{field}: {source}")]
    MoneyField { field: &'static str, source: MoneyError },
    #[error("a shift is already open for this cashier or at this terminal; close it first")]
    ShiftAlreadyOpen,
    #[error("no shift is open for you at this terminal; open a shift with its float first")]
    ShiftNotOpen,
    #[error("account {account_no} is closed (销户) and accepts no payment; its balance can only be refunded")]
    AccountClosed { account_no: String },
    #[error("account {account_no} is {mode}: use {use_instead}")]
    WrongBillingMode { account_no: String, mode: &'static str, use_instead: &'static str },
    #[error("the cash tendered {tendered} is less than the amount {amount}")]
    TenderedTooLittle { tendered: String, amount: String },
    #[error("type the cash handed over (实收), or press F4 for exactly the amount due")]
    TenderedMissing,
    #[error("the cash handed over is more than {max}: check the amount typed (a forgotten decimal point?)")]
    TenderedTooLarge { max: String },
    #[error(
        "check the amount: 实收 {tendered} ({tendered_words}), 找零 {change} ({change_words}); confirm it a second time if it is right"
    )]
    TenderedNeedsConfirmation { tendered: String, change: String, tendered_words: String, change_words: String },
    #[error("{field} must be more than 0.00")]
    AmountZero { field: &'static str },
    #[error(
        "this category pays for electricity by bank transfer first on working days (先银行后售电): register the customer's bank voucher"
    )]
    BankFirst,
    #[error("{action} needs a supervisor's approval, given with the supervisor's own user name and password")]
    ApprovalRequired { action: &'static str },
    #[error("holiday cash is at most {limit} per transaction")]
    HolidayCashLimit { limit: String },
    #[error("holiday cash in this shift would exceed {limit}")]
    HolidayCashShiftLimit { limit: String },
    #[error(
        "holiday cash of receipt {receipt_no} was due at the bank on {due_on} and is not deposited: deposit it before taking more holiday cash"
    )]
    HolidayCashOverdue { receipt_no: String, due_on: String },
    #[error("the receipt numbers of {terminal} for {year} are used up (999999 a year): call the administrator")]
    ReceiptNumbersUsedUp { terminal: String, year: i32 },
    #[error("this bank voucher ({bank} {serial}) was already used by receipt {receipt_no} at {at} by {cashier}")]
    VoucherUsed { bank: String, serial: String, receipt_no: String, at: String, cashier: String },
    #[error(
        "the voucher {bank} {serial} was registered with amount {registered}, payer {payer}; the details typed differ"
    )]
    VoucherMismatch { bank: String, serial: String, registered: String, payer: String },
    #[error("the approver's user name or password is wrong")]
    ApprovalInvalid,
    #[error("nobody approves their own request: another supervisor must approve")]
    ApprovalSelf,
    #[error(
        "{approver} took money at this terminal that day and cannot sign its report off: a supervisor who took none signs it"
    )]
    ApprovalTookMoney { approver: String },
    #[error("the approver must be a {role}")]
    ApprovalRole { role: &'static str },
    #[error("no receipt {receipt_no}")]
    ReceiptNotFound { receipt_no: String },
    #[error("receipt {receipt_no} cannot be voided: {why}")]
    VoidRefused { receipt_no: String, why: String },
    #[error(
        "a deposit of {amount} is more than the cash this drawer and the safe hold by the records: count the deposit again"
    )]
    DepositTooLarge { amount: String },
    #[error(
        "this close needs a reason and a supervisor's approval: the count does not match the records, or an earlier count of this shift did not"
    )]
    CountNeedsApproval,
    #[error("no printer is set for this counter: a supervisor sets it in Settings")]
    PrinterNotSet,
    #[error("account {account_no} has no overdue bill: there is nothing to put on an arrears notice")]
    NoArrears { account_no: String },
    #[error("no notice run {run} on this counter")]
    NoticeRunNotFound { run: i64 },
    #[error("{0}")]
    Print(#[from] crate::print::PrintError),
    #[error(
        "this database was written by a newer Cashdesk (schema {found}, this build knows up to {known}); install the newer version"
    )]
    DatabaseTooNew { found: i64, known: i64 },
    #[error(
        "sync with the central ledger is not set up: an administrator enrols this terminal with the ledger's URL and a one-time code"
    )]
    SyncNotEnrolled,
    #[error(
        "the central ledger cannot be reached ({detail}); the counter keeps working and sends its events when the network is back"
    )]
    SyncOffline { detail: String },
    #[error("the central ledger refused the request ({ledger_code}: {message})")]
    SyncRefused { status: u16, ledger_code: String, message: String, retry: bool },
    #[error("the central ledger sent a reply this counter cannot use: {detail}")]
    SyncBadReply { detail: String },
    #[error("{waiting} event(s) are waiting to be sent: the ledger's changes are applied once they have been pushed")]
    SyncPushFirst { waiting: i64 },
    #[error("the OS keyring cannot be used ({detail}); log in to the desktop session, or ask an administrator")]
    SyncKeyring { detail: String },
    #[error("the counter's data key cannot be used ({detail}); ask an administrator")]
    DataKeyUnavailable { detail: String },
    #[error(
        "this computer has no usable OS keyring ({detail}): ID-card and bank account numbers are stored only encrypted, and receipts' verification codes are made, with keys kept there. Start the desktop session's keyring (the Secret Service, e.g. gnome-keyring, or the Windows Credential Manager) and try again, or have an administrator choose a key store outside the data directory: `cashdeskctl datakey file-store --path DIR`"
    )]
    KeyringUnavailable { detail: String },
    #[error(
        "the audit key cannot be used ({detail}): nothing is done while the audit trail cannot be signed. Start the desktop session's keyring (or make the chosen key store's directory readable) and try again, or ask an administrator"
    )]
    AuditKeyUnavailable { detail: String },
    #[error(
        "the data key found (id {found}) is not the one this database was written with (id {expected}); restore the right key or ask an administrator"
    )]
    DataKeyMismatch { expected: String, found: String },
    #[error("{0}")]
    Backup(#[from] crate::backup::BackupError),
    #[error(
        "another program has this counter's database open (the counter app, or another cashdeskctl): close the counter app first, then try again"
    )]
    DatabaseInUse,
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a new password broke (`users::password::validate_new`), in words; `rule` is the param.
fn password_rule(rule: &str) -> &'static str {
    match rule {
        "too_short" => "the password is too short: use at least 10 characters",
        "too_long" => "the password is too long: use at most 128 characters",
        "control" => "the password has control characters: use letters, digits and symbols",
        "digits_only" => "the password is only digits: use letters or symbols as well",
        "repeated" => "the password is one character repeated: use more than one",
        "user_name" => "the password contains the user name: choose another",
        _ => "this password is on the list of common passwords: choose another",
    }
}

/// Why an administrator's change to a user was refused (`desk::users`); `rule` is the param.
fn guard_rule(rule: &str) -> &'static str {
    match rule {
        "self" => "you cannot disable yourself or take away your own role",
        "last_admin" => "this is the last enabled administrator: add another one first",
        _ => "this user has an open shift: they close it before their role can change to one that takes no money",
    }
}

/// What crosses IPC/HTTP when a call fails. Optional data lives in `params` (always present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub params: BTreeMap<String, String>,
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid { field: field.into(), reason: reason.into() }
    }

    /// Stable code; the UI's translations are keyed by it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::AuthInvalid => "AUTH_INVALID",
            Error::AuthDisabled => "AUTH_DISABLED",
            Error::SessionExpired => "SESSION_EXPIRED",
            Error::SessionLocked { .. } => "SESSION_LOCKED",
            Error::AlreadyInitialised => "ALREADY_INITIALISED",
            Error::UserNotFound { .. } => "USER_NOT_FOUND",
            Error::PasswordWeak { .. } => "PASSWORD_WEAK",
            Error::Refund(e) => e.code(),
            Error::RefundNotFound { .. } => "REFUND_NOT_FOUND",
            Error::FinanceRefused { .. } => "FINANCE_REFUSED",
            Error::UserGuard { .. } => "USER_GUARD",
            Error::Forbidden { .. } => "FORBIDDEN",
            Error::AccountNotFound { .. } => "ACCOUNT_NOT_FOUND",
            Error::QueryEmpty => "QUERY_EMPTY",
            Error::Invalid { .. } => "INPUT_INVALID",
            Error::Money(e) => e.code(),
            Error::Calendar(e) => e.code(),
            Error::Policy(e) => e.code(),
            Error::Import(_) => "IMPORT_REJECTED",
            Error::UserExists(_) => "USER_EXISTS",
            Error::MoneyField { source, .. } => source.code(),
            Error::ShiftAlreadyOpen => "SHIFT_ALREADY_OPEN",
            Error::ShiftNotOpen => "SHIFT_NOT_OPEN",
            Error::AccountClosed { .. } => "ACCOUNT_CLOSED",
            Error::WrongBillingMode { .. } => "WRONG_BILLING_MODE",
            Error::TenderedTooLittle { .. } => "TENDERED_TOO_LITTLE",
            Error::TenderedMissing => "TENDERED_MISSING",
            Error::TenderedTooLarge { .. } => "TENDERED_TOO_LARGE",
            Error::TenderedNeedsConfirmation { .. } => "TENDERED_CONFIRM",
            Error::AmountZero { .. } => "AMOUNT_ZERO",
            Error::BankFirst => "BANK_FIRST",
            Error::ApprovalRequired { .. } => "APPROVAL_REQUIRED",
            Error::HolidayCashLimit { .. } => "HOLIDAY_CASH_LIMIT",
            Error::HolidayCashShiftLimit { .. } => "HOLIDAY_CASH_SHIFT_LIMIT",
            Error::HolidayCashOverdue { .. } => "HOLIDAY_CASH_OVERDUE",
            Error::ReceiptNumbersUsedUp { .. } => "RECEIPT_NUMBERS_USED_UP",
            Error::VoucherUsed { .. } => "VOUCHER_USED",
            Error::VoucherMismatch { .. } => "VOUCHER_MISMATCH",
            Error::ApprovalInvalid => "APPROVAL_INVALID",
            Error::ApprovalSelf => "APPROVAL_SELF",
            Error::ApprovalRole { .. } => "APPROVAL_ROLE",
            Error::ReceiptNotFound { .. } => "RECEIPT_NOT_FOUND",
            Error::VoidRefused { .. } => "VOID_REFUSED",
            Error::DepositTooLarge { .. } => "DEPOSIT_TOO_LARGE",
            Error::CountNeedsApproval => "COUNT_NEEDS_APPROVAL",
            Error::PrinterNotSet => "PRINTER_NOT_SET",
            Error::ApprovalTookMoney { .. } => "APPROVAL_TOOK_MONEY",
            Error::NoArrears { .. } => "NO_ARREARS",
            Error::NoticeRunNotFound { .. } => "NOTICE_RUN_NOT_FOUND",
            Error::Print(e) => e.code(),
            Error::DatabaseTooNew { .. } => "DATABASE_TOO_NEW",
            Error::SyncNotEnrolled => "SYNC_NOT_ENROLLED",
            Error::SyncOffline { .. } => "SYNC_OFFLINE",
            // The ledger is there but its token check failed: enrol again.
            Error::SyncRefused { status: 401, .. } => "SYNC_UNAUTHORIZED",
            // Busy or restarting (503): to the person at the counter, the same as offline.
            Error::SyncRefused { retry: true, .. } => "SYNC_OFFLINE",
            Error::SyncRefused { .. } => "SYNC_REFUSED",
            Error::SyncBadReply { .. } => "SYNC_BAD_REPLY",
            Error::SyncPushFirst { .. } => "SYNC_PUSH_FIRST",
            Error::SyncKeyring { .. } => "SYNC_KEYRING",
            Error::DataKeyUnavailable { .. } => "DATA_KEY_UNAVAILABLE",
            Error::KeyringUnavailable { .. } => "KEYRING_UNAVAILABLE",
            Error::AuditKeyUnavailable { .. } => "AUDIT_KEY_UNAVAILABLE",
            Error::DataKeyMismatch { .. } => "DATA_KEY_MISMATCH",
            Error::Backup(e) => e.code(),
            Error::DatabaseInUse => "DATABASE_IN_USE",
            Error::Store(_) | Error::Migrate(_) | Error::Io(_) => "STORE_ERROR",
            Error::Internal(_) => "INTERNAL",
        }
    }

    pub fn params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        match self {
            Error::SessionLocked { username } | Error::UserNotFound { username } => {
                p.insert("username".into(), username.clone());
            }
            Error::PasswordWeak { rule } | Error::UserGuard { rule } => {
                p.insert("rule".into(), (*rule).into());
            }
            Error::RefundNotFound { request_no } => {
                p.insert("request_no".into(), request_no.clone());
            }
            Error::DatabaseTooNew { found, known } => {
                p.insert("found".into(), found.to_string());
                p.insert("known".into(), known.to_string());
            }
            Error::Refund(e) => p.extend(e.params()),
            Error::Backup(e) => p.extend(e.params()),
            Error::FinanceRefused { ledger_code, message } => {
                p.insert("ledger_code".into(), ledger_code.clone());
                p.insert("message".into(), message.clone());
            }
            Error::Forbidden { role, action } => {
                p.insert("role".into(), (*role).into());
                p.insert("action".into(), (*action).into());
            }
            Error::AccountNotFound { account_no } => {
                p.insert("account_no".into(), account_no.clone());
            }
            Error::Invalid { field, reason } => {
                p.insert("field".into(), field.clone());
                p.insert("reason".into(), reason.clone());
            }
            Error::UserExists(name) => {
                p.insert("username".into(), name.clone());
            }
            Error::MoneyField { field, .. } => {
                p.insert("field".into(), (*field).into());
            }
            Error::AccountClosed { account_no } => {
                p.insert("account_no".into(), account_no.clone());
            }
            Error::WrongBillingMode { account_no, mode, .. } => {
                p.insert("account_no".into(), account_no.clone());
                p.insert("mode".into(), (*mode).into());
            }
            Error::TenderedTooLittle { tendered, amount } => {
                p.insert("tendered".into(), tendered.clone());
                p.insert("amount".into(), amount.clone());
            }
            Error::TenderedTooLarge { max } => {
                p.insert("max".into(), max.clone());
            }
            Error::TenderedNeedsConfirmation { tendered, change, tendered_words, change_words } => {
                for (k, v) in [
                    ("tendered", tendered),
                    ("change", change),
                    ("tendered_words", tendered_words),
                    ("change_words", change_words),
                ] {
                    p.insert(k.into(), v.clone());
                }
            }
            Error::AmountZero { field } => {
                p.insert("field".into(), (*field).into());
            }
            Error::ApprovalRequired { action } => {
                p.insert("action".into(), (*action).into());
            }
            Error::HolidayCashLimit { limit } | Error::HolidayCashShiftLimit { limit } => {
                p.insert("limit".into(), limit.clone());
            }
            Error::HolidayCashOverdue { receipt_no, due_on } => {
                p.insert("receipt_no".into(), receipt_no.clone());
                p.insert("due_on".into(), due_on.clone());
            }
            Error::ReceiptNumbersUsedUp { terminal, year } => {
                p.insert("terminal".into(), terminal.clone());
                p.insert("year".into(), year.to_string());
            }
            Error::VoucherUsed { bank, serial, receipt_no, at, cashier } => {
                for (k, v) in
                    [("bank", bank), ("serial", serial), ("receipt_no", receipt_no), ("at", at), ("cashier", cashier)]
                {
                    p.insert(k.into(), v.clone());
                }
            }
            Error::VoucherMismatch { bank, serial, registered, payer } => {
                for (k, v) in [("bank", bank), ("serial", serial), ("registered", registered), ("payer", payer)] {
                    p.insert(k.into(), v.clone());
                }
            }
            Error::ApprovalRole { role } => {
                p.insert("role".into(), (*role).into());
            }
            Error::ReceiptNotFound { receipt_no } => {
                p.insert("receipt_no".into(), receipt_no.clone());
            }
            Error::VoidRefused { receipt_no, why } => {
                p.insert("receipt_no".into(), receipt_no.clone());
                p.insert("why".into(), why.clone());
            }
            Error::DepositTooLarge { amount } => {
                p.insert("amount".into(), amount.clone());
            }
            Error::ApprovalTookMoney { approver } => {
                p.insert("approver".into(), approver.clone());
            }
            Error::NoArrears { account_no } => {
                p.insert("account_no".into(), account_no.clone());
            }
            Error::NoticeRunNotFound { run } => {
                p.insert("run".into(), run.to_string());
            }
            Error::SyncOffline { detail }
            | Error::SyncBadReply { detail }
            | Error::SyncKeyring { detail }
            | Error::DataKeyUnavailable { detail }
            | Error::KeyringUnavailable { detail }
            | Error::AuditKeyUnavailable { detail } => {
                p.insert("detail".into(), detail.clone());
            }
            Error::DataKeyMismatch { expected, found } => {
                p.insert("expected".into(), expected.clone());
                p.insert("found".into(), found.clone());
            }
            Error::SyncRefused { status, ledger_code, message, .. } => {
                p.insert("status".into(), status.to_string());
                p.insert("ledger_code".into(), ledger_code.clone());
                p.insert("message".into(), message.clone());
            }
            Error::SyncPushFirst { waiting } => {
                p.insert("waiting".into(), waiting.to_string());
            }
            _ => {}
        }
        p
    }

    /// Whether trying the same thing again later may succeed (sync errors, as the ledger or the
    /// network said; a busy local database). Rule errors are never worth retrying unchanged.
    pub fn retryable(&self) -> bool {
        match self {
            Error::SyncRefused { retry, .. } => *retry,
            Error::SyncOffline { .. }
            | Error::SyncBadReply { .. }
            | Error::SyncPushFirst { .. }
            | Error::SyncKeyring { .. }
            | Error::Store(_)
            | Error::Io(_) => true,
            _ => false,
        }
    }

    /// The body sent to the UI. Storage details stay in the log, not on the cashier's screen.
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            Error::Store(_) | Error::Migrate(_) | Error::Io(_) | Error::Internal(_) => {
                tracing::error!(error = %self, "call failed");
                "the counter's database could not complete the operation; nothing was changed".to_string()
            }
            _ => self.to_string(),
        };
        ErrorBody { code: self.code().to_string(), message, params: self.params() }
    }
}
