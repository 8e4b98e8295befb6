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
//!
//! Open lock: every process that opens the database holds a shared advisory lock on `<db>.lock`
//! ([`hold`], taken by `Desk::open` before the first connection and kept while any `Desk` of
//! that database lives in the process). A restore replaces the database file and needs the
//! lock exclusively ([`DbLock::exclusive`]): a process that still had the old file open would
//! otherwise go on writing into a file nobody reads. The lock is `flock` (std's `File::lock`),
//! so it goes with the process when it dies; it is advisory, so it keeps Cashdesk's own
//! processes apart, not an `sqlite3` shell someone opened by hand. A program that gives the
//! database up while it goes on running closes its `Desk` first (`Desk::close`), so that no
//! connection is still closing once the lock is gone.

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

/// The shared open lock of a database (module docs). One per database and process: every `Desk`
/// of the same database in a process holds the same `Arc`; the lock is let go when the last one
/// is dropped.
#[derive(Debug)]
pub struct DbLock {
    file: std::fs::File,
}

/// The locks this process holds, by the lock file's canonical path.
static HELD: std::sync::Mutex<Vec<(PathBuf, std::sync::Weak<DbLock>)>> = std::sync::Mutex::new(Vec::new());

/// Take (or join this process's) shared open lock of the database at `db`, creating `<db>.lock`
/// owner-only if missing. Waits while a restore holds the lock exclusively (a few seconds).
pub async fn hold(db: &Path) -> Result<std::sync::Arc<DbLock>> {
    if let Some(dir) = db.parent()
        && !dir.as_os_str().is_empty()
    {
        private_dir(dir)?;
    }
    let path = PathBuf::from(format!("{}.lock", db.display()));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    let key = std::fs::canonicalize(&path)?;
    if let Some(lock) = joined(&key) {
        // This process holds it already, on another open of the file: `flock` locks belong to
        // an open file, so closing `file` here does not let the held one go.
        return Ok(lock);
    }
    let file = match file.try_lock_shared() {
        Ok(()) => file,
        // A restore in another process: wait for it (off the async threads).
        Err(std::fs::TryLockError::WouldBlock) => {
            tokio::task::spawn_blocking(move || file.lock_shared().map(|()| file))
                .await
                .map_err(|e| Error::Internal(format!("waiting for the database's open lock: {e}")))??
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    };
    let mut held = HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(lock) = held.iter().find(|(k, _)| *k == key).and_then(|(_, w)| w.upgrade()) {
        // Another task of this process got there while this one waited: one lock per process.
        return Ok(lock);
    }
    let lock = std::sync::Arc::new(DbLock { file });
    held.retain(|(_, w)| w.strong_count() > 0);
    held.push((key, std::sync::Arc::downgrade(&lock)));
    Ok(lock)
}

/// This process's lock of `key`, if a `Desk` still holds it.
fn joined(key: &Path) -> Option<std::sync::Arc<DbLock>> {
    let held = HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    held.iter().find(|(k, _)| k == key).and_then(|(_, w)| w.upgrade())
}

impl DbLock {
    /// The lock exclusively, for a restore: refused (`DATABASE_IN_USE`) when another process holds
    /// it, or another `Desk` of this process shares it (`lock` is the caller's only handle on it).
    /// The guard gives the shared lock back when dropped.
    pub fn exclusive(lock: &std::sync::Arc<DbLock>) -> Result<Exclusive<'_>> {
        // The caller's own handle is the one strong count (the registry's is weak).
        if std::sync::Arc::strong_count(lock) > 1 {
            return Err(Error::DatabaseInUse);
        }
        // A shared lock is not turned into an exclusive one in place on every system (Windows
        // refuses): let it go, try, and take it back if another process has it.
        lock.file.unlock()?;
        match lock.file.try_lock() {
            Ok(()) => Ok(Exclusive { lock }),
            Err(e) => {
                lock.file.lock_shared()?;
                match e {
                    std::fs::TryLockError::WouldBlock => Err(Error::DatabaseInUse),
                    std::fs::TryLockError::Error(e) => Err(e.into()),
                }
            }
        }
    }
}

/// An exclusive open lock ([`DbLock::exclusive`]); shared again when dropped.
#[derive(Debug)]
pub struct Exclusive<'a> {
    lock: &'a DbLock,
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        // `flock` turns an exclusive lock into a shared one in one step, with no moment unlocked in
        // which another restore could take it; elsewhere it is let go first.
        #[cfg(unix)]
        let back = self.lock.file.lock_shared();
        #[cfg(not(unix))]
        let back = self.lock.file.unlock().and_then(|()| self.lock.file.lock_shared());
        if let Err(e) = back {
            tracing::error!(error = %e, "the database's open lock could not be taken back after a restore");
        }
    }
}

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
