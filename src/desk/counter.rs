//! 收费台业务: the collection use cases — shifts, cash and transfer payments, vends, holiday cash,
//! deposits, voids — and the one approval check they all use.
//!
//! Each money operation runs in one `BEGIN IMMEDIATE` transaction that writes the change, the
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

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::LazyLock;

use sqlx::{Sqlite, SqliteConnection, pool::PoolConnection, sqlite::SqliteRow};

use super::{Desk, Session, TokenRequest, verify_blocking};
use crate::{
    Error, Result,
    accounts::{Account, BillingMode, db as accounts_db},
    audit,
    money::Yuan,
    payments::{
        AllocationLine, CollectRequest, LineKind, Method, PaymentDone, PaymentKind, VendRequest, Voucher,
        allocation::Line, db as pay_db, money_field, positive_money, settle,
    },
    print,
    shifts::{self, CashCount, CloseOutcome, DenominationCount, HolidayCashDue, ShiftInfo, db as shifts_db},
    store,
    sync::outbox,
    users::{
        Permission, Role,
        approval::{ApprovalInput, Approver},
        db as users_db, lockout, session,
    },
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
    /// Why the count differs (长款/短款), when it does.
    pub reason: Option<String>,
    pub approval: Option<ApprovalInput>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub token: String,
    pub receipt_no: String,
    pub reason: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VoidDone {
    pub receipt_no: String,
    pub amount: Yuan,
    pub approved_by: String,
}

redact_token_debug!(OpenShiftRequest, CloseShiftRequest, VoidRequest, DepositRequest);

fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(Error::invalid(field, format!("give {min}-{max} characters")));
    }
    Ok(t.to_string())
}

fn lines_out(lines: &[Line]) -> Vec<AllocationLine> {
    lines.iter().map(|l| AllocationLine { period: l.period, kind: l.kind, amount: l.amount }).collect()
}

/// How the customer pays, validated.
struct Tender {
    method: Method,
    amount: Yuan,
    tendered: Option<Yuan>,
    change: Option<Yuan>,
    voucher: Option<Voucher>,
}

fn tender(
    method: Method,
    amount: &str,
    tendered: Option<&str>,
    voucher: Option<&crate::payments::VoucherInput>,
    today: NaiveDate,
) -> Result<Tender> {
    match method {
        Method::Cash => {
            if voucher.is_some() {
                return Err(Error::invalid("voucher", "a cash payment has no bank voucher"));
            }
            let amount = positive_money("amount", amount)?;
            let tendered = match tendered.map(str::trim).filter(|s| !s.is_empty()) {
                Some(t) => money_field("tendered", t)?,
                None => amount,
            };
            if tendered < amount {
                return Err(Error::TenderedTooLittle { tendered: tendered.to_string(), amount: amount.to_string() });
            }
            Ok(Tender { method, amount, tendered: Some(tendered), change: Some(tendered - amount), voucher: None })
        }
        Method::Transfer => {
            let v = voucher.ok_or_else(|| Error::invalid("voucher", "a transfer needs the bank voucher's details"))?;
            let v = Voucher::parse(v, today)?;
            if !amount.trim().is_empty() && positive_money("amount", amount)? != v.amount {
                return Err(Error::invalid(
                    "amount",
                    format!("a transfer applies the voucher's whole amount, {}", v.amount),
                ));
            }
            Ok(Tender { method, amount: v.amount, tendered: None, change: None, voucher: Some(v) })
        }
    }
}

/// Inside a write transaction: the shift checked before it (and before any approval) is still
/// open. Closing it in between must not leave money in a closed shift.
async fn still_open(conn: &mut SqliteConnection, shift_id: i64) -> Result<()> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM shifts WHERE id = ? AND closed_at IS NULL")
        .bind(shift_id)
        .fetch_optional(conn)
        .await?;
    row.map(|_| ()).ok_or(Error::ShiftNotOpen)
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

