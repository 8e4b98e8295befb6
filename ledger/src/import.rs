//! 导入: accounts and bills from the province's CSV files, in the same formats as `cashdeskctl import`
//! (parsed by the core's `accounts::import`). All or nothing: one transaction, and a file with any bad
//! row, a 户号 already present or a bill for an unknown account changes nothing.
//!
//! 供电区域: every account is in an area, which decides which terminals' pulls carry it. The file's
//! `area` column gives it per row; a file without the column needs the area for all its rows
//! (`import accounts FILE --area AREA`); a row's own area wins. An import where some account would
//! have no area changes nothing. Accounts imported before areas existed get theirs from
//! [`areas`] (`import areas FILE`: `account_no,area`).
//!
//! ID-card numbers are sealed with the ledger's data key (`datakey::ID_NUMBER`) before they are
//! stored: the clear number is never written to PostgreSQL.
//!
//! After an import the table's planner statistics are refreshed (`ANALYZE`) rather than left to
//! autovacuum: a first import takes a table from empty to a million rows, and until then PostgreSQL
//! plans every query as if it were still empty.

use cashdesk::{
    accounts::import::{parse_accounts_in_areas, parse_bills},
    config::Area,
    datakey::DataKey,
};
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

/// Import accounts, in `area` where a row names none; returns how many. ID numbers are sealed with `key`.
pub async fn accounts(pool: &PgPool, key: &DataKey, bytes: &[u8], area: Option<&Area>) -> Result<u64, LedgerError> {
    let rows = parse_accounts_in_areas(bytes).map_err(bad)?;
    let mut areas = Vec::with_capacity(rows.len());
    let mut sealed = Vec::with_capacity(rows.len());
    for (line, a, own) in &rows {
        let Some(area) = own.as_ref().or(area) else {
            return Err(LedgerError::BadRequest(format!(
                "line {line}: account {} has no area: add an `area` column to the file or give --area; nothing was imported",
                a.account_no
            )));
        };
        areas.push(area.as_str());
        let id =
            a.id_number.as_deref().map(|n| key.seal(crate::datakey::ID_NUMBER, n)).transpose().map_err(|e| {
                LedgerError::Internal(format!("cannot seal ID numbers with the ledger's data key: {e}"))
            })?;
        sealed.push(id);
    }
    let mut tx = pool.begin().await?;
    let mut done = 0;
    let mut n = 0;
    for chunk in rows.chunks(CHUNK) {
        let (areas, sealed) = (&areas[done..done + chunk.len()], &sealed[done..done + chunk.len()]);
        done += chunk.len();
        let nos: Vec<&str> = chunk.iter().map(|(_, a, _)| a.account_no.as_str()).collect();
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
            "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone,
                                   id_number_sealed, prepaid_balance, risk, area)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                                  $8::text[], $9::text[], $10::numeric[], $11::text[], $12::text[])",
        )
        .bind(&nos)
        .bind(chunk.iter().map(|(_, a, _)| a.name.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.address.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.category.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.billing_mode.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.meter_no.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.multiplier).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, a, _)| a.phone.as_deref()).collect::<Vec<_>>())
        .bind(sealed)
        .bind(chunk.iter().map(|(_, a, _)| a.prepaid_balance.decimal()).collect::<Vec<Decimal>>())
        .bind(chunk.iter().map(|(_, a, _)| a.risk.map(|r| r.as_str())).collect::<Vec<_>>())
        .bind(areas)
        .execute(&mut *tx)
        .await?;
        n += res.rows_affected();
    }
    tx.commit().await?;
    analyze(pool, "ANALYZE accounts").await;
    Ok(n)
}

/// Give accounts already in the ledger their areas from a CSV file `account_no,area` (accounts
/// imported before areas existed); returns how many. All or nothing: an unknown 户号 or a bad area
/// changes nothing.
pub async fn areas(pool: &PgPool, bytes: &[u8]) -> Result<u64, LedgerError> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("the file is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().map_err(bad)?.iter().map(|h| h.trim().to_string()).collect();
    if header != ["account_no", "area"] {
        return Err(bad(format!("the header must be exactly `account_no,area` but is `{}`", header.join(","))));
    }
    let (mut nos, mut areas) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let r = record.map_err(bad)?;
        let line = r.position().map_or(0, |p| p.line());
        let no = cashdesk::accounts::AccountNo::parse(r.get(0).unwrap_or("").trim())
            .map_err(|e| bad(format!("line {line}: {e}")))?;
        let area = Area::parse(r.get(1).unwrap_or("")).map_err(|e| bad(format!("line {line}: {e}")))?;
        nos.push(no.as_str().to_string());
        areas.push(area.as_str().to_string());
    }
    let mut tx = pool.begin().await?;
    let res = sqlx::query(
        "UPDATE accounts a SET area = u.area FROM UNNEST($1::text[], $2::text[]) AS u(no, area)
         WHERE a.account_no = u.no AND a.area IS DISTINCT FROM u.area",
    )
    .bind(&nos)
    .bind(&areas)
    .execute(&mut *tx)
    .await?;
    let missing: Option<(String,)> = sqlx::query_as(
        "SELECT n FROM UNNEST($1::text[]) AS u(n) WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE account_no = u.n) LIMIT 1",
    )
    .bind(&nos)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((no,)) = missing {
        return Err(LedgerError::BadRequest(format!("the ledger has no account {no}: nothing was changed")));
    }
    tx.commit().await?;
    Ok(res.rows_affected())
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
