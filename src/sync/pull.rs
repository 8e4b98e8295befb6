//! 下行同步: applying one page of the ledger's changes (accounts, bills, policy, calendar years).
//!
//! Invariants:
//! - A page and its cursor are applied in ONE write transaction (`BEGIN IMMEDIATE`): after a crash
//!   either both are there or neither is, so a page is never half-applied or skipped.
//! - Everything from the network is validated like any input (the rules of the CSV import, the
//!   policy's and the calendar's own checks) before anything is written; a bad page changes nothing
//!   and its cursor is not stored.
//! - The page is refused (nothing written, [`Applied::Skipped`]) when the outbox holds events not
//!   yet pushed, checked inside the same transaction: the centre's balances and bills do not yet
//!   include those payments, and applying them would overwrite what the counter took.
//! - Accounts are matched by 户号 and keep their local ids (payments and bills refer to them); the
//!   FTS index follows through the `accounts` triggers. Bills are matched by (account, period).
//! - The ledger sends no ID-card numbers and phone numbers masked (`138****5678`): an account's ID
//!   number at the counter is the one its own import stored (sealed), which a pull leaves as it is;
//!   the counter never reads it.
//! - Rows are written in multi-row upserts (`ROWS_PER_STATEMENT`): a county's first pull is a million
//!   accounts, and a statement per row spent most of its time on round trips.

use std::collections::HashMap;

use sqlx::{SqliteConnection, SqlitePool};

use super::{
    outbox, state,
    wire::{self, Change, PullResponse, WireAccount, WireBill, WireRefund},
};
use crate::{
    Error, Result,
    accounts::{
        AccountNo, Period,
        import::{parse_date, parse_meter, parse_shown_phone},
        parse_kwh, parse_multiplier,
    },
    calendar::YearCalendar,
    policy::Policy,
    store,
};

/// Longest cursor accepted from the ledger.
const MAX_CURSOR_CHARS: usize = 1000;

/// What applying a page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Page {
        accounts: u32,
        bills: u32,
        policy: bool,
        calendar_years: Vec<i32>,
    },
    /// Not applied: this many events wait to be pushed first.
    Skipped {
        waiting: i64,
    },
}

/// A change that passed validation, ready to write.
enum Valid {
    Account(ValidAccount),
    Bill(ValidBill),
    Policy(Policy),
    Calendar(YearCalendar),
    Refund(WireRefund),
    Deposit(wire::WireDeposit),
}

struct ValidAccount {
    account_no: AccountNo,
    wire: WireAccount,
    meter_no: String,
    phone: Option<String>,
}

struct ValidBill {
    account_no: AccountNo,
    period: Period,
    kwh: String,
    due_date: String,
    late_fee_from: String,
    wire: WireBill,
}

fn bad(i: usize, what: &str, reason: impl std::fmt::Display) -> Error {
    Error::SyncBadReply { detail: format!("change {} ({what}): {reason}", i + 1) }
}

fn text(i: usize, what: &str, field: &str, v: &str, max: usize) -> Result<()> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(bad(i, what, format!("{field} must be 1-{max} characters without control characters")));
    }
    Ok(())
}

fn validate_account(i: usize, a: &WireAccount) -> Result<ValidAccount> {
    let account_no = AccountNo::parse(&a.account_no).map_err(|e| bad(i, "account", e))?;
    let what = format!("account {account_no}");
    text(i, &what, "name", &a.name, 100)?;
    text(i, &what, "address", &a.address, 200)?;
    let meter_no = parse_meter(&a.meter_no).map_err(|e| bad(i, &what, e))?;
    parse_multiplier(&a.multiplier.to_string()).map_err(|e| bad(i, &what, e))?;
    let phone = parse_shown_phone(a.phone.as_deref().unwrap_or("")).map_err(|e| bad(i, &what, e))?;
    Ok(ValidAccount { account_no, wire: a.clone(), meter_no, phone })
}

