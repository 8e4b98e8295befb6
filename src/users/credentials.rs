//! 口令核验: checking a user name and password, for a log-in, an unlock or an approval.
//!
//! Invariants:
//! - **counted before checked**: an attempt is recorded as a failure (and locks the user on the
//!   fifth, `lockout`) in its own write transaction *before* the password is compared, and reset
//!   only when it was right. However many wrong passwords arrive at once, at most
//!   [`lockout::MAX_FAILURES`] of them are ever compared before the lock; a crash between the two
//!   leaves the attempt counted, never forgiven;
//! - **nothing told before the password**: an unknown name, a locked user and a wrong password take
//!   the same time (an argon2 check against a dummy hash stands in) and give the same [`Outcome`]
//!   to the caller's answer (`AUTH_INVALID`). A locked user's password is not compared at all, so
//!   the lock also stops guessing. Only after the right password is checked may the answer say that
//!   the user is disabled;
//! - the caller writes the audit entry of the outcome; this module writes only the counts.

use chrono::{DateTime, FixedOffset};
use sqlx::SqlitePool;

use super::{db as users_db, db::UserRow, lockout, password};
use crate::{Error, Result, store};

/// What checking a name and password found.
#[derive(Debug)]
pub enum Outcome {
    /// The right password of an enabled user (its failure count is back to 0).
    Ok(UserRow),
    /// The right password of a disabled user.
    Disabled(UserRow),
    /// A wrong password of a user; `locked_until` when this attempt locked them.
    Wrong { user: UserRow, failed: i64, locked_until: Option<DateTime<FixedOffset>> },
    /// A user locked until then: the password was not compared.
    Locked { user: UserRow, until: DateTime<FixedOffset> },
    /// No user by that name.
    Unknown,
}

/// The audit actor for a name that is no user.
pub const UNKNOWN_USER: &str = "(unknown)";

/// What the audit trail keeps of a name that is no user: the first 12 hex digits of its SHA-256
/// (a password typed into the name field must not be kept in clear).
pub fn name_digest(name: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(name.as_bytes()))[..12].to_string()
}

/// A valid argon2id hash of a random string, compared against when the password is not to be.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5bq8cGSmp0D6FvZhZ8bTd/bbdU9hEnCq45Yk4mzBIO8";

/// Compare a password with a stored hash off the async runtime (argon2 takes tens of ms).
pub async fn verify_blocking(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| Error::Internal(format!("password check did not finish: {e}")))
}

/// Spend the time of a password check without checking anything.
async fn pretend(password: &str) -> Result<()> {
    verify_blocking(password.to_string(), DUMMY_HASH.to_string()).await.map(|_| ())
}

/// Check `name` and `password` at `now`: count the attempt, compare, and reset the count when it
/// was right (see the module docs). Reads on `pool`, writes on `writer`.
pub async fn check(
    pool: &SqlitePool,
    writer: &SqlitePool,
    name: &str,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<Outcome> {
    let mut conn = pool.acquire().await?;
    let found = users_db::by_name(&mut conn, name.trim()).await?;
    drop(conn);
    let Some(user) = found else {
        pretend(password).await?;
        return Ok(Outcome::Unknown);
    };
    check_user(writer, user, password, now).await
}

/// [`check`] for a user already read (an unlock: the session names the user).
pub async fn check_user(
    writer: &SqlitePool,
    user: UserRow,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<Outcome> {
    // Count the attempt first, under the write lock, from the stored state (not the one read
    // before: a parallel attempt may have counted since).
    let mut tx = store::write_tx(writer).await?;
    let fresh = users_db::by_id(&mut tx, user.id).await?.ok_or_else(|| Error::Internal("the user vanished".into()))?;
    if let Some(until) = lockout::locked(fresh.locked_until, now) {
        drop(tx);
        pretend(password).await?;
        return Ok(Outcome::Locked { user: fresh, until });
    }
    let (failed, locked_until) = lockout::after_failure(fresh.failed_attempts, fresh.locked_until, now);
    users_db::set_failures(&mut tx, fresh.id, failed, locked_until).await?;
    tx.commit().await?;
    if !verify_blocking(password.to_string(), fresh.password_hash.clone()).await? {
        return Ok(Outcome::Wrong { user: fresh, failed, locked_until });
    }
    let mut tx = store::write_tx(writer).await?;
    users_db::set_failures(&mut tx, fresh.id, 0, None).await?;
    tx.commit().await?;
    Ok(if fresh.disabled { Outcome::Disabled(fresh) } else { Outcome::Ok(fresh) })
}
