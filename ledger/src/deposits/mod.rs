//! 解款确认: deposits (解款) at the centre. A counter pushes each deposit it makes (`deposit`
//! events, stored by `events`); it is in transit (在途) until the centre confirms that the bank has
//! it — a finance user with the bank's reference ([`confirm`]), or a line of the bank's statement
//! with the same slip number and the same amount ([`match_statement`], the file read by
//! `statement`). The confirmation goes down to the counter that made the deposit with its pull
//! (`Change::Deposit`), which shows it as confirmed.
//!
//! Invariants:
//! - a deposit is confirmed once: a conditional UPDATE (`WHERE confirmed_at IS NULL`) under the
//!   row's lock; whoever comes second is told who confirmed it and when (`CONFLICT`), and a
//!   statement line that matches it again is reported as already confirmed, never applied twice. A
//!   trigger refuses any later change of a confirmed deposit, any change of what the counter
//!   reported, and every deletion (see the migration);
//! - each confirmation is one transaction with its change-log entry (kind 'd', to that terminal
//!   only) and its finance audit entry;
//! - never on a mismatch: a finance user types the amount the bank credited and it must be the
//!   deposit's (`DEPOSIT_AMOUNT`); a statement line confirms only a deposit with its slip number and
//!   exactly its amount, and only when that names one deposit (`statement::classify`);
//! - only the `finance` role confirms or imports a statement; an auditor reads.
//!
//! Money is NUMERIC(14,2) and a `Yuan`; it is a string in the JSON and in the statement file.

mod confirm;
mod list;
pub mod statement;

pub use confirm::{LineOutcome, LineReport, MatchReport, confirm, match_statement};
pub use list::list;

use cashdesk::{calendar::Calendar, money::Yuan, shifts::deposit::is_overdue};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    db::yuan,
    error::LedgerError,
    refunds::{china, shown},
};

/// Who a deposit confirmed by the bank's statement was confirmed by, as the counter is told: no
/// ledger user may have this name (`users::add`).
pub const STATEMENT: &str = "statement";

pub use crate::list_filters::{DEFAULT_LIMIT, MAX_LIMIT};

/// The longest bank reference taken: what a counter accepts in a pull (`sync::pull`).
pub const MAX_REFERENCE: usize = 100;

/// Where a deposit stands at the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepositState {
    /// 在途: the centre has not confirmed that the bank has it.
    InTransit,
    /// 已确认.
    Confirmed,
}

/// A deposit as the centre holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepositView {
    /// The deposit event's id.
    pub event_id: String,
    pub terminal: String,
    pub slip_no: String,
    /// The bank's code (`102`) and name.
    pub bank: String,
    pub bank_name: String,
    #[schema(value_type = String)]
    pub amount: Yuan,
    /// RFC 3339 (+08:00): the counter's time of the deposit.
    pub deposited_at: String,
    /// The cashier who took it to the bank.
    pub cashier: String,
    pub state: DepositState,
    /// In transit longer than the policy's working days (`deposits.overdue_working_days`).
    pub overdue: bool,
    /// RFC 3339 (+08:00).
    pub confirmed_at: Option<String>,
    /// The finance user who confirmed it, or `statement`.
    pub confirmed_by: Option<String>,
    /// The ledger user who confirmed it or imported the statement that matched it.
    pub confirmed_user: Option<String>,
    /// The bank's reference of the credit.
    pub reference: Option<String>,
    /// The day the bank credited it (`YYYY-MM-DD`), when known.
    pub credited_on: Option<String>,
}

/// A page of the list, with how many deposits match and what they add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepositList {
    pub items: Vec<DepositView>,
    pub total: i64,
    #[schema(value_type = String)]
    pub total_amount: Yuan,
}

/// The list's filters (a query string; every one optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepositQuery {
    /// `in_transit` or `confirmed`.
    #[param(value_type = Option<String>, pattern = r"^(in_transit|confirmed)$")]
    #[serde(default)]
    pub state: Option<DepositState>,
    /// Exactly this terminal.
    #[serde(default)]
    pub terminal: Option<String>,
    /// The terminals of an area: the part of their code before the first `-`.
    #[serde(default)]
    pub area: Option<String>,
    /// Deposited on or after (`YYYY-MM-DD`, the province's date).
    #[param(format = Date)]
    #[serde(default)]
    pub from: Option<String>,
    /// Deposited on or before (`YYYY-MM-DD`).
    #[param(format = Date)]
    #[serde(default)]
    pub to: Option<String>,
    /// Exactly this bank slip number.
    #[serde(default)]
    pub slip_no: Option<String>,
    /// Only those in transit longer than the policy's working days.
    #[serde(default)]
    pub overdue: Option<bool>,
    /// Rows per page: 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default)]
    pub limit: Option<u32>,
    /// Rows skipped: at most 1,000,000.
    #[param(minimum = 0, maximum = 1000000)]
    #[serde(default)]
    pub offset: Option<u32>,
}

