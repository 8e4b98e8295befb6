//! `cashdeskctl`: the counter's administration tool for operations staff and scripts.
//!
//! Works on the same database as the desktop app (default: the app's data directory, see
//! `cashdesk::config`). Errors go to stderr as `error [CODE]: what to fix`, with exit status 1.
//!
//! Every command that reads customer data or changes anything logs a person in first: `--user
//! NAME` (or `CASHDESK_USER`), and their password on the first line of standard input, never in
//! an argument. A command that needs a supervisor's approval (`--approver NAME`) reads the
//! approver's password on the next line; one that sets a password (`user add`, `user
//! reset-password`, `init`) reads the new password on the next line. The core checks the role
//! (`cashdesk::users::rights`) and the audit trail records the person, never the operating-system
//! account. Only `words`, `calendar is-working-day|next-working-day` (no data) and `init` on a
//! database that has no administrator yet (it makes the first one) run without a log-in.
//!
//! One file per command group; this file parses the command line, logs in and out, and prints.

mod audit;
mod backup;
mod calendar;
mod config;
mod datakey;
mod import;
mod init;
mod notices;
mod quote;
mod receipt;
mod refund;
mod report;
mod shift;
mod sync;
mod take;
mod user;

use std::{io::BufRead, path::PathBuf, process::ExitCode};

use cashdesk::{
    Error, config as paths,
    desk::{Desk, InitOptions, LoginRequest, TokenRequest},
    users::approval::ApprovalInput,
};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(name = "cashdeskctl", version, about = "Cashdesk counter administration")]
struct Cli {
    /// The counter database (default: cashdesk.sqlite in the app's data directory).
    #[arg(long, global = true, env = "CASHDESK_DB")]
    db: Option<PathBuf>,
    /// Who logs in (their password is the first line of standard input).
    #[arg(long, global = true, env = "CASHDESK_USER")]
    user: Option<String>,
    /// Print data as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a counter database and its first administrator (password on stdin), or the demo
    /// counter (--demo). Refused on a database that already has an administrator.
    Init(init::Args),
    /// Import accounts or bills from a UTF-8 CSV file, all or nothing (administrators).
    Import(import::Args),
    /// What an account owes on a day (default today).
    Quote(quote::QuoteArgs),
    /// An amount in Chinese capitals (大写). No log-in.
    Words { amount: String },
    /// Working days and holidays.
    Calendar {
        #[command(subcommand)]
        cmd: calendar::Cmd,
    },
    /// Users: add, list, disable, enable, unlock, reset a password, change a role (administrators).
    User {
        #[command(subcommand)]
        cmd: user::Cmd,
    },
    /// The audit trail (administrators and supervisors).
    Audit {
        #[command(subcommand)]
        cmd: audit::Cmd,
    },
    /// Open or close a shift (开班 / 交班), or write its report (收费日报).
    Shift {
        #[command(subcommand)]
        cmd: shift::Cmd,
    },
    /// Take a payment for a postpaid account (缴费).
    Collect(take::CollectArgs),
    /// Sell electricity to a prepaid account (售电).
    Vend(take::VendArgs),
    /// Void a payment of your open shift (作废); needs --approver and --reason.
    Void(take::VoidArgs),
    /// Record cash taken to the bank (解款); covers holiday cash due first.
    Deposit(take::DepositArgs),
    /// This terminal's deposits and whether the centre has confirmed them (在途 until then).
    Deposits(take::DepositsArgs),
    /// Receipts: reprint one to a PDF file (marked 重打 after the first print, and audited).
    Receipt {
        #[command(subcommand)]
        cmd: receipt::Cmd,
    },
    /// Sync with the central ledger (账务中心): enrol this terminal, sync now, show the state.
    Sync {
        #[command(subcommand)]
        cmd: sync::Cmd,
    },
    /// Refund requests (退费): submit, approve or reject at the hall, list, show, print.
    Refund {
        #[command(subcommand)]
        cmd: refund::Cmd,
    },
    /// The 实收日报: show or export a day's report, or sign the terminal-day off.
    Report {
        #[command(subcommand)]
        cmd: report::Cmd,
    },
    /// Arrears notices (电费催缴通知单): preview a batch, print it, one account's, the log.
    Notices {
        #[command(subcommand)]
        cmd: notices::Cmd,
    },
    /// Counter settings (the idle time before the screen locks, the hotline and where to pay).
    Config {
        #[command(subcommand)]
        cmd: config::Cmd,
    },
    /// Where the counter's keys are kept: the OS keyring, or a file store an administrator chose.
    Datakey {
        #[command(subcommand)]
        cmd: datakey::Cmd,
    },
    /// Copy the counter's database to a new file while the counter works (administrators). The
    /// keys are not in it.
    Backup(backup::BackupArgs),
    /// Put a backup of this counter's database back (administrators); close the counter app first.
    Restore(backup::RestoreArgs),
}

