//! Integration tests of the core on real SQLite files in temp dirs, one binary, modules by topic.

mod common;
mod import;
mod login;
mod lookup;
mod store;
