//! `cashdeskctl`: the counter's administration tool for operations staff and scripts.
//!
//! Works on the same database as the desktop app (default: the app's data directory, see
//! `cashdesk::config`). Errors go to stderr with a non-zero exit status and say what to fix.
//! Passwords are read from standard input, never from arguments.

use std::{io::BufRead, path::PathBuf, process::ExitCode};

use cashdesk::{
    Error,
    calendar::Calendar,
    config::{self, TerminalCode},
    demo,
    desk::{Desk, InitOptions},
    money::Yuan,
    users::Role,
};
use chrono::{Datelike, NaiveDate};
use clap::{Parser, Subcommand};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(name = "cashdeskctl", version, about = "Cashdesk counter administration")]
struct Cli {
    /// The counter database (default: cashdesk.sqlite in the app's data directory).
    #[arg(long, global = true, env = "CASHDESK_DB")]
    db: Option<PathBuf>,
    /// Print data as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create or migrate the database; optionally seed the demo data.
    Init {
        /// Seed the demo accounts, bills and users (only into an empty database).
        #[arg(long)]
        demo: bool,
        /// This counter's terminal code, e.g. GY01-03 (DEMO-01 with --demo).
        #[arg(long)]
        terminal: Option<String>,
        /// The utility's name printed on documents.
        #[arg(long)]
        utility: Option<String>,
    },
    /// Import accounts or bills from a UTF-8 CSV file, all or nothing.
    Import {
        #[arg(value_parser = ["accounts", "bills"])]
        what: String,
        file: PathBuf,
    },
    /// What an account owes on a day (default today).
    Quote {
        account_no: String,
        #[arg(long)]
        on: Option<String>,
    },
    /// An amount in Chinese capitals (大写).
    Words { amount: String },
    /// Working days and holidays.
    Calendar {
        #[command(subcommand)]
        cmd: CalendarCmd,
    },
    /// Users and roles.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCmd {
    /// Prints true or false.
    IsWorkingDay { date: String },
    /// The first working day strictly after DATE.
    NextWorkingDay { date: String },
    /// Load a year's State Council holiday notice from a JSON file
    /// ({"year":2027,"days_off":[...],"working_weekends":[...]}).
    Load { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// The name shown on screen and on documents (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
enum AuditCmd {
    /// Check the hash chain of the whole audit trail.
    Verify,
    /// Show the latest entries.
    Tail {
        #[arg(short = 'n', default_value_t = 20)]
        n: i64,
    },
}

/// `quote --json`: exactly the documented fields.
#[derive(Serialize)]
struct QuoteJson {
    account_no: String,
    on: NaiveDate,
    bills: Vec<QuoteBillJson>,
    principal_total: Yuan,
    late_fee_total: Yuan,
    total: Yuan,
}

#[derive(Serialize)]
struct QuoteBillJson {
    period: String,
    principal: Yuan,
    days_overdue: u32,
    late_fee: Yuan,
}

fn actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cashdeskctl:{user}")
}

fn parse_date(s: &str) -> Result<NaiveDate, Error> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) if s.trim().len() == 10 => Ok(d),
        _ => Err(Error::invalid("date", format!("'{s}' is not a date: use YYYY-MM-DD, e.g. 2026-02-14"))),
    }
}

fn read_password() -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(Error::invalid(
            "password",
            "give the password on the first line of standard input, e.g. `printf '%s\\n' \"$PW\" | cashdeskctl user add ...`",
        ));
    }
    Ok(pw)
}

fn print_json<T: Serialize>(v: &T) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Internal(e.to_string()))?;
    println!("{s}");
    Ok(())
}

async fn open(cli: &Cli, init: InitOptions) -> Result<Desk, Error> {
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => config::default_db_path()?,
    };
    Desk::open(&path, init).await
}

