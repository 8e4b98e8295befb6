//! `cashdeskctl backup --out FILE` and `cashdeskctl restore FILE` (administrators): the counter's
//! database copied while the counter works, and put back (`cashdesk::backup`).

use std::path::PathBuf;

use cashdesk::Error;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The new backup file (owner-only; an existing file with anything in it is refused).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A backup of this counter's database made by `cashdeskctl backup`.
    file: PathBuf,
}

pub async fn backup(ctx: &mut Ctx, args: BackupArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let made = desk.backup(&login.token, &args.out).await;
    let made = login.end(&desk, made).await?;
    ctx.print(&made, |m| {
        println!("backup: {}", m.file);
        println!("size: {} bytes", m.size);
        println!("terminal: {}", m.terminal);
        println!("made at: {}", m.made_at);
        match &m.key_files {
            Some(dir) => println!(
                "The keys are NOT in this backup: they are in the key directory {dir}; back that directory up apart, or the ID-card and bank account numbers in this backup cannot be read."
            ),
            None => println!(
                "The keys are NOT in this backup: they are in this computer's OS keyring; the ID-card and bank account numbers in this backup can be read only with them."
            ),
        }
    })
}

pub async fn restore(ctx: &mut Ctx, args: RestoreArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let restored = match desk.restore(&login.token, &args.file).await {
        // The session was in the database replaced; the restored one has none open.
        Ok((_, restored)) => restored,
        Err(e) => return login.end(&desk, Err(e)).await,
    };
    ctx.print(&restored, |r| {
        println!("restored: {} (terminal {})", r.file, r.terminal);
        println!("backup made at: {}", r.backup_made_at.as_deref().unwrap_or("unknown (not made by cashdeskctl backup)"));
        if r.schema_from < r.schema_now {
            println!("migrated from schema {} to {}", r.schema_from, r.schema_now);
        }
        println!(
            "Everything done at this counter after the backup was made is gone here; receipt numbers continue from the backup's. Tell the centre: the ledger keeps what was sent before."
        );
    })
}
