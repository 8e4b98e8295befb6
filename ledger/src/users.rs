//! 账务中心用户: the ledger's own users — finance reviewers (财务复核), who approve, reject and pay
//! refund requests, and auditors (审计), who only read. They are not counter users: an
//! administrator adds them on the ledger (`cashdesk-ledger user add NAME --role finance|auditor`,
//! the password on stdin). The same person has the same user name at a counter and here, which is
//! how the ledger tells that a reviewer submitted or approved a request at a hall.
//!
//! Invariants (the counter's, `cashdesk::users::credentials`, on PostgreSQL):
//! - passwords follow the core's policy (`password::validate_new`) and are stored as argon2id
//!   hashes only;
//! - **counted before checked**: an attempt is counted (and the fifth wrong one in a row locks the
//!   user for 15 minutes, `lockout`) in its own transaction, under the user's row lock, *before*
//!   the password is compared, and forgiven only when it was right: however many guesses arrive at
//!   once, at most five are ever compared before the lock;
//! - **nothing told before the password**: an unknown name, a locked user and a wrong password take
//!   the same time (a check against a dummy hash stands in) and get the same answer; only after
//!   the right password may the answer say that the user is disabled;
//! - every outcome is in the finance audit (`audit`): `login.failed` only for a password that was
//!   compared, `login.locked` for one refused by the lock, `login.unknown` with a digest of the
//!   name (a password typed into the name field is never kept).

use cashdesk::{
    sync::finance::FinanceRole,
    users::{credentials, lockout, password, validate_username},
};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::{
    audit::{self, Channel},
    error::LedgerError,
};

/// A valid argon2id hash of a random string: compared against when no password is to be.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5bq8cGSmp0D6FvZhZ8bTd/bbdU9hEnCq45Yk4mzBIO8";

/// What any failed log-in is told (whichever way it failed before the password was right).
pub const WRONG: &str = "wrong user name or password; 5 wrong passwords in a row lock a user for 15 minutes";

pub fn role_str(role: FinanceRole) -> &'static str {
    match role {
        FinanceRole::Finance => "finance",
        FinanceRole::Auditor => "auditor",
    }
}

pub fn parse_role(s: &str) -> Result<FinanceRole, LedgerError> {
    match s.trim() {
        "finance" => Ok(FinanceRole::Finance),
        "auditor" => Ok(FinanceRole::Auditor),
        other => Err(LedgerError::BadRequest(format!("'{other}' is not a ledger role: use finance or auditor"))),
    }
}

/// A ledger user as listed (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub role: FinanceRole,
    pub disabled: bool,
    /// RFC 3339, when a lock-out is in force.
    pub locked_until: Option<String>,
    pub failed_attempts: i32,
}

/// Add a user; `actor` is who adds it (the administrator at the command line).
#[allow(clippy::too_many_arguments)]
pub async fn add(
    pool: &PgPool,
    actor: &str,
    username: &str,
    display_name: Option<&str>,
    role: FinanceRole,
    new_password: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<UserView, LedgerError> {
    let username = validate_username(username).map_err(|e| LedgerError::Rule(e.code(), e.to_string()))?;
    if username.eq_ignore_ascii_case(crate::deposits::STATEMENT) {
        return Err(LedgerError::Rule(
            "USER_RESERVED",
            format!(
                "'{username}' names the bank statement as the confirmer of a deposit, not a person: choose another name"
            ),
        ));
    }
    password::validate_new(&username, new_password).map_err(|e| LedgerError::Rule(e.code(), e.to_string()))?;
    let display_name = display_name.map(str::trim).filter(|d| !d.is_empty()).unwrap_or(&username).to_string();
    if display_name.chars().count() > 64 || display_name.chars().any(char::is_control) {
        return Err(LedgerError::BadRequest(
            "the display name is at most 64 characters, without control characters".into(),
        ));
    }
    let pw = new_password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| LedgerError::Internal(format!("password hashing did not finish: {e}")))?
        .map_err(|e| LedgerError::Internal(e.to_string()))?;
    let mut tx = pool.begin().await?;
    let added = sqlx::query(
        "INSERT INTO ledger_users (username, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(&username)
    .bind(&display_name)
    .bind(role_str(role))
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(LedgerError::Rule("USER_EXISTS", format!("there is already a ledger user {username}")));
    }
    audit::append(
        &mut tx,
        now,
        channel,
        actor,
        "user.add",
        Some(&username),
        serde_json::json!({"role": role_str(role), "display_name": display_name}),
    )
    .await?;
    tx.commit().await?;
    Ok(UserView { username, display_name, role, disabled: false, locked_until: None, failed_attempts: 0 })
}

