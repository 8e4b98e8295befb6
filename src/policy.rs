//! 政策参数: policy data. Owns the parameters of the rules that the central ledger (账务中心) sends down
//! and that contracts may change: for now the late-fee rates and minimum ([`LateFeePolicy`]).
//!
//! Invariants: a [`Policy`] that came through [`Policy::from_json`] is valid: every daily rate lies
//! in `[0, 0.01]` (电力供应与使用条例 art. 39 allows 1‰–3‰ by contract; 1% a day is a generous upper
//! bound that still catches a rate typed as a percentage, e.g. `2` for 2‰) and the minimum fee is
//! not negative. [`Policy::default`] holds the shipped defaults of 供电营业规则 art. 98.
//!
//! Design: the policy is plain data, replaceable as a whole; the rules take it as an argument rather
//! than reading globals, so a table of cases can test each rule under any policy. Decimals travel
//! as strings (`"0.002"`) so no float ever holds a rate.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Yuan;

/// 电费违约金 parameters: daily rates as fractions of the overdue principal, and the minimum per bill.
/// Rates are JSON strings only: a JSON number would pass through a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFeePolicy {
    /// 居民生活: per day (default 0.001, 1‰).
    #[serde(with = "rust_decimal::serde::str")]
    pub residential_daily: Decimal,
    /// Other categories, for the days in the calendar year the bill fell due (default 0.002, 2‰).
    #[serde(with = "rust_decimal::serde::str")]
    pub other_daily_same_year: Decimal,
    /// Other categories, for the days after the arrears cross into a later year (default 0.003, 3‰).
    #[serde(with = "rust_decimal::serde::str")]
    pub other_daily_later_year: Decimal,
    /// A positive fee below this is charged as this, per bill (default 1.00).
    pub minimum: Yuan,
}

/// All policy data the counter works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub late_fee: LateFeePolicy,
    /// Older policy files have no holiday-cash part: the shipped defaults apply.
    #[serde(default)]
    pub holiday_cash: HolidayCashPolicy,
    /// Older policy files have no tendered-cash part: the shipped defaults apply.
    #[serde(default)]
    pub tendered: TenderedPolicy,
    /// Older policy files have no refunds part: the shipped defaults apply.
    #[serde(default)]
    pub refunds: RefundPolicy,
    /// Older policy files have no deposits part: the shipped defaults apply.
    #[serde(default)]
    pub deposits: DepositPolicy,
    /// Older policy files have no notices part: the shipped defaults apply.
    #[serde(default)]
    pub notices: NoticePolicy,
}

/// 电费催缴通知单 (`notices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePolicy {
    /// 缴费期限: the print date plus this many days, moved to the next working day (default 7).
    pub pay_within_days: u32,
}

impl Default for NoticePolicy {
    fn default() -> NoticePolicy {
        NoticePolicy { pay_within_days: 7 }
    }
}

/// 解款 in transit (`shifts`, `desk::shift`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositPolicy {
    /// A deposit the centre has not confirmed this many working days after it was made is shown as
    /// overdue to the supervisor (default 2).
    pub overdue_working_days: u32,
}

impl Default for DepositPolicy {
    fn default() -> DepositPolicy {
        DepositPolicy { overdue_working_days: 2 }
    }
}

/// 退费 (`refunds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPolicy {
    /// A request not final after this many working days is shown as overdue (default 10).
    pub overdue_working_days: u32,
}

impl Default for RefundPolicy {
    fn default() -> RefundPolicy {
        RefundPolicy { overdue_working_days: 10 }
    }
}

/// 实收 plausibility (DOMAIN.md "Shifts and cash"): what a cashier may type as cash handed over
/// without a second look, and what is refused outright (`payments::tender`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderedPolicy {
    /// Change (找零) above this asks for a second confirmation (default 100.00).
    pub confirm_change_above: Yuan,
    /// Cash handed over above this many times the amount due asks for a second confirmation
    /// (default 10).
    pub confirm_times_due: u32,
    /// Cash handed over above this is refused (default 100,000.00).
    pub max_tendered: Yuan,
}

impl Default for TenderedPolicy {
    fn default() -> TenderedPolicy {
        TenderedPolicy {
            confirm_change_above: Yuan::from_fen(10_000),
            confirm_times_due: 10,
            max_tendered: Yuan::from_fen(10_000_000),
        }
    }
}

