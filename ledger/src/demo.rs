//! 演示省份: `cashdesk-ledger import demo` fills an empty ledger with the same demo accounts and bills
//! that `make run` seeds at the demo counter (the core's `demo`, same seed, dated from today), so a
//! demo counter enrolled with this ledger pulls data it already knows. The accounts are in the demo
//! terminal's area (`DEMO`), their ID numbers sealed with the ledger's data key.

use cashdesk::{
    accounts::db::ID_NUMBER_COLUMN,
    config::TerminalCode,
    datakey::KeySource,
    desk::{Desk, InitOptions},
    money::Yuan,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::error::LedgerError;

type AccountRow =
    (String, String, String, String, String, String, i64, Option<String>, Option<String>, i64, Option<String>, i64);
type BillRow = (String, i64, String, i64, i64, String, String, i64, i64, i64, i64);

fn internal(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Internal(format!("cannot build the demo data: {e}"))
}

fn dec(fen: i64) -> Decimal {
    Yuan::from_fen(fen).decimal()
}

fn date(s: &str) -> Result<NaiveDate, LedgerError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(internal)
}

/// Seed the demo accounts and bills; refuses a ledger that already has accounts. Returns (accounts, bills).
pub async fn seed(pool: &PgPool, ledger_key: &cashdesk::datakey::DataKey) -> Result<(usize, usize), LedgerError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts").fetch_one(pool).await?;
    if n > 0 {
        return Err(LedgerError::BadRequest("the ledger already has accounts: the demo goes into an empty one".into()));
    }
    let dir = tempfile::tempdir().map_err(internal)?;
    let terminal = TerminalCode::parse(cashdesk::demo::TERMINAL).map_err(internal)?;
    let path = dir.path().join("demo.sqlite");
    // The demo counter seals ID numbers with its data key: a throwaway key in the temp directory
    // (never the OS keyring), used below to give the ledger the numbers in clear, as a province's
    // import would.
    let mut desk = Desk::open(&path, InitOptions { terminal: Some(terminal.clone()), utility: None })
        .await
        .map_err(internal)?
        .with_data_key_source(KeySource::File(KeySource::file_for(&path)));
    desk.seed_demo().await.map_err(internal)?;
    let key = desk.data_key().await.map_err(internal)?;
    let accounts: Vec<AccountRow> = sqlx::query_as(
        "SELECT account_no, name, address, category, billing_mode, meter_no, multiplier, phone, id_number,
                prepaid_balance_fen, risk, closed FROM accounts ORDER BY id",
    )
    .fetch_all(desk.pool())
    .await
    .map_err(internal)?;
    let accounts = accounts
        .into_iter()
        .map(|mut a| {
            // Opened with the demo counter's key, sealed again with the ledger's.
            let plain = a.8.map(|sealed| key.open(ID_NUMBER_COLUMN, &sealed)).transpose()?;
            a.8 = plain.map(|n| ledger_key.seal(crate::datakey::ID_NUMBER, &n)).transpose()?;
            Ok(a)
        })
        .collect::<Result<Vec<AccountRow>, cashdesk::Error>>()
        .map_err(internal)?;
    let bills: Vec<BillRow> = sqlx::query_as(
        "SELECT a.account_no, b.period, b.kwh, b.amount_fen, b.paid_fen, b.due_date, b.late_fee_from,
                b.late_fee_received_fen, b.late_fee_waived_fen, b.late_fee_owed_fen, b.written_off
         FROM bills b JOIN accounts a ON a.id = b.account_id ORDER BY b.id",
    )
    .fetch_all(desk.pool())
    .await
    .map_err(internal)?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone,
                               id_number_sealed, prepaid_balance, risk, closed, area)
         SELECT *, $13 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                              $8::text[], $9::text[], $10::numeric[], $11::text[], $12::bool[])",
    )
    .bind(accounts.iter().map(|a| a.0.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.1.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.2.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.3.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.4.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.5.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.6).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.7.as_deref()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.8.as_deref()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| dec(a.9)).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.10.as_deref()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.11 != 0).collect::<Vec<_>>())
    .bind(terminal.area().as_str())
    .execute(&mut *tx)
    .await?;
    let due = bills.iter().map(|b| date(&b.5)).collect::<Result<Vec<_>, _>>()?;
    let from = bills.iter().map(|b| date(&b.6)).collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO bills (account_id, period, kwh, amount, paid, due_date, late_fee_from, late_fee_received,
                            late_fee_waived, late_fee_owed, written_off)
         SELECT a.id, u.period, u.kwh, u.amount, u.paid, u.due, u.fee_from, u.received, u.waived, u.owed, u.written_off
         FROM UNNEST($1::text[], $2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::date[], $7::date[],
                     $8::numeric[], $9::numeric[], $10::numeric[], $11::bool[])
              AS u(no, period, kwh, amount, paid, due, fee_from, received, waived, owed, written_off)
         JOIN accounts a ON a.account_no = u.no",
    )
    .bind(bills.iter().map(|b| b.0.as_str()).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| i32::try_from(b.1).unwrap_or(0)).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| b.2.as_str()).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| dec(b.3)).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| dec(b.4)).collect::<Vec<_>>())
    .bind(&due)
    .bind(&from)
    .bind(bills.iter().map(|b| dec(b.7)).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| dec(b.8)).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| dec(b.9)).collect::<Vec<_>>())
    .bind(bills.iter().map(|b| b.10 != 0).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((accounts.len(), bills.len()))
}
