//! 上传事件: a terminal's pushed money events, stored once and applied to the central accounts.
//!
//! Invariants:
//! - A batch is validated whole before anything is stored: a malformed event (bad id, wrong hash,
//!   unknown kind, unreadable payload, another terminal's event) refuses the request and stores
//!   nothing.
//! - A batch is one transaction, serialised per terminal (an advisory lock); account and bill rows
//!   are locked in id order, so concurrent terminals never deadlock.
//! - An event id is stored once (primary key). The same id with the same payload hash is answered
//!   `duplicate` and changes nothing; with a different hash the new payload is kept in
//!   `event_rejects`, a conflict is listed, and it is answered `flagged`: never silently dropped.
//! - Money is never refused. A payment is settled by the core's rule (`payments::settle`) on the
//!   ledger's bills; if that differs from the counter's allocation (two counters paid the same bill
//!   offline) the ledger's result stands (the excess becomes prepaid) and a conflict is listed. Money
//!   for an unknown or closed account goes to suspense (挂账), listed too.

use std::collections::{HashMap, HashSet};

use cashdesk::{
    accounts::{Bill, Category, Period},
    money::Yuan,
    payments::settle,
    policy::Policy,
    sync::wire::{self, EventResult, Outcome, PushEvent, TakingPayload, VoidPayload},
};
use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::api::LedgerError;

/// An event that passed validation.
#[derive(Debug)]
struct Checked<'a> {
    raw: &'a PushEvent,
    id: Uuid,
    body: Body,
    amount: Option<Yuan>,
    account_no: Option<String>,
}

#[derive(Debug)]
enum Body {
    Taking { vend: bool, p: Box<TakingPayload>, on: NaiveDate },
    Void(VoidPayload),
    Deposit(DepositPayload),
    ShiftOpen(ShiftOpenPayload),
    ShiftClose(ShiftClosePayload),
}

#[derive(Debug, Deserialize)]
struct DepositPayload {
    bank: String,
    slip_no: String,
    amount: Yuan,
}

#[derive(Debug, Deserialize)]
struct ShiftOpenPayload {
    shift: i64,
    cashier: String,
    float: Yuan,
    opened_at: String,
}

#[derive(Debug, Deserialize)]
struct ShiftClosePayload {
    shift: i64,
    cashier: String,
    float: Yuan,
    expected: Yuan,
    counted: Yuan,
    at: String,
}

fn bad(i: usize, e: &PushEvent, why: impl std::fmt::Display) -> LedgerError {
    LedgerError::BadRequest(format!("event {} ({}): {why}", i + 1, e.event_id))
}

fn parse<T: serde::de::DeserializeOwned>(i: usize, e: &PushEvent) -> Result<T, LedgerError> {
    serde_json::from_str(&e.payload)
        .map_err(|err| bad(i, e, format!("the payload is not a valid {} event: {err}", e.kind)))
}

