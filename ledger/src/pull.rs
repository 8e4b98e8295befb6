//! 下发: accounts, bills, policy, calendar years, refund decisions and deposit confirmations changed
//! after a counter's cursor, paged.
//!
//! Invariant: a cursor `TXID.REV` never skips a change. Changes (the `changes` log for accounts and
//! bills, a push's `change_sets`, `rev`/`txid` on the row for policy and calendar years; see the
//! ledger migrations) are ordered by (txid, rev) and a page holds only those whose writing
//! transaction is older than every transaction still running (`pg_snapshot_xmin`), so a
//! transaction that commits late cannot land behind a cursor already handed out. One REPEATABLE
//! READ snapshot serves the whole page, and a row is sent as it is in that snapshot. A change set
//! goes in one page whole (a page can exceed its limit only by its first entry).
//!
//! Refund requests (log entries of kind 'r') go only to the terminal that submitted them, and only
//! in the states the centre decides (received, decided, paid, flagged; a counter keeps the earlier
//! ones itself); elsewhere the entry is passed over and the cursor moves on all the same. A request
//! goes with its account, read in the same snapshot: a payout's lower balance and the paid request
//! reach the counter in one page, which it applies in one transaction.
//!
//! 范围: a terminal's pull carries only the accounts of its own area (`terminals.area`, set at
//! enrolment) and only their bills; another area's entries are passed over like another terminal's
//! refunds, and the cursor moves on all the same. An account never carries its ID-card number (it
//! is sealed at rest, `datakey`, and stays at the centre), and its phone number goes masked
//! (`138****5678`, the core's `mask_phone`). An administrator's view (`changes`) is not scoped.
//!
//! Deposits the centre confirmed (log entries of kind 'd', one per deposit: a confirmation is made
//! once) go only to the terminal that made them, the same way.

use cashdesk::{
    accounts::{BillingMode, Category, Period, RiskMark},
    calendar::YearCalendar,
    policy::Policy,
    refunds::State,
    sync::wire::{
        CalendarChange, Change, MAX_PAGE, PolicyChange, PullResponse, WireAccount, WireBill, WireDeposit, WireRefund,
    },
};
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::{db::yuan, error::LedgerError};

/// A position in the change stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub txid: u64,
    pub rev: i64,
}

impl Cursor {
    pub fn parse(s: &str) -> Result<Cursor, LedgerError> {
        if s.is_empty() {
            return Ok(Cursor::default());
        }
        let bad = || LedgerError::BadRequest(format!("'{s}' is not a cursor this ledger gave out"));
        let (t, r) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor { txid: t.parse().map_err(|_| bad())?, rev: r.parse().map_err(|_| bad())? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.txid, self.rev)
    }
}

/// One page of the change log after a cursor ($1 txid, $2 rev), below the horizon ($3), at most $4.
/// Ordered by the `xid8` column (numeric order, the primary key); the text copy of the transaction id
/// is selected under another name so that it can never be what a page is ordered by (text order puts
/// "10000" before "9999", and a cursor would then skip changes).
pub const CHANGES_PAGE: &str = "SELECT txid::text AS txid_text, rev, kind::text, row_id FROM changes
 WHERE (txid, rev) > ($1::xid8, $2) AND txid < $3::xid8 ORDER BY txid, rev LIMIT $4";

/// The change sets after a cursor ($1 txid, $2 rev), below the horizon ($3), in order, as many as
/// begin before the page's `limit` ($4) ids are reached (counted by `size`, so the arrays of the
/// sets left out are not sent back).
pub const SETS_PAGE: &str = "SELECT txid::text AS txid_text, rev, rev_last, size, account_ids, bill_ids FROM (
    SELECT txid, rev, rev_last, size, account_ids, bill_ids, SUM(size) OVER (ORDER BY txid, rev) - size AS before
    FROM (SELECT txid, rev, rev_last, size, account_ids, bill_ids FROM change_sets
          WHERE (txid, rev) > ($1::xid8, $2) AND txid < $3::xid8 ORDER BY txid, rev LIMIT $4) AS s
 ) AS w WHERE before < $4 ORDER BY txid, rev";

