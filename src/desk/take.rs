//! 缴费与售电: taking money — a cash (F5) or bank-transfer (F6) payment for a postpaid account, a
//! vend (F7) for a prepaid one, holiday cash with its approval — from the checks to the committed
//! receipt.
//!
//! Each payment or vend runs in one `BEGIN IMMEDIATE` transaction that writes the change, the
//! receipt number, the audit entry (and the approval's audit entry) and the outbox event; an error
//! anywhere rolls all of it back. Approvals are checked before that transaction (a password check
//! takes tens of milliseconds and must not hold the write lock); a refused approval is audited and
//! counted toward the approver's lock-out on its own.
//!
//! Payments and vends are the counter's hot path and run on the writer connection (`store`). When
//! nothing needs approving first (no late-fee waiver, no holiday cash) they take two round trips:
//! `BEGIN IMMEDIATE` with the checks (session, shift, account) and everything the write needs to
//! read, then one batch for everything it writes with `COMMIT` (`store::BatchedTx`). The checks
//! then hold under the write lock until the commit. Otherwise the checks take a round trip of
//! their own before the approval, and the writer is given back while the approval is checked (an
//! approval writes its own audit entry). Each round trip to SQLite's connection thread costs tens
//! of microseconds, more than most statements.
//!
//! What the cashier typed is checked by `payments::tender` (实收 required, plausible, confirmed a
//! second time when large) before anything is written; holiday cash by `shifts::holiday`.

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use sqlx::{Sqlite, SqliteConnection, pool::PoolConnection};

use super::{Desk, Session, keys::MoneyKeys, text};
use crate::{
    Error, Result,
    accounts::{Account, AccountNo, BillingMode, db as accounts_db},
    audit,
    money::Yuan,
    payments::{
        AllocationLine, CollectRequest, LineKind, Method, PaymentDone, PaymentKind, VendRequest,
        allocation::Line,
        db as pay_db, settle,
        tender::{Tender, Typed, tender},
    },
    print,
    shifts::{db as shifts_db, holiday},
    store,
    sync::{outbox, wire},
    users::{Action, approval::Approver, session},
};

fn lines_out(lines: &[Line]) -> Vec<AllocationLine> {
    lines.iter().map(|l| AllocationLine { period: l.period, kind: l.kind, amount: l.amount }).collect()
}

/// An account a payment (`mode` postpaid) or vend (prepaid) may be taken for.
fn check_account(found: Option<Account>, no: &crate::accounts::AccountNo, mode: BillingMode) -> Result<Account> {
    let a = found.ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
    if a.closed {
        return Err(Error::AccountClosed { account_no: no.to_string() });
    }
    if a.billing_mode != mode {
        return Err(Error::WrongBillingMode {
            account_no: no.to_string(),
            mode: a.billing_mode.as_str(),
            use_instead: if a.billing_mode == BillingMode::Prepaid {
                "a vend (售电, F7)"
            } else {
                "a payment (缴费, F5/F6)"
            },
        });
    }
    Ok(a)
}

/// Everything one payment or vend writes.
struct Taking<'a> {
    session: &'a Session,
    shift_id: i64,
    account: &'a Account,
    kind: PaymentKind,
    tender: Tender,
    waiver: Option<String>,
    holiday_due: Option<NaiveDate>,
    approver: Option<(Approver, &'static str)>,
    /// Make the receipt's verification code (校验码) and seal the audit entries.
    keys: &'a MoneyKeys,
}

/// The action of the role matrix that taking money for an account of this mode is.
fn action_of(mode: BillingMode) -> Action {
    match mode {
        BillingMode::Postpaid => Action::Collect,
        BillingMode::Prepaid => Action::Vend,
    }
}

/// What the cashier typed, from a payment's or a vend's request (they share these fields).
macro_rules! typed {
    ($req:expr) => {
        Typed {
            method: $req.method,
            amount: &$req.amount,
            tendered: $req.tendered.as_deref(),
            voucher: $req.voucher.as_ref(),
            confirm_large: $req.confirm_large,
        }
    };
}

