//! Integration tests of the core on real SQLite files in temp dirs, one binary, modules by topic.

// A test crate: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod audit_trail;
mod backup;
mod cli;
mod collection;
mod common;
mod crash;
mod daily;
mod fuzz;
mod import;
mod keys;
mod login;
mod lookup;
mod money_safety;
mod notices;
mod printing;
mod refunds;
mod rights;
mod store;
mod sync;
mod upgrade;