/// The accounts $1 in the area $2 (every area when $2 is NULL).
const ACCOUNTS_BY_ID: &str =
    "SELECT id, account_no, name, address, category, billing_mode, meter_no, multiplier, phone,
        prepaid_balance, risk, closed
 FROM accounts WHERE id = ANY($1) AND ($2::text IS NULL OR area = $2)";

/// The bills $1 of accounts in the area $2 (every area when $2 is NULL).
const BILLS_BY_ID: &str =
    "SELECT b.id, b.account_id, a.account_no, b.period, b.kwh, b.amount, b.paid, b.due_date, b.late_fee_from,
        b.late_fee_received, b.late_fee_waived, b.late_fee_owed, b.written_off
 FROM bills b JOIN accounts a ON a.id = b.account_id WHERE b.id = ANY($1) AND ($2::text IS NULL OR a.area = $2)";

/// Every log entry of the accounts $1 (one each after compaction; the `changes_accounts` index).
const ACCOUNT_ENTRIES: &str =
    "SELECT row_id, txid::text AS txid_text, rev FROM changes WHERE kind = 'a' AND row_id = ANY($1)";

type AccountRow =
    (i64, String, String, String, String, String, String, i64, Option<String>, Decimal, Option<String>, bool);
/// A change set: txid (text), rev, rev_last, size, account ids, bill ids.
type SetRow = (String, i64, i64, i32, Vec<i64>, Vec<i64>);
type BillRow = (i64, i64, String, i32, String, Decimal, Decimal, NaiveDate, NaiveDate, Decimal, Decimal, Decimal, bool);

/// The requests of the log entries $1 (`refunds.seq`), with their accounts' ids.
const REFUNDS_BY_SEQ: &str =
    "SELECT r.seq, a.id AS account_id, r.refund_id, r.request_no, r.terminal, r.account_no, r.state,
        r.finance_by, r.finance_at, r.finance_reason, r.paid_amount, r.payout_date, r.payout_ref, r.flag
 FROM refunds r LEFT JOIN accounts a ON a.account_no = r.account_no WHERE r.seq = ANY($1)";

/// The confirmed deposits of the log entries $1 (`deposits.seq`).
const DEPOSITS_BY_SEQ: &str = "SELECT seq, event_id, terminal, slip_no, amount, confirmed_at, confirmed_by, confirm_ref
 FROM deposits WHERE seq = ANY($1) AND confirmed_at IS NOT NULL";

type DepositRow = (i64, uuid::Uuid, String, String, Decimal, chrono::DateTime<chrono::Utc>, String, Option<String>);

#[derive(Debug, sqlx::FromRow)]
struct RefundRow {
    seq: i64,
    account_id: Option<i64>,
    refund_id: uuid::Uuid,
    request_no: String,
    terminal: String,
    account_no: String,
    state: String,
    finance_by: Option<String>,
    finance_at: Option<chrono::DateTime<chrono::Utc>>,
    finance_reason: Option<String>,
    paid_amount: Option<Decimal>,
    payout_date: Option<NaiveDate>,
    payout_ref: Option<String>,
    flag: Option<String>,
}

/// Whether a request in `state` goes down: the states the centre puts it in. A counter keeps
/// `submitted` and `hall_approved` itself (and refuses them from the centre).
fn sent_down(state: State) -> bool {
    !matches!(state, State::Submitted | State::HallApproved)
}

fn txid(s: &str) -> Result<u64, LedgerError> {
    s.parse().map_err(|_| LedgerError::Internal(format!("unreadable transaction id {s}")))
}

/// One page of changes after `cursor`, at most `limit` of them, with every terminal's refund
/// requests and confirmed deposits (an administrator's view; a counter pulls with [`changes_for`]).
pub async fn changes(pool: &PgPool, cursor: &str, limit: Option<i64>) -> Result<PullResponse, LedgerError> {
    page(pool, None, cursor, limit).await
}

