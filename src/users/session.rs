//! 登录会话: sessions. A log-in returns a random 256-bit token; the database keeps only its SHA-256,
//! so a copy of the database cannot be used to act as a logged-in cashier. A session lasts at most
//! 12 hours (a long shift) and ends at log-out, or when an administrator disables the user, resets
//! their password or changes their role.
//!
//! 锁屏: an idle counter locks its session (`lock`): every call with a locked session answers
//! `SESSION_LOCKED` until the same user's password unlocks it (`unlock`, checked like a log-in), or
//! the session is ended (log-out, so that another person can log in; the shift stays open).

use chrono::{DateTime, Duration, FixedOffset};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use super::{Role, UserInfo};
use crate::{Error, Result};

pub const MAX_HOURS: i64 = 12;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Create a session; returns the token to hand to the UI.
pub async fn create(
    conn: &mut SqliteConnection,
    user_id: i64,
    terminal: &str,
    now: DateTime<FixedOffset>,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    sqlx::query("INSERT INTO sessions (token_hash, user_id, terminal, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(terminal)
        .bind(now.to_rfc3339())
        .bind((now + Duration::hours(MAX_HOURS)).to_rfc3339())
        .execute(conn)
        .await?;
    Ok(token)
}

macro_rules! session_select {
    () => {
        "SELECT s.user_id, s.expires_at, s.ended_at, u.username, u.display_name, u.role, u.disabled, s.locked_at"
    };
}
type SessionRow = (i64, String, Option<String>, String, String, String, i64, Option<String>);

/// A session as it stands, before asking whether it may act.
fn state(row: Option<SessionRow>, now: DateTime<FixedOffset>) -> Result<(i64, UserInfo, bool)> {
    let Some((user_id, expires_at, ended_at, username, display_name, role, disabled, locked_at)) = row else {
        return Err(Error::SessionExpired);
    };
    let expires =
        DateTime::parse_from_rfc3339(&expires_at).map_err(|e| Error::Internal(format!("bad session expiry: {e}")))?;
    if ended_at.is_some() || expires <= now || disabled != 0 {
        return Err(Error::SessionExpired);
    }
    Ok((user_id, UserInfo { username, display_name, role: Role::parse(&role)? }, locked_at.is_some()))
}

/// The user of a session row, or `SessionExpired` (none, ended, expired, or user disabled) or
/// `SessionLocked` (the screen is locked).
fn live(row: Option<SessionRow>, now: DateTime<FixedOffset>) -> Result<(i64, UserInfo)> {
    let (user_id, user, locked) = state(row, now)?;
    if locked {
        return Err(Error::SessionLocked { username: user.username });
    }
    Ok((user_id, user))
}

async fn row_of(conn: &mut SqliteConnection, token: &str) -> Result<Option<SessionRow>> {
    if token.len() != 64 {
        return Err(Error::SessionExpired);
    }
    Ok(sqlx::query_as(concat!(
        session_select!(),
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?"
    ))
    .bind(token_hash(token))
    .fetch_optional(conn)
    .await?)
}

/// The user of a live session, or `SessionExpired` (ended, expired, unknown, or user disabled) or
/// `SessionLocked`.
pub async fn user_of(conn: &mut SqliteConnection, token: &str, now: DateTime<FixedOffset>) -> Result<(i64, UserInfo)> {
    live(row_of(conn, token).await?, now)
}

/// The user of a session that has not ended, locked or not (to unlock it, or to log it out), and
/// whether it is locked.
pub async fn user_of_any(
    conn: &mut SqliteConnection,
    token: &str,
    now: DateTime<FixedOffset>,
) -> Result<(i64, UserInfo, bool)> {
    state(row_of(conn, token).await?, now)
}

/// Lock a session (an idle counter). Locking a locked session keeps the first time.
pub async fn lock(conn: &mut SqliteConnection, token: &str, now: DateTime<FixedOffset>) -> Result<()> {
    sqlx::query("UPDATE sessions SET locked_at = COALESCE(locked_at, ?) WHERE token_hash = ? AND ended_at IS NULL")
        .bind(now.to_rfc3339())
        .bind(token_hash(token))
        .execute(conn)
        .await?;
    Ok(())
}

/// Unlock a session (after its user's password was checked).
pub async fn unlock(conn: &mut SqliteConnection, token: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET locked_at = NULL WHERE token_hash = ? AND ended_at IS NULL")
        .bind(token_hash(token))
        .execute(conn)
        .await?;
    Ok(())
}

/// End every session there is (a restore: the sessions of the backup's time are not let back in).
pub async fn end_all(conn: &mut SqliteConnection, now: DateTime<FixedOffset>) -> Result<u64> {
    let res = sqlx::query("UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL")
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(res.rows_affected())
}

/// End every session of a user (disabled, password reset, role changed). Returns how many.
pub async fn end_all_of(conn: &mut SqliteConnection, user_id: i64, now: DateTime<FixedOffset>) -> Result<u64> {
    let res = sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")
        .bind(now.to_rfc3339())
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(res.rows_affected())
}

/// An open shift's columns: id, opened_at, float in fen.
pub type ShiftColumns = (i64, String, i64);

/// The session's user and their open shift at a terminal, in one statement; parameters: the
/// terminal, then [`token_param`] of the token. Decode with [`user_and_open_shift_from`], which
/// ignores columns after these (a caller batching statements may tag its rows there).
pub const USER_AND_OPEN_SHIFT: &str = concat!(
    session_select!(),
    ", sh.id, sh.opened_at, sh.float_fen FROM sessions s JOIN users u ON u.id = s.user_id
     LEFT JOIN shifts sh ON sh.user_id = s.user_id AND sh.terminal = ? AND sh.closed_at IS NULL
     WHERE s.token_hash = ?"
);

/// What the database is asked for a token (its hash), or `SessionExpired` for a malformed one.
pub fn token_param(token: &str) -> Result<String> {
    if token.len() != 64 {
        return Err(Error::SessionExpired);
    }
    Ok(token_hash(token))
}

/// Decode a row of [`USER_AND_OPEN_SHIFT`] (none: no such session).
pub fn user_and_open_shift_from(
    row: Option<&sqlx::sqlite::SqliteRow>,
    now: DateTime<FixedOffset>,
) -> Result<(i64, UserInfo, Option<ShiftColumns>)> {
    type Row = (
        i64,
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );
    let Some(row) = row else {
        return Err(Error::SessionExpired);
    };
    let (user_id, expires_at, ended_at, username, display_name, role, disabled, locked_at, id, opened_at, float): Row =
        sqlx::FromRow::from_row(row)?;
    let (user_id, user) =
        live(Some((user_id, expires_at, ended_at, username, display_name, role, disabled, locked_at)), now)?;
    let shift = match (id, opened_at, float) {
        (Some(id), Some(opened_at), Some(float)) => Some((id, opened_at, float)),
        _ => None,
    };
    Ok((user_id, user, shift))
}

/// End a session (log-out). Ending an unknown or ended session is not an error.
pub async fn end(conn: &mut SqliteConnection, token: &str, now: DateTime<FixedOffset>) -> Result<bool> {
    let res = sqlx::query("UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL")
        .bind(now.to_rfc3339())
        .bind(token_hash(token))
        .execute(conn)
        .await?;
    Ok(res.rows_affected() > 0)
}
