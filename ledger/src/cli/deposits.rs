//! `cashdesk-ledger deposits list|confirm|match`: deposits in transit (在途) at the command line.
//! Each command logs the finance user in (`--user NAME`, the password on the first line of stdin),
//! acts through the same functions as the finance API, and logs out.

use std::path::PathBuf;

use anyhow::Context;
use cashdesk::desk::Clock;
use cashdesk_ledger::{
    audit::Channel,
    deposits::{self, DepositConfirm, DepositQuery, DepositState, DepositView, LineOutcome},
    refunds::china,
    sessions::{self, Reviewer},
};
use clap::{Args, Subcommand};
use sqlx::PgPool;

use super::{password_from_stdin, print_json};

/// The finance user a command acts as.
#[derive(Debug, Args)]
pub struct Who {
    /// The ledger user (finance; an auditor may list) to log in as; the password is read from stdin.
    #[arg(long)]
    user: String,
}

#[derive(Debug, Subcommand)]
pub enum DepositCmd {
    /// Deposits from every counter, newest first, with their number and total.
    List {
        #[command(flatten)]
        who: Who,
        /// in_transit (在途) or confirmed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        terminal: Option<String>,
        /// The terminal code's part before its first '-' (GY01 of GY01-03).
        #[arg(long)]
        area: Option<String>,
        /// Deposited on or after (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Deposited on or before (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// Exactly this bank slip number.
        #[arg(long)]
        slip: Option<String>,
        /// Only those in transit longer than the policy's working days.
        #[arg(long)]
        overdue: bool,
        /// At most 500 (default 100).
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// 确认到账: confirm that the bank has a deposit (its id, or its slip number when that names one
    /// deposit).
    Confirm {
        id: String,
        #[command(flatten)]
        who: Who,
        /// The bank's reference of the credit (流水号).
        #[arg(long = "ref")]
        reference: String,
        /// The amount the bank credited: must be the deposit's.
        #[arg(long)]
        amount: String,
        /// The day the bank credited it (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// 对账: import the bank's statement (CSV) and confirm each deposit in transit that a line
    /// matches by slip number and amount, exactly.
    ///
    /// The file: UTF-8 CSV with the header `date,amount,slip_no,reference,memo` (or
    /// `交易日期,金额,解款单号,流水号,摘要`), one row per credit: the credit's date (YYYY-MM-DD or
    /// YYYYMMDD), its amount (1234.50), the deposit slip's number (may be empty when the memo/摘要
    /// names it), the bank's reference (may be empty) and the bank's text. Any malformed row refuses
    /// the whole file and nothing is confirmed. A slip number with another amount, or naming two
    /// deposits, is reported and never confirmed; running the same file again confirms nothing new.
    Match {
        file: PathBuf,
        #[command(flatten)]
        who: Who,
        /// Only the deposits made at this bank (a statement is one bank's): its code (102) or name.
        #[arg(long)]
        bank: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

impl DepositCmd {
    fn who(&self) -> &Who {
        match self {
            DepositCmd::List { who, .. } | DepositCmd::Confirm { who, .. } | DepositCmd::Match { who, .. } => who,
        }
    }
}

fn state(s: &str) -> anyhow::Result<DepositState> {
    match s.trim() {
        "in_transit" => Ok(DepositState::InTransit),
        "confirmed" => Ok(DepositState::Confirmed),
        other => anyhow::bail!("'{other}' is not a deposit state: use in_transit or confirmed"),
    }
}

/// Log in, act, log out (the session ends whatever the command's outcome).
pub async fn run(pool: &PgPool, cmd: DepositCmd) -> anyhow::Result<()> {
    // The statement is read (and its bank checked) before the password is asked for.
    let statement = match &cmd {
        DepositCmd::Match { file, bank, .. } => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let bank = bank
                .as_deref()
                .map(|b| cashdesk::payments::bank_of(b).map(|(code, _)| code.to_string()))
                .transpose()?;
            Some((bytes, bank))
        }
        _ => None,
    };
    let password = password_from_stdin(&format!("password of {}", cmd.who().user))?;
    let clock = Clock::System;
    let session = sessions::login(pool, &cmd.who().user, &password, clock.now(), Channel::Cli).await?;
    let who = sessions::authenticate(pool, &session.token, clock.now()).await?;
    let outcome = act(pool, &who, cmd, statement, &clock).await;
    sessions::logout(pool, &session.token, clock.now(), Channel::Cli).await?;
    outcome
}

async fn act(
    pool: &PgPool,
    who: &Reviewer,
    cmd: DepositCmd,
    statement: Option<(Vec<u8>, Option<String>)>,
    clock: &Clock,
) -> anyhow::Result<()> {
    let now = clock.now();
    let today = now.with_timezone(&china()).date_naive();
    match cmd {
        DepositCmd::List { state: st, terminal, area, from, to, slip, overdue, limit, offset, json, .. } => {
            let q = DepositQuery {
                state: st.as_deref().map(state).transpose()?,
                terminal,
                area,
                from,
                to,
                slip_no: slip,
                overdue: overdue.then_some(true),
                limit,
                offset,
            };
            let list = deposits::list(pool, &q, today).await?;
            if json {
                return print_json(&list);
            }
            for d in &list.items {
                println!("{}", line(d));
            }
            println!("{} deposits, {} in all", list.total, list.total_amount);
        }
        DepositCmd::Confirm { id, reference, amount, date, json, .. } => {
            let c = DepositConfirm { reference, amount, credited_on: date };
            let d = deposits::confirm(pool, who, &id, &c, now, Channel::Cli).await?;
            if json {
                return print_json(&d);
            }
            println!(
                "deposit {} of {} (slip {}) confirmed by {}, bank reference {}",
                d.amount,
                d.terminal,
                d.slip_no,
                who.username,
                d.reference.as_deref().unwrap_or("")
            );
        }
        DepositCmd::Match { json, .. } => {
            let Some((bytes, bank)) = statement else { anyhow::bail!("no statement was read") };
            let report = deposits::match_statement(pool, who, &bytes, bank.as_deref(), now, Channel::Cli).await?;
            if json {
                return print_json(&report);
            }
            for l in &report.items {
                let what = match l.outcome {
                    LineOutcome::Matched => "confirmed",
                    LineOutcome::AlreadyConfirmed => "already confirmed",
                    LineOutcome::AmountMismatch => "AMOUNT MISMATCH, not confirmed",
                    LineOutcome::Ambiguous => "AMBIGUOUS, not confirmed: confirm the right one by hand",
                    LineOutcome::Unmatched => "no deposit with this slip number",
                };
                println!(
                    "line {}: {} {} slip {} ref {}: {what}",
                    l.line,
                    l.date,
                    l.amount,
                    l.slip_no.as_deref().unwrap_or(&l.memo),
                    l.reference.as_deref().unwrap_or("-")
                );
                for d in &l.deposits {
                    println!("    {}", line(d));
                }
            }
            println!(
                "{} lines: {} confirmed now, {} already confirmed, {} amount mismatches, {} ambiguous, {} unmatched",
                report.lines,
                report.matched,
                report.already_confirmed,
                report.amount_mismatch,
                report.ambiguous,
                report.unmatched
            );
        }
    }
    Ok(())
}

/// A deposit on one line.
fn line(d: &DepositView) -> String {
    let state = match (&d.confirmed_by, d.overdue) {
        (Some(by), _) => format!(
            "confirmed by {by} {}{}",
            d.confirmed_at.as_deref().unwrap_or(""),
            d.reference.as_deref().map(|r| format!(" ref {r}")).unwrap_or_default()
        ),
        (None, true) => "in transit, overdue".to_string(),
        (None, false) => "in transit".to_string(),
    };
    format!(
        "{}  {:10} {:20} {} {:>12} {} {}  {state}",
        d.deposited_at,
        d.terminal,
        d.slip_no,
        d.bank_name,
        d.amount.to_string(),
        d.cashier,
        d.event_id
    )
}
