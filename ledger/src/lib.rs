//! `cashdesk-ledger`: the province's central ledger (账务中心), on PostgreSQL.
//!
//! Counters push their money events and refund requests (`events`) and pull accounts, bills,
//! policy and refund decisions (`pull`), the accounts of their own area only; each terminal
//! authenticates with a token whose hash alone is stored (`terminals`), and an address that keeps
//! failing to is refused for a while (`throttle`). Accounts and bills arrive by CSV import
//! (`import`), in the counter's formats. Finance reviewers and auditors are the ledger's own users
//! (`users`, `sessions`); they review and pay refund requests (`refunds`) and confirm the counters'
//! deposits in transit, by hand or from the bank's statement (`deposits`), through the finance API
//! (`api`) or the command line, and what they do is audited (`audit`). The payees' bank account
//! numbers and the accounts' ID-card numbers are sealed with the ledger's data key (`datakey`).
//! Each counter's audit chain head is kept per terminal and one that goes backwards or no longer
//! extends the last is flagged for review (`audit_heads`).
//! Money is NUMERIC(14,2) here and a `Yuan` in Rust.

pub mod api;
pub mod audit;
pub mod audit_heads;
pub mod changes;
pub mod config;
pub mod datakey;
pub mod db;
pub mod demo;
pub mod deposits;
pub mod error;
pub mod events;
pub mod import;
pub mod list_filters;
pub mod policy;
pub mod pull;
pub mod refunds;
pub mod reports;
pub mod sessions;
pub mod terminals;
pub mod throttle;
pub mod tls;
pub mod users;
