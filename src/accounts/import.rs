//! 批量导入: all-or-nothing CSV import of accounts and bills.
//!
//! The whole file is read and every row validated before anything is written; any bad row (bad
//! value, duplicate in the file, 户号 already in the database, bill for an unknown account, period
//! already billed) rejects the whole file with each problem's line number, column and reason, and
//! the database is left exactly as it was. Valid files are written in one transaction.
//!
//! Formats (UTF-8, header row required, columns in this order):
//! - accounts: `account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance`,
//!   optionally followed by `area` (供电区域, e.g. `GY01`: the central ledger sends an account only to
//!   the terminals of its area; a counter's own import reads the column and keeps no area)
//! - bills: `account_no,period,kwh,amount,due_date,paid`

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use super::{
    AccountNo, BillingMode, Category, Period,
    db::{self, NewAccount, NewBill},
    parse_kwh, parse_multiplier,
};
use crate::{Error, Result, config::Area, money::Yuan};

pub const ACCOUNT_HEADER: [&str; 10] = [
    "account_no",
    "name",
    "address",
    "category",
    "billing_mode",
    "meter_no",
    "multiplier",
    "phone",
    "id_number",
    "prepaid_balance",
];
/// The accounts header with the area column the central ledger's import uses.
pub const ACCOUNT_HEADER_WITH_AREA: [&str; 11] = [
    "account_no",
    "name",
    "address",
    "category",
    "billing_mode",
    "meter_no",
    "multiplier",
    "phone",
    "id_number",
    "prepaid_balance",
    "area",
];
pub const BILL_HEADER: [&str; 6] = ["account_no", "period", "kwh", "amount", "due_date", "paid"];

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not UTF-8 text: save it as \"CSV UTF-8\" and import again")]
    NotUtf8,
    #[error("the header must be exactly `{expected}` but is `{found}`")]
    Header { expected: String, found: String },
    #[error("the file has no data rows")]
    Empty,
    #[error("nothing was imported: {} problem(s) found\n{}", .0.len(), render(.0))]
    Rejected(Vec<RowError>),
}

fn render(rows: &[RowError]) -> String {
    let mut out: Vec<String> =
        rows.iter().take(50).map(|r| format!("  line {}, column {}: {}", r.line, r.column, r.reason)).collect();
    if rows.len() > 50 {
        out.push(format!("  … and {} more", rows.len() - 50));
    }
    out.join("\n")
}

/// Parse `bytes` as CSV with the expected header; returns (line, fields) per data row.
fn read_rows(bytes: &[u8], header: &[&str]) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    read_rows_of(bytes, &[header]).map(|(_, rows)| rows)
}

/// A file's data rows: (line, fields).
type Rows = Vec<(u64, Vec<String>)>;

/// The same for a file that may have any of `headers`; returns which one it has, too.
fn read_rows_of<'h>(bytes: &[u8], headers: &[&'h [&'h str]]) -> Result<(&'h [&'h str], Rows), ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let found: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            return Err(ImportError::Rejected(vec![RowError { line: 1, column: "-".into(), reason: e.to_string() }]));
        }
    };
    let Some(header) = headers.iter().copied().find(|h| found == *h) else {
        let expected = headers.iter().map(|h| h.join(",")).collect::<Vec<_>>().join("` or `");
        return Err(ImportError::Header { expected, found: found.join(",") });
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                if r.len() != header.len() {
                    errors.push(RowError {
                        line,
                        column: "-".into(),
                        reason: format!("{} fields, expected {}", r.len(), header.len()),
                    });
                } else {
                    rows.push((line, r.iter().map(|s| s.trim().to_string()).collect()));
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError { line, column: "-".into(), reason: e.to_string() });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok((header, rows))
}

/// Collects the problems of one row.
struct Row<'a> {
    line: u64,
    header: &'a [&'a str],
    fields: &'a [String],
    errors: &'a mut Vec<RowError>,
}

