//! 密钥存放: where this counter keeps its keys (`keystore`), seen and chosen by an administrator
//! (`cashdeskctl datakey status|file-store`), and the demo's and tests' explicit choice.

use std::path::Path;

use super::Desk;
use crate::{
    Result,
    keystore::{self, KeyStoreStatus},
    payments::code::ReceiptKey,
    users::Action,
};

impl Desk {
    /// Where the keys are kept and whether each can be used (nothing is made). Audited.
    pub async fn key_store_status(&self, token: &str) -> Result<KeyStoreStatus> {
        let s = self.authorise(token, Action::ManageKeys).await?;
        let status = self.keys.status(&self.pool).await?;
        self.audit_alone(&s.user.username, "keys.status", None, serde_json::json!({"store": status.store})).await?;
        Ok(status)
    }

    /// 文件密钥库: keep this counter's keys in files in `dir` from now on, instead of the OS keyring
    /// (a computer without one). `dir` must be an absolute path outside the data directory
    /// (`keystore::check_place`); it is made owner-only if missing. The keys the database already
    /// uses are copied there first (`keystore` module docs). Audited (`keys.file_store`).
    pub async fn choose_key_file_store(&self, token: &str, dir: &Path) -> Result<KeyStoreStatus> {
        let s = self.authorise(token, Action::ManageKeys).await?;
        let place = keystore::check_place(dir, &self.db_path)?;
        self.keys.move_to_files(&self.pool, &self.writer, &place, &s.user.username, self.now()).await?;
        self.keys.status(&self.pool).await
    }

    /// Keep this database's keys in files in `dir`, recorded and audited as `actor`'s choice, with
    /// no check of the place: the demo seeding (its own directory, `keystore::demo_dir`) and tests
    /// (a temp directory). An administrator uses [`Desk::choose_key_file_store`].
    pub async fn use_key_files(&self, dir: &Path, actor: &str) -> Result<()> {
        self.keys.move_to_files(&self.pool, &self.writer, dir, actor, self.now()).await
    }

    /// The file store's directory, when the database chose one.
    pub async fn key_files_dir(&self) -> Result<Option<std::path::PathBuf>> {
        self.keys.chosen_files(&self.pool).await
    }

    /// The key of the verification codes (校验码, `payments::code`); made on first use. Call it
    /// before taking the write lock: a first use writes `settings`, and a locked keyring asks for
    /// its password. Without a keyring and without a chosen file store it is `KEYRING_UNAVAILABLE`,
    /// and nothing that needs a code is written.
    pub async fn receipt_key(&self) -> Result<std::sync::Arc<ReceiptKey>> {
        self.keys.receipt(&self.pool).await
    }

    /// The keys a payment is written with: the receipt key and the audit key (see
    /// [`Desk::receipt_key`]; the same rule of loading them before the write lock).
    pub(crate) async fn money_keys(&self) -> Result<MoneyKeys> {
        Ok(MoneyKeys { receipt: self.keys.receipt(&self.pool).await?, audit: self.keys.audit(&self.pool).await? })
    }

    /// The audit key (`audit`), loaded or made now: the chain is checked and extended with it.
    pub async fn audit_key(&self) -> Result<Option<std::sync::Arc<crate::audit::Key>>> {
        self.keys.audit(&self.pool).await
    }

    /// Load this counter's keys, making them where it keeps them if it has none yet
    /// (`cashdeskctl init`, so that a computer without a keyring is found at installation).
    pub async fn make_keys(&self) -> Result<()> {
        self.keys.data(&self.pool).await?;
        self.keys.receipt(&self.pool).await?;
        self.keys.audit(&self.pool).await?;
        Ok(())
    }
}

/// The keys a payment is written with ([`Desk::money_keys`]).
pub(crate) struct MoneyKeys {
    /// Makes the receipt's verification code (校验码).
    pub receipt: std::sync::Arc<ReceiptKey>,
    /// Seals its audit entries.
    pub audit: Option<std::sync::Arc<crate::audit::Key>>,
}