/// Validate a whole batch for `terminal`; nothing is stored when this fails.
fn check<'a>(terminal: &str, events: &'a [PushEvent]) -> Result<Vec<Checked<'a>>, LedgerError> {
    if events.len() > wire::MAX_BATCH {
        return Err(LedgerError::TooLarge(format!(
            "{} events in one request; send at most {}",
            events.len(),
            wire::MAX_BATCH
        )));
    }
    let mut out = Vec::with_capacity(events.len());
    let mut last_seq = 0;
    for (i, e) in events.iter().enumerate() {
        if e.terminal != terminal {
            return Err(LedgerError::Forbidden(format!(
                "event {} belongs to terminal {}; this token is terminal {terminal}",
                e.event_id, e.terminal
            )));
        }
        let id = Uuid::parse_str(&e.event_id).map_err(|_| bad(i, e, "the event id is not a UUID"))?;
        if e.seq <= last_seq {
            return Err(bad(i, e, "events must come in increasing seq order"));
        }
        last_seq = e.seq;
        if e.payload.len() > wire::MAX_PAYLOAD_BYTES {
            return Err(LedgerError::TooLarge(format!(
                "event {}: payload of {} bytes; at most {}",
                e.event_id,
                e.payload.len(),
                wire::MAX_PAYLOAD_BYTES
            )));
        }
        if hex::encode(Sha256::digest(e.payload.as_bytes())) != e.payload_sha256 {
            return Err(bad(i, e, "payload_sha256 does not match the payload"));
        }
        let json: serde_json::Value =
            serde_json::from_str(&e.payload).map_err(|err| bad(i, e, format!("the payload is not JSON: {err}")))?;
        if json.get("event_id").and_then(|v| v.as_str()) != Some(e.event_id.as_str()) {
            return Err(bad(i, e, "the payload's event_id differs from the event's"));
        }
        let amount = wire::event_amount(&e.kind, &json);
        let body = match e.kind.as_str() {
            "payment" | "vend" => {
                let p: TakingPayload = parse(i, e)?;
                let on = DateTime::parse_from_rfc3339(&p.at)
                    .map_err(|_| bad(i, e, "`at` is not an RFC 3339 time"))?
                    .date_naive();
                cashdesk::accounts::AccountNo::parse(&p.account_no).map_err(|err| bad(i, e, err))?;
                Body::Taking { vend: e.kind == "vend", p: Box::new(p), on }
            }
            "void" => {
                let p: VoidPayload = parse(i, e)?;
                Uuid::parse_str(&p.voids_event_id).map_err(|_| bad(i, e, "voids_event_id is not a UUID"))?;
                Body::Void(p)
            }
            "deposit" => Body::Deposit(parse(i, e)?),
            "shift.open" => Body::ShiftOpen(parse(i, e)?),
            "shift.close" => Body::ShiftClose(parse(i, e)?),
            other => return Err(bad(i, e, format!("unknown kind '{other}'"))),
        };
        if amount.is_none() {
            return Err(bad(i, e, "the payload has no amount"));
        }
        let account_no = match &body {
            Body::Taking { p, .. } => Some(p.account_no.clone()),
            _ => None,
        };
        out.push(Checked { raw: e, id, body, amount, account_no });
    }
    Ok(out)
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

/// What one applied payment left, for a void in the same or a later batch.
#[derive(Debug, Clone)]
struct Applied {
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
    vouchers_new: Vec<(String, String, Uuid)>,
    vouchers_freed: Vec<Uuid>,
    suspense: Vec<(Uuid, Option<String>, Yuan, &'static str)>,
    conflicts: Vec<Conflict>,
    rejects: Vec<usize>,
}

/// Store and apply a terminal's batch; one result per event, in order.
pub async fn push(pool: &PgPool, terminal: &str, events: &[PushEvent]) -> Result<Vec<EventResult>, LedgerError> {
    let checked = check(terminal, events)?;
    if checked.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('terminal:' || $1))").bind(terminal).execute(&mut *tx).await?;
    let results = apply_batch(&mut tx, terminal, &checked).await?;
    tx.commit().await?;
    Ok(results)
}

async fn apply_batch(
    conn: &mut PgConnection,
    terminal: &str,
    checked: &[Checked<'_>],
) -> Result<Vec<EventResult>, LedgerError> {
    let ids: Vec<Uuid> = checked.iter().map(|c| c.id).collect();
    let seen: HashMap<Uuid, String> =
        sqlx::query_as::<_, (Uuid, String)>("SELECT event_id, payload_sha256 FROM events WHERE event_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let policy = load_policy(&mut *conn).await?;

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
    let account_nos: Vec<String> = account_nos.into_iter().collect();
    let mut accounts = load_accounts(&mut *conn, &account_nos).await?;
    let void_bills: Vec<i64> = applied.values().flat_map(|a| a.lines.iter().filter_map(|l| l.bill_id)).collect();
    let account_ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
    let mut bills = load_bills(&mut *conn, &account_ids, &void_bills).await?;
    let mut vouchers = load_vouchers(&mut *conn, checked, &fresh).await?;
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
                    &policy,
                    &mut accounts,
                    &mut bills,
                    &mut dirty_bills,
                    &mut writes,
                    &mut applied,
                );
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
            }
            // Recorded (the events row, and `deposits` / `shifts` when written): no account changes.
            Body::Deposit(_) | Body::ShiftOpen(_) | Body::ShiftClose(_) => {}
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

    write_all(&mut *conn, terminal, checked, &writes, &accounts, &bills, &dirty_bills).await?;
    Ok(results.into_iter().flatten().collect())
}

