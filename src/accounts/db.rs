//! The `accounts`, `accounts_fts` and `bills` tables. Money crosses this edge as INTEGER fen.
//!
//! Search strategy (fast at 1,000,000 accounts, see `benches/lookup.rs`):
//! - digits only: 户号 prefix and 表号 prefix, both by index range scans;
//! - 3 characters or more: substring of name, address or meter number via the FTS5 trigram index;
//! - 1–2 characters (a surname, a two-character name): name prefix by index range scan, in index
//!   order (name, then rowid) so the scan stops after the first hits instead of sorting them all.
//!
//! At most [`SEARCH_LIMIT`] hits, exact 户号 first.

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use super::{Account, AccountHit, AccountNo, Bill, BillingMode, Category, Period, RiskMark};
use crate::{Error, Result, money::Yuan};

pub const SEARCH_LIMIT: i64 = 50;

type AccountRaw = (i64, String, String, String, String, String, String, i64, Option<String>, i64, Option<String>, i64);
macro_rules! account_columns {
    () => {
        "id, account_no, name, address, category, billing_mode, meter_no, multiplier, phone, prepaid_balance_fen, risk, closed"
    };
}

fn corrupt(what: &str, value: &str) -> Error {
    Error::Internal(format!("stored {what} '{value}' is not valid"))
}

fn account_from(r: AccountRaw) -> Result<Account> {
    let (id, no, name, address, category, mode, meter_no, multiplier, phone, balance, risk, closed) = r;
    Ok(Account {
        id,
        account_no: AccountNo::parse(&no)?,
        name,
        address,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", &category))?,
        billing_mode: BillingMode::parse(&mode).ok_or_else(|| corrupt("billing mode", &mode))?,
        meter_no,
        multiplier,
        phone,
        prepaid_balance: Yuan::from_fen(balance),
        risk: match risk {
            Some(r) => Some(RiskMark::parse(&r).ok_or_else(|| corrupt("risk mark", &r))?),
            None => None,
        },
        closed: closed != 0,
    })
}

/// An account by 户号; one parameter, the number. Decode with [`account_from_row`], which ignores
/// columns after these (a caller batching statements may tag its rows there).
pub const BY_NO: &str = concat!("SELECT ", account_columns!(), " FROM accounts WHERE account_no = ?");

/// Decode a row of [`BY_NO`].
pub fn account_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Account> {
    account_from(<AccountRaw as sqlx::FromRow<sqlx::sqlite::SqliteRow>>::from_row(row)?)
}

pub async fn by_no(conn: &mut SqliteConnection, no: &AccountNo) -> Result<Option<Account>> {
    let raw: Option<AccountRaw> = sqlx::query_as(BY_NO).bind(no.as_str()).fetch_optional(conn).await?;
    raw.map(account_from).transpose()
}

type BillRaw = (i64, i64, String, i64, i64, String, String, i64, i64, i64, i64);

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt("date", s))
}

fn bill_from(r: BillRaw) -> Result<Bill> {
    let (id, period, kwh, amount, paid, due, from, received, waived, owed, written_off) = r;
    let period_u32 = u32::try_from(period).map_err(|_| corrupt("period", &period.to_string()))?;
    Ok(Bill {
        id,
        period: Period::from_number(period_u32).ok_or_else(|| corrupt("period", &period.to_string()))?,
        kwh,
        amount: Yuan::from_fen(amount),
        paid: Yuan::from_fen(paid),
        due_date: date(&due)?,
        late_fee_from: date(&from)?,
        late_fee_received: Yuan::from_fen(received),
        late_fee_waived: Yuan::from_fen(waived),
        late_fee_owed: Yuan::from_fen(owed),
        written_off: written_off != 0,
    })
}

macro_rules! open_bill_columns {
    () => {
        "id, period, kwh, amount_fen, paid_fen, due_date, late_fee_from, late_fee_received_fen, \
         late_fee_waived_fen, late_fee_owed_fen, written_off"
    };
}

/// Bills with principal left, oldest first (served by the partial index `bills_open`); one
/// parameter, the account id. Rows decode with [`open_bill_from_row`].
pub const OPEN_BILLS: &str = concat!(
    "SELECT ",
    open_bill_columns!(),
    " FROM bills WHERE account_id = ? AND paid_fen < amount_fen ORDER BY period"
);

/// [`OPEN_BILLS`] by 户号 instead of account id, each row tagged with a last column `'b'` (for a
/// caller batching statements; [`open_bill_from_row`] ignores it).
pub const OPEN_BILLS_BY_NO_TAGGED: &str = concat!(
    "SELECT ",
    open_bill_columns!(),
    ", 'b' FROM bills WHERE account_id = (SELECT id FROM accounts WHERE account_no = ?) AND paid_fen < amount_fen ORDER BY period"
);

/// Decode a row of [`OPEN_BILLS`].
pub fn open_bill_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Bill> {
    bill_from(<BillRaw as sqlx::FromRow<sqlx::sqlite::SqliteRow>>::from_row(row)?)
}

/// Bills with principal left, oldest first.
pub async fn open_bills(conn: &mut SqliteConnection, account_id: i64) -> Result<Vec<Bill>> {
    let raw: Vec<BillRaw> = sqlx::query_as(OPEN_BILLS).bind(account_id).fetch_all(conn).await?;
    raw.into_iter().map(bill_from).collect()
}

