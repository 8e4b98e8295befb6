//! 收费: money received at the counter for an account — a cash or bank-transfer payment for a
//! postpaid account (缴费), or a vend for a prepaid one (售电) — its allocation, its receipt number
//! and its reversal (作废).
//!
//! Invariants: a payment, its allocation lines, the bills it settles, the prepaid balance, its
//! receipt number, its audit entry and its outbox event are written in one transaction (see
//! `desk::counter`). Receipt numbers are `TERMINAL-YEAR-NNNNNN`, consecutive per terminal and year,
//! taken inside that transaction, never reused (a void keeps its number). A bank voucher (bank +
//! serial) is registered once and pays at most one payment that is not voided (a unique partial
//! index). Nothing is deleted: a void is a row in `voids` plus the bills restored to the state
//! recorded in `payments.bills_before`.

pub mod allocation;
pub mod banks;
pub mod code;
pub mod db;
pub mod settle;
pub mod tender;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, accounts::Period, money::Yuan, users::approval::ApprovalInput};
pub use allocation::LineKind;

/// 收费方式
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 现金
    Cash,
    /// 银行转账
    Transfer,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Transfer => "transfer",
        }
    }
}

/// 缴费 or 售电
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Payment,
    Vend,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Payment => "payment",
            PaymentKind::Vend => "vend",
        }
    }
}

/// A bank voucher as typed from the customer's bank slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct VoucherInput {
    pub bank: String,
    pub serial: String,
    pub payer: String,
    pub amount: String,
    pub transfer_date: String,
}

/// A validated voucher. `bank` is the bank's code (see `banks`), `bank_name` its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub bank: String,
    pub bank_name: String,
    pub serial: String,
    pub payer: String,
    pub amount: Yuan,
    pub transfer_date: NaiveDate,
}

/// A bank by code, name or common short name: (code, name), or an error listing what to type.
pub fn bank_of(typed: &str) -> Result<(&'static str, &'static str)> {
    banks::resolve(typed).ok_or_else(|| {
        Error::invalid(
            "bank",
            format!("'{}' is not a known bank: type its name (e.g. 中国工商银行) or its code (e.g. 102)", typed.trim()),
        )
    })
}

/// Parse a money field a person typed (full-width digits read as digits, see `input`), naming the
/// field in the error.
pub fn money_field(field: &'static str, s: &str) -> Result<Yuan> {
    Yuan::parse(&crate::input::amount(s)).map_err(|source| Error::MoneyField { field, source })
}

/// Parse a positive money field.
pub fn positive_money(field: &'static str, s: &str) -> Result<Yuan> {
    let y = money_field(field, s)?;
    if y.is_positive() { Ok(y) } else { Err(Error::AmountZero { field }) }
}

impl Voucher {
    /// Validate a voucher typed on `today`: the transfer is not in the future nor over a year old.
    pub fn parse(v: &VoucherInput, today: NaiveDate) -> Result<Voucher> {
        let (bank, bank_name) = bank_of(&v.bank)?;
        let serial = v.serial.trim();
        if !(4..=40).contains(&serial.len()) || !serial.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::invalid("serial", "the bank serial number (流水号) is 4-40 of A-Z, a-z, 0-9 and '-'"));
        }
        let payer = v.payer.trim();
        if payer.is_empty() || payer.chars().count() > 60 || payer.chars().any(char::is_control) {
            return Err(Error::invalid("payer", "give the payer's name as on the slip, 1-60 characters"));
        }
        let amount = positive_money("amount", &v.amount)?;
        let transfer_date = NaiveDate::parse_from_str(v.transfer_date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid("transfer_date", "use YYYY-MM-DD, the date on the bank slip"))?;
        if transfer_date > today {
            return Err(Error::invalid("transfer_date", "the transfer date is in the future"));
        }
        if (today - transfer_date).num_days() > 366 {
            return Err(Error::invalid("transfer_date", "the transfer is more than a year old: ask finance"));
        }
        Ok(Voucher {
            bank: bank.to_string(),
            bank_name: bank_name.to_string(),
            serial: serial.to_ascii_uppercase(),
            payer: payer.to_string(),
            amount,
            transfer_date,
        })
    }
}

