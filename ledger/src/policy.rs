//! 政策下发: the policy and holiday calendar the ledger sends to every counter. An administrator
//! replaces them (`cashdesk-ledger policy set FILE`, `calendar load FILE`); each write bumps the
//! row's change stamp, so every counter pulls it on its next round. Both are validated with the
//! core's rules before anything is stored.

use cashdesk::{
    calendar::{Calendar, YearCalendar},
    policy::Policy,
};
use sqlx::{PgConnection, PgPool};

use crate::error::LedgerError;

/// Replace the policy (the core's `Policy` JSON).
pub async fn set(pool: &PgPool, json: &str) -> Result<Policy, LedgerError> {
    let policy = Policy::from_json(json).map_err(|e| LedgerError::BadRequest(e.to_string()))?;
    sqlx::query("INSERT INTO policy (id, body) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET body = $1")
        .bind(policy.to_json())
        .execute(pool)
        .await?;
    Ok(policy)
}

/// Load (or replace) one year's holiday notice; returns the year.
pub async fn load_calendar(pool: &PgPool, json: &str) -> Result<i32, LedgerError> {
    let notice = YearCalendar::from_json(json).map_err(|e| LedgerError::BadRequest(e.to_string()))?;
    let text = serde_json::to_string(&notice).map_err(|e| LedgerError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO calendar_years (year, notice) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET notice = $2",
    )
    .bind(notice.year)
    .bind(text)
    .execute(pool)
    .await?;
    Ok(notice.year)
}

/// The current policy as stored.
pub async fn get(pool: &PgPool) -> Result<Policy, LedgerError> {
    let mut conn = pool.acquire().await?;
    crate::events::load_policy(&mut conn).await
}

/// The ledger's calendar: the shipped notices and every year loaded since (what the overdue rules
/// of refunds and deposits count working days with).
pub async fn calendar(conn: &mut PgConnection) -> Result<Calendar, LedgerError> {
    let mut calendar = Calendar::shipped();
    let years: Vec<(String,)> = sqlx::query_as("SELECT notice FROM calendar_years").fetch_all(&mut *conn).await?;
    for (notice,) in years {
        let notice = YearCalendar::from_json(&notice)
            .map_err(|e| LedgerError::Internal(format!("a stored calendar year is invalid: {e}")))?;
        calendar.insert_year(notice).map_err(|e| LedgerError::Internal(format!("a stored calendar year: {e}")))?;
    }
    Ok(calendar)
}
