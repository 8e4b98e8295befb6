//! Sync with the central ledger: pull apply, the engine and the runner against an in-test ledger,
//! the token in the real OS keyring, and the `cashdeskctl sync` commands.

mod engine;
mod fake_ledger;
mod keyring;
mod pull;
