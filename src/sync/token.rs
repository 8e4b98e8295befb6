//! 终端令牌: where the terminal's ledger token is kept.
//!
//! Invariants: the token lives ONLY in the OS keyring (service [`SERVICE`], user = the terminal
//! code): never in the database, a file, an argument or a log line. [`Token`]'s `Debug` is redacted
//! and it has no `Display`; the only way to read it is [`Token::secret`], used for the
//! `Authorization` header.
//!
//! The sync engine takes any [`TokenStore`]: production uses [`KeyringStore`] (Secret Service on a
//! Linux desktop, the Windows credential manager on Windows); [`MemoryStore`] is for tests where the
//! keyring is not the thing under test.

use std::{collections::HashMap, sync::Mutex};

use crate::{Error, Result};

/// The keyring service name under which every terminal token is stored.
pub const SERVICE: &str = "cashdesk-ledger";

/// A terminal's bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token as the ledger issued it: 16-512 visible ASCII characters (it goes into an HTTP header).
    pub fn new(s: impl Into<String>) -> Result<Token> {
        let s = s.into();
        if !(16..=512).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::SyncBadReply { detail: "the token is not 16-512 visible ASCII characters".into() });
        }
        Ok(Token(s))
    }

    /// The secret itself: for the `Authorization` header and the keyring only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Somewhere to keep one token per terminal code.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The terminal's token, if one is stored.
    fn get(&self, terminal: &str) -> Result<Option<Token>>;
    /// Store (or replace) the terminal's token.
    fn set(&self, terminal: &str, token: &Token) -> Result<()>;
    /// Forget the terminal's token (no error when there is none).
    fn delete(&self, terminal: &str) -> Result<()>;
}

/// The OS keyring (keyring crate): the production store.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyringStore;

impl KeyringStore {
    fn entry(terminal: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, terminal).map_err(keyring_error)
    }
}

fn keyring_error(e: keyring::Error) -> Error {
    // keyring's messages name the backend's failure, never the secret.
    Error::SyncKeyring { detail: e.to_string() }
}

impl TokenStore for KeyringStore {
    fn get(&self, terminal: &str) -> Result<Option<Token>> {
        match Self::entry(terminal)?.get_password() {
            Ok(s) => Ok(Some(Token::new(s).map_err(|_| Error::SyncKeyring {
                detail: format!("the keyring entry {SERVICE}/{terminal} does not hold a valid token; enrol again"),
            })?)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set(&self, terminal: &str, token: &Token) -> Result<()> {
        Self::entry(terminal)?.set_password(token.secret()).map_err(keyring_error)
    }

    fn delete(&self, terminal: &str) -> Result<()> {
        match Self::entry(terminal)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// Tokens in process memory. ONLY for tests where the keyring is not the thing under test (the
/// engine against a ledger, pull, push): a counter must use [`KeyringStore`].
#[derive(Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<String, Token>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Token>> {
        match self.tokens.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("terminals", &self.lock().keys().collect::<Vec<_>>()).finish()
    }
}

impl TokenStore for MemoryStore {
    fn get(&self, terminal: &str) -> Result<Option<Token>> {
        Ok(self.lock().get(terminal).cloned())
    }

    fn set(&self, terminal: &str, token: &Token) -> Result<()> {
        self.lock().insert(terminal.to_string(), token.clone());
        Ok(())
    }

    fn delete(&self, terminal: &str) -> Result<()> {
        self.lock().remove(terminal);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_never_printed() {
        assert!(Token::new("short").is_err());
        assert!(Token::new("a token with spaces in it").is_err());
        let t = Token::new("s3cret-token-0123456789").unwrap();
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        let store = MemoryStore::new();
        store.set("GY01-03", &t).unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("GY01-03") && !shown.contains("s3cret"), "{shown}");
        assert_eq!(store.get("GY01-03").unwrap(), Some(t));
        store.delete("GY01-03").unwrap();
        store.delete("GY01-03").unwrap();
        assert_eq!(store.get("GY01-03").unwrap(), None);
    }
}
