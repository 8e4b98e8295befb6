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
    #[error("wrong user name or password; 5 wrong passwords in a row lock the user for 15 minutes")]
    AuthInvalid,
    #[error("this user is locked after repeated wrong passwords until {until}; try again then or ask an administrator")]
    AuthLocked { until: String },
    #[error("this user is disabled; ask an administrator")]
    AuthDisabled,
    #[error("your session has ended; log in again")]
    SessionExpired,
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
    #[error(
        "this database was written by a newer Cashdesk (schema {found}, this build knows up to {known}); install the newer version"
    )]
    DatabaseTooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
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
            Error::AuthLocked { .. } => "AUTH_LOCKED",
            Error::AuthDisabled => "AUTH_DISABLED",
            Error::SessionExpired => "SESSION_EXPIRED",
            Error::Forbidden { .. } => "FORBIDDEN",
            Error::AccountNotFound { .. } => "ACCOUNT_NOT_FOUND",
            Error::QueryEmpty => "QUERY_EMPTY",
            Error::Invalid { .. } => "INPUT_INVALID",
            Error::Money(e) => e.code(),
            Error::Calendar(e) => e.code(),
            Error::Policy(e) => e.code(),
            Error::Import(_) => "IMPORT_REJECTED",
            Error::UserExists(_) => "USER_EXISTS",
            Error::DatabaseTooNew { .. } => "DATABASE_TOO_NEW",
            Error::Store(_) | Error::Migrate(_) | Error::Io(_) => "STORE_ERROR",
            Error::Internal(_) => "INTERNAL",
        }
    }

    pub fn params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        match self {
            Error::AuthLocked { until } => {
                p.insert("until".into(), until.clone());
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
            _ => {}
        }
        p
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
