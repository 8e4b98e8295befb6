//! Where the counter keeps its data, and its identity (terminal code, utility name).
//!
//! The data directory is `$CASHDESK_DATA_DIR` if set, else the platform data directory
//! (`$XDG_DATA_HOME/cashdesk` or `~/.local/share/cashdesk` on Linux, `%APPDATA%\cashdesk` on
//! Windows). The database is `cashdesk.sqlite` in it, the logs are in `logs/`. The app, the CLI and
//! the bridge all resolve the same path, so `cashdeskctl` without `--db` works on the app's data.
//!
//! The terminal code and utility name are stored in the database's `settings` table and set with
//! `cashdeskctl init --terminal CODE --utility NAME`.

use std::path::PathBuf;

use crate::{Error, Result};

pub const DB_FILE: &str = "cashdesk.sqlite";
pub const SETTING_TERMINAL: &str = "terminal_code";
pub const SETTING_UTILITY: &str = "utility_name";
pub const DEFAULT_UTILITY: &str = "国网示范供电公司营业厅";

/// The data directory (see the module docs).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CASHDESK_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("cashdesk"))
        .ok_or_else(|| Error::Internal("cannot find the user's data directory; set CASHDESK_DATA_DIR".into()))
}

/// The default database path.
pub fn default_db_path() -> Result<PathBuf> {
    Ok(data_dir()?.join(DB_FILE))
}

/// 收费终端编号: a terminal code such as `GY01-03` or `DEMO-01`: 2–20 characters of A–Z, 0–9 and `-`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TerminalCode(String);

impl TerminalCode {
    pub fn parse(s: &str) -> Result<TerminalCode> {
        let s = s.trim();
        let ok = (2..=20).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(TerminalCode(s.to_string()))
        } else {
            Err(Error::invalid(
                "terminal",
                format!("'{s}' is not a terminal code: use 2-20 of A-Z, 0-9 and '-', e.g. GY01-03"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TerminalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_codes() {
        assert!(TerminalCode::parse("GY01-03").is_ok());
        assert!(TerminalCode::parse("DEMO-01").is_ok());
        assert!(TerminalCode::parse("gy01").is_err(), "lower case is refused so codes compare exactly");
        assert!(TerminalCode::parse("-A").is_err());
        assert!(TerminalCode::parse("A").is_err());
    }
}