/// Every ledger user, by name.
pub async fn list(pool: &PgPool, now: DateTime<FixedOffset>) -> Result<Vec<UserView>, LedgerError> {
    type Row = (String, String, String, bool, Option<DateTime<Utc>>, i32);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT username, display_name, role, disabled, locked_until, failed_attempts FROM ledger_users ORDER BY username",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(username, display_name, role, disabled, locked_until, failed_attempts)| {
            let locked = lockout::locked(locked_until.map(|t| t.with_timezone(now.offset())), now);
            Ok(UserView {
                role: parse_role(&role).map_err(|e| LedgerError::Internal(e.to_string()))?,
                username,
                display_name,
                disabled,
                locked_until: locked.map(|t| t.to_rfc3339()),
                failed_attempts,
            })
        })
        .collect()
}

/// Disable a user: no more log-ins, and their open sessions end now.
pub async fn disable(
    pool: &PgPool,
    actor: &str,
    username: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<(), LedgerError> {
    let mut tx = pool.begin().await?;
    let id: Option<(i64,)> = sqlx::query_as("UPDATE ledger_users SET disabled = true WHERE username = $1 RETURNING id")
        .bind(username.trim())
        .fetch_optional(&mut *tx)
        .await?;
    let (id,) = id.ok_or_else(|| LedgerError::NotFound(format!("there is no ledger user {}", username.trim())))?;
    let ended = sqlx::query("UPDATE ledger_sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(id)
        .bind(now.with_timezone(&Utc))
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        now,
        channel,
        actor,
        "user.disable",
        Some(username.trim()),
        serde_json::json!({"sessions_ended": ended.rows_affected()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Lift a lock-out (and the count of wrong passwords).
pub async fn unlock(
    pool: &PgPool,
    actor: &str,
    username: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<(), LedgerError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("UPDATE ledger_users SET failed_attempts = 0, locked_until = NULL WHERE username = $1")
        .bind(username.trim())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(LedgerError::NotFound(format!("there is no ledger user {}", username.trim())));
    }
    audit::append(&mut tx, now, channel, actor, "user.unlock", Some(username.trim()), serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// A user whose password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: FinanceRole,
}

type UserRow = (i64, String, String, String, String, i32, Option<DateTime<Utc>>, bool);

/// Check a name and a password at `now` (see the module docs): the user when the password is right
/// and the user enabled; otherwise `UNAUTHORIZED` (or, after the right password of a disabled
/// user, `AUTH_DISABLED`). Writes the attempt's audit entry.
pub async fn check(
    pool: &PgPool,
    name: &str,
    given: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<Checked, LedgerError> {
    let name = name.trim();
    let wrong = || LedgerError::Unauthorized("UNAUTHORIZED", WRONG.into());
    // Count the attempt first, under the user's row lock, from the stored state.
    let mut tx = pool.begin().await?;
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, username, display_name, role, password_hash, failed_attempts, locked_until, disabled
         FROM ledger_users WHERE username = $1 FOR UPDATE",
    )
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, username, display_name, role, hash, failed_before, locked_until, disabled)) = row else {
        drop(tx);
        pretend(given).await?;
        audit::append_now(
            pool,
            now,
            channel,
            credentials::UNKNOWN_USER,
            "login.unknown",
            None,
            serde_json::json!({"name_sha256": credentials::name_digest(name)}),
        )
        .await?;
        return Err(wrong());
    };
    let locked_until = locked_until.map(|t| t.with_timezone(now.offset()));
    if let Some(until) = lockout::locked(locked_until, now) {
        drop(tx);
        pretend(given).await?;
        audit::append_now(
            pool,
            now,
            channel,
            &username,
            "login.locked",
            None,
            serde_json::json!({"locked_until": until.to_rfc3339()}),
        )
        .await?;
        return Err(wrong());
    }
    let (failed, lock) = lockout::after_failure(i64::from(failed_before), locked_until, now);
    sqlx::query("UPDATE ledger_users SET failed_attempts = $2, locked_until = $3 WHERE id = $1")
        .bind(id)
        .bind(i32::try_from(failed).unwrap_or(i32::MAX))
        .bind(lock.map(|t| t.with_timezone(&Utc)))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if !credentials::verify_blocking(given.to_string(), hash).await.map_err(|e| LedgerError::Internal(e.to_string()))? {
        audit::append_now(
            pool,
            now,
            channel,
            &username,
            "login.failed",
            None,
            serde_json::json!({"failed_attempts": failed, "locked_until": lock.map(|t| t.to_rfc3339())}),
        )
        .await?;
        return Err(wrong());
    }
    sqlx::query("UPDATE ledger_users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    if disabled {
        audit::append_now(pool, now, channel, &username, "login.disabled", None, serde_json::json!({})).await?;
        return Err(LedgerError::Unauthorized(
            "AUTH_DISABLED",
            format!("the ledger user {username} is disabled; ask the ledger's administrator"),
        ));
    }
    let role = parse_role(&role).map_err(|e| LedgerError::Internal(e.to_string()))?;
    Ok(Checked { id, username, display_name, role })
}

/// Spend the time of a password check without checking anything.
async fn pretend(given: &str) -> Result<(), LedgerError> {
    credentials::verify_blocking(given.to_string(), DUMMY_HASH.to_string())
        .await
        .map(|_| ())
        .map_err(|e| LedgerError::Internal(e.to_string()))
}