impl Desk {
    /// The checks in front of a payment or vend — the collector, their open shift, the account —
    /// in one round trip: the two statements' rows are told apart by a last column, `s` or `a`.
    async fn collector_and_account(
        &self,
        conn: &mut SqliteConnection,
        token: &str,
        account_no: &str,
        mode: BillingMode,
    ) -> Result<(Session, shifts_db::OpenShift, Account)> {
        let action = action_of(mode);
        let no = match AccountNo::typed(account_no) {
            Ok(no) => no,
            // The session is checked first, as everywhere.
            Err(e) => {
                self.collector_on(conn, token, action).await?;
                return Err(e);
            }
        };
        let rows = sqlx::query(pay_db::session_and_account_sql())
            .bind(self.terminal().as_str())
            .bind(session::token_param(token)?)
            .bind(no.as_str())
            .fetch_all(conn)
            .await?;
        let tagged = |tag: &str| rows.iter().find(|r| pay_db::row_tag(r) == Some(tag));
        let (s, shift) = self.collector_from(tagged("s"), action)?;
        let account = check_account(tagged("a").map(accounts_db::account_from_row).transpose()?, &no, mode)?;
        Ok((s, shift, account))
    }

    /// 缴费: a cash (F5) or bank-transfer (F6) payment for a postpaid account, applied oldest period
    /// first, late fee before principal, the rest to the prepaid balance.
    pub async fn collect(&self, req: CollectRequest) -> Result<PaymentDone> {
        // The receipt key before the write lock (its first use writes); a key that cannot be used
        // refuses the payment only after the checks, so that who may not take money hears that.
        let keys = self.money_keys().await;
        // The writer for the checks and the write: a payment is the counter's hot path, and the
        // writer's page cache is warm.
        let mut conn = self.writer().acquire().await?;
        // Nothing to approve first: checks, read and write in two round trips.
        let policy = self.policy();
        if req.waive_late_fee.is_none()
            && let Ok(no) = AccountNo::typed(&req.account_no)
        {
            let token_hash = session::token_param(&req.token)?;
            let today = self.today();
            let mut tx = store::BatchedTx::new(&mut conn);
            let done = self
                .take_checked(&mut tx, token_hash, &no, PaymentKind::Payment, keys, |_, _| {
                    tender(typed!(req), today, &policy.tendered).map(Some)
                })
                .await;
            return match tx.finish(done).await? {
                Some(done) => Ok(done),
                None => Err(Error::Internal("a payment asked for the slow path".into())),
            };
        }
        let (s, shift, account) =
            self.collector_and_account(&mut conn, &req.token, &req.account_no, BillingMode::Postpaid).await?;
        let tender = tender(typed!(req), self.today(), &policy.tendered)?;
        let waiver = match req.waive_late_fee.as_deref() {
            Some(reason) => Some(text("waive_late_fee", reason, 2, 200)?),
            None => None,
        };
        // Before the approval: a supervisor does not approve what cannot be written.
        let keys = keys?;
        let approver = match &waiver {
            Some(_) => {
                // An approval writes (its audit entry, a lock-out count): give the writer back.
                drop(conn);
                let approver = self.approve(req.approval.as_ref(), &s, "waive late fee").await?;
                conn = self.writer().acquire().await?;
                Some((approver, "waive late fee"))
            }
            None => None,
        };
        self.take(
            &mut conn,
            Taking {
                session: &s,
                shift_id: shift.id,
                account: &account,
                kind: PaymentKind::Payment,
                tender,
                waiver,
                holiday_due: None,
                approver,
                keys: &keys,
            },
        )
        .await
    }

