//! 确认到账: a deposit confirmed by a finance user, or by the lines of a bank statement, each
//! confirmation in one transaction with its change-log entry and its audit entry (see the module
//! docs above for the invariants).

use cashdesk::money::Yuan;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use super::{
    statement::{self, Candidate, Line, Verdict},
    *,
};
use crate::{
    audit::{self, Channel},
    sessions::Reviewer,
};

/// How a deposit came to be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Finance,
    Statement,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Finance => "finance",
            Via::Statement => STATEMENT,
        }
    }
}

/// A confirmation to store.
struct Confirmation<'a> {
    via: Via,
    /// The ledger user acting (the finance user, or who imported the statement).
    user: &'a str,
    reference: Option<&'a str>,
    credited_on: Option<NaiveDate>,
    /// What the audit entry says besides the deposit.
    detail: serde_json::Value,
}

/// Confirm the deposit `event_id` inside the caller's transaction, which holds its row lock and
/// read it in transit: the deposit, its change-log entry for its counter, and the audit entry.
async fn store(
    conn: &mut PgConnection,
    row: &Row,
    c: &Confirmation<'_>,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<(), LedgerError> {
    let by = match c.via {
        Via::Finance => c.user,
        Via::Statement => STATEMENT,
    };
    let seq: Option<(i64,)> = sqlx::query_as(
        "UPDATE deposits SET confirmed_at = $2, confirmed_by = $3, confirmed_via = $4, confirmed_user = $5,
                confirm_ref = $6, credited_on = $7
         WHERE event_id = $1 AND confirmed_at IS NULL RETURNING seq",
    )
    .bind(row.event_id)
    .bind(now.with_timezone(&Utc))
    .bind(by)
    .bind(c.via.as_str())
    .bind(c.user)
    .bind(c.reference)
    .bind(c.credited_on)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq,)) = seq else {
        return Err(LedgerError::Internal(format!("deposit {} changed under its row lock", row.event_id)));
    };
    sqlx::query(
        "INSERT INTO changes (txid, rev, kind, row_id) VALUES (pg_current_xact_id(), nextval('change_rev'), 'd', $1)",
    )
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    let mut detail = serde_json::json!({
        "event_id": row.event_id.to_string(), "terminal": row.terminal, "bank": row.bank,
        "amount": yuan(row.amount).to_string(), "via": c.via.as_str(), "confirmed_by": by,
        "reference": c.reference, "credited_on": c.credited_on.map(|d| d.to_string()),
    });
    if let (Some(d), serde_json::Value::Object(extra)) = (detail.as_object_mut(), &c.detail) {
        d.extend(extra.clone());
    }
    audit::append(conn, now, channel, c.user, "deposit.confirm", Some(&row.slip_no), detail).await
}

/// A text a person typed, trimmed: required or optional, at most `max` characters.
fn typed(field: &str, v: Option<&str>, required: bool, max: usize) -> Result<Option<String>, LedgerError> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    let bad = |reason: String| LedgerError::Rule("DEPOSIT_INPUT", format!("{field}: {reason}"));
    match v {
        None if required => Err(bad("is required".into())),
        Some(s) if s.chars().count() > max || s.chars().any(char::is_control) => {
            Err(bad(format!("at most {max} characters, without control characters")))
        }
        v => Ok(v.map(str::to_string)),
    }
}

