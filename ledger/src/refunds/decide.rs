//! Finance's decisions (复核: approve, reject) and the payout (付款), each in one transaction with
//! its history, its change-log entry and its audit entry (see the module docs above for the
//! invariants).

use cashdesk::{
    money::Yuan,
    refunds::{Parties, RefundError, State, Step, check_payout, may_act, next_flagged},
    sync::finance::{FinanceDecision, Payout},
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::{
    audit::{self, Channel},
    sessions::Reviewer,
};

/// Longest reason or bank reference taken.
const MAX_TEXT: usize = 500;

#[derive(Debug, sqlx::FromRow)]
struct Current {
    refund_id: Uuid,
    seq: i64,
    request_no: String,
    account_no: String,
    amount: Decimal,
    state: String,
    submitted_by: String,
    hall_by: Option<String>,
    finance_by: Option<String>,
    finance_at: Option<DateTime<Utc>>,
    finance_reason: Option<String>,
    paid_by: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    payout_ref: Option<String>,
    flag: Option<String>,
}

macro_rules! current_sql {
    ($tail:literal) => {
        concat!(
            "SELECT refund_id, seq, request_no, account_no, amount, state, submitted_by, hall_by, finance_by,
                    finance_at, finance_reason, paid_by, paid_at, payout_ref, flag FROM refunds WHERE refund_id = $1",
            $tail
        )
    };
}

/// The request as it stands (`lock`: and its row locked to the end of the transaction).
async fn current(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Current, LedgerError> {
    let sql = if lock { current_sql!(" FOR UPDATE") } else { current_sql!("") };
    sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| LedgerError::NotFound(format!("there is no refund request {id} at the centre")))
}

impl Current {
    /// What finance already did to it, said for whoever comes second.
    fn acted(&self) -> Option<String> {
        let at = |t: Option<DateTime<Utc>>| t.map(shown).unwrap_or_default();
        let by = |b: &Option<String>| b.clone().unwrap_or_default();
        match State::parse(&self.state)? {
            State::FinanceApproved => Some(format!(
                "{} approved request {} at {}",
                by(&self.finance_by),
                self.request_no,
                at(self.finance_at)
            )),
            State::FinanceRejected => Some(format!(
                "{} rejected request {} at {} ({})",
                by(&self.finance_by),
                self.request_no,
                at(self.finance_at),
                self.finance_reason.as_deref().unwrap_or("")
            )),
            State::Paid => Some(format!(
                "{} recorded the payout of request {} at {} (bank reference {})",
                by(&self.paid_by),
                self.request_no,
                at(self.paid_at),
                self.payout_ref.as_deref().unwrap_or("")
            )),
            _ => None,
        }
    }

    /// The core's rules on this request as it stands: the state `step` leads to, or why not. A
    /// request finance already decided or paid is a conflict (`CONFLICT`, naming who did what);
    /// any other illegal step is `REFUND_STATE`.
    fn check(&self, who: &Reviewer, step: Step) -> Result<State, LedgerError> {
        let state = parse_state(&self.state)?;
        let to = match next_flagged(state, step, self.flag.is_some()) {
            Ok(to) => to,
            Err(e) => {
                return Err(match self.acted() {
                    Some(done) => LedgerError::Conflict(format!("{done}; nothing was changed")),
                    None => e.into(),
                });
            }
        };
        may_act(
            step,
            &who.username,
            &Parties { submitted_by: &self.submitted_by, hall_approved_by: self.hall_by.as_deref() },
        )?;
        if step != Step::FinanceReject
            && let Some(flag) = &self.flag
        {
            return Err(flagged(&self.request_no, flag));
        }
        Ok(to)
    }
}

fn flagged(request_no: &str, flag: &str) -> LedgerError {
    LedgerError::Rule(
        "REFUND_FLAGGED",
        format!("request {request_no} is flagged by the centre ({flag}): it is never paid; reject it"),
    )
}

/// A text a person typed, trimmed: required (`Some`) or optional.
fn typed(field: &'static str, v: Option<&str>, required: bool) -> Result<Option<String>, RefundError> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if required => Err(RefundError::Input { field, reason: "is required".into() }),
        Some(s) if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) => Err(RefundError::Input {
            field,
            reason: format!("at most {MAX_TEXT} characters, without control characters"),
        }),
        v => Ok(v.map(str::to_string)),
    }
}

