//! `cashdeskctl init`: a new counter database and its first administrator, or the demo counter.

use cashdesk::{Error, config::TerminalCode, demo, desk::InitOptions};

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed the demo accounts, bills and users (only into an empty database).
    #[arg(long)]
    demo: bool,
    /// This counter's terminal code, e.g. GY01-03 (DEMO-01 with --demo).
    #[arg(long)]
    terminal: Option<String>,
    /// The utility's name printed on documents.
    #[arg(long)]
    utility: Option<String>,
    /// The first administrator's user name; their password is read from standard input.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// The first administrator's name on screen (default: the user name).
    #[arg(long)]
    display_name: Option<String>,
}

pub async fn run(ctx: &mut Ctx, args: Args) -> Result<(), Error> {
    let terminal = match (&args.terminal, args.demo) {
        (Some(t), _) => Some(TerminalCode::parse(t)?),
        (None, true) => Some(TerminalCode::parse(demo::TERMINAL)?),
        (None, false) => None,
    };
    let mut desk = ctx.open(InitOptions { terminal, utility: args.utility.clone() }).await?;
    if args.demo {
        let seeded = desk.seed_demo().await?;
        if let Some(dir) = desk.key_files_dir().await? {
            println!(
                "Demo database: its keys are kept in files in {} (a real counter keeps them in the OS keyring).",
                dir.display()
            );
        }
        if seeded {
            println!("Demo data seeded on terminal {}. Demo log-ins:", desk.terminal());
            for line in demo::login_lines() {
                println!("{line}");
            }
        } else {
            println!("The database already holds data; demo data not added.");
        }
        return Ok(());
    }
    if desk.has_admin().await? {
        return Err(Error::AlreadyInitialised);
    }
    let password = ctx.secret("the new administrator's password")?;
    let admin = desk.bootstrap_admin(&args.admin, args.display_name.as_deref(), &password).await?;
    println!(
        "Database ready (schema {}), terminal {}; administrator {} added. Log in as {} to add the other users.",
        cashdesk::store::known_version(),
        desk.terminal(),
        admin.username,
        admin.username
    );
    // The keys are made now, where this counter keeps them, so that a missing keyring is found at
    // installation and not at the first payment.
    if let Err(e) = desk.make_keys().await {
        eprintln!("warning [{}]: {e}", e.code());
    }
    Ok(())
}
