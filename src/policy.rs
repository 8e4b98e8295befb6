//! 政策参数: policy data. STUB — the policy helper replaces this file.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use crate::money::Yuan;
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateFeePolicy { pub residential_daily: Decimal, pub other_daily_same_year: Decimal, pub other_daily_later_year: Decimal, pub minimum: Yuan }
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy { pub late_fee: LateFeePolicy }
impl Default for Policy { fn default() -> Self { Policy { late_fee: LateFeePolicy { residential_daily: Decimal::new(1, 3), other_daily_same_year: Decimal::new(2, 3), other_daily_later_year: Decimal::new(3, 3), minimum: Yuan::from_fen(100) } } } }
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError { #[error("bad")] Invalid }
impl PolicyError { pub fn code(&self) -> &'static str { "POLICY_INVALID" } }
impl Policy { pub fn from_json(_s: &str) -> Result<Policy, PolicyError> { Ok(Policy::default()) } }
