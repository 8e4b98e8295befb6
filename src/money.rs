//! 金额: money. STUB — the money helper replaces this file (see the prompt).
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount of CNY with exactly two decimal places (元.角分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Yuan(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("bad")] Format,
    #[error("amount is empty: type an amount such as 12.30")]
    Empty,
}

impl Yuan {
    pub const ZERO: Yuan = Yuan(Decimal::ZERO);
    pub fn parse(_s: &str) -> Result<Yuan, MoneyError> { Err(MoneyError::Empty) }
    pub fn from_fen(fen: i64) -> Yuan { Yuan(Decimal::new(fen, 2)) }
    pub fn fen(self) -> i64 { 0 }
    pub fn from_decimal_half_up(d: Decimal) -> Yuan { Yuan(d.round_dp(2)) }
    pub fn decimal(self) -> Decimal { self.0 }
    pub fn words(self) -> String { String::new() }
    pub fn is_positive(self) -> bool { self.0 > Decimal::ZERO }
    pub fn is_zero(self) -> bool { self.0.is_zero() }
}
impl TryFrom<String> for Yuan { type Error = MoneyError; fn try_from(s: String) -> Result<Self, MoneyError> { Yuan::parse(&s) } }
impl From<Yuan> for String { fn from(y: Yuan) -> String { y.0.to_string() } }
impl std::fmt::Display for Yuan { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:.2}", self.0) } }
impl std::ops::Add for Yuan { type Output = Yuan; fn add(self, o: Yuan) -> Yuan { Yuan(self.0 + o.0) } }
impl std::ops::Sub for Yuan { type Output = Yuan; fn sub(self, o: Yuan) -> Yuan { Yuan(self.0 - o.0) } }
impl std::iter::Sum for Yuan { fn sum<I: Iterator<Item = Yuan>>(i: I) -> Yuan { i.fold(Yuan::ZERO, |a, b| a + b) } }
impl MoneyError { pub fn code(&self) -> &'static str { "MONEY_FORMAT" } }
