//! 备份与恢复: an administrator backs the counter's database up while it works, or puts a backup
//! back (`cashdeskctl backup --out FILE`, `cashdeskctl restore FILE`). The rules and the file
//! handling are `crate::backup`'s; this loads, calls and stores.

use std::path::Path;

use serde::Serialize;

use super::{Desk, InitOptions};
use crate::{
    Result,
    backup::{self, Here, Staged},
    store::{self, DbLock},
    users::Action,
};

/// A backup made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupMade {
    pub file: String,
    /// Bytes.
    pub size: u64,
    pub terminal: String,
    /// When it was made (RFC 3339), kept in the backup too.
    pub made_at: String,
    /// The key directory an administrator chose, if the keys are kept in files; `null` when
    /// they are in the OS keyring. Either way they are not in the backup.
    pub key_files: Option<String>,
}

/// A backup put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    pub file: String,
    pub terminal: String,
    /// When the backup was made; `null` for a copy not made by `cashdeskctl backup`.
    pub backup_made_at: Option<String>,
    /// The backup's schema, and the schema after the restore (migrated when the backup was older).
    pub schema_from: i64,
    pub schema_now: i64,
}

impl Desk {
    /// Close this `Desk`'s connections and wait until they are closed (every clone's: they share
    /// the pools). A program that gives a database up before its process ends (a window closed, a
    /// test) calls this before dropping the last `Desk`: the open lock goes with the last `Desk`,
    /// and a connection still closing after it could touch a restored database's WAL by name.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Copy the database, consistent while the counter works, into the new file `out` (`backup`
    /// module docs). Audited (`backup.made`, with the file and its size).
    pub async fn backup(&self, token: &str, out: &Path) -> Result<BackupMade> {
        let s = self.authorise(token, Action::Backup).await?;
        let made_at = self.now();
        let size = backup::make(&self.pool, out, made_at).await?;
        let key_files = self.keys.chosen_files(&self.pool).await?.map(|d| d.display().to_string());
        let file = out.display().to_string();
        self.audit_alone(
            &s.user.username,
            "backup.made",
            None,
            serde_json::json!({"file": file, "size": size, "made_at": made_at.to_rfc3339()}),
        )
        .await?;
        Ok(BackupMade { file, size, terminal: self.terminal.to_string(), made_at: made_at.to_rfc3339(), key_files })
    }

    /// Put the backup `from` in the place of this database (`backup` module docs): refused unless
    /// it is a sound backup of this very database, and while any other `Desk` of it is open, in
    /// this process or another (`DATABASE_IN_USE`). On success this `Desk` is closed and the
    /// restored database's is returned, migrated if the backup was older, with nobody logged in
    /// and the audit entry `backup.restored` (who, from which file, the backup's time) written in it.
    /// A refusal changes nothing; a failure once the swap has begun (a full disk, a failed
    /// migration) leaves this `Desk` closed too, and the database is opened again to see where it
    /// stands: the old file until the rename, the restored one after it.
    pub async fn restore(&self, token: &str, from: &Path) -> Result<(Desk, Restored)> {
        let s = self.authorise(token, Action::Restore).await?;
        let staged = Staged::copy(from, &self.db_path)?;
        let found = backup::inspect(staged.path(), from).await?;
        backup::check(
            &found,
            &Here {
                terminal: self.terminal.as_str(),
                database_id: self.keys.database_id(),
                known_schema: store::known_version(),
            },
        )?;
        let exclusive = DbLock::exclusive(&self.lock)?;
        // Everything committed goes into the file, so that the WAL removed holds nothing.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.writer).await?;
        self.close().await;
        staged.replace(&self.db_path)?;
        let fresh = Desk::open(&self.db_path, InitOptions { terminal: None, utility: None }).await?;
        // What this `Desk` was given (a test's clock and stores, a spooler) carries over.
        let desk = Desk {
            pool: fresh.pool,
            writer: fresh.writer,
            utility: fresh.utility,
            policy: fresh.policy,
            calendar: fresh.calendar,
            demo: fresh.demo,
            keys: self.keys.reloaded(),
            lock: fresh.lock,
            ..self.clone()
        };
        let restored = Restored {
            file: from.display().to_string(),
            terminal: desk.terminal.to_string(),
            backup_made_at: found.made_at.clone(),
            schema_from: found.schema.unwrap_or(0),
            schema_now: store::known_version(),
        };
        let now = desk.now();
        let mut tx = store::write_tx(&desk.writer).await?;
        crate::users::session::end_all(&mut tx, now).await?;
        desk.audit(
            &mut tx,
            &s.user.username,
            "backup.restored",
            None,
            serde_json::json!({
                "file": restored.file,
                "backup_made_at": restored.backup_made_at,
                "schema_from": restored.schema_from,
                "schema_now": restored.schema_now,
            }),
        )
        .await?;
        tx.commit().await?;
        drop(exclusive);
        Ok((desk, restored))
    }
}
