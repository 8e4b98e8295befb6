//! `cashdeskctl`: the counter's administration tool for operations staff and scripts.
//!
//! Works on the same database as the desktop app (default: the app's data directory, see
//! `cashdesk::config`). Errors go to stderr with a non-zero exit status and say what to fix.
//! Passwords are read from standard input, never from arguments.

use std::{io::BufRead, path::PathBuf, process::ExitCode};

use base64::Engine;

use cashdesk::{
    Error,
    calendar::Calendar,
    config::{self, TerminalCode},
    demo,
    desk::{
        Desk, InitOptions, LoginRequest, TokenRequest,
        counter::{CloseShiftRequest, DepositRequest, OpenShiftRequest, VoidRequest},
        printing::ShiftReportRequest,
        sync::{SyncEnrolRequest, SyncStatus},
    },
    money::Yuan,
    payments::{CollectRequest, Method, PaymentDone, VendRequest, VoucherInput},
    shifts::DenominationCount,
    users::{Role, approval::ApprovalInput},
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
    /// Open or close a shift (开班 / 交班). The user's password is read from stdin, then the
    /// approver's when --approver is given.
    Shift {
        #[command(subcommand)]
        cmd: ShiftCmd,
    },
    /// Take a payment for a postpaid account (缴费).
    Collect {
        account_no: String,
        #[command(flatten)]
        pay: PayArgs,
        /// Waive the late fee, with this reason (needs --approver).
        #[arg(long)]
        waive: Option<String>,
    },
    /// Sell electricity to a prepaid account (售电).
    Vend {
        account_no: String,
        #[command(flatten)]
        pay: PayArgs,
    },
    /// Void a payment of the user's open shift (作废); needs --approver and --reason.
    Void {
        receipt_no: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        approver: String,
    },
    /// Receipts: reprint one to a PDF file (marked 重打 after the first print, and audited).
    Receipt {
        #[command(subcommand)]
        cmd: ReceiptCmd,
    },
    /// Sync with the central ledger (账务中心): enrol this terminal, sync now, show the state.
    Sync {
        #[command(subcommand)]
        cmd: SyncCmd,
    },
    /// Record cash taken to the bank (解款); covers holiday cash due first.
    Deposit {
        #[arg(long)]
        user: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        bank: String,
        #[arg(long)]
        slip: String,
    },
}

