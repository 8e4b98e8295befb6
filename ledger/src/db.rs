//! The ledger's PostgreSQL pool and schema (`ledger/migrations`, applied by `cashdesk-ledger migrate`
//! and on `serve`). A fresh database gets the shipped policy and calendar years, so counters pull a
//! complete policy on their first sync.

use cashdesk::{calendar::shipped_notices, money::Yuan, policy::Policy};
use rust_decimal::Decimal;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::error::LedgerError;

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, LedgerError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| LedgerError::Unavailable(format!("cannot connect to the ledger database: {e}")))
}

/// Apply the migrations and seed the policy and calendar when missing.
pub async fn migrate(pool: &PgPool) -> Result<(), LedgerError> {
    sqlx::migrate!("./migrations")
        .run(pool)
        .await
        .map_err(|e| LedgerError::Internal(format!("cannot migrate the ledger database: {e}")))?;
    sqlx::query("INSERT INTO policy (id, body) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(Policy::default().to_json())
        .execute(pool)
        .await?;
    for notice in shipped_notices() {
        let json = serde_json::to_string(&notice)
            .map_err(|e| LedgerError::Internal(format!("cannot write a calendar year: {e}")))?;
        sqlx::query("INSERT INTO calendar_years (year, notice) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING")
            .bind(notice.year)
            .bind(json)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// A NUMERIC(14,2) amount read from the database as a `Yuan` (exact: the column has two decimals).
pub fn yuan(d: Decimal) -> Yuan {
    Yuan::from_decimal_half_up(d)
}
