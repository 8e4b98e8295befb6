//! 开班、解款、交班: a shift at this terminal — opened with a float, cash taken to the bank (and its
//! 解款单), closed with a blind count — and the checks every money operation of a shift starts
//! with (the cashier and their open shift).
//!
//! Each operation runs in one transaction with its audit entry and its outbox event. The blind
//! count (`shifts` module docs): every count submitted at close is kept and audited in its own
//! transaction *before* anything is answered, with its denominations; a count that differs, or any
//! count after one that differed, is refused with `COUNT_NEEDS_APPROVAL`, which carries no amount
//! (nor does any log line); the close then needs a reason and a supervisor. Expected cash, the
//! difference and every attempt are answered only once the shift is closed.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{SqliteConnection, sqlite::SqliteRow};
use std::sync::LazyLock;

use super::{Desk, Session, TokenRequest, printing::DocumentPdf, text};
use crate::{
    Error, Result,
    money::Yuan,
    payments::{money_field, positive_money},
    print,
    shifts::{
        self, CashCount, CloseOutcome, CountAttempt, DenominationCount, HolidayCashDue, ShiftInfo, db as shifts_db,
        deposit,
    },
    store,
    sync::{outbox, wire},
    users::{Action, approval::ApprovalInput, session},
};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct OpenShiftRequest {
    pub token: String,
    /// 备用金
    pub float: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct CloseShiftRequest {
    pub token: String,
    pub counts: Vec<DenominationCount>,
    /// Why the close needs approval (长款/短款), when it does.
    pub reason: Option<String>,
    pub approval: Option<ApprovalInput>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub token: String,
    pub amount: String,
    pub bank: String,
    pub slip_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DepositDone {
    pub amount: Yuan,
    pub bank: String,
    pub slip_no: String,
    /// Holiday cash this deposit covered.
    pub holiday_cash_covered: Yuan,
}

/// A deposit of this terminal and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DepositInfo {
    pub slip_no: String,
    pub bank: String,
    pub amount: Yuan,
    pub from_drawer: Yuan,
    pub deposited_at: String,
    pub deposited_by: String,
    /// 在途 until the centre confirms it.
    pub in_transit: bool,
    pub confirmed_at: Option<String>,
    /// The finance user, or `statement` (matched on the bank's statement).
    pub confirmed_by: Option<String>,
    pub reference: Option<String>,
    /// In transit longer than the policy's working days.
    pub overdue: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DepositListRequest {
    pub token: String,
    /// Only those still in transit.
    pub in_transit: bool,
}

/// A deposit's slip (解款单) to print.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DepositSlipRequest {
    pub token: String,
    /// 解款单号.
    pub slip_no: String,
    /// The bank (name or code): needed only when slips of two banks carry the same number.
    #[serde(default)]
    pub bank: Option<String>,
}

redact_token_debug!(OpenShiftRequest, CloseShiftRequest, DepositRequest, DepositListRequest, DepositSlipRequest);

/// Inside a write transaction: the shift checked before it (and before any approval) is still
/// open. Closing it in between must not leave money in a closed shift.
pub(super) async fn still_open(conn: &mut SqliteConnection, shift_id: i64) -> Result<()> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM shifts WHERE id = ? AND closed_at IS NULL")
        .bind(shift_id)
        .fetch_optional(conn)
        .await?;
    row.map(|_| ()).ok_or(Error::ShiftNotOpen)
}

/// Expected cash in a shift's drawer now (never answered to a cashier before the close).
async fn drawer_expected(conn: &mut SqliteConnection, shift: &shifts_db::OpenShift) -> Result<Yuan> {
    let kept = shifts_db::cash_kept(conn, shift.id).await?;
    let deposited = shifts_db::deposited(conn, shift.id).await?;
    Ok(shifts::expected_cash(shift.float, kept, deposited))
}

pub(super) fn attempts_of(counts: Vec<shifts_db::StoredCount>) -> Vec<CountAttempt> {
    counts
        .into_iter()
        .map(|c| CountAttempt {
            attempt: c.attempt,
            counted: c.counted,
            counted_at: super::printing::local_time(&c.counted_at),
            matches: Some(c.matches),
        })
        .collect()
}

