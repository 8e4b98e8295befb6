//! 作废: reversing a payment of the cashier's own, still-open shift, with a supervisor's approval
//! (DOMAIN.md "Voids and refunds"). The bills return exactly to their state before it, the prepaid
//! credit is taken back, the receipt keeps its number and is marked void; nothing is deleted. The
//! reversal, its audit entries and its outbox event are one transaction; everything checked before
//! the approval is checked again under the write lock. A void never takes the prepaid balance below
//! what refund requests hold.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, shift::still_open, text};
use crate::{
    Error, Result,
    money::Yuan,
    payments::db as pay_db,
    store,
    sync::{outbox, wire},
    users::{Action, approval::ApprovalInput},
};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub token: String,
    pub receipt_no: String,
    pub reason: String,
    pub approval: Option<ApprovalInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VoidDone {
    pub receipt_no: String,
    pub amount: Yuan,
    pub approved_by: String,
}

redact_token_debug!(VoidRequest);

impl Desk {
    /// 作废: reverse a payment of the caller's still-open shift, with a supervisor's approval. The
    /// bills return exactly to their state before it, the prepaid credit is taken back, the receipt
    /// keeps its number and is marked void; nothing is deleted.
    pub async fn void_payment(&self, req: VoidRequest) -> Result<VoidDone> {
        let (s, shift) = self.collector(&req.token, Action::Void).await?;
        let reason = text("reason", &req.reason, 2, 200)?;
        let receipt_no = req.receipt_no.trim().to_string();
        let mut conn = self.pool().acquire().await?;
        let p = pay_db::by_receipt(&mut conn, &receipt_no)
            .await?
            .ok_or_else(|| Error::ReceiptNotFound { receipt_no: receipt_no.clone() })?;
        let refuse = |why: String| Error::VoidRefused { receipt_no: receipt_no.clone(), why };
        if p.voided {
            return Err(refuse("it is already void".into()));
        }
        if p.shift_id != shift.id {
            return Err(refuse(
                "only a payment of your own open shift can be voided; later corrections are refunds".into(),
            ));
        }
        if let Some(later) = pay_db::later_payment_on_account(&mut conn, &p).await? {
            return Err(refuse(format!("receipt {later} came later on the same account: void it first")));
        }
        drop(conn);
        let approver = self.approve(req.approval.as_ref(), &s, "void").await?;
        let now = self.now();
        let mut tx = store::write_tx(self.writer()).await?;
        // Everything checked before the approval is checked again under the write lock: another
        // terminal may have taken a payment on this account, or the shift may have closed.
        still_open(&mut tx, shift.id).await?;
        let p = pay_db::by_receipt(&mut tx, &receipt_no)
            .await?
            .ok_or_else(|| Error::ReceiptNotFound { receipt_no: receipt_no.clone() })?;
        if p.voided {
            return Err(refuse("it is already void".into()));
        }
        if let Some(later) = pay_db::later_payment_on_account(&mut tx, &p).await? {
            return Err(refuse(format!("receipt {later} came later on the same account: void it first")));
        }
        let credit = pay_db::prepaid_credit(&mut tx, p.id).await?;
        pay_db::restore_bills(&mut tx, p.id).await?;
        let balance = pay_db::add_prepaid(&mut tx, p.account_id, -credit).await?;
        if balance.is_negative() {
            return Err(refuse("the prepaid credit has already been used".into()));
        }
        // Money a refund request holds is not there to take back either.
        if credit.is_positive() && balance < self.refund_held(&mut tx, p.account_id).await? {
            return Err(refuse("the prepaid credit is held by a refund request: reject the request first".into()));
        }
        let event_id = outbox::new_event_id();
        sqlx::query("INSERT INTO voids (payment_id, event_id, reason, voided_by, approved_by, voided_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(p.id)
            .bind(&event_id)
            .bind(&reason)
            .bind(s.user_id)
            .bind(approver.user_id)
            .bind(now.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            &s.user.username,
            "payment.void",
            Some(&p.receipt_no),
            json!({"reason": reason, "amount": p.amount, "prepaid_after": balance}),
        )
        .await?;
        self.audit(
            &mut tx,
            &approver.username,
            "approval.granted",
            Some(&p.receipt_no),
            json!({"action": "void", "requester": s.user.username}),
        )
        .await?;
        let event = wire::Event::Void(wire::Void {
            amount: p.amount,
            approved_by: approver.username.clone(),
            at: now.to_rfc3339(),
            cashier: s.user.username.clone(),
            event_id,
            reason,
            receipt_no: p.receipt_no.clone(),
            voids_event_id: p.event_id.clone(),
        });
        outbox::append(&mut tx, &event, self.terminal().as_str(), now).await?;
        tx.commit().await?;
        Ok(VoidDone { receipt_no: p.receipt_no, amount: p.amount, approved_by: approver.display_name })
    }
}
