//! `cashdeskctl receipt print NUMBER --out FILE` (who may print receipts): counted and audited.

use std::path::PathBuf;

use cashdesk::Error;

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Print a receipt to a PDF file.
    Print {
        receipt_no: String,
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let Cmd::Print { receipt_no, out } = cmd;
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let reprint = desk.print_receipt_to_file(&login.token, &receipt_no, &out).await;
    match login.end(&desk, reprint).await? {
        Some(n) => println!("Receipt {receipt_no} written to {} as reprint no. {n} (重打).", out.display()),
        None => println!("Receipt {receipt_no} written to {}.", out.display()),
    }
    Ok(())
}