type HitRaw = (String, String, String, String, String, String, Option<String>, i64);
macro_rules! hit_columns {
    () => {
        "account_no, name, address, meter_no, category, billing_mode, risk, closed"
    };
}

fn hit_from(r: HitRaw) -> Result<AccountHit> {
    let (no, name, address, meter_no, category, mode, risk, closed) = r;
    Ok(AccountHit {
        account_no: AccountNo::parse(&no)?,
        name,
        address,
        meter_no,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", &category))?,
        billing_mode: BillingMode::parse(&mode).ok_or_else(|| corrupt("billing mode", &mode))?,
        risk: risk.as_deref().and_then(RiskMark::parse),
        closed: closed != 0,
    })
}

/// The smallest string greater than every string starting with `prefix` (for index range scans).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Search accounts (see the module docs for the strategy). `query` must be non-empty after trimming.
pub async fn search(conn: &mut SqliteConnection, query: &str) -> Result<Vec<AccountHit>> {
    let q = query.trim();
    if q.is_empty() {
        return Err(Error::QueryEmpty);
    }
    let raw: Vec<HitRaw> = if q.bytes().all(|b| b.is_ascii_digit()) {
        sqlx::query_as(concat!(
            "SELECT ",
            hit_columns!(),
            " FROM (
                 SELECT * FROM (SELECT ",
            hit_columns!(),
            ", 0 AS k FROM accounts WHERE account_no >= ?1 AND account_no < ?2 ORDER BY account_no LIMIT ?3)
                 UNION
                 SELECT * FROM (SELECT ",
            hit_columns!(),
            ", 1 AS k FROM accounts WHERE meter_no >= ?1 AND meter_no < ?2 ORDER BY meter_no LIMIT ?3)
             ) ORDER BY account_no <> ?1, k, account_no LIMIT ?3"
        ))
        .bind(q)
        .bind(prefix_end(q))
        .bind(SEARCH_LIMIT)
        .fetch_all(conn)
        .await?
    } else if q.chars().count() >= 3 {
        // A phrase query: the text is quoted, embedded quotes doubled, so no FTS syntax leaks in.
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        sqlx::query_as(concat!(
            "SELECT ",
            hit_columns!(),
            " FROM accounts WHERE id IN (SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH ? LIMIT ?)
             ORDER BY account_no"
        ))
        .bind(phrase)
        .bind(SEARCH_LIMIT)
        .fetch_all(conn)
        .await?
    } else {
        sqlx::query_as(concat!(
            "SELECT ",
            hit_columns!(),
            " FROM accounts WHERE name >= ? AND name < ? ORDER BY name, id LIMIT ?"
        ))
        .bind(q)
        .bind(prefix_end(q))
        .bind(SEARCH_LIMIT)
        .fetch_all(conn)
        .await?
    };
    raw.into_iter().map(hit_from).collect()
}

/// A new account, validated (see `import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub account_no: AccountNo,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub billing_mode: BillingMode,
    pub meter_no: String,
    pub multiplier: i64,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub prepaid_balance: Yuan,
    pub risk: Option<RiskMark>,
}

/// The column ID-card numbers are sealed for (the associated data of `datakey::DataKey::seal`).
pub const ID_NUMBER_COLUMN: &str = "accounts.id_number";

/// Insert an account; its ID-card number is sealed with `key` (never stored in clear).
pub async fn insert_account(
    conn: &mut SqliteConnection,
    a: &NewAccount,
    now: &str,
    key: &crate::datakey::DataKey,
) -> Result<i64> {
    let id_number = a.id_number.as_deref().map(|n| key.seal(ID_NUMBER_COLUMN, n)).transpose()?;
    let res = sqlx::query(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone, id_number,
                               prepaid_balance_fen, risk, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.account_no.as_str())
    .bind(&a.name)
    .bind(&a.address)
    .bind(a.category.as_str())
    .bind(a.billing_mode.as_str())
    .bind(&a.meter_no)
    .bind(a.multiplier)
    .bind(&a.phone)
    .bind(&id_number)
    .bind(a.prepaid_balance.fen())
    .bind(a.risk.map(RiskMark::as_str))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(res.last_insert_rowid())
}

/// A new bill, validated (see `import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBill {
    pub account_no: AccountNo,
    pub period: Period,
    pub kwh: String,
    pub amount: Yuan,
    pub due_date: NaiveDate,
    pub paid: Yuan,
}

/// Insert a bill for an account looked up by id. Fails on a duplicate (account, period).
pub async fn insert_bill(conn: &mut SqliteConnection, account_id: i64, b: &NewBill) -> Result<()> {
    let due = b.due_date.format("%Y-%m-%d").to_string();
    sqlx::query(
        "INSERT INTO bills (account_id, period, kwh, amount_fen, paid_fen, due_date, late_fee_from) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(i64::from(b.period.number()))
    .bind(&b.kwh)
    .bind(b.amount.fen())
    .bind(b.paid.fen())
    .bind(&due)
    .bind(&due)
    .execute(conn)
    .await?;
    Ok(())
}

/// Id of an account by 户号.
pub async fn id_of(conn: &mut SqliteConnection, no: &AccountNo) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM accounts WHERE account_no = ?").bind(no.as_str()).fetch_optional(conn).await?;
    Ok(row.map(|r| r.0))
}

pub async fn count(conn: &mut SqliteConnection) -> Result<(i64, i64)> {
    let (a,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts").fetch_one(&mut *conn).await?;
    let (b,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bills").fetch_one(&mut *conn).await?;
    Ok((a, b))
}
