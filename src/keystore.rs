//! 密钥存放: where a counter keeps its keys, and nowhere else.
//!
//! A counter has three keys ([`KeyKind`]): the data key, which seals ID-card numbers and payees' bank
//! account numbers (`datakey`), the receipt key, which makes the verification codes (校验码) of
//! receipts and refund documents (`payments::code`), and the audit key, which keys the audit chain
//! (`audit`). All are kept in one [`KeyStore`]:
//! - the OS keyring, by default: entries `cashdesk-data`/`<database id>`,
//!   `cashdesk-receipt`/`<database id>` and `cashdesk-audit`/`<database id>` (Linux Secret
//!   Service, Windows Credential Manager);
//! - or a file store an administrator chose explicitly (`cashdeskctl datakey file-store --path
//!   DIR`): the files `DIR/<database id>.datakey`, `.receiptkey` and `.auditkey`, owner-only, in
//!   a directory outside the data directory (refused inside it, so that a copy of the data
//!   directory, or a backup of the database, does not carry the keys that open it). The choice is a
//!   setting of the database ([`SETTING_STORE`], [`SETTING_STORE_DIR`]) and an audit entry.
//!
//! Invariants:
//! - Never silently a file: without a keyring and without a chosen file store no key can be
//!   loaded (`KEYRING_UNAVAILABLE`, whose message says how to start a keyring or choose a file
//!   store), and what needs a key refuses: an import of accounts (ID numbers), a refund request
//!   (the payee's account number), a payment or a vend (its verification code). A pull goes on
//!   without keeping ID numbers. Administrators, cashiers and supervisors are told at log-in.
//! - Keys are loaded on first use and held for the process (a keyring read is a D-Bus round trip,
//!   and a locked keyring asks for its password at the first one, which is made before the
//!   database's write lock is taken). A key is made under that lock, so two processes opening a
//!   new database at once make one.
//! - The audit key is made at its first use (audited: `keys.audit_key_new`, the chain's first keyed
//!   entry) and never replaced: once recorded, a missing or different one is
//!   `AUDIT_KEY_UNAVAILABLE` and nothing is audited, so nothing is done, until it is back. Before
//!   a database can make one (no keyring, no chosen file store) its chain stays plain.
//! - The data key is never replaced: a missing or different one is refused (`datakey`). A receipt
//!   key that is gone is replaced by a new one, and that is audited (`keys.receipt_key_new`, with
//!   both ids): the codes already issued are stored with their documents and never recomputed, so
//!   nothing is lost, and a counter must not stop taking money over it.
//! - Moving to a file store copies the keys the database already uses (from the keyring, or from
//!   the `<database>.datakey` file an earlier build put next to the database without asking, which
//!   is then deleted), so every sealed value still opens. A key already in the target that differs
//!   is refused, never overwritten.
//! - The demo database keeps its keys in files too, chosen by the demo seeding and said so
//!   ([`demo_dir`], under the user's configuration directory): a demo runs the same on a machine
//!   without a keyring, and never leaves entries in a developer's keyring.