    /// 售电: credit a prepaid account, paid in cash or by bank voucher. Bank-first categories pay by
    /// voucher on working days; on other days cash needs a supervisor, stays within the limits and is
    /// due at the bank the next working day.
    pub async fn vend(&self, req: VendRequest) -> Result<PaymentDone> {
        // Not holiday cash (which has its checks and approval): checks, read and write in two
        // round trips. Otherwise nothing was written, and the vend goes the slow path below.
        let policy = self.policy();
        if let Ok(no) = AccountNo::typed(&req.account_no) {
            let token_hash = session::token_param(&req.token)?;
            let today = self.today();
            // As in `collect`: loaded before the write lock, refused after the checks.
            let keys = self.money_keys().await;
            let mut conn = self.writer().acquire().await?;
            let mut tx = store::BatchedTx::new(&mut conn);
            let done = self
                .take_checked(&mut tx, token_hash, &no, PaymentKind::Vend, keys, |_, account| {
                    let tender = tender(typed!(req), today, &policy.tendered)?;
                    let cash = tender.method == Method::Cash;
                    Ok((!holiday::is_holiday_cash(cash, account.category, &policy.holiday_cash)).then_some(tender))
                })
                .await;
            if let Some(done) = tx.finish(done).await? {
                return Ok(done);
            }
        }
        let keys = self.money_keys().await;
        let mut conn = self.writer().acquire().await?;
        let (s, shift, account) =
            self.collector_and_account(&mut conn, &req.token, &req.account_no, BillingMode::Prepaid).await?;
        let today = self.today();
        let tender = tender(typed!(req), today, &policy.tendered)?;
        let keys = keys?;
        let calendar = self.calendar();
        let mut holiday_due = None;
        let mut approver = None;
        if holiday::is_holiday_cash(tender.method == Method::Cash, account.category, &policy.holiday_cash) {
            let working_day = calendar.is_working_day(today);
            let (overdue, taken_in_shift) = if working_day {
                (None, Yuan::ZERO)
            } else {
                let due = shifts_db::holiday_cash_open(&mut conn, self.terminal().as_str()).await?;
                (
                    due.into_iter().find(|h| h.due_on < today),
                    shifts_db::holiday_cash_in_shift(&mut conn, shift.id).await?,
                )
            };
            holiday::admit(
                &holiday::Case { working_day, amount: tender.amount, overdue: overdue.as_ref(), taken_in_shift },
                &policy.holiday_cash,
            )?;
            // An approval writes (its audit entry, a lock-out count): give the writer back.
            drop(conn);
            approver = Some((self.approve(req.approval.as_ref(), &s, "holiday cash").await?, "holiday cash"));
            conn = self.writer().acquire().await?;
            holiday_due = Some(calendar.next_working_day(today));
        }
        self.take(
            &mut conn,
            Taking {
                session: &s,
                shift_id: shift.id,
                account: &account,
                kind: PaymentKind::Vend,
                tender,
                waiver: None,
                holiday_due,
                approver,
                keys: &keys,
            },
        )
        .await
    }

    /// Write one payment or vend after its checks and approval (see the module docs): it begins
    /// the transaction and reads everything in one round trip (`pay_db::before`) and writes
    /// everything and commits in another (payment tables, audit entries, outbox event). On an
    /// error the transaction is rolled back (`store::BatchedTx`).
    async fn take(&self, conn: &mut PoolConnection<Sqlite>, t: Taking<'_>) -> Result<PaymentDone> {
        let mut tx = store::BatchedTx::new(conn);
        match self.take_in(&mut tx, t).await {
            Ok(done) => {
                tx.committed();
                Ok(done)
            }
            Err(e) => {
                tx.rollback().await;
                Err(e)
            }
        }
    }

    /// [`Self::take`]'s work. Returns `Ok` only after the batch ending in `COMMIT` has run: nothing
    /// after it can fail.
    async fn take_in(&self, tx: &mut store::BatchedTx<'_>, t: Taking<'_>) -> Result<PaymentDone> {
        // One instant for the read and the write: the receipt number's year is the one read.
        let now = self.now();
        let terminal = self.terminal().as_str();
        let year = now.date_naive().year();
        let before =
            pay_db::before(tx, t.shift_id, terminal, year, t.account.id, t.kind == PaymentKind::Payment).await?;
        if !before.shift_open {
            return Err(Error::ShiftNotOpen);
        }
        self.write_payment(tx, t, before, now).await
    }

