//! Cashdesk core: the rules and the local store of an electricity service-hall payment counter
//! (供电营业厅收费柜台).
//!
//! Everything a counter does goes through [`desk::Desk`]: the Tauri shell, the browser bridge, the
//! `cashdeskctl` CLI and the tests call the same methods. The rule modules (`money`, `calendar`,
//! `policy`, `accounts::late_fee`, `users::lockout`) are pure: they take `today`/`now` as arguments and
//! do no I/O, so tables of cases test them. Storage lives in `store` and in the `db` part of each domain
//! module, which owns its tables.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod config;
pub mod datakey;
pub mod demo;
pub mod desk;
pub mod error;
pub mod files;
pub mod input;
pub mod keystore;
pub mod logging;
pub mod money;
pub mod notices;
pub mod payments;
pub mod policy;
pub mod print;
pub mod refunds;
pub mod reports;
pub mod shifts;
pub mod store;
pub mod sync;
pub mod users;

pub use error::{Error, ErrorBody, Result};
