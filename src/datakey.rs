//! 数据密钥: personal numbers are encrypted at rest under the counter's data key.
//!
//! Invariants:
//! - The key is 32 random bytes, one per database (never shared between counters). It is kept in
//!   the OS keyring (service [`SERVICE`], user = the database's id from `settings`), never in the
//!   database, a log line or an error message; [`DataKey`]'s `Debug` is redacted.
//! - When the OS offers no keyring (a Linux counter without a Secret Service), the key goes to a
//!   file next to the database (`<database>.datakey`, owner-only), and once that file exists it is
//!   the key: a keyring that appears later never silently replaces it. That still keeps a copied or
//!   backed-up database file unreadable without the key; the administrator is told (a notice).
//! - The database records the key's id (a fingerprint, not the key): a key that does not match it
//!   is refused (`DATA_KEY_MISMATCH`) rather than used to write values nobody could read back.
//! - A sealed value is `v1:` + base64(nonce ‖ AES-256-GCM ciphertext and tag). The column's name is
//!   the associated data, so a value copied into another column does not open.
//! - The first key is made under the database's write lock (two processes opening a new database
//!   at once make one key), and a key file is written whole or not at all.
//! - Losing the key loses nothing the counter needs: ID-card numbers are the ledger's and the
//!   counter never reads them (the account card shows none). Pulls go on without a key, keeping no
//!   ID numbers; an import, which an administrator runs, stops with `DATA_KEY_UNAVAILABLE`.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use base64::Engine as _;
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The keyring service under which data keys are stored.
pub const SERVICE: &str = "cashdesk-data";

const PREFIX: &str = "v1:";
const KEY_LEN: usize = 32;

/// The counter's data key.
pub struct DataKey {
    bytes: [u8; KEY_LEN],
    key: LessSafeKey,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey(id {}, <redacted>)", self.id())
    }
}

fn unavailable(detail: impl Into<String>) -> Error {
    Error::DataKeyUnavailable { detail: detail.into() }
}

impl DataKey {
    /// A new random key.
    pub fn generate() -> Result<DataKey> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new().fill(&mut bytes).map_err(|_| unavailable("the system random generator failed"))?;
        DataKey::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<DataKey> {
        let bytes: [u8; KEY_LEN] =
            bytes.try_into().map_err(|_| unavailable(format!("a data key is {KEY_LEN} bytes")))?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| unavailable("the data key is not a valid key"))?;
        Ok(DataKey { bytes, key: LessSafeKey::new(key) })
    }

    fn from_text(text: &str) -> Result<DataKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| unavailable("the stored data key is not base64"))?;
        DataKey::from_bytes(&bytes)
    }

    fn to_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes)
    }

    /// The key's fingerprint (16 hex digits of its SHA-256): safe to store and show.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.bytes)[..8])
    }

    /// Encrypt `plain` for the column `column` (e.g. `accounts.id_number`).
    pub fn seal(&self, column: &str, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| unavailable("the system random generator failed"))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(column.as_bytes()), &mut data)
            .map_err(|_| unavailable("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(out)))
    }

    /// Decrypt a value sealed for `column`; an error if it was not sealed by this key for it.
    pub fn open(&self, column: &str, sealed: &str) -> Result<String> {
        let bad = || unavailable(format!("a value in {column} does not open with this counter's data key"));
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or_else(bad)?;
        if raw.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut data = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(column.as_bytes()), &mut data).map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad())
    }
}

/// Whether a stored value is sealed (as opposed to a clear value written by an older build).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// Where a database's data key is kept.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The OS keyring entry `SERVICE`/`user`; `file` when the OS has no keyring (see the module docs).
    Keyring { user: String, file: PathBuf },
    /// Only this file (tests, and counters configured without a keyring).
    File(PathBuf),
}

/// Where the key was found or put, for the administrator's notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptIn {
    Keyring,
    File,
}

impl KeySource {
    /// Where the key of the database at `db` (id `database_id`) is kept: the OS keyring, with the
    /// file as fallback, where the keyring crate has a real store (Linux Secret Service, Windows
    /// Credential Manager); elsewhere only the file (the crate's fallback there keeps nothing).
    pub fn for_database(db: &Path, database_id: String) -> KeySource {
        let file = KeySource::file_for(db);
        if cfg!(any(target_os = "linux", target_os = "windows")) {
            KeySource::Keyring { user: database_id, file }
        } else {
            KeySource::File(file)
        }
    }