use std::{
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use serde::Serialize;
use sqlx::SqlitePool;

use crate::{
    Error, Result, audit,
    datakey::{self, DataKey, KeySource},
    payments::code::ReceiptKey,
    store,
};

/// `settings` key: `keyring` (also when absent) or `files`.
pub const SETTING_STORE: &str = "key_store";
/// `settings` key: the file store's directory (absolute).
pub const SETTING_STORE_DIR: &str = "key_store_dir";
/// `settings` key: the id of the receipt key the verification codes are made with now.
pub const SETTING_RECEIPT_KEY_ID: &str = "receipt_key_id";
/// `settings` key: the id of the audit key the audit chain is keyed with.
pub const SETTING_AUDIT_KEY_ID: &str = "audit_key_id";

/// One of a counter's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// 数据密钥: seals personal numbers (`datakey`).
    Data,
    /// 校验码密钥: makes verification codes (`payments::code`).
    Receipt,
    /// 审计密钥: keys the audit chain (`audit`).
    Audit,
}

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::Data, KeyKind::Receipt, KeyKind::Audit];

    fn service(self) -> &'static str {
        match self {
            KeyKind::Data => "cashdesk-data",
            KeyKind::Receipt => "cashdesk-receipt",
            KeyKind::Audit => "cashdesk-audit",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            KeyKind::Data => ".datakey",
            KeyKind::Receipt => ".receiptkey",
            KeyKind::Audit => ".auditkey",
        }
    }

    /// The `settings` key of the id the database recorded for this key.
    fn setting(self) -> &'static str {
        match self {
            KeyKind::Data => datakey::SETTING_KEY_ID,
            KeyKind::Receipt => SETTING_RECEIPT_KEY_ID,
            KeyKind::Audit => SETTING_AUDIT_KEY_ID,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Data => "data",
            KeyKind::Receipt => "receipt",
            KeyKind::Audit => "audit",
        }
    }
}

/// Where a database's keys are kept (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStore {
    /// The OS keyring; each key's entry is named by the database's id.
    Keyring { database_id: String },
    /// Files `dir/<name>.datakey` and `dir/<name>.receiptkey`.
    Files { dir: PathBuf, name: String },
}

impl KeyStore {
    /// Where the key `kind` is kept in this store.
    pub fn source(&self, kind: KeyKind) -> KeySource {
        match self {
            KeyStore::Keyring { database_id } => {
                KeySource::Keyring { service: kind.service(), user: database_id.clone() }
            }
            KeyStore::Files { dir, name } => KeySource::File(dir.join(format!("{name}{}", kind.suffix()))),
        }
    }

    /// The store whose data key is `source` (tests and the ledger's demo name one file; the other
    /// keys sit beside it: `x.datakey`, `x.receiptkey`).
    pub fn beside(source: KeySource) -> KeyStore {
        match source {
            KeySource::Keyring { user, .. } => KeyStore::Keyring { database_id: user },
            KeySource::File(file) => {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let name = name.strip_suffix(KeyKind::Data.suffix()).map(str::to_string).unwrap_or(name);
                KeyStore::Files { dir, name }
            }
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            KeyStore::Keyring { .. } => "keyring",
            KeyStore::Files { .. } => "files",
        }
    }

    fn dir(&self) -> Option<&Path> {
        match self {
            KeyStore::Keyring { .. } => None,
            KeyStore::Files { dir, .. } => Some(dir),
        }
    }

    /// The store a database recorded (the keyring unless a file store was chosen).
    pub async fn recorded(pool: &SqlitePool, database_id: &str) -> Result<KeyStore> {
        let kind = store::setting(pool, SETTING_STORE).await?;
        match kind.as_deref() {
            Some("files") => match store::setting(pool, SETTING_STORE_DIR).await? {
                Some(dir) => Ok(KeyStore::Files { dir: PathBuf::from(dir), name: database_id.to_string() }),
                None => Err(Error::Internal("the key file store is chosen but its directory is not recorded".into())),
            },
            _ => Ok(KeyStore::Keyring { database_id: database_id.to_string() }),
        }
    }
}

/// The directory the demo database keeps its keys in: `cashdesk-demo-keys` in the user's
/// configuration directory (`$XDG_CONFIG_HOME`, `~/.config`, `%APPDATA%`), beside the data
/// directory, not inside it.
pub fn demo_dir() -> Result<PathBuf> {
    dirs::config_dir().map(|d| d.join("cashdesk-demo-keys")).ok_or_else(|| {
        Error::Internal(
            "cannot find the user's configuration directory for the demo's keys; set XDG_CONFIG_HOME".into(),
        )
    })
}

