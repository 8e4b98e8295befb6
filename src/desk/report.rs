//! 实收日报: the day's report of this terminal — per shift, per cashier or for the terminal-day —
//! loaded from the day's rows and built by `reports::daily`; the supervisor's sign-off of the
//! terminal-day; the CSV and XLSX exports and the PDF (`print::render_daily_report`).
//!
//! A cashier sees their own shifts and their own takings only; supervisors and finance see all. The
//! terminal-day is signed off through the one approval check by a supervisor who took no money
//! here that day (nobody signs off their own takings); the report as signed is stored whole and is
//! the day's report from then on (`daily_signoffs`). Reading, signing and exporting are audited.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Desk, printing::DocumentPdf};
use crate::{
    Error, Result,
    money::Yuan,
    payments::{Method, PaymentKind},
    print::{self, DailyReportDoc, SignOff},
    reports::{
        daily::{self, CloseRow, DailyReport, DayRows, DepositRow, ReceiptRow, Scope, VoidRow},
        export,
    },
    store,
    users::{Action, Role, approval::ApprovalInput},
};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DailyReportRequest {
    pub token: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub scope: Scope,
}

/// The report, and its sign-off when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DailyReportView {
    pub report: DailyReport,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
}

/// A terminal-day signed off: who and when (the figures are the report's, for those who may read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DailySignOff {
    pub terminal: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub signed_by: String,
    pub signed_at: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SignDailyReportRequest {
    pub token: String,
    pub date: String,
    /// The supervisor's own name and password.
    pub approval: Option<ApprovalInput>,
}

/// What an export is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Csv,
    Xlsx,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DailyExportRequest {
    pub token: String,
    pub date: String,
    pub scope: Scope,
    pub format: ReportFormat,
}

/// A file for the user to save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ExportedFile {
    pub file_name: String,
    pub base64: String,
}

redact_token_debug!(DailyReportRequest, SignDailyReportRequest, DailyExportRequest);

fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("date", format!("'{s}' is not a date: use YYYY-MM-DD")))
}

fn clock_of(rfc3339: &str) -> String {
    super::printing::local_time(rfc3339).split(' ').nth(1).unwrap_or_default().to_string()
}

fn day_of(rfc3339: &str) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| t.date_naive())
}

