//! 退费: refund requests at the counter — what can be refunded, the request (F3), the hall's
//! decision with a supervisor's own password, the forms — and what the centre decided, as it came
//! down. The rules are `crate::refunds`; this module loads, calls them, and stores.
//!
//! A submission writes, in one transaction: the request (state `submitted`; the payee's account
//! number sealed with the data key), its first history step, its audit entry and its
//! `refund.submit` event, whose secret (the whole account number, sealed again for the outbox) is
//! opened only to send it. From then on the amount is held: it is not refundable again, and a void
//! that would take the balance below what is held is refused. The hall's decision is one more
//! transaction with its `refund.hall` event; the centre's decisions and the payout come down with
//! the pull (`sync::pull`), the lowered balance as the account's own change.

pub mod db;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, printing::DocumentPdf, text};
use crate::{
    Error, Result,
    accounts::{AccountNo, db as accounts_db},
    money::Yuan,
    payments::{db as pay_db, money_field},
    print::{RefundDoc, RefundDocKind},
    refunds::{self, Reason, State},
    store,
    sync::{
        outbox,
        wire::{self, RefundDocs},
    },
    users::{Action, approval::ApprovalInput},
};

/// The associated data the payee's account number is sealed with in `refunds` (`datakey`).
const ACCOUNT_COLUMN: &str = "refunds.payee_account";

/// What can be refunded from an account, for the F3 dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RefundContext {
    pub account_no: String,
    pub name: String,
    pub closed: bool,
    pub balance: Yuan,
    /// What the account's open requests hold.
    pub held: Yuan,
    /// balance − held: the most a new request may ask (a duplicate: see `duplicates`).
    pub refundable: Yuan,
    /// The account's recent payments a 重复缴费 request may name, with what is left to refund of each.
    pub duplicates: Vec<DuplicateCandidate>,
    /// The account's requests, newest first.
    pub requests: Vec<RefundInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DuplicateCandidate {
    pub receipt_no: String,
    pub created_at: String,
    pub amount: Yuan,
    /// The payment's amount less what requests hold or paid against it, and at most `refundable`.
    pub refundable: Yuan,
}