/// One page of changes after `cursor` for `terminal`: its own refund requests and deposits only.
pub async fn changes_for(
    pool: &PgPool,
    terminal: &str,
    cursor: &str,
    limit: Option<i64>,
) -> Result<PullResponse, LedgerError> {
    page(pool, Some(terminal), cursor, limit).await
}

async fn page(
    pool: &PgPool,
    terminal: Option<&str>,
    cursor: &str,
    limit: Option<i64>,
) -> Result<PullResponse, LedgerError> {
    let from = Cursor::parse(cursor)?;
    let limit = limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let scope = match terminal {
        None => None,
        Some(t) => {
            let area: Option<(String,)> =
                sqlx::query_as("SELECT area FROM terminals WHERE code = $1").bind(t).fetch_optional(&mut *tx).await?;
            // A terminal never enrolled (no row) is in no area: it receives no accounts. An area is
            // never empty, so the empty string matches none.
            Some(Scope { terminal: t, area: area.map(|(a,)| a).unwrap_or_default() })
        }
    };
    let page = read_page(&mut tx, scope.as_ref(), from, limit).await?;
    tx.commit().await?;
    Ok(page)
}

/// Whose pull a page is: a terminal's, in its area.
struct Scope<'a> {
    terminal: &'a str,
    area: String,
}

