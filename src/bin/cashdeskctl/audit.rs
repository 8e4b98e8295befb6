//! `cashdeskctl audit verify|tail` (administrators and supervisors).

use cashdesk::{Error, audit::AgainstLedger, desk::audit::LedgerAudit};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Check the keyed chain of the whole audit trail, and compare it with the head the ledger
    /// holds for this counter when it is enrolled and the ledger can be reached.
    Verify,
    /// Show the latest entries.
    Tail {
        #[arg(short = 'n', default_value_t = 20)]
        n: i64,
    },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let result = match cmd {
        Cmd::Verify => desk.audit_verify(&login.token).await.and_then(|v| {
            ctx.print(&v, |v| {
                println!("audit trail intact: {} entries", v.entries);
                match &v.ledger {
                    LedgerAudit::NotEnrolled => println!("ledger: not enrolled, nothing to compare"),
                    LedgerAudit::Unreachable { detail } => {
                        println!("ledger: not reachable ({detail}); compared locally only")
                    }
                    LedgerAudit::Compared(AgainstLedger::NoneYet) => {
                        println!("ledger: holds no head from this counter yet")
                    }
                    LedgerAudit::Compared(AgainstLedger::Matches { seq, local_head }) => {
                        println!("ledger: its head (entry {seq}) is in this trail, which goes on to entry {local_head}")
                    }
                    // Refused before: a difference is an error.
                    LedgerAudit::Compared(other) => println!("ledger: {other:?}"),
                }
            })
        }),
        Cmd::Tail { n } => desk.audit_tail(&login.token, n).await.and_then(|rows| {
            ctx.print(&rows, |rows| {
                for r in rows.iter().rev() {
                    println!(
                        "{:>6} {} {} {:<20} {:<16} {} {}",
                        r.seq,
                        r.at,
                        r.terminal,
                        r.actor,
                        r.action,
                        r.subject.as_deref().unwrap_or("-"),
                        r.detail
                    );
                }
            })
        }),
    };
    login.end(&desk, result).await
}