#[allow(clippy::too_many_arguments)]
fn apply_taking(
    c: &Checked<'_>,
    vend: bool,
    p: &TakingPayload,
    on: NaiveDate,
    policy: &Policy,
    accounts: &mut HashMap<String, Acc>,
    bills: &mut HashMap<i64, Vec<Bill>>,
    dirty_bills: &mut HashSet<i64>,
    writes: &mut Writes,
    applied: &mut HashMap<Uuid, Applied>,
) {
    let mut lines = Vec::new();
    let mut before = Vec::new();
    let suspend = |reason: &'static str, detail: String, writes: &mut Writes, lines: &mut Vec<AppliedLine>| {
        writes.suspense.push((c.id, Some(p.account_no.clone()), p.amount, reason));
        writes.conflicts.push(Conflict {
            kind: reason,
            event_id: c.id,
            account_no: Some(p.account_no.clone()),
            amount: Some(p.amount),
            detail,
        });
        lines.push(AppliedLine { kind: "suspense".into(), bill_id: None, period: None, amount: p.amount });
    };
    match accounts.get_mut(&p.account_no) {
        None => suspend(
            "unknown_account",
            format!("receipt {}: no account {} at the centre; the money is in suspense", p.receipt_no, p.account_no),
            writes,
            &mut lines,
        ),
        Some(a) if a.closed => suspend(
            "account_closed",
            format!("receipt {}: account {} is closed centrally; the money is in suspense", p.receipt_no, p.account_no),
            writes,
            &mut lines,
        ),
        Some(a) if vend => {
            a.prepaid += p.amount;
            a.dirty = true;
            lines.push(AppliedLine { kind: "prepaid".into(), bill_id: None, period: None, amount: p.amount });
        }
        Some(a) => {
            let open = bills.entry(a.id).or_default();
            let waive = p.waiver_reason.is_some() || p.late_fee_waived.is_some_and(|w| w.is_positive());
            let s = settle::settle(open, a.category, on, &policy.late_fee, p.amount, waive);
            for ch in &s.changes {
                if let Some(b) = open.iter_mut().find(|b| b.id == ch.bill_id) {
                    before.push(Before {
                        bill_id: b.id,
                        late_fee_from: b.late_fee_from,
                        late_fee_owed: b.late_fee_owed,
                        waived_now: ch.late_fee_waived,
                    });
                    settle::apply_change(b, ch, on);
                    dirty_bills.insert(b.id);
                }
            }
            if s.prepaid().is_positive() {
                a.prepaid += s.prepaid();
                a.dirty = true;
            }
            lines = s
                .lines
                .iter()
                .map(|l| AppliedLine {
                    kind: l.kind.as_str().to_string(),
                    bill_id: l.bill_id,
                    period: l.period.map(|p| p.number() as i32),
                    amount: l.amount,
                })
                .collect();
            let ours: Vec<(Option<String>, &str, Yuan)> =
                s.lines.iter().map(|l| (l.period.map(|p| p.to_string()), l.kind.as_str(), l.amount)).collect();
            let theirs: Vec<(Option<String>, &str, Yuan)> =
                p.lines.iter().map(|l| (l.period.clone(), l.kind.as_str(), l.amount)).collect();
            if ours != theirs {
                let extra = s.prepaid();
                writes.conflicts.push(Conflict {
                    kind: "allocation_differs",
                    event_id: c.id,
                    account_no: Some(p.account_no.clone()),
                    amount: Some(p.amount),
                    detail: format!(
                        "receipt {}: the counter applied {} but the centre's bills (another payment got there first?) take {}; {} went to the prepaid balance",
                        p.receipt_no,
                        describe(&theirs),
                        describe(&ours),
                        extra
                    ),
                });
            }
        }
    }
    applied.insert(
        c.id,
        Applied { account_no: Some(p.account_no.clone()), lines: lines.clone(), before: before.clone(), voided: false },
    );
    writes.effects.insert(c.id, Effect { lines, before });
}

