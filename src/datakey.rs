//! 数据密钥: personal numbers are encrypted at rest under the counter's data key; this module also
//! reads and writes the counter's other keys (`keystore`) wherever they are kept.
//!
//! Invariants:
//! - A key is 32 random bytes ([`Secret`]), one per database and kind (never shared between
//!   counters). It is never in the database, a log line or an error message; `Debug` is redacted.
//! - Where a key is kept is a [`KeySource`]: an OS keyring entry, or a file. This module never falls
//!   back from one to the other: a keyring that cannot be reached is `KEYRING_UNAVAILABLE`, and a
//!   file store is used only when an administrator chose it (`keystore`). Keys in files are
//!   written owner-only (0600), whole or not at all.
//! - The database records each key's id (a fingerprint, not the key): a data key that does not
//!   match it is refused (`DATA_KEY_MISMATCH`) rather than used to write values nobody could read
//!   back, and a missing data key is never silently replaced by a new one.
//! - A sealed value is `v1:` + base64(nonce ‖ AES-256-GCM ciphertext and tag). The column's name is
//!   the associated data, so a value copied into another column does not open.
//! - Losing the data key loses nothing the counter needs: ID-card numbers are the ledger's and the
//!   counter never reads them (the account card shows none). Pulls go on without a key, keeping no
//!   ID numbers; an import, which an administrator runs, stops with the key's error.
//!
//! Before issue 17 a counter without a keyring put its data key in a file next to the database
//! (`<database>.datakey`, [`KeySource::file_for`]) by itself. That file is no longer read as a
//! store: `cashdeskctl datakey file-store` moves it out of the data directory.

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
        DataKey::from_secret(&Secret::generate()?)
    }

    /// The data key made of `secret`'s bytes.
    pub fn from_secret(secret: &Secret) -> Result<DataKey> {
        let key = UnboundKey::new(&AES_256_GCM, secret.bytes())
            .map_err(|_| unavailable("the data key is not a valid key"))?;
        Ok(DataKey { bytes: *secret.bytes(), key: LessSafeKey::new(key) })
    }

    #[cfg(test)]
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

/// A key's 32 random bytes, whatever it keys (the data key, the receipt key).
pub struct Secret([u8; KEY_LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(id {}, <redacted>)", self.id())
    }
}

impl Secret {
    /// New random bytes.
    pub fn generate() -> Result<Secret> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new().fill(&mut bytes).map_err(|_| unavailable("the system random generator failed"))?;
        Ok(Secret(bytes))
    }

    /// A key as stored: base64 of its bytes.
    pub fn from_text(text: &str) -> Result<Secret> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| unavailable("a stored key is not base64"))?;
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| unavailable(format!("a key is {KEY_LEN} bytes")))?;
        Ok(Secret(bytes))
    }

    /// The key as stored: base64 of its bytes.
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// The bytes, for the key type that uses them.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key's fingerprint (16 hex digits of its SHA-256): safe to store and show.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.0)[..8])
    }
}

/// Where one key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The OS keyring entry `service`/`user` (Linux Secret Service, Windows Credential Manager).
    Keyring { service: &'static str, user: String },
    /// A file (a store an administrator chose, tests, and the ledger's own key).
    File(PathBuf),
}

/// Where the key was found or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptIn {
    Keyring,
    File,
}

