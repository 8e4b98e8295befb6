//! 实收: how the customer pays, validated, and whether the cash handed over is plausible
//! (DOMAIN.md "Ways to pay", "Shifts and cash"; the numbers are `policy::TenderedPolicy`).
//!
//! Rules, in order, for cash:
//! - the cash handed over (实收) is typed, always: an empty 实收 is not a payment (the UI has a
//!   named key that types the exact amount);
//! - above the policy maximum (default 100,000.00) it is refused;
//! - below the amount it is refused;
//! - change (找零) above a policy amount (default 100.00), or 实收 above ten times the amount,
//!   needs a second confirmation (`confirm_large`): `18843` typed for 188.43 is caught here, and
//!   `188429` typed for 1884.29 is above the maximum.
//!
//! A transfer applies the voucher's whole amount; its details are checked by `Voucher::parse`.

use chrono::NaiveDate;

use super::{Method, Voucher, VoucherInput, money_field, positive_money};
use crate::{Error, Result, money::Yuan, policy::TenderedPolicy};

/// How the customer pays, validated.
#[derive(Debug, Clone)]
pub struct Tender {
    pub method: Method,
    pub amount: Yuan,
    pub tendered: Option<Yuan>,
    pub change: Option<Yuan>,
    pub voucher: Option<Voucher>,
}

/// What the cashier typed.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a> {
    pub method: Method,
    pub amount: &'a str,
    pub tendered: Option<&'a str>,
    pub voucher: Option<&'a VoucherInput>,
    /// The cashier confirmed a large 实收 or 找零 a second time.
    pub confirm_large: bool,
}

/// Whether cash handed over needs a second look, or is refused (see the module docs).
pub fn plausible(amount: Yuan, tendered: Yuan, policy: &TenderedPolicy, confirmed: bool) -> Result<()> {
    if tendered > policy.max_tendered {
        return Err(Error::TenderedTooLarge { max: policy.max_tendered.to_string() });
    }
    if tendered < amount {
        return Err(Error::TenderedTooLittle { tendered: tendered.to_string(), amount: amount.to_string() });
    }
    let change = tendered - amount;
    let times = Yuan::from_fen(amount.fen().saturating_mul(i64::from(policy.confirm_times_due)));
    if !confirmed && (change > policy.confirm_change_above || tendered > times) {
        return Err(Error::TenderedNeedsConfirmation {
            tendered: tendered.to_string(),
            change: change.to_string(),
            tendered_words: tendered.words(),
            change_words: change.words(),
        });
    }
    Ok(())
}

/// Validate how the customer pays on `today`.
pub fn tender(t: Typed<'_>, today: NaiveDate, policy: &TenderedPolicy) -> Result<Tender> {
    match t.method {
        Method::Cash => {
            if t.voucher.is_some() {
                return Err(Error::invalid("voucher", "a cash payment has no bank voucher"));
            }
            let amount = positive_money("amount", t.amount)?;
            let tendered = match t.tendered.map(crate::input::amount).filter(|s| !s.is_empty()) {
                Some(typed) => money_field("tendered", &typed)?,
                None => return Err(Error::TenderedMissing),
            };
            plausible(amount, tendered, policy, t.confirm_large)?;
            Ok(Tender {
                method: t.method,
                amount,
                tendered: Some(tendered),
                change: Some(tendered - amount),
                voucher: None,
            })
        }
        Method::Transfer => {
            let v =
                t.voucher.ok_or_else(|| Error::invalid("voucher", "a transfer needs the bank voucher's details"))?;
            let v = Voucher::parse(v, today)?;
            if !crate::input::amount(t.amount).is_empty() && positive_money("amount", t.amount)? != v.amount {
                return Err(Error::invalid(
                    "amount",
                    format!("a transfer applies the voucher's whole amount, {}", v.amount),
                ));
            }
            Ok(Tender { method: t.method, amount: v.amount, tendered: None, change: None, voucher: Some(v) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[rstest]
    #[case::exact("1884.29", "1884.29", false, None)]
    #[case::ordinary_change("1884.29", "1900.00", false, None)]
    #[case::change_at_the_limit("50.00", "150.00", false, None)]
    #[case::change_above_the_limit("50.00", "150.01", false, Some("TENDERED_CONFIRM"))]
    #[case::forgotten_point("188.43", "18843", false, Some("TENDERED_CONFIRM"))]
    #[case::forgotten_point_beyond_the_maximum("1884.29", "188429", true, Some("TENDERED_TOO_LARGE"))]
    #[case::ten_times_small_amount("5.00", "50.00", false, None)]
    #[case::more_than_ten_times("5.00", "50.01", false, Some("TENDERED_CONFIRM"))]
    #[case::confirmed("5.00", "100.00", true, None)]
    #[case::above_the_maximum("99999.00", "100000.01", true, Some("TENDERED_TOO_LARGE"))]
    #[case::absurd("10.00", "999999999999.99", true, Some("TENDERED_TOO_LARGE"))]
    #[case::too_little("10.00", "9.99", false, Some("TENDERED_TOO_LITTLE"))]
    fn tendered_cash_is_checked(
        #[case] amount: &str,
        #[case] tendered: &str,
        #[case] confirmed: bool,
        #[case] refused: Option<&str>,
    ) {
        let got = plausible(y(amount), y(tendered), &TenderedPolicy::default(), confirmed);
        assert_eq!(got.err().map(|e| e.code()), refused);
    }

    #[test]
    fn the_confirmation_shows_both_amounts_in_figures_and_words() {
        let e = plausible(
            y("1884.29"),
            y("188429.00"),
            &TenderedPolicy { max_tendered: y("1000000.00"), ..TenderedPolicy::default() },
            false,
        )
        .unwrap_err();
        let p = e.params();
        assert_eq!(p["tendered"], "188429.00");
        assert_eq!(p["change"], "186544.71");
        assert_eq!(p["change_words"], "人民币壹拾捌万陆仟伍佰肆拾肆元柒角壹分");
    }

    fn typed(tendered: Option<&str>) -> Typed<'_> {
        Typed { method: Method::Cash, amount: "１２．３０", tendered, voucher: None, confirm_large: false }
    }

    #[test]
    fn an_empty_tendered_is_not_a_payment() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        for t in [None, Some(""), Some("\u{3000}")] {
            let e = tender(typed(t), today, &TenderedPolicy::default()).unwrap_err();
            assert_eq!(e.code(), "TENDERED_MISSING", "{t:?}");
        }
        let ok = tender(typed(Some("２０")), today, &TenderedPolicy::default()).unwrap();
        assert_eq!((ok.amount, ok.change), (y("12.30"), Some(y("7.70"))), "full-width digits are read as digits");
    }
}