/// One history row and the request's change-log entry.
async fn record(
    conn: &mut PgConnection,
    c: &Current,
    at: DateTime<FixedOffset>,
    actor: &str,
    step: &str,
    state: State,
    note: Option<&str>,
) -> Result<(), LedgerError> {
    sqlx::query("INSERT INTO refund_history (refund_id, at, actor, step, state, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(c.refund_id)
        .bind(at.with_timezone(&Utc))
        .bind(actor)
        .bind(step)
        .bind(state.as_str())
        .bind(note)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO changes (txid, rev, kind, row_id) VALUES (pg_current_xact_id(), nextval('change_rev'), 'r', $1)",
    )
    .bind(c.seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// 复核: approve (`approve`) or reject (with `d.reason`) a request at the ledger, as `who`.
pub async fn decide(
    pool: &PgPool,
    who: &Reviewer,
    id: &str,
    approve: bool,
    d: &FinanceDecision,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<RefundDetail, LedgerError> {
    let (step, verb) = if approve { (Step::FinanceApprove, "approve") } else { (Step::FinanceReject, "reject") };
    who.require_finance(&format!("{verb} refund requests"))?;
    let reason = typed("reason", d.reason.as_deref(), !approve)?;
    let mut tx = pool.begin().await?;
    let refund_id = find(&mut tx, id).await?;
    let cur = current(&mut tx, refund_id, false).await?;
    let to = cur.check(who, step)?;
    // The decision itself: only from the state it was read in (and, to approve, not flagged since).
    // Of two reviewers at once, the second waits for the first's row lock and then matches nothing.
    let won: Option<(i64,)> = sqlx::query_as(
        "UPDATE refunds SET state = $2, finance_by = $3, finance_at = $4, finance_reason = $5
         WHERE refund_id = $1 AND state = $6 AND (flag IS NULL OR NOT $7) RETURNING seq",
    )
    .bind(refund_id)
    .bind(to.as_str())
    .bind(&who.username)
    .bind(now.with_timezone(&Utc))
    .bind(&reason)
    .bind(&cur.state)
    .bind(approve)
    .fetch_optional(&mut *tx)
    .await?;
    if won.is_none() {
        let now_is = current(&mut tx, refund_id, false).await?;
        return Err(now_is.check(who, step).err().unwrap_or_else(|| {
            LedgerError::Conflict(format!("request {} changed while you decided: look at it again", cur.request_no))
        }));
    }
    record(&mut tx, &cur, now, &who.username, step.as_str(), to, reason.as_deref()).await?;
    audit::append(
        &mut tx,
        now,
        channel,
        &who.username,
        if approve { "refund.approve" } else { "refund.reject" },
        Some(&cur.request_no),
        serde_json::json!({"refund_id": refund_id.to_string(), "amount": yuan(cur.amount).to_string(),
                           "from": cur.state, "to": to.as_str(), "reason": reason}),
    )
    .await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    read_detail(&mut conn, refund_id, now.with_timezone(&china()).date_naive()).await
}

/// 付款: record the payout of an approved request, as `who`: exactly the amount approved, never a
/// flagged request; the account's prepaid balance falls by it in the same transaction.
pub async fn pay(
    pool: &PgPool,
    who: &Reviewer,
    id: &str,
    p: &Payout,
    now: DateTime<FixedOffset>,
    channel: Channel,
) -> Result<RefundDetail, LedgerError> {
    who.require_finance("pay refund requests")?;
    let today = now.with_timezone(&china()).date_naive();
    let payout_date = NaiveDate::parse_from_str(p.payout_date.trim(), "%Y-%m-%d")
        .map_err(|_| RefundError::Input { field: "payout_date", reason: "a date, YYYY-MM-DD".into() })?;
    let bank_ref = typed("bank_ref", Some(&p.bank_ref), true)?.unwrap_or_default();
    let paid = Yuan::parse(&p.amount).map_err(|e| RefundError::Input { field: "amount", reason: e.to_string() })?;

    let mut tx = pool.begin().await?;
    let refund_id = find(&mut tx, id).await?;
    // A date after today is refused once the request is known: the form is checked first, then
    // what depends on the day (an unknown request is 404 whatever its date).
    if payout_date > today {
        return Err(RefundError::Input { field: "payout_date", reason: format!("{payout_date} is after today") }.into());
    }
    let account_no = current(&mut tx, refund_id, false).await?.account_no;
    // The account first (its balance falls), then the request: the order a push locks them in.
    let account: Option<(i64, Decimal)> =
        sqlx::query_as("SELECT id, prepaid_balance FROM accounts WHERE account_no = $1 FOR UPDATE")
            .bind(&account_no)
            .fetch_optional(&mut *tx)
            .await?;
    let cur = current(&mut tx, refund_id, true).await?;
    let to = cur.check(who, Step::Pay)?;
    let amount = yuan(cur.amount);
    check_payout(paid, amount)?;
    let Some((account_id, balance)) = account.filter(|(_, balance)| yuan(*balance) >= amount) else {
        // Nothing at the centre may lower a balance below its holds without flagging them; should
        // it happen all the same, the request is flagged now and not paid.
        let balance = account.map_or(Yuan::ZERO, |(_, b)| yuan(b));
        let flag = format!("the account's balance at the centre ({balance}) does not cover it at the payout");
        sqlx::query("UPDATE refunds SET flag = $2 WHERE refund_id = $1 AND flag IS NULL")
            .bind(refund_id)
            .bind(&flag)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, &cur, now, CENTRE, "flag", parse_state(&cur.state)?, Some(&flag)).await?;
        tx.commit().await?;
        return Err(flagged(&cur.request_no, &flag));
    };
    sqlx::query(
        "UPDATE refunds SET state = $2, paid_by = $3, paid_at = $4, paid_amount = $5, payout_date = $6, payout_ref = $7
         WHERE refund_id = $1 AND state = 'finance_approved' AND flag IS NULL",
    )
    .bind(refund_id)
    .bind(to.as_str())
    .bind(&who.username)
    .bind(now.with_timezone(&Utc))
    .bind(paid.decimal())
    .bind(payout_date)
    .bind(&bank_ref)
    .execute(&mut *tx)
    .await?;
    // The request's log entry before the account's: a pull sends the request with its account.
    let note = format!("paid {paid} on {payout_date}, bank reference {bank_ref}");
    record(&mut tx, &cur, now, &who.username, Step::Pay.as_str(), to, Some(&note)).await?;
    sqlx::query("UPDATE accounts SET prepaid_balance = prepaid_balance - $2 WHERE id = $1")
        .bind(account_id)
        .bind(paid.decimal())
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        now,
        channel,
        &who.username,
        "refund.pay",
        Some(&cur.request_no),
        serde_json::json!({"refund_id": refund_id.to_string(), "amount": paid.to_string(),
                           "payout_date": payout_date.to_string(), "bank_ref": bank_ref,
                           "balance_before": yuan(balance).to_string(), "balance_after": (yuan(balance) - paid).to_string()}),
    )
    .await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    read_detail(&mut conn, refund_id, today).await
}
