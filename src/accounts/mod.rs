//! 用户与电费账单: accounts, bills, arrears and what an account owes on a day.
//!
//! Owns the tables `accounts`, `accounts_fts` and `bills`. The rules are pure (`late_fee`, `quote`);
//! storage is in `db` and the all-or-nothing CSV import in `import`.
//!
//! Invariants: a 户号 is unique; a bill is one account and one period; `0 ≤ paid ≤ amount`; the
//! principal outstanding of a bill is `amount − paid`; a quote lists only bills with principal left,
//! oldest period first.

pub mod db;
pub mod import;
pub mod late_fee;
pub mod late_fee_sql;
pub mod quote;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, money::Yuan};

/// 户号: digits only, 6–20 of them (usually 10).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct AccountNo(String);

impl AccountNo {
    pub fn parse(s: &str) -> Result<AccountNo> {
        let s = s.trim();
        if (6..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountNo(s.to_string()))
        } else {
            Err(Error::invalid("account_no", format!("'{s}' is not a 户号: use 6-20 digits, e.g. 3100000001")))
        }
    }

    /// A 户号 as a person typed it: full-width digits, spaces and hyphens forgiven (`input`).
    pub fn typed(s: &str) -> Result<AccountNo> {
        AccountNo::parse(&crate::input::number(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountNo {
    type Error = Error;
    fn try_from(s: String) -> Result<AccountNo> {
        AccountNo::parse(&s)
    }
}

impl From<AccountNo> for String {
    fn from(a: AccountNo) -> String {
        a.0
    }
}

impl std::fmt::Display for AccountNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 用电类别
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 居民生活
    Residential,
    /// 一般工商业
    Commercial,
    /// 大工业
    Industrial,
    /// 农业生产
    Agricultural,
}

impl Category {
    pub const ALL: [Category; 4] =
        [Category::Residential, Category::Commercial, Category::Industrial, Category::Agricultural];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Residential => "residential",
            Category::Commercial => "commercial",
            Category::Industrial => "industrial",
            Category::Agricultural => "agricultural",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Residential => "居民生活",
            Category::Commercial => "一般工商业",
            Category::Industrial => "大工业",
            Category::Agricultural => "农业生产",
        }
    }
}

/// 计费方式
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    /// 后付费: monthly bills
    Postpaid,
    /// 预付费: electricity bought in advance
    Prepaid,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Postpaid => "postpaid",
            BillingMode::Prepaid => "prepaid",
        }
    }

    pub fn parse(s: &str) -> Option<BillingMode> {
        match s.trim() {
            "postpaid" => Some(BillingMode::Postpaid),
            "prepaid" => Some(BillingMode::Prepaid),
            _ => None,
        }
    }
}

/// 风险标识: shown on look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RiskMark {
    /// 信用差
    PoorCredit,
    /// 多次欠费
    RepeatedArrears,
}

impl RiskMark {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskMark::PoorCredit => "poor_credit",
            RiskMark::RepeatedArrears => "repeated_arrears",
        }
    }

    pub fn parse(s: &str) -> Option<RiskMark> {
        match s {
            "poor_credit" => Some(RiskMark::PoorCredit),
            "repeated_arrears" => Some(RiskMark::RepeatedArrears),
            _ => None,
        }
    }
}

/// 账期: a billing period YYYYMM (2000-01 .. 2099-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Period(u32);

impl Period {
    pub fn parse(s: &str) -> Result<Period> {
        let s = s.trim();
        let bad = || Error::invalid("period", format!("'{s}' is not a period: use YYYYMM, e.g. 202511"));
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u32 = s.parse().map_err(|_| bad())?;
        Period::from_number(n).ok_or_else(bad)
    }

    pub fn from_number(n: u32) -> Option<Period> {
        let (y, m) = (n / 100, n % 100);
        ((2000..=2099).contains(&y) && (1..=12).contains(&m)).then_some(Period(n))
    }

    pub fn number(self) -> u32 {
        self.0
    }
}