impl Desk {
    /// The person behind `token`, allowed to do `action`, and their open shift here.
    pub(super) async fn collector(&self, token: &str, action: Action) -> Result<(Session, shifts_db::OpenShift)> {
        let mut conn = self.pool().acquire().await?;
        self.collector_on(&mut conn, token, action).await
    }

    /// [`Self::collector`], read on the caller's connection.
    pub(super) async fn collector_on(
        &self,
        conn: &mut SqliteConnection,
        token: &str,
        action: Action,
    ) -> Result<(Session, shifts_db::OpenShift)> {
        let row = sqlx::query(session::USER_AND_OPEN_SHIFT)
            .bind(self.terminal().as_str())
            .bind(session::token_param(token)?)
            .fetch_optional(conn)
            .await?;
        self.collector_from(row.as_ref(), action)
    }

    /// Decode a row of `session::USER_AND_OPEN_SHIFT` and check the role and the open shift.
    pub(super) fn collector_from(
        &self,
        row: Option<&SqliteRow>,
        action: Action,
    ) -> Result<(Session, shifts_db::OpenShift)> {
        let (user_id, user, shift) = session::user_and_open_shift_from(row, self.now())?;
        user.role.require(action)?;
        let (id, opened_at, float) = shift.ok_or(Error::ShiftNotOpen)?;
        let terminal = self.terminal().as_str().to_string();
        let shift = shifts_db::OpenShift { id, user_id, terminal, opened_at, float: Yuan::from_fen(float) };
        Ok((Session { user_id, user }, shift))
    }

    /// 开班: open a shift at this terminal with a float.
    pub async fn open_shift(&self, req: OpenShiftRequest) -> Result<ShiftInfo> {
        let s = self.authorise(&req.token, Action::OpenShift).await?;
        let float = money_field("float", &req.float)?;
        let now = self.now();
        let mut tx = store::write_tx(self.writer()).await?;
        let id = shifts_db::insert(&mut tx, s.user_id, self.terminal().as_str(), float, now).await?;
        let info = shifts_db::info(&mut tx, id).await?;
        let event_id = outbox::new_event_id();
        self.audit(&mut tx, &s.user.username, "shift.open", Some(&id.to_string()), json!({"float": float})).await?;
        let event = wire::Event::ShiftOpen(wire::ShiftOpen {
            cashier: s.user.username.clone(),
            event_id,
            float,
            opened_at: info.opened_at.clone(),
            shift: id,
        });
        outbox::append(&mut tx, &event, self.terminal().as_str(), now).await?;
        tx.commit().await?;
        Ok(info)
    }

    /// The caller's open shift at this terminal, if any.
    pub async fn current_shift(&self, req: TokenRequest) -> Result<Option<ShiftInfo>> {
        let s = self.authorise(&req.token, Action::CurrentShift).await?;
        let mut conn = self.pool().acquire().await?;
        match shifts_db::open_of(&mut conn, s.user_id, self.terminal().as_str()).await? {
            Some(open) => Ok(Some(shifts_db::info(&mut conn, open.id).await?)),
            None => Ok(None),
        }
    }

