//! 电费催缴通知单: which accounts get an arrears notice, and what it says — as pure rules over rows
//! a caller loaded (DOMAIN.md "Receipts and other printed documents"; the papers insist notices are
//! checked before they go out: a wrong one causes a dispute).
//!
//! - An account is in arrears when it has a bill past its due date and not fully paid; the notice
//!   lists each such period with its principal and its late fee **to the print date**, the total
//!   in figures and 大写, and a pay-by date: the print date plus the policy's days, moved to a
//!   working day.
//! - A batch selects by address prefix, category, billing mode, a minimum amount owed (principal +
//!   late fee), a minimum number of days overdue (the oldest bill's), and "not notified in the last
//!   N days" (the notice log). Closed accounts are never selected.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result,
    accounts::{Bill, BillingMode, Category, late_fee::days_overdue, quote::late_fee_due},
    calendar::Calendar,
    money::Yuan,
    policy::LateFeePolicy,
    print::NoticeLine,
};

/// The filters of a batch, as typed (every one optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeFilter {
    /// 用电地址 starts with this (a district, a road).
    pub address_prefix: Option<String>,
    pub category: Option<Category>,
    pub billing_mode: Option<BillingMode>,
    /// Principal + late fee at least this.
    pub min_owed: Option<String>,
    /// The oldest unpaid bill at least this many days past its due date.
    pub min_days_overdue: Option<u32>,
    /// Not notified in the last N days (the notice log).
    pub skip_notified_days: Option<u32>,
}

/// A filter checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub address_prefix: Option<String>,
    pub category: Option<Category>,
    pub billing_mode: Option<BillingMode>,
    pub min_owed: Option<Yuan>,
    pub min_days_overdue: Option<u32>,
    pub skip_notified_days: Option<u32>,
}

impl NoticeFilter {
    /// Check what was typed.
    pub fn check(&self) -> Result<Filter> {
        let address_prefix = match self.address_prefix.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if p.chars().count() > 60 || p.chars().any(char::is_control) => {
                return Err(Error::invalid("address_prefix", "type at most 60 characters of the address"));
            }
            Some(p) => Some(p.to_string()),
            None => None,
        };
        let min_owed = match self.min_owed.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => Some(crate::payments::money_field("min_owed", m)?),
            None => None,
        };
        for (field, days) in
            [("min_days_overdue", self.min_days_overdue), ("skip_notified_days", self.skip_notified_days)]
        {
            if days.is_some_and(|d| d > 3650) {
                return Err(Error::invalid(field, "at most 3650 days"));
            }
        }
        Ok(Filter {
            address_prefix,
            category: self.category,
            billing_mode: self.billing_mode,
            min_owed,
            min_days_overdue: self.min_days_overdue,
            skip_notified_days: self.skip_notified_days,
        })
    }
}

/// What an account owes on the print date, summed over its overdue bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub principal: Yuan,
    pub late_fee: Yuan,
    /// Days past the due date of the oldest overdue bill.
    pub days_overdue: u32,
}

impl Owed {
    pub fn total(&self) -> Yuan {
        self.principal + self.late_fee
    }
}

/// Whether an account owing `owed` is selected by the parts of `f` the database did not apply
/// (the amount and the days: they depend on the late-fee rule at the print date).
pub fn selects(f: &Filter, owed: &Owed) -> bool {
    owed.principal.is_positive()
        && f.min_owed.is_none_or(|m| owed.total() >= m)
        && f.min_days_overdue.is_none_or(|d| owed.days_overdue >= d)
}

/// Each overdue bill as the notice lists it, oldest period first: principal still owed, the late
/// fee to `on` by the one rule (`accounts::quote::late_fee_due`), the days past its due date.
pub fn notice_lines(bills: &[Bill], category: Category, on: NaiveDate, policy: &LateFeePolicy) -> Vec<NoticeLine> {
    let mut open: Vec<&Bill> = bills.iter().filter(|b| b.outstanding().is_positive() && b.due_date < on).collect();
    open.sort_by_key(|b| b.period);
    open.into_iter()
        .map(|b| NoticeLine {
            period: crate::print::period_text(&b.period.to_string()),
            kwh: b.kwh.clone(),
            due_date: b.due_date.to_string(),
            days_overdue: u32::try_from(days_overdue(b.due_date, on)).unwrap_or(u32::MAX),
            principal: b.outstanding(),
            late_fee: late_fee_due(b, category, on, policy),
        })
        .collect()
}

/// What the lines of a notice add up to.
pub fn owed_of(lines: &[NoticeLine]) -> Owed {
    Owed {
        principal: lines.iter().map(|l| l.principal).sum(),
        late_fee: lines.iter().map(|l| l.late_fee).sum(),
        days_overdue: lines.iter().map(|l| l.days_overdue).max().unwrap_or(0),
    }
}