/// Expected cash in a shift's drawer now.
async fn drawer_expected(conn: &mut sqlx::SqliteConnection, shift: &shifts_db::OpenShift) -> Result<Yuan> {
    let kept = shifts_db::cash_kept(conn, shift.id).await?;
    let deposited = shifts_db::deposited(conn, shift.id).await?;
    Ok(shifts::expected_cash(shift.float, kept, deposited))
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
}

impl Desk {
    /// The single approval check (see the module docs). `input` is what the dialog sent.
    pub async fn check_approval(
        &self,
        input: Option<&ApprovalInput>,
        requester: &Session,
        action: &'static str,
    ) -> Result<Approver> {
        let input = input.ok_or(Error::ApprovalRequired { action })?;
        let name = input.username.trim().to_string();
        let refuse = |why: &'static str| json!({"action": action, "requester": requester.user.username, "why": why});
        let mut conn = self.pool().acquire().await?;
        let user = users_db::by_name(&mut conn, &name).await?;
        drop(conn);
        let Some(user) = user else {
            let mut detail = refuse("unknown approver");
            detail["name"] = json!(super::name_digest(&name));
            self.audit_alone(super::UNKNOWN_USER, "approval.refused", Some(&requester.user.username), detail).await?;
            return Err(Error::ApprovalInvalid);
        };
        if user.id == requester.user_id {
            self.audit_alone(&name, "approval.refused", Some(&requester.user.username), refuse("self-approval"))
                .await?;
            return Err(Error::ApprovalSelf);
        }
        if !user.info.role.permits(Permission::Approve) || user.disabled {
            self.audit_alone(&name, "approval.refused", Some(&requester.user.username), refuse("not a supervisor"))
                .await?;
            return Err(Error::ApprovalRole { role: Role::Supervisor.as_str() });
        }
        let now = self.now();
        if let Some(until) = lockout::locked(user.locked_until, now) {
            self.audit_alone(&name, "approval.refused", Some(&requester.user.username), refuse("approver locked"))
                .await?;
            return Err(Error::AuthLocked { until: until.format("%H:%M").to_string() });
        }
        let ok = verify_blocking(input.password.clone(), user.password_hash.clone()).await?;
        let mut tx = store::write_tx(self.writer()).await?;
        if !ok {
            // Read the count again under the write lock: parallel wrong guesses each count.
            let fresh = users_db::by_id(&mut tx, user.id).await?.ok_or(Error::ApprovalInvalid)?;
            let (failed, locked_until) = lockout::after_failure(fresh.failed_attempts, fresh.locked_until, now);
            users_db::set_failures(&mut tx, user.id, failed, locked_until).await?;
            self.audit(
                &mut tx,
                &name,
                "approval.failed",
                Some(&requester.user.username),
                json!({"action": action, "failed_attempts": failed}),
            )
            .await?;
            tx.commit().await?;
            return Err(match locked_until {
                Some(until) => Error::AuthLocked { until: until.format("%H:%M").to_string() },
                None => Error::ApprovalInvalid,
            });
        }
        users_db::set_failures(&mut tx, user.id, 0, None).await?;
        tx.commit().await?;
        Ok(Approver { user_id: user.id, username: user.info.username, display_name: user.info.display_name })
    }

    async fn collector(&self, token: &str) -> Result<(Session, shifts_db::OpenShift)> {
        let mut conn = self.pool().acquire().await?;
        self.collector_on(&mut conn, token).await
    }

    /// The cashier behind `token` and their open shift here, read on the caller's connection.
    async fn collector_on(&self, conn: &mut SqliteConnection, token: &str) -> Result<(Session, shifts_db::OpenShift)> {
        let row = sqlx::query(session::USER_AND_OPEN_SHIFT)
            .bind(self.terminal().as_str())
            .bind(session::token_param(token)?)
            .fetch_optional(conn)
            .await?;
        self.collector_from(row.as_ref())
    }