/// 确认到账: confirm a deposit in transit as `who`, with the bank's reference and the amount the
/// bank credited (which must be the deposit's). `id` is the deposit's event id or its slip number.
pub async fn confirm(
    pool: &PgPool,
    who: &Reviewer,
    id: &str,
    c: &DepositConfirm,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<DepositView, LedgerError> {
    who.require_finance("confirm deposits")?;
    let today = now.with_timezone(&china()).date_naive();
    let reference = typed("reference", Some(&c.reference), true, MAX_REFERENCE)?.unwrap_or_default();
    let credited =
        Yuan::parse(c.amount.trim()).map_err(|e| LedgerError::Rule("DEPOSIT_INPUT", format!("amount: {e}")))?;
    let credited_on = typed("credited_on", c.credited_on.as_deref(), false, 10)?
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                LedgerError::Rule("DEPOSIT_INPUT", format!("credited_on: '{s}' is not a date (YYYY-MM-DD)"))
            })
        })
        .transpose()?;

    let mut tx = pool.begin().await?;
    let event_id = find(&mut tx, id).await?;
    // A day after today is refused once the deposit is known (an unknown one is 404 whatever).
    if let Some(d) = credited_on
        && d > today
    {
        return Err(LedgerError::Rule("DEPOSIT_INPUT", format!("credited_on: {d} is after today ({today})")));
    }
    // The row's lock: of two finance users at once, the second reads it confirmed.
    let row = read(&mut tx, event_id, true).await?;
    if let Some(done) = row.confirmed() {
        return Err(LedgerError::Conflict(format!("{done}; nothing was changed")));
    }
    let amount = yuan(row.amount);
    if credited != amount {
        return Err(LedgerError::Rule(
            "DEPOSIT_AMOUNT",
            format!(
                "the bank credited {credited} but slip {} of {} is a deposit of {amount}: nothing was confirmed; check it with the bank",
                row.slip_no, row.terminal
            ),
        ));
    }
    let deposited_on = row.deposited_at.with_timezone(&china()).date_naive();
    if let Some(d) = credited_on
        && d < deposited_on
    {
        return Err(LedgerError::Rule(
            "DEPOSIT_INPUT",
            format!("credited_on: {d} is before the deposit was made ({deposited_on})"),
        ));
    }
    let confirmation = Confirmation {
        via: Via::Finance,
        user: &who.username,
        reference: Some(&reference),
        credited_on,
        detail: serde_json::json!({}),
    };
    store(&mut tx, &row, &confirmation, now, channel).await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    let overdue = Overdue::load(&mut conn, today).await?;
    Ok(read(&mut conn, event_id, false).await?.view(&overdue))
}

/// What a statement line came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineOutcome {
    /// It confirmed its deposit now.
    Matched,
    /// Its deposit was confirmed before (by a finance user, or an earlier line or import).
    AlreadyConfirmed,
    /// Deposits have its slip number, none its amount: nothing was confirmed.
    AmountMismatch,
    /// More than one deposit has its slip number and amount: confirm the right one by hand.
    Ambiguous,
    /// No deposit has its slip number (yet: its counter may not have synced).
    Unmatched,
}

/// One line of the statement and what it came to, with the deposits it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineReport {
    pub line: u64,
    pub date: String,
    #[schema(value_type = String)]
    pub amount: Yuan,
    /// The line's slip number (empty when its 摘要 named the deposit).
    pub slip_no: Option<String>,
    pub reference: Option<String>,
    pub memo: String,
    pub outcome: LineOutcome,
    pub deposits: Vec<DepositView>,
}

/// What a statement import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchReport {
    /// SHA-256 of the file (in the audit, to tell one import of a file from another).
    pub file_sha256: String,
    pub lines: usize,
    pub matched: usize,
    pub already_confirmed: usize,
    pub amount_mismatch: usize,
    pub ambiguous: usize,
    pub unmatched: usize,
    pub items: Vec<LineReport>,
}

/// The deposits a line may be about, locked in id order: those with its slip number, or (without
/// one) those its 摘要 may name — with its amount, or in transit (for a mismatch) — narrowed to
/// `bank` when given. `classify` decides which count.
async fn candidates(conn: &mut PgConnection, line: &Line, bank: Option<&str>) -> Result<Vec<Row>, LedgerError> {
    let rows = match &line.slip_no {
        Some(slip) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM deposits d WHERE d.slip_no = $1 AND ($2::text IS NULL OR d.bank = $2)
                 ORDER BY d.event_id FOR UPDATE"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slip).bind(bank).fetch_all(&mut *conn).await?
        }
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM deposits d
                 WHERE (d.amount = $1 OR d.confirmed_at IS NULL) AND strpos($2, d.slip_no) > 0
                   AND ($3::text IS NULL OR d.bank = $3)
                 ORDER BY d.event_id FOR UPDATE"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(line.amount.decimal())
                .bind(&line.memo)
                .bind(bank)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(rows)
}

