//! `cashdesk-ledger user add|list|disable|unlock`: the ledger's finance reviewers and auditors.

use cashdesk::desk::Clock;
use cashdesk_ledger::{audit::Channel, users};
use clap::Subcommand;
use sqlx::PgPool;

use super::{os_actor, password_from_stdin, print_json};

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user; the password is read from the first line of stdin (at least 10 characters,
    /// not only digits, not the name, not a common password).
    Add {
        name: String,
        /// finance (reviews and pays refunds) or auditor (reads only).
        #[arg(long)]
        role: String,
        /// The name shown (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Every user, with their role and whether they are disabled or locked out.
    List {
        #[arg(long)]
        json: bool,
    },
    /// No more log-ins; the user's open sessions end now.
    Disable { name: String },
    /// Lift a lock-out after five wrong passwords.
    Unlock { name: String },
}

pub async fn run(pool: &PgPool, cmd: UserCmd) -> anyhow::Result<()> {
    let now = Clock::System.now();
    let actor = os_actor();
    match cmd {
        UserCmd::Add { name, role, display_name } => {
            let role = users::parse_role(&role)?;
            let password = password_from_stdin("password for the new user")?;
            let u =
                users::add(pool, &actor, &name, display_name.as_deref(), role, &password, now, Channel::Cli).await?;
            println!("ledger user {} added ({})", u.username, users::role_str(u.role));
        }
        UserCmd::List { json } => {
            let list = users::list(pool, now).await?;
            if json {
                print_json(&list)?;
            } else {
                for u in &list {
                    let mut notes = Vec::new();
                    if u.disabled {
                        notes.push("disabled".to_string());
                    }
                    if let Some(until) = &u.locked_until {
                        notes.push(format!("locked until {until}"));
                    }
                    println!("{:20} {:8} {} {}", u.username, users::role_str(u.role), u.display_name, notes.join(", "));
                }
            }
        }
        UserCmd::Disable { name } => {
            users::disable(pool, &actor, &name, now, Channel::Cli).await?;
            println!("ledger user {name} disabled; their sessions have ended");
        }
        UserCmd::Unlock { name } => {
            users::unlock(pool, &actor, &name, now, Channel::Cli).await?;
            println!("ledger user {name} unlocked");
        }
    }
    Ok(())
}