fn describe(lines: &[(Option<String>, &str, Yuan)]) -> String {
    lines.iter().map(|(p, k, a)| format!("{} {k} {a}", p.as_deref().unwrap_or("-"))).collect::<Vec<_>>().join("; ")
}

#[allow(clippy::too_many_arguments)]
fn apply_void(
    c: &Checked<'_>,
    v: &VoidPayload,
    accounts: &mut HashMap<String, Acc>,
    bills: &mut HashMap<i64, Vec<Bill>>,
    dirty_bills: &mut HashSet<i64>,
    writes: &mut Writes,
    applied: &mut HashMap<Uuid, Applied>,
    vouchers: &mut HashMap<(String, String), Uuid>,
) {
    let Ok(target) = Uuid::parse_str(&v.voids_event_id) else { return };
    let conflict = |kind: &'static str, detail: String, writes: &mut Writes| {
        writes.conflicts.push(Conflict { kind, event_id: c.id, account_no: None, amount: Some(v.amount), detail });
    };
    let Some(p) = applied.get_mut(&target) else {
        conflict(
            "void_unknown",
            format!("void of receipt {}: the centre has no payment event {target}", v.receipt_no),
            writes,
        );
        return;
    };
    if p.voided {
        conflict("void_twice", format!("receipt {} is already void at the centre", v.receipt_no), writes);
        return;
    }
    p.voided = true;
    writes.voids.push((c.id, target));
    writes.vouchers_freed.push(target);
    vouchers.retain(|_, id| *id != target);
    let account = p.account_no.as_ref().and_then(|no| accounts.get_mut(no));
    let mut prepaid = Yuan::ZERO;
    let mut suspended = Yuan::ZERO;
    for l in &p.lines {
        match (l.kind.as_str(), l.bill_id) {
            ("prepaid", _) => prepaid += l.amount,
            ("suspense", _) => suspended += l.amount,
            (kind, Some(bill_id)) => {
                if let Some(b) = bills.values_mut().flat_map(|v| v.iter_mut()).find(|b| b.id == bill_id) {
                    if kind == "principal" {
                        b.paid -= l.amount;
                    } else {
                        b.late_fee_received -= l.amount;
                    }
                    dirty_bills.insert(bill_id);
                }
            }
            _ => {}
        }
    }
    for before in &p.before {
        if let Some(b) = bills.values_mut().flat_map(|v| v.iter_mut()).find(|b| b.id == before.bill_id) {
            b.late_fee_from = before.late_fee_from;
            b.late_fee_owed = before.late_fee_owed;
            b.late_fee_waived -= before.waived_now;
            dirty_bills.insert(b.id);
        }
    }
    if suspended.is_positive() {
        writes.suspense.push((c.id, p.account_no.clone(), -suspended, "void"));
    }
    if let Some(a) = account {
        let take = prepaid.min(a.prepaid);
        if take.is_positive() {
            a.prepaid -= take;
            a.dirty = true;
        }
        if take < prepaid {
            writes.suspense.push((c.id, p.account_no.clone(), -(prepaid - take), "void_overdrawn"));
            conflict(
                "void_overdrawn",
                format!(
                    "void of receipt {}: {} of its prepaid credit was already used centrally",
                    v.receipt_no,
                    prepaid - take
                ),
                writes,
            );
        }
    }
}

