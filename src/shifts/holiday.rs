//! 节假日现金售电: whether a cash vend to a bank-first customer may be taken, as a pure rule
//! (DOMAIN.md "Holiday cash"; `policy::HolidayCashPolicy` holds the numbers).
//!
//! A vend paid in cash by a category the policy names bank-first (先银行后售电) is holiday cash. It
//! is refused on a working day (the customer pays the bank first); otherwise it is admitted when it
//! is within the per-transaction limit, no holiday cash of this terminal is overdue at the bank,
//! and the shift's holiday cash stays within the optional per-shift limit, in that order, and then
//! only with a supervisor's approval (the caller asks for it). It is due at the bank on the next
//! working day.

use crate::{Error, Result, accounts::Category, money::Yuan, policy::HolidayCashPolicy};

use super::HolidayCashDue;

/// Whether a vend paid this way by this category is holiday cash (needs [`admit`] and approval).
pub fn is_holiday_cash(cash: bool, category: Category, policy: &HolidayCashPolicy) -> bool {
    cash && policy.bank_first.contains(&category)
}

/// What the rule looks at for one holiday-cash vend.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub working_day: bool,
    pub amount: Yuan,
    /// The terminal's first holiday cash past its due date and not deposited, if any.
    pub overdue: Option<&'a HolidayCashDue>,
    /// Holiday cash already taken in this shift (not voided).
    pub taken_in_shift: Yuan,
}

/// Admit a holiday-cash vend, or say why not.
pub fn admit(case: &Case<'_>, policy: &HolidayCashPolicy) -> Result<()> {
    if case.working_day {
        return Err(Error::BankFirst);
    }
    if case.amount > policy.limit_per_transaction {
        return Err(Error::HolidayCashLimit { limit: policy.limit_per_transaction.to_string() });
    }
    if let Some(o) = case.overdue {
        return Err(Error::HolidayCashOverdue { receipt_no: o.receipt_no.clone(), due_on: o.due_on.to_string() });
    }
    if let Some(limit) = policy.limit_per_shift
        && case.taken_in_shift + case.amount > limit
    {
        return Err(Error::HolidayCashShiftLimit { limit: limit.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rstest::rstest;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[rstest]
    #[case::commercial_cash(true, Category::Commercial, true)]
    #[case::industrial_cash(true, Category::Industrial, true)]
    #[case::commercial_voucher(false, Category::Commercial, false)]
    #[case::residential_cash(true, Category::Residential, false)]
    #[case::agricultural_cash(true, Category::Agricultural, false)]
    fn which_vends_are_holiday_cash(#[case] cash: bool, #[case] c: Category, #[case] holiday: bool) {
        assert_eq!(is_holiday_cash(cash, c, &HolidayCashPolicy::default()), holiday);
    }

    #[rstest]
    #[case::a_holiday_within_the_limit(false, "5000.00", false, "0.00", None, None)]
    #[case::a_working_day(true, "10.00", false, "0.00", None, Some("BANK_FIRST"))]
    #[case::over_the_limit(false, "5000.01", false, "0.00", None, Some("HOLIDAY_CASH_LIMIT"))]
    #[case::overdue_cash_blocks(false, "10.00", true, "0.00", None, Some("HOLIDAY_CASH_OVERDUE"))]
    #[case::the_limit_is_checked_before_overdue(false, "6000.00", true, "0.00", None, Some("HOLIDAY_CASH_LIMIT"))]
    #[case::shift_limit_reached(false, "2000.00", false, "7000.00", Some("8000.00"), Some("HOLIDAY_CASH_SHIFT_LIMIT"))]
    #[case::shift_limit_exactly(false, "1000.00", false, "7000.00", Some("8000.00"), None)]
    fn holiday_cash_admission(
        #[case] working_day: bool,
        #[case] amount: &str,
        #[case] overdue: bool,
        #[case] taken: &str,
        #[case] shift_limit: Option<&str>,
        #[case] refused: Option<&str>,
    ) {
        let policy = HolidayCashPolicy { limit_per_shift: shift_limit.map(y), ..HolidayCashPolicy::default() };
        let due = HolidayCashDue {
            receipt_no: "GY01-03-2026-000001".into(),
            amount_left: y("100.00"),
            due_on: NaiveDate::from_ymd_opt(2026, 2, 24).unwrap(),
        };
        let case = Case { working_day, amount: y(amount), overdue: overdue.then_some(&due), taken_in_shift: y(taken) };
        assert_eq!(admit(&case, &policy).err().map(|e| e.code()), refused);
    }
}