/// 对账: import a bank statement (`statement` describes the file) as `who` and confirm each deposit
/// in transit that exactly one line matches by slip number and amount; `bank` (a bank code) narrows
/// the deposits to that bank's. A malformed file confirms nothing (`STATEMENT_INVALID`, every
/// problem by line). Each confirmation is a transaction of its own, so an import cut short keeps
/// what it confirmed, and running it again confirms the rest: a deposit already confirmed is
/// reported, never confirmed again.
pub async fn match_statement(
    pool: &PgPool,
    who: &Reviewer,
    bytes: &[u8],
    bank: Option<&str>,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<MatchReport, LedgerError> {
    who.require_finance("import bank statements")?;
    let today = now.with_timezone(&china()).date_naive();
    let lines = statement::read(bytes, today).map_err(|e| LedgerError::Rule("STATEMENT_INVALID", e.to_string()))?;
    let file_sha256 = hex::encode(Sha256::digest(bytes));
    let overdue = {
        let mut conn = pool.acquire().await?;
        Overdue::load(&mut conn, today).await?
    };
    let mut report = MatchReport {
        file_sha256: file_sha256.clone(),
        lines: lines.len(),
        matched: 0,
        already_confirmed: 0,
        amount_mismatch: 0,
        ambiguous: 0,
        unmatched: 0,
        items: Vec::with_capacity(lines.len()),
    };
    for line in &lines {
        let mut tx = pool.begin().await?;
        let rows = candidates(&mut tx, line, bank).await?;
        let found: Vec<Candidate> = rows
            .iter()
            .map(|r| Candidate {
                event_id: r.event_id,
                slip_no: r.slip_no.clone(),
                amount: yuan(r.amount),
                confirmed: r.confirmed_at.is_some(),
            })
            .collect();
        let verdict = statement::classify(line, &found);
        let (outcome, ids) = match verdict {
            Verdict::Confirm(id) => {
                let row = rows.iter().find(|r| r.event_id == id).ok_or_else(|| {
                    LedgerError::Internal(format!("deposit {id} matched but was not among the candidates"))
                })?;
                let confirmation = Confirmation {
                    via: Via::Statement,
                    user: &who.username,
                    reference: line.reference.as_deref(),
                    credited_on: Some(line.date),
                    detail: serde_json::json!({"statement_sha256": file_sha256, "line": line.line}),
                };
                store(&mut tx, row, &confirmation, now, channel).await?;
                (LineOutcome::Matched, vec![id])
            }
            Verdict::AlreadyConfirmed(ids) => (LineOutcome::AlreadyConfirmed, ids),
            Verdict::AmountMismatch(ids) => (LineOutcome::AmountMismatch, ids),
            Verdict::Ambiguous(ids) => (LineOutcome::Ambiguous, ids),
            Verdict::Unmatched => (LineOutcome::Unmatched, Vec::new()),
        };
        let mut deposits = Vec::with_capacity(ids.len());
        for id in &ids {
            deposits.push(read(&mut tx, *id, false).await?.view(&overdue));
        }
        tx.commit().await?;
        *match outcome {
            LineOutcome::Matched => &mut report.matched,
            LineOutcome::AlreadyConfirmed => &mut report.already_confirmed,
            LineOutcome::AmountMismatch => &mut report.amount_mismatch,
            LineOutcome::Ambiguous => &mut report.ambiguous,
            LineOutcome::Unmatched => &mut report.unmatched,
        } += 1;
        report.items.push(LineReport {
            line: line.line,
            date: line.date.to_string(),
            amount: line.amount,
            slip_no: line.slip_no.clone(),
            reference: line.reference.clone(),
            memo: line.memo.clone(),
            outcome,
            deposits,
        });
    }
    audit::append_now(
        pool,
        now,
        channel,
        &who.username,
        "deposit.statement",
        None,
        serde_json::json!({"statement_sha256": report.file_sha256, "bank": bank, "lines": report.lines,
                           "matched": report.matched, "already_confirmed": report.already_confirmed,
                           "amount_mismatch": report.amount_mismatch, "ambiguous": report.ambiguous,
                           "unmatched": report.unmatched}),
    )
    .await?;
    Ok(report)
}
