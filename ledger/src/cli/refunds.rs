//! `cashdesk-ledger refund list|show|approve|reject|pay`: the finance work at the command line.
//! Each command logs the finance user in (`--user NAME`, the password on the first line of stdin),
//! acts through the same functions as the finance API, and logs out.

use cashdesk::{
    desk::Clock,
    refunds::{Reason, State},
    sync::finance::{FinanceDecision, Payout, RefundDetail, RefundQuery},
};
use cashdesk_ledger::{
    audit::Channel,
    refunds::{self, china},
    sessions::{self, Reviewer},
};
use clap::{Args, Subcommand};
use sqlx::PgPool;

use super::{password_from_stdin, print_json};

/// The finance user a command acts as.
#[derive(Debug, Args)]
pub struct Who {
    /// The ledger user (finance or auditor) to log in as; the password is read from stdin.
    #[arg(long)]
    user: String,
}

#[derive(Debug, Subcommand)]
pub enum RefundCmd {
    /// Requests from every counter, newest first, with their number and total.
    List {
        #[command(flatten)]
        who: Who,
        /// submitted, hall_approved, hall_rejected, at_ledger, finance_approved, finance_rejected or paid.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        terminal: Option<String>,
        /// The terminal code's part before its first '-' (GY01 of GY01-03).
        #[arg(long)]
        area: Option<String>,
        /// Submitted on or after (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Submitted on or before (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        min_amount: Option<String>,
        #[arg(long)]
        max_amount: Option<String>,
        /// overpaid, duplicate, closure, billing_error or other.
        #[arg(long)]
        reason: Option<String>,
        /// Only those waiting longer than the policy's working days.
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
    /// One request (its id or request number) with its history.
    Show {
        id: String,
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        json: bool,
    },
    /// 复核通过: approve a request waiting at the ledger.
    Approve {
        id: String,
        #[command(flatten)]
        who: Who,
    },
    /// 复核驳回: reject a request waiting at the ledger, with the reason.
    Reject {
        id: String,
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        reason: String,
    },
    /// 付款: record the payout of an approved request.
    Pay {
        id: String,
        #[command(flatten)]
        who: Who,
        /// The payout date (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// The bank's reference (流水号).
        #[arg(long = "ref")]
        bank_ref: String,
        /// The amount paid: must be the amount approved.
        #[arg(long)]
        amount: String,
    },
}

impl RefundCmd {
    fn who(&self) -> &Who {
        match self {
            RefundCmd::List { who, .. }
            | RefundCmd::Show { who, .. }
            | RefundCmd::Approve { who, .. }
            | RefundCmd::Reject { who, .. }
            | RefundCmd::Pay { who, .. } => who,
        }
    }
}

fn state(s: &str) -> anyhow::Result<State> {
    State::parse(s).ok_or_else(|| {
        let all: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        anyhow::anyhow!("'{s}' is not a state: use one of {}", all.join(", "))
    })
}

fn reason(s: &str) -> anyhow::Result<Reason> {
    Reason::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        anyhow::anyhow!("'{s}' is not a reason: use one of {}", all.join(", "))
    })
}

/// Log in, act, log out (the session ends whatever the command's outcome).
pub async fn run(pool: &PgPool, cmd: RefundCmd) -> anyhow::Result<()> {
    let password = password_from_stdin(&format!("password of {}", cmd.who().user))?;
    let clock = Clock::System;
    let session = sessions::login(pool, &cmd.who().user, &password, clock.now(), Channel::Cli).await?;
    let who = sessions::authenticate(pool, &session.token, clock.now()).await?;
    let outcome = act(pool, &who, cmd, &clock).await;
    sessions::logout(pool, &session.token, clock.now(), Channel::Cli).await?;
    outcome
}