/// Take money for a postpaid account (F5 cash, F6 transfer).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct CollectRequest {
    pub token: String,
    pub account_no: String,
    pub method: Method,
    /// The amount to apply (cash); for a transfer it must be empty or equal the voucher's amount.
    pub amount: String,
    /// Cash handed over (实收; cash only, required: the UI's exact-amount key types the amount).
    pub tendered: Option<String>,
    /// The cashier confirmed a large 实收 or 找零 a second time (`payments::tender`).
    pub confirm_large: bool,
    pub voucher: Option<VoucherInput>,
    /// Waive the late fee of the bills settled (supervisor's approval and a reason).
    pub waive_late_fee: Option<String>,
    pub approval: Option<ApprovalInput>,
}

/// Sell electricity to a prepaid account (F7).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct VendRequest {
    pub token: String,
    pub account_no: String,
    pub method: Method,
    pub amount: String,
    pub tendered: Option<String>,
    /// As for a payment.
    pub confirm_large: bool,
    pub voucher: Option<VoucherInput>,
    /// Holiday cash needs a supervisor.
    pub approval: Option<ApprovalInput>,
}

macro_rules! redact_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).field("account_no", &self.account_no).field("method", &self.method).field("amount", &self.amount).finish_non_exhaustive()
            }
        }
    )*};
}
redact_debug!(CollectRequest, VendRequest);

/// One allocation line as printed and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AllocationLine {
    pub period: Option<Period>,
    pub kind: LineKind,
    pub amount: Yuan,
}

/// What the counter shows and prints after money was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PaymentDone {
    pub receipt_no: String,
    pub kind: PaymentKind,
    pub account_no: String,
    pub name: String,
    pub method: Method,
    pub amount: Yuan,
    pub amount_words: String,
    pub tendered: Option<Yuan>,
    pub change: Option<Yuan>,
    pub lines: Vec<AllocationLine>,
    pub late_fee_waived: Yuan,
    pub prepaid_after: Yuan,
    pub created_at: String,
    pub verification_code: String,
    /// For holiday cash: the date it is due at the bank.
    pub holiday_cash_due: Option<NaiveDate>,
    pub approved_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(bank: &str, serial: &str, amount: &str, date: &str) -> VoucherInput {
        VoucherInput {
            bank: bank.into(),
            serial: serial.into(),
            payer: "张三".into(),
            amount: amount.into(),
            transfer_date: date.into(),
        }
    }

    #[test]
    fn vouchers_are_validated() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let ok = Voucher::parse(&v("中国工商银行", "abc-123456", "1200.00", "2026-03-01"), today).unwrap();
        assert_eq!(ok.serial, "ABC-123456", "serials compare case-insensitively");
        assert_eq!(ok.bank, "102", "the bank is stored by its code");
        assert_eq!(Voucher::parse(&v("工行", "ABC-123456", "1200.00", "2026-03-01"), today).unwrap().bank, "102");
        assert!(Voucher::parse(&v("工", "123456", "1", "2026-03-01"), today).is_err(), "no such bank");
        assert!(Voucher::parse(&v("中国银行", "12 34", "1", "2026-03-01"), today).is_err());
        assert!(Voucher::parse(&v("中国银行", "123456", "0", "2026-03-01"), today).is_err());
        assert!(Voucher::parse(&v("中国银行", "123456", "1", "2026-03-03"), today).is_err(), "future date");
        assert_eq!(
            Voucher::parse(&v("中国银行", "123456", "1.234", "2026-03-01"), today).unwrap_err().code(),
            "MONEY_DECIMALS"
        );
    }
}
