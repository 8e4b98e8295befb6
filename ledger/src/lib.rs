//! `cashdesk-ledger`: the province's central ledger (账务中心), on PostgreSQL.
//!
//! Counters push their money events (`events`) and pull accounts, bills and policy (`pull`); each
//! terminal authenticates with a token whose hash alone is stored (`terminals`). Accounts and bills
//! arrive by CSV import (`import`), in the counter's formats. Money is NUMERIC(14,2) here and a
//! `Yuan` in Rust.

pub mod api;
pub mod changes;
pub mod config;
pub mod db;
pub mod demo;
pub mod events;
pub mod import;
pub mod policy;
pub mod pull;
pub mod reports;
pub mod terminals;
pub mod tls;