/// Check the place an administrator names for a file store: an absolute path, outside the
/// directory of the database at `db` and outside the app's data directory (symbolic links
/// resolved). Returns the path to record.
pub fn check_place(dir: &Path, db: &Path) -> Result<PathBuf> {
    let bad = |reason: String| Error::invalid("path", reason);
    if !dir.is_absolute() {
        return Err(bad(format!(
            "'{}' is not an absolute path: name the directory in full, e.g. /etc/cashdesk/keys",
            dir.display()
        )));
    }
    if dir.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(bad(format!("'{}' has '..' in it: name the directory without it", dir.display())));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(bad(format!("'{}' is not a directory", dir.display())));
    }
    let place = resolve(dir)?;
    let db_dir = db.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut data_dirs = vec![resolve(&std::path::absolute(db_dir)?)?];
    if let Ok(d) = crate::config::data_dir() {
        data_dirs.push(resolve(&std::path::absolute(d)?)?);
    }
    if let Some(inside) = data_dirs.iter().find(|d| place.starts_with(d)) {
        return Err(bad(format!(
            "'{}' is inside the data directory {}: keep the keys outside it, so that a copy of the data directory or a backup of the database does not carry the keys that open it",
            dir.display(),
            inside.display()
        )));
    }
    Ok(place)
}

/// `path` with the symbolic links of its longest existing ancestor resolved.
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut existing = path;
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(path.to_path_buf()),
        }
    }
    let mut out = existing.canonicalize()?;
    out.extend(rest.iter().rev());
    Ok(out)
}

/// One key's state, for `cashdeskctl datakey status`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyState {
    /// `data` or `receipt`.
    pub kind: &'static str,
    /// Where it is kept, in words.
    pub place: String,
    /// The id the database recorded (none before its first use).
    pub recorded: Option<String>,
    /// The id of the key found there, if any.
    pub found: Option<String>,
    /// Why it cannot be used, if it cannot (the error's code and message).
    pub problem: Option<String>,
}

/// Where a database's keys are, and whether they can be used.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStoreStatus {
    /// `keyring` or `files`.
    pub store: &'static str,
    /// The file store's directory.
    pub dir: Option<String>,
    pub keys: Vec<KeyState>,
}

/// A database's keys, loaded on first use and then held for the process. Cheap to clone; clones
/// share the loaded keys.
#[derive(Debug, Clone)]
pub struct Keys {
    /// A store given by a test or an embedding program instead of the recorded one.
    fixed: Option<KeyStore>,
    database_id: String,
    db: PathBuf,
    terminal: String,
    data: Arc<tokio::sync::OnceCell<Arc<DataKey>>>,
    receipt: Arc<tokio::sync::OnceCell<Arc<ReceiptKey>>>,
    /// None: no key recorded and none can be made (no keyring): the chain stays plain.
    /// Held once loaded or made; while none can be made each use tries again (see [`Keys::audit`]).
    audit: Arc<tokio::sync::OnceCell<Arc<audit::Key>>>,
}

impl Keys {
    /// The keys of the database at `db` (id `database_id`, at terminal `terminal`), in the store it
    /// recorded.
    pub fn new(db: &Path, database_id: String, terminal: &str) -> Keys {
        Keys {
            fixed: None,
            database_id,
            db: db.to_path_buf(),
            terminal: terminal.to_string(),
            data: Default::default(),
            receipt: Default::default(),
            audit: Default::default(),
        }
    }

    /// The same keys kept in `store` whatever the database recorded (tests, the ledger's demo).
    pub fn in_store(mut self, store: KeyStore) -> Keys {
        self.fixed = Some(store);
        self.data = Default::default();
        self.receipt = Default::default();
        self.audit = Default::default();
        self
    }

    /// The id of the database these keys belong to (`settings`).
    pub fn database_id(&self) -> &str {
        &self.database_id
    }

    /// The same keys, none loaded yet: after a restore the database may record another store.
    pub fn reloaded(&self) -> Keys {
        Keys { data: Default::default(), receipt: Default::default(), audit: Default::default(), ..self.clone() }
    }