/// 节假日现金售电 and 先银行后售电 (DOMAIN.md "Holiday cash", "Ways to pay").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayCashPolicy {
    /// Categories whose vends are paid only by bank voucher on working days (commercial, industrial).
    pub bank_first: Vec<crate::accounts::Category>,
    /// At most this much cash per holiday transaction ("五千元以下" includes 5,000.00).
    pub limit_per_transaction: Yuan,
    /// Optionally, at most this much holiday cash per shift.
    pub limit_per_shift: Option<Yuan>,
}

impl Default for HolidayCashPolicy {
    fn default() -> HolidayCashPolicy {
        HolidayCashPolicy {
            bank_first: vec![crate::accounts::Category::Commercial, crate::accounts::Category::Industrial],
            limit_per_transaction: Yuan::from_fen(500_000),
            limit_per_shift: None,
        }
    }
}

/// Why a policy was refused. Every variant has the code `POLICY_INVALID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "the policy file is not valid ({reason}): expected JSON like {{\"late_fee\":{{\"residential_daily\":\"0.001\",\
         \"other_daily_same_year\":\"0.002\",\"other_daily_later_year\":\"0.003\",\"minimum\":\"1.00\"}}}} \
         with every number written as a string"
    )]
    Json { reason: String },
    #[error(
        "late_fee.{field} is {value}: a daily rate must be between 0 and 0.01, written as a fraction \
         (2‰ per day is 0.002)"
    )]
    RateOutOfRange { field: &'static str, value: Decimal },
    #[error("late_fee.minimum is {value}: the minimum late fee cannot be negative; use 0.00 for no minimum")]
    NegativeMinimum { value: Yuan },
    #[error(
        "tendered: max_tendered must be more than 0.00, confirm_change_above at least 0.00 and confirm_times_due at least 1"
    )]
    Tendered,
    #[error(
        "refunds.overdue_working_days must be 1 to 365, deposits.overdue_working_days 1 to 60, notices.pay_within_days 1 to 90"
    )]
    Refunds,
}

impl PolicyError {
    /// Stable code for the UI and the logs.
    pub fn code(&self) -> &'static str {
        "POLICY_INVALID"
    }
}

/// Highest daily rate accepted: 1% per day.
const MAX_DAILY_RATE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

impl Default for Policy {
    /// The shipped defaults: 1‰ residential, 2‰ / 3‰ others, minimum 1.00 per bill.
    fn default() -> Policy {
        Policy {
            late_fee: LateFeePolicy {
                residential_daily: Decimal::new(1, 3),
                other_daily_same_year: Decimal::new(2, 3),
                other_daily_later_year: Decimal::new(3, 3),
                minimum: Yuan::from_fen(100),
            },
            holiday_cash: HolidayCashPolicy::default(),
            tendered: TenderedPolicy::default(),
            refunds: RefundPolicy::default(),
            deposits: DepositPolicy::default(),
            notices: NoticePolicy::default(),
        }
    }
}