impl KeySource {
    /// The file an earlier build put a database's data key in when the OS had no keyring:
    /// `<db>.datakey`, next to the database (see the module docs). Tests and the ledger's demo keep
    /// throwaway keys there too.
    pub fn file_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".datakey");
        PathBuf::from(name)
    }

    /// Load the data key, or make and keep one if the database has none yet (`expected` is the id
    /// the database recorded; a different key is refused).
    pub fn load(&self, expected: Option<&str>) -> Result<(DataKey, KeptIn)> {
        let secret = self.load_secret(expected.is_none())?;
        if let Some(expected) = expected
            && secret.id() != expected
        {
            return Err(Error::DataKeyMismatch { expected: expected.to_string(), found: secret.id() });
        }
        Ok((DataKey::from_secret(&secret)?, self.kept_in()))
    }

    fn kept_in(&self) -> KeptIn {
        match self {
            KeySource::Keyring { .. } => KeptIn::Keyring,
            KeySource::File(_) => KeptIn::File,
        }
    }

    /// The key kept here; made and kept when there is none and `create` allows. A keyring that
    /// cannot be reached is `KEYRING_UNAVAILABLE`, never a reason to use anything else.
    pub fn load_secret(&self, create: bool) -> Result<Secret> {
        match self {
            KeySource::File(file) => load_or_create_file(file, create),
            KeySource::Keyring { service, user } => match keyring_get(service, user)? {
                Some(secret) => Ok(secret),
                None if create => {
                    let secret = Secret::generate()?;
                    keyring_set(service, user, &secret)?;
                    Ok(secret)
                }
                None => Err(unavailable(format!("the keyring has no entry {service}/{user}"))),
            },
        }
    }

    /// The key kept here, if there is one (nothing is made).
    pub fn find(&self) -> Result<Option<Secret>> {
        match self {
            KeySource::File(file) if !file.exists() => Ok(None),
            KeySource::File(file) => load_or_create_file(file, false).map(Some),
            KeySource::Keyring { service, user } => keyring_get(service, user),
        }
    }

    /// Keep `secret` here. A different key already kept here is refused (never overwritten); the
    /// same key is left as it is.
    pub fn store(&self, secret: &Secret) -> Result<()> {
        if let Some(found) = self.find()? {
            if found.id() == secret.id() {
                return Ok(());
            }
            return Err(Error::DataKeyMismatch { expected: secret.id(), found: found.id() });
        }
        match self {
            KeySource::File(file) => write_new_file(file, secret).map(drop),
            KeySource::Keyring { service, user } => keyring_set(service, user, secret),
        }
    }

    /// Where, in words (for the administrator).
    pub fn describe(&self) -> String {
        match self {
            KeySource::Keyring { service, user } => format!("OS keyring entry {service}/{user}"),
            KeySource::File(file) => format!("file {}", file.display()),
        }
    }
}

fn no_keyring(detail: impl Into<String>) -> Error {
    Error::KeyringUnavailable { detail: detail.into() }
}

fn keyring_entry(service: &str, user: &str) -> Result<keyring::Entry> {
    if !cfg!(any(target_os = "linux", target_os = "windows")) {
        // The keyring crate's store on other systems keeps nothing.
        return Err(no_keyring("this build has no OS keyring support on this system"));
    }
    keyring::Entry::new(service, user).map_err(|e| no_keyring(e.to_string()))
}

fn keyring_get(service: &str, user: &str) -> Result<Option<Secret>> {
    match keyring_entry(service, user)?.get_password() {
        Ok(text) => Ok(Some(Secret::from_text(&text)?)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e @ (keyring::Error::BadEncoding(_) | keyring::Error::Ambiguous(_))) => {
            Err(unavailable(format!("the keyring entry {service}/{user} cannot be read as a key ({e})")))
        }
        Err(e) => Err(no_keyring(e.to_string())),
    }
}

fn keyring_set(service: &str, user: &str, secret: &Secret) -> Result<()> {
    keyring_entry(service, user)?.set_password(&secret.to_text()).map_err(|e| no_keyring(e.to_string()))
}

/// Read the key file; create it (owner-only) when it is missing and `create` allows.
fn load_or_create_file(file: &Path, create: bool) -> Result<Secret> {
    match std::fs::read_to_string(file) {
        Ok(text) => Secret::from_text(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => write_new_file(file, &Secret::generate()?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(unavailable(format!("the key file {} is missing", file.display())))
        }
        Err(e) => Err(e.into()),
    }
}

/// Write `secret` to `file` whole or not at all: to a temporary file in the same directory,
/// synced, then linked into place only if no other process got there first (whose key is then
/// the one returned).
fn write_new_file(file: &Path, secret: &Secret) -> Result<Secret> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Owner-only on Unix (tempfile's default mode is 0600).
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(secret.to_text().as_bytes())?;
    tmp.as_file().sync_all()?;
    match tmp.persist_noclobber(file) {
        Ok(_) => {
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            Ok(Secret(secret.0))
        }
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Secret::from_text(&std::fs::read_to_string(file)?)
        }
        Err(e) => Err(e.error.into()),
    }
}

/// `settings` key: the id of the data key this database's sealed values were written with.
pub const SETTING_KEY_ID: &str = "data_key_id";

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

    #[test]
    fn a_key_kept_is_never_overwritten_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let source = KeySource::File(dir.path().join("x.datakey"));
        assert!(source.find().unwrap().is_none());
        let first = Secret::generate().unwrap();
        source.store(&first).unwrap();
        source.store(&first).unwrap();
        assert_eq!(source.find().unwrap().unwrap().id(), first.id());
        assert!(matches!(source.store(&Secret::generate().unwrap()), Err(Error::DataKeyMismatch { .. })));
        assert_eq!(source.find().unwrap().unwrap().id(), first.id(), "still the first");
    }
}