    /// The fast path of a payment or vend when nothing needs approving before it: the checks of
    /// [`Self::collector_and_account`] and the read of [`Self::take_in`] in the round trip that
    /// begins the transaction (`pay_db::begin_check_and_read`), then [`Self::write_payment`]: the
    /// same checks in the same order, one round trip fewer (on the virtual machines measured, a
    /// round trip that wakes the connection's idle thread costs up to about 100 µs). `decide` gets
    /// the checked session and account and returns the tender, or `None` when the payment needs
    /// the slow path after all (then nothing was written and the caller rolls back).
    async fn take_checked(
        &self,
        tx: &mut store::BatchedTx<'_>,
        token_hash: String,
        no: &crate::accounts::AccountNo,
        kind: PaymentKind,
        keys: Result<MoneyKeys>,
        decide: impl FnOnce(&Session, &Account) -> Result<Option<Tender>>,
    ) -> Result<Option<PaymentDone>> {
        let mode = match kind {
            PaymentKind::Payment => BillingMode::Postpaid,
            PaymentKind::Vend => BillingMode::Prepaid,
        };
        // One instant for the read and the write: the receipt number's year is the one read.
        let now = self.now();
        let read = pay_db::begin_check_and_read(
            tx,
            self.terminal().as_str(),
            token_hash,
            no.as_str(),
            now.date_naive().year(),
            kind == PaymentKind::Payment,
        )
        .await?;
        let (s, shift) = self.collector_from(read.session.as_ref(), action_of(mode))?;
        let account = check_account(read.account.as_ref().map(accounts_db::account_from_row).transpose()?, no, mode)?;
        let Some(tender) = decide(&s, &account)? else { return Ok(None) };
        let keys = keys?;
        let before = pay_db::Before {
            shift_open: true,
            last_receipt: read.last_receipt,
            prepaid: account.prepaid_balance,
            audit_head: read.audit_head,
            bills: read.bills,
        };
        let t = Taking {
            session: &s,
            shift_id: shift.id,
            account: &account,
            kind,
            tender,
            waiver: None,
            holiday_due: None,
            approver: None,
            keys: &keys,
        };
        self.write_payment(tx, t, before, now).await.map(Some)
    }