impl Row<'_> {
    fn get(&self, i: usize) -> &str {
        self.fields.get(i).map(String::as_str).unwrap_or("")
    }

    fn fail(&mut self, i: usize, reason: impl Into<String>) {
        let column = self.header.get(i).copied().unwrap_or("-").to_string();
        self.errors.push(RowError { line: self.line, column, reason: reason.into() });
    }

    /// Run a parser on field `i`, recording its error message.
    fn parse<T>(&mut self, i: usize, f: impl FnOnce(&str) -> Result<T>) -> Option<T> {
        match f(self.get(i)) {
            Ok(v) => Some(v),
            Err(e) => {
                let reason = match e {
                    Error::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.fail(i, reason);
                None
            }
        }
    }

    fn text(&mut self, i: usize, max_chars: usize) -> Option<String> {
        let v = self.get(i).to_string();
        if v.is_empty() {
            self.fail(i, "must not be empty");
            None
        } else if v.chars().count() > max_chars {
            self.fail(i, format!("longer than {max_chars} characters"));
            None
        } else if v.chars().any(char::is_control) {
            self.fail(i, "contains control characters");
            None
        } else {
            Some(v)
        }
    }
}

fn parse_money(s: &str) -> Result<Yuan> {
    Ok(Yuan::parse(s)?)
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    let ok_shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if ok_shape => Ok(d),
        _ => Err(Error::invalid("date", format!("'{s}' is not a date: use YYYY-MM-DD, e.g. 2026-01-15"))),
    }
}

pub(crate) fn parse_meter(s: &str) -> Result<String> {
    if !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(s.to_string())
    } else {
        Err(Error::invalid("meter_no", format!("'{s}' is not a meter number: use 1-32 of A-Z, a-z, 0-9 and '-'")))
    }
}

pub(crate) fn parse_phone(s: &str) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if (7..=15).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || c == '-') {
        Ok(Some(s.to_string()))
    } else {
        Err(Error::invalid("phone", format!("'{s}' is not a phone number: use 7-15 digits, '-' allowed")))
    }
}

/// A phone number as the central ledger sends it to a counter: the last four digits, the first three
/// too when there are eleven or more (a mobile number: `138****5678`), every other digit a `*`;
/// separators are dropped. Counters never receive a whole number (DOMAIN.md, users and security).
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    let head = if n >= 11 { 3 } else { 0 };
    let tail = n.min(4);
    digits.iter().enumerate().map(|(i, d)| if i < head || i >= n - tail { *d } else { '*' }).collect()
}

/// A phone number a counter receives from the ledger: masked (`138****5678`: 7-15 digits and `*`) or,
/// from a ledger older than the masking, whole (`parse_phone`); empty is none.
pub fn parse_shown_phone(s: &str) -> Result<Option<String>> {
    let masked = s.contains('*')
        && (7..=15).contains(&s.chars().count())
        && s.chars().filter(char::is_ascii_digit).count() >= 4
        && s.chars().all(|c| c.is_ascii_digit() || c == '*');
    if masked { Ok(Some(s.to_string())) } else { parse_phone(s) }
}

/// 居民身份证号码: 18 characters with a valid ISO 7064 MOD 11-2 check digit (or empty).
pub fn parse_id_number(s: &str) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    let s = s.to_ascii_uppercase();
    let b = s.as_bytes();
    let bad = |why: &str| Error::invalid("id_number", format!("not a valid ID-card number: {why}"));
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return Err(bad("use 18 characters: 17 digits and a digit or X"));
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    if b[17] != check {
        return Err(bad("the check digit does not match"));
    }
    Ok(Some(s))
}

/// Validate an accounts file completely (no database access). An `area` column is read and left out.
pub fn parse_accounts(bytes: &[u8]) -> Result<Vec<(u64, NewAccount)>> {
    Ok(parse_accounts_in_areas(bytes)?.into_iter().map(|(line, a, _)| (line, a)).collect())
}

