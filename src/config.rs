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

/// 供电区域: the area a terminal and an account belong to (a county's or a district's code, such as
/// `GY01`): 1–20 characters of A–Z and 0–9. The central ledger sends a terminal the accounts of its
/// own area only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Area(String);

impl Area {
    pub fn parse(s: &str) -> Result<Area> {
        let s = s.trim();
        if (1..=20).contains(&s.len()) && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            Ok(Area(s.to_string()))
        } else {
            Err(Error::invalid("area", format!("'{s}' is not an area: use 1-20 of A-Z and 0-9, e.g. GY01")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
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

    /// The area its code names: the part before the first `-` (`GY01` of `GY01-03`), the rule the
    /// central ledger's finance lists group terminals by and the area a terminal enrolled without
    /// one belongs to.
    pub fn area(&self) -> Area {
        Area(self.0.split('-').next().unwrap_or(&self.0).to_string())
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

    #[test]
    fn a_terminals_area_is_its_code_before_the_first_dash() {
        for (code, area) in [("GY01-03", "GY01"), ("DEMO-01", "DEMO"), ("GY01-A-2", "GY01"), ("GY01", "GY01")] {
            assert_eq!(TerminalCode::parse(code).unwrap().area().as_str(), area, "{code}");
            assert!(Area::parse(area).is_ok(), "a code's area is itself a valid area: {area}");
        }
        for bad in ["", "gy01", "GY-01", "GY01 X", "ABCDEFGHIJKLMNOPQRSTU"] {
            assert!(Area::parse(bad).is_err(), "{bad:?}");
        }
    }
}
