//! The command line's handlers for the ledger's users and the finance work (`cashdesk-ledger user
//! ...`, `cashdesk-ledger refund ...`, `cashdesk-ledger deposits ...`): part of the binary, not of the library. Each command calls
//! the same storage functions the finance API calls, and prints what they answer.

pub mod deposits;
pub mod refunds;
pub mod users;

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;

/// The first line of stdin (without its line end): a password. On a terminal it is asked for.
pub fn password_from_stdin(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt} (it is shown as you type; pipe it in to keep it off the screen): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(!password.is_empty(), "no password on stdin: give it on the first line");
    Ok(password)
}

/// Who runs an administrator's command, for the audit: `cli:<OS user>`.
pub fn os_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v).context("cannot write JSON")?);
    Ok(())
}
