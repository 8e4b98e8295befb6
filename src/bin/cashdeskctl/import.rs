//! `cashdeskctl import accounts|bills FILE` (administrators): all or nothing.

use std::path::PathBuf;

use cashdesk::Error;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_parser = ["accounts", "bills"])]
    what: String,
    file: PathBuf,
}

pub async fn run(ctx: &mut Ctx, args: Args) -> Result<(), Error> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Error::invalid("file", format!("cannot read {}: {e}", args.file.display())))?;
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let source = args.file.display().to_string();
    let n = if args.what == "accounts" {
        desk.import_accounts(&login.token, &source, &bytes).await
    } else {
        desk.import_bills(&login.token, &source, &bytes).await
    };
    let n = login.end(&desk, n).await?;
    ctx.print(&serde_json::json!({"imported": n, "what": args.what}), |_| println!("Imported {n} {}.", args.what))
}
