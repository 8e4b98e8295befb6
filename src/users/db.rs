//! The `users` table.

use chrono::{DateTime, FixedOffset};
use sqlx::SqliteConnection;

use super::{Language, Role, UserInfo};
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub info: UserInfo,
    pub password_hash: String,
    pub failed_attempts: i64,
    pub locked_until: Option<DateTime<FixedOffset>>,
    pub disabled: bool,
}

type Raw = (i64, String, String, String, String, i64, Option<String>, i64);

fn from_raw(r: Raw) -> Result<UserRow> {
    let (id, username, display_name, role, password_hash, failed_attempts, locked_until, disabled) = r;
    let locked_until = match locked_until {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(&s)
                .map_err(|e| Error::Internal(format!("user {username}: bad locked_until '{s}': {e}")))?,
        ),
        None => None,
    };
    Ok(UserRow {
        id,
        info: UserInfo { username, display_name, role: Role::parse(&role)? },
        password_hash,
        failed_attempts,
        locked_until,
        disabled: disabled != 0,
    })
}

macro_rules! columns {
    () => {
        "id, username, display_name, role, password_hash, failed_attempts, locked_until, disabled"
    };
}

pub async fn by_name(conn: &mut SqliteConnection, username: &str) -> Result<Option<UserRow>> {
    let raw: Option<Raw> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM users WHERE username = ?"))
        .bind(username)
        .fetch_optional(conn)
        .await?;
    raw.map(from_raw).transpose()
}

pub async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<UserRow>> {
    let raw: Option<Raw> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM users WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    raw.map(from_raw).transpose()
}

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<UserRow>> {
    let raw: Vec<Raw> =
        sqlx::query_as(concat!("SELECT ", columns!(), " FROM users ORDER BY username")).fetch_all(conn).await?;
    raw.into_iter().map(from_raw).collect()
}

pub async fn insert(
    conn: &mut SqliteConnection,
    info: &UserInfo,
    password_hash: &str,
    now: DateTime<FixedOffset>,
) -> Result<i64> {
    let res = sqlx::query(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&info.username)
    .bind(&info.display_name)
    .bind(info.role.as_str())
    .bind(password_hash)
    .bind(now.to_rfc3339())
    .execute(conn)
    .await;
    match res {
        Ok(r) => Ok(r.last_insert_rowid()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::UserExists(info.username.clone())),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_failures(
    conn: &mut SqliteConnection,
    id: i64,
    failed: i64,
    locked_until: Option<DateTime<FixedOffset>>,
) -> Result<()> {
    sqlx::query("UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?")
        .bind(failed)
        .bind(locked_until.map(|t| t.to_rfc3339()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Disable or enable a user.
pub async fn set_disabled(conn: &mut SqliteConnection, id: i64, disabled: bool) -> Result<()> {
    sqlx::query("UPDATE users SET disabled = ? WHERE id = ?").bind(i64::from(disabled)).bind(id).execute(conn).await?;
    Ok(())
}

/// Give a user another role.
pub async fn set_role(conn: &mut SqliteConnection, id: i64, role: Role) -> Result<()> {
    sqlx::query("UPDATE users SET role = ? WHERE id = ?").bind(role.as_str()).bind(id).execute(conn).await?;
    Ok(())
}

/// Replace a user's password hash; the failure count and any lock go with the old password.
pub async fn set_password(conn: &mut SqliteConnection, id: i64, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?")
        .bind(password_hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A user's own language (界面语言).
pub async fn language(conn: &mut SqliteConnection, id: i64) -> Result<Language> {
    let (s,): (String,) = sqlx::query_as("SELECT language FROM users WHERE id = ?").bind(id).fetch_one(conn).await?;
    Language::parse(&s)
}

/// Keep a user's language.
pub async fn set_language(conn: &mut SqliteConnection, id: i64, language: Language) -> Result<()> {
    sqlx::query("UPDATE users SET language = ? WHERE id = ?").bind(language.as_str()).bind(id).execute(conn).await?;
    Ok(())
}

/// How many administrators are enabled.
pub async fn enabled_admins(conn: &mut SqliteConnection) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0").fetch_one(conn).await?;
    Ok(n)
}

/// How many users there are (any role, enabled or not).
pub async fn count(conn: &mut SqliteConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(conn).await?;
    Ok(n)
}
