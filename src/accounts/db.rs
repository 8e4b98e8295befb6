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

/// Insert an account; its ID-card number is sealed with `key` (never stored in clear). An account
/// without one needs no key (a counter whose keys cannot be used still takes accounts without).
pub async fn insert_account(
    conn: &mut SqliteConnection,
    a: &NewAccount,
    now: &str,
    key: Option<&crate::datakey::DataKey>,
) -> Result<i64> {
    let id_number = match (a.id_number.as_deref(), key) {
        (Some(n), Some(key)) => Some(key.seal(ID_NUMBER_COLUMN, n)?),
        (Some(_), None) => {
            return Err(Error::Internal(format!(
                "account {}: an ID-card number to store without the data key",
                a.account_no
            )));
        }
        (None, _) => None,
    };
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

/// The bills of open accounts that are overdue on `?1` (unpaid principal, due before it) and pass
/// the account filters: `?2`/`?3` an address prefix and its end (or NULL), `?4` the category (or
/// NULL), `?5` the billing mode (or NULL), `?6` the earliest time a notice still counts as recent
/// (or NULL: no skip rule).
macro_rules! arrears_from {
    () => {
        " FROM bills b JOIN accounts a ON a.id = b.account_id
         WHERE b.paid_fen < b.amount_fen AND b.due_date < ?1 AND a.closed = 0
           AND (?2 IS NULL OR (a.address >= ?2 AND a.address < ?3))
           AND (?4 IS NULL OR a.category = ?4) AND (?5 IS NULL OR a.billing_mode = ?5)
           AND (?6 IS NULL OR a.id NOT IN (SELECT n.account_id FROM notice_log n WHERE n.printed_at >= ?6))"
    };
}

/// The arrears a notice batch looks at, bill by bill with its account, ordered by account (served
/// by the partial index `bills_open`); parameters as `arrears_from`. Rows decode with
/// [`arrears_row_from`].
pub const ARREARS: &str = concat!(
    "SELECT a.id, a.account_no, a.name, a.address, a.category, a.meter_no, ",
    "b.id, b.period, b.kwh, b.amount_fen, b.paid_fen, b.due_date, b.late_fee_from, b.late_fee_received_fen, \
     b.late_fee_waived_fen, b.late_fee_owed_fen, b.written_off",
    arrears_from!(),
    " ORDER BY b.account_id, b.period"
);

/// What a set of accounts in arrears owes, summed in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ArrearsTotals {
    pub accounts: i64,
    pub principal_fen: i64,
    pub late_fee_fen: i64,
    /// Overdue bills the fee expression is not exact for (see `late_fee_sql`): when not 0 the
    /// totals are not to be trusted.
    pub unsafe_bills: i64,
    /// The lowest id of a selected account.
    pub first_id: Option<i64>,
}

/// How many of the accounts [`ARREARS`] reads owe at least `min_owed_fen` (principal + late fee,
/// or no minimum) with the oldest bill at least `min_days` overdue, and what they owe: the late
/// fee worked out per bill by `fee` (`late_fee_sql`, the rule as SQL). The bills are summed per
/// account from the covering index `bills_arrears` in account order (no sort, no table read),
/// then each account is looked up once for its category and the filters.
///
/// Only the accounts with ids in `accounts` (inclusive) are looked at, so that a caller can sum a
/// county in parts on several connections at once ([`arrears_id_range`]).
pub async fn arrears_totals(
    conn: &mut SqliteConnection,
    fee: &crate::accounts::late_fee_sql::FeeSql,
    binds: &ArrearsBinds,
    filters: (Option<i64>, Option<u32>),
    accounts: (i64, i64),
) -> Result<ArrearsTotals> {
    let sql = arrears_sql(
        fee,
        "SELECT COALESCE(SUM(sel), 0) AS accounts, COALESCE(SUM(sel * principal), 0) AS principal_fen,
                COALESCE(SUM(sel * fee), 0) AS late_fee_fen, COALESCE(SUM(unsafe_bills), 0) AS unsafe_bills,
                MIN(CASE WHEN sel THEN id END) AS first_id
         FROM chosen",
    );
    let args = arrears_arguments(binds, filters, accounts, None)?;
    Ok(sqlx::query_as_with::<_, ArrearsTotals, _>(sqlx::AssertSqlSafe(sql), args).fetch_one(conn).await?)
}

