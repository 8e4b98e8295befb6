//! 数据备份与恢复: a counter's database copied to a file while the counter works, and put back.
//!
//! A backup is made with SQLite's `VACUUM INTO`, the SQL form of an online copy: it reads the
//! database inside one read transaction and writes that snapshot to the file, so the copy is
//! consistent (a payment is in it whole or not at all) while the app and `cashdeskctl` go on
//! writing. (sqlx does not expose SQLite's C backup API; `VACUUM INTO` gives the same guarantee
//! without holding a lock on the counter, and a compact file.) The backup is then stamped with
//! the time it was made (setting [`SETTING_MADE_AT`], in the copy only), checked
//! (`PRAGMA integrity_check`) and synced to disk.
//!
//! Invariants:
//! - a backup never overwrites: the file is created empty and owner-only (0600) first, and a file
//!   that exists with anything in it is refused (`BACKUP_EXISTS`);
//! - a backup that fails its check is removed, never left looking like a backup;
//! - the keys are not in a backup: the data key, the receipt key (and the ledger's token) stay in
//!   the OS keyring or the key directory an administrator chose (`keystore`), which an operator
//!   backs up apart. A stolen backup holds customers' names and addresses, but their ID-card and
//!   bank account numbers only sealed;
//! - a restore puts back only a checked Cashdesk counter database of this very counter
//!   ([`check`]: integrity, the migrations table and settings, a schema this build knows, the same
//!   terminal code and database id), and only while no other process has the database open (the
//!   open lock, `store`);
//! - the replacement is atomic: the backup is copied to a file in the database's directory,
//!   checked there and synced, and renamed over the database once the old one is closed, its
//!   WAL checkpointed and removed (an old WAL must never meet the new file). A crash leaves
//!   either the old database or the restored one.
//!
//! What a restore means for the ledger: everything done at the counter after the backup was made
//! is gone locally, so the receipt numbers and the outbox `seq` restart from the backup's. Events
//! already pushed stay at the ledger; the backup's events that were still waiting are pushed again
//! with their ids and payloads, which the ledger answers as duplicates. Events made after the
//! restore have new ids (UUIDv7), and reuse `seq` values and receipt numbers the ledger has
//! already seen from this terminal. The ledger (`ledger/src/events`) applies them, because the money
//! was taken, and flags each for review: `seq_reused` for a new event numbered at or below the
//! terminal's highest `seq`, and `receipt_reused` for a receipt number it holds already. An id
//! received before with different contents is `id_reused`. An administrator who restores tells the
//! centre, which reconciles the lost interval from the ledger's own copy of those events.
//! Sessions do not survive a restore: everyone logs in again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use sqlx::{
    ConnectOptions, Connection, SqliteConnection, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::{Error, Result};

/// The time a backup was made, kept in the backup's own `settings` (RFC 3339).
pub const SETTING_MADE_AT: &str = "backup_made_at";

/// Why a backup or a restore was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("{file} exists and is not empty: a backup never overwrites a file; give a new file name")]
    Exists { file: String },
    #[error("no backup file {file}: give the path of a file made by `cashdeskctl backup`")]
    NotFound { file: String },
    #[error(
        "{file} fails SQLite's integrity check ({detail}): it cannot be restored; use another backup (a copy in transit may have been damaged)"
    )]
    Damaged { file: String, detail: String },
    #[error("{file} is not a Cashdesk counter database ({missing} missing): give a file made by `cashdeskctl backup`")]
    NotCashdesk { file: String, missing: &'static str },
    #[error("this backup is of terminal {found}, this counter is {expected}: a counter restores only its own backups")]
    OtherTerminal { found: String, expected: String },
    #[error(
        "this backup is of another database of terminal {terminal} (database id {found}, this one is {expected}): a counter restores only backups of its own database, whose keys it holds"
    )]
    OtherDatabase { terminal: String, found: String, expected: String },
}

impl BackupError {
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::Exists { .. } => "BACKUP_EXISTS",
            BackupError::NotFound { .. } => "BACKUP_NOT_FOUND",
            BackupError::Damaged { .. } => "BACKUP_DAMAGED",
            BackupError::NotCashdesk { .. } => "BACKUP_NOT_CASHDESK",
            BackupError::OtherTerminal { .. } => "BACKUP_OTHER_TERMINAL",
            BackupError::OtherDatabase { .. } => "BACKUP_OTHER_DATABASE",
        }
    }

    pub fn params(&self) -> std::collections::BTreeMap<String, String> {
        let pairs: Vec<(&str, &str)> = match self {
            BackupError::Exists { file } | BackupError::NotFound { file } => vec![("file", file)],
            BackupError::Damaged { file, detail } => vec![("file", file), ("detail", detail)],
            BackupError::NotCashdesk { file, missing } => vec![("file", file), ("missing", missing)],
            BackupError::OtherTerminal { found, expected } => vec![("found", found), ("expected", expected)],
            BackupError::OtherDatabase { terminal, found, expected } => {
                vec![("terminal", terminal), ("found", found), ("expected", expected)]
            }
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
}

/// What a file offered for a restore holds, read by [`inspect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub file: String,
    /// `PRAGMA integrity_check`'s answer: `["ok"]` for a sound file.
    pub integrity: Vec<String>,
    /// The newest migration applied, or `None` when there is no migrations table.
    pub schema: Option<i64>,
    pub has_settings: bool,
    pub terminal: Option<String>,
    pub database_id: Option<String>,
    /// When the backup was made ([`SETTING_MADE_AT`]); none for a copy made otherwise.
    pub made_at: Option<String>,
}

