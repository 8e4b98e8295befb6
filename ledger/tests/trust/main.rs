//! Issue 17, section 1, "The ledger trusts too much": what the ledger no longer takes on a
//! counter's word, each on a real PostgreSQL (`support::pg`) and, where it matters, through a real
//! counter (the core's `Desk`) and the HTTP API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod errors;
mod flags;
mod roles;
mod scope;
mod throttle;
mod transport;
mod voids;