/// The ids of up to `limit` accounts [`arrears_totals`] selects among `accounts`, in the order the
/// index gives them (account order); the sums stop as soon as they are found.
pub async fn arrears_first(
    conn: &mut SqliteConnection,
    fee: &crate::accounts::late_fee_sql::FeeSql,
    binds: &ArrearsBinds,
    filters: (Option<i64>, Option<u32>),
    accounts: (i64, i64),
    limit: i64,
) -> Result<Vec<i64>> {
    let sql = arrears_sql(fee, "SELECT id FROM chosen WHERE sel LIMIT ?11");
    let args = arrears_arguments(binds, filters, accounts, Some(limit))?;
    let ids: Vec<(i64,)> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args).fetch_all(conn).await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// `?1`…`?6` as [`ARREARS`], `?7` the minimum owed in fen, `?8` the minimum days overdue, `?9` and
/// `?10` the account ids, `?11` a limit.
fn arrears_arguments(
    binds: &ArrearsBinds,
    (min_owed_fen, min_days): (Option<i64>, Option<u32>),
    (lo, hi): (i64, i64),
    limit: Option<i64>,
) -> Result<sqlx::sqlite::SqliteArguments> {
    let mut extra = vec![min_owed_fen, min_days.map(i64::from), Some(lo), Some(hi)];
    if limit.is_some() {
        extra.push(limit);
    }
    binds.arguments(&extra)
}

/// The arrears of the accounts selected, per account (`chosen`: id, principal, fee, unsafe_bills
/// and `sel`, whether the amount and days filters pass), then `tail`.
fn arrears_sql(fee: &crate::accounts::late_fee_sql::FeeSql, tail: &str) -> String {
    // The SQL is this module's text and the late-fee expressions, which hold only integers derived
    // from the validated policy and the print date; every value typed by a person is a bound
    // parameter.
    format!(
        "WITH owing AS (
             SELECT b.account_id AS id, SUM(b.amount_fen - b.paid_fen) AS principal,
                    SUM({residential}) AS fee_residential, SUM({other}) AS fee_other,
                    MAX({days}) AS days, SUM({unsafe_bill}) AS unsafe_bills
             FROM bills b INDEXED BY bills_arrears
             WHERE b.paid_fen < b.amount_fen AND b.account_id BETWEEN ?9 AND ?10 AND b.due_date < ?1
             GROUP BY b.account_id),
         picked AS (
             SELECT o.id, o.principal, CASE a.category WHEN 'residential' THEN o.fee_residential ELSE o.fee_other END AS fee,
                    o.days, o.unsafe_bills
             FROM owing o CROSS JOIN accounts a ON a.id = o.id
             WHERE a.closed = 0
               AND (?2 IS NULL OR (a.address >= ?2 AND a.address < ?3))
               AND (?4 IS NULL OR a.category = ?4) AND (?5 IS NULL OR a.billing_mode = ?5)
               AND (?6 IS NULL OR a.id NOT IN (SELECT n.account_id FROM notice_log n WHERE n.printed_at >= ?6))),
         chosen AS (
             SELECT id, principal, fee, unsafe_bills,
                    principal > 0 AND (?7 IS NULL OR principal + fee >= ?7) AND (?8 IS NULL OR days >= ?8) AS sel
             FROM picked)
         {tail}",
        residential = fee.residential,
        other = fee.other,
        days = fee.days_overdue,
        unsafe_bill = fee.unsafe_bill,
    )
}

/// The lowest and highest account id with an unpaid bill (the ends of the index), or `None`.
pub async fn arrears_id_range(conn: &mut SqliteConnection) -> Result<Option<(i64, i64)>> {
    let (lo, hi): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT MIN(account_id), MAX(account_id) FROM bills INDEXED BY bills_arrears WHERE paid_fen < amount_fen",
    )
    .fetch_one(conn)
    .await?;
    Ok(lo.zip(hi))
}

#[cfg(test)]
mod split_tests {
    use super::split_ids;

