//! 上传事件: a terminal's pushed money events, stored once and applied to the central accounts.
//!
//! Invariants:
//! - A batch is validated whole before anything is stored: a malformed event (bad id, wrong hash,
//!   unknown kind, unreadable payload, another terminal's event) refuses the request and stores
//!   nothing.
//! - A batch is one transaction, serialised per terminal (an advisory lock); account rows are
//!   locked in id order, so concurrent terminals never deadlock. A bill changes only in a push, under
//!   its account's row lock (imports only add bills), so bills need no locks of their own.
//! - An event id is stored once (primary key). The same id with the same payload hash is answered
//!   `duplicate` and changes nothing; with a different hash the new payload is kept in
//!   `event_rejects`, a conflict is listed, and it is answered `flagged`: never silently dropped.
//! - Money is never refused. A payment is settled by the core's rule (`payments::settle`) on the
//!   ledger's bills; if that differs from the counter's allocation (two counters paid the same bill
//!   offline) the ledger's result stands (the excess becomes prepaid) and a conflict is listed. Money
//!   for an unknown or closed account goes to suspense (挂账), listed too.
//! - What a batch changed reaches the counters' pulls as change sets (`change_sets`, at most 1,000
//!   ids each: the accounts it changed or whose bills it changed, and the bills), the first written
//!   by the same statement as the changes; the per-row log triggers skip a push's transaction. The
//!   refund requests it moved on are log entries of kind 'r' at the places after its sets (`write`).
//! - A void reverses only a payment or vend of the same terminal with the same amount and receipt
//!   number. Any other void (another terminal's payment, a different amount or receipt) is stored,
//!   reverses nothing, and is flagged `void_mismatch` for review: a counter cannot undo money it did
//!   not take. A void of a payment the centre does not have, or of one already void, is flagged too.
//! - A receipt number is claimed once per terminal (`events.receipt_no`, a unique index). A payment
//!   or vend that repeats one is stored and applied (the money was taken) without the claim, and
//!   flagged `receipt_reused`; the index never answers a push with an error.
//! - Refund requests (`refund`): a `refund.submit` carries the payee's whole account number as the
//!   event's secret, never in the payload; one without it is refused as a bad request. The number is
//!   sealed with the ledger's data key (`datakey`) before it is stored, in the batch's transaction.
//!   The request's amount is held from then on. A request for more than the account's balance at
//!   the centre less what its other requests hold is stored all the same, flagged (never paid) and
//!   listed as a conflict. The hall's decision moves it on (approved: received at the ledger,
//!   `at_ledger`; rejected: the hold released), by the core's state machine; a void that takes a
//!   balance below what requests hold flags the newest of them (`refunds::uncovered`). Refund rows
//!   are locked after their accounts', in id order.
//!
//! - Some events are applied and flagged for a finance reviewer all the same (`review`): dated more
//!   than [`Review::ahead`] after their arrival or before the terminal's previous event, every
//!   late-fee waiver with its approver, and amounts above the policy's maximum.
//!
//! Layout: `check` validates a batch, `load` reads and locks what it touches, `apply` works out each
//! event's effect in memory with the core's rules (`refund` for refund requests), `write` stores it
//! all with a few bulk statements.

mod apply;
mod check;
mod load;
mod refund;
mod review;
mod write;

pub use load::load_policy;
pub use review::Review;

use self::{
    apply::{apply_taking, apply_void},
    check::check,
    load::{
        load_accounts, load_applied, load_bills, load_receipts, load_refund_accounts, load_refunds, load_vouchers,
        policy_from,
    },
    refund::{Req, apply_hall, apply_submit, check_holds},
    write::{write_all, write_refunds},
};

use std::collections::{HashMap, HashSet};

use cashdesk::datakey::DataKey;
use cashdesk::{
    accounts::{Bill, Category, Period},
    money::Yuan,
    policy::Policy,
    sync::wire::{self, EventResult, Outcome, PushEvent},
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::LedgerError;

#[derive(Debug)]
struct Checked<'a> {
    raw: &'a PushEvent,
    id: Uuid,
    body: Body,
    /// The money the event moves, as stored with it (none for a hall's decision).
    amount: Option<Yuan>,
    account_no: Option<String>,
}