/// The counter a backup is to be restored to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Here<'a> {
    pub terminal: &'a str,
    pub database_id: &'a str,
    /// The newest migration this build knows (`store::known_version`).
    pub known_schema: i64,
}

/// Whether `found` may replace the database of `here` (module docs): sound, a Cashdesk counter
/// database, a schema this build knows (an older one is migrated after the restore), this
/// terminal, this database.
pub fn check(found: &Found, here: &Here<'_>) -> Result<()> {
    if found.integrity != ["ok"] {
        let detail = found.integrity.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
        return Err(BackupError::Damaged { file: found.file.clone(), detail }.into());
    }
    let missing = match (found.schema, found.has_settings) {
        (None, _) => Some("the migrations table"),
        (_, false) => Some("the settings table"),
        _ if found.terminal.is_none() => Some("the terminal code"),
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(BackupError::NotCashdesk { file: found.file.clone(), missing }.into());
    }
    if let Some(schema) = found.schema
        && schema > here.known_schema
    {
        return Err(Error::DatabaseTooNew { found: schema, known: here.known_schema });
    }
    let terminal = found.terminal.as_deref().unwrap_or_default();
    if terminal != here.terminal {
        return Err(
            BackupError::OtherTerminal { found: terminal.to_string(), expected: here.terminal.to_string() }.into()
        );
    }
    if found.database_id.as_deref() != Some(here.database_id) {
        return Err(BackupError::OtherDatabase {
            terminal: terminal.to_string(),
            found: found.database_id.clone().unwrap_or_else(|| "none".into()),
            expected: here.database_id.to_string(),
        }
        .into());
    }
    Ok(())
}

/// Copy the database behind `pool` into the new file `out` (module docs), stamped `made_at`.
/// Returns the backup's size in bytes.
pub async fn make(pool: &SqlitePool, out: &Path, made_at: DateTime<FixedOffset>) -> Result<u64> {
    let created = empty_target(out)?;
    let done = async {
        let name = out
            .to_str()
            .ok_or_else(|| Error::invalid("out", "give a file path in UTF-8 (letters, digits, Chinese are fine)"))?;
        sqlx::query("VACUUM INTO ?").bind(name).execute(pool).await?;
        let mut conn = connect(out).await.map_err(|e| damaged(out, e))?;
        crate::store::set_setting(&mut conn, SETTING_MADE_AT, &made_at.to_rfc3339()).await?;
        let integrity = integrity(&mut conn).await.map_err(|e| damaged(out, e))?;
        conn.close().await?;
        if integrity != ["ok"] {
            return Err(BackupError::Damaged { file: out.display().to_string(), detail: integrity.join("; ") }.into());
        }
        sync_file(out)?;
        Ok(std::fs::metadata(out)?.len())
    }
    .await;
    if done.is_err() && created {
        // Nothing half-made is left looking like a backup.
        let _ = std::fs::remove_file(out);
    }
    done
}

/// Create `out` empty and owner-only, or take an empty file that is there (`VACUUM INTO` writes
/// into an empty file); refuse one with anything in it. Whether this created it.
fn empty_target(out: &Path) -> Result<bool> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let created = match options.open(out) {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => {
            return Err(Error::invalid(
                "out",
                format!("cannot create {} ({e}): give a new file in a directory you may write to", out.display()),
            ));
        }
    };
    let meta = std::fs::metadata(out)?;
    if !created && (!meta.is_file() || meta.len() > 0) {
        return Err(BackupError::Exists { file: out.display().to_string() }.into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(created)
}

/// A backup copied next to the database for a restore: checked there, then renamed over it
/// ([`Staged::replace`]); removed if dropped before that.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    done: bool,
}