    /// Write a checked payment or vend, read under the write lock as `before`, and commit, in one
    /// round trip. Returns `Ok` only after the batch ending in `COMMIT` has run: nothing after it
    /// can fail.
    async fn write_payment(
        &self,
        tx: &mut store::BatchedTx<'_>,
        t: Taking<'_>,
        before: pay_db::Before,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<PaymentDone> {
        let today = now.date_naive();
        let terminal = self.terminal().as_str();
        let bills = &before.bills;
        let settlement = settle::settle(
            bills,
            t.account.category,
            today,
            &self.policy().late_fee,
            t.tender.amount,
            t.waiver.is_some(),
        );
        let lines = &settlement.lines;
        let waived = &settlement.waived;
        let waived_by_period: Vec<wire::WaivedPayload> = waived
            .iter()
            .filter_map(|(id, fee)| {
                bills
                    .iter()
                    .find(|b| b.id == *id)
                    .map(|b| wire::WaivedPayload { amount: *fee, period: b.period.to_string() })
            })
            .collect();
        let voucher_id = match &t.tender.voucher {
            Some(v) => Some(pay_db::claim_voucher(tx.conn(), v, t.session.user_id, now).await?),
            None => None,
        };
        let receipt_seq = before.last_receipt + 1;
        let receipt_no = pay_db::receipt_no(terminal, today.year(), receipt_seq)?;
        let credit = settlement.prepaid();
        let prepaid_after = before.prepaid + credit;
        let event_id = outbox::new_event_id();
        let code = t.keys.receipt.code(&[
            &receipt_no,
            t.account.account_no.as_str(),
            &t.tender.amount.to_string(),
            &now.to_rfc3339(),
        ]);
        let waived_total = settlement.waived_total();
        let receipt = self.receipt_snapshot(&t, lines, bills, &receipt_no, &code, credit, prepaid_after, now);
        let receipt_json =
            serde_json::to_string(&receipt).map_err(|e| Error::Internal(format!("cannot store the receipt: {e}")))?;
        let mut batch = sqlx::QueryBuilder::new("");
        pay_db::push_record(
            &mut batch,
            &pay_db::Record {
                payment: pay_db::NewPayment {
                    event_id: &event_id,
                    receipt_no: &receipt_no,
                    kind: t.kind,
                    shift_id: t.shift_id,
                    account_id: t.account.id,
                    method: t.tender.method,
                    amount: t.tender.amount,
                    tendered: t.tender.tendered,
                    change: t.tender.change,
                    voucher_id,
                    holiday_cash: t.holiday_due.is_some(),
                    approved_by: t.approver.as_ref().map(|a| a.0.user_id),
                    waived: waived_total,
                    waiver_reason: t.waiver.as_deref(),
                    prepaid_after,
                    verification_code: &code,
                    created_at: now,
                    receipt: &receipt_json,
                },
                terminal,
                prepaid_credit: credit,
                lines,
                changes: &settlement.changes,
                today,
                holiday_due: t.holiday_due,
            },
        );
        let wire_lines: Vec<wire::LinePayload> = lines
            .iter()
            .map(|l| wire::LinePayload { amount: l.amount, kind: l.kind, period: l.period.map(|p| p.to_string()) })
            .collect();
        let detail = json!({
            "receipt_no": receipt_no, "kind": t.kind, "method": t.tender.method, "amount": t.tender.amount,
            "lines": wire_lines, "waived": waived_total, "waived_by_period": waived_by_period, "holiday_cash_due": t.holiday_due,
        });
        let action = format!("{}.{}", t.kind.as_str(), t.tender.method.as_str());
        let taken = audit::Entry {
            at: now,
            terminal,
            actor: &t.session.user.username,
            action: &action,
            subject: Some(t.account.account_no.as_str()),
            detail,
        }
        .seal(&audit::Checkpoint::from_head(&before.audit_head)?, t.keys.audit.as_deref());
        batch.push(";\n");
        taken.push_insert(&mut batch);
        if let Some((approver, action)) = &t.approver {
            let approval = audit::Entry {
                at: now,
                terminal,
                actor: &approver.username,
                action: "approval.granted",
                subject: Some(&receipt_no),
                detail: json!({"action": action, "requester": t.session.user.username}),
            }
            .seal(&taken.next(), t.keys.audit.as_deref());
            batch.push(";\n");
            approval.push_insert(&mut batch);
        }
        let taking = wire::Taking {
            account_no: t.account.account_no.to_string(),
            amount: t.tender.amount,
            approved_by: t.approver.as_ref().map(|a| a.0.username.clone()),
            at: now.to_rfc3339(),
            cashier: t.session.user.username.clone(),
            change: t.tender.change,
            event_id: event_id.clone(),
            holiday_cash_due: t.holiday_due,
            kind: t.kind,
            late_fee_waived: Some(waived_total),
            late_fee_waived_by_period: waived_by_period,
            lines: wire_lines,
            method: t.tender.method,
            prepaid_after: Some(prepaid_after),
            receipt_no: receipt_no.clone(),
            shift: t.shift_id,
            tendered: t.tender.tendered,
            voucher: t.tender.voucher.as_ref().map(|v| wire::VoucherPayload {
                amount: v.amount,
                bank: v.bank.clone(),
                bank_name: v.bank_name.clone(),
                payer: v.payer.clone(),
                serial: v.serial.clone(),
                transfer_date: v.transfer_date.to_string(),
            }),
            waiver_reason: t.waiver.clone(),
        };
        let event = match t.kind {
            PaymentKind::Payment => wire::Event::Payment(taking),
            PaymentKind::Vend => wire::Event::Vend(taking),
        };
        batch.push(";\n");
        outbox::push_append(&mut batch, &event, terminal, now);
        batch.push(store::BatchedTx::COMMIT);
        pay_db::run(tx.conn(), &mut batch).await?;
        tracing::info!(receipt = %receipt_no, account = %t.account.account_no, "money taken");
        Ok(PaymentDone {
            receipt_no,
            kind: t.kind,
            account_no: t.account.account_no.to_string(),
            name: t.account.name.clone(),
            method: t.tender.method,
            amount: t.tender.amount,
            amount_words: t.tender.amount.words(),
            tendered: t.tender.tendered,
            change: t.tender.change,
            lines: lines_out(lines),
            late_fee_waived: waived_total,
            prepaid_after,
            created_at: now.format("%Y-%m-%d %H:%M:%S").to_string(),
            verification_code: code,
            holiday_cash_due: t.holiday_due,
            approved_by: t.approver.map(|a| a.0.display_name),
        })
    }

    /// What the receipt of a payment says, fixed when the payment is recorded.
    #[allow(clippy::too_many_arguments)]
    fn receipt_snapshot(
        &self,
        t: &Taking<'_>,
        lines: &[Line],
        bills: &[crate::accounts::Bill],
        receipt_no: &str,
        code: &str,
        to_prepaid: Yuan,
        prepaid_after: Yuan,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> print::Receipt {
        // One printed row per period, in allocation order (oldest first).
        let mut rows: Vec<print::ReceiptLine> = Vec::new();
        for l in lines.iter().filter(|l| l.kind != LineKind::Prepaid) {
            let period = l.period.map(|p| p.to_string()).unwrap_or_default();
            let idx = match rows.iter().position(|r| r.period == period) {
                Some(i) => i,
                None => {
                    let kwh = bills.iter().find(|b| Some(b.id) == l.bill_id).map(|b| b.kwh.clone()).unwrap_or_default();
                    rows.push(print::ReceiptLine { period, kwh, principal: Yuan::ZERO, late_fee: Yuan::ZERO });
                    rows.len() - 1
                }
            };
            match l.kind {
                LineKind::LateFee => rows[idx].late_fee += l.amount,
                _ => rows[idx].principal += l.amount,
            }
        }
        let tender = match (&t.tender.voucher, t.tender.tendered, t.tender.change) {
            (Some(v), _, _) => {
                print::Tender::Transfer { bank: v.bank_name.clone(), serial: v.serial.clone(), payer: v.payer.clone() }
            }
            (None, tendered, change) => print::Tender::Cash {
                tendered: tendered.unwrap_or(t.tender.amount),
                change: change.unwrap_or(Yuan::ZERO),
            },
        };
        print::Receipt {
            kind: match t.kind {
                PaymentKind::Payment => print::ReceiptKind::Payment,
                PaymentKind::Vend => print::ReceiptKind::Vend,
            },
            utility: self.utility().to_string(),
            receipt_no: receipt_no.to_string(),
            issued_at: now.format("%Y-%m-%d %H:%M:%S").to_string(),
            terminal: self.terminal().to_string(),
            cashier: t.session.user.display_name.clone(),
            account_no: t.account.account_no.to_string(),
            name: t.account.name.clone(),
            address: t.account.address.clone(),
            meter_no: t.account.meter_no.clone(),
            lines: rows,
            to_prepaid,
            total: t.tender.amount,
            tender,
            prepaid_after,
            verification_code: code.to_string(),
            reprint: None,
            void: false,
            holiday_cash_approved_by: t.holiday_due.and(t.approver.as_ref().map(|a| a.0.display_name.clone())),
        }
    }
}