/// The payee's whole bank account number of a `refund.submit`, read from the event's secret
/// (normalised): only sealed when stored, never in `Debug` output.
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A pushed event, read through the one contract (`wire::Event`).
#[derive(Debug)]
enum Body {
    Taking { vend: bool, p: Box<wire::Taking>, on: NaiveDate },
    Void(wire::Void),
    Deposit(wire::Deposit),
    ShiftOpen(wire::ShiftOpen),
    ShiftClose(wire::ShiftClose),
    RefundSubmit { p: Box<wire::RefundSubmit>, at: DateTime<FixedOffset>, secret: Secret },
    RefundHall { p: wire::RefundHall, refund_id: Uuid, at: DateTime<FixedOffset> },
}

/// An account as a batch sees it.
#[derive(Debug)]
struct Acc {
    id: i64,
    category: Category,
    closed: bool,
    prepaid: Yuan,
    dirty: bool,
}

/// A line of what an event did (kind late_fee, principal, prepaid or suspense).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AppliedLine {
    kind: String,
    bill_id: Option<i64>,
    period: Option<i32>,
    amount: Yuan,
}

/// A bill's late-fee state before a payment touched it, and the fee it waived.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Before {
    bill_id: i64,
    late_fee_from: NaiveDate,
    late_fee_owed: Yuan,
    waived_now: Yuan,
}

/// What a payment or vend did, stored with its event (`events.effect`, JSON) so that a void
/// reverses exactly that.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Effect {
    lines: Vec<AppliedLine>,
    before: Vec<Before>,
}

/// What one applied payment left, for a void in the same or a later batch: what it did, and what a
/// void must match (its terminal, amount and receipt number).
#[derive(Debug, Clone)]
struct Applied {
    terminal: String,
    amount: Option<Yuan>,
    receipt_no: Option<String>,
    account_no: Option<String>,
    lines: Vec<AppliedLine>,
    before: Vec<Before>,
    voided: bool,
}

#[derive(Debug)]
struct Conflict {
    kind: &'static str,
    event_id: Uuid,
    account_no: Option<String>,
    amount: Option<Yuan>,
    detail: String,
}