    /// Whether a store was given instead of the recorded one.
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// The store in force.
    pub async fn store(&self, pool: &SqlitePool) -> Result<KeyStore> {
        match &self.fixed {
            Some(s) => Ok(s.clone()),
            None => KeyStore::recorded(pool, &self.database_id).await,
        }
    }

    /// Whether a file store is in force that was recorded (chosen), not given.
    pub async fn chosen_files(&self, pool: &SqlitePool) -> Result<Option<PathBuf>> {
        if self.fixed.is_some() {
            return Ok(None);
        }
        Ok(self.store(pool).await?.dir().map(Path::to_path_buf))
    }

    /// The data key; made and recorded on first use. Call it before opening a write transaction:
    /// it may write `settings` itself.
    pub async fn data(&self, pool: &SqlitePool) -> Result<Arc<DataKey>> {
        let key = self
            .data
            .get_or_try_init(|| async {
                let store = self.store(pool).await?;
                let source = store.source(KeyKind::Data);
                let loaded = match store::setting(pool, KeyKind::Data.setting()).await? {
                    Some(id) => blocking(move || source.load(Some(&id)).map(|(k, _)| k)).await,
                    None => {
                        // First use: made under the database's write lock (see the module docs),
                        // after a first read outside it.
                        let probe = source.clone();
                        let _ = blocking(move || probe.find()).await;
                        let mut tx = store::write_tx(pool).await?;
                        let recorded = store::setting(&mut *tx, KeyKind::Data.setting()).await?;
                        let loaded = blocking(move || source.load(recorded.as_deref()).map(|(k, _)| k)).await;
                        if let Ok(key) = &loaded {
                            store::set_setting(&mut *tx, KeyKind::Data.setting(), &key.id()).await?;
                            tx.commit().await?;
                        }
                        loaded
                    }
                };
                loaded.map(Arc::new).map_err(|e| self.with_legacy_hint(&store, e))
            })
            .await?;
        Ok(key.clone())
    }

