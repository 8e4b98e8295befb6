//! 导入: accounts and bills from the province's CSV files, in the same formats as `cashdeskctl import`
//! (parsed by the core's `accounts::import`). All or nothing: one transaction, and a file with any bad
//! row, a 户号 already present or a bill for an unknown account changes nothing.
//!
//! After an import the table's planner statistics are refreshed (`ANALYZE`) rather than left to
//! autovacuum: a first import takes a table from empty to a million rows, and until then PostgreSQL
//! plans every query as if it were still empty.

use cashdesk::accounts::import::{parse_accounts, parse_bills};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::error::LedgerError;

const CHUNK: usize = 10_000;

fn bad(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::BadRequest(e.to_string())
}

/// Refresh a table's planner statistics after an import (`sql` is `ANALYZE table`). The import is
/// committed by then: a failure here is logged, not returned, so that nobody imports the same file
/// again.
async fn analyze(pool: &PgPool, sql: &'static str) {
    if let Err(e) = sqlx::query(sql).execute(pool).await {
        tracing::warn!(statement = sql, error = %e, "imported, but the statistics were not refreshed; autovacuum will");
    }
}

/// Import accounts; returns how many.
pub async fn accounts(pool: &PgPool, bytes: &[u8]) -> Result<u64, LedgerError> {
    let rows = parse_accounts(bytes).map_err(bad)?;
    let mut tx = pool.begin().await?;
    let mut n = 0;
    for chunk in rows.chunks(CHUNK) {
        let nos: Vec<&str> = chunk.iter().map(|(_, a)| a.account_no.as_str()).collect();
        let dup: Option<(String,)> =
            sqlx::query_as("SELECT account_no FROM accounts WHERE account_no = ANY($1) LIMIT 1")
                .bind(&nos)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((no,)) = dup {
            return Err(LedgerError::BadRequest(format!(
                "account {no} is already in the ledger: nothing was imported"
            )));
        }
        let res = sqlx::query(
            "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone, id_number,
                                   prepaid_balance, risk)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                                  $8::text[], $9::text[], $10::numeric[], $11::text[])",
        )
        .bind(&nos)
        .bind(chunk.iter().map(|(_, a)| a.name.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.address.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.category.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.billing_mode.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.meter_no.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.multiplier).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.phone.as_deref()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.id_number.as_deref()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a)| a.prepaid_balance.decimal()).collect::<Vec<Decimal>>())
        .bind(chunk.iter().map(|(_, a)| a.risk.map(|r| r.as_str())).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        n += res.rows_affected();
    }
    tx.commit().await?;
    analyze(pool, "ANALYZE accounts").await;
    Ok(n)
}

/// Import bills; returns how many.
pub async fn bills(pool: &PgPool, bytes: &[u8]) -> Result<u64, LedgerError> {
    let rows = parse_bills(bytes).map_err(bad)?;
    let mut tx = pool.begin().await?;
    let mut n = 0;
    for chunk in rows.chunks(CHUNK) {
        let nos: Vec<&str> = chunk.iter().map(|(_, b)| b.account_no.as_str()).collect();
        let periods: Vec<i32> = chunk.iter().map(|(_, b)| i32::try_from(b.period.number()).unwrap_or(0)).collect();
        let missing: Option<(String,)> = sqlx::query_as(
            "SELECT n FROM UNNEST($1::text[]) AS u(n) WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE account_no = u.n) LIMIT 1",
        )
        .bind(&nos)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((no,)) = missing {
            return Err(LedgerError::BadRequest(format!(
                "a bill is for account {no}, which the ledger does not have: nothing was imported"
            )));
        }
        let res = sqlx::query(
            "INSERT INTO bills (account_id, period, kwh, amount, paid, due_date, late_fee_from)
             SELECT a.id, u.period, u.kwh, u.amount, u.paid, u.due, u.due
             FROM UNNEST($1::text[], $2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::date[])
                  AS u(no, period, kwh, amount, paid, due)
             JOIN accounts a ON a.account_no = u.no
             ON CONFLICT (account_id, period) DO NOTHING",
        )
        .bind(&nos)
        .bind(&periods)
        .bind(chunk.iter().map(|(_, b)| b.kwh.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, b)| b.amount.decimal()).collect::<Vec<Decimal>>())
        .bind(chunk.iter().map(|(_, b)| b.paid.decimal()).collect::<Vec<Decimal>>())
        .bind(chunk.iter().map(|(_, b)| b.due_date).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() != chunk.len() as u64 {
            return Err(LedgerError::BadRequest(
                "a bill's account and period are already billed: nothing was imported".into(),
            ));
        }
        n += res.rows_affected();
    }
    tx.commit().await?;
    analyze(pool, "ANALYZE bills").await;
    Ok(n)
}