/// Everything a batch writes, gathered in memory and written with a few bulk statements.
#[derive(Debug, Default)]
struct Writes {
    events: Vec<(Uuid, usize, &'static str)>,
    effects: HashMap<Uuid, Effect>,
    voids: Vec<(Uuid, Uuid)>,
    /// The receipt number each new payment or vend claims (`events.receipt_no`, unique per terminal).
    receipts: HashMap<Uuid, String>,
    vouchers_new: Vec<(String, String, Uuid)>,
    vouchers_freed: Vec<Uuid>,
    suspense: Vec<(Uuid, Option<String>, Yuan, &'static str)>,
    conflicts: Vec<Conflict>,
    rejects: Vec<usize>,
    /// New refund requests (id, index in the batch), their steps, and the requests to log.
    refunds_new: Vec<(Uuid, usize)>,
    refund_steps: Vec<refund::History>,
    refund_log: Vec<Uuid>,
}

/// Begins a push: the terminal's lock, plans by index for the rest of the transaction, and the
/// policy (its body, if one is stored).
///
/// Every statement of a push reads or changes a few hundred rows by key (500 accounts of a million,
/// their open bills, the bills a payment settled). PostgreSQL's cost model prefers a sequential
/// scan, or a hash join over one, when the table is small or its statistics are stale: after an
/// import of 48,000 bills it scanned all of them to find 500 accounts' open bills and to update
/// 600. On a table that size the scan costs about what the index does; on a province's ten million
/// bills it would cost a push seconds, in proportion to the whole table, so a push does not leave
/// the choice to the statistics. `SET LOCAL` (`set_config(.., true)`) ends with the transaction.
///
/// The push logs what it changes as change sets (`write`), so the log triggers skip its
/// statements (`cashdesk.change_set`, for this transaction only).
///
/// The policy is read in the statement's snapshot, taken before the lock is granted: a push that
/// waited applies the policy in force when it arrived (pushes were never ordered against policy
/// changes).
const TAKE_TERMINAL: &str = "SELECT pg_advisory_xact_lock(hashtext('terminal:' || $1)),
        set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
        set_config('enable_mergejoin', 'off', true), set_config('cashdesk.change_set', 'on', true),
        (SELECT body FROM policy WHERE id = 1)";

/// Store and apply a terminal's batch, which arrived at `now`; one result per event, in order. `key`
/// seals the payees' account numbers of refund requests; `rules` are the review flags' settings.
pub async fn push(
    pool: &PgPool,
    key: &DataKey,
    terminal: &str,
    events: &[PushEvent],
    now: DateTime<Utc>,
    rules: Review,
) -> Result<Vec<EventResult>, LedgerError> {
    let checked = check(terminal, events)?;
    if checked.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    let (.., policy): ((), String, String, String, String, Option<String>) =
        sqlx::query_as(TAKE_TERMINAL).bind(terminal).fetch_one(&mut *tx).await?;
    let results = apply_batch(&mut tx, key, terminal, &checked, &policy_from(policy)?, now, rules).await?;
    tx.commit().await?;
    Ok(results)
}

async fn apply_batch(
    conn: &mut PgConnection,
    key: &DataKey,
    terminal: &str,
    checked: &[Checked<'_>],
    policy: &Policy,
    now: DateTime<Utc>,
    rules: Review,
) -> Result<Vec<EventResult>, LedgerError> {
    let ids: Vec<Uuid> = checked.iter().map(|c| c.id).collect();
    let seen: HashMap<Uuid, String> =
        sqlx::query_as::<_, (Uuid, String)>("SELECT event_id, payload_sha256 FROM events WHERE event_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();

    // Which events are new, and what they touch.
    let mut fresh = Vec::new();
    let mut results: Vec<Option<EventResult>> = vec![None; checked.len()];
    let mut writes = Writes::default();
    let mut in_batch: HashMap<Uuid, &str> = HashMap::new();
    for (i, c) in checked.iter().enumerate() {
        let known = seen.get(&c.id).map(String::as_str).or_else(|| in_batch.get(&c.id).copied());
        match known {
            Some(hash) if hash == c.raw.payload_sha256 => {
                results[i] =
                    Some(EventResult { event_id: c.raw.event_id.clone(), outcome: Outcome::Duplicate, flag: None });
            }
            Some(_) => {
                writes.rejects.push(i);
                writes.conflicts.push(Conflict {
                    kind: "id_reused",
                    event_id: c.id,
                    account_no: c.account_no.clone(),
                    amount: c.amount,
                    detail: format!(
                        "event id {} was received before with a different payload (seq {}, kind {}); the new payload is kept in event_rejects",
                        c.raw.event_id, c.raw.seq, c.raw.kind
                    ),
                });
                results[i] = Some(EventResult {
                    event_id: c.raw.event_id.clone(),
                    outcome: Outcome::Flagged,
                    flag: Some("id_reused: this id was received with a different payload".into()),
                });
            }
            None => {
                in_batch.insert(c.id, c.raw.payload_sha256.as_str());
                fresh.push(i);
            }
        }
    }

    // Load (and lock) what the new events touch.
    let voided: Vec<Uuid> = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::Void(v) => Uuid::parse_str(&v.voids_event_id).ok(),
            _ => None,
        })
        .collect();
    let mut applied = load_applied(&mut *conn, &voided).await?;
    let mut account_nos: HashSet<String> = fresh.iter().filter_map(|&i| checked[i].account_no.clone()).collect();
    account_nos.extend(applied.values().filter_map(|a| a.account_no.clone()));
    // A hall's decision touches its request's account (locked before the request, like every push).
    let hall_ids: Vec<Uuid> = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::RefundHall { refund_id, .. } => Some(*refund_id),
            _ => None,
        })
        .collect();
    account_nos.extend(load_refund_accounts(&mut *conn, &hall_ids).await?);
    let account_nos: Vec<String> = account_nos.into_iter().collect();
    let mut accounts = load_accounts(&mut *conn, &account_nos).await?;
    // What requests hold on the accounts a submission or a void touches, and the requests a hall
    // decided (only when the batch has one: a batch of payments reads no request).
    let mut hold_accounts: Vec<String> = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::RefundSubmit { p, .. } => Some(p.account_no.clone()),
            _ => None,
        })
        .collect();
    hold_accounts.extend(applied.values().filter_map(|a| a.account_no.clone()));
    let mut refunds: HashMap<Uuid, Req> = load_refunds(&mut *conn, &hold_accounts, &hall_ids).await?;
    let void_bills: Vec<i64> = applied.values().flat_map(|a| a.lines.iter().filter_map(|l| l.bill_id)).collect();
    let account_ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
    let mut bills = load_bills(&mut *conn, &account_ids, &void_bills).await?;
    let mut vouchers = load_vouchers(&mut *conn, checked, &fresh).await?;
    let mut receipts = load_receipts(&mut *conn, terminal, checked, &fresh).await?;
    let (mut latest, last_seq): (Option<DateTime<Utc>>, i64) =
        sqlx::query_as("SELECT last_event_at, last_seq FROM terminals WHERE code = $1")
            .bind(terminal)
            .fetch_one(&mut *conn)
            .await?;
    let mut dirty_bills: HashSet<i64> = HashSet::new();

    for &i in &fresh {
        let c = &checked[i];
        let before_conflicts = writes.conflicts.len();
        match &c.body {
            Body::Taking { vend, p, on } => {
                apply_taking(
                    c,
                    *vend,
                    p,
                    *on,
                    policy,
                    &mut accounts,
                    &mut bills,
                    &mut dirty_bills,
                    &mut writes,
                    &mut applied,
                );
                if receipts.insert(p.receipt_no.clone()) {
                    writes.receipts.insert(c.id, p.receipt_no.clone());
                } else {
                    writes.conflicts.push(Conflict {
                        kind: "receipt_reused",
                        event_id: c.id,
                        account_no: Some(p.account_no.clone()),
                        amount: Some(p.amount),
                        detail: format!(
                            "receipt {} of terminal {terminal} was already used by another payment; this one is applied all the same",
                            p.receipt_no
                        ),
                    });
                }
                if let Some(v) = &p.voucher {
                    let key = (v.bank.clone(), v.serial.clone());
                    match vouchers.get(&key) {
                        Some(first) if *first != c.id => writes.conflicts.push(Conflict {
                            kind: "voucher_reused",
                            event_id: c.id,
                            account_no: Some(p.account_no.clone()),
                            amount: Some(p.amount),
                            detail: format!("bank slip {} {} already paid event {first}", v.bank, v.serial),
                        }),
                        Some(_) => {}
                        None => {
                            vouchers.insert(key, c.id);
                            writes.vouchers_new.push((v.bank.clone(), v.serial.clone(), c.id));
                        }
                    }
                }
            }
            Body::Void(v) => {
                apply_void(c, v, &mut accounts, &mut bills, &mut dirty_bills, &mut writes, &mut applied, &mut vouchers);
                if let Ok(target) = Uuid::parse_str(&v.voids_event_id)
                    && let Some(no) = applied.get(&target).and_then(|a| a.account_no.clone())
                {
                    check_holds(c, &v.receipt_no, &no, &accounts, &mut refunds, &mut writes);
                }
            }
            Body::RefundSubmit { p, at, .. } => {
                apply_submit(c, i, terminal, p, *at, &accounts, &mut refunds, &mut writes)
            }
            Body::RefundHall { p, refund_id, at } => {
                apply_hall(c, terminal, p, *refund_id, *at, &mut refunds, &mut writes)
            }
            // Recorded (the events row, and `deposits` / `shifts` when written): no account changes.
            Body::Deposit(_) | Body::ShiftOpen(_) | Body::ShiftClose(_) => {}
        }
        writes.conflicts.extend(review::review(c, policy, rules, now, (latest, last_seq)));
        if let Ok(at) = DateTime::parse_from_rfc3339(&c.raw.created_at) {
            let at = at.with_timezone(&Utc);
            latest = Some(latest.map_or(at, |l| l.max(at)));
        }
        let flagged = writes.conflicts.len() > before_conflicts;
        writes.events.push((c.id, i, if flagged { "flagged" } else { "applied" }));
        let flag = if flagged {
            Some(writes.conflicts[before_conflicts..].iter().map(|k| k.kind).collect::<Vec<_>>().join(", "))
        } else {
            None
        };
        results[i] = Some(EventResult {
            event_id: c.raw.event_id.clone(),
            outcome: if flagged { Outcome::Flagged } else { Outcome::Applied },
            flag,
        });
    }

    let next_rev = write_all(&mut *conn, terminal, checked, &writes, &accounts, &bills, &dirty_bills).await?;
    sqlx::query("UPDATE terminals SET last_event_at = $2 WHERE code = $1 AND last_event_at IS DISTINCT FROM $2")
        .bind(terminal)
        .bind(latest)
        .execute(&mut *conn)
        .await?;
    write_refunds(&mut *conn, key, checked, &writes, &refunds, next_rev).await?;
    Ok(results.into_iter().flatten().collect())
}
