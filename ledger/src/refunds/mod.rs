//! 退费复核: refund requests at the centre — what the finance API and the command line read and do.
//! The rules are the core's (`cashdesk::refunds`): this module loads a request, asks them, and
//! stores what they answer. Requests arrive in pushes (`events`); finance users act here.
//!
//! Invariants:
//! - a decision is a conditional UPDATE (`WHERE state = 'at_ledger'`): of two reviewers acting at
//!   once exactly one wins; the other is told who did what and when (`CONFLICT`), and so is anyone
//!   acting on a request that finance has already decided or paid;
//! - nobody reviews a request they submitted or approved at a hall (`refunds::may_act`, `REFUND_OWN`);
//!   only the `finance` role decides and pays, an auditor reads (`FORBIDDEN`);
//! - a payout pays exactly the amount approved (`check_payout`), never a flagged request
//!   (`REFUND_FLAGGED`), and lowers the account's prepaid balance in the same transaction as the
//!   state change; both are logged for the counters' pulls in it (the request before its account,
//!   and a pull sends a request with its account: the counter gets both in one page);
//! - every step is in `refund_history` and in the finance audit (`audit`), in the same transaction;
//! - what an account's requests hold at the centre is the sum of its requests whose state holds
//!   (`State::holds`) and that are not flagged: a flagged request is never paid;
//! - the payee's whole account number never leaves the database: the list and the detail show the
//!   masked form.

mod decide;
mod list;

pub use decide::{decide, pay};
pub use list::{list, overdue_cutoff};

use cashdesk::{
    calendar::Calendar,
    money::Yuan,
    refunds::{Reason, State, is_overdue},
    sync::{
        finance::{RefundDetail, RefundStep, RefundSummary},
        wire::RefundDocs,
    },
};
use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{db::yuan, error::LedgerError};

/// The actor of the steps the centre takes itself (a request received, a request flagged).
pub const CENTRE: &str = "账务中心";

pub use crate::list_filters::{DEFAULT_LIMIT, MAX_LIMIT};

/// The province's time (UTC+8): the ledger shows its times and takes its dates in it, whatever
/// the server's own zone.
pub fn china() -> FixedOffset {
    // 8 hours is within the ±24 hours `east_opt` takes: the fallback (UTC) is never used.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The states that hold the amount, as the core says (bound into queries as a list).
pub fn holding_states() -> Vec<&'static str> {
    State::ALL.into_iter().filter(|s| s.holds()).map(State::as_str).collect()
}

/// The states that are not final (a request in one can be overdue).
pub fn open_states() -> Vec<&'static str> {
    State::ALL.into_iter().filter(|s| !s.is_final()).map(State::as_str).collect()
}

/// A time as the ledger shows it (RFC 3339, +08:00).
pub(crate) fn shown(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).to_rfc3339()
}

/// The first moment of a day in the province, as a time to compare with.
pub(crate) fn start_of(day: NaiveDate) -> Result<DateTime<Utc>, LedgerError> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| LedgerError::BadRequest(format!("{day} is out of range")))
}

/// The overdue rule as the ledger applies it: the policy's working days and the ledger's calendar
/// (the shipped notices and those loaded since), on the province's `today`.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub days: u32,
    pub calendar: Calendar,
    pub today: NaiveDate,
}

impl Overdue {
    pub async fn load(conn: &mut PgConnection, today: NaiveDate) -> Result<Overdue, LedgerError> {
        let policy = crate::events::load_policy(conn).await?;
        let calendar = crate::policy::calendar(conn).await?;
        Ok(Overdue { days: policy.refunds.overdue_working_days, calendar, today })
    }

    /// Whether a request in `state` submitted at `at` waits too long (`refunds::is_overdue`).
    pub fn of(&self, state: State, at: DateTime<Utc>) -> bool {
        is_overdue(state, at.with_timezone(&china()).date_naive(), self.today, self.days, &self.calendar)
    }
}