impl TryFrom<String> for Period {
    type Error = Error;
    fn try_from(s: String) -> Result<Period> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.0.to_string()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// 电量: kWh, a non-negative decimal with at most 2 places, kept as its canonical string.
pub fn parse_kwh(s: &str) -> Result<String> {
    let s = s.trim();
    let bad = || {
        Error::invalid(
            "kwh",
            format!("'{s}' is not an amount of kWh: use digits and at most 2 decimals, e.g. 235 or 235.5"),
        )
    };
    let valid_chars =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.matches('.').count() <= 1;
    if !valid_chars || s.starts_with('.') || s.ends_with('.') {
        return Err(bad());
    }
    let d = Decimal::from_str_exact(s).map_err(|_| bad())?;
    if d.scale() > 2 || d > Decimal::new(999_999_999, 0) {
        return Err(bad());
    }
    Ok(d.normalize().to_string())
}

/// 倍率: a whole number 1..=100000.
pub fn parse_multiplier(s: &str) -> Result<i64> {
    let s = s.trim();
    match s.parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => {
            Err(Error::invalid("multiplier", format!("'{s}' is not a multiplier: use a whole number from 1 to 100000")))
        }
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub account_no: AccountNo,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub billing_mode: BillingMode,
    pub meter_no: String,
    pub multiplier: i64,
    pub phone: Option<String>,
    pub prepaid_balance: Yuan,
    pub risk: Option<RiskMark>,
    pub closed: bool,
}

/// A bill as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub id: i64,
    pub period: Period,
    pub kwh: String,
    pub amount: Yuan,
    pub paid: Yuan,
    pub due_date: NaiveDate,
    /// 违约金起算日: late fee has been charged up to this date (the due date until a late payment).
    pub late_fee_from: NaiveDate,
    pub late_fee_received: Yuan,
    /// 违约金减免: late fee waived by a supervisor.
    pub late_fee_waived: Yuan,
    /// 违约金应收未收: late fee charged up to `late_fee_from` but not yet received.
    pub late_fee_owed: Yuan,
    pub written_off: bool,
}

impl Bill {
    /// Principal still owed.
    pub fn outstanding(&self) -> Yuan {
        self.amount - self.paid
    }

    pub fn status(&self) -> BillStatus {
        if self.written_off && self.outstanding().is_positive() {
            BillStatus::WrittenOff
        } else if !self.outstanding().is_positive() {
            BillStatus::Settled
        } else if self.paid.is_positive() {
            BillStatus::PartlyPaid
        } else {
            BillStatus::Unpaid
        }
    }
}

/// 结清状态
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BillStatus {
    /// 欠费
    Unpaid,
    /// 部分结清
    PartlyPaid,
    /// 全部结清
    Settled,
    /// 坏账核销 (marked centrally; still collectable at the counter)
    WrittenOff,
}

/// A search result row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccountHit {
    pub account_no: AccountNo,
    pub name: String,
    pub address: String,
    pub meter_no: String,
    pub category: Category,
    pub billing_mode: BillingMode,
    pub risk: Option<RiskMark>,
    pub closed: bool,
}

/// The account card at the counter. Personal numbers are masked here; the ID number never leaves
/// the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccountDetail {
    pub account_no: AccountNo,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub billing_mode: BillingMode,
    pub meter_no: String,
    pub multiplier: String,
    pub prepaid_balance: Yuan,
    pub risk: Option<RiskMark>,
    pub closed: bool,
    pub phone_masked: Option<String>,
}

impl From<&Account> for AccountDetail {
    fn from(a: &Account) -> AccountDetail {
        AccountDetail {
            account_no: a.account_no.clone(),
            name: a.name.clone(),
            address: a.address.clone(),
            category: a.category,
            billing_mode: a.billing_mode,
            meter_no: a.meter_no.clone(),
            multiplier: a.multiplier.to_string(),
            prepaid_balance: a.prepaid_balance,
            risk: a.risk,
            closed: a.closed,
            phone_masked: a.phone.as_deref().map(mask_phone),
        }
    }
}

/// `13812345678` → `138****5678`; anything short is fully masked.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers() {
        assert_eq!(AccountNo::parse(" 3100000001 ").unwrap().as_str(), "3100000001");
        assert!(AccountNo::parse("31000A0001").is_err());
        assert!(AccountNo::parse("12345").is_err());
    }

    #[test]
    fn periods() {
        assert_eq!(Period::parse("202511").unwrap().number(), 202511);
        for bad in ["202513", "202500", "20251", "2025-11", "199912"] {
            assert!(Period::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn kwh_and_multiplier() {
        assert_eq!(parse_kwh("235.50").unwrap(), "235.5");
        assert_eq!(parse_kwh("0").unwrap(), "0");
        for bad in ["-1", "1.234", "", "1e3", ".5"] {
            assert!(parse_kwh(bad).is_err(), "{bad} must be refused");
        }
        assert_eq!(parse_multiplier("80").unwrap(), 80);
        assert!(parse_multiplier("0").is_err());
        assert!(parse_multiplier("1.5").is_err());
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