fn validate_bill(i: usize, b: &WireBill) -> Result<ValidBill> {
    let account_no = AccountNo::parse(&b.account_no).map_err(|e| bad(i, "bill", e))?;
    let period = Period::parse(&b.period).map_err(|e| bad(i, "bill", e))?;
    let what = format!("bill {account_no} {period}");
    let kwh = parse_kwh(&b.kwh).map_err(|e| bad(i, &what, e))?;
    let due_date = parse_date(&b.due_date).map_err(|e| bad(i, &what, e))?.to_string();
    let late_fee_from = parse_date(&b.late_fee_from).map_err(|e| bad(i, &what, e))?.to_string();
    if b.paid > b.amount {
        return Err(bad(i, &what, format!("paid {} is more than the amount {}", b.paid, b.amount)));
    }
    Ok(ValidBill { account_no, period, kwh, due_date, late_fee_from, wire: b.clone() })
}

/// Validate a whole page (no database access).
fn validate(page: &PullResponse) -> Result<Vec<Valid>> {
    let max = usize::try_from(wire::MAX_PAGE).unwrap_or(usize::MAX);
    if page.changes.len() > max {
        return Err(Error::SyncBadReply { detail: format!("a page holds at most {max} changes") });
    }
    if page.cursor.chars().count() > MAX_CURSOR_CHARS || page.cursor.chars().any(char::is_control) {
        return Err(Error::SyncBadReply { detail: "the cursor is not a short line of text".into() });
    }
    page.changes
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            Change::Account(a) => validate_account(i, a).map(Valid::Account),
            Change::Bill(b) => validate_bill(i, b).map(Valid::Bill),
            Change::Policy(wire::PolicyChange { policy }) => {
                policy.validate().map_err(|e| bad(i, "policy", e))?;
                Ok(Valid::Policy(policy.clone()))
            }
            Change::Calendar(wire::CalendarChange { notice }) => {
                if !(2000..=2099).contains(&notice.year) {
                    return Err(bad(i, "calendar", format!("year {} is out of range", notice.year)));
                }
                notice.validate().map_err(|e| bad(i, "calendar", e))?;
                Ok(Valid::Calendar(notice.clone()))
            }
            Change::Refund(r) => {
                let what = format!("refund {}", r.request_no);
                text(i, &what, "refund_id", &r.refund_id, 64)?;
                if !matches!(
                    r.state,
                    crate::refunds::State::AtLedger
                        | crate::refunds::State::FinanceApproved
                        | crate::refunds::State::FinanceRejected
                        | crate::refunds::State::Paid
                        | crate::refunds::State::HallRejected
                ) {
                    return Err(bad(i, &what, format!("the centre does not decide {}", r.state.as_str())));
                }
                for v in [&r.finance_by, &r.finance_reason, &r.payout_ref, &r.flag, &r.payout_date, &r.finance_at]
                    .into_iter()
                    .flatten()
                {
                    text(i, &what, "a decision's text", v, 500)?;
                }
                Ok(Valid::Refund((**r).clone()))
            }
            Change::Deposit(d) => {
                let what = format!("deposit {}", d.slip_no);
                for (field, v) in
                    [("event_id", &d.event_id), ("confirmed_by", &d.confirmed_by), ("confirmed_at", &d.confirmed_at)]
                {
                    text(i, &what, field, v, 100)?;
                }
                if let Some(r) = &d.reference {
                    text(i, &what, "reference", r, 100)?;
                }
                Ok(Valid::Deposit(d.clone()))
            }
        })
        .collect()
}

