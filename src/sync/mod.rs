//! 同步: what this counter exchanges with the central ledger, and how.
//!
//! - `outbox`: every money event, written in the same transaction as the change it reports.
//! - `wire`: the JSON shared with `cashdesk-ledger` (the contract).
//! - `client`: the HTTP client (rustls + ring, timeouts, errors classified as worth retrying or not).
//! - `token`: the terminal's token, kept only in the OS keyring (`TokenStore`).
//! - `pull`: one page of the ledger's changes applied with its cursor in one transaction.
//! - `engine`: one sync round (push, then pull) and enrolment; `state`: its stored state.
//! - `runner`: the background task (interval, backoff with jitter, clean stop).
//!
//! The counter never waits for the network to serve a customer: sync runs beside the money path
//! and only takes SQLite's write lock for short transactions.

pub mod client;
pub mod engine;
pub mod finance;
pub mod outbox;
pub mod pull;
pub mod runner;
pub mod state;
pub mod token;
pub mod wire;

pub use engine::{Engine, SyncReport};