/// 通知单号: the terminal, the run (a batch, or a single notice) and the notice's place in it,
/// `GY01-03-CJ000012-0007`. Unique per terminal because runs are numbered by its database.
pub fn notice_no(terminal: &str, run: i64, seq: u32) -> String {
    format!("{terminal}-CJ{run:06}-{seq:04}")
}

/// 缴费期限: the print date plus `days`, or the first working day after it.
pub fn pay_by(print_date: NaiveDate, days: u32, calendar: &Calendar) -> NaiveDate {
    let day = print_date + chrono::Duration::days(i64::from(days));
    if calendar.is_working_day(day) { day } else { calendar.next_working_day(day) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[rstest]
    #[case::a_working_day("2026-03-02", 7, "2026-03-09")]
    #[case::onto_a_saturday("2026-03-02", 5, "2026-03-09")]
    #[case::into_the_national_holiday("2026-09-24", 7, "2026-10-08")]
    #[case::onto_an_adjusted_working_sunday("2026-09-13", 7, "2026-09-20")]
    fn pay_by_is_a_working_day(#[case] printed: &str, #[case] days: u32, #[case] want: &str) {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(pay_by(d(printed), days, &Calendar::shipped()), d(want));
    }

    #[rstest]
    #[case::no_filter(None, None, "100.00", 3, true)]
    #[case::enough(Some("100.00"), None, "99.00", 3, true)]
    #[case::too_little(Some("100.01"), None, "99.00", 3, false)]
    #[case::late_enough(None, Some(30), "10.00", 30, true)]
    #[case::not_late_enough(None, Some(31), "10.00", 30, false)]
    fn the_amount_and_the_days(
        #[case] min_owed: Option<&str>,
        #[case] min_days: Option<u32>,
        #[case] principal: &str,
        #[case] days: u32,
        #[case] selected: bool,
    ) {
        let f = Filter { min_owed: min_owed.map(y), min_days_overdue: min_days, ..Filter::default() };
        let owed = Owed { principal: y(principal), late_fee: y("1.00"), days_overdue: days };
        assert_eq!(selects(&f, &owed), selected);
    }

    fn bill(period: &str, amount: &str, paid: &str, due: &str) -> Bill {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Bill {
            id: 1,
            period: crate::accounts::Period::parse(period).unwrap(),
            kwh: "100".into(),
            amount: y(amount),
            paid: y(paid),
            due_date: d(due),
            late_fee_from: d(due),
            late_fee_received: Yuan::ZERO,
            late_fee_waived: Yuan::ZERO,
            late_fee_owed: Yuan::ZERO,
            written_off: false,
        }
    }

    #[test]
    fn a_notice_lists_the_overdue_periods_oldest_first_with_their_fees() {
        let policy = crate::policy::Policy::default().late_fee;
        let on = NaiveDate::from_ymd_opt(2026, 4, 14).unwrap();
        let bills = [
            bill("202603", "500.00", "0.00", "2026-03-15"),
            bill("202602", "80.00", "30.00", "2026-02-15"),
            bill("202601", "70.00", "70.00", "2026-01-15"),
            // Not yet due on the print date: not in arrears, not on the notice.
            bill("202604", "60.00", "0.00", "2026-04-15"),
        ];
        let lines = notice_lines(&bills, Category::Residential, on, &policy);
        assert_eq!(lines.iter().map(|l| l.period.as_str()).collect::<Vec<_>>(), ["2026-02", "2026-03"]);
        // 500.00 × 1‰ × 30 days = 15.00; 50.00 × 1‰ × 58 days = 2.90.
        assert_eq!((lines[1].principal, lines[1].late_fee, lines[1].days_overdue), (y("500.00"), y("15.00"), 30));
        assert_eq!((lines[0].principal, lines[0].late_fee, lines[0].days_overdue), (y("50.00"), y("2.90"), 58));
        let owed = owed_of(&lines);
        assert_eq!(
            (owed.principal, owed.late_fee, owed.total(), owed.days_overdue),
            (y("550.00"), y("17.90"), y("567.90"), 58)
        );
    }

    #[test]
    fn notice_numbers() {
        assert_eq!(notice_no("GY01-03", 12, 7), "GY01-03-CJ000012-0007");
    }

    #[test]
    fn filters_are_checked() {
        let bad = NoticeFilter { min_owed: Some("1.234".into()), ..NoticeFilter::default() };
        assert_eq!(bad.check().unwrap_err().code(), "MONEY_DECIMALS");
        let long = NoticeFilter { address_prefix: Some("路".repeat(61)), ..NoticeFilter::default() };
        assert_eq!(long.check().unwrap_err().code(), "INPUT_INVALID");
        let full = NoticeFilter { min_owed: Some("１００".into()), ..NoticeFilter::default() };
        assert_eq!(full.check().unwrap().min_owed, Some(y("100.00")), "full-width digits are digits");
    }
}
