//! 会话: a ledger user's log-in session (finance API and command line alike).
//!
//! Invariants: a session token is 32 random bytes shown once; the ledger keeps only its SHA-256. A
//! session ends [`MAX_HOURS`] after the log-in, after [`IDLE_MINUTES`] without a request, at
//! log-out, or when its user is disabled; an ended session is refused on every request. A request
//! that uses a session moves its idle time on in the same statement that checks it, at most once a
//! minute ([`TOUCH_SECONDS`]): a list read every few seconds does not write (and wait for a commit
//! to reach the disk) each time, and the idle limit is kept to the minute.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use cashdesk::sync::finance::{FinanceRole, FinanceSession};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::{
    audit::{self, Channel},
    error::LedgerError,
    users,
};

/// A session ends after this many minutes without a request.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this many hours after its log-in, however busy.
pub const MAX_HOURS: i64 = 8;
/// A session's last use is written again only when it is older than this.
pub const TOUCH_SECONDS: i32 = 60;

/// The user a session belongs to: who acts on the finance API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub username: String,
    pub display_name: String,
    pub role: FinanceRole,
}

impl Reviewer {
    /// Only the `finance` role decides, pays and confirms; an auditor reads. `what` says what was
    /// refused ("approve refund requests").
    pub fn require_finance(&self, what: &str) -> Result<(), LedgerError> {
        match self.role {
            FinanceRole::Finance => Ok(()),
            FinanceRole::Auditor => Err(LedgerError::Forbidden(format!(
                "{} is an auditor: auditors read but may not {what}",
                self.username
            ))),
        }
    }
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Log a user in: check the password (`users::check`, counted before checked) and open a session.
pub async fn login(
    pool: &PgPool,
    name: &str,
    password: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<FinanceSession, LedgerError> {
    let user = users::check(pool, name, password, now, channel).await?;
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let expires = now + Duration::hours(MAX_HOURS);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO ledger_sessions (token_hash, user_id, channel, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(digest(&token))
    .bind(user.id)
    .bind(channel.as_str())
    .bind(now.with_timezone(&Utc))
    .bind(expires.with_timezone(&Utc))
    .execute(&mut *tx)
    .await?;
    audit::append(&mut tx, now, channel, &user.username, "login.ok", None, serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(FinanceSession {
        token,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        expires_at: expires.to_rfc3339(),
    })
}

/// The user of a live session, whose idle time starts again now.
pub async fn authenticate(pool: &PgPool, token: &str, now: DateTime<FixedOffset>) -> Result<Reviewer, LedgerError> {
    let now = now.with_timezone(&Utc);
    let row: Option<(String, String, String)> = sqlx::query_as(
        "WITH live AS (
             SELECT s.token_hash, s.last_seen_at, u.username, u.display_name, u.role
             FROM ledger_sessions s JOIN ledger_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2
               AND s.last_seen_at > $2 - make_interval(mins => $3) AND NOT u.disabled
         ), touched AS (
             UPDATE ledger_sessions t SET last_seen_at = $2 FROM live
             WHERE t.token_hash = live.token_hash AND live.last_seen_at < $2 - make_interval(secs => $4)
         )
         SELECT username, display_name, role FROM live",
    )
    .bind(digest(token))
    .bind(now)
    .bind(i32::try_from(IDLE_MINUTES).unwrap_or(30))
    .bind(TOUCH_SECONDS)
    .fetch_optional(pool)
    .await?;
    let (username, display_name, role) = row.ok_or_else(|| {
        LedgerError::Unauthorized(
            "UNAUTHORIZED",
            format!(
                "no session, or it has ended ({MAX_HOURS} hours after the log-in, after {IDLE_MINUTES} idle minutes, or at a log-out): log in again"
            ),
        )
    })?;
    Ok(Reviewer {
        role: users::parse_role(&role).map_err(|e| LedgerError::Internal(e.to_string()))?,
        username,
        display_name,
    })
}

/// End a session (a log-out); `false` when it had already ended.
pub async fn logout(
    pool: &PgPool,
    token: &str,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<bool, LedgerError> {
    let mut tx = pool.begin().await?;
    let ended: Option<(String,)> = sqlx::query_as(
        "UPDATE ledger_sessions s SET ended_at = $2 FROM ledger_users u
         WHERE s.token_hash = $1 AND s.ended_at IS NULL AND u.id = s.user_id RETURNING u.username",
    )
    .bind(digest(token))
    .bind(now.with_timezone(&Utc))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((username,)) = ended else { return Ok(false) };
    audit::append(&mut tx, now, channel, &username, "logout", None, serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(true)
}