impl Staged {
    /// Copy `from` to an owner-only file in `db`'s directory and sync it.
    pub fn copy(from: &Path, db: &Path) -> Result<Staged> {
        let file = from.display().to_string();
        let mut src = match std::fs::File::open(from) {
            Ok(f) if f.metadata()?.is_file() => f,
            Ok(_) => return Err(BackupError::NotFound { file }.into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BackupError::NotFound { file }.into()),
            Err(e) => return Err(e.into()),
        };
        let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "cashdesk".into());
        let path = db.with_file_name(format!(".{name}.restore-{}", std::process::id()));
        // A file left by a restore that died half-way is this process id's only by chance.
        let _ = std::fs::remove_file(&path);
        let mut dst = crate::files::create_private(&path)?;
        let staged = Staged { path, done: false };
        std::io::copy(&mut src, &mut dst)?;
        dst.sync_all()?;
        Ok(staged)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Put the staged file in the place of `db`, whose connections are all closed: the old WAL and
    /// shared-memory files go first (checkpointed before: they hold nothing the file lacks), then
    /// the rename, then the directory is synced so the rename survives a power cut.
    pub fn replace(mut self, db: &Path) -> Result<()> {
        sync_file(&self.path)?;
        for suffix in ["-wal", "-shm"] {
            match std::fs::remove_file(format!("{}{suffix}", db.display())) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        std::fs::rename(&self.path, db)?;
        self.done = true;
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_file(format!("{}-journal", self.path.display()));
        }
    }
}

/// Read what `file` holds ([`Found`]). It is opened in rollback-journal mode, so nothing is left
/// beside it; a file SQLite cannot read at all is reported as damaged.
pub async fn inspect(file: &Path, shown_as: &Path) -> Result<Found> {
    let shown = shown_as.display().to_string();
    let mut conn = connect(file).await.map_err(|e| damaged(shown_as, e))?;
    let integrity = integrity(&mut conn).await.map_err(|e| damaged(shown_as, e))?;
    let mut found = Found {
        file: shown,
        integrity,
        schema: None,
        has_settings: false,
        terminal: None,
        database_id: None,
        made_at: None,
    };
    if found.integrity == ["ok"] {
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut conn).await?;
        let has = |t: &str| tables.iter().any(|(n,)| n == t);
        if has("_sqlx_migrations") {
            let (v,): (Option<i64>,) =
                sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&mut conn).await?;
            found.schema = Some(v.unwrap_or(0));
        }
        found.has_settings = has("settings");
        if found.has_settings {
            found.terminal = crate::store::setting(&mut conn, crate::config::SETTING_TERMINAL).await?;
            found.database_id = crate::store::setting(&mut conn, crate::desk::SETTING_DATABASE_ID).await?;
            found.made_at = crate::store::setting(&mut conn, SETTING_MADE_AT).await?;
        }
    }
    conn.close().await?;
    Ok(found)
}

/// One connection to a backup file, in rollback-journal mode (no WAL left beside it).
async fn connect(file: &Path) -> std::result::Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Delete)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(false)
        .connect()
        .await
}

async fn integrity(conn: &mut SqliteConnection) -> std::result::Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(r,)| r).collect())
}

fn damaged(file: &Path, e: sqlx::Error) -> Error {
    BackupError::Damaged { file: file.display().to_string(), detail: e.to_string() }.into()
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new().read(true).write(true).open(path)?.sync_all()?;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn sound() -> Found {
        Found {
            file: "b.sqlite".into(),
            integrity: vec!["ok".into()],
            schema: Some(20),
            has_settings: true,
            terminal: Some("GY01-03".into()),
            database_id: Some("db-1".into()),
            made_at: None,
        }
    }

    const HERE: Here<'static> = Here { terminal: "GY01-03", database_id: "db-1", known_schema: 30 };

    #[rstest]
    #[case::sound(sound(), None)]
    #[case::older_schema_is_migrated_after(Found { schema: Some(1), ..sound() }, None)]
    #[case::damaged(Found { integrity: vec!["*** in database main ***".into()], ..sound() }, Some("BACKUP_DAMAGED"))]
    #[case::no_migrations(Found { schema: None, ..sound() }, Some("BACKUP_NOT_CASHDESK"))]
    #[case::no_settings(Found { has_settings: false, ..sound() }, Some("BACKUP_NOT_CASHDESK"))]
    #[case::no_terminal(Found { terminal: None, ..sound() }, Some("BACKUP_NOT_CASHDESK"))]
    #[case::newer_schema(Found { schema: Some(31), ..sound() }, Some("DATABASE_TOO_NEW"))]
    #[case::other_terminal(Found { terminal: Some("GY01-04".into()), ..sound() }, Some("BACKUP_OTHER_TERMINAL"))]
    #[case::other_database(Found { database_id: Some("db-2".into()), ..sound() }, Some("BACKUP_OTHER_DATABASE"))]
    #[case::no_database_id(Found { database_id: None, ..sound() }, Some("BACKUP_OTHER_DATABASE"))]
    // The first reason found is the one given: a damaged file's settings are not to be trusted.
    #[case::damaged_before_other_terminal(
        Found { integrity: vec!["x".into()], terminal: Some("X".into()), ..sound() },
        Some("BACKUP_DAMAGED")
    )]
    fn what_may_be_restored(#[case] found: Found, #[case] refused: Option<&str>) {
        assert_eq!(check(&found, &HERE).err().as_ref().map(Error::code), refused);
    }
}