/// A request as the counter shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RefundInfo {
    pub request_no: String,
    pub refund_id: String,
    pub account_no: String,
    pub account_name: String,
    pub amount: Yuan,
    pub reason: Reason,
    pub reason_text: Option<String>,
    pub payee_name: String,
    pub payee_reason: Option<String>,
    pub payee_bank: String,
    pub payee_branch: String,
    /// `6222 **** **** 1234`.
    pub payee_account_masked: String,
    pub docs: RefundDocs,
    pub duplicate_of: Option<String>,
    pub state: State,
    pub submitted_by: String,
    pub submitted_at: String,
    pub hall_by: Option<String>,
    pub hall_at: Option<String>,
    pub hall_reason: Option<String>,
    pub finance_by: Option<String>,
    pub finance_at: Option<String>,
    pub finance_reason: Option<String>,
    pub paid_amount: Option<Yuan>,
    pub payout_date: Option<String>,
    pub payout_ref: Option<String>,
    pub flag: Option<String>,
    /// Not final after the policy's working days.
    pub overdue: bool,
    /// The submission has reached the ledger.
    pub sent: bool,
    pub history: Vec<RefundHistoryStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RefundHistoryStep {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub state: State,
    pub note: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RefundContextRequest {
    pub token: String,
    pub account_no: String,
}

/// 退费申请 as typed in the F3 dialog.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RefundSubmitRequest {
    pub token: String,
    pub account_no: String,
    pub reason: Reason,
    /// The reason in words: required for 其他.
    pub reason_text: Option<String>,
    pub amount: String,
    /// Default: the account's 户名.
    pub payee_name: Option<String>,
    /// Why the payee is not the 户名 (a power of attorney ...): required then.
    pub payee_reason: Option<String>,
    pub payee_bank: String,
    pub payee_branch: String,
    pub payee_account: String,
    pub docs: RefundDocs,
    /// 重复缴费: the receipt it refers to.
    pub duplicate_of: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RefundDecideRequest {
    pub token: String,
    pub request_no: String,
    pub approve: bool,
    /// Why, for a rejection.
    pub reason: Option<String>,
    /// The supervisor's own name and password.
    pub approval: Option<ApprovalInput>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RefundListRequest {
    pub token: String,
    /// Only this state (e.g. `submitted`: what waits for the hall).
    pub state: Option<State>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RefundDocRequest {
    pub token: String,
    pub request_no: String,
    pub doc: RefundDocKind,
}

redact_token_debug!(
    RefundContextRequest,
    RefundSubmitRequest,
    RefundDecideRequest,
    RefundListRequest,
    RefundDocRequest
);

fn refund_error(e: refunds::RefundError) -> Error {
    Error::Refund(e)
}

fn optional_text(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>> {
    match s.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => text(field, t, 2, max).map(Some),
        None => Ok(None),
    }
}

impl Desk {
    fn refund_info(&self, r: db::Stored, history: Vec<(String, String, String, String, Option<String>)>) -> RefundInfo {
        let days = self.policy().refunds.overdue_working_days;
        let submitted_on = chrono::DateTime::parse_from_rfc3339(&r.submitted_at).map(|t| t.date_naive()).ok();
        let overdue =
            submitted_on.is_some_and(|d| refunds::is_overdue(r.state, d, self.today(), days, &self.calendar()));
        RefundInfo {
            request_no: r.request_no,
            refund_id: r.refund_id,
            account_no: r.account_no,
            account_name: r.account_name,
            amount: r.amount,
            reason: r.reason,
            reason_text: r.reason_text,
            payee_name: r.payee_name,
            payee_reason: r.payee_reason,
            payee_bank: r.payee_bank,
            payee_branch: r.payee_branch,
            payee_account_masked: r.payee_account_masked,
            docs: r.docs,
            duplicate_of: r.duplicate_of,
            state: r.state,
            submitted_by: r.submitted_by_name,
            submitted_at: super::printing::local_time(&r.submitted_at),
            hall_by: r.hall_by_name,
            hall_at: r.hall_at.as_deref().map(super::printing::local_time),
            hall_reason: r.hall_reason,
            finance_by: r.finance_by,
            finance_at: r.finance_at,
            finance_reason: r.finance_reason,
            paid_amount: r.paid,
            payout_date: r.payout_date,
            payout_ref: r.payout_ref,
            flag: r.flag,
            overdue,
            sent: r.sent,
            history: history
                .into_iter()
                .filter_map(|(at, actor, step, state, note)| {
                    State::parse(&state).map(|state| RefundHistoryStep {
                        at: super::printing::local_time(&at),
                        actor,
                        step,
                        state,
                        note,
                    })
                })
                .collect(),
        }
    }

    async fn load_refund(&self, conn: &mut sqlx::SqliteConnection, request_no: &str) -> Result<db::Stored> {
        db::by_no(conn, request_no.trim())
            .await?
            .ok_or_else(|| Error::RefundNotFound { request_no: request_no.trim().to_string() })
    }

    /// 可退金额: what can be refunded from an account now, its recent payments a duplicate may
    /// name, and its requests.
    pub async fn refund_context(&self, req: RefundContextRequest) -> Result<RefundContext> {
        self.authorise(&req.token, Action::RefundSubmit).await?;
        let no = AccountNo::typed(&req.account_no)?;
        let mut conn = self.pool.acquire().await?;
        let account = accounts_db::by_no(&mut conn, &no)
            .await?
            .ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
        let held = db::held(&mut conn, account.id).await?;
        let refundable = refunds::refundable(account.prepaid_balance, held, None);
        let payments: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT receipt_no, created_at, amount_fen FROM payments WHERE account_id = ? AND voided = 0 ORDER BY id DESC LIMIT 20",
        )
        .bind(account.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut duplicates = Vec::with_capacity(payments.len());
        for (receipt_no, created_at, amount) in payments {
            let refunded = db::refunded_against(&mut conn, &receipt_no).await?;
            let amount = Yuan::from_fen(amount);
            duplicates.push(DuplicateCandidate {
                refundable: refunds::refundable(account.prepaid_balance, held, Some((amount, refunded))),
                receipt_no,
                created_at: super::printing::local_time(&created_at),
                amount,
            });
        }
        let mut requests = Vec::new();
        for r in db::list(&mut conn, Some(account.id), None, 50).await? {
            let history = db::history(&mut conn, r.id).await?;
            requests.push(self.refund_info(r, history));
        }
        Ok(RefundContext {
            account_no: account.account_no.to_string(),
            name: account.name,
            closed: account.closed,
            balance: account.prepaid_balance,
            held,
            refundable,
            duplicates,
            requests,
        })
    }

    /// 退费申请 (F3): check it, hold the amount, and send it up with the next sync.
    pub async fn submit_refund(&self, req: RefundSubmitRequest) -> Result<RefundInfo> {
        let s = self.authorise(&req.token, Action::RefundSubmit).await?;
        let no = AccountNo::typed(&req.account_no)?;
        let amount = money_field("amount", &req.amount)?;
        let reason_text = optional_text("reason_text", req.reason_text.as_deref(), 200)?;
        if req.reason == Reason::Other && reason_text.is_none() {
            return Err(Error::invalid("reason_text", "say the reason in words (2-200 characters)"));
        }
        let payee_bank = text("payee_bank", &req.payee_bank, 2, 60)?;
        let payee_branch = text("payee_branch", &req.payee_branch, 2, 60)?;
        let payee_account = refunds::account_number(&req.payee_account).map_err(refund_error)?;
        let payee_reason = optional_text("payee_reason", req.payee_reason.as_deref(), 200)?;
        let duplicate_of = req.duplicate_of.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if req.reason == Reason::Duplicate && duplicate_of.is_none() {
            return Err(Error::invalid("duplicate_of", "name the receipt of the payment made twice"));
        }
        let key = self.data_key().await?;
        let receipt_key = self.receipt_key().await?;
        let now = self.now();
        let at = now.to_rfc3339();
        let mut tx = store::write_tx(&self.writer).await?;
        let account = accounts_db::by_no(&mut tx, &no)
            .await?
            .ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
        let payee_name = match req.payee_name.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => text("payee_name", p, 1, 60)?,
            None => account.name.clone(),
        };
        if payee_name != account.name && payee_reason.is_none() {
            return Err(Error::invalid(
                "payee_reason",
                "the payee is not the account's 户名: say why in words (a power of attorney ...)",
            ));
        }
        let duplicate = match &duplicate_of {
            Some(receipt) => {
                let p = pay_db::by_receipt(&mut tx, receipt)
                    .await?
                    .filter(|p| p.account_id == account.id && !p.voided)
                    .ok_or_else(|| Error::invalid("duplicate_of", "no payment of this account with that receipt"))?;
                Some((p.amount, db::refunded_against(&mut tx, receipt).await?))
            }
            None => None,
        };
        let held = db::held(&mut tx, account.id).await?;
        let refundable = refunds::refundable(account.prepaid_balance, held, duplicate);
        refunds::check_amount(amount, refundable).map_err(refund_error)?;
        let prefix = format!("{}-TF-{}-", self.terminal.as_str(), now.year());
        let request_no = format!("{prefix}{:06}", db::last_number(&mut tx, &prefix).await? + 1);
        let refund_id = outbox::new_event_id();
        let masked = refunds::mask_account(&payee_account);
        let code =
            receipt_key.code(&[&request_no, account.account_no.as_str(), &amount.to_string(), &payee_account, &at]);
        let id = db::insert(
            &mut tx,
            &db::NewRefund {
                refund_id: &refund_id,
                request_no: &request_no,
                account_id: account.id,
                amount,
                reason: req.reason,
                reason_text: reason_text.as_deref(),
                payee_name: &payee_name,
                payee_reason: payee_reason.as_deref(),
                payee_bank: &payee_bank,
                payee_branch: &payee_branch,
                payee_account_sealed: &key.seal(ACCOUNT_COLUMN, &payee_account)?,
                payee_account_masked: &masked,
                docs: req.docs,
                duplicate_of: duplicate_of.as_deref(),
                submitted_by: s.user_id,
                submitted_at: &at,
                verification_code: &code,
            },
        )
        .await?;
        db::add_history(&mut tx, id, &at, &s.user.username, "submit", State::Submitted, None).await?;
        self.audit(
            &mut tx,
            &s.user.username,
            "refund.submit",
            Some(&request_no),
            json!({"account_no": account.account_no, "amount": amount, "reason": req.reason, "payee": masked}),
        )
        .await?;
        let event = wire::Event::RefundSubmit(wire::RefundSubmit {
            account_no: account.account_no.to_string(),
            amount,
            at: at.clone(),
            docs: req.docs,
            duplicate_of: duplicate_of.clone(),
            event_id: refund_id,
            payee_account_masked: masked,
            payee_bank: payee_bank.clone(),
            payee_branch: payee_branch.clone(),
            payee_name,
            payee_reason,
            reason: req.reason,
            reason_text,
            request_no: request_no.clone(),
            submitted_by: s.user.username.clone(),
        });
        let secret = key.seal(outbox::SECRET_COLUMN, &payee_account)?;
        outbox::append_with_secret(&mut tx, &event, &secret, self.terminal.as_str(), now).await?;
        tx.commit().await?;
        tracing::info!(request = %request_no, "refund request submitted");
        let mut conn = self.pool.acquire().await?;
        let stored = self.load_refund(&mut conn, &request_no).await?;
        let history = db::history(&mut conn, stored.id).await?;
        Ok(self.refund_info(stored, history))
    }

    /// 营业厅审核: a supervisor (their own name and password, never the submitter) approves a
    /// request, which goes to the ledger, or rejects it with a reason, which releases the hold.
    pub async fn decide_refund(&self, req: RefundDecideRequest) -> Result<RefundInfo> {
        let s = self.authorise(&req.token, Action::RefundDecide).await?;
        let reason = optional_text("reason", req.reason.as_deref(), 200)?;
        if !req.approve && reason.is_none() {
            return Err(Error::invalid("reason", "say why the request is rejected (2-200 characters)"));
        }
        let step = if req.approve { refunds::Step::HallApprove } else { refunds::Step::HallReject };
        let mut conn = self.pool.acquire().await?;
        let r = self.load_refund(&mut conn, &req.request_no).await?;
        drop(conn);
        let to = refunds::next(r.state, step).map_err(refund_error)?;
        // The supervisor's own credentials, at whichever screen (their own session included); the
        // submitter never approves their own request.
        let (submitter_id,): (i64,) =
            sqlx::query_as("SELECT submitted_by FROM refunds WHERE id = ?").bind(r.id).fetch_one(&self.pool).await?;
        let approver = self.approve_for(req.approval.as_ref(), submitter_id, &r.submitted_by, "refund").await?;
        refunds::may_act(
            step,
            &approver.username,
            &refunds::Parties { submitted_by: &r.submitted_by, hall_approved_by: None },
        )
        .map_err(|_| Error::ApprovalSelf)?;
        let now = self.now();
        let at = now.to_rfc3339();
        let mut tx = store::write_tx(&self.writer).await?;
        if !db::decide_at_hall(&mut tx, r.id, to, approver.user_id, &at, reason.as_deref()).await? {
            let fresh = self.load_refund(&mut tx, &req.request_no).await?;
            return Err(refund_error(refunds::next(fresh.state, step).err().unwrap_or(refunds::RefundError::State {
                state: fresh.state.as_str(),
                step: step.as_str(),
                label: fresh.state.label_zh(),
            })));
        }
        db::add_history(&mut tx, r.id, &at, &approver.username, step.as_str(), to, reason.as_deref()).await?;
        self.audit(
            &mut tx,
            &s.user.username,
            if req.approve { "refund.hall_approve" } else { "refund.hall_reject" },
            Some(&r.request_no),
            json!({"amount": r.amount, "reason": reason}),
        )
        .await?;
        self.audit(
            &mut tx,
            &approver.username,
            "approval.granted",
            Some(&r.request_no),
            json!({"action": "refund", "requester": r.submitted_by}),
        )
        .await?;
        let event = wire::Event::RefundHall(wire::RefundHall {
            at,
            by: approver.username.clone(),
            decision: if req.approve { wire::HallDecision::Approved } else { wire::HallDecision::Rejected },
            event_id: outbox::new_event_id(),
            reason,
            refund_id: r.refund_id.clone(),
        });
        outbox::append(&mut tx, &event, self.terminal.as_str(), now).await?;
        tx.commit().await?;
        let mut conn = self.pool.acquire().await?;
        let stored = self.load_refund(&mut conn, &r.request_no).await?;
        let history = db::history(&mut conn, stored.id).await?;
        Ok(self.refund_info(stored, history))
    }

    /// This counter's requests, newest first (`state`: only those; e.g. what waits for the hall).
    pub async fn list_refunds(&self, req: RefundListRequest) -> Result<Vec<RefundInfo>> {
        self.authorise(&req.token, Action::RefundList).await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for r in db::list(&mut conn, None, req.state, 200).await? {
            let history = db::history(&mut conn, r.id).await?;
            out.push(self.refund_info(r, history));
        }
        Ok(out)
    }

    /// 退费申请单 (the whole account number, for the customer's signature) or 退费通知单 (what the
    /// centre decided, the number masked), as the next print would be (marked 重打 after the
    /// first): a preview, counting nothing. Printing is [`Desk::print_document`].
    pub async fn refund_pdf(&self, req: RefundDocRequest) -> Result<DocumentPdf> {
        self.refund_document(req, false).await
    }

    /// The form or the notice as printing it now would print it: counted (重打 after the first)
    /// and audited as a print when `print`, otherwise a preview that counts nothing (its reading
    /// of the whole account number is audited).
    pub async fn refund_document(&self, req: RefundDocRequest, print: bool) -> Result<DocumentPdf> {
        let s = self.authorise(&req.token, Action::RefundPrint).await?;
        let mut conn = self.pool.acquire().await?;
        let r = self.load_refund(&mut conn, &req.request_no).await?;
        drop(conn);
        if req.doc == RefundDocKind::Notice && !r.state.is_final() {
            return Err(Error::invalid(
                "doc",
                "the notice is printed once the request is decided: rejected at the hall, rejected by finance, or paid",
            ));
        }
        let account = match req.doc {
            RefundDocKind::Form => self.data_key().await?.open(ACCOUNT_COLUMN, &r.payee_account_sealed)?,
            RefundDocKind::Notice => r.payee_account_masked.clone(),
        };
        let n = if print {
            let mut tx = store::write_tx(&self.writer).await?;
            let n = db::count_print(&mut tx, r.id, req.doc == RefundDocKind::Form).await?;
            self.audit(
                &mut tx,
                &s.user.username,
                "refund.print",
                Some(&r.request_no),
                json!({"doc": req.doc, "count": n}),
            )
            .await?;
            tx.commit().await?;
            n
        } else {
            let done = if req.doc == RefundDocKind::Form { r.form_prints } else { r.notice_prints };
            self.audit_alone(&s.user.username, "refund.preview", Some(&r.request_no), json!({"doc": req.doc})).await?;
            done + 1
        };
        let hall = match (&r.hall_by_name, &r.hall_at) {
            (Some(by), Some(at)) => format!(
                "{} {}  {}{}",
                by,
                super::printing::local_time(at),
                if r.state == State::HallRejected { "驳回" } else { "同意" },
                r.hall_reason.as_deref().map(|w| format!("：{w}")).unwrap_or_default()
            ),
            _ => String::new(),
        };
        let mut outcome = Vec::new();
        if let (Some(by), Some(at)) = (&r.finance_by, &r.finance_at) {
            outcome.push(format!(
                "财务复核 {by} {}{}",
                super::printing::local_time(at),
                r.finance_reason.as_deref().map(|w| format!("：{w}")).unwrap_or_default()
            ));
        }
        if let (Some(paid), Some(date)) = (r.paid, &r.payout_date) {
            outcome.push(format!(
                "已付款 {date}  银行流水 {}  {}",
                r.payout_ref.as_deref().unwrap_or("-"),
                crate::print::money_text(paid)
            ));
        }
        let doc = RefundDoc {
            kind: req.doc,
            utility: self.utility.clone(),
            terminal: self.terminal.to_string(),
            request_no: r.request_no.clone(),
            account_no: r.account_no.clone(),
            account_name: r.account_name.clone(),
            address: r.address.clone(),
            reason: match &r.reason_text {
                Some(t) => format!("{}（{t}）", r.reason.label_zh()),
                None => r.reason.label_zh().to_string(),
            },
            amount: r.amount,
            payee_name: r.payee_name.clone(),
            payee_reason: r.payee_reason.clone(),
            payee_bank: format!("{} {}", r.payee_bank, r.payee_branch),
            payee_account: account,
            duplicate_of: r.duplicate_of.clone(),
            docs: [r.docs.id_card, r.docs.original_receipt, r.docs.closure_form],
            submitted_by: r.submitted_by_name.clone(),
            submitted_at: super::printing::local_time(&r.submitted_at),
            hall,
            state: r.state.label_zh().to_string(),
            outcome,
            verification_code: r.verification_code.clone(),
            printed_at: self.now().format("%Y-%m-%d %H:%M:%S").to_string(),
            reprint: (n > 1).then_some(n - 1),
        };
        let font = self.font().await?;
        let pdf = tokio::task::spawn_blocking(move || crate::print::render_refund(&doc, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))??;
        use base64::Engine;
        Ok(DocumentPdf {
            title: format!(
                "{} {}",
                if req.doc == RefundDocKind::Form { "退费申请单" } else { "退费通知单" },
                r.request_no
            ),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }

    /// What an account's open requests hold (a void may not take the balance below it).
    pub(crate) async fn refund_held(&self, conn: &mut sqlx::SqliteConnection, account_id: i64) -> Result<Yuan> {
        db::held(conn, account_id).await
    }
}
