//! `cashdeskctl datakey status|file-store --path DIR` (administrators): where this counter keeps
//! its keys (the data key and the receipt key, `cashdesk::keystore`). The OS keyring by default;
//! `file-store` is the explicit choice for a computer without one.

use std::path::PathBuf;

use cashdesk::{Error, keystore::KeyStoreStatus};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Where the keys are kept, and whether each can be used.
    Status,
    /// Keep the keys in files in DIR from now on (a computer without an OS keyring): an absolute
    /// path outside the data directory, made owner-only. The keys in use are copied there first.
    FileStore {
        #[arg(long)]
        path: PathBuf,
    },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let status = match &cmd {
        Cmd::Status => desk.key_store_status(&login.token).await,
        Cmd::FileStore { path } => desk.choose_key_file_store(&login.token, path).await,
    };
    let status = login.end(&desk, status).await?;
    ctx.print(&status, |s| {
        if let Cmd::FileStore { .. } = cmd {
            println!("The keys are kept in files from now on; back that directory up apart from the data directory.");
        }
        print_status(s);
    })
}

fn print_status(s: &KeyStoreStatus) {
    match &s.dir {
        Some(dir) => println!("key store: files in {dir}"),
        None => println!("key store: OS keyring"),
    }
    for k in &s.keys {
        println!(
            "  {:<8} {}  recorded {}  found {}{}",
            k.kind,
            k.place,
            k.recorded.as_deref().unwrap_or("-"),
            k.found.as_deref().unwrap_or("-"),
            k.problem.as_deref().map(|p| format!("  ({p})")).unwrap_or_default()
        );
    }
}