    /// 解款: cash taken to the bank with its slip number (`shifts::deposit` says what it covers).
    pub async fn deposit(&self, req: DepositRequest) -> Result<DepositDone> {
        let (s, shift) = self.collector(&req.token, Action::Deposit).await?;
        let amount = positive_money("amount", &req.amount)?;
        // Stored by bank code, like vouchers, so one slip cannot be recorded twice under two spellings.
        let (bank, bank_name) = crate::payments::bank_of(&req.bank)?;
        let bank = bank.to_string();
        let slip_no = text("slip_no", &crate::input::half_width(&req.slip_no), 4, 40)?;
        let now = self.now();
        let terminal = self.terminal().as_str();
        let mut tx = store::write_tx(self.writer()).await?;
        still_open(&mut tx, shift.id).await?;
        let waiting: Vec<deposit::Waiting> = shifts_db::holiday_cash_rows(&mut tx, terminal)
            .await?
            .into_iter()
            .map(|h| deposit::Waiting { payment_id: h.payment_id, shift_id: h.shift_id, left: h.due.amount_left })
            .collect();
        let in_drawer = drawer_expected(&mut tx, &shift).await?;
        let cover = deposit::cover(amount, &waiting, shift.id, in_drawer)?;
        for (payment_id, take) in &cover.holiday {
            sqlx::query("UPDATE holiday_cash SET deposited_fen = deposited_fen + ? WHERE payment_id = ?")
                .bind(take.fen())
                .bind(payment_id)
                .execute(&mut *tx)
                .await?;
        }
        let event_id = outbox::new_event_id();
        let res = sqlx::query(
            "INSERT INTO deposits (event_id, shift_id, amount_fen, from_drawer_fen, bank, slip_no, deposited_by, deposited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&event_id)
        .bind(shift.id)
        .bind(amount.fen())
        .bind(cover.from_drawer.fen())
        .bind(&bank)
        .bind(&slip_no)
        .bind(s.user_id)
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(Error::invalid("slip_no", "this bank slip is already recorded for a deposit"));
            }
            Err(e) => return Err(e.into()),
        }
        self.audit(
            &mut tx,
            &s.user.username,
            "deposit",
            Some(&slip_no),
            json!({"amount": amount, "bank": bank, "holiday_cash_covered": cover.covered}),
        )
        .await?;
        let event = wire::Event::Deposit(wire::Deposit {
            amount,
            at: now.to_rfc3339(),
            bank: bank.clone(),
            cashier: s.user.username.clone(),
            event_id,
            from_drawer: Some(cover.from_drawer),
            holiday_cash_covered: Some(cover.covered),
            shift: shift.id,
            slip_no: slip_no.clone(),
        });
        outbox::append(&mut tx, &event, terminal, now).await?;
        tx.commit().await?;
        Ok(DepositDone { amount, bank: bank_name.to_string(), slip_no, holiday_cash_covered: cover.covered })
    }

    /// 交班: close the shift with a blind count by denomination (see the module docs).
    pub async fn close_shift(&self, req: CloseShiftRequest) -> Result<CloseOutcome> {
        let (s, shift) = self.collector(&req.token, Action::CloseShift).await?;
        let count = CashCount::parse(&req.counts)?;
        let counted = count.total();
        let detail = count.to_json();
        let now = self.now();
        // Keep and audit this count before answering anything about it.
        let mut tx = store::write_tx(self.writer()).await?;
        still_open(&mut tx, shift.id).await?;
        let expected = drawer_expected(&mut tx, &shift).await?;
        let earlier_differed = shifts_db::counts_of(&mut tx, shift.id).await?.iter().any(|c| !c.matches);
        let judged = shifts::judge_count(counted, expected, earlier_differed);
        let (attempt, new) =
            shifts_db::record_count(&mut tx, shift.id, counted, &detail.to_string(), judged.matches, now).await?;
        if new {
            self.audit(
                &mut tx,
                &s.user.username,
                "shift.count",
                Some(&shift.id.to_string()),
                json!({"attempt": attempt, "counted": counted, "count": detail, "matches": judged.matches}),
            )
            .await?;
        }
        tx.commit().await?;
        let (reason, approver) = if judged.needs_approval {
            let reason = match req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => text("reason", r, 2, 200)?,
                None => return Err(Error::CountNeedsApproval),
            };
            if req.approval.is_none() {
                return Err(Error::CountNeedsApproval);
            }
            let approver = self.approve(req.approval.as_ref(), &s, "shift close").await?;
            (Some(reason), Some(approver))
        } else {
            (None, None)
        };
        let now = self.now();
        let mut tx = store::write_tx(self.writer()).await?;
        still_open(&mut tx, shift.id).await?;
        if drawer_expected(&mut tx, &shift).await? != expected {
            return Err(Error::invalid("counts", "money moved in this shift while counting: count again"));
        }
        let attempts = attempts_of(shifts_db::counts_of(&mut tx, shift.id).await?);
        let difference = counted - expected;
        static CLOSE: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE shifts SET closed_at = ?, expected_fen = ?, counted_fen = ?, count_detail = ?, difference_reason = ?,
                                   approved_by = ?, {}
                 WHERE id = ? AND closed_at IS NULL",
                shifts_db::CLOSE_RANGE
            )
        });
        sqlx::query(CLOSE.as_str())
            .bind(now.to_rfc3339())
            .bind(expected.fen())
            .bind(counted.fen())
            .bind(detail.to_string())
            .bind(&reason)
            .bind(approver.as_ref().map(|a| a.user_id))
            .bind(shift.id)
            .execute(&mut *tx)
            .await?;
        let attempts_json: Vec<serde_json::Value> = attempts
            .iter()
            .map(|a| json!({"attempt": a.attempt, "counted": a.counted, "matches": a.matches}))
            .collect();
        self.audit(
            &mut tx,
            &s.user.username,
            "shift.close",
            Some(&shift.id.to_string()),
            json!({"expected": expected, "counted": counted, "difference": difference, "reason": reason, "attempts": attempts_json}),
        )
        .await?;
        if let Some(a) = &approver {
            self.audit(
                &mut tx,
                &a.username,
                "approval.granted",
                Some(&shift.id.to_string()),
                json!({"action": "shift close", "requester": s.user.username}),
            )
            .await?;
        }
        let event_id = outbox::new_event_id();
        let event = wire::Event::ShiftClose(wire::ShiftClose {
            approved_by: approver.as_ref().map(|a| a.username.clone()),
            at: now.to_rfc3339(),
            cashier: s.user.username.clone(),
            count: count.counts.iter().map(|(d, n)| (Yuan::from_fen(*d).to_string(), *n)).collect(),
            count_attempts: attempts
                .iter()
                .map(|a| wire::CountAttemptPayload {
                    attempt: a.attempt,
                    counted: a.counted,
                    matches: a.matches.unwrap_or(false),
                })
                .collect(),
            counted,
            difference,
            event_id,
            expected,
            float: shift.float,
            reason: reason.clone(),
            shift: shift.id,
        });
        outbox::append(&mut tx, &event, self.terminal().as_str(), now).await?;
        tx.commit().await?;
        let mut conn = self.pool().acquire().await?;
        Ok(CloseOutcome {
            shift: shifts_db::info(&mut conn, shift.id).await?,
            expected,
            counted,
            difference,
            approved_by: approver.map(|a| a.display_name),
            attempts,
        })
    }

    /// This terminal's deposits, newest first (at most 200), with their state.
    pub async fn list_deposits(&self, req: DepositListRequest) -> Result<Vec<DepositInfo>> {
        self.authorise(&req.token, Action::ListDeposits).await?;
        self.deposits(req.in_transit).await
    }

    pub(super) async fn deposits(&self, in_transit: bool) -> Result<Vec<DepositInfo>> {
        let mut conn = self.pool().acquire().await?;
        type Row = (String, String, i64, i64, String, String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.slip_no, d.bank, d.amount_fen, d.from_drawer_fen, d.deposited_at, u.display_name, d.confirmed_at,
                    d.confirmed_by, d.confirm_ref
             FROM deposits d JOIN shifts s ON s.id = d.shift_id JOIN users u ON u.id = d.deposited_by
             WHERE s.terminal = ? AND (NOT ? OR d.confirmed_at IS NULL) ORDER BY d.id DESC LIMIT 200",
        )
        .bind(self.terminal().as_str())
        .bind(in_transit)
        .fetch_all(&mut *conn)
        .await?;
        let (today, days, calendar) = (self.today(), self.policy().deposits.overdue_working_days, self.calendar());
        Ok(rows
            .into_iter()
            .map(|(slip_no, bank, amount, from_drawer, at, by, confirmed_at, confirmed_by, reference)| {
                let on = chrono::DateTime::parse_from_rfc3339(&at).map(|t| t.date_naive()).unwrap_or(today);
                DepositInfo {
                    slip_no,
                    bank: crate::payments::banks::name_of(&bank).to_string(),
                    amount: Yuan::from_fen(amount),
                    from_drawer: Yuan::from_fen(from_drawer),
                    deposited_at: super::printing::local_time(&at),
                    deposited_by: by,
                    in_transit: confirmed_at.is_none(),
                    overdue: deposit::is_overdue(on, confirmed_at.is_some(), today, days, &calendar),
                    confirmed_at: confirmed_at.as_deref().map(super::printing::local_time),
                    confirmed_by,
                    reference,
                }
            })
            .collect())
    }

    /// 解款单: one deposit of this terminal as its slip (PDF on the counter's paper), with where it
    /// stands (在途, overdue, or 已确认 by whom with the bank's reference) and the holiday cash it
    /// paid in, as its money event recorded it. Who may list deposits may print their slips.
    /// Audited.
    pub async fn deposit_slip_pdf(&self, req: DepositSlipRequest) -> Result<DocumentPdf> {
        let s = self.authorise(&req.token, Action::ListDeposits).await?;
        let slip_no = crate::input::half_width(&req.slip_no).trim().to_string();
        let bank = match req.bank.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            Some(typed) => Some(crate::payments::bank_of(typed)?.0),
            None => None,
        };
        type Row = (
            String,
            i64,
            i64,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let mut conn = self.pool().acquire().await?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.bank, d.amount_fen, d.from_drawer_fen, d.deposited_at, u.display_name, d.shift_id,
                    d.confirmed_at, d.confirmed_by, d.confirm_ref, o.kind, o.payload
             FROM deposits d JOIN shifts s ON s.id = d.shift_id JOIN users u ON u.id = d.deposited_by
             LEFT JOIN outbox o ON o.event_id = d.event_id
             WHERE s.terminal = ?1 AND d.slip_no = ?2 AND (?3 IS NULL OR d.bank = ?3)
             ORDER BY d.id LIMIT 2",
        )
        .bind(self.terminal().as_str())
        .bind(&slip_no)
        .bind(bank)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        let row = match <[Row; 1]>::try_from(rows) {
            Ok([row]) => row,
            Err(rows) if rows.is_empty() => {
                return Err(Error::invalid(
                    "slip_no",
                    format!(
                        "no deposit at this terminal carries the slip number {slip_no}: check it in the deposit list"
                    ),
                ));
            }
            Err(_) => {
                return Err(Error::invalid(
                    "bank",
                    format!("slips of two banks carry the number {slip_no}: give the bank as well"),
                ));
            }
        };
        let (bank, amount, from_drawer, at, cashier, shift_id, confirmed_at, confirmed_by, reference, kind, payload) =
            row;
        // What the deposit covered is in its money event (the outbox keeps every event).
        let holiday_cash_covered = match (kind, payload) {
            (Some(kind), Some(payload)) => match wire::Event::read(&kind, &payload) {
                Ok(wire::Event::Deposit(d)) => d.holiday_cash_covered,
                _ => None,
            },
            _ => None,
        };
        let state = match confirmed_at {
            Some(confirmed_at) => print::DepositState::Confirmed {
                by: confirmed_by.unwrap_or_default(),
                at: super::printing::local_time(&confirmed_at),
                reference,
            },
            None => {
                let today = self.today();
                let on = chrono::DateTime::parse_from_rfc3339(&at).map(|t| t.date_naive()).unwrap_or(today);
                let days = self.policy().deposits.overdue_working_days;
                print::DepositState::InTransit {
                    overdue: deposit::is_overdue(on, false, today, days, &self.calendar()),
                }
            }
        };
        let doc = print::DepositSlip {
            utility: self.utility().to_string(),
            terminal: self.terminal().as_str().to_string(),
            shift_id,
            slip_no: slip_no.clone(),
            bank: crate::payments::banks::name_of(&bank).to_string(),
            amount: Yuan::from_fen(amount),
            from_drawer: Yuan::from_fen(from_drawer),
            holiday_cash_covered,
            cashier,
            deposited_at: super::printing::local_time(&at),
            state,
            printed_at: self.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let paper = self.load_print_settings().await?.paper;
        let font = self.font().await?;
        let pdf = tokio::task::spawn_blocking(move || print::render_deposit_slip(&doc, paper, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))??;
        self.audit_alone(&s.user.username, "deposit.slip", Some(&slip_no), json!({"bank": bank})).await?;
        use base64::Engine;
        Ok(DocumentPdf {
            title: format!("解款单 {slip_no}"),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }

    /// Holiday cash of this terminal waiting for the bank (for the log-in notice and the UI).
    pub async fn holiday_cash_due(&self) -> Result<Vec<HolidayCashDue>> {
        let mut conn = self.pool().acquire().await?;
        shifts_db::holiday_cash_open(&mut conn, self.terminal().as_str()).await
    }
}