/// The ledger's current policy (the shipped default until one is stored).
pub async fn load_policy(conn: &mut PgConnection) -> Result<Policy, LedgerError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT body FROM policy WHERE id = 1").fetch_optional(&mut *conn).await?;
    match row {
        Some((body,)) => {
            Policy::from_json(&body).map_err(|e| LedgerError::Internal(format!("the stored policy is invalid: {e}")))
        }
        None => Ok(Policy::default()),
    }
}

async fn load_applied(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Applied>, LedgerError> {
    let mut out: HashMap<Uuid, Applied> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Uuid, Option<String>, bool, Option<String>)> = sqlx::query_as(
        "SELECT e.event_id, e.account_no, EXISTS (SELECT 1 FROM voids v WHERE v.voided_event_id = e.event_id), e.effect
         FROM events e WHERE e.event_id = ANY($1) AND e.kind IN ('payment', 'vend')",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (id, account_no, voided, effect) in rows {
        let effect: Effect = match effect {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| LedgerError::Internal(format!("event {id} has an unreadable effect: {e}")))?,
            None => Effect::default(),
        };
        out.insert(id, Applied { account_no, lines: effect.lines, before: effect.before, voided });
    }
    Ok(out)
}

async fn load_accounts(conn: &mut PgConnection, nos: &[String]) -> Result<HashMap<String, Acc>, LedgerError> {
    if nos.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String, bool, Decimal)> = sqlx::query_as(
        "SELECT id, account_no, category, closed, prepaid_balance FROM accounts WHERE account_no = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(nos)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for (id, no, category, closed, prepaid) in rows {
        let category = Category::parse(&category)
            .ok_or_else(|| LedgerError::Internal(format!("account {no} has an unknown category {category}")))?;
        out.insert(no, Acc { id, category, closed, prepaid: Yuan::from_decimal_half_up(prepaid), dirty: false });
    }
    Ok(out)
}

type BillRow = (i64, i64, i32, String, Decimal, Decimal, NaiveDate, NaiveDate, Decimal, Decimal, Decimal, bool);

async fn load_bills(
    conn: &mut PgConnection,
    account_ids: &[i64],
    bill_ids: &[i64],
) -> Result<HashMap<i64, Vec<Bill>>, LedgerError> {
    let mut out: HashMap<i64, Vec<Bill>> = HashMap::new();
    if account_ids.is_empty() && bill_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<BillRow> = sqlx::query_as(
        "SELECT id, account_id, period, kwh, amount, paid, due_date, late_fee_from, late_fee_received, late_fee_waived,
                late_fee_owed, written_off
         FROM bills WHERE (account_id = ANY($1) AND paid < amount) OR id = ANY($2) ORDER BY id FOR UPDATE",
    )
    .bind(account_ids)
    .bind(bill_ids)
    .fetch_all(&mut *conn)
    .await?;
    for (id, account_id, period, kwh, amount, paid, due, from, received, waived, owed, written_off) in rows {
        let period = u32::try_from(period)
            .ok()
            .and_then(Period::from_number)
            .ok_or_else(|| LedgerError::Internal(format!("bill {id} has an invalid period {period}")))?;
        out.entry(account_id).or_default().push(Bill {
            id,
            period,
            kwh,
            amount: Yuan::from_decimal_half_up(amount),
            paid: Yuan::from_decimal_half_up(paid),
            due_date: due,
            late_fee_from: from,
            late_fee_received: Yuan::from_decimal_half_up(received),
            late_fee_waived: Yuan::from_decimal_half_up(waived),
            late_fee_owed: Yuan::from_decimal_half_up(owed),
            written_off,
        });
    }
    Ok(out)
}

