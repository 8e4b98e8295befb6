//! `cashdesk-ledger`: the province's central ledger (账务中心). `serve` runs the HTTP API; the other
//! subcommands are for its administrators and its finance users (`user`, `refund`, `deposits`:
//! handled in `cli/`, which belongs to this binary only). Configuration: `--config FILE` (TOML) and the
//! `CASHDESK_LEDGER_*` environment variables (see `config`; the data key `serve` needs, too).
//!
//! Two database roles (`config`, `db::grant`): `migrate` connects as the schema's owner
//! (`migration_database_url`) and `--grant ROLE` gives the serving role rows, not the schema; every
//! other command connects as `database_url`'s role and only checks the schema when an owner is
//! configured (or `--no-migrate`). `serve` refuses plain HTTP on a non-loopback address before it
//! connects at all, unless `--insecure-http` (`tls::transport`).

mod cli;

use std::path::PathBuf;

use anyhow::Context;
use cashdesk_ledger::{api, changes, config::Config, datakey, db, demo, import, policy, reports, terminals, tls};
use clap::{Parser, Subcommand};

/// See `mimalloc` in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "cashdesk-ledger", version, about = "Cashdesk central ledger")]
struct Cli {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, global = true, env = "CASHDESK_LEDGER_CONFIG")]
    config: Option<PathBuf>,
    /// Never change the schema, only check that it is this ledger's (as when a
    /// migration_database_url is configured): for a role that cannot change it.
    #[arg(long, global = true)]
    no_migrate: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the HTTP API (migrates the database first, unless a migration_database_url is
    /// configured or --no-migrate is given). HTTPS with a certificate ([tls] in the configuration);
    /// plain HTTP only on a loopback address.
    Serve {
        /// Serve plain HTTP on a network address all the same (a closed network you trust): tokens
        /// and passwords cross it in clear, and the log says so every minute.
        #[arg(long)]
        insecure_http: bool,
    },
    /// Create or update the database schema, as its owner (migration_database_url when configured).
    Migrate {
        /// Then give this PostgreSQL role what `serve` needs (rows, not the schema); run it again
        /// after each upgrade.
        #[arg(long, value_name = "ROLE")]
        grant: Option<String>,
    },
    /// Terminals: enrol (prints a one-time code) or revoke.
    Terminal {
        #[command(subcommand)]
        cmd: TerminalCmd,
    },
    /// Import accounts or bills from CSV (the counter's formats); all or nothing.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// An account as the ledger sees it.
    Account {
        #[command(subcommand)]
        cmd: AccountCmd,
    },
    /// Count and sum of a terminal's money events by kind.
    Totals {
        #[arg(long)]
        terminal: String,
        #[arg(long)]
        json: bool,
    },
    /// The policy sent to every counter: show it, or replace it from a JSON file.
    Policy {
        #[command(subcommand)]
        cmd: PolicyCmd,
    },
    /// Holiday calendars sent to every counter: load a year's notice from a JSON file.
    Calendar {
        #[command(subcommand)]
        cmd: CalendarCmd,
    },
    /// Drop change-log entries superseded by a later change of the same row (`serve` does this hourly).
    Compact,
    /// Conflicts waiting for review.
    Conflicts {
        #[command(subcommand)]
        cmd: ConflictsCmd,
    },
    /// The ledger's users: finance reviewers and auditors (not counter users).
    User {
        #[command(subcommand)]
        cmd: cli::users::UserCmd,
    },
    /// Refund requests: list, show, approve, reject, pay (as a finance user: --user NAME, the
    /// password on the first line of stdin).
    Refund {
        #[command(subcommand)]
        cmd: cli::refunds::RefundCmd,
    },
    /// Deposits in transit (在途): list, confirm, or match the bank's statement CSV (as a finance
    /// user: --user NAME, the password on the first line of stdin).
    Deposits {
        #[command(subcommand)]
        cmd: cli::deposits::DepositCmd,
    },
}

