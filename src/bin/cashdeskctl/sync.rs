//! `cashdeskctl sync …`: enrol (administrators), sync now, the state, the flagged events, resend
//! after a restore of the ledger (administrators). Every one logs a person in.

use cashdesk::{
    Error,
    desk::{
        TokenRequest,
        sync::{SyncEnrolRequest, SyncStatus},
    },
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Enrol this terminal with the ledger (an administrator): the token goes into the OS keyring.
    Enrol {
        /// The ledger's URL, e.g. https://ledger.example.cn:8443
        #[allow(rustdoc::bare_urls)] // the text is the command's help, shown as typed
        #[arg(long)]
        url: String,
        /// The one-time code from `cashdesk-ledger terminal enrol`.
        #[arg(long)]
        code: String,
    },
    /// Push waiting events and pull changes now; fails (status 1) with the error when it cannot.
    Now,
    /// Last success, events waiting, last error, cursor.
    Status,
    /// Events the ledger recorded with a flag, for review.
    Flagged,
    /// After the ledger was restored from a backup: send again every event acknowledged since a
    /// time (RFC 3339; take the backup's time). The ledger answers duplicate for what it kept.
    Resend {
        #[arg(long)]
        since: String,
    },
}

fn print_status(ctx: &Ctx, s: &SyncStatus) -> Result<(), Error> {
    ctx.print(s, |s| {
        println!("enrolled:      {}", if s.enrolled { "yes" } else { "no" });
        println!("ledger:        {}", s.ledger_url.as_deref().unwrap_or("-"));
        println!("last success:  {}", s.last_success.as_deref().unwrap_or("never"));
        println!("last attempt:  {}", s.last_attempt.as_deref().unwrap_or("never"));
        println!("waiting:       {} event(s)", s.waiting);
        println!("flagged:       {} event(s)", s.flagged);
        println!("cursor:        {}", if s.cursor.is_empty() { "(start)" } else { &s.cursor });
        if let Some(e) = &s.last_error {
            println!(
                "last error:    [{}] {} ({})",
                e.code,
                e.message,
                if e.retryable { "will retry" } else { "needs attention" }
            );
        }
    })
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let result = match cmd {
        Cmd::Enrol { url, code } => {
            match desk.sync_enrol(SyncEnrolRequest { token: token.clone(), url: url.clone(), code }).await {
                Ok(status) => ctx.print(&status, |_| {
                    println!("Terminal {} enrolled with {}; the token is in the OS keyring.", desk.terminal(), url.trim())
                }),
                Err(e) => Err(e),
            }
        }
        Cmd::Now => match desk.sync_now(TokenRequest { token: token.clone() }).await {
            Ok(report) => ctx.print(&report, |report| {
                println!(
                    "Pushed {} event(s): {} applied, {} duplicate, {} flagged. Pulled {} page(s): {} account(s), {} bill(s){}{}.",
                    report.applied + report.duplicate + report.flagged,
                    report.applied,
                    report.duplicate,
                    report.flagged,
                    report.pages,
                    report.accounts,
                    report.bills,
                    if report.policy_changed { ", new policy" } else { "" },
                    if report.calendar_years.is_empty() {
                        String::new()
                    } else {
                        format!(", calendar {:?}", report.calendar_years)
                    },
                );
                if let Some(waiting) = report.pull_skipped_waiting {
                    println!(
                        "Pull skipped: {waiting} new event(s) must be pushed first; run `cashdeskctl sync now` again."
                    );
                }
            }),
            Err(e) => Err(e),
        },
        Cmd::Status => match desk.sync_status(TokenRequest { token: token.clone() }).await {
            Ok(s) => print_status(ctx, &s),
            Err(e) => Err(e),
        },
        Cmd::Flagged => match desk.sync_review(TokenRequest { token: token.clone() }).await {
            Ok(rows) => ctx.print(&rows, |rows| {
                for r in rows {
                    println!("{}  #{}  {}  {}  {}", r.flagged_at, r.seq, r.kind, r.event_id, r.reason);
                }
            }),
            Err(e) => Err(e),
        },
        Cmd::Resend { since } => desk.sync_resend(&token, &since).await.map(|n| {
            println!("{n} event(s) will be sent again on the next round (`cashdeskctl sync now`).");
        }),
    };
    login.end(&desk, result).await
}