/// 确认到账: a finance user's confirmation, as the bank shows the credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositConfirm {
    /// The bank's reference of the credit (流水号): at most 100 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub reference: String,
    /// The amount the bank credited: must be the deposit's amount.
    #[schema(pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub amount: String,
    /// The day the bank credited it (`YYYY-MM-DD`, not after today), if known.
    #[serde(default)]
    #[schema(format = Date)]
    pub credited_on: Option<String>,
}

/// The overdue rule as the ledger applies it: the policy's working days
/// (`deposits.overdue_working_days`) and the ledger's calendar, on the province's `today`.
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
        Ok(Overdue { days: policy.deposits.overdue_working_days, calendar, today })
    }

    /// Whether a deposit made at `at` (and confirmed or not) waits too long (the core's
    /// `shifts::deposit::is_overdue`, the counter's own rule).
    pub fn of(&self, at: DateTime<Utc>, confirmed: bool) -> bool {
        is_overdue(at.with_timezone(&china()).date_naive(), confirmed, self.today, self.days, &self.calendar)
    }
}

/// The columns of a [`Row`], from `deposits d`.
pub(crate) const COLUMNS: &str = "d.event_id, d.terminal, d.slip_no, d.bank, d.amount, d.deposited_at, d.cashier,
    d.confirmed_at, d.confirmed_by, d.confirmed_user, d.confirm_ref, d.credited_on";

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Row {
    pub event_id: Uuid,
    pub terminal: String,
    pub slip_no: String,
    pub bank: String,
    pub amount: Decimal,
    pub deposited_at: DateTime<Utc>,
    pub cashier: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<String>,
    pub confirmed_user: Option<String>,
    pub confirm_ref: Option<String>,
    pub credited_on: Option<NaiveDate>,
}

impl Row {
    pub fn view(&self, overdue: &Overdue) -> DepositView {
        let confirmed = self.confirmed_at.is_some();
        DepositView {
            event_id: self.event_id.to_string(),
            terminal: self.terminal.clone(),
            slip_no: self.slip_no.clone(),
            bank: self.bank.clone(),
            bank_name: cashdesk::payments::banks::name_of(&self.bank).to_string(),
            amount: yuan(self.amount),
            deposited_at: shown(self.deposited_at),
            cashier: self.cashier.clone(),
            state: if confirmed { DepositState::Confirmed } else { DepositState::InTransit },
            overdue: overdue.of(self.deposited_at, confirmed),
            confirmed_at: self.confirmed_at.map(shown),
            confirmed_by: self.confirmed_by.clone(),
            confirmed_user: self.confirmed_user.clone(),
            reference: self.confirm_ref.clone(),
            credited_on: self.credited_on.map(|d| d.to_string()),
        }
    }

    /// Who confirmed it and when, said for whoever comes second.
    fn confirmed(&self) -> Option<String> {
        let at = self.confirmed_at?;
        let by = match self.confirmed_by.as_deref() {
            Some(STATEMENT) => {
                format!("the bank statement (imported by {})", self.confirmed_user.as_deref().unwrap_or(""))
            }
            other => other.unwrap_or("").to_string(),
        };
        Some(format!(
            "deposit {} of {} (slip {}) was confirmed by {by} at {}{}",
            yuan(self.amount),
            self.terminal,
            self.slip_no,
            shown(at),
            self.confirm_ref.as_deref().map(|r| format!(", bank reference {r}")).unwrap_or_default()
        ))
    }
}

/// The deposit a typed id names: its event id (UUID), or its bank slip number when that names one
/// deposit.
pub(crate) async fn find(conn: &mut PgConnection, id: &str) -> Result<Uuid, LedgerError> {
    let id = id.trim();
    if let Ok(uuid) = Uuid::parse_str(id) {
        let found: Option<(Uuid,)> = sqlx::query_as("SELECT event_id FROM deposits WHERE event_id = $1")
            .bind(uuid)
            .fetch_optional(&mut *conn)
            .await?;
        return found.map(|(id,)| id).ok_or_else(|| not_found(id));
    }
    let slip = cashdesk::input::half_width(id).trim().to_string();
    let found: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT event_id, terminal, bank FROM deposits WHERE slip_no = $1 ORDER BY deposited_at LIMIT 10",
    )
    .bind(&slip)
    .fetch_all(&mut *conn)
    .await?;
    match found.as_slice() {
        [] => Err(not_found(id)),
        [(event_id, ..)] => Ok(*event_id),
        many => Err(LedgerError::Rule(
            "DEPOSIT_AMBIGUOUS",
            format!(
                "slip {slip} names {} deposits ({}): give the deposit's id",
                many.len(),
                many.iter().map(|(id, t, b)| format!("{id} of {t} at bank {b}")).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn not_found(id: &str) -> LedgerError {
    LedgerError::NotFound(format!(
        "there is no deposit {id} at the centre: it may not have been synced from its counter yet"
    ))
}

/// One deposit as it stands now.
pub(crate) async fn read(conn: &mut PgConnection, event_id: Uuid, lock: bool) -> Result<Row, LedgerError> {
    let sql =
        format!("SELECT {COLUMNS} FROM deposits d WHERE d.event_id = $1{}", if lock { " FOR UPDATE" } else { "" });
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(&event_id.to_string()))
}