#[derive(Debug, Subcommand)]
enum TerminalCmd {
    /// Print a one-time enrolment code (valid 24 hours) for a terminal code such as DEMO-01.
    Enrol {
        code: String,
        /// The area whose accounts the terminal receives (e.g. GY01). Default: a new terminal's
        /// code before its first '-', a known terminal's area as it was.
        #[arg(long)]
        area: Option<String>,
    },
    /// Refuse the terminal's token from now on.
    Revoke { code: String },
}

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// Accounts (the counter's format, with an optional last column `area`).
    Accounts {
        file: PathBuf,
        /// The area of the rows whose file has no `area` column.
        #[arg(long)]
        area: Option<String>,
    },
    /// Areas of accounts already imported: a CSV file `account_no,area`.
    Areas {
        file: PathBuf,
    },
    Bills {
        file: PathBuf,
    },
    /// The demo counter's accounts and bills (`make run`), into an empty ledger.
    Demo,
}

#[derive(Debug, Subcommand)]
enum AccountCmd {
    Show {
        account_no: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PolicyCmd {
    Show,
    Set { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum CalendarCmd {
    Load { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum ConflictsCmd {
    List {
        #[arg(long)]
        json: bool,
    },
}

use cli::print_json;

/// Before a command uses the database: migrate it when one role owns and serves it; otherwise (a
/// migration URL is configured, or `--no-migrate`) only check that its schema is this ledger's, and
/// say so in the log when the role it runs as could change the schema all the same.
async fn schema_ready(pool: &sqlx::PgPool, config: &Config, no_migrate: bool) -> anyhow::Result<()> {
    if no_migrate || config.migration_database_url.is_some() {
        let me: String = sqlx::query_scalar("SELECT current_user").fetch_one(pool).await?;
        if let Some(why) = db::schema_power(pool, &me).await? {
            tracing::warn!(
                role = %me,
                "the ledger runs as a role that could change its schema ({why}): give database_url a role of its \
                 own and run `cashdesk-ledger migrate --grant ROLE` as the owner"
            );
        }
        db::check_schema(pool).await?;
    } else {
        db::migrate(pool).await?;
    }
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stopping");
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    // Refused before anything else is done: no database is touched for a ledger that will not listen.
    let transport = match &cli.cmd {
        Cmd::Serve { insecure_http } => Some(tls::transport(config.bind, config.tls.is_some(), *insecure_http)?),
        _ => None,
    };
    // `migrate` runs as the schema's owner only: the serving role need not exist yet.
    if let Cmd::Migrate { grant } = &cli.cmd {
        let url = config.migration_database_url.as_deref().unwrap_or(&config.database_url);
        let owner = db::connect(url, 2).await?;
        db::migrate(&owner).await?;
        println!("the ledger database is up to date");
        if let Some(role) = grant {
            db::grant(&owner, role).await?;
            println!("{role} may now read and write the ledger's rows, not change its schema");
        }
        return Ok(());
    }
    let pool = db::connect(&config.database_url, config.max_connections).await?;
    match cli.cmd {
        Cmd::Serve { .. } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            tracing::info!(database = %config.database_url_redacted(), "ledger database ready");
            let key = datakey::load(&pool, &config.data_key_file).await?;
            tracing::info!(file = %config.data_key_file.display(), id = %key.id(), "data key ready");
            let sealed = datakey::seal_id_numbers(&pool, &key).await?;
            if sealed > 0 {
                tracing::info!(accounts = sealed, "ID numbers stored in clear by an earlier version are sealed now");
            }
            let _compactor = (config.compact_every_minutes > 0).then(|| {
                changes::spawn_compactor(
                    pool.clone(),
                    std::time::Duration::from_secs(u64::from(config.compact_every_minutes) * 60),
                )
            });
            let _insecure = (transport == Some(tls::Transport::InsecureHttp))
                .then(|| tls::warn_insecure_http(config.bind, tls::INSECURE_WARNING_EVERY));
            let state = api::AppState::new(pool, key)
                .with_review(config.review())
                .with_max_failures(config.max_failures_per_minute)
                .with_trusted_proxies(config.trusted_proxies.clone());
            tls::serve(api::router(state), config.bind, config.tls.as_ref(), shutdown_signal()).await?;
        }
        Cmd::Compact => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            let n = changes::compact(&pool).await?;
            println!("change log compacted: {n} superseded entries dropped");
        }
        Cmd::Migrate { .. } => unreachable!("handled above, before connecting as the serving role"),
        Cmd::Terminal { cmd: TerminalCmd::Enrol { code, area } } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            let once = terminals::enrol(&pool, &code, area.as_deref()).await?;
            let area = terminals::area(&pool, &code).await?.unwrap_or_default();
            println!("{once}");
            eprintln!(
                "one-time enrolment code for terminal {code} (area {area}), valid 24 hours: enter it in the counter's Settings"
            );
        }
        Cmd::Terminal { cmd: TerminalCmd::Revoke { code } } => {
            if !terminals::revoke(&pool, &code).await? {
                anyhow::bail!("there is no terminal {code}");
            }
            println!("terminal {code} revoked");
        }
        Cmd::Import { what } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            let read = |file: &PathBuf| std::fs::read(file).with_context(|| format!("cannot read {}", file.display()));
            match &what {
                ImportCmd::Demo => {
                    let key = datakey::load(&pool, &config.data_key_file).await?;
                    let (accounts, bills) = demo::seed(&pool, &key).await?;
                    println!("imported the demo province: {accounts} accounts, {bills} bills");
                }
                ImportCmd::Accounts { file, area } => {
                    let area = area.as_deref().map(cashdesk::config::Area::parse).transpose()?;
                    let bytes = read(file)?;
                    let key = datakey::load(&pool, &config.data_key_file).await?;
                    let n = import::accounts(&pool, &key, &bytes, area.as_ref()).await?;
                    println!("imported {n} accounts");
                }
                ImportCmd::Areas { file } => {
                    let n = import::areas(&pool, &read(file)?).await?;
                    println!("{n} accounts moved to their areas: the terminals there get them on their next sync");
                }
                ImportCmd::Bills { file } => {
                    let n = import::bills(&pool, &read(file)?).await?;
                    println!("imported {n} bills");
                }
            }
        }
        Cmd::Account { cmd: AccountCmd::Show { account_no, json } } => {
            let view =
                reports::account(&pool, &account_no).await?.with_context(|| format!("no account {account_no}"))?;
            if json {
                print_json(&view)?;
            } else {
                println!(
                    "{} {} prepaid {} suspense {}",
                    view.account_no, view.name, view.prepaid_balance, view.suspense
                );
                for b in &view.bills {
                    println!(
                        "  {} amount {} paid {} late fee received {}",
                        b.period, b.amount, b.paid, b.late_fee_received
                    );
                }
            }
        }
        Cmd::Totals { terminal, json } => {
            let totals = reports::totals(&pool, &terminal).await?;
            if json {
                print_json(&totals)?;
            } else {
                for t in &totals {
                    println!("{:12} {:>8} {:>16}", t.kind, t.count, t.sum);
                }
            }
        }
        Cmd::Policy { cmd: PolicyCmd::Show } => {
            println!("{}", policy::get(&pool).await?.to_json());
        }
        Cmd::Policy { cmd: PolicyCmd::Set { file } } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            policy::set(&pool, &text).await?;
            println!("policy replaced: counters get it on their next sync");
        }
        Cmd::Calendar { cmd: CalendarCmd::Load { file } } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let year = policy::load_calendar(&pool, &text).await?;
            println!("holiday calendar {year} loaded: counters get it on their next sync");
        }
        Cmd::User { cmd } => {
            schema_ready(&pool, &config, cli.no_migrate).await?;
            cli::users::run(&pool, cmd).await?;
        }
        Cmd::Refund { cmd } => cli::refunds::run(&pool, cmd).await?,
        Cmd::Deposits { cmd } => cli::deposits::run(&pool, cmd).await?,
        Cmd::Conflicts { cmd: ConflictsCmd::List { json } } => {
            let list = reports::conflicts(&pool).await?;
            if json {
                print_json(&list)?;
            } else {
                for c in &list {
                    println!("#{} {} {} {}", c.id, c.kind, c.terminal, c.detail);
                }
            }
        }
    }
    Ok(())
}
