//! The ledger's configuration: an optional TOML file (`--config FILE`) with environment overrides.
//!
//! ```toml
//! database_url = "postgres://ledger:secret@db.example/ledger"   # required (here or in the environment)
//! migration_database_url = "postgres://ledger_owner:secret@db.example/ledger"  # optional, see below
//! bind = "0.0.0.0:8700"                                          # default 127.0.0.1:8700
//! max_connections = 20                                           # PostgreSQL pool size, default 20
//! compact_every_minutes = 60     # change-log compaction while serving, default 60; 0 = never
//!                                # (then run `cashdesk-ledger compact` off-peak, e.g. from cron)
//! data_key_file = "/etc/cashdesk/ledger.datakey"                 # the ledger's data key (see below)
//! flag_ahead_minutes = 10        # an event dated more than this after its arrival is flagged for
//!                                # review (`events::review`), default 10
//! max_failures_per_minute = 10   # failed enrolments / token uses per client address before 429
//!                                # (`throttle`), default 10; 0 = no limit
//! trusted_proxies = ["127.0.0.1"]  # reverse proxies whose X-Forwarded-For names the client the
//!                                  # limit counts (`throttle::client_address`); default none
//!
//! [tls]                                  # without it the ledger serves plain HTTP, and only on a
//!                                        # loopback bind (or with `serve --insecure-http`)
//! cert = "/etc/cashdesk/ledger.crt"      # PEM certificate chain, leaf first
//! key = "/etc/cashdesk/ledger.key"       # PEM private key (PKCS#8, PKCS#1 or SEC1)
//! ```
//!
//! Two database roles (`migration_database_url`): the schema's owner migrates (`cashdesk-ledger
//! migrate`, on this URL), and `serve` and every other command run as `database_url`'s role, which
//! may read and write the rows but not change the schema (`cashdesk-ledger migrate --grant ROLE`
//! gives it exactly that). With a migration URL those commands never migrate: they check that the
//! schema is this ledger's and stop if it is not. Without one, one role does both (the demo, a
//! test), and they migrate first unless started with `--no-migrate`.
//!
//! Environment variables win over the file: `CASHDESK_LEDGER_DATABASE_URL`,
//! `CASHDESK_LEDGER_MIGRATION_DATABASE_URL`, `CASHDESK_LEDGER_BIND`,
//! `CASHDESK_LEDGER_TLS_CERT`, `CASHDESK_LEDGER_TLS_KEY`, `CASHDESK_LEDGER_MAX_CONNECTIONS`,
//! `CASHDESK_LEDGER_COMPACT_EVERY_MINUTES`, `CASHDESK_LEDGER_DATA_KEY_FILE`,
//! `CASHDESK_LEDGER_FLAG_AHEAD_MINUTES`, `CASHDESK_LEDGER_MAX_FAILURES_PER_MINUTE`,
//! `CASHDESK_LEDGER_TRUSTED_PROXIES` (addresses separated by commas). An empty
//! variable counts as unset. Relative paths in the file (TLS, data key) are relative to the file's
//! directory; in the environment, to the working directory. Certificate and key come together or
//! not at all.
//!
//! The data key (数据密钥, `datakey`) seals the payees' bank account numbers of refund requests and
//! the accounts' ID-card numbers in PostgreSQL. `data_key_file` names it; without it the key is `cashdesk-ledger.datakey` next to the
//! configuration file, or in the working directory when there is no file. `serve` creates the file
//! (owner-only, 0600) when it is missing and the database has no sealed value yet, and refuses to
//! start when it does not open or is not the key the database's values were sealed with. Back it
//! up apart from the database: without it the sealed numbers are lost.
//!
//! `Debug` and [`Config::database_url_redacted`] hide the database password, so a configuration can
//! be logged.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The environment variables read by [`Config::load`].
pub const ENV_DATABASE_URL: &str = "CASHDESK_LEDGER_DATABASE_URL";
pub const ENV_MIGRATION_DATABASE_URL: &str = "CASHDESK_LEDGER_MIGRATION_DATABASE_URL";
pub const ENV_BIND: &str = "CASHDESK_LEDGER_BIND";
pub const ENV_TLS_CERT: &str = "CASHDESK_LEDGER_TLS_CERT";
pub const ENV_TLS_KEY: &str = "CASHDESK_LEDGER_TLS_KEY";
pub const ENV_MAX_CONNECTIONS: &str = "CASHDESK_LEDGER_MAX_CONNECTIONS";
pub const ENV_COMPACT_EVERY: &str = "CASHDESK_LEDGER_COMPACT_EVERY_MINUTES";
pub const ENV_DATA_KEY_FILE: &str = "CASHDESK_LEDGER_DATA_KEY_FILE";
pub const ENV_FLAG_AHEAD: &str = "CASHDESK_LEDGER_FLAG_AHEAD_MINUTES";
pub const ENV_MAX_FAILURES: &str = "CASHDESK_LEDGER_MAX_FAILURES_PER_MINUTE";
pub const ENV_TRUSTED_PROXIES: &str = "CASHDESK_LEDGER_TRUSTED_PROXIES";