/// Who pays how: shared by `collect` and `vend`.
#[derive(Debug, clap::Args)]
struct PayArgs {
    /// The cashier (their password is the first line of stdin).
    #[arg(long)]
    user: String,
    #[arg(long, default_value = "")]
    amount: String,
    #[arg(long, value_parser = ["cash", "transfer"], default_value = "cash")]
    method: String,
    /// Cash handed over (default: the amount).
    #[arg(long)]
    tendered: Option<String>,
    #[arg(long)]
    bank: Option<String>,
    #[arg(long)]
    serial: Option<String>,
    #[arg(long)]
    payer: Option<String>,
    #[arg(long)]
    transfer_date: Option<String>,
    /// A supervisor approving (holiday cash, waiver); their password is the second line of stdin.
    #[arg(long)]
    approver: Option<String>,
    /// Write the receipt (the original print) to this PDF file.
    #[arg(long)]
    pdf: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ReceiptCmd {
    /// Print a receipt to a PDF file.
    Print {
        receipt_no: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ShiftCmd {
    /// Open a shift at this terminal with a float.
    Open {
        #[arg(long)]
        user: String,
        #[arg(long)]
        float: String,
    },
    /// Close the user's shift with a blind count, e.g. --count 100=7 --count 0.5=1.
    Close {
        #[arg(long)]
        user: String,
        #[arg(long = "count", value_name = "DENOMINATION=N")]
        counts: Vec<String>,
        /// Why the count differs (needed with a difference).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        approver: Option<String>,
    },
    /// Write a shift report (收费日报) to a PDF file: the user's last shift, or --shift N.
    Report {
        #[arg(long)]
        user: String,
        #[arg(long)]
        shift: Option<i64>,
        #[arg(long)]
        out: PathBuf,
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
enum SyncCmd {
    /// Enrol this terminal with the ledger (an administrator): the token goes into the OS keyring.
    /// With --user the password is the first line of stdin; without it, the user name is the first
    /// line and the password the second.
    Enrol {
        /// The ledger's URL, e.g. https://ledger.example.cn:8443
        #[arg(long)]
        url: String,
        /// The one-time code from `cashdesk-ledger terminal enrol`.
        #[arg(long)]
        code: String,
        /// The administrator.
        #[arg(long)]
        user: Option<String>,
    },
    /// Push waiting events and pull changes now; fails (status 1) with the error when it cannot.
    Now,
    /// Last success, events waiting, last error, cursor.
    Status,
    /// Events the ledger recorded with a flag, for review.
    Flagged,
    /// After the ledger was restored from a backup: send again every event acknowledged since a
    /// time (RFC 3339; take the backup's time). The ledger answers duplicate for what it kept.
    /// An administrator; password as for enrol.
    Resend {
        #[arg(long)]
        since: String,
        #[arg(long)]
        user: Option<String>,
    },
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

/// The passwords on stdin: the user's on the first line, the approver's on the second.
struct Passwords {
    user: String,
    approver: Option<String>,
}

fn read_passwords(with_approver: bool) -> Result<Passwords, Error> {
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |who: &str| -> Result<String, Error> {
        let line = lines.next().transpose()?.unwrap_or_default();
        let pw = line.trim_end_matches(['\n', '\r']).to_string();
        if pw.is_empty() {
            return Err(Error::invalid(
                "password",
                format!("give the {who}'s password on its own line of standard input"),
            ));
        }
        Ok(pw)
    };
    let user = next("user")?;
    let approver = if with_approver { Some(next("approver")?) } else { None };
    Ok(Passwords { user, approver })
}

/// The administrator's user name (from `--user`, or the first line of stdin) and password (the next
/// line).
fn read_admin(user: Option<&str>) -> Result<LoginRequest, Error> {
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> Result<String, Error> {
        let line = lines.next().transpose()?.unwrap_or_default();
        let v = line.trim_end_matches(['\n', '\r']).to_string();
        if v.is_empty() {
            return Err(Error::invalid(
                what,
                format!("give the administrator's {what} on its own line of standard input"),
            ));
        }
        Ok(v)
    };
    let username = match user {
        Some(u) => u.to_string(),
        None => next("user name")?,
    };
    let password = next("password")?;
    Ok(LoginRequest { username, password })
}

fn print_sync_status(s: &SyncStatus, json: bool) -> Result<(), Error> {
    if json {
        return print_json(s);
    }
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
    Ok(())
}

/// Log `user` in with the password from stdin; returns the session token and the approval input.
async fn sign_in(desk: &Desk, user: &str, approver: Option<&str>) -> Result<(String, Option<ApprovalInput>), Error> {
    let pw = read_passwords(approver.is_some())?;
    let token = desk.login(LoginRequest { username: user.to_string(), password: pw.user }).await?.token;
    let approval = match (approver, pw.approver) {
        (Some(name), Some(password)) => Some(ApprovalInput { username: name.to_string(), password }),
        _ => None,
    };
    Ok((token, approval))
}

fn voucher_of(p: &PayArgs, today: NaiveDate) -> Option<VoucherInput> {
    (p.method == "transfer").then(|| VoucherInput {
        bank: p.bank.clone().unwrap_or_default(),
        serial: p.serial.clone().unwrap_or_default(),
        payer: p.payer.clone().unwrap_or_default(),
        amount: p.amount.clone(),
        transfer_date: p.transfer_date.clone().unwrap_or_else(|| today.to_string()),
    })
}

fn method_of(p: &PayArgs) -> Method {
    if p.method == "transfer" { Method::Transfer } else { Method::Cash }
}

fn print_payment(done: &PaymentDone, json: bool) -> Result<(), Error> {
    if json {
        return print_json(&serde_json::json!({
            "receipt_no": done.receipt_no,
            "lines": done.lines.iter().map(|l| serde_json::json!({
                "period": l.period.map(|p| p.to_string()), "kind": l.kind, "amount": l.amount,
            })).collect::<Vec<_>>(),
            "amount": done.amount,
            "change": done.change,
            "prepaid_after": done.prepaid_after,
            "holiday_cash_due": done.holiday_cash_due,
        }));
    }
    println!("收据 {}  {} {}  {}", done.receipt_no, done.account_no, done.name, done.amount_words);
    for l in &done.lines {
        println!(
            "  {:<8} {:<10} {:>12}",
            l.period.map(|p| p.to_string()).unwrap_or_default(),
            l.kind.label_zh(),
            l.amount.to_string()
        );
    }
    if let Some(change) = done.change {
        println!("找零 {change}");
    }
    println!("预存余额 {}  校验码 {}", done.prepaid_after, done.verification_code);
    if let Some(due) = done.holiday_cash_due {
        println!("节假日现金: due at the bank on {due}");
    }
    Ok(())
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
                if path.exists() { (*open(&cli, no_init()).await?.calendar()).clone() } else { Calendar::shipped() };
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
                    let desk = open(&cli, no_init()).await?;
                    let year = desk.load_calendar_year(&actor(), &json).await?;
                    println!("Loaded the holiday calendar for {year}.");
                }
            }
        }
        Cmd::Sync { cmd } => {
            let desk = open(&cli, no_init()).await?;
            match cmd {
                SyncCmd::Enrol { url, code, user } => {
                    let login = read_admin(user.as_deref())?;
                    let token = desk.login(login).await?.token;
                    let done = desk
                        .sync_enrol(SyncEnrolRequest { token: token.clone(), url: url.clone(), code: code.clone() })
                        .await;
                    let _ = desk.logout(TokenRequest { token }).await;
                    let status = done?;
                    if cli.json {
                        print_json(&status)?;
                    } else {
                        println!(
                            "Terminal {} enrolled with {}; the token is in the OS keyring.",
                            desk.terminal(),
                            url.trim()
                        );
                    }
                }
                SyncCmd::Now => {
                    let report = desk.sync_once().await?;
                    if cli.json {
                        print_json(&report)?;
                    } else {
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
                    }
                }
                SyncCmd::Resend { since, user } => {
                    let login = read_admin(user.as_deref())?;
                    let token = desk.login(login).await?.token;
                    let done = desk.sync_resend(&token, since).await;
                    let _ = desk.logout(TokenRequest { token }).await;
                    let n = done?;
                    println!("{n} event(s) will be sent again on the next round (`cashdeskctl sync now`).");
                }
                SyncCmd::Status => print_sync_status(&desk.sync_state().await?, cli.json)?,
                SyncCmd::Flagged => {
                    let rows = desk.sync_flagged().await?;
                    if cli.json {
                        print_json(&rows)?;
                    } else {
                        for r in rows {
                            println!("{}  #{}  {}  {}  {}", r.flagged_at, r.seq, r.kind, r.event_id, r.reason);
                        }
                    }
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
        Cmd::Shift { cmd } => {
            let desk = open(&cli, no_init()).await?;
            match cmd {
                ShiftCmd::Open { user, float } => {
                    let (token, _) = sign_in(&desk, user, None).await?;
                    let info = desk.open_shift(OpenShiftRequest { token: token.clone(), float: float.clone() }).await?;
                    desk.logout(TokenRequest { token }).await?;
                    if cli.json {
                        print_json(&info)?;
                    } else {
                        println!(
                            "Shift {} open at {} for {} with a float of {}.",
                            info.id, info.terminal, info.cashier, info.float
                        );
                    }
                }
                ShiftCmd::Report { user, shift, out } => {
                    let (token, _) = sign_in(&desk, user, None).await?;
                    let doc =
                        desk.shift_report_pdf(ShiftReportRequest { token: token.clone(), shift_id: *shift }).await;
                    let _ = desk.logout(TokenRequest { token }).await;
                    let doc = doc?;
                    let pdf = base64::engine::general_purpose::STANDARD
                        .decode(doc.pdf_base64)
                        .map_err(|e| Error::Internal(format!("report encoding: {e}")))?;
                    std::fs::write(out, pdf)?;
                    println!("{} written to {}.", doc.title, out.display());
                }
                ShiftCmd::Close { user, counts, reason, approver } => {
                    let counts = counts
                        .iter()
                        .map(|c| match c.split_once('=') {
                            Some((d, n)) => n
                                .trim()
                                .parse::<u32>()
                                .map(|count| DenominationCount { denomination: d.trim().to_string(), count })
                                .map_err(|_| {
                                    Error::invalid("count", format!("'{c}': the count after '=' is a whole number"))
                                }),
                            None => Err(Error::invalid("count", format!("'{c}': write DENOMINATION=N, e.g. 100=7"))),
                        })
                        .collect::<Result<Vec<_>, Error>>()?;
                    let (token, approval) = sign_in(&desk, user, approver.as_deref()).await?;
                    let out = desk
                        .close_shift(CloseShiftRequest {
                            token: token.clone(),
                            counts,
                            reason: reason.clone(),
                            approval,
                        })
                        .await;
                    let _ = desk.logout(TokenRequest { token }).await;
                    let out = out?;
                    if cli.json {
                        print_json(&out)?;
                    } else {
                        println!(
                            "Shift {} closed: expected {}, counted {}, difference {}.",
                            out.shift.id, out.expected, out.counted, out.difference
                        );
                    }
                }
            }
        }
        Cmd::Collect { account_no, pay, waive } => {
            let desk = open(&cli, no_init()).await?;
            let (token, approval) = sign_in(&desk, &pay.user, pay.approver.as_deref()).await?;
            let req = CollectRequest {
                token: token.clone(),
                account_no: account_no.clone(),
                method: method_of(pay),
                amount: pay.amount.clone(),
                tendered: pay.tendered.clone(),
                voucher: voucher_of(pay, desk.today()),
                waive_late_fee: waive.clone(),
                approval,
            };
            let done = desk.collect(req).await;
            let _ = desk.logout(TokenRequest { token }).await;
            let done = done?;
            if let Some(out) = &pay.pdf {
                desk.print_receipt_to_file(&pay.user, &done.receipt_no, out).await?;
            }
            print_payment(&done, cli.json)?;
        }
        Cmd::Vend { account_no, pay } => {
            let desk = open(&cli, no_init()).await?;
            let (token, approval) = sign_in(&desk, &pay.user, pay.approver.as_deref()).await?;
            let req = VendRequest {
                token: token.clone(),
                account_no: account_no.clone(),
                method: method_of(pay),
                amount: pay.amount.clone(),
                tendered: pay.tendered.clone(),
                voucher: voucher_of(pay, desk.today()),
                approval,
            };
            let done = desk.vend(req).await;
            let _ = desk.logout(TokenRequest { token }).await;
            let done = done?;
            if let Some(out) = &pay.pdf {
                desk.print_receipt_to_file(&pay.user, &done.receipt_no, out).await?;
            }
            print_payment(&done, cli.json)?;
        }
        Cmd::Void { receipt_no, user, reason, approver } => {
            let desk = open(&cli, no_init()).await?;
            let (token, approval) = sign_in(&desk, user, Some(approver)).await?;
            let done = desk
                .void_payment(VoidRequest {
                    token: token.clone(),
                    receipt_no: receipt_no.clone(),
                    reason: reason.clone(),
                    approval,
                })
                .await;
            let _ = desk.logout(TokenRequest { token }).await;
            let done = done?;
            if cli.json {
                print_json(&done)?;
            } else {
                println!("Receipt {} ({}) is void, approved by {}.", done.receipt_no, done.amount, done.approved_by);
            }
        }
        Cmd::Receipt { cmd: ReceiptCmd::Print { receipt_no, out } } => {
            let desk = open(&cli, no_init()).await?;
            let reprint = desk.print_receipt_to_file(&actor(), receipt_no, out).await?;
            match reprint {
                Some(n) => println!("Receipt {receipt_no} written to {} as reprint no. {n} (重打).", out.display()),
                None => println!("Receipt {receipt_no} written to {}.", out.display()),
            }
        }
        Cmd::Deposit { user, amount, bank, slip } => {
            let desk = open(&cli, no_init()).await?;
            let (token, _) = sign_in(&desk, user, None).await?;
            let done = desk
                .deposit(DepositRequest {
                    token: token.clone(),
                    amount: amount.clone(),
                    bank: bank.clone(),
                    slip_no: slip.clone(),
                })
                .await;
            let _ = desk.logout(TokenRequest { token }).await;
            let done = done?;
            if cli.json {
                print_json(&done)?;
            } else {
                println!(
                    "Deposited {} at {} (slip {}); holiday cash covered: {}.",
                    done.amount, done.bank, done.slip_no, done.holiday_cash_covered
                );
            }
        }
    }
    Ok(())
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