async fn run(cli: Cli) -> Result<(), Error> {
    let no_init = || InitOptions { terminal: None, utility: None };
    match &cli.cmd {
        Cmd::Init { demo, terminal, utility } => {
            let terminal = match (terminal, demo) {
                (Some(t), _) => Some(TerminalCode::parse(t)?),
                (None, true) => Some(TerminalCode::parse(demo::TERMINAL)?),
                (None, false) => None,
            };
            let mut desk = open(&cli, InitOptions { terminal, utility: utility.clone() }).await?;
            if *demo {
                if desk.seed_demo(&actor()).await? {
                    println!("Demo data seeded on terminal {}. Demo log-ins:", desk.terminal());
                    for line in demo::login_lines() {
                        println!("{line}");
                    }
                } else {
                    println!("The database already holds data; demo data not added.");
                }
            } else {
                println!("Database ready (schema {}), terminal {}.", cashdesk::store::known_version(), desk.terminal());
            }
        }
        Cmd::Import { what, file } => {
            let desk = open(&cli, no_init()).await?;
            let bytes = std::fs::read(file)
                .map_err(|e| Error::invalid("file", format!("cannot read {}: {e}", file.display())))?;
            let source = file.display().to_string();
            let n = if what == "accounts" {
                desk.import_accounts(&actor(), &source, &bytes).await?
            } else {
                desk.import_bills(&actor(), &source, &bytes).await?
            };
            if cli.json {
                print_json(&serde_json::json!({"imported": n, "what": what}))?;
            } else {
                println!("Imported {n} {what}.");
            }
        }
        Cmd::Quote { account_no, on } => {
            let desk = open(&cli, no_init()).await?;
            let on = match on {
                Some(d) => parse_date(d)?,
                None => desk.today(),
            };
            let q = desk.quote(&actor(), account_no, on).await?;
            if cli.json {
                print_json(&QuoteJson {
                    account_no: q.account_no.to_string(),
                    on: q.on,
                    bills: q
                        .bills
                        .iter()
                        .map(|b| QuoteBillJson {
                            period: b.period.to_string(),
                            principal: b.principal,
                            days_overdue: b.days_overdue,
                            late_fee: b.late_fee,
                        })
                        .collect(),
                    principal_total: q.principal_total,
                    late_fee_total: q.late_fee_total,
                    total: q.total,
                })?;
            } else {
                println!("户号 {}  on {}", q.account_no, q.on);
                println!("{:<8} {:>14} {:>6} {:>12}", "period", "principal", "days", "late fee");
                for b in &q.bills {
                    println!(
                        "{:<8} {:>14} {:>6} {:>12}",
                        b.period.to_string(),
                        b.principal.to_string(),
                        b.days_overdue,
                        b.late_fee.to_string()
                    );
                }
                println!("principal {}  late fee {}  total {}", q.principal_total, q.late_fee_total, q.total);
                println!("{}", q.total_words);
            }
        }
        Cmd::Words { amount } => {
            let y = Yuan::parse(amount)?;
            if cli.json {
                print_json(&serde_json::json!({"amount": y, "words": y.words()}))?;
            } else {
                println!("{}", y.words());
            }
        }
        Cmd::Calendar { cmd } => {
            // The shipped years plus any loaded into the database (when there is one).
            let path = match &cli.db {
                Some(p) => p.clone(),
                None => config::default_db_path()?,
            };
            let calendar =
                if path.exists() { open(&cli, no_init()).await?.calendar().clone() } else { Calendar::shipped() };
            match cmd {
                CalendarCmd::IsWorkingDay { date } => {
                    let d = parse_date(date)?;
                    if !calendar.has_year(d.year()) {
                        eprintln!(
                            "warning: no holiday notice loaded for {}; weekends count as days off",
                            d.format("%Y")
                        );
                    }
                    println!("{}", calendar.is_working_day(d));
                }
                CalendarCmd::NextWorkingDay { date } => {
                    let d = parse_date(date)?;
                    println!("{}", calendar.next_working_day(d));
                }
                CalendarCmd::Load { file } => {
                    let json = std::fs::read_to_string(file)
                        .map_err(|e| Error::invalid("file", format!("cannot read {}: {e}", file.display())))?;
                    let mut desk = open(&cli, no_init()).await?;
                    let year = desk.load_calendar_year(&actor(), &json).await?;
                    println!("Loaded the holiday calendar for {year}.");
                }
            }
        }
        Cmd::User { cmd } => {
            let desk = open(&cli, no_init()).await?;
            match cmd {
                UserCmd::Add { name, role, display_name } => {
                    let role = Role::parse(role)?;
                    let pw = read_password()?;
                    let u = desk.add_user(&actor(), name, display_name.as_deref(), role, &pw).await?;
                    if cli.json {
                        print_json(&u)?;
                    } else {
                        println!("Added {} ({}).", u.username, u.role.label_zh());
                    }
                }
                UserCmd::List => {
                    let users = desk.list_users().await?;
                    if cli.json {
                        print_json(&users)?;
                    } else {
                        for u in users {
                            let state = match (&u.locked_until, u.disabled) {
                                (_, true) => "disabled".to_string(),
                                (Some(t), _) => format!("locked until {t}"),
                                _ => "active".to_string(),
                            };
                            println!("{:<12} {:<10} {:<12} {state}", u.username, u.role.as_str(), u.display_name);
                        }
                    }
                }
            }
        }
        Cmd::Audit { cmd } => {
            let desk = open(&cli, no_init()).await?;
            let mut conn = desk.pool().acquire().await?;
            match cmd {
                AuditCmd::Verify => {
                    let n = cashdesk::audit::verify(&mut conn).await?;
                    println!("audit trail intact: {n} entries");
                }
                AuditCmd::Tail { n } => {
                    let rows = cashdesk::audit::recent(&mut conn, *n).await?;
                    if cli.json {
                        print_json(&rows)?;
                    } else {
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
                    }
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = cashdesk::logging::init(None);
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
