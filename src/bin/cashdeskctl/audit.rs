//! `cashdeskctl audit verify|tail` (administrators and supervisors).

use cashdesk::Error;

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Check the hash chain of the whole audit trail.
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
        Cmd::Verify => desk.audit_verify(&login.token).await.map(|n| println!("audit trail intact: {n} entries")),
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