async fn read_page(
    conn: &mut PgConnection,
    scope: Option<&Scope<'_>>,
    from: Cursor,
    limit: i64,
) -> Result<PullResponse, LedgerError> {
    let terminal = scope.map(|s| s.terminal);
    let area = scope.map(|s| s.area.as_str());
    let (horizon,): (String,) =
        sqlx::query_as("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetch_one(&mut *conn).await?;
    let t = from.txid.to_string();
    // The log gives at most `limit` entries after the cursor, the change sets those that begin
    // within `limit` ids, and the policy and calendar tables their few changed rows; the merged
    // first entries are the page. The rows are read as they are in this snapshot: a row changed
    // twice after the cursor is sent once, at its first entry.
    let log: Vec<(String, i64, String, i64)> =
        sqlx::query_as(CHANGES_PAGE).bind(&t).bind(from.rev).bind(&horizon).bind(limit).fetch_all(&mut *conn).await?;
    let full = log.len() as i64 >= limit;
    // Change sets (a push's changes, sent whole) until the page's ids are reached.
    let sets: Vec<SetRow> =
        sqlx::query_as(SETS_PAGE).bind(&t).bind(from.rev).bind(&horizon).bind(limit).fetch_all(&mut *conn).await?;
    let sets_full = sets.iter().map(|s| i64::from(s.3)).sum::<i64>() >= limit;
    // When the log or the sets had more than this page read, nothing after the last entry read
    // from them may go in the page (a later entry from elsewhere would move the cursor past entries
    // never read).
    let mut bound: Option<Cursor> = None;
    if full && let Some((x, rev, ..)) = log.last() {
        bound = Some(Cursor { txid: txid(x)?, rev: *rev });
    }
    if sets_full && let Some((x, rev, ..)) = sets.last() {
        let at = Cursor { txid: txid(x)?, rev: *rev };
        bound = Some(bound.map_or(at, |b| b.min(at)));
    }
    let mut bill_ids: Vec<i64> = log.iter().filter(|e| e.2 == "b").map(|e| e.3).collect();
    bill_ids.extend(sets.iter().flat_map(|s| s.5.iter().copied()));
    let mut bills: HashMap<i64, (i64, WireBill)> = HashMap::new();
    if !bill_ids.is_empty() {
        let rows: Vec<BillRow> = sqlx::query_as(BILLS_BY_ID).bind(&bill_ids).bind(area).fetch_all(&mut *conn).await?;
        for row in rows {
            let (id, account_id, bill) = wire_bill(row)?;
            bills.insert(id, (account_id, bill));
        }
    }
    // The counter stores a bill under its account, which it has when that account's latest log
    // entry is at or before the cursor (an entry behind a cursor was there when the counter passed
    // it, and compaction never drops a latest entry). Otherwise (after compaction an account's only
    // entry can come after its bills'; or its latest change is in a set, which this does not look
    // in) the account goes just before the bill, unless the page already sent it: at worst once
    // more than needed. A change set holds the accounts of its bills as they were when it was
    // written, so its bills pass this check too (an UPDATE outside a push may have moved one since).
    let mut bill_accounts: Vec<i64> = bills.values().map(|(a, _)| *a).collect();
    bill_accounts.sort_unstable();
    bill_accounts.dedup();
    let mut latest: HashMap<i64, Cursor> = HashMap::new();
    if !bill_accounts.is_empty() {
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as(ACCOUNT_ENTRIES).bind(&bill_accounts).fetch_all(&mut *conn).await?;
        for (id, x, rev) in rows {
            let at = Cursor { txid: txid(&x)?, rev };
            let e = latest.entry(id).or_insert(at);
            *e = (*e).max(at);
        }
    }
    let unseen: HashSet<i64> =
        bill_accounts.into_iter().filter(|id| latest.get(id).is_none_or(|at| *at > from)).collect();
    // The refund requests of the log's entries that go down to this counter, each with its account.
    let refund_seqs: Vec<i64> = log.iter().filter(|e| e.2 == "r").map(|e| e.3).collect();
    let mut refunds: HashMap<i64, (Option<i64>, WireRefund)> = HashMap::new();
    if !refund_seqs.is_empty() {
        let rows: Vec<RefundRow> = sqlx::query_as(REFUNDS_BY_SEQ).bind(&refund_seqs).fetch_all(&mut *conn).await?;
        for row in rows {
            let state = crate::refunds::parse_state(&row.state)?;
            if sent_down(state) && terminal.is_none_or(|t| t == row.terminal) {
                refunds.insert(row.seq, (row.account_id, wire_refund(row, state)));
            }
        }
    }
    // The confirmed deposits of the log's entries that go down to this counter.
    let deposit_seqs: Vec<i64> = log.iter().filter(|e| e.2 == "d").map(|e| e.3).collect();
    let mut deposits: HashMap<i64, WireDeposit> = HashMap::new();
    if !deposit_seqs.is_empty() {
        let rows: Vec<DepositRow> = sqlx::query_as(DEPOSITS_BY_SEQ).bind(&deposit_seqs).fetch_all(&mut *conn).await?;
        for (seq, event_id, terminal_code, slip_no, amount, confirmed_at, confirmed_by, reference) in rows {
            if terminal.is_none_or(|t| t == terminal_code) {
                let d = WireDeposit {
                    event_id: event_id.to_string(),
                    terminal: terminal_code,
                    slip_no,
                    amount: yuan(amount),
                    confirmed_at: crate::refunds::shown(confirmed_at),
                    confirmed_by,
                    reference,
                };
                deposits.insert(seq, d);
            }
        }
    }
    let mut account_ids: Vec<i64> = log.iter().filter(|e| e.2 == "a").map(|e| e.3).collect();
    account_ids.extend(unseen.iter().copied());
    account_ids.extend(refunds.values().filter_map(|(a, _)| *a));
    account_ids.extend(sets.iter().flat_map(|s| s.4.iter().copied()));
    account_ids.sort_unstable();
    account_ids.dedup();
    let mut accounts: HashMap<i64, WireAccount> = HashMap::new();
    if !account_ids.is_empty() {
        let rows: Vec<AccountRow> =
            sqlx::query_as(ACCOUNTS_BY_ID).bind(&account_ids).bind(area).fetch_all(&mut *conn).await?;
        for row in rows {
            let (id, account) = wire_account(row)?;
            accounts.insert(id, account);
        }
    }
    // Each entry at its place, and where the cursor goes once it is sent (a set owns its
    // transaction's numbers up to `rev_last`, see the migration).
    let mut all: Vec<(Cursor, Cursor, Entry)> = Vec::with_capacity(log.len() + sets.len() + 3);
    for (x, rev, kind, id) in log {
        let entry = match kind.as_str() {
            "a" => Entry::Account(id),
            "b" => Entry::Bill(id),
            "d" => Entry::Deposit(id),
            _ => Entry::Refund(id),
        };
        let at = Cursor { txid: txid(&x)?, rev };
        all.push((at, at, entry));
    }
    for (x, rev, rev_last, _, account_ids, bill_ids) in sets {
        let t = txid(&x)?;
        all.push((Cursor { txid: t, rev }, Cursor { txid: t, rev: rev_last }, Entry::Set(account_ids, bill_ids)));
    }
    let policies: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT txid::text, rev, body FROM policy WHERE (txid, rev) > ($1::xid8, $2) AND txid < $3::xid8",
    )
    .bind(&t)
    .bind(from.rev)
    .bind(&horizon)
    .fetch_all(&mut *conn)
    .await?;
    for (x, rev, body) in policies {
        let policy = Policy::from_json(&body)
            .map_err(|e| LedgerError::Internal(format!("the stored policy is invalid: {e}")))?;
        let at = Cursor { txid: txid(&x)?, rev };
        all.push((at, at, Entry::Ready(Change::Policy(PolicyChange { policy }))));
    }
    let years: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT txid::text, rev, notice FROM calendar_years WHERE (txid, rev) > ($1::xid8, $2) AND txid < $3::xid8",
    )
    .bind(&t)
    .bind(from.rev)
    .bind(&horizon)
    .fetch_all(&mut *conn)
    .await?;
    for (x, rev, notice) in years {
        let notice = YearCalendar::from_json(&notice)
            .map_err(|e| LedgerError::Internal(format!("a stored calendar year is invalid: {e}")))?;
        let at = Cursor { txid: txid(&x)?, rev };
        all.push((at, at, Entry::Ready(Change::Calendar(CalendarChange { notice }))));
    }
    all.sort_by_key(|(c, ..)| *c);
    // Entries in order while the page has room (the first always goes, even when it brings its
    // account: a page of 2 for a limit of 1); each row at most once.
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let (mut sent_accounts, mut sent_bills, mut sent_refunds) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut sent_deposits = HashSet::new();
    let mut changes: Vec<Change> = Vec::new();
    let mut cursor = from;
    let mut taken = 0;
    for (at, after, entry) in &all {
        if bound.is_some_and(|b| *at > b) {
            break;
        }
        let mut these: Vec<(Option<i64>, Option<i64>, Change)> = Vec::new();
        let account = |id: i64, these: &mut Vec<(Option<i64>, Option<i64>, Change)>| {
            if !sent_accounts.contains(&id)
                && let Some(a) = accounts.get(&id)
            {
                these.push((Some(id), None, Change::Account(a.clone())));
            }
        };
        let bill = |id: i64, these: &mut Vec<(Option<i64>, Option<i64>, Change)>| {
            if !sent_bills.contains(&id)
                && let Some((account_id, bill)) = bills.get(&id)
            {
                if unseen.contains(account_id) {
                    account(*account_id, these);
                }
                these.push((None, Some(id), Change::Bill(bill.clone())));
            }
        };
        match entry {
            Entry::Account(id) => account(*id, &mut these),
            Entry::Bill(id) => bill(*id, &mut these),
            // A set's accounts first (they include every account whose bill it holds), then its bills.
            Entry::Set(account_ids, bill_ids) => {
                for id in account_ids {
                    account(*id, &mut these);
                }
                for id in bill_ids {
                    bill(*id, &mut these);
                }
            }
            // A request with its account (a payout's balance), unless the page has sent it.
            Entry::Refund(seq) => {
                if let Some((account_id, refund)) = refunds.get(seq).filter(|_| !sent_refunds.contains(seq)) {
                    if let Some(id) = account_id {
                        account(*id, &mut these);
                    }
                    these.push((None, None, Change::Refund(Box::new(refund.clone()))));
                }
            }
            // Another counter's deposit: nothing to send, the cursor moves on all the same.
            Entry::Deposit(seq) => {
                if let Some(d) = deposits.get(seq).filter(|_| !sent_deposits.contains(seq)) {
                    these.push((None, None, Change::Deposit(d.clone())));
                }
            }
            Entry::Ready(change) => these.push((None, None, change.clone())),
        }
        if taken > 0 && changes.len() + these.len() > n {
            break;
        }
        if let Entry::Refund(seq) = entry
            && these.iter().any(|(.., c)| matches!(c, Change::Refund(_)))
        {
            sent_refunds.insert(*seq);
        }
        if let Entry::Deposit(seq) = entry
            && !these.is_empty()
        {
            sent_deposits.insert(*seq);
        }
        for (a, b, change) in these {
            sent_accounts.extend(a);
            sent_bills.extend(b);
            changes.push(change);
        }
        cursor = *after;
        taken += 1;
    }
    let more = full || sets_full || taken < all.len();
    Ok(PullResponse { changes, cursor: cursor.to_string(), more })
}