    /// The fallback file for the database at `db`: `<db>.datakey`.
    pub fn file_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".datakey");
        PathBuf::from(name)
    }

    /// Load the key, or make and keep one if there is none yet. `expected` is the id the database
    /// recorded; a different key is refused.
    pub fn load(&self, expected: Option<&str>) -> Result<(DataKey, KeptIn)> {
        let (key, kept) = match self {
            KeySource::File(file) => (load_or_create_file(file, expected.is_none())?, KeptIn::File),
            KeySource::Keyring { user, file } => {
                if file.exists() {
                    (load_or_create_file(file, false)?, KeptIn::File)
                } else {
                    match keyring_get(user) {
                        Ok(Some(key)) => (key, KeptIn::Keyring),
                        Ok(None) if expected.is_some() => {
                            return Err(unavailable(format!(
                                "the keyring has no entry {SERVICE}/{user} for this database's data key"
                            )));
                        }
                        Ok(None) => {
                            let key = DataKey::generate()?;
                            keyring_set(user, &key)?;
                            (key, KeptIn::Keyring)
                        }
                        Err(e) if expected.is_none() => {
                            tracing::warn!(error = %e, file = %file.display(), "no OS keyring: the data key goes to a file");
                            (load_or_create_file(file, true)?, KeptIn::File)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        };
        if let Some(expected) = expected
            && key.id() != expected
        {
            return Err(Error::DataKeyMismatch { expected: expected.to_string(), found: key.id() });
        }
        Ok((key, kept))
    }
}

fn keyring_entry(user: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, user).map_err(|e| unavailable(e.to_string()))
}

fn keyring_get(user: &str) -> Result<Option<DataKey>> {
    match keyring_entry(user)?.get_password() {
        Ok(text) => Ok(Some(DataKey::from_text(&text)?)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e.to_string())),
    }
}

fn keyring_set(user: &str, key: &DataKey) -> Result<()> {
    keyring_entry(user)?.set_password(&key.to_text()).map_err(|e| unavailable(e.to_string()))
}

/// Read the key file; create it (owner-only) when it is missing and `create` allows. Created whole
/// or not at all: written to a temporary file in the same directory, synced, then linked into place
/// only if no other process got there first (whose key is then the one read).
fn load_or_create_file(file: &Path, create: bool) -> Result<DataKey> {
    match std::fs::read_to_string(file) {
        Ok(text) => DataKey::from_text(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let key = DataKey::generate()?;
            // Owner-only on Unix (tempfile's default mode is 0600).
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            tmp.write_all(key.to_text().as_bytes())?;
            tmp.as_file().sync_all()?;
            match tmp.persist_noclobber(file) {
                Ok(_) => {
                    #[cfg(unix)]
                    std::fs::File::open(dir)?.sync_all()?;
                    Ok(key)
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    DataKey::from_text(&std::fs::read_to_string(file)?)
                }
                Err(e) => Err(e.error.into()),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(unavailable(format!("the data key file {} is missing", file.display())))
        }
        Err(e) => Err(e.into()),
    }
}

/// `settings` key: the id of the data key this database's sealed values were written with.
pub const SETTING_KEY_ID: &str = "data_key_id";
/// `settings` key: where the key is kept (`keyring` or `file`), for the administrator's notice.
pub const SETTING_KEY_KEPT: &str = "data_key_kept";

impl KeptIn {
    pub fn as_str(self) -> &'static str {
        match self {
            KeptIn::Keyring => "keyring",
            KeptIn::File => "file",
        }
    }
}

/// A database's data key, loaded on first use and then held for the process (the keyring is a
/// D-Bus round trip). Cheap to clone; clones share the loaded key.
#[derive(Debug, Clone)]
pub struct DataKeys {
    source: KeySource,
    cell: std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<DataKey>>>,
}

impl DataKeys {
    pub fn new(source: KeySource) -> DataKeys {
        DataKeys { source, cell: Default::default() }
    }

    /// The key of the database `pool`; made and recorded on first use. Call it before opening a
    /// write transaction: it may write `settings` itself.
    pub async fn get(&self, pool: &sqlx::SqlitePool) -> Result<std::sync::Arc<DataKey>> {
        let key = self
            .cell
            .get_or_try_init(|| async {
                if let Some(id) = crate::store::setting(pool, SETTING_KEY_ID).await? {
                    let (key, _) = self.load(Some(id)).await?;
                    return Ok(std::sync::Arc::new(key));
                }
                // First use: made under the database's write lock, so that two processes opening it
                // at once (the app and `cashdeskctl`) end up with one key, not one each. A locked
                // keyring asks for its password on the first read: that read happens here, before
                // the lock, so that nobody waits on the database while a person types.
                if let KeySource::Keyring { user, .. } = &self.source {
                    let user = user.clone();
                    let _ = tokio::task::spawn_blocking(move || keyring_get(&user)).await;
                }
                let mut tx = crate::store::write_tx(pool).await?;
                let recorded = crate::store::setting(&mut *tx, SETTING_KEY_ID).await?;
                let (key, kept) = self.load(recorded.clone()).await?;
                if recorded.is_none() {
                    crate::store::set_setting(&mut *tx, SETTING_KEY_ID, &key.id()).await?;
                }
                crate::store::set_setting(&mut *tx, SETTING_KEY_KEPT, kept.as_str()).await?;
                tx.commit().await?;
                Ok::<_, Error>(std::sync::Arc::new(key))
            })
            .await?;
        Ok(key.clone())
    }

    /// The keyring and the file are blocking calls (D-Bus, disk): off the async threads.
    async fn load(&self, expected: Option<String>) -> Result<(DataKey, KeptIn)> {
        let source = self.source.clone();
        tokio::task::spawn_blocking(move || source.load(expected.as_deref()))
            .await
            .map_err(|e| Error::Internal(format!("loading the data key stopped: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_column() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal("accounts.id_number", "11010519491231002X").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("1101"), "the clear number is not in the sealed text");
        assert_eq!(key.open("accounts.id_number", &sealed).unwrap(), "11010519491231002X");
        assert_ne!(sealed, key.seal("accounts.id_number", "11010519491231002X").unwrap(), "a fresh nonce each time");
        assert!(key.open("refunds.bank_account", &sealed).is_err(), "bound to its column");
        assert!(DataKey::generate().unwrap().open("accounts.id_number", &sealed).is_err(), "bound to its key");
        assert!(key.open("accounts.id_number", "v1:AAAA").is_err());
        assert!(key.open("accounts.id_number", "11010519491231002X").is_err());
        assert!(!format!("{key:?}").contains(&key.to_text()), "Debug never shows the key");
    }

    #[test]
    fn a_key_file_is_made_once_owner_only_and_a_different_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeySource::file_for(&dir.path().join("counter.sqlite"));
        assert!(file.ends_with("counter.sqlite.datakey"));
        let source = KeySource::File(file.clone());
        let (first, kept) = source.load(None).unwrap();
        assert_eq!(kept, KeptIn::File);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, _) = source.load(Some(&first.id())).unwrap();
        assert_eq!(again.id(), first.id());
        assert!(matches!(source.load(Some("0000000000000000")), Err(Error::DataKeyMismatch { .. })));
        std::fs::remove_file(&file).unwrap();
        assert!(
            matches!(source.load(Some(&first.id())), Err(Error::DataKeyUnavailable { .. })),
            "a lost key file is not silently replaced while the database expects it"
        );
    }

    /// Two processes opening a new database at once (the app and `cashdeskctl`) make one key.
    #[tokio::test]
    async fn two_first_uses_at_once_make_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("counter.sqlite");
        let pool = crate::store::open(&db).await.unwrap();
        let source = KeySource::File(KeySource::file_for(&db));
        let (a, b) = (DataKeys::new(source.clone()), DataKeys::new(source));
        let (ka, kb) = tokio::join!(a.get(&pool), b.get(&pool));
        let (ka, kb) = (ka.unwrap(), kb.unwrap());
        assert_eq!(ka.id(), kb.id());
        assert_eq!(crate::store::setting(&pool, SETTING_KEY_ID).await.unwrap(), Some(ka.id()));
        assert_eq!(crate::store::setting(&pool, SETTING_KEY_KEPT).await.unwrap().as_deref(), Some("file"));
    }
}