/// Apply one page and store its cursor, in one transaction. See the module docs.
pub async fn apply_page(pool: &SqlitePool, page: &PullResponse, at: &str) -> Result<Applied> {
    let valid = validate(page)?;
    let mut tx = store::write_tx(pool).await?;
    let waiting = outbox::waiting(&mut tx).await?;
    if waiting > 0 {
        return Ok(Applied::Skipped { waiting });
    }
    let (mut policy, mut calendar_years) = (false, Vec::new());
    // Accounts first (bills need their local ids), in multi-row statements: a first pull of a county
    // is a million rows, and a statement per row would spend most of its time on round trips.
    let new_accounts: Vec<&ValidAccount> = valid
        .iter()
        .filter_map(|v| match v {
            Valid::Account(a) => Some(a),
            _ => None,
        })
        .collect();
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(new_accounts.len());
    for chunk in new_accounts.chunks(ROWS_PER_STATEMENT) {
        upsert_accounts(&mut tx, chunk, at, &mut ids).await?;
    }
    let mut new_bills: Vec<(i64, &ValidBill)> = Vec::new();
    for (i, v) in valid.iter().enumerate() {
        match v {
            Valid::Account(_) => {}
            Valid::Refund(r) => apply_refund(&mut tx, r, at).await?,
            // A deposit of another counter is not here: nothing to change.
            Valid::Deposit(d) => {
                sqlx::query(
                    "UPDATE deposits SET confirmed_at = ?, confirmed_by = ?, confirm_ref = ? WHERE event_id = ? AND confirmed_at IS NULL",
                )
                .bind(&d.confirmed_at)
                .bind(&d.confirmed_by)
                .bind(&d.reference)
                .bind(&d.event_id)
                .execute(&mut *tx)
                .await?;
            }
            Valid::Bill(b) => {
                let id = match ids.get(b.account_no.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id = crate::accounts::db::id_of(&mut tx, &b.account_no).await?.ok_or_else(|| {
                            bad(i, "bill", format!("no account with 户号 {} here or earlier in the page", b.account_no))
                        })?;
                        ids.insert(b.account_no.as_str().to_string(), id);
                        id
                    }
                };
                new_bills.push((id, b));
            }
            Valid::Policy(p) => {
                store::set_setting(&mut *tx, crate::desk::SETTING_POLICY, &p.to_json()).await?;
                policy = true;
            }
            Valid::Calendar(notice) => {
                let json = serde_json::to_string(notice)
                    .map_err(|e| Error::Internal(format!("cannot encode the calendar notice: {e}")))?;
                sqlx::query("INSERT INTO calendar_years (year, notice, loaded_at) VALUES (?, ?, ?) ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, loaded_at = excluded.loaded_at")
                    .bind(notice.year)
                    .bind(&json)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                calendar_years.push(notice.year);
            }
        }
    }
    for chunk in new_bills.chunks(ROWS_PER_STATEMENT) {
        upsert_bills(&mut tx, chunk).await?;
    }
    let accounts = u32::try_from(new_accounts.len()).unwrap_or(u32::MAX);
    let bills = u32::try_from(new_bills.len()).unwrap_or(u32::MAX);
    state::set_cursor(&mut tx, &page.cursor).await?;
    tx.commit().await?;
    Ok(Applied::Page { accounts, bills, policy, calendar_years })
}