async fn act(pool: &PgPool, who: &Reviewer, cmd: RefundCmd, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now();
    let today = now.with_timezone(&china()).date_naive();
    match cmd {
        RefundCmd::List {
            state: st,
            terminal,
            area,
            from,
            to,
            min_amount,
            max_amount,
            reason: why,
            overdue,
            limit,
            offset,
            json,
            ..
        } => {
            let q = RefundQuery {
                state: st.as_deref().map(state).transpose()?,
                terminal,
                area,
                from,
                to,
                min_amount,
                max_amount,
                reason: why.as_deref().map(reason).transpose()?,
                overdue: overdue.then_some(true),
                limit,
                offset,
            };
            let list = refunds::list(pool, &q, today).await?;
            if json {
                return print_json(&list);
            }
            for r in &list.items {
                println!(
                    "{}  {:16} {:10} {} {:>12} {:13} {} {} {}{}",
                    r.request_no,
                    r.state.as_str(),
                    r.terminal,
                    r.account_no,
                    r.amount.to_string(),
                    r.reason.as_str(),
                    r.submitted_at,
                    r.payee_name,
                    r.payee_account_masked,
                    if r.overdue { "  overdue" } else { "" }
                );
            }
            println!("{} requests, {} in all", list.total, list.total_amount);
        }
        RefundCmd::Show { id, json, .. } => {
            let d = refunds::detail(pool, &id, today).await?;
            if json {
                return print_json(&d);
            }
            show(&d);
        }
        RefundCmd::Approve { id, .. } => {
            let d = refunds::decide(pool, who, &id, true, &FinanceDecision { reason: None }, now, Channel::Cli).await?;
            println!("request {} approved by {}: {}", d.summary.request_no, who.username, d.summary.state.as_str());
        }
        RefundCmd::Reject { id, reason: why, .. } => {
            let d = refunds::decide(pool, who, &id, false, &FinanceDecision { reason: Some(why) }, now, Channel::Cli)
                .await?;
            println!("request {} rejected by {}: {}", d.summary.request_no, who.username, d.summary.state.as_str());
        }
        RefundCmd::Pay { id, date, bank_ref, amount, .. } => {
            let p = Payout { payout_date: date, bank_ref, amount };
            let d = refunds::pay(pool, who, &id, &p, now, Channel::Cli).await?;
            println!(
                "request {} paid: {} on {}, bank reference {}; the account's balance at the centre is now {}",
                d.summary.request_no,
                d.paid_amount.map(|a| a.to_string()).unwrap_or_default(),
                d.payout_date.as_deref().unwrap_or(""),
                d.payout_ref.as_deref().unwrap_or(""),
                d.account_balance
            );
        }
    }
    Ok(())
}

fn show(d: &RefundDetail) {
    let s = &d.summary;
    println!("{} ({})  {}  {}", s.request_no, s.refund_id, s.state.as_str(), s.state.label_zh());
    println!("  terminal {}, account {} {}", s.terminal, s.account_no, s.account_name);
    println!(
        "  amount {} ({}), reason {} {}",
        s.amount,
        s.amount.words(),
        s.reason.label_zh(),
        d.reason_text.as_deref().unwrap_or("")
    );
    println!(
        "  payee {} at {} {}, account {}{}",
        s.payee_name,
        d.payee_bank,
        d.payee_branch,
        s.payee_account_masked,
        d.payee_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
    );
    println!(
        "  documents: ID card {}, original receipt {}, closure form {}{}",
        d.docs.id_card,
        d.docs.original_receipt,
        d.docs.closure_form,
        d.duplicate_of.as_deref().map(|r| format!("; duplicate of receipt {r}")).unwrap_or_default()
    );
    println!("  account at the centre: balance {}, held by requests {}", d.account_balance, d.account_held);
    if let Some(flag) = &d.flag {
        println!("  FLAGGED: {flag}");
    }
    if s.overdue {
        println!("  overdue");
    }
    for h in &d.history {
        println!(
            "  {} {:16} {:16} {}{}",
            h.at,
            h.step,
            h.state.as_str(),
            h.actor,
            h.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
}