    /// The receipt key; made and recorded on first use, and made again (audited) when the one
    /// recorded is gone (see the module docs). Call it before opening a write transaction.
    pub async fn receipt(&self, pool: &SqlitePool) -> Result<Arc<ReceiptKey>> {
        let key = self
            .receipt
            .get_or_try_init(|| async {
                let store = self.store(pool).await?;
                let source = store.source(KeyKind::Receipt);
                let recorded = store::setting(pool, KeyKind::Receipt.setting()).await?;
                let probe = source.clone();
                let found = blocking(move || probe.find()).await?;
                if let Some(found) = found
                    && recorded.as_deref() == Some(found.id().as_str())
                {
                    return Ok(Arc::new(ReceiptKey::from_secret(&found)));
                }
                let mut tx = store::write_tx(pool).await?;
                let recorded = store::setting(&mut *tx, KeyKind::Receipt.setting()).await?;
                let secret = blocking(move || source.load_secret(true)).await?;
                if recorded.as_deref() != Some(secret.id().as_str()) {
                    store::set_setting(&mut *tx, KeyKind::Receipt.setting(), &secret.id()).await?;
                    if let Some(old) = &recorded {
                        tracing::warn!(old = %old, new = %secret.id(), "the receipt key was gone: a new one makes the codes from now on");
                        let audit_key = self.audit_in(pool, &mut tx).await?;
                        crate::audit::append(
                            &mut tx,
                            audit_key.as_deref(),
                            crate::audit::Entry {
                                at: chrono::Local::now().fixed_offset(),
                                terminal: &self.terminal,
                                actor: "system",
                                action: "keys.receipt_key_new",
                                subject: None,
                                detail: serde_json::json!({"old": old, "new": secret.id(), "store": store.kind_name()}),
                            },
                        )
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok::<_, Error>(Arc::new(ReceiptKey::from_secret(&secret)))
            })
            .await?;
        Ok(key.clone())
    }

    /// The audit key (see `audit`): loaded on first use, or made and recorded, audited
    /// (`keys.audit_key_new`), when the database has recorded none. `None` while it has recorded
    /// none and none can be made (no keyring, no chosen file store): the chain stays plain until a
    /// later start can make one. A recorded key that cannot be loaded, or a different one, is
    /// `AUDIT_KEY_UNAVAILABLE`, and nothing is audited until it is back. Call it outside a
    /// transaction (it may write one); inside one, [`Keys::audit_in`].
    pub async fn audit(&self, pool: &SqlitePool) -> Result<Option<Arc<audit::Key>>> {
        if let Some(key) = self.audit.get() {
            return Ok(Some(key.clone()));
        }
        let loaded = match store::setting(pool, KeyKind::Audit.setting()).await? {
            Some(id) => Some(self.audit_recorded(pool, &id).await?),
            None => {
                // A first read outside the write lock (a locked keyring asks for its password).
                let probe = self.store(pool).await?.source(KeyKind::Audit);
                let _ = blocking(move || probe.find()).await;
                let mut tx = store::write_tx(pool).await?;
                let key = self.load_audit(pool, &mut tx).await?;
                tx.commit().await?;
                key
            }
        };
        Ok(loaded.map(|key| self.hold_audit(key)))
    }

    /// [`Keys::audit`] inside the caller's write transaction (`conn`): a key made here is
    /// recorded, and its audit entry written, in that transaction.
    pub async fn audit_in(
        &self,
        pool: &SqlitePool,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<Option<Arc<audit::Key>>> {
        if let Some(key) = self.audit.get() {
            return Ok(Some(key.clone()));
        }
        Ok(self.load_audit(pool, conn).await?.map(|key| self.hold_audit(key)))
    }

    /// Keep a loaded audit key for the process (the first one kept wins: they are the same key,
    /// the database records one).
    fn hold_audit(&self, key: Arc<audit::Key>) -> Arc<audit::Key> {
        match self.audit.set(key.clone()) {
            Ok(()) => key,
            Err(_) => self.audit.get().cloned().unwrap_or(key),
        }
    }

    async fn load_audit(
        &self,
        pool: &SqlitePool,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<Option<Arc<audit::Key>>> {
        if let Some(id) = store::setting(&mut *conn, KeyKind::Audit.setting()).await? {
            return self.audit_recorded(pool, &id).await.map(Some);
        }
        let store = self.store(pool).await?;
        let source = store.source(KeyKind::Audit);
        let described = source.describe();
        let secret = match blocking(move || source.load_secret(true)).await {
            Ok(secret) => secret,
            Err(e) => {
                tracing::warn!(error = %e, place = %described, "no audit key can be made: the audit chain stays plain (unkeyed) until one can");
                return Ok(None);
            }
        };
        let key = Arc::new(audit::Key::from_secret(&secret));
        store::set_setting(&mut *conn, KeyKind::Audit.setting(), key.id()).await?;
        audit::append(
            conn,
            Some(&key),
            audit::Entry {
                at: chrono::Local::now().fixed_offset(),
                terminal: &self.terminal,
                actor: "system",
                action: "keys.audit_key_new",
                subject: None,
                detail: serde_json::json!({"id": key.id(), "store": store.kind_name()}),
            },
        )
        .await?;
        Ok(Some(key))
    }

    /// The audit key the database recorded (`id`), from its store.
    async fn audit_recorded(&self, pool: &SqlitePool, id: &str) -> Result<Arc<audit::Key>> {
        let source = self.store(pool).await?.source(KeyKind::Audit);
        let described = source.describe();
        let secret = blocking(move || source.load_secret(false)).await.map_err(|e| Error::AuditKeyUnavailable {
            detail: format!("the audit key (id {id}) cannot be read from the {described}: {}", e.code()),
        })?;
        if secret.id() != id {
            return Err(Error::AuditKeyUnavailable {
                detail: format!(
                    "the key in the {described} (id {}) is not the one this audit trail is keyed with (id {id})",
                    secret.id()
                ),
            });
        }
        Ok(Arc::new(audit::Key::from_secret(&secret)))
    }

    /// A data key that cannot be loaded from the keyring while an earlier build's key file lies
    /// next to the database: say where it is and how to move it.
    fn with_legacy_hint(&self, store: &KeyStore, e: Error) -> Error {
        let legacy = KeySource::file_for(&self.db);
        let missing = matches!(e, Error::KeyringUnavailable { .. } | Error::DataKeyUnavailable { .. });
        if missing && matches!(store, KeyStore::Keyring { .. }) && self.fixed.is_none() && legacy.exists() {
            return Error::DataKeyUnavailable {
                detail: format!(
                    "this database's data key is in {}, next to the database, where this version no longer reads it; an administrator moves it out of the data directory with `cashdeskctl datakey file-store --path DIR`",
                    legacy.display()
                ),
            };
        }
        e
    }

    /// Where the keys are and whether they can be used (nothing is made).
    pub async fn status(&self, pool: &SqlitePool) -> Result<KeyStoreStatus> {
        let store = self.store(pool).await?;
        let mut keys = Vec::new();
        for kind in KeyKind::ALL {
            let source = store.source(kind);
            let recorded = store::setting(pool, kind.setting()).await?;
            let place = source.describe();
            let found = blocking(move || source.find()).await;
            let (found, problem) = match found {
                Ok(Some(s)) => {
                    let id = s.id();
                    let problem = match (&recorded, kind) {
                        (Some(r), KeyKind::Data) if *r != id => Some(format!(
                            "DATA_KEY_MISMATCH: this database's values were sealed with key {r}, this is {id}"
                        )),
                        (Some(r), KeyKind::Audit) if *r != id => Some(format!(
                            "AUDIT_KEY_UNAVAILABLE: this database's audit trail is keyed with key {r}, this is {id}"
                        )),
                        (Some(r), KeyKind::Receipt) if *r != id => {
                            Some(format!("the codes are made with key {r}; this one takes over at the next use"))
                        }
                        _ => None,
                    };
                    (Some(id), problem)
                }
                Ok(None) => (
                    None,
                    recorded.as_ref().map(|r| format!("key {r} is not there")).or(Some("made at its first use".into())),
                ),
                Err(e) => (None, Some(format!("{}: {e}", e.code()))),
            };
            keys.push(KeyState { kind: kind.as_str(), place, recorded, found, problem });
        }
        Ok(KeyStoreStatus { store: store.kind_name(), dir: store.dir().map(|d| d.display().to_string()), keys })
    }

    /// Keep this database's keys in files in `dir` from now on: copy the keys it uses there, then
    /// record the choice with an audit entry by `actor` (one transaction). `dir` is made
    /// owner-only if it does not exist; the place is the caller's to check ([`check_place`]).
    pub async fn move_to_files(
        &self,
        pool: &SqlitePool,
        writer: &SqlitePool,
        dir: &Path,
        actor: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<()> {
        let from = self.store(pool).await?;
        // Made now if it can be and is not yet, so that it is among the keys moved.
        let audit_key = self.audit(pool).await?;
        let to = KeyStore::Files { dir: dir.to_path_buf(), name: self.database_id.clone() };
        crate::files::private_dir(dir)?;
        let legacy = KeySource::file_for(&self.db);
        let mut moved = Vec::new();
        let mut legacy_used = false;
        for kind in KeyKind::ALL {
            let Some(recorded) = store::setting(pool, kind.setting()).await? else { continue };
            let mut candidates = vec![from.source(kind)];
            if kind == KeyKind::Data && matches!(from, KeyStore::Keyring { .. }) {
                candidates.push(KeySource::File(legacy.clone()));
            }
            let mut secret = None;
            for c in candidates {
                let is_legacy = c == KeySource::File(legacy.clone());
                if let Ok(Some(s)) = blocking(move || c.find()).await
                    && s.id() == recorded
                {
                    legacy_used |= is_legacy;
                    secret = Some(s);
                    break;
                }
            }
            match (secret, kind) {
                (Some(s), _) => {
                    let target = to.source(kind);
                    blocking(move || target.store(&s)).await?;
                    moved.push(kind.as_str());
                }
                (None, KeyKind::Data | KeyKind::Audit) => {
                    return Err(Error::DataKeyUnavailable {
                        detail: format!(
                            "the {} key this database was written with (id {recorded}) is not in the {}; put it back there, then choose the file store again",
                            kind.as_str(),
                            from.source(kind).describe()
                        ),
                    });
                }
                // A receipt key that is gone is made anew at its next use (audited).
                (None, KeyKind::Receipt) => {}
            }
        }
        let mut tx = store::write_tx(writer).await?;
        store::set_setting(&mut *tx, SETTING_STORE, "files").await?;
        store::set_setting(&mut *tx, SETTING_STORE_DIR, &dir.display().to_string()).await?;
        crate::audit::append(
            &mut tx,
            audit_key.as_deref(),
            crate::audit::Entry {
                at,
                terminal: &self.terminal,
                actor,
                action: "keys.file_store",
                subject: None,
                detail: serde_json::json!({
                    "dir": dir.display().to_string(),
                    "from": from.kind_name(),
                    "moved": moved,
                    "from_file_next_to_database": legacy_used,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        if legacy_used {
            // Its key is in the file store now (and was checked there by `store`).
            std::fs::remove_file(&legacy)?;
        }
        Ok(())
    }
}

/// A key store call on the blocking pool (the keyring talks to D-Bus, files to the disk).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("a key store call did not finish: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two processes opening a new database at once (the app and `cashdeskctl`) make one key.
    #[tokio::test]
    async fn two_first_uses_at_once_make_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("counter.sqlite");
        let pool = crate::store::open(&db).await.unwrap();
        let store = KeyStore::Files { dir: dir.path().join("keys"), name: "x".into() };
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        let a = Keys::new(&db, "x".into(), "GY01-03").in_store(store.clone());
        let b = Keys::new(&db, "x".into(), "GY01-03").in_store(store);
        let (ka, kb) = tokio::join!(a.data(&pool), b.data(&pool));
        let (ka, kb) = (ka.unwrap(), kb.unwrap());
        assert_eq!(ka.id(), kb.id());
        assert_eq!(crate::store::setting(&pool, datakey::SETTING_KEY_ID).await.unwrap(), Some(ka.id()));
        let (ra, rb) = tokio::join!(a.receipt(&pool), b.receipt(&pool));
        assert_eq!(ra.unwrap().id(), rb.unwrap().id());
    }

    #[test]
    fn a_file_store_is_refused_inside_the_database_directory() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/cashdesk.sqlite");
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let inside = check_place(&dir.path().join("data/keys"), &db).unwrap_err();
        assert_eq!(inside.code(), "INPUT_INVALID");
        assert!(inside.to_string().contains("inside the data directory"), "{inside}");
        assert!(check_place(&dir.path().join("data"), &db).is_err(), "the directory itself");
        assert!(check_place(Path::new("keys"), &db).is_err(), "a relative path");
        assert!(check_place(&dir.path().join("keys/../data/keys"), &db).is_err(), "no way round with ..");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("data"), dir.path().join("link")).unwrap();
            assert!(check_place(&dir.path().join("link/keys"), &db).is_err(), "nor through a link");
        }
        assert_eq!(
            check_place(&dir.path().join("keys"), &db).unwrap(),
            dir.path().canonicalize().unwrap().join("keys")
        );
    }

    #[test]
    fn the_store_beside_a_data_key_file() {
        let s = KeyStore::beside(KeySource::File(PathBuf::from("/t/cashdesk.sqlite.datakey")));
        assert_eq!(s.source(KeyKind::Data), KeySource::File(PathBuf::from("/t/cashdesk.sqlite.datakey")));
        assert_eq!(s.source(KeyKind::Receipt), KeySource::File(PathBuf::from("/t/cashdesk.sqlite.receiptkey")));
    }
}
