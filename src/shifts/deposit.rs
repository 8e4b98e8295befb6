//! 解款: what a deposit covers, as a pure rule (DOMAIN.md "Holiday cash", "Shifts and cash").
//!
//! A deposit pays the terminal's holiday cash waiting for the bank first, oldest due first (each
//! row at most what is left of it). Holiday cash taken in an earlier shift was handed over into the
//! safe, so the part of the deposit covering it comes from the safe; the rest comes from this
//! shift's drawer and may not exceed what the drawer holds by the records. A refusal does not say
//! how much the drawer holds: a cashier never learns the expected cash of an open shift.
//!
//! A deposit is in transit (在途) until the centre confirms it ([`is_overdue`]).

use chrono::NaiveDate;

use crate::{Error, Result, calendar::Calendar, money::Yuan};

/// A deposit is in transit (在途) until the centre confirms the bank has it; one still in transit
/// `days` working days after it was made (policy `deposits.overdue_working_days`) is overdue.
pub fn is_overdue(deposited_on: NaiveDate, confirmed: bool, today: NaiveDate, days: u32, calendar: &Calendar) -> bool {
    !confirmed && today > calendar.add_working_days(deposited_on, days)
}

/// Holiday cash waiting for the bank: its payment, the shift that took it, what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub payment_id: i64,
    pub shift_id: i64,
    pub left: Yuan,
}

/// How a deposit is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// (payment id, amount) of holiday cash paid by this deposit.
    pub holiday: Vec<(i64, Yuan)>,
    /// Holiday cash covered in all.
    pub covered: Yuan,
    /// From the safe (earlier shifts' holiday cash).
    pub from_safe: Yuan,
    /// From this shift's drawer.
    pub from_drawer: Yuan,
}

/// Split a deposit of `amount` made in shift `shift_id` whose drawer holds `in_drawer` by the
/// records; `waiting` is in the order to cover (oldest due first).
pub fn cover(amount: Yuan, waiting: &[Waiting], shift_id: i64, in_drawer: Yuan) -> Result<Coverage> {
    let mut left = amount;
    let mut c = Coverage { holiday: Vec::new(), covered: Yuan::ZERO, from_safe: Yuan::ZERO, from_drawer: Yuan::ZERO };
    for w in waiting {
        let take = left.min(w.left);
        if !take.is_positive() {
            break;
        }
        c.holiday.push((w.payment_id, take));
        if w.shift_id != shift_id {
            c.from_safe += take;
        }
        c.covered += take;
        left -= take;
    }
    c.from_drawer = amount - c.from_safe;
    if c.from_drawer > in_drawer {
        return Err(Error::DepositTooLarge { amount: amount.to_string() });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[rstest]
    #[case::the_same_day("2026-03-02", false, "2026-03-02", false)]
    #[case::two_working_days_later("2026-03-02", false, "2026-03-04", false)]
    #[case::three_working_days_later("2026-03-02", false, "2026-03-05", true)]
    #[case::over_a_weekend("2026-03-06", false, "2026-03-10", false)]
    #[case::confirmed_is_never_late("2026-03-02", true, "2026-04-01", false)]
    fn an_unconfirmed_deposit_becomes_overdue(
        #[case] on: &str,
        #[case] confirmed: bool,
        #[case] today: &str,
        #[case] overdue: bool,
    ) {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(is_overdue(d(on), confirmed, d(today), 2, &Calendar::shipped()), overdue);
    }

    const THIS: i64 = 7;
    const EARLIER: i64 = 6;

    #[rstest]
    #[case::nothing_waiting("300.00", &[], "500.00", Some(("0.00", "0.00", "300.00")))]
    #[case::this_shifts_holiday_cash_is_in_the_drawer("300.00", &[(1, THIS, "200.00")], "500.00", Some(("200.00", "0.00", "300.00")))]
    #[case::an_earlier_shifts_holiday_cash_is_in_the_safe("300.00", &[(1, EARLIER, "200.00")], "100.00", Some(("200.00", "200.00", "100.00")))]
    #[case::oldest_first_and_partly("250.00", &[(1, EARLIER, "200.00"), (2, EARLIER, "100.00")], "50.00", Some(("250.00", "250.00", "0.00")))]
    #[case::more_than_the_drawer_holds("600.00", &[], "500.00", None)]
    #[case::more_than_drawer_and_safe("400.00", &[(1, EARLIER, "200.00")], "100.00", None)]
    fn deposits_are_covered(
        #[case] amount: &str,
        #[case] waiting: &[(i64, i64, &str)],
        #[case] in_drawer: &str,
        #[case] split: Option<(&str, &str, &str)>,
    ) {
        let waiting: Vec<Waiting> =
            waiting.iter().map(|(p, s, l)| Waiting { payment_id: *p, shift_id: *s, left: y(l) }).collect();
        match (cover(y(amount), &waiting, THIS, y(in_drawer)), split) {
            (Ok(c), Some((covered, safe, drawer))) => {
                assert_eq!((c.covered, c.from_safe, c.from_drawer), (y(covered), y(safe), y(drawer)));
                assert_eq!(c.holiday.iter().map(|(_, a)| *a).sum::<Yuan>(), c.covered);
            }
            (Err(e), None) => {
                assert_eq!(e.code(), "DEPOSIT_TOO_LARGE");
                assert!(!e.params().contains_key("available"), "a refusal never tells what the drawer holds");
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