impl Policy {
    /// Reads a policy from JSON and validates it.
    pub fn from_json(s: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(s).map_err(|e| PolicyError::Json { reason: e.to_string() })?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as JSON, decimals as strings; [`Policy::from_json`] reads it back.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs (strings and nested objects) cannot fail; the fallback
        // keeps the function total.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the invariants (see the module docs); the error names the bad field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let fee = &self.late_fee;
        for (field, value) in [
            ("residential_daily", fee.residential_daily),
            ("other_daily_same_year", fee.other_daily_same_year),
            ("other_daily_later_year", fee.other_daily_later_year),
        ] {
            if value < Decimal::ZERO || value > MAX_DAILY_RATE {
                return Err(PolicyError::RateOutOfRange { field, value });
            }
        }
        if fee.minimum.is_negative() {
            return Err(PolicyError::NegativeMinimum { value: fee.minimum });
        }
        let hc = &self.holiday_cash;
        if hc.limit_per_transaction.is_negative() {
            return Err(PolicyError::NegativeMinimum { value: hc.limit_per_transaction });
        }
        if let Some(limit) = hc.limit_per_shift
            && limit.is_negative()
        {
            return Err(PolicyError::NegativeMinimum { value: limit });
        }
        let t = &self.tendered;
        if !t.max_tendered.is_positive() || t.confirm_change_above.is_negative() || t.confirm_times_due < 1 {
            return Err(PolicyError::Tendered);
        }
        if !(1..=365).contains(&self.refunds.overdue_working_days)
            || !(1..=60).contains(&self.deposits.overdue_working_days)
            || !(1..=90).contains(&self.notices.pay_within_days)
        {
            return Err(PolicyError::Refunds);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use rust_decimal_macros::dec;

    const DEFAULT_JSON: &str = r#"{"late_fee":{"residential_daily":"0.001","other_daily_same_year":"0.002","other_daily_later_year":"0.003","minimum":"1.00"},"holiday_cash":{"bank_first":["commercial","industrial"],"limit_per_transaction":"5000.00","limit_per_shift":null},"tendered":{"confirm_change_above":"100.00","confirm_times_due":10,"max_tendered":"100000.00"},"refunds":{"overdue_working_days":10},"deposits":{"overdue_working_days":2},"notices":{"pay_within_days":7}}"#;
    const FOUNDATION_JSON: &str = r#"{"late_fee":{"residential_daily":"0.001","other_daily_same_year":"0.002","other_daily_later_year":"0.003","minimum":"1.00"}}"#;

    #[test]
    fn a_policy_stored_before_holiday_cash_existed_gets_the_shipped_holiday_rules() {
        assert_eq!(Policy::from_json(FOUNDATION_JSON).unwrap(), Policy::default());
    }

    #[test]
    fn defaults_are_the_shipped_rates() {
        let fee = Policy::default().late_fee;
        assert_eq!(fee.residential_daily, dec!(0.001), "1‰ per day for residential");
        assert_eq!(fee.other_daily_same_year, dec!(0.002));
        assert_eq!(fee.other_daily_later_year, dec!(0.003));
        assert_eq!(fee.minimum, Yuan::from_fen(100));
        Policy::default().validate().unwrap();
    }

    #[test]
    fn json_uses_strings_and_round_trips() {
        assert_eq!(Policy::default().to_json(), DEFAULT_JSON, "decimals are strings, never JSON numbers");
        assert_eq!(Policy::from_json(DEFAULT_JSON).unwrap(), Policy::default());
    }

    #[rstest]
    #[case::residential_negative("residential_daily", "-0.001")]
    #[case::same_year_as_permille("other_daily_same_year", "2")]
    #[case::later_year_above_one_percent("other_daily_later_year", "0.0101")]
    fn refuses_rates_out_of_range(#[case] field: &str, #[case] value: &str) {
        let json = DEFAULT_JSON.replacen(
            &format!(r#""{field}":"{}""#, field_default(field)),
            &format!(r#""{field}":"{value}""#),
            1,
        );
        let err = Policy::from_json(&json).unwrap_err();
        assert!(matches!(err, PolicyError::RateOutOfRange { .. }), "{err}");
        assert!(err.to_string().contains(field), "the message names the field: {err}");
        assert_eq!(err.code(), "POLICY_INVALID");
    }

    fn field_default(field: &str) -> &'static str {
        match field {
            "residential_daily" => "0.001",
            "other_daily_same_year" => "0.002",
            _ => "0.003",
        }
    }

    #[rstest]
    #[case::zero_rate_allowed(dec!(0))]
    #[case::upper_bound_allowed(dec!(0.01))]
    fn accepts_rates_at_the_bounds(#[case] rate: Decimal) {
        let mut policy = Policy::default();
        policy.late_fee.other_daily_later_year = rate;
        assert_eq!(policy.validate(), Ok(()));
    }

    #[test]
    fn refuses_negative_minimum() {
        let mut policy = Policy::default();
        policy.late_fee.minimum = -Yuan::from_fen(1);
        assert_eq!(policy.validate(), Err(PolicyError::NegativeMinimum { value: -Yuan::from_fen(1) }));
        assert_eq!(policy.validate().unwrap_err().code(), "POLICY_INVALID");
    }

    #[rstest]
    #[case::not_json("late fee 2‰")]
    #[case::rate_as_json_number(
        r#"{"late_fee":{"residential_daily":0.001,"other_daily_same_year":"0.002","other_daily_later_year":"0.003","minimum":"1.00"}}"#
    )]
    #[case::minimum_with_three_decimals(
        r#"{"late_fee":{"residential_daily":"0.001","other_daily_same_year":"0.002","other_daily_later_year":"0.003","minimum":"1.005"}}"#
    )]
    #[case::missing_field(r#"{"late_fee":{"residential_daily":"0.001"}}"#)]
    fn refuses_malformed_json(#[case] json: &str) {
        let err = Policy::from_json(json).unwrap_err();
        assert!(matches!(err, PolicyError::Json { .. }), "{err}");
        assert_eq!(err.code(), "POLICY_INVALID");
    }
}
