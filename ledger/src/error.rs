//! Why a ledger operation failed: one error type for the storage modules, the HTTP API (which maps
//! each variant to a status, `api`) and the command line (which prints the message).
//!
//! Every variant has a stable `code` that crosses to the counter or the finance view in an
//! `ApiError`; the UI branches on the code, never on the message. The message says what to do.

use cashdesk::refunds::RefundError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    BadRequest(String),
    /// A failed authentication: the code (`UNAUTHORIZED`, `TOKEN_REVOKED`, `AUTH_DISABLED`) and why.
    #[error("{1}")]
    Unauthorized(&'static str, String),
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Someone else acted first: the message names who did what, and when.
    #[error("{0}")]
    Conflict(String),
    /// A refund rule of the core refused (`REFUND_STATE`, `REFUND_OWN`, `REFUND_PAYOUT_AMOUNT`,
    /// `REFUND_INPUT`, `REFUND_AMOUNT`).
    #[error("{0}")]
    Refund(#[from] RefundError),
    /// A rule of the ledger's own refused, with its stable code (`REFUND_FLAGGED`, `PASSWORD_WEAK`,
    /// `USER_EXISTS`, `USER_RESERVED`, `DEPOSIT_AMOUNT`, `DEPOSIT_INPUT`, `DEPOSIT_AMBIGUOUS`,
    /// `STATEMENT_INVALID`, ...).
    #[error("{1}")]
    Rule(&'static str, String),
    #[error("{0}")]
    TooLarge(String),
    /// Too many failed enrolments or token uses from the client's address (`throttle`): retry after
    /// this many seconds.
    #[error("too many failed attempts from this address: wait {0} seconds before trying again")]
    TooManyFailures(u64),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl LedgerError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::BadRequest(_) => "BAD_REQUEST",
            LedgerError::Unauthorized(code, _) | LedgerError::Rule(code, _) => code,
            LedgerError::Forbidden(_) => "FORBIDDEN",
            LedgerError::NotFound(_) => "NOT_FOUND",
            LedgerError::Conflict(_) => "CONFLICT",
            LedgerError::Refund(e) => e.code(),
            LedgerError::TooLarge(_) => "TOO_LARGE",
            LedgerError::TooManyFailures(_) => "TOO_MANY_FAILURES",
            LedgerError::Unavailable(_) => "UNAVAILABLE",
            LedgerError::Internal(_) => "INTERNAL",
        }
    }

    /// Whether sending the same request again later may succeed.
    pub fn retry(&self) -> bool {
        matches!(self, LedgerError::Unavailable(_) | LedgerError::Internal(_) | LedgerError::TooManyFailures(_))
    }
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> LedgerError {
        match e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                LedgerError::Unavailable(e.to_string())
            }
            // 22021 character_not_in_repertoire: a text with a NUL character (a client's input that
            // PostgreSQL cannot store or compare): the request's fault, said without the database's
            // words.
            sqlx::Error::Database(d) if d.code().as_deref() == Some("22021") => LedgerError::BadRequest(
                "a text in the request holds a NUL character (\\u0000): remove it and send it again".into(),
            ),
            other => LedgerError::Internal(format!("database error: {other}")),
        }
    }
}