/// A position in the merged change stream: a log entry (the row is read in the page's snapshot), or
/// a policy or calendar change read with its row.
enum Entry {
    Account(i64),
    Bill(i64),
    /// A push's change set: its accounts, then its bills.
    Set(Vec<i64>, Vec<i64>),
    /// A refund request (`refunds.seq`).
    Refund(i64),
    /// A confirmed deposit (`deposits.seq`).
    Deposit(i64),
    Ready(Change),
}

fn wire_refund(row: RefundRow, state: State) -> WireRefund {
    WireRefund {
        refund_id: row.refund_id.to_string(),
        request_no: row.request_no,
        terminal: row.terminal,
        account_no: row.account_no,
        state,
        finance_by: row.finance_by,
        finance_at: row.finance_at.map(crate::refunds::shown),
        finance_reason: row.finance_reason,
        paid_amount: row.paid_amount.map(yuan),
        payout_date: row.payout_date.map(|d| d.to_string()),
        payout_ref: row.payout_ref,
        flag: row.flag,
    }
}

fn wire_account(row: AccountRow) -> Result<(i64, WireAccount), LedgerError> {
    let (id, account_no, name, address, category, mode, meter_no, multiplier, phone, prepaid, risk, closed) = row;
    let bad = |what: &str| LedgerError::Internal(format!("account {account_no} has an invalid {what}"));
    let account = WireAccount {
        category: Category::parse(&category).ok_or_else(|| bad("category"))?,
        billing_mode: BillingMode::parse(&mode).ok_or_else(|| bad("billing mode"))?,
        risk: match risk {
            Some(r) => Some(RiskMark::parse(&r).ok_or_else(|| bad("risk mark"))?),
            None => None,
        },
        account_no: account_no.clone(),
        name,
        address,
        meter_no,
        multiplier,
        phone: phone.as_deref().map(cashdesk::accounts::import::mask_phone),
        prepaid_balance: yuan(prepaid),
        closed,
    };
    Ok((id, account))
}

fn wire_bill(row: BillRow) -> Result<(i64, i64, WireBill), LedgerError> {
    let (id, account_id, account_no, period, kwh, amount, paid, due, fee_from, received, waived, owed, written_off) =
        row;
    let period = u32::try_from(period)
        .ok()
        .and_then(Period::from_number)
        .ok_or_else(|| LedgerError::Internal(format!("a bill of {account_no} has an invalid period {period}")))?;
    let bill = WireBill {
        account_no,
        period: period.to_string(),
        kwh,
        amount: yuan(amount),
        paid: yuan(paid),
        due_date: due.to_string(),
        late_fee_from: fee_from.to_string(),
        late_fee_received: yuan(received),
        late_fee_waived: yuan(waived),
        late_fee_owed: yuan(owed),
        written_off,
    };
    Ok((id, account_id, bill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(Cursor::parse("").unwrap(), Cursor::default());
        let c = Cursor { txid: 7_000_000_001, rev: 42 };
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        assert!(Cursor::parse("abc").is_err());
        assert!(Cursor::parse("1.x").is_err());
        assert!(Cursor { txid: 2, rev: 1 } > Cursor { txid: 1, rev: 9 });
    }
}
