//! 工作日历: working-day calendar. STUB — the calendar helper replaces this file.
use chrono::NaiveDate;
#[derive(Debug, Clone, Default)]
pub struct Calendar;
impl Calendar {
    pub fn shipped() -> Calendar { Calendar }
    pub fn has_year(&self, _year: i32) -> bool { true }
    pub fn is_working_day(&self, _d: NaiveDate) -> bool { true }
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate { d }
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError { #[error("bad")] Invalid }
impl CalendarError { pub fn code(&self) -> &'static str { "CALENDAR_INVALID" } }
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearCalendar { pub year: i32, pub days_off: Vec<NaiveDate>, pub working_weekends: Vec<NaiveDate> }
impl YearCalendar { pub fn from_json(_s: &str) -> Result<YearCalendar, CalendarError> { Err(CalendarError::Invalid) } }
impl Calendar {
    pub fn insert_year(&mut self, _y: YearCalendar) -> Result<(), CalendarError> { Ok(()) }
    pub fn missing_years(&self, _from: i32, _to: i32) -> Vec<i32> { vec![] }
}
