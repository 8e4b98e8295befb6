//! 打印: receipts on paper. The printer and paper are counter settings; a receipt is rendered from
//! the snapshot stored with its payment (so a reprint is the original, marked 重打 with its count, or
//! 作废 when voided); preview and print render the same PDF. Printing goes to the OS spooler without
//! a dialog. The first print of a receipt is the original; every later one is a reprint, recorded
//! and audited *before* it is sent to the spooler, so a reprint is never printed unrecorded.
//!
//! `CASHDESK_LP` names the program used instead of `lp` (a test printer that files the PDF); the
//! font is located once per desk (`CASHDESK_FONT` or the system's CJK font) and reused.

use std::sync::{Arc, LazyLock};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, TokenRequest};
use crate::{
    Error, Result,
    money::Yuan,
    payments::db as pay_db,
    print::{
        self, CjkFont, PaperMode, Receipt,
        queues::{self, Queues},
    },
    store,
    users::{Action, Role},
};

const SETTING_PRINT: &str = "print";

/// The counter's printer (a spooler queue name; none until configured) and paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PrintSettings {
    pub printer: Option<String>,
    pub paper: PaperMode,
}

impl Default for PrintSettings {
    fn default() -> PrintSettings {
        PrintSettings { printer: None, paper: PaperMode::A5 }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SetPrintSettingsRequest {
    pub token: String,
    pub printer: Option<String>,
    pub paper: PaperMode,
}

/// Print a test page: on `printer` (the counter's printer when absent), on `paper` (the counter's
/// paper when absent).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct TestPageRequest {
    pub token: String,
    #[serde(default)]
    #[ts(optional)]
    pub printer: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub paper: Option<PaperMode>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    pub token: String,
    pub receipt_no: String,
}

redact_token_debug!(SetPrintSettingsRequest, ReceiptRequest, TestPageRequest);

/// A receipt's PDF for the on-screen preview (base64), as the next print would render it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceiptPdf {
    pub receipt_no: String,
    pub pdf_base64: String,
    /// The copies (联) in page order, e.g. `第一联 存根联`, each an equal share of the pages; empty
    /// on the continuous form, whose one impression makes every copy.
    pub copies: Vec<String>,
}

/// What printing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Printed {
    pub receipt_no: String,
    pub printer: String,
    /// `Some(n)`: this was the n-th reprint (重打).
    pub reprint: Option<u32>,
}

impl Desk {
    /// The CJK font, located on first use and kept.
    pub(super) async fn font(&self) -> Result<Arc<CjkFont>> {
        let font = self
            .font
            .get_or_try_init(|| async {
                let f = tokio::task::spawn_blocking(CjkFont::locate)
                    .await
                    .map_err(|e| Error::Internal(format!("font loading did not finish: {e}")))??;
                Ok::<_, Error>(Arc::new(f))
            })
            .await?;
        Ok(font.clone())
    }

    pub async fn print_settings(&self, req: TokenRequest) -> Result<PrintSettings> {
        self.authorise(&req.token, Action::ViewPrintSettings).await?;
        self.load_print_settings().await
    }