/// Validate an accounts file completely, with each row's area when the file has the `area` column.
pub fn parse_accounts_in_areas(bytes: &[u8]) -> Result<Vec<(u64, NewAccount, Option<Area>)>> {
    let (header, rows) = read_rows_of(bytes, &[&ACCOUNT_HEADER, &ACCOUNT_HEADER_WITH_AREA])?;
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = HashSet::new();
    for (line, fields) in &rows {
        let mut r = Row { line: *line, header, fields, errors: &mut errors };
        let account_no = r.parse(0, AccountNo::parse);
        if let Some(no) = &account_no
            && !seen.insert(no.clone())
        {
            r.fail(0, format!("户号 {no} appears more than once in the file"));
        }
        let name = r.text(1, 100);
        let address = r.text(2, 200);
        let category = r.parse(3, |s| {
            Category::parse(s).ok_or_else(|| {
                Error::invalid(
                    "category",
                    format!("'{s}' is not a category: use residential, commercial, industrial or agricultural"),
                )
            })
        });
        let billing_mode = r.parse(4, |s| {
            BillingMode::parse(s).ok_or_else(|| {
                Error::invalid("billing_mode", format!("'{s}' is not a billing mode: use postpaid or prepaid"))
            })
        });
        let meter_no = r.parse(5, parse_meter);
        let multiplier = r.parse(6, parse_multiplier);
        let phone = r.parse(7, parse_phone);
        let id_number = r.parse(8, parse_id_number);
        let prepaid_balance = r.parse(9, parse_money);
        let area = if header.len() > 10 { r.parse(10, Area::parse).map(Some) } else { Some(None) };
        if let (
            Some(account_no),
            Some(name),
            Some(address),
            Some(category),
            Some(billing_mode),
            Some(meter_no),
            Some(multiplier),
            Some(phone),
            Some(id_number),
            Some(prepaid_balance),
            Some(area),
        ) = (
            account_no,
            name,
            address,
            category,
            billing_mode,
            meter_no,
            multiplier,
            phone,
            id_number,
            prepaid_balance,
            area,
        ) {
            out.push((
                *line,
                NewAccount {
                    account_no,
                    name,
                    address,
                    category,
                    billing_mode,
                    meter_no,
                    multiplier,
                    phone,
                    id_number,
                    prepaid_balance,
                    risk: None,
                },
                area,
            ));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(ImportError::Rejected(errors).into()) }
}

/// Validate a bills file completely (no database access).
pub fn parse_bills(bytes: &[u8]) -> Result<Vec<(u64, NewBill)>> {
    let rows = read_rows(bytes, &BILL_HEADER)?;
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = HashSet::new();
    for (line, fields) in &rows {
        let mut r = Row { line: *line, header: &BILL_HEADER, fields, errors: &mut errors };
        let account_no = r.parse(0, AccountNo::parse);
        let period = r.parse(1, Period::parse);
        if let (Some(no), Some(p)) = (&account_no, period)
            && !seen.insert((no.clone(), p))
        {
            r.fail(1, format!("户号 {no} period {p} appears more than once in the file"));
        }
        let kwh = r.parse(2, parse_kwh);
        let amount = r.parse(3, parse_money);
        let due_date = r.parse(4, parse_date);
        let paid = r.parse(5, parse_money);
        if let (Some(amount), Some(paid)) = (amount, paid)
            && paid > amount
        {
            r.fail(5, format!("paid {paid} is more than the amount {amount}"));
            continue;
        }
        if let (Some(account_no), Some(period), Some(kwh), Some(amount), Some(due_date), Some(paid)) =
            (account_no, period, kwh, amount, due_date, paid)
        {
            out.push((*line, NewBill { account_no, period, kwh, amount, due_date, paid }));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(ImportError::Rejected(errors).into()) }
}

/// Write validated accounts inside the caller's transaction; rejects 户号 already stored.
pub async fn write_accounts(
    conn: &mut SqliteConnection,
    rows: &[(u64, NewAccount)],
    now: &str,
    key: Option<&crate::datakey::DataKey>,
) -> Result<u64> {
    let mut errors = Vec::new();
    for (line, a) in rows {
        if db::id_of(conn, &a.account_no).await?.is_some() {
            errors.push(RowError {
                line: *line,
                column: "account_no".into(),
                reason: format!("户号 {} already exists", a.account_no),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors).into());
    }
    for (_, a) in rows {
        db::insert_account(conn, a, now, key).await?;
    }
    Ok(rows.len() as u64)
}

/// Write validated bills inside the caller's transaction; rejects unknown accounts and periods
/// already billed.
pub async fn write_bills(conn: &mut SqliteConnection, rows: &[(u64, NewBill)]) -> Result<u64> {
    let mut errors = Vec::new();
    let mut ids = Vec::with_capacity(rows.len());
    for (line, b) in rows {
        match db::id_of(conn, &b.account_no).await? {
            None => errors.push(RowError {
                line: *line,
                column: "account_no".into(),
                reason: format!("no account with 户号 {}", b.account_no),
            }),
            Some(id) => {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bills WHERE account_id = ? AND period = ?")
                    .bind(id)
                    .bind(i64::from(b.period.number()))
                    .fetch_optional(&mut *conn)
                    .await?;
                if exists.is_some() {
                    errors.push(RowError {
                        line: *line,
                        column: "period".into(),
                        reason: format!("户号 {} already has a bill for {}", b.account_no, b.period),
                    });
                }
                ids.push(id);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors).into());
    }
    for ((_, b), id) in rows.iter().zip(ids) {
        db::insert_bill(conn, id, b).await?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::mobile("13812345678", "138****5678")]
    #[case::landline_with_area_code("0851-86123456", "085*****3456")]
    #[case::seven_digits("8612345", "***2345")]
    #[case::eight_digits("86123456", "****3456")]
    fn phones_are_masked_to_their_last_four_digits(#[case] phone: &str, #[case] shown: &str) {
        assert_eq!(mask_phone(phone), shown);
        assert_eq!(parse_shown_phone(shown).unwrap().as_deref(), Some(shown), "a counter takes the masked form");
    }

    #[test]
    fn a_shown_phone_is_masked_or_whole_and_nothing_else() {
        assert_eq!(parse_shown_phone("13812345678").unwrap().as_deref(), Some("13812345678"), "an older ledger's");
        assert_eq!(parse_shown_phone("").unwrap(), None);
        for bad in ["*******", "138****567x", "1*", "138-****-5678", "12****3"] {
            assert!(parse_shown_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_area_column_is_optional_and_checked() {
        let base = ACCOUNT_HEADER.join(",");
        let row = "3100000001,张建国,示范市人民路12号,residential,postpaid,0110000000001,1,,,0";
        let without = format!("{base}\n{row}\n");
        let rows = parse_accounts_in_areas(without.as_bytes()).unwrap();
        assert_eq!(rows[0].2, None, "a file without the column has no areas");
        let with = format!("{base},area\n{row},GY01\n");
        let rows = parse_accounts_in_areas(with.as_bytes()).unwrap();
        assert_eq!(rows[0].2.as_ref().map(Area::as_str), Some("GY01"));
        assert_eq!(parse_accounts(with.as_bytes()).unwrap().len(), 1, "a counter's import takes the same file");
        let bad = format!("{base},area\n{row},gy-01\n");
        let Err(Error::Import(ImportError::Rejected(rows))) = parse_accounts_in_areas(bad.as_bytes()) else {
            panic!("a bad area must be refused")
        };
        assert_eq!(rows[0].column, "area", "{rows:?}");
    }

    #[test]
    fn id_numbers_check_digit() {
        assert!(parse_id_number("11010519491231002X").unwrap().is_some(), "the classic sample is valid");
        assert!(parse_id_number("110105194912310021").is_err(), "wrong check digit");
        assert_eq!(parse_id_number("").unwrap(), None);
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let csv = "account_no,period,kwh,amount,due_date,paid\n\
                   3100000001,202511,120,80.50,2025-12-15,0\n\
                   31000A0001,202513,12x,80.505,2025-02-30,0\n\
                   3100000001,202511,120,80.50,2025-12-15,90\n";
        let Err(Error::Import(ImportError::Rejected(rows))) = parse_bills(csv.as_bytes()) else {
            panic!("must be rejected")
        };
        let cols: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.column.as_str())).collect();
        assert_eq!(
            cols,
            [(3, "account_no"), (3, "period"), (3, "kwh"), (3, "amount"), (3, "due_date"), (4, "period"), (4, "paid")],
            "{rows:?}"
        );
    }

    #[test]
    fn wrong_header_is_named() {
        let err = parse_accounts(b"no,name\n1,2\n").unwrap_err();
        assert!(err.to_string().contains("account_no,name,address"), "{err}");
    }

    #[test]
    fn gbk_is_refused_as_not_utf8() {
        assert!(matches!(parse_bills(&[0xb5, 0xe7, 0xb7, 0xd1]), Err(Error::Import(ImportError::NotUtf8))));
    }
}