async fn load_vouchers(
    conn: &mut PgConnection,
    checked: &[Checked<'_>],
    fresh: &[usize],
) -> Result<HashMap<(String, String), Uuid>, LedgerError> {
    let (banks, serials): (Vec<String>, Vec<String>) = fresh
        .iter()
        .filter_map(|&i| match &checked[i].body {
            Body::Taking { p, .. } => p.voucher.as_ref().map(|v| (v.bank.clone(), v.serial.clone())),
            _ => None,
        })
        .unzip();
    if banks.is_empty() {
        return Ok(HashMap::new());
    }
    // Two terminals pushing the same slip at the same moment: a lock per slip (taken in one order,
    // after the account rows) makes the second see the first's row and list the reuse.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(h) FROM (
             SELECT DISTINCT hashtext('voucher:' || b || ':' || s) AS h FROM UNNEST($1::text[], $2::text[]) AS k(b, s)
         ) AS locks ORDER BY h",
    )
    .bind(&banks)
    .bind(&serials)
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(String, String, Uuid)> = sqlx::query_as(
        "SELECT v.bank, v.serial, v.event_id FROM vouchers v JOIN UNNEST($1::text[], $2::text[]) AS k(bank, serial)
         ON v.bank = k.bank AND v.serial = k.serial",
    )
    .bind(&banks)
    .bind(&serials)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(b, s, id)| ((b, s), id)).collect())
}