    #[test]
    fn ranges_cover_every_id_once() {
        for (lo, hi, parts) in [(1, 1, 4), (1, 2, 4), (5, 1_000_000, 2), (3, 10, 3), (1, 100, 1)] {
            let r = split_ids((lo, hi), parts);
            assert_eq!(r.first().map(|r| r.0), Some(lo));
            assert_eq!(r.last().map(|r| r.1), Some(hi));
            assert!(r.len() as i64 <= parts);
            for w in r.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0, "{lo} {hi} {parts}: {r:?}");
            }
        }
    }
}

/// `range` cut into `parts` ranges of account ids of about the same width, in order.
pub fn split_ids((lo, hi): (i64, i64), parts: i64) -> Vec<(i64, i64)> {
    let parts = parts.max(1);
    let width = ((hi - lo) / parts).max(1);
    let mut out = Vec::new();
    let mut start = lo;
    while start <= hi {
        let end = if out.len() as i64 + 1 >= parts { hi } else { (start + width - 1).min(hi) };
        out.push((start, end));
        start = end + 1;
    }
    out
}

/// The parameters `?1`…`?6` of [`ARREARS`] and [`arrears_totals`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrearsBinds {
    pub today: NaiveDate,
    pub address_prefix: Option<String>,
    pub category: Option<Category>,
    pub billing_mode: Option<BillingMode>,
    /// Skip accounts notified at or after this time (RFC 3339).
    pub notified_since: Option<String>,
}

impl ArrearsBinds {
    /// The six parameters, then `extra` (the totals' `?7` and `?8`).
    pub fn arguments(&self, extra: &[Option<i64>]) -> Result<sqlx::sqlite::SqliteArguments> {
        use sqlx::Arguments;
        let mut args = sqlx::sqlite::SqliteArguments::default();
        let bad = |e: sqlx::error::BoxDynError| Error::Internal(format!("binding the arrears filter: {e}"));
        args.add(self.today.to_string()).map_err(bad)?;
        args.add(self.address_prefix.clone()).map_err(bad)?;
        args.add(self.address_prefix.as_deref().map(prefix_end)).map_err(bad)?;
        args.add(self.category.map(|c| c.as_str())).map_err(bad)?;
        args.add(self.billing_mode.map(|m| m.as_str())).map_err(bad)?;
        args.add(self.notified_since.clone()).map_err(bad)?;
        for value in extra {
            args.add(*value).map_err(bad)?;
        }
        Ok(args)
    }
}

/// An account in arrears as [`ARREARS`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrearsAccount {
    pub id: i64,
    pub account_no: AccountNo,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub meter_no: String,
}

/// An account as [`ARREARS`] reads it, by id.
pub async fn arrears_account(conn: &mut SqliteConnection, id: i64) -> Result<Option<ArrearsAccount>> {
    let row: Option<(i64, String, String, String, String, String)> =
        sqlx::query_as("SELECT id, account_no, name, address, category, meter_no FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|(id, no, name, address, category, meter_no)| {
        Ok(ArrearsAccount {
            id,
            account_no: AccountNo::parse(&no)?,
            name,
            address,
            category: Category::parse(&category).ok_or_else(|| corrupt("category", &category))?,
            meter_no,
        })
    })
    .transpose()
}

/// Decode a row of [`ARREARS`].
pub fn arrears_row_from(row: &sqlx::sqlite::SqliteRow) -> Result<(ArrearsAccount, Bill)> {
    use sqlx::Row;
    let category: String = row.try_get(4)?;
    let account = ArrearsAccount {
        id: row.try_get(0)?,
        account_no: AccountNo::parse(&row.try_get::<String, _>(1)?)?,
        name: row.try_get(2)?,
        address: row.try_get(3)?,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", &category))?,
        meter_no: row.try_get(5)?,
    };
    let raw: BillRaw = (
        row.try_get(6)?,
        row.try_get(7)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
        row.try_get(11)?,
        row.try_get(12)?,
        row.try_get(13)?,
        row.try_get(14)?,
        row.try_get(15)?,
        row.try_get(16)?,
    );
    Ok((account, bill_from(raw)?))
}