    pub(super) async fn load_print_settings(&self) -> Result<PrintSettings> {
        match store::setting(self.pool(), SETTING_PRINT).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| Error::Internal(format!("stored print settings: {e}")))
            }
            None => Ok(PrintSettings::default()),
        }
    }

    /// Set the printer and paper (supervisors and administrators).
    pub async fn set_print_settings(&self, req: SetPrintSettingsRequest) -> Result<PrintSettings> {
        let s = self.authorise(&req.token, Action::SetPrintSettings).await?;
        let printer = req.printer.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
        if let Some(p) = &printer
            && (p.chars().count() > 127 || p.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                "printer",
                "a printer name is at most 127 characters, without control characters",
            ));
        }
        if let Some(p) = &printer {
            self.check_queue(p).await?;
        }
        let settings = PrintSettings { printer, paper: req.paper };
        self.store_print_settings(&s.user.username, &settings).await?;
        Ok(settings)
    }

    async fn store_print_settings(&self, actor: &str, settings: &PrintSettings) -> Result<()> {
        let json = serde_json::to_string(settings).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = store::write_tx(self.writer()).await?;
        store::set_setting(&mut *tx, SETTING_PRINT, &json).await?;
        self.audit(
            &mut tx,
            actor,
            "settings.print",
            None,
            json!({"printer": settings.printer, "paper": settings.paper}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// This computer's print queues (`print::queues`), for choosing the counter's printer.
    async fn queues(&self) -> Result<Queues> {
        let lister = self.queue_lister.clone();
        tokio::task::spawn_blocking(move || queues::list(lister.as_deref()))
            .await
            .map_err(|e| Error::Internal(format!("listing the printers did not finish: {e}")))?
            .map_err(Error::from)
    }

    /// A printer this computer has, or `PRINT_PRINTER_UNKNOWN` naming those it has.
    async fn check_queue(&self, printer: &str) -> Result<()> {
        let q = self.queues().await?;
        if q.contains(printer) {
            return Ok(());
        }
        let known = if q.names.is_empty() {
            "none: add a printer to the computer first".to_string()
        } else {
            q.names.join(", ")
        };
        Err(print::PrintError::PrinterUnknown { printer: printer.to_string(), known }.into())
    }

    /// The print queues a supervisor or administrator may choose the counter's printer from.
    pub async fn printer_queues(&self, req: TokenRequest) -> Result<Queues> {
        self.authorise(&req.token, Action::SetPrintSettings).await?;
        self.queues().await
    }

    /// Print a test page on `printer` (or the counter's printer): which counter, printer and
    /// paper, Chinese and figures as receipts print them, and a 100 mm rule. Supervisors and
    /// administrators; audited.
    pub async fn print_test_page(&self, req: TestPageRequest) -> Result<Printed> {
        let s = self.authorise(&req.token, Action::SetPrintSettings).await?;
        let settings = self.load_print_settings().await?;
        let paper = req.paper.unwrap_or(settings.paper);
        let printer = match req.printer.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()) {
            Some(p) => p,
            None => settings.printer.ok_or(Error::PrinterNotSet)?,
        };
        self.check_queue(&printer).await?;
        let page = print::TestPage {
            utility: self.utility.clone(),
            terminal: self.terminal.as_str().to_string(),
            printer: printer.clone(),
            paper,
            printed_by: s.user.display_name.clone(),
            printed_at: self.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let font = self.font().await?;
        let pdf = tokio::task::spawn_blocking(move || print::render_test_page(&page, &font))
            .await
            .map_err(|e| Error::Internal(format!("the test page was not rendered: {e}")))??;
        self.spool_pdf(&pdf, "打印测试页", &printer, paper).await?;
        self.audit_alone(&s.user.username, "print.test_page", None, json!({"printer": printer, "paper": paper}))
            .await?;
        Ok(Printed { receipt_no: String::new(), printer, reprint: None })
    }

    /// A fresh demo counter takes this computer's default print queue, else its first; none when
    /// it has none or they cannot be listed (the counter then says whom to call). Returns it.
    pub(super) async fn choose_demo_printer(&self) -> Result<Option<String>> {
        let first = match self.queues().await {
            Ok(q) => q.first_choice().map(str::to_string),
            Err(e) => {
                tracing::info!(error = %e, "no print queue for the demo counter");
                None
            }
        };
        if let Some(p) = &first {
            let settings = PrintSettings { printer: Some(p.clone()), ..self.load_print_settings().await? };
            self.store_print_settings("demo", &settings).await?;
        }
        Ok(first)
    }

    /// The stored receipt of a payment, with its void mark.
    async fn stored_receipt(&self, receipt_no: &str) -> Result<(pay_db::StoredPayment, Receipt, Option<String>, i64)> {
        let mut conn = self.pool().acquire().await?;
        let p = pay_db::by_receipt(&mut conn, receipt_no.trim())
            .await?
            .ok_or_else(|| Error::ReceiptNotFound { receipt_no: receipt_no.trim().to_string() })?;
        let (json, printed_at, reprints): (Option<String>, Option<String>, i64) =
            sqlx::query_as("SELECT receipt, printed_at, reprints FROM payments WHERE id = ?")
                .bind(p.id)
                .fetch_one(&mut *conn)
                .await?;
        let json = json.ok_or_else(|| Error::Internal(format!("receipt {} has no stored snapshot", p.receipt_no)))?;
        let mut receipt: Receipt = serde_json::from_str(&json)
            .map_err(|e| Error::Internal(format!("stored receipt {}: {e}", p.receipt_no)))?;
        receipt.void = p.voided;
        Ok((p, receipt, printed_at, reprints))
    }

    async fn render(&self, receipt: Receipt, paper: PaperMode) -> Result<Vec<u8>> {
        let font = self.font().await?;
        tokio::task::spawn_blocking(move || print::render_receipt(&receipt, paper, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))?
            .map_err(Error::from)
    }

    /// The PDF of a receipt as the next print would show it (a preview prints nothing and counts
    /// nothing).
    pub async fn receipt_pdf(&self, req: ReceiptRequest) -> Result<ReceiptPdf> {
        self.authorise(&req.token, Action::ViewReceipt).await?;
        let (p, mut receipt, printed_at, reprints) = self.stored_receipt(&req.receipt_no).await?;
        if printed_at.is_some() {
            receipt.reprint = Some(u32::try_from(reprints + 1).unwrap_or(u32::MAX));
        }
        let paper = self.load_print_settings().await?.paper;
        let copies = print::receipt_copies(receipt.kind, paper).into_iter().map(String::from).collect();
        let pdf = self.render(receipt, paper).await?;
        Ok(ReceiptPdf {
            receipt_no: p.receipt_no,
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
            copies,
        })
    }

    /// Print a receipt on the configured printer: the original the first time, a counted and
    /// audited reprint (重打) after that.
    pub async fn print_receipt(&self, req: ReceiptRequest) -> Result<Printed> {
        let s = self.authorise(&req.token, Action::PrintReceipt).await?;
        let settings = self.load_print_settings().await?;
        let printer = settings.printer.clone().ok_or(Error::PrinterNotSet)?;
        let (pdf, receipt_no, reprint) = self.record_print(&s.user.username, &req.receipt_no, settings.paper).await?;
        self.spool_pdf(&pdf, &receipt_no, &printer, settings.paper).await?;
        Ok(Printed { receipt_no, printer, reprint })
    }

    /// Hand `pdf` to the spooler for `printer` (as `NAME.pdf`, which names the job), waiting until
    /// the spooler has taken it.
    pub(super) async fn spool_pdf(&self, pdf: &[u8], name: &str, printer: &str, paper: PaperMode) -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(format!("{name}.pdf"));
        tokio::fs::write(&path, pdf).await?;
        let program = self.spooler.clone();
        let printer = printer.to_string();
        tokio::task::spawn_blocking(move || match program {
            Some(program) => print::spool_with(&program, &path, &printer, 1, paper),
            None => print::spool(&path, &printer, 1, paper),
        })
        .await
        .map_err(|e| Error::Internal(format!("printing did not finish: {e}")))??;
        drop(dir);
        Ok(())
    }

    /// Write a receipt's PDF to a file (`cashdeskctl receipt print NUMBER --out FILE`): counted and
    /// audited like any print.
    pub async fn print_receipt_to_file(
        &self,
        token: &str,
        receipt_no: &str,
        out: &std::path::Path,
    ) -> Result<Option<u32>> {
        let s = self.authorise(token, Action::PrintReceipt).await?;
        let paper = self.load_print_settings().await?.paper;
        let (pdf, _, reprint) = self.record_print(&s.user.username, receipt_no, paper).await?;
        crate::files::write_private_async(out, pdf).await?;
        Ok(reprint)
    }

    /// Record the print (original or n-th reprint, decided atomically under the write lock so two
    /// prints at once cannot both be "the original") with its audit entry, then render it.
    async fn record_print(
        &self,
        actor: &str,
        receipt_no: &str,
        paper: PaperMode,
    ) -> Result<(Vec<u8>, String, Option<u32>)> {
        let (p, mut receipt, _, _) = self.stored_receipt(receipt_no).await?;
        let mut tx = store::write_tx(self.writer()).await?;
        let first = sqlx::query("UPDATE payments SET printed_at = ? WHERE id = ? AND printed_at IS NULL")
            .bind(self.now().to_rfc3339())
            .bind(p.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let reprint = if first {
            self.audit(&mut tx, actor, "receipt.print", Some(&p.receipt_no), json!({"paper": paper})).await?;
            None
        } else {
            let (n,): (i64,) =
                sqlx::query_as("UPDATE payments SET reprints = reprints + 1 WHERE id = ? RETURNING reprints")
                    .bind(p.id)
                    .fetch_one(&mut *tx)
                    .await?;
            self.audit(&mut tx, actor, "receipt.reprint", Some(&p.receipt_no), json!({"count": n, "paper": paper}))
                .await?;
            Some(u32::try_from(n).unwrap_or(u32::MAX))
        };
        tx.commit().await?;
        receipt.reprint = reprint;
        let pdf = self.render(receipt, paper).await?;
        Ok((pdf, p.receipt_no, reprint))
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ShiftReportRequest {
    pub token: String,
    /// A shift number; `null` for the caller's open shift, or their last one.
    #[ts(type = "number | null")]
    pub shift_id: Option<i64>,
}

impl std::fmt::Debug for ShiftReportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShiftReportRequest").field("shift_id", &self.shift_id).finish_non_exhaustive()
    }
}

/// A rendered document for the preview (base64 PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DocumentPdf {
    pub title: String,
    pub pdf_base64: String,
}

/// `2026-03-01T10:00:00+08:00` → `2026-03-01 10:00:00` (the counter's own time, as stored).
pub(super) fn local_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

impl Desk {
    /// 收费日报: the report of one shift (every transaction, totals by method, deposits, the cash
    /// reconciliation, every count). Cashiers see their own shifts; supervisors and finance any. A
    /// cashier's report of their still-open shift leaves out the expected cash and whether a count
    /// matched: the count is blind until the close.
    pub async fn shift_report_pdf(&self, req: ShiftReportRequest) -> Result<DocumentPdf> {
        let s = self.authorise(&req.token, Action::ShiftReport).await?;
        let mut conn = self.pool().acquire().await?;
        let shift_id = match req.shift_id {
            Some(id) => id,
            None => {
                let row: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM shifts WHERE user_id = ? ORDER BY id DESC LIMIT 1")
                        .bind(s.user_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                row.ok_or_else(|| Error::invalid("shift_id", "you have no shift yet"))?.0
            }
        };
        type ShiftRow = (
            i64,
            String,
            String,
            i64,
            String,
            Option<String>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<ShiftRow> = sqlx::query_as(
            "SELECT s.user_id, s.terminal, u.display_name, s.float_fen, s.opened_at, s.closed_at, s.id, s.expected_fen, s.counted_fen,
                    s.count_detail, s.difference_reason, a.display_name
             FROM shifts s JOIN users u ON u.id = s.user_id LEFT JOIN users a ON a.id = s.approved_by WHERE s.id = ?",
        )
        .bind(shift_id)
        .fetch_optional(&mut *conn)
        .await?;
        let (
            owner,
            terminal,
            cashier,
            float,
            opened_at,
            closed_at,
            id,
            expected,
            counted,
            count_detail,
            reason,
            approved_by,
        ) = row.ok_or_else(|| Error::invalid("shift_id", format!("there is no shift {shift_id}")))?;
        if owner != s.user_id && s.user.role == Role::Cashier {
            return Err(Error::Forbidden { role: s.user.role.as_str(), action: "see another cashier's shift report" });
        }
        type TxRow = (String, String, String, String, String, String, i64, i64, i64);
        static TXS: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT p.receipt_no, p.created_at, p.kind, a.account_no, a.name, p.method, p.amount_fen, p.voided, p.holiday_cash
                 FROM shifts s JOIN payments p ON {} JOIN accounts a ON a.id = p.account_id WHERE s.id = ? ORDER BY p.id",
                crate::shifts::db::PAYMENTS_OF_SHIFT
            )
        });
        let txs: Vec<TxRow> = sqlx::query_as(TXS.as_str()).bind(id).fetch_all(&mut *conn).await?;
        let deps: Vec<(String, String, i64, i64, String)> =
            sqlx::query_as("SELECT bank, slip_no, amount_fen, from_drawer_fen, deposited_at FROM deposits WHERE shift_id = ? ORDER BY id")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        let cash_kept: i64 = txs.iter().filter(|t| t.5 == "cash" && t.7 == 0).map(|t| t.6).sum();
        let from_drawer: i64 = deps.iter().map(|d| d.3).sum();
        let expected = Yuan::from_fen(expected.unwrap_or(float + cash_kept - from_drawer));
        let blind = closed_at.is_none() && s.user.role == Role::Cashier;
        let mut count_attempts = super::shift::attempts_of(crate::shifts::db::counts_of(&mut conn, id).await?);
        if blind {
            count_attempts.iter_mut().for_each(|a| a.matches = None);
        }
        let counted = counted.map(Yuan::from_fen);
        let count: Vec<(String, u32)> = match &count_detail {
            Some(json) => {
                let map: std::collections::BTreeMap<String, u32> = serde_json::from_str(json)
                    .map_err(|e| Error::Internal(format!("stored count of shift {id}: {e}")))?;
                // In denomination order, largest first, as counted.
                crate::shifts::DENOMINATIONS
                    .iter()
                    .map(|d| Yuan::from_fen(*d).to_string())
                    .map(|label| {
                        let n = map.get(&label).copied().unwrap_or(0);
                        (label, n)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let report = print::ShiftReport {
            utility: self.utility().to_string(),
            terminal,
            cashier,
            shift_id: id,
            opened_at: local_time(&opened_at),
            closed_at: closed_at.as_deref().map(local_time),
            float: Yuan::from_fen(float),
            transactions: txs
                .into_iter()
                .map(|(receipt_no, at, kind, account_no, name, method, amount, voided, holiday)| {
                    print::ShiftTransaction {
                        receipt_no,
                        at: local_time(&at).split(' ').nth(1).unwrap_or_default().to_string(),
                        kind: if kind == "vend" { print::ReceiptKind::Vend } else { print::ReceiptKind::Payment },
                        account_no,
                        name,
                        method: if method == "cash" {
                            print::TransactionMethod::Cash
                        } else {
                            print::TransactionMethod::Transfer
                        },
                        amount: Yuan::from_fen(amount),
                        voided: voided != 0,
                        holiday_cash: holiday != 0,
                    }
                })
                .collect(),
            deposits: deps
                .into_iter()
                .map(|(bank, slip_no, amount, from_drawer, at)| print::ShiftDeposit {
                    bank: crate::payments::banks::name_of(&bank).to_string(),
                    slip_no,
                    amount: Yuan::from_fen(amount),
                    from_drawer: Yuan::from_fen(from_drawer),
                    at: local_time(&at),
                })
                .collect(),
            expected_cash: (!blind).then_some(expected),
            counted_cash: counted,
            difference: counted.map(|c| c - expected),
            difference_reason: reason,
            approved_by,
            count,
            count_attempts,
            printed_at: self.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        drop(conn);
        self.audit_alone(&s.user.username, "shift.report", Some(&id.to_string()), json!({})).await?;
        let font = self.font().await?;
        let pdf = tokio::task::spawn_blocking(move || print::render_shift_report(&report, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))??;
        Ok(DocumentPdf {
            title: format!("收费日报 {id}"),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }
}
