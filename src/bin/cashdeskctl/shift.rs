//! `cashdeskctl shift open|close|report`: the cashier's password on the first line of standard
//! input, a supervisor's on the second with `--approver`.

use std::path::PathBuf;

use base64::Engine;
use cashdesk::{
    Error,
    desk::{
        printing::ShiftReportRequest,
        shift::{CloseShiftRequest, OpenShiftRequest},
    },
    shifts::DenominationCount,
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Open a shift at this terminal with a float.
    Open {
        #[arg(long)]
        float: String,
    },
    /// Close your shift with a blind count, e.g. --count 100=7 --count 0.5=1. A count that does not
    /// match, or any count after one that did not, needs --reason and --approver.
    Close {
        #[arg(long = "count", value_name = "DENOMINATION=N")]
        counts: Vec<String>,
        /// Why the close needs approval (长款/短款).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        approver: Option<String>,
    },
    /// Write a shift report (收费日报) to a PDF file: your last shift, or --shift N.
    Report {
        #[arg(long)]
        shift: Option<i64>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn counts_of(counts: &[String]) -> Result<Vec<DenominationCount>, Error> {
    counts
        .iter()
        .map(|c| match c.split_once('=') {
            Some((d, n)) => n
                .trim()
                .parse::<u32>()
                .map(|count| DenominationCount { denomination: d.trim().to_string(), count })
                .map_err(|_| Error::invalid("count", format!("'{c}': the count after '=' is a whole number"))),
            None => Err(Error::invalid("count", format!("'{c}': write DENOMINATION=N, e.g. 100=7"))),
        })
        .collect()
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    match cmd {
        Cmd::Open { float } => {
            let login = ctx.login(&desk).await?;
            let info = desk.open_shift(OpenShiftRequest { token: login.token.clone(), float }).await;
            let info = login.end(&desk, info).await?;
            ctx.print(&info, |i| {
                println!("Shift {} open at {} for {} with a float of {}.", i.id, i.terminal, i.cashier, i.float)
            })
        }
        Cmd::Report { shift, out } => {
            let login = ctx.login(&desk).await?;
            let doc = desk.shift_report_pdf(ShiftReportRequest { token: login.token.clone(), shift_id: shift }).await;
            let doc = login.end(&desk, doc).await?;
            let pdf = base64::engine::general_purpose::STANDARD
                .decode(doc.pdf_base64)
                .map_err(|e| Error::Internal(format!("report encoding: {e}")))?;
            cashdesk::files::write_private(&out, &pdf)?;
            println!("{} written to {}.", doc.title, out.display());
            Ok(())
        }
        Cmd::Close { counts, reason, approver } => {
            let counts = counts_of(&counts)?;
            let login = ctx.login(&desk).await?;
            let approval = ctx.approval(approver.as_deref());
            let out = match approval {
                Ok(approval) => {
                    desk.close_shift(CloseShiftRequest { token: login.token.clone(), counts, reason, approval }).await
                }
                Err(e) => Err(e),
            };
            let out = login.end(&desk, out).await?;
            ctx.print(&out, |o| {
                println!(
                    "Shift {} closed: expected {}, counted {}, difference {} ({} count(s)).",
                    o.shift.id,
                    o.expected,
                    o.counted,
                    o.difference,
                    o.attempts.len()
                )
            })
        }
    }
}
