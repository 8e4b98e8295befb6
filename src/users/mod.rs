//! 用户与角色: users, roles and what each role may do.
//!
//! Roles: cashier 收费员, supervisor 值班长, finance 财务复核, admin 管理员. Permissions are checked
//! in the core for every operation against one table (`rights`), whatever the UI shows. Each person
//! has their own password (argon2id, `password`); five wrong passwords in a row lock the user for 15
//! minutes (`lockout`), and a password is checked only after the attempt has been counted
//! (`credentials`), so parallel guesses never exceed that count. Sessions (`session`) are opaque
//! random tokens of which only a hash is stored; an idle counter locks its session until the same
//! user's password unlocks it. Approvals (`approval`) take the approver's own credentials.

pub mod approval;
pub mod credentials;
pub mod db;
pub mod lockout;
pub mod password;
pub mod rights;
pub mod session;

pub use rights::Action;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 收费员
    Cashier,
    /// 值班长/班长
    Supervisor,
    /// 财务复核
    Finance,
    /// 系统管理员
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s.trim() {
            "cashier" => Ok(Role::Cashier),
            "supervisor" => Ok(Role::Supervisor),
            "finance" => Ok(Role::Finance),
            "admin" => Ok(Role::Admin),
            other => Err(Error::invalid(
                "role",
                format!("'{other}' is not a role: use cashier, supervisor, finance or admin"),
            )),
        }
    }

    /// 中文名, as printed on documents.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Cashier => "收费员",
            Role::Supervisor => "值班长",
            Role::Finance => "财务复核",
            Role::Admin => "管理员",
        }
    }
}

/// 界面语言: the language a user's screens are shown in, their own choice (default 中文).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum Language {
    /// 中文 (简体)
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Result<Language> {
        match s.trim() {
            "zh-CN" => Ok(Language::ZhCn),
            "en" => Ok(Language::En),
            other => {
                Err(Error::invalid("language", format!("'{other}' is not a language of Cashdesk: use zh-CN or en")))
            }
        }
    }
}

/// A user as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// User names: 2–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
pub fn validate_username(s: &str) -> Result<String> {
    let s = s.trim();
    let ok = (2..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(Error::invalid("username", "use 2-32 characters a-z, 0-9, '.', '_' or '-', starting with a letter"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(validate_username(" cashier1 ").unwrap(), "cashier1");
        assert!(validate_username("1abc").is_err());
        assert!(validate_username("Bob").is_err());
        assert!(validate_username("a").is_err());
    }
}