    fn collector_from(&self, row: Option<&SqliteRow>) -> Result<(Session, shifts_db::OpenShift)> {
        let (user_id, user, shift) = session::user_and_open_shift_from(row, self.now())?;
        user.role.require(Permission::Collect, "take money")?;
        let (id, opened_at, float) = shift.ok_or(Error::ShiftNotOpen)?;
        let terminal = self.terminal().as_str().to_string();
        let shift = shifts_db::OpenShift { id, user_id, terminal, opened_at, float: Yuan::from_fen(float) };
        Ok((Session { user_id, user }, shift))
    }

    /// The checks in front of a payment or vend — the collector, their open shift, the account —
    /// in one round trip: the two statements' rows are told apart by a last column, `s` or `a`.
    async fn collector_and_account(
        &self,
        conn: &mut SqliteConnection,
        token: &str,
        account_no: &str,
        mode: BillingMode,
    ) -> Result<(Session, shifts_db::OpenShift, Account)> {
        let no = match crate::accounts::AccountNo::parse(account_no) {
            Ok(no) => no,
            // The session is checked first, as everywhere.
            Err(e) => {
                self.collector_on(conn, token).await?;
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
        let (s, shift) = self.collector_from(tagged("s"))?;
        let account = check_account(tagged("a").map(accounts_db::account_from_row).transpose()?, &no, mode)?;
        Ok((s, shift, account))
    }

    /// 开班: open a shift at this terminal with a float.
    pub async fn open_shift(&self, req: OpenShiftRequest) -> Result<ShiftInfo> {
        let s = self.session(&req.token).await?;
        s.user.role.require(Permission::Collect, "open a shift")?;
        let float = money_field("float", &req.float)?;
        let now = self.now();
        let mut tx = store::write_tx(self.writer()).await?;
        let id = shifts_db::insert(&mut tx, s.user_id, self.terminal().as_str(), float, now).await?;
        let info = shifts_db::info(&mut tx, id).await?;
        let event_id = outbox::new_event_id();
        self.audit(&mut tx, &s.user.username, "shift.open", Some(&id.to_string()), json!({"float": float})).await?;
        let payload = json!({"event_id": event_id, "shift": id, "cashier": s.user.username, "float": float, "opened_at": info.opened_at});
        outbox::append(&mut tx, &event_id, "shift.open", self.terminal().as_str(), &payload, now).await?;
        tx.commit().await?;
        Ok(info)
    }

    /// The caller's open shift at this terminal, if any.
    pub async fn current_shift(&self, req: TokenRequest) -> Result<Option<ShiftInfo>> {
        let s = self.session(&req.token).await?;
        let mut conn = self.pool().acquire().await?;
        match shifts_db::open_of(&mut conn, s.user_id, self.terminal().as_str()).await? {
            Some(open) => Ok(Some(shifts_db::info(&mut conn, open.id).await?)),
            None => Ok(None),
        }
    }

    /// 缴费: a cash (F5) or bank-transfer (F6) payment for a postpaid account, applied oldest period
    /// first, late fee before principal, the rest to the prepaid balance.
    pub async fn collect(&self, req: CollectRequest) -> Result<PaymentDone> {
        // The writer for the checks and the write: a payment is the counter's hot path, and the
        // writer's page cache is warm.
        let mut conn = self.writer().acquire().await?;
        // Nothing to approve first: checks, read and write in two round trips.
        if req.waive_late_fee.is_none()
            && let Ok(no) = crate::accounts::AccountNo::parse(&req.account_no)
        {
            let token_hash = session::token_param(&req.token)?;
            let today = self.today();
            let mut tx = store::BatchedTx::new(&mut conn);
            let done = self
                .take_checked(&mut tx, token_hash, &no, PaymentKind::Payment, |_, _| {
                    tender(req.method, &req.amount, req.tendered.as_deref(), req.voucher.as_ref(), today).map(Some)
                })
                .await;
            return match tx.finish(done).await? {
                Some(done) => Ok(done),
                None => Err(Error::Internal("a payment asked for the slow path".into())),
            };
        }
        let (s, shift, account) =
            self.collector_and_account(&mut conn, &req.token, &req.account_no, BillingMode::Postpaid).await?;
        let tender = tender(req.method, &req.amount, req.tendered.as_deref(), req.voucher.as_ref(), self.today())?;
        let waiver = match req.waive_late_fee.as_deref() {
            Some(reason) => Some(text("waive_late_fee", reason, 2, 200)?),
            None => None,
        };
        let approver = match &waiver {
            Some(_) => {
                // An approval writes (its audit entry, a lock-out count): give the writer back.
                drop(conn);
                let approver = self.check_approval(req.approval.as_ref(), &s, "waive late fee").await?;
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
        if let Ok(no) = crate::accounts::AccountNo::parse(&req.account_no) {
            let token_hash = session::token_param(&req.token)?;
            let today = self.today();
            let bank_first = self.policy().holiday_cash.bank_first.clone();
            let mut conn = self.writer().acquire().await?;
            let mut tx = store::BatchedTx::new(&mut conn);
            let done = self
                .take_checked(&mut tx, token_hash, &no, PaymentKind::Vend, |_, account| {
                    let tender = tender(req.method, &req.amount, req.tendered.as_deref(), req.voucher.as_ref(), today)?;
                    Ok((tender.method != Method::Cash || !bank_first.contains(&account.category)).then_some(tender))
                })
                .await;
            if let Some(done) = tx.finish(done).await? {
                return Ok(done);
            }
        }
        let mut conn = self.writer().acquire().await?;
        let (s, shift, account) =
            self.collector_and_account(&mut conn, &req.token, &req.account_no, BillingMode::Prepaid).await?;
        let today = self.today();
        let tender = tender(req.method, &req.amount, req.tendered.as_deref(), req.voucher.as_ref(), today)?;
        let policy_now = self.policy();
        let calendar = self.calendar();
        let policy = &policy_now.holiday_cash;
        let mut holiday_due = None;
        let mut approver = None;
        if tender.method == Method::Cash && policy.bank_first.contains(&account.category) {
            if calendar.is_working_day(today) {
                return Err(Error::BankFirst);
            }
            if tender.amount > policy.limit_per_transaction {
                return Err(Error::HolidayCashLimit { limit: policy.limit_per_transaction.to_string() });
            }
            if let Some(overdue) = shifts_db::holiday_cash_open(&mut conn, self.terminal().as_str())
                .await?
                .into_iter()
                .find(|h| h.due_on < today)
            {
                return Err(Error::HolidayCashOverdue {
                    receipt_no: overdue.receipt_no,
                    due_on: overdue.due_on.to_string(),
                });
            }
            if let Some(limit) = policy.limit_per_shift
                && shifts_db::holiday_cash_in_shift(&mut conn, shift.id).await? + tender.amount > limit
            {
                return Err(Error::HolidayCashShiftLimit { limit: limit.to_string() });
            }
            // An approval writes (its audit entry, a lock-out count): give the writer back.
            drop(conn);
            approver = Some((self.check_approval(req.approval.as_ref(), &s, "holiday cash").await?, "holiday cash"));
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
        let (s, shift) = self.collector_from(read.session.as_ref())?;
        let account = check_account(read.account.as_ref().map(accounts_db::account_from_row).transpose()?, no, mode)?;
        let Some(tender) = decide(&s, &account)? else { return Ok(None) };
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
        let waived_json: Vec<serde_json::Value> = waived
            .iter()
            .filter_map(|(id, fee)| {
                bills.iter().find(|b| b.id == *id).map(|b| json!({"period": b.period.to_string(), "amount": fee}))
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
        let code = pay_db::verification_code(
            &self.receipt_secret,
            &[&receipt_no, t.account.account_no.as_str(), &t.tender.amount.to_string(), &now.to_rfc3339()],
        );
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
        let lines_json: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| json!({"period": l.period.map(|p| p.to_string()), "kind": l.kind, "amount": l.amount}))
            .collect();
        let voucher_json = t.tender.voucher.as_ref().map(|v| {
            json!({"bank": v.bank, "bank_name": v.bank_name, "serial": v.serial, "payer": v.payer, "amount": v.amount, "transfer_date": v.transfer_date})
        });
        let detail = json!({
            "receipt_no": receipt_no, "kind": t.kind, "method": t.tender.method, "amount": t.tender.amount,
            "lines": lines_json, "waived": waived_total, "waived_by_period": waived_json, "holiday_cash_due": t.holiday_due,
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
        .seal(&before.audit_head);
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
            .seal(taken.hash());
            batch.push(";\n");
            approval.push_insert(&mut batch);
        }
        let payload = json!({
            "event_id": event_id, "receipt_no": receipt_no, "kind": t.kind, "account_no": t.account.account_no,
            "shift": t.shift_id, "cashier": t.session.user.username, "method": t.tender.method, "amount": t.tender.amount,
            "tendered": t.tender.tendered, "change": t.tender.change, "voucher": voucher_json, "lines": lines_json,
            "late_fee_waived": waived_total, "late_fee_waived_by_period": waived_json, "waiver_reason": t.waiver, "holiday_cash_due": t.holiday_due,
            "approved_by": t.approver.as_ref().map(|a| a.0.username.clone()), "prepaid_after": prepaid_after,
            "at": now.to_rfc3339(),
        });
        batch.push(";\n");
        outbox::push_append(&mut batch, &event_id, t.kind.as_str(), terminal, &payload, now);
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

    /// 作废: reverse a payment of the caller's still-open shift, with a supervisor's approval. The
    /// bills return exactly to their state before it, the prepaid credit is taken back, the receipt
    /// keeps its number and is marked void; nothing is deleted.
    pub async fn void_payment(&self, req: VoidRequest) -> Result<VoidDone> {
        let (s, shift) = self.collector(&req.token).await?;
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
        let approver = self.check_approval(req.approval.as_ref(), &s, "void").await?;
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
        let payload = json!({
            "event_id": event_id, "voids_event_id": p.event_id, "receipt_no": p.receipt_no, "amount": p.amount,
            "reason": reason, "cashier": s.user.username, "approved_by": approver.username, "at": now.to_rfc3339(),
        });
        outbox::append(&mut tx, &event_id, "void", self.terminal().as_str(), &payload, now).await?;
        tx.commit().await?;
        Ok(VoidDone { receipt_no: p.receipt_no, amount: p.amount, approved_by: approver.display_name })
    }

    /// 解款: cash taken to the bank with its slip number. It covers holiday cash due first; the part
    /// covering earlier shifts' holiday cash comes from the safe, the rest from this drawer.
    pub async fn deposit(&self, req: DepositRequest) -> Result<DepositDone> {
        let (s, shift) = self.collector(&req.token).await?;
        let amount = positive_money("amount", &req.amount)?;
        // Stored by bank code, like vouchers, so one slip cannot be recorded twice under two spellings.
        let (bank, bank_name) = crate::payments::bank_of(&req.bank)?;
        let bank = bank.to_string();
        let slip_no = text("slip_no", &req.slip_no, 4, 40)?;
        let now = self.now();
        let terminal = self.terminal().as_str();
        let mut tx = store::write_tx(self.writer()).await?;
        still_open(&mut tx, shift.id).await?;
        let mut left = amount;
        let mut from_safe = Yuan::ZERO;
        let mut covered = Yuan::ZERO;
        for h in shifts_db::holiday_cash_rows(&mut tx, terminal).await? {
            let take = left.min(h.due.amount_left);
            if !take.is_positive() {
                break;
            }
            sqlx::query("UPDATE holiday_cash SET deposited_fen = deposited_fen + ? WHERE payment_id = ?")
                .bind(take.fen())
                .bind(h.payment_id)
                .execute(&mut *tx)
                .await?;
            if h.shift_id != shift.id {
                from_safe += take;
            }
            covered += take;
            left -= take;
        }
        let from_drawer = amount - from_safe;
        let in_drawer = drawer_expected(&mut tx, &shift).await?;
        if from_drawer > in_drawer {
            return Err(Error::DepositTooLarge {
                amount: amount.to_string(),
                available: (in_drawer + from_safe).to_string(),
            });
        }
        let event_id = outbox::new_event_id();
        let res = sqlx::query(
            "INSERT INTO deposits (event_id, shift_id, amount_fen, from_drawer_fen, bank, slip_no, deposited_by, deposited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&event_id)
        .bind(shift.id)
        .bind(amount.fen())
        .bind(from_drawer.fen())
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
            json!({"amount": amount, "bank": bank, "holiday_cash_covered": covered}),
        )
        .await?;
        let payload = json!({
            "event_id": event_id, "shift": shift.id, "cashier": s.user.username, "amount": amount, "from_drawer": from_drawer,
            "bank": bank, "slip_no": slip_no, "holiday_cash_covered": covered, "at": now.to_rfc3339(),
        });
        outbox::append(&mut tx, &event_id, "deposit", terminal, &payload, now).await?;
        tx.commit().await?;
        Ok(DepositDone { amount, bank: bank_name.to_string(), slip_no, holiday_cash_covered: covered })
    }

    /// 交班: close the shift with a blind count by denomination. A difference needs a reason and a
    /// supervisor's approval; the outcome (expected, counted, difference) is shown only afterwards.
    pub async fn close_shift(&self, req: CloseShiftRequest) -> Result<CloseOutcome> {
        let (s, shift) = self.collector(&req.token).await?;
        let count = CashCount::parse(&req.counts)?;
        let counted = count.total();
        let mut conn = self.pool().acquire().await?;
        let expected = drawer_expected(&mut conn, &shift).await?;
        drop(conn);
        let difference = counted - expected;
        let (reason, approver) = if difference.is_zero() {
            (None, None)
        } else {
            let reason = match req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => text("reason", r, 2, 200)?,
                None => return Err(Error::DifferenceNeedsApproval { difference: difference.to_string() }),
            };
            if req.approval.is_none() {
                return Err(Error::DifferenceNeedsApproval { difference: difference.to_string() });
            }
            (Some(reason), Some(self.check_approval(req.approval.as_ref(), &s, "shift difference").await?))
        };
        let now = self.now();
        let mut tx = store::write_tx(self.writer()).await?;
        still_open(&mut tx, shift.id).await?;
        if drawer_expected(&mut tx, &shift).await? != expected {
            return Err(Error::invalid("counts", "money moved in this shift while counting: count again"));
        }
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
            .bind(count.to_json().to_string())
            .bind(&reason)
            .bind(approver.as_ref().map(|a| a.user_id))
            .bind(shift.id)
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            &s.user.username,
            "shift.close",
            Some(&shift.id.to_string()),
            json!({"expected": expected, "counted": counted, "difference": difference, "reason": reason}),
        )
        .await?;
        if let Some(a) = &approver {
            self.audit(
                &mut tx,
                &a.username,
                "approval.granted",
                Some(&shift.id.to_string()),
                json!({"action": "shift difference", "requester": s.user.username}),
            )
            .await?;
        }
        let event_id = outbox::new_event_id();
        let payload = json!({
            "event_id": event_id, "shift": shift.id, "cashier": s.user.username, "float": shift.float, "expected": expected,
            "counted": counted, "difference": difference, "count": count.to_json(), "reason": reason,
            "approved_by": approver.as_ref().map(|a| a.username.clone()), "at": now.to_rfc3339(),
        });
        outbox::append(&mut tx, &event_id, "shift.close", self.terminal().as_str(), &payload, now).await?;
        tx.commit().await?;
        let mut conn = self.pool().acquire().await?;
        Ok(CloseOutcome {
            shift: shifts_db::info(&mut conn, shift.id).await?,
            expected,
            counted,
            difference,
            approved_by: approver.map(|a| a.display_name),
        })
    }

    /// Holiday cash of this terminal waiting for the bank (for the log-in notice and the UI).
    pub async fn holiday_cash_due(&self) -> Result<Vec<HolidayCashDue>> {
        let mut conn = self.pool().acquire().await?;
        shifts_db::holiday_cash_open(&mut conn, self.terminal().as_str()).await
    }
}