impl Desk {
    /// Who may see which scope (see the module docs); the cashier's own user name when limited.
    async fn report_scope_allowed(&self, token: &str, scope: &Scope) -> Result<super::Session> {
        let s = self.authorise(token, Action::DailyReport).await?;
        if s.user.role == Role::Cashier {
            let own = match scope {
                Scope::Cashier { username } => *username == s.user.username,
                Scope::Shift { shift_id } => {
                    let mut conn = self.pool.acquire().await?;
                    let owner: Option<(i64,)> = sqlx::query_as("SELECT user_id FROM shifts WHERE id = ?")
                        .bind(shift_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    owner.is_some_and(|(u,)| u == s.user_id)
                }
                Scope::TerminalDay => false,
            };
            if !own {
                return Err(Error::Forbidden { role: s.user.role.as_str(), action: "see another cashier's report" });
            }
        }
        Ok(s)
    }

    /// The day's rows of one scope.
    async fn day_rows(&self, date: NaiveDate, scope: &Scope) -> Result<DayRows> {
        let mut conn = self.pool.acquire().await?;
        let day = format!("{date}%");
        let terminal = self.terminal.as_str();
        let (shift, cashier) = match scope {
            Scope::Shift { shift_id } => (Some(*shift_id), None),
            Scope::Cashier { username } => (None, Some(username.clone())),
            Scope::TerminalDay => (None, None),
        };
        type R =
            (String, String, String, String, String, String, String, i64, i64, Option<String>, i64, Option<String>);
        let rows: Vec<R> = sqlx::query_as(
            "SELECT p.receipt_no, p.created_at, p.kind, p.method, a.account_no, a.name, u.username, p.amount_fen,
                    p.waived_fen, p.waiver_reason, p.holiday_cash, v.voided_at
             FROM payments p JOIN shifts s ON s.id = p.shift_id JOIN users u ON u.id = s.user_id
             JOIN accounts a ON a.id = p.account_id LEFT JOIN voids v ON v.payment_id = p.id
             WHERE s.terminal = ?1 AND p.created_at LIKE ?2 AND (?3 IS NULL OR s.id = ?3) AND (?4 IS NULL OR u.username = ?4)
             ORDER BY p.id",
        )
        .bind(terminal)
        .bind(&day)
        .bind(shift)
        .bind(&cashier)
        .fetch_all(&mut *conn)
        .await?;
        let receipts = rows
            .into_iter()
            .map(
                |(receipt_no, at, kind, method, account_no, name, cashier, amount, waived, reason, holiday, voided)| {
                    ReceiptRow {
                        receipt_no,
                        at: clock_of(&at),
                        kind: if kind == "vend" { PaymentKind::Vend } else { PaymentKind::Payment },
                        method: if method == "transfer" { Method::Transfer } else { Method::Cash },
                        account_no,
                        name,
                        cashier,
                        amount: Yuan::from_fen(amount),
                        waived: Yuan::from_fen(waived),
                        waiver_reason: reason,
                        holiday_cash: holiday != 0,
                        voided_on: voided.as_deref().and_then(day_of),
                    }
                },
            )
            .collect();
        type V = (String, String, String, String, i64, String, String, String);
        let voids: Vec<V> = sqlx::query_as(
            "SELECT p.receipt_no, p.created_at, v.voided_at, p.method, p.amount_fen, v.reason, u.username, ap.username
             FROM voids v JOIN payments p ON p.id = v.payment_id JOIN shifts s ON s.id = p.shift_id
             JOIN users u ON u.id = v.voided_by JOIN users ap ON ap.id = v.approved_by
             WHERE s.terminal = ?1 AND v.voided_at LIKE ?2 AND (?3 IS NULL OR s.id = ?3)
               AND (?4 IS NULL OR u.username = ?4)
             ORDER BY v.voided_at",
        )
        .bind(terminal)
        .bind(&day)
        .bind(shift)
        .bind(&cashier)
        .fetch_all(&mut *conn)
        .await?;
        let voids = voids
            .into_iter()
            .map(|(receipt_no, issued, at, method, amount, reason, cashier, approved_by)| VoidRow {
                receipt_no,
                issued_on: day_of(&issued).unwrap_or(date),
                at: clock_of(&at),
                method: if method == "transfer" { Method::Transfer } else { Method::Cash },
                amount: Yuan::from_fen(amount),
                reason,
                cashier,
                approved_by,
            })
            .collect();
        let deposits: Vec<(String, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT d.slip_no, d.bank, d.deposited_at, u.username, d.amount_fen, d.from_drawer_fen
             FROM deposits d JOIN shifts s ON s.id = d.shift_id JOIN users u ON u.id = s.user_id
             WHERE s.terminal = ?1 AND d.deposited_at LIKE ?2 AND (?3 IS NULL OR s.id = ?3) AND (?4 IS NULL OR u.username = ?4)
             ORDER BY d.id",
        )
        .bind(terminal)
        .bind(&day)
        .bind(shift)
        .bind(&cashier)
        .fetch_all(&mut *conn)
        .await?;
        let deposits = deposits
            .into_iter()
            .map(|(slip_no, bank, at, cashier, amount, from_drawer)| DepositRow {
                slip_no,
                bank: crate::payments::banks::name_of(&bank).to_string(),
                at: clock_of(&at),
                cashier,
                amount: Yuan::from_fen(amount),
                from_drawer: Yuan::from_fen(from_drawer),
            })
            .collect();
        type C = (i64, String, i64, i64, Option<String>, Option<String>);
        let closes: Vec<C> = sqlx::query_as(
            "SELECT s.id, u.username, s.expected_fen, s.counted_fen, s.difference_reason, ap.username
             FROM shifts s JOIN users u ON u.id = s.user_id LEFT JOIN users ap ON ap.id = s.approved_by
             WHERE s.terminal = ?1 AND s.closed_at LIKE ?2 AND (?3 IS NULL OR s.id = ?3) AND (?4 IS NULL OR u.username = ?4)
             ORDER BY s.id",
        )
        .bind(terminal)
        .bind(&day)
        .bind(shift)
        .bind(&cashier)
        .fetch_all(&mut *conn)
        .await?;
        let closes = closes
            .into_iter()
            .map(|(shift_id, cashier, expected, counted, reason, approved_by)| CloseRow {
                shift_id,
                cashier,
                expected: Yuan::from_fen(expected),
                counted: Yuan::from_fen(counted),
                difference: Yuan::from_fen(counted) - Yuan::from_fen(expected),
                reason,
                approved_by,
            })
            .collect();
        Ok(DayRows { receipts, voids, deposits, closes })
    }

    /// The terminal-day's sign-off of `date`: the report as signed, who signed it (display name)
    /// and when.
    async fn signoff(&self, date: NaiveDate) -> Result<Option<(String, String, String)>> {
        let mut conn = self.pool.acquire().await?;
        Ok(sqlx::query_as(
            "SELECT d.report, u.display_name, d.signed_at FROM daily_signoffs d JOIN users u ON u.id = d.signed_by
             WHERE d.terminal = ? AND d.day = ?",
        )
        .bind(self.terminal.as_str())
        .bind(date.to_string())
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// The report of `date` for `scope`: the signed-off one for a signed terminal-day.
    async fn daily_view(&self, date: NaiveDate, scope: Scope) -> Result<DailyReportView> {
        if scope == Scope::TerminalDay
            && let Some((json, by, at)) = self.signoff(date).await?
        {
            let report: DailyReport = serde_json::from_str(&json)
                .map_err(|e| Error::Internal(format!("the signed report of {date} cannot be read: {e}")))?;
            return Ok(DailyReportView {
                report,
                signed_by: Some(by),
                signed_at: Some(super::printing::local_time(&at)),
            });
        }
        let rows = self.day_rows(date, &scope).await?;
        Ok(DailyReportView {
            report: daily::build(self.terminal.as_str(), date, scope, rows),
            signed_by: None,
            signed_at: None,
        })
    }

    /// 实收日报 of a day and scope. Audited.
    pub async fn daily_report(&self, req: DailyReportRequest) -> Result<DailyReportView> {
        let s = self.report_scope_allowed(&req.token, &req.scope).await?;
        let date = parse_day(&req.date)?;
        let view = self.daily_view(date, req.scope.clone()).await?;
        self.audit_alone(
            &s.user.username,
            "report.daily",
            Some(&date.to_string()),
            json!({"scope": req.scope, "total": view.report.total}),
        )
        .await?;
        Ok(view)
    }

    /// 日报签核: a supervisor who took no money here that day signs the terminal-day off with their
    /// own password; from then on the day's report is the one signed.
    pub async fn sign_daily_report(&self, req: SignDailyReportRequest) -> Result<DailySignOff> {
        let s = self.authorise(&req.token, Action::SignDailyReport).await?;
        let date = parse_day(&req.date)?;
        if date > self.today() {
            return Err(Error::invalid("date", "a day is signed off once it has begun, not before"));
        }
        // The second person is a supervisor who took no money here that day (checked below), with
        // their own password: at their own screen or at a cashier's. The report is nobody's own
        // request, so no requester is excluded by name.
        let approver = self.approve_for(req.approval.as_ref(), 0, "", "daily report").await?;
        let day = format!("{date}%");
        let mut tx = store::write_tx(&self.writer).await?;
        let (took,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM payments p JOIN shifts s ON s.id = p.shift_id
             WHERE s.terminal = ? AND s.user_id = ? AND p.created_at LIKE ?",
        )
        .bind(self.terminal.as_str())
        .bind(approver.user_id)
        .bind(&day)
        .fetch_one(&mut *tx)
        .await?;
        if took > 0 {
            return Err(Error::ApprovalTookMoney { approver: approver.username.clone() });
        }
        drop(tx);
        let view = self.daily_view(date, Scope::TerminalDay).await?;
        if view.signed_by.is_some() {
            return Err(Error::invalid("date", "this day is signed off already"));
        }
        let json = serde_json::to_string(&view.report).map_err(|e| Error::Internal(e.to_string()))?;
        let digest = hex::encode(Sha256::digest(json.as_bytes()));
        let now = self.now();
        let mut tx = store::write_tx(&self.writer).await?;
        let inserted = sqlx::query(
            "INSERT INTO daily_signoffs (terminal, day, signed_by, signed_at, report, digest) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (terminal, day) DO NOTHING",
        )
        .bind(self.terminal.as_str())
        .bind(date.to_string())
        .bind(approver.user_id)
        .bind(now.to_rfc3339())
        .bind(&json)
        .bind(&digest)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(Error::invalid("date", "this day is signed off already"));
        }
        self.audit(
            &mut tx,
            &approver.username,
            "report.signoff",
            Some(&date.to_string()),
            json!({"total": view.report.total, "net": view.report.net, "digest": digest, "requester": s.user.username}),
        )
        .await?;
        tx.commit().await?;
        Ok(DailySignOff {
            terminal: self.terminal.as_str().to_string(),
            date: date.to_string(),
            signed_by: approver.username,
            signed_at: super::printing::local_time(&now.to_rfc3339()),
        })
    }

    /// The report as a PDF (through the print kit): the signed-off one for a signed terminal-day;
    /// a shift's or a cashier's report shows the sign-off of the terminal-day it is part of.
    /// Refused (`PRINT_RECEIPT_INCONSISTENT`) when its totals are not the sums of its rows. Audited.
    pub async fn daily_report_pdf(&self, req: DailyReportRequest) -> Result<DocumentPdf> {
        let s = self.report_scope_allowed(&req.token, &req.scope).await?;
        let date = parse_day(&req.date)?;
        let view = self.daily_view(date, req.scope.clone()).await?;
        let signed = match (view.signed_by, view.signed_at) {
            (Some(by), Some(at)) => Some(SignOff { by, at }),
            _ => self.signoff(date).await?.map(|(_, by, at)| SignOff { by, at: super::printing::local_time(&at) }),
        };
        let doc = DailyReportDoc {
            utility: self.utility().to_string(),
            report: view.report,
            signed,
            printed_at: self.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let title = format!("实收日报 {} {date}", self.terminal.as_str());
        let font = self.font().await?;
        let pdf = tokio::task::spawn_blocking(move || print::render_daily_report(&doc, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))??;
        self.audit_alone(&s.user.username, "report.pdf", Some(&date.to_string()), json!({"scope": req.scope})).await?;
        use base64::Engine;
        Ok(DocumentPdf { title, pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf) })
    }

    /// The report as CSV or XLSX. Audited.
    pub async fn daily_report_export(&self, req: DailyExportRequest) -> Result<ExportedFile> {
        let s = self.report_scope_allowed(&req.token, &req.scope).await?;
        let date = parse_day(&req.date)?;
        let view = self.daily_view(date, req.scope.clone()).await?;
        let (bytes, ext) = match req.format {
            ReportFormat::Csv => (export::csv(&view.report)?, "csv"),
            ReportFormat::Xlsx => (export::xlsx(&view.report)?, "xlsx"),
        };
        self.audit_alone(
            &s.user.username,
            "report.export",
            Some(&date.to_string()),
            json!({"scope": req.scope, "format": req.format}),
        )
        .await?;
        use base64::Engine;
        Ok(ExportedFile {
            file_name: format!("实收日报-{}-{date}.{ext}", self.terminal.as_str()),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}