/// A refund decided at the centre: this counter's own request takes the state, the decision and
/// the payout, with a step in its history. A request of another counter is not kept here (the
/// ledger holds it, and the account's balance comes down as its own change).
async fn apply_refund(conn: &mut SqliteConnection, r: &WireRefund, at: &str) -> Result<()> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, state FROM refunds WHERE refund_id = ?")
        .bind(&r.refund_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((id, before)) = row else { return Ok(()) };
    if before == r.state.as_str() && r.flag.is_none() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE refunds SET state = ?, finance_by = ?, finance_at = ?, finance_reason = ?, paid_fen = ?, payout_date = ?,
                payout_ref = ?, flag = ? WHERE id = ?",
    )
    .bind(r.state.as_str())
    .bind(&r.finance_by)
    .bind(&r.finance_at)
    .bind(&r.finance_reason)
    .bind(r.paid_amount.map(crate::money::Yuan::fen))
    .bind(&r.payout_date)
    .bind(&r.payout_ref)
    .bind(&r.flag)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let step = match r.state {
        crate::refunds::State::AtLedger if r.flag.is_some() => "flag",
        crate::refunds::State::AtLedger => "receive",
        crate::refunds::State::FinanceApproved => "finance_approve",
        crate::refunds::State::FinanceRejected => "finance_reject",
        crate::refunds::State::Paid => "pay",
        _ => "centre",
    };
    let note = r.finance_reason.clone().or_else(|| r.payout_ref.clone()).or_else(|| r.flag.clone());
    sqlx::query("INSERT INTO refund_history (refund_id, at, actor, step, state, note) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(id)
        .bind(r.finance_at.as_deref().unwrap_or(at))
        .bind(r.finance_by.as_deref().unwrap_or("账务中心"))
        .bind(step)
        .bind(r.state.as_str())
        .bind(note)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rows per multi-row statement (12 values a row: far below SQLite's 32,766 variables).
const ROWS_PER_STATEMENT: usize = 500;

/// Insert or update accounts by 户号; records each one's local id in `ids`.
async fn upsert_accounts(
    conn: &mut SqliteConnection,
    rows: &[&ValidAccount],
    at: &str,
    ids: &mut HashMap<String, i64>,
) -> Result<()> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone, prepaid_balance_fen, risk, closed, updated_at) ",
    );
    q.push_values(rows, |mut row, a| {
        let w = &a.wire;
        row.push_bind(a.account_no.as_str().to_string())
            .push_bind(w.name.trim().to_string())
            .push_bind(w.address.trim().to_string())
            .push_bind(w.category.as_str())
            .push_bind(w.billing_mode.as_str())
            .push_bind(a.meter_no.clone())
            .push_bind(w.multiplier)
            .push_bind(a.phone.clone())
            .push_bind(w.prepaid_balance.fen())
            .push_bind(w.risk.map(crate::accounts::RiskMark::as_str))
            .push_bind(i64::from(w.closed))
            .push_bind(at.to_string());
    });
    q.push(
        " ON CONFLICT (account_no) DO UPDATE SET name = excluded.name, address = excluded.address, category = excluded.category,
             billing_mode = excluded.billing_mode, meter_no = excluded.meter_no, multiplier = excluded.multiplier, phone = excluded.phone,
             prepaid_balance_fen = excluded.prepaid_balance_fen, risk = excluded.risk,
             closed = excluded.closed, updated_at = excluded.updated_at
         RETURNING account_no, id",
    );
    let returned: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
    ids.extend(returned);
    Ok(())
}

/// Insert or update bills by (account, period).
async fn upsert_bills(conn: &mut SqliteConnection, rows: &[(i64, &ValidBill)]) -> Result<()> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO bills (account_id, period, kwh, amount_fen, paid_fen, due_date, late_fee_from, late_fee_received_fen, late_fee_waived_fen, late_fee_owed_fen, written_off) ",
    );
    q.push_values(rows, |mut row, (account_id, b)| {
        let w = &b.wire;
        row.push_bind(*account_id)
            .push_bind(i64::from(b.period.number()))
            .push_bind(b.kwh.clone())
            .push_bind(w.amount.fen())
            .push_bind(w.paid.fen())
            .push_bind(b.due_date.clone())
            .push_bind(b.late_fee_from.clone())
            .push_bind(w.late_fee_received.fen())
            .push_bind(w.late_fee_waived.fen())
            .push_bind(w.late_fee_owed.fen())
            .push_bind(i64::from(w.written_off));
    });
    q.push(
        " ON CONFLICT (account_id, period) DO UPDATE SET kwh = excluded.kwh, amount_fen = excluded.amount_fen, paid_fen = excluded.paid_fen,
             due_date = excluded.due_date, late_fee_from = excluded.late_fee_from, late_fee_received_fen = excluded.late_fee_received_fen,
             late_fee_waived_fen = excluded.late_fee_waived_fen, late_fee_owed_fen = excluded.late_fee_owed_fen, written_off = excluded.written_off",
    );
    q.build().execute(&mut *conn).await?;
    Ok(())
}