/// What a command is run with: the options every command shares, and standard input.
struct Ctx {
    db: Option<PathBuf>,
    user: Option<String>,
    json: bool,
    stdin: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Ctx {
    /// The next line of standard input, which must hold `what` (a password).
    fn secret(&mut self, what: &str) -> Result<String, Error> {
        let line = self.stdin.next().transpose()?.unwrap_or_default();
        let s = line.trim_end_matches(['\n', '\r']).to_string();
        if s.is_empty() {
            return Err(Error::invalid(
                "password",
                format!(
                    "give {what} on its own line of standard input, e.g. `printf '%s\\n' \"$PW\" | cashdeskctl --user NAME ...`"
                ),
            ));
        }
        Ok(s)
    }

    /// Open the database (creating and migrating it if needed).
    async fn open(&self, init: InitOptions) -> Result<Desk, Error> {
        let path = match &self.db {
            Some(p) => p.clone(),
            None => paths::default_db_path()?,
        };
        Desk::open(&path, init).await
    }

    /// Open the database as it is.
    async fn desk(&self) -> Result<Desk, Error> {
        self.open(InitOptions { terminal: None, utility: None }).await
    }

    /// Log `--user` in with the password on standard input.
    async fn login(&mut self, desk: &Desk) -> Result<Login, Error> {
        let Some(username) = self.user.clone() else {
            return Err(Error::invalid(
                "user",
                "log in first: give --user NAME (or CASHDESK_USER) and your password on the first line of standard input",
            ));
        };
        let password = self.secret("your password")?;
        let token = desk.login(LoginRequest { username, password }).await?.token;
        Ok(Login { token })
    }

    /// The approval of `--approver NAME`, their password on the next line of standard input.
    fn approval(&mut self, approver: Option<&str>) -> Result<Option<ApprovalInput>, Error> {
        match approver {
            Some(name) => Ok(Some(ApprovalInput {
                username: name.to_string(),
                password: self.secret("the approver's password")?,
            })),
            None => Ok(None),
        }
    }

    /// Print as JSON with `--json`, else as `text` says.
    fn print<T: Serialize>(&self, v: &T, text: impl FnOnce(&T)) -> Result<(), Error> {
        if self.json {
            return print_json(v);
        }
        text(v);
        Ok(())
    }
}

/// A logged-in person for one command: log them out with [`Login::end`], whatever the command did.
struct Login {
    token: String,
}

impl Login {
    /// Log out, and pass on what the command returned.
    async fn end<T>(self, desk: &Desk, result: Result<T, Error>) -> Result<T, Error> {
        let _ = desk.logout(TokenRequest { token: self.token }).await;
        result
    }
}

fn print_json<T: Serialize>(v: &T) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Internal(e.to_string()))?;
    println!("{s}");
    Ok(())
}

fn parse_date(s: &str) -> Result<NaiveDate, Error> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) if s.trim().len() == 10 => Ok(d),
        _ => Err(Error::invalid("date", format!("'{s}' is not a date: use YYYY-MM-DD, e.g. 2026-02-14"))),
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let mut ctx = Ctx { db: cli.db, user: cli.user, json: cli.json, stdin: std::io::stdin().lock().lines() };
    match cli.cmd {
        Cmd::Init(args) => init::run(&mut ctx, args).await,
        Cmd::Import(args) => import::run(&mut ctx, args).await,
        Cmd::Quote(args) => quote::run(&mut ctx, args).await,
        Cmd::Words { amount } => quote::words(&ctx, &amount),
        Cmd::Calendar { cmd } => calendar::run(&mut ctx, cmd).await,
        Cmd::User { cmd } => user::run(&mut ctx, cmd).await,
        Cmd::Audit { cmd } => audit::run(&mut ctx, cmd).await,
        Cmd::Shift { cmd } => shift::run(&mut ctx, cmd).await,
        Cmd::Collect(args) => take::collect(&mut ctx, args).await,
        Cmd::Vend(args) => take::vend(&mut ctx, args).await,
        Cmd::Void(args) => take::void(&mut ctx, args).await,
        Cmd::Deposit(args) => take::deposit(&mut ctx, args).await,
        Cmd::Deposits(args) => take::deposits(&mut ctx, args).await,
        Cmd::Receipt { cmd } => receipt::run(&mut ctx, cmd).await,
        Cmd::Sync { cmd } => sync::run(&mut ctx, cmd).await,
        Cmd::Config { cmd } => config::run(&mut ctx, cmd).await,
        Cmd::Datakey { cmd } => datakey::run(&mut ctx, cmd).await,
        Cmd::Notices { cmd } => notices::run(&mut ctx, cmd).await,
        Cmd::Refund { cmd } => refund::run(&mut ctx, cmd).await,
        Cmd::Report { cmd } => report::run(&mut ctx, cmd).await,
        Cmd::Backup(args) => backup::backup(&mut ctx, args).await,
        Cmd::Restore(args) => backup::restore(&mut ctx, args).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = cashdesk::logging::init(None, "warn");
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}