async fn write_all(
    conn: &mut PgConnection,
    terminal: &str,
    checked: &[Checked<'_>],
    w: &Writes,
    accounts: &HashMap<String, Acc>,
    bills: &HashMap<i64, Vec<Bill>>,
    dirty_bills: &HashSet<i64>,
) -> Result<(), LedgerError> {
    if !w.events.is_empty() {
        let rows: Vec<&Checked<'_>> = w.events.iter().map(|(_, i, _)| &checked[*i]).collect();
        let ids: Vec<Uuid> = w.events.iter().map(|e| e.0).collect();
        let seqs: Vec<i64> = rows.iter().map(|c| c.raw.seq).collect();
        let kinds: Vec<&str> = rows.iter().map(|c| c.raw.kind.as_str()).collect();
        let payloads: Vec<&str> = rows.iter().map(|c| c.raw.payload.as_str()).collect();
        let hashes: Vec<&str> = rows.iter().map(|c| c.raw.payload_sha256.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|c| c.raw.created_at.as_str()).collect();
        let account_nos: Vec<Option<&str>> = rows.iter().map(|c| c.account_no.as_deref()).collect();
        let amounts: Vec<Option<Decimal>> = rows.iter().map(|c| c.amount.map(Yuan::decimal)).collect();
        let outcomes: Vec<&str> = w.events.iter().map(|e| e.2).collect();
        let effects = w
            .events
            .iter()
            .map(|e| w.effects.get(&e.0).map(serde_json::to_string).transpose())
            .collect::<Result<Vec<Option<String>>, _>>()
            .map_err(|e| LedgerError::Internal(format!("cannot write an event's effect: {e}")))?;
        sqlx::query(
            "INSERT INTO events (event_id, terminal, seq, kind, payload, payload_sha256, created_at, account_no, amount, outcome, effect)
             SELECT e.id, $1, e.seq, e.kind, e.payload, e.sha, e.created, e.account_no, e.amount, e.outcome, e.effect
             FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[],
                         $11::text[])
                  AS e(id, seq, kind, payload, sha, created, account_no, amount, outcome, effect)",
        )
        .bind(terminal)
        .bind(&ids)
        .bind(&seqs)
        .bind(&kinds)
        .bind(&payloads)
        .bind(&hashes)
        .bind(&created)
        .bind(&account_nos)
        .bind(&amounts)
        .bind(&outcomes)
        .bind(&effects)
        .execute(&mut *conn)
        .await?;
    }
    let (acc_ids, acc_prepaid): (Vec<i64>, Vec<Decimal>) =
        accounts.values().filter(|a| a.dirty).map(|a| (a.id, a.prepaid.decimal())).unzip();
    if !acc_ids.is_empty() {
        sqlx::query(
            "UPDATE accounts SET prepaid_balance = v.prepaid FROM UNNEST($1::bigint[], $2::numeric[]) AS v(id, prepaid)
             WHERE accounts.id = v.id",
        )
        .bind(&acc_ids)
        .bind(&acc_prepaid)
        .execute(&mut *conn)
        .await?;
    }
    let changed: Vec<&Bill> = bills.values().flatten().filter(|b| dirty_bills.contains(&b.id)).collect();
    if !changed.is_empty() {
        sqlx::query(
            "UPDATE bills SET paid = v.paid, late_fee_from = v.late_fee_from, late_fee_received = v.received,
                              late_fee_waived = v.waived, late_fee_owed = v.owed
             FROM UNNEST($1::bigint[], $2::numeric[], $3::date[], $4::numeric[], $5::numeric[], $6::numeric[])
                  AS v(id, paid, late_fee_from, received, waived, owed)
             WHERE bills.id = v.id",
        )
        .bind(changed.iter().map(|b| b.id).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.paid.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_from).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_received.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_waived.decimal()).collect::<Vec<_>>())
        .bind(changed.iter().map(|b| b.late_fee_owed.decimal()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    if !w.vouchers_freed.is_empty() {
        sqlx::query("DELETE FROM vouchers WHERE event_id = ANY($1)")
            .bind(&w.vouchers_freed)
            .execute(&mut *conn)
            .await?;
    }
    if !w.vouchers_new.is_empty() {
        sqlx::query(
            "INSERT INTO vouchers (bank, serial, event_id) SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[])
             ON CONFLICT (bank, serial) DO NOTHING",
        )
        .bind(w.vouchers_new.iter().map(|v| v.0.clone()).collect::<Vec<_>>())
        .bind(w.vouchers_new.iter().map(|v| v.1.clone()).collect::<Vec<_>>())
        .bind(w.vouchers_new.iter().map(|v| v.2).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    for (void, target) in &w.voids {
        sqlx::query("INSERT INTO voids (event_id, voided_event_id) VALUES ($1, $2)")
            .bind(void)
            .bind(target)
            .execute(&mut *conn)
            .await?;
    }
    for (event_id, account_no, amount, reason) in &w.suspense {
        sqlx::query("INSERT INTO suspense (event_id, account_no, amount, reason) VALUES ($1, $2, $3, $4)")
            .bind(event_id)
            .bind(account_no)
            .bind(amount.decimal())
            .bind(reason)
            .execute(&mut *conn)
            .await?;
    }
    for &i in &w.rejects {
        let c = &checked[i];
        sqlx::query(
            "INSERT INTO event_rejects (event_id, terminal, seq, kind, payload, payload_sha256) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (event_id, payload_sha256) DO NOTHING",
        )
        .bind(c.id)
        .bind(terminal)
        .bind(c.raw.seq)
        .bind(&c.raw.kind)
        .bind(&c.raw.payload)
        .bind(&c.raw.payload_sha256)
        .execute(&mut *conn)
        .await?;
    }
    for k in &w.conflicts {
        sqlx::query(
            "INSERT INTO conflicts (kind, event_id, terminal, account_no, amount, detail)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE NOT EXISTS (SELECT 1 FROM conflicts WHERE kind = $1 AND event_id = $2 AND detail = $6)",
        )
        .bind(k.kind)
        .bind(k.event_id)
        .bind(terminal)
        .bind(&k.account_no)
        .bind(k.amount.map(Yuan::decimal))
        .bind(&k.detail)
        .execute(&mut *conn)
        .await?;
    }
    for (id, i, _) in &w.events {
        match &checked[*i].body {
            Body::Deposit(d) => {
                sqlx::query(
                    "INSERT INTO deposits (event_id, terminal, bank, slip_no, amount) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(terminal)
                .bind(&d.bank)
                .bind(&d.slip_no)
                .bind(d.amount.decimal())
                .execute(&mut *conn)
                .await?;
            }
            Body::ShiftOpen(s) => {
                sqlx::query(
                    "INSERT INTO shifts (terminal, shift_id, cashier, float, opened_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (terminal, shift_id) DO NOTHING",
                )
                .bind(terminal)
                .bind(s.shift)
                .bind(&s.cashier)
                .bind(s.float.decimal())
                .bind(&s.opened_at)
                .execute(&mut *conn)
                .await?;
            }
            Body::ShiftClose(s) => {
                sqlx::query(
                    "INSERT INTO shifts (terminal, shift_id, cashier, float, opened_at, expected, counted, closed_at)
                     VALUES ($1, $2, $3, $4, '', $5, $6, $7)
                     ON CONFLICT (terminal, shift_id) DO UPDATE SET expected = $5, counted = $6, closed_at = $7",
                )
                .bind(terminal)
                .bind(s.shift)
                .bind(&s.cashier)
                .bind(s.float.decimal())
                .bind(s.expected.decimal())
                .bind(s.counted.decimal())
                .bind(&s.at)
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
    }
    let last_seq = checked.iter().map(|c| c.raw.seq).max().unwrap_or(0);
    sqlx::query("UPDATE terminals SET last_seq = GREATEST(last_seq, $2), last_seen_at = now() WHERE code = $1")
        .bind(terminal)
        .bind(last_seq)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(terminal: &str, seq: i64, kind: &str, payload: serde_json::Value) -> PushEvent {
        let text = payload.to_string();
        PushEvent {
            event_id: payload["event_id"].as_str().unwrap_or("").to_string(),
            seq,
            kind: kind.into(),
            terminal: terminal.into(),
            payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
            payload: text,
            created_at: "2026-11-23T10:00:00+08:00".into(),
        }
    }

    fn vend(id: &str) -> serde_json::Value {
        serde_json::json!({"event_id": id, "receipt_no": "T-2026-000001", "account_no": "3100000001", "cashier": "c",
            "method": "cash", "amount": "10.00", "lines": [], "at": "2026-11-23T10:00:00+08:00"})
    }

    #[test]
    fn a_batch_is_checked_whole() {
        let id = Uuid::now_v7().to_string();
        let good = event("T1", 1, "vend", vend(&id));
        assert!(check("T1", std::slice::from_ref(&good)).is_ok());
        assert!(matches!(check("T2", std::slice::from_ref(&good)), Err(LedgerError::Forbidden(_))));
        let mut tampered = good.clone();
        tampered.seq = 2;
        tampered.payload = tampered.payload.replace("10.00", "99.00");
        assert!(
            matches!(check("T1", &[good.clone(), tampered]), Err(LedgerError::BadRequest(m)) if m.contains("sha256"))
        );
        let mut unordered = event("T1", 1, "vend", vend(&Uuid::now_v7().to_string()));
        unordered.seq = 1;
        assert!(
            matches!(check("T1", &[good.clone(), unordered]), Err(LedgerError::BadRequest(m)) if m.contains("seq"))
        );
        let weird = event("T1", 2, "teleport", vend(&Uuid::now_v7().to_string()));
        assert!(matches!(check("T1", &[weird]), Err(LedgerError::BadRequest(m)) if m.contains("unknown kind")));
        let negative = event("T1", 2, "vend", {
            let mut v = vend(&Uuid::now_v7().to_string());
            v["amount"] = "-5.00".into();
            v
        });
        assert!(matches!(check("T1", &[negative]), Err(LedgerError::BadRequest(_))));
    }
}
