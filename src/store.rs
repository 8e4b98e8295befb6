//! The counter's SQLite database: opening, pragmas, migrations.
//!
//! Invariants: WAL journal, `synchronous = FULL` (a committed payment survives a power cut),
//! foreign keys on, a busy timeout so a second process (the CLI next to the app) waits instead of
//! failing. Migrations are embedded from `migrations/`; a database written by a newer build is
//! refused with a readable message instead of being half-understood.
//!
//! One writer: a process writes through [`writer_for`]'s single connection (every money operation,
//! every audit entry, every sync write), and reads through the pool [`open`] returns. Writers then
//! queue in the process instead of polling SQLite's lock, and the writer's page cache stays warm
//! (SQLite drops a connection's whole cache whenever another connection has committed). Invariant:
//! code holding the writer never waits for the writer again (it would wait out the acquire
//! timeout); it may read through the pool meanwhile.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Open (creating if missing) and migrate the database at `path`.
pub async fn open(path: &Path) -> Result<SqlitePool> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        private_dir(dir)?;
    }
    private_file(path)?;
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        // A local file has no network to break: skip the ping sqlx would send on every acquire
        // (a payment acquires several times; each ping is a round trip to the connection's thread).
        .test_before_acquire(false)
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(15))
        .connect_with(options)
        .await?;
    refuse_newer(&pool).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Create `dir` (and its parents) owner-only (0700) when it does not exist (`files`); the app's
/// own data directory is made owner-only even when it does. A directory someone else chose for a
/// database (`--db /srv/x/cashdesk.sqlite`) is otherwise left as it is.
fn private_dir(dir: &Path) -> Result<()> {
    if crate::config::data_dir().ok().is_some_and(|d| d == dir) {
        crate::files::own_dir(dir)
    } else {
        crate::files::private_dir(dir)
    }
}

/// The database file is owner-only (0600), created so before SQLite opens it; SQLite gives its WAL
/// and shared-memory files the database's own permissions, and those already there are tightened.
fn private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The single-connection writer pool of a database opened with [`open`] (see the module docs).
/// Connects on first use.
pub fn writer_for(pool: &SqlitePool) -> SqlitePool {
    SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(1)
        // A write waits here for the one before it, as long as it would wait on SQLite's lock.
        .acquire_timeout(Duration::from_secs(15))
        .connect_lazy_with((*pool.connect_options()).clone())
}

/// The newest migration this build carries.
pub fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn refuse_newer(pool: &SqlitePool) -> Result<()> {
    let has_table: Option<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_optional(pool)
            .await?;
    if has_table.is_none() {
        return Ok(());
    }
    let (found,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(pool).await?;
    let known = known_version();
    match found {
        Some(found) if found > known => Err(Error::DatabaseTooNew { found, known }),
        _ => Ok(()),
    }
}

/// Read a setting (`settings` table).
pub async fn setting<'e, E>(db: E, key: &str) -> Result<Option<String>>
where
    E: sqlx::SqliteExecutor<'e>,
{
    let row: Option<(String,)> =
        sqlx::query_as("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(db).await?;
    Ok(row.map(|r| r.0))
}

/// Write a setting (`settings` table).
pub async fn set_setting<'e, E>(db: E, key: &str, value: &str) -> Result<()>
where
    E: sqlx::SqliteExecutor<'e>,
{
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}

/// Begin a write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`): a
/// deferred transaction that reads and then writes can fail with SQLITE_BUSY when another writer
/// got there in between, instead of waiting its turn. Every money operation uses this.
pub async fn write_tx(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// A write transaction whose `BEGIN IMMEDIATE` and `COMMIT` travel in the same round trips as
/// the caller's first read and last write batch, instead of a round trip each (two of a payment's
/// five). The caller starts its first statement list with [`BatchedTx::BEGIN`] and ends its last
/// with [`BatchedTx::COMMIT`], then calls [`BatchedTx::committed`].
///
/// Invariant: a connection never goes back to the pool inside a transaction. sqlx does not know
/// about a transaction begun this way, so the guard undoes it: [`BatchedTx::rollback`] on an
/// error, and if that fails, or the future is dropped half-way, the connection is closed instead
/// of returned (SQLite rolls back what a closed connection left uncommitted).
pub struct BatchedTx<'c> {
    conn: &'c mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    open: bool,
}

impl<'c> BatchedTx<'c> {
    /// The first statement of the first round trip.
    pub const BEGIN: &'static str = "BEGIN IMMEDIATE;\n";
    /// The end of the last round trip (after a statement, without its `;`).
    pub const COMMIT: &'static str = ";\nCOMMIT";

    /// Guard `conn`, on which the caller is about to send [`BatchedTx::BEGIN`].
    pub fn new(conn: &'c mut sqlx::pool::PoolConnection<sqlx::Sqlite>) -> Self {
        Self { conn, open: true }
    }

    /// The connection, for the transaction's statements.
    pub fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        self.conn
    }

    /// The batch ending in [`BatchedTx::COMMIT`] succeeded: the transaction is over.
    pub fn committed(mut self) {
        self.open = false;
    }

    /// End the transaction by what the caller's work returned: `Ok(Some(_))` means the batch with
    /// [`BatchedTx::COMMIT`] ran; `Ok(None)` means nothing was written and the transaction is
    /// rolled back; an error is rolled back and returned.
    pub async fn finish<T>(self, done: Result<Option<T>>) -> Result<Option<T>> {
        match done {
            Ok(Some(v)) => {
                self.committed();
                Ok(Some(v))
            }
            Ok(None) => {
                self.rollback().await;
                Ok(None)
            }
            Err(e) => {
                self.rollback().await;
                Err(e)
            }
        }
    }

    /// Undo the transaction after an error. If it cannot be undone here (no transaction was
    /// begun, or the connection failed), the connection is closed instead.
    pub async fn rollback(mut self) {
        if sqlx::query("ROLLBACK").execute(&mut **self.conn).await.is_ok() {
            self.open = false;
        }
    }
}

impl std::fmt::Debug for BatchedTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchedTx").field("open", &self.open).finish_non_exhaustive()
    }
}

impl Drop for BatchedTx<'_> {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}
