//! 电费违约金: late fee. STUB — the rules helper replaces this file.
use chrono::NaiveDate;
use crate::{accounts::Category, money::Yuan, policy::LateFeePolicy};
pub fn late_fee(_outstanding: Yuan, _category: Category, _due: NaiveDate, _accrue_from: NaiveDate, _on: NaiveDate, _policy: &LateFeePolicy) -> Yuan { Yuan::ZERO }
pub fn days_overdue(due: NaiveDate, on: NaiveDate) -> i64 { (on - due).num_days().max(0) }
