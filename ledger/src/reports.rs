//! 查询: what an administrator asks the ledger — an account as the centre sees it, a terminal's
//! totals (count and sum of money events by kind), and the conflicts waiting for review.

use cashdesk::money::Yuan;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use crate::{db::yuan as y, error::LedgerError};

#[derive(Debug, Serialize)]
pub struct AccountView {
    pub account_no: String,
    pub name: String,
    pub category: String,
    pub billing_mode: String,
    pub closed: bool,
    pub prepaid_balance: Yuan,
    pub suspense: Yuan,
    pub bills: Vec<BillView>,
}

#[derive(Debug, Serialize)]
pub struct BillView {
    pub period: i32,
    pub amount: Yuan,
    pub paid: Yuan,
    pub outstanding: Yuan,
    pub due_date: NaiveDate,
    pub late_fee_from: NaiveDate,
    pub late_fee_received: Yuan,
    pub late_fee_waived: Yuan,
    pub late_fee_owed: Yuan,
}

type BillRow = (i32, Decimal, Decimal, NaiveDate, NaiveDate, Decimal, Decimal, Decimal);

pub async fn account(pool: &PgPool, account_no: &str) -> Result<Option<AccountView>, LedgerError> {
    let row: Option<(i64, String, String, String, bool, Decimal)> = sqlx::query_as(
        "SELECT id, name, category, billing_mode, closed, prepaid_balance FROM accounts WHERE account_no = $1",
    )
    .bind(account_no)
    .fetch_optional(pool)
    .await?;
    let Some((id, name, category, billing_mode, closed, prepaid)) = row else { return Ok(None) };
    let (suspense,): (Decimal,) = sqlx::query_as("SELECT COALESCE(SUM(amount), 0) FROM suspense WHERE account_no = $1")
        .bind(account_no)
        .fetch_one(pool)
        .await?;
    let bills: Vec<BillRow> = sqlx::query_as(
        "SELECT period, amount, paid, due_date, late_fee_from, late_fee_received, late_fee_waived, late_fee_owed
         FROM bills WHERE account_id = $1 ORDER BY period",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Some(AccountView {
        account_no: account_no.to_string(),
        name,
        category,
        billing_mode,
        closed,
        prepaid_balance: y(prepaid),
        suspense: y(suspense),
        bills: bills
            .into_iter()
            .map(|(period, amount, paid, due, from, received, waived, owed)| BillView {
                period,
                amount: y(amount),
                paid: y(paid),
                outstanding: y(amount - paid),
                due_date: due,
                late_fee_from: from,
                late_fee_received: y(received),
                late_fee_waived: y(waived),
                late_fee_owed: y(owed),
            })
            .collect(),
    }))
}

/// Count and sum of a terminal's money events by kind (every stored event: applied or flagged).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct KindTotal {
    pub kind: String,
    pub count: i64,
    pub sum: Yuan,
}

pub async fn totals(pool: &PgPool, terminal: &str) -> Result<Vec<KindTotal>, LedgerError> {
    let rows: Vec<(String, i64, Decimal)> = sqlx::query_as(
        "SELECT kind, COUNT(*), COALESCE(SUM(amount), 0) FROM events WHERE terminal = $1 GROUP BY kind ORDER BY kind",
    )
    .bind(terminal)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(kind, count, sum)| KindTotal { kind, count, sum: y(sum) }).collect())
}

#[derive(Debug, Serialize)]
pub struct ConflictView {
    pub id: i64,
    pub kind: String,
    /// None for a flag about the terminal rather than one event (an audit chain head, `audit_heads`).
    pub event_id: Option<String>,
    pub terminal: String,
    pub account_no: Option<String>,
    pub amount: Option<Yuan>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// Conflicts not yet resolved, oldest first.
pub async fn conflicts(pool: &PgPool) -> Result<Vec<ConflictView>, LedgerError> {
    type Row = (i64, String, Option<uuid::Uuid>, String, Option<String>, Option<Decimal>, String, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, event_id, terminal, account_no, amount, detail, created_at FROM conflicts
         WHERE resolved_at IS NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, event_id, terminal, account_no, amount, detail, created_at)| ConflictView {
            id,
            kind,
            event_id: event_id.map(|e| e.to_string()),
            terminal,
            account_no,
            amount: amount.map(y),
            detail,
            created_at,
        })
        .collect())
}