/// Where the ledger listens when nothing says otherwise (loopback only).
pub const DEFAULT_BIND: &str = "127.0.0.1:8700";
/// The PostgreSQL pool size when nothing says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 20;
/// Minutes between change-log compactions while serving, when nothing says otherwise.
pub const DEFAULT_COMPACT_EVERY_MINUTES: u32 = 60;
/// The data key's file name when nothing names the file: next to the configuration file, or in the
/// working directory.
pub const DEFAULT_DATA_KEY_FILE: &str = "cashdesk-ledger.datakey";
/// Minutes an event may be dated after its arrival before it is flagged, when nothing says otherwise.
pub const DEFAULT_FLAG_AHEAD_MINUTES: u32 = 10;

/// The ledger's configuration, complete and checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `postgres://` or `postgresql://` URL of the ledger's database.
    pub database_url: String,
    /// The same database as its schema's owner, for `migrate`; when given, no other command
    /// migrates (they run as `database_url`'s role, which cannot change the schema).
    pub migration_database_url: Option<String>,
    /// Address the HTTP(S) API listens on.
    pub bind: SocketAddr,
    /// Certificate and key for HTTPS; `None` serves plain HTTP, which `serve` does only on a loopback
    /// `bind` (behind a TLS-terminating proxy on the same machine) unless started with
    /// `--insecure-http` (`tls::transport`).
    pub tls: Option<TlsFiles>,
    /// Most PostgreSQL connections the ledger's pool opens.
    pub max_connections: u32,
    /// Minutes between change-log compactions while serving (`changes::compact`); 0: never. A
    /// compaction holds back pulls while it runs (seconds for a few million entries).
    pub compact_every_minutes: u32,
    /// The ledger's data key (`datakey`): the file that holds it.
    pub data_key_file: PathBuf,
    /// Minutes an event may be dated after its arrival before it is flagged for review.
    pub flag_ahead_minutes: u32,
    /// Failed enrolments or token uses a client address may have in a minute (`throttle`); 0: no limit.
    pub max_failures_per_minute: u32,
    /// Reverse proxies believed about the client they forward for (`throttle::client_address`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Config {
    /// The review flags' settings (`events::Review`).
    pub fn review(&self) -> crate::events::Review {
        crate::events::Review { ahead: chrono::Duration::minutes(i64::from(self.flag_ahead_minutes)) }
    }
}

/// PEM files for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// The leaf certificate's private key.
    pub key: PathBuf,
}

/// Why the configuration could not be loaded. Each message names the file or variable and the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{field} is not set: give `{field} = ...` in the configuration file or set {env}")]
    Missing { field: &'static str, env: &'static str },
    #[error("{origin}: {message}")]
    Invalid {
        /// Where the value came from: `CASHDESK_LEDGER_BIND` or `bind in /etc/...toml`.
        origin: String,
        message: String,
    },
}

/// The file's shape. Unknown keys are refused, so a misspelt key is an error rather than a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    migration_database_url: Option<String>,
    bind: Option<String>,
    max_connections: Option<u32>,
    compact_every_minutes: Option<u32>,
    flag_ahead_minutes: Option<u32>,
    max_failures_per_minute: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    data_key_file: Option<PathBuf>,
    tls: Option<FileTls>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// One setting and where it came from, for error messages.
