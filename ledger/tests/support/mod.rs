//! Shared by the ledger's integration tests: each test file says `mod support;`. Not every file uses
//! every helper, hence the `dead_code` allowance. This is test code: a failed step panics, as in a
//! test body (clippy's allow-unwrap-in-tests covers only `#[test]` functions, not these helpers).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod ledger;
pub mod pg;
pub mod proxy;
pub mod refunds;
pub mod served;