/// Which of an account's unflagged holding requests its balance no longer covers: the newest ones,
/// until what the rest hold fits in the balance (the older requests keep their turn). `holds` is
/// oldest first.
pub fn uncovered(balance: Yuan, holds: &[(Uuid, Yuan)]) -> Vec<Uuid> {
    let mut held: Yuan = holds.iter().fold(Yuan::ZERO, |sum, (_, amount)| sum + *amount);
    let mut out = Vec::new();
    for (id, amount) in holds.iter().rev() {
        if held <= balance {
            break;
        }
        held -= *amount;
        out.push(*id);
    }
    out
}

/// The request a typed id names: its UUID, or its request number (`GY01-03-TF-2026-000001`).
pub(crate) async fn find(conn: &mut PgConnection, id: &str) -> Result<Uuid, LedgerError> {
    let id = id.trim();
    let found: Option<(Uuid,)> = match Uuid::parse_str(id) {
        Ok(uuid) => {
            sqlx::query_as("SELECT refund_id FROM refunds WHERE refund_id = $1")
                .bind(uuid)
                .fetch_optional(&mut *conn)
                .await?
        }
        Err(_) => {
            sqlx::query_as("SELECT refund_id FROM refunds WHERE request_no = $1 ORDER BY submitted_at DESC LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    found.map(|(id,)| id).ok_or_else(|| LedgerError::NotFound(format!("there is no refund request {id} at the centre")))
}

/// The columns of a list row (`SummaryRow`), from `refunds r LEFT JOIN accounts a`.
const SUMMARY_COLUMNS: &str = "r.refund_id, r.request_no, r.terminal, r.account_no, a.name AS account_name, r.amount,
    r.reason, r.state, r.submitted_at, r.submitted_by, r.payee_name, r.payee_account_masked";

#[derive(Debug, sqlx::FromRow)]
struct SummaryRow {
    refund_id: Uuid,
    request_no: String,
    terminal: String,
    account_no: String,
    account_name: Option<String>,
    amount: Decimal,
    reason: String,
    state: String,
    submitted_at: DateTime<Utc>,
    submitted_by: String,
    payee_name: String,
    payee_account_masked: String,
}

pub(crate) fn parse_state(s: &str) -> Result<State, LedgerError> {
    State::parse(s).ok_or_else(|| LedgerError::Internal(format!("a refund has an unknown state {s}")))
}

impl SummaryRow {
    fn summary(self, overdue: &Overdue) -> Result<RefundSummary, LedgerError> {
        let state = parse_state(&self.state)?;
        Ok(RefundSummary {
            refund_id: self.refund_id.to_string(),
            request_no: self.request_no,
            terminal: self.terminal,
            account_no: self.account_no,
            account_name: self.account_name.unwrap_or_default(),
            amount: yuan(self.amount),
            reason: Reason::parse(&self.reason)
                .ok_or_else(|| LedgerError::Internal(format!("a refund has an unknown reason {}", self.reason)))?,
            state,
            overdue: overdue.of(state, self.submitted_at),
            submitted_at: shown(self.submitted_at),
            submitted_by: self.submitted_by,
            payee_name: self.payee_name,
            payee_account_masked: self.payee_account_masked,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    reason_text: Option<String>,
    payee_bank: String,
    payee_branch: String,
    payee_reason: Option<String>,
    docs: String,
    duplicate_of: Option<String>,
    hall_by: Option<String>,
    hall_at: Option<DateTime<Utc>>,
    finance_by: Option<String>,
    finance_at: Option<DateTime<Utc>>,
    finance_reason: Option<String>,
    paid_amount: Option<Decimal>,
    payout_date: Option<NaiveDate>,
    payout_ref: Option<String>,
    flag: Option<String>,
    balance: Decimal,
    held: Decimal,
}

/// A request with everything the counter sent, the account's balance and holds at the centre, and
/// its whole history. `today` is the province's date (for `overdue`).
pub async fn detail(pool: &PgPool, id: &str, today: NaiveDate) -> Result<RefundDetail, LedgerError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let refund_id = find(&mut tx, id).await?;
    let detail = read_detail(&mut tx, refund_id, today).await?;
    tx.commit().await?;
    Ok(detail)
}

pub(crate) async fn read_detail(
    conn: &mut PgConnection,
    refund_id: Uuid,
    today: NaiveDate,
) -> Result<RefundDetail, LedgerError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, r.reason_text, r.payee_bank, r.payee_branch, r.payee_reason, r.docs::text AS docs,
                r.duplicate_of, r.hall_by, r.hall_at, r.finance_by, r.finance_at, r.finance_reason, r.paid_amount,
                r.payout_date, r.payout_ref, r.flag, COALESCE(a.prepaid_balance, 0) AS balance,
                (SELECT COALESCE(SUM(h.amount), 0) FROM refunds h
                 WHERE h.account_no = r.account_no AND h.state = ANY($2) AND h.flag IS NULL) AS held
         FROM refunds r LEFT JOIN accounts a ON a.account_no = r.account_no WHERE r.refund_id = $1"
    );
    let row: DetailRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(refund_id)
        .bind(holding_states())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| LedgerError::NotFound(format!("there is no refund request {refund_id} at the centre")))?;
    type StepRow = (DateTime<Utc>, String, String, String, Option<String>);
    let history: Vec<StepRow> =
        sqlx::query_as("SELECT at, actor, step, state, note FROM refund_history WHERE refund_id = $1 ORDER BY id")
            .bind(refund_id)
            .fetch_all(&mut *conn)
            .await?;
    let overdue = Overdue::load(conn, today).await?;
    let docs: RefundDocs = serde_json::from_str(&row.docs)
        .map_err(|e| LedgerError::Internal(format!("refund {refund_id} has unreadable documents: {e}")))?;
    Ok(RefundDetail {
        summary: row.summary.summary(&overdue)?,
        reason_text: row.reason_text,
        payee_bank: row.payee_bank,
        payee_branch: row.payee_branch,
        payee_reason: row.payee_reason,
        docs,
        duplicate_of: row.duplicate_of,
        hall_by: row.hall_by,
        hall_at: row.hall_at.map(shown),
        finance_by: row.finance_by,
        finance_at: row.finance_at.map(shown),
        finance_reason: row.finance_reason,
        paid_amount: row.paid_amount.map(yuan),
        payout_date: row.payout_date.map(|d| d.to_string()),
        payout_ref: row.payout_ref,
        account_balance: yuan(row.balance),
        account_held: yuan(row.held),
        flag: row.flag,
        history: history
            .into_iter()
            .map(|(at, actor, step, state, note)| {
                Ok(RefundStep { at: shown(at), actor, step, state: parse_state(&state)?, note })
            })
            .collect::<Result<_, LedgerError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    /// (balance, holds oldest first, how many are flagged)
    const UNCOVERED: &[(&str, &[&str], usize)] = &[
        ("300.00", &["100.00", "200.00"], 0),
        ("250.00", &["100.00", "200.00"], 1),
        ("50.00", &["100.00", "200.00"], 2),
        ("0.00", &["0.01"], 1),
        ("150.00", &["100.00", "10.00", "60.00"], 1),
        ("0.00", &[], 0),
    ];

    #[test]
    fn a_balance_that_no_longer_covers_its_holds_flags_the_newest() {
        for (balance, holds, flagged) in UNCOVERED {
            let holds: Vec<(Uuid, Yuan)> = holds.iter().map(|a| (Uuid::now_v7(), y(a))).collect();
            let out = uncovered(y(balance), &holds);
            // The newest go first, only as many as needed, and what stays fits in the balance.
            let expected: Vec<Uuid> = holds.iter().rev().take(*flagged).map(|h| h.0).collect();
            assert_eq!(out, expected, "balance {balance}");
            let kept = holds.iter().filter(|h| !out.contains(&h.0)).fold(Yuan::ZERO, |s, h| s + h.1);
            assert!(kept <= y(balance), "balance {balance}");
        }
    }

    #[test]
    fn the_state_lists_are_the_cores() {
        assert_eq!(holding_states(), ["submitted", "hall_approved", "at_ledger", "finance_approved"]);
        assert_eq!(open_states(), ["submitted", "hall_approved", "at_ledger", "finance_approved"]);
        assert_eq!(shown("2026-12-06T02:00:00Z".parse().unwrap()), "2026-12-06T10:00:00+08:00");
        assert_eq!(start_of("2026-12-06".parse().unwrap()).unwrap().to_rfc3339(), "2026-12-05T16:00:00+00:00");
    }
}