struct Sourced<T> {
    value: T,
    origin: String,
}

impl Config {
    /// Loads the configuration: the TOML file if `file` is given, then the process environment on
    /// top of it.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with_env(file, |name| std::env::var(name).ok())
    }

    /// [`Config::load`] with the environment given as a look-up function (for tests, and for callers
    /// that already hold the variables).
    pub fn load_with_env(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let (parsed, base_dir) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                let parsed = parse_file(path, &text)?;
                (Some((path, parsed)), path.parent().map(Path::to_path_buf).unwrap_or_default())
            }
            None => (None, PathBuf::new()),
        };
        let file_origin = |field: &str| match &parsed {
            Some((path, _)) => format!("{field} in {}", path.display()),
            None => field.to_owned(),
        };
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let from_file = parsed.as_ref().map(|(_, f)| f);

        // Each setting: the environment if set, else the file, else the default.
        let pick = |env_name: &'static str, field: &str, file_value: Option<String>| -> Option<Sourced<String>> {
            match env(env_name) {
                Some(value) => Some(Sourced { value, origin: env_name.to_owned() }),
                None => file_value.map(|value| Sourced { value, origin: file_origin(field) }),
            }
        };

        let database_url = pick(ENV_DATABASE_URL, "database_url", from_file.and_then(|f| f.database_url.clone()))
            .ok_or(ConfigError::Missing { field: "database_url", env: ENV_DATABASE_URL })?;
        check_database_url(&database_url)?;
        let migration_database_url = pick(
            ENV_MIGRATION_DATABASE_URL,
            "migration_database_url",
            from_file.and_then(|f| f.migration_database_url.clone()),
        );
        if let Some(url) = &migration_database_url {
            check_database_url(url)?;
        }

        let bind = match pick(ENV_BIND, "bind", from_file.and_then(|f| f.bind.clone())) {
            Some(s) => s.value.trim().parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                origin: s.origin,
                message: format!("{:?} is not an IP address and port, e.g. 0.0.0.0:8700 or [::]:8700", s.value),
            })?,
            None => DEFAULT_BIND.parse().map_err(|_| ConfigError::Invalid {
                origin: "bind".into(),
                message: "the built-in default is not an address".into(),
            })?,
        };

        let number = |env_name: &'static str, field: &str, file_value: Option<u32>, default: u32| match env(env_name) {
            Some(v) => Ok(Sourced {
                value: v.trim().parse::<u32>().map_err(|_| ConfigError::Invalid {
                    origin: env_name.into(),
                    message: format!("{v:?} is not a whole number"),
                })?,
                origin: env_name.into(),
            }),
            None => Ok(Sourced { value: file_value.unwrap_or(default), origin: file_origin(field) }),
        };
        let max_connections = number(
            ENV_MAX_CONNECTIONS,
            "max_connections",
            from_file.and_then(|f| f.max_connections),
            DEFAULT_MAX_CONNECTIONS,
        )?;
        let compact_every = number(
            ENV_COMPACT_EVERY,
            "compact_every_minutes",
            from_file.and_then(|f| f.compact_every_minutes),
            DEFAULT_COMPACT_EVERY_MINUTES,
        )?;
        let flag_ahead = number(
            ENV_FLAG_AHEAD,
            "flag_ahead_minutes",
            from_file.and_then(|f| f.flag_ahead_minutes),
            DEFAULT_FLAG_AHEAD_MINUTES,
        )?;
        let max_failures = number(
            ENV_MAX_FAILURES,
            "max_failures_per_minute",
            from_file.and_then(|f| f.max_failures_per_minute),
            crate::throttle::MAX_FAILURES,
        )?;
        let trusted_proxies = match env(ENV_TRUSTED_PROXIES) {
            Some(v) => Sourced {
                value: v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
                origin: ENV_TRUSTED_PROXIES.to_string(),
            },
            None => Sourced {
                value: from_file.and_then(|f| f.trusted_proxies.clone()).unwrap_or_default(),
                origin: file_origin("trusted_proxies"),
            },
        };
        let trusted_proxies = trusted_proxies
            .value
            .iter()
            .map(|a| {
                a.trim().parse::<std::net::IpAddr>().map(|a| a.to_canonical()).map_err(|_| ConfigError::Invalid {
                    origin: trusted_proxies.origin.clone(),
                    message: format!("{a:?} is not an IP address (give the proxies' addresses, e.g. 127.0.0.1)"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if max_connections.value == 0 {
            return Err(ConfigError::Invalid { origin: max_connections.origin, message: "must be at least 1".into() });
        }

        // TLS paths: from the file relative to its directory; from the environment as given.
        let file_tls = from_file.and_then(|f| f.tls.as_ref());
        let tls_path =
            |env_name: &'static str, field: &str, file_value: Option<&PathBuf>| -> Option<Sourced<PathBuf>> {
                match env(env_name) {
                    Some(v) => Some(Sourced { value: PathBuf::from(v), origin: env_name.to_owned() }),
                    None => file_value.map(|p| Sourced { value: base_dir.join(p), origin: file_origin(field) }),
                }
            };
        let cert = tls_path(ENV_TLS_CERT, "tls.cert", file_tls.and_then(|t| t.cert.as_ref()));
        let key = tls_path(ENV_TLS_KEY, "tls.key", file_tls.and_then(|t| t.key.as_ref()));
        let tls = match (cert, key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.value, key: key.value }),
            (Some(cert), None) => {
                return Err(ConfigError::Invalid {
                    origin: cert.origin,
                    message: format!(
                        "a TLS certificate is given but no key: set tls.key in the file or {ENV_TLS_KEY} as well"
                    ),
                });
            }
            (None, Some(key)) => {
                return Err(ConfigError::Invalid {
                    origin: key.origin,
                    message: format!(
                        "a TLS key is given but no certificate: set tls.cert in the file or {ENV_TLS_CERT} as well"
                    ),
                });
            }
        };

        let data_key_file = match env(ENV_DATA_KEY_FILE) {
            Some(v) => PathBuf::from(v),
            None => base_dir.join(
                from_file.and_then(|f| f.data_key_file.clone()).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_KEY_FILE)),
            ),
        };

        Ok(Config {
            database_url: database_url.value,
            migration_database_url: migration_database_url.map(|s| s.value),
            bind,
            tls,
            max_connections: max_connections.value,
            compact_every_minutes: compact_every.value,
            data_key_file,
            flag_ahead_minutes: flag_ahead.value,
            max_failures_per_minute: max_failures.value,
            trusted_proxies,
        })
    }

    /// The database URL with its password (in the user part or a `password=` parameter) replaced by
    /// `***`: safe to log.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url_redacted())
            .field("migration_database_url", &self.migration_database_url.as_deref().map(redact_url))
            .field("bind", &self.bind)
            .field("tls", &self.tls)
            .field("max_connections", &self.max_connections)
            .field("compact_every_minutes", &self.compact_every_minutes)
            .field("data_key_file", &self.data_key_file)
            .field("flag_ahead_minutes", &self.flag_ahead_minutes)
            .field("max_failures_per_minute", &self.max_failures_per_minute)
            .finish()
    }
}

fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    // toml's message names the key and shows the line.
    toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
}

fn check_database_url(url: &Sourced<String>) -> Result<(), ConfigError> {
    let v = url.value.trim();
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            origin: url.origin.clone(),
            message: format!(
                "{:?} is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)",
                redact_url(v)
            ),
        })
    }
}

/// Hides a URL's password: `postgres://u:***@h/db`, and `password=***` in its query.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    // The authority ends at the first '/', '?' or '#'.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{host}", &userinfo[..colon]),
                None => authority.to_owned(),
            }
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            let mut s = format!("{path}?{}", query.join("&"));
            if let Some(f) = fragment {
                s.push('#');
                s.push_str(f);
            }
            s
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("ledger.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn environment_alone_with_defaults() {
        let c = Config::load_with_env(None, env_of(&[(ENV_DATABASE_URL, "postgres://l:pw@db/ledger")])).unwrap();
        assert_eq!(c.database_url, "postgres://l:pw@db/ledger");
        assert_eq!(c.migration_database_url, None, "one role migrates and serves");
        assert_eq!(c.bind, "127.0.0.1:8700".parse().unwrap());
        assert_eq!(c.tls, None);
        assert_eq!(c.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(c.compact_every_minutes, DEFAULT_COMPACT_EVERY_MINUTES);
        assert_eq!(c.data_key_file, PathBuf::from(DEFAULT_DATA_KEY_FILE), "in the working directory");
        assert_eq!(c.review().ahead, chrono::Duration::minutes(10), "events up to 10 minutes ahead pass");
        assert_eq!(c.max_failures_per_minute, 10);
        assert!(c.trusted_proxies.is_empty(), "no proxy is believed unless named");
    }

    #[test]
    fn trusted_proxies_from_the_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "database_url = \"postgres://l@db/ledger\"\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
        );
        let c = Config::load_with_env(Some(&path), env_of(&[])).unwrap();
        assert_eq!(c.trusted_proxies, ["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
        let c = Config::load_with_env(Some(&path), env_of(&[(ENV_TRUSTED_PROXIES, "10.0.0.1, 10.0.0.2")])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2, "the environment wins");
        let e = Config::load_with_env(Some(&path), env_of(&[(ENV_TRUSTED_PROXIES, "proxy.local")])).unwrap_err();
        assert!(
            e.to_string().contains("CASHDESK_LEDGER_TRUSTED_PROXIES") && e.to_string().contains("not an IP address"),
            "{e}"
        );
    }

    #[test]
    fn file_values_and_relative_tls_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            r#"
database_url = "postgresql://ledger@10.0.0.5/ledger"
migration_database_url = "postgresql://ledger_owner@10.0.0.5/ledger"
bind = "0.0.0.0:9443"
max_connections = 50
compact_every_minutes = 0
data_key_file = "keys/ledger.datakey"
flag_ahead_minutes = 3
[tls]
cert = "tls/ledger.crt"
key = "/etc/ssl/ledger.key"
"#,
        );
        let c = Config::load_with_env(Some(&path), env_of(&[])).unwrap();
        assert_eq!(c.database_url, "postgresql://ledger@10.0.0.5/ledger");
        assert_eq!(c.migration_database_url.as_deref(), Some("postgresql://ledger_owner@10.0.0.5/ledger"));
        assert_eq!(c.bind, "0.0.0.0:9443".parse().unwrap());
        assert_eq!(c.max_connections, 50);
        assert_eq!(c.compact_every_minutes, 0, "0: only `cashdesk-ledger compact` compacts");
        assert_eq!(c.flag_ahead_minutes, 3);
        let tls = c.tls.unwrap();
        assert_eq!(tls.cert, dir.path().join("tls/ledger.crt"));
        assert_eq!(tls.key, PathBuf::from("/etc/ssl/ledger.key"));
        assert_eq!(c.data_key_file, dir.path().join("keys/ledger.datakey"), "relative to the file");
        let bare = write(dir.path(), "database_url = \"postgres://x\"\n");
        let c = Config::load_with_env(Some(&bare), env_of(&[])).unwrap();
        assert_eq!(c.data_key_file, dir.path().join(DEFAULT_DATA_KEY_FILE), "next to the file");
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            write(dir.path(), "database_url = \"postgres://a@file/x\"\nbind = \"127.0.0.1:1\"\nmax_connections = 3\n");
        let c = Config::load_with_env(
            Some(&path),
            env_of(&[
                (ENV_DATABASE_URL, "postgres://b@env/y"),
                (ENV_MIGRATION_DATABASE_URL, "postgres://owner:pw@env/y"),
                (ENV_BIND, "[::]:8700"),
                (ENV_TLS_CERT, "c.pem"),
                (ENV_TLS_KEY, "k.pem"),
                (ENV_MAX_CONNECTIONS, "7"),
                (ENV_COMPACT_EVERY, "1440"),
                (ENV_DATA_KEY_FILE, "k/data.key"),
                (ENV_FLAG_AHEAD, "30"),
                (ENV_MAX_FAILURES, "0"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://b@env/y");
        assert_eq!(c.migration_database_url.as_deref(), Some("postgres://owner:pw@env/y"));
        assert_eq!(c.bind, "[::]:8700".parse().unwrap());
        assert_eq!(c.tls, Some(TlsFiles { cert: "c.pem".into(), key: "k.pem".into() }));
        assert_eq!(c.max_connections, 7);
        assert_eq!(c.compact_every_minutes, 1440);
        assert_eq!(c.flag_ahead_minutes, 30);
        assert_eq!(c.max_failures_per_minute, 0, "0 turns the limit off");
        assert_eq!(c.data_key_file, PathBuf::from("k/data.key"), "as given, from the working directory");
    }

    #[test]
    fn empty_variable_counts_as_unset() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "database_url = \"postgres://a@file/x\"\n");
        let c = Config::load_with_env(Some(&path), env_of(&[(ENV_DATABASE_URL, ""), (ENV_BIND, " ")])).unwrap();
        assert_eq!(c.database_url, "postgres://a@file/x");
        assert_eq!(c.bind, DEFAULT_BIND.parse().unwrap());
    }

    #[test]
    fn errors_name_the_field_and_where_it_came_from() {
        let missing = Config::load_with_env(None, env_of(&[])).unwrap_err().to_string();
        assert!(missing.contains("database_url") && missing.contains(ENV_DATABASE_URL), "{missing}");

        let bad_bind =
            Config::load_with_env(None, env_of(&[(ENV_DATABASE_URL, "postgres://x"), (ENV_BIND, "localhost")]))
                .unwrap_err()
                .to_string();
        assert!(bad_bind.starts_with("CASHDESK_LEDGER_BIND: \"localhost\""), "{bad_bind}");

        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "database_url = \"mysql://u:hunter2@h/d\"\n");
        let bad_url = Config::load_with_env(Some(&path), env_of(&[])).unwrap_err().to_string();
        assert!(bad_url.starts_with("database_url in "), "{bad_url}");
        assert!(bad_url.contains("not a PostgreSQL URL") && !bad_url.contains("hunter2"), "{bad_url}");

        let path = write(dir.path(), "database_url = \"postgres://x\"\n[tls]\ncert = \"c.pem\"\n");
        let half_tls = Config::load_with_env(Some(&path), env_of(&[])).unwrap_err().to_string();
        assert!(half_tls.starts_with("tls.cert in ") && half_tls.contains("no key"), "{half_tls}");

        let zero =
            Config::load_with_env(None, env_of(&[(ENV_DATABASE_URL, "postgres://x"), (ENV_MAX_CONNECTIONS, "0")]))
                .unwrap_err()
                .to_string();
        assert!(zero.contains(ENV_MAX_CONNECTIONS) && zero.contains("at least 1"), "{zero}");
    }

    #[test]
    fn file_errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "databse_url = \"postgres://x\"\n");
        let typo = Config::load_with_env(Some(&path), env_of(&[])).unwrap_err().to_string();
        assert!(typo.contains("ledger.toml") && typo.contains("databse_url"), "{typo}");

        let path = write(dir.path(), "database_url = \"postgres://x\"\nmax_connections = \"many\"\n");
        let wrong_type = Config::load_with_env(Some(&path), env_of(&[])).unwrap_err().to_string();
        assert!(wrong_type.contains("max_connections"), "{wrong_type}");

        let gone = Config::load_with_env(Some(&dir.path().join("nope.toml")), env_of(&[])).unwrap_err().to_string();
        assert!(gone.contains("cannot read the configuration file") && gone.contains("nope.toml"), "{gone}");
    }

    #[test]
    fn debug_and_redaction_hide_the_password() {
        let c = Config::load_with_env(
            None,
            env_of(&[
                (ENV_DATABASE_URL, "postgres://ledger:s3cr%40t@db:5432/ledger?sslmode=require&password=other"),
                (ENV_MIGRATION_DATABASE_URL, "postgres://owner:0wn3r@db:5432/ledger"),
            ]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr") && !shown.contains("other") && !shown.contains("0wn3r"), "{shown}");
        assert!(shown.contains("postgres://ledger:***@db:5432/ledger?sslmode=require&password=***"), "{shown}");

        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h/db?user=u&PASSWORD=x#f"), "postgres://h/db?user=u&PASSWORD=***#f");
        assert_eq!(redact_url("postgres://u:p@w@h"), "postgres://u:***@h");
    }
}
