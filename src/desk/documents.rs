//! 打印文书: the one command that puts a document other than a receipt on the counter's printer
//! (the refund form and notice, the 解款单, the 实收日报). Each document is rendered exactly as
//! its preview command renders it (`refund_pdf`, `deposit_slip_pdf`, `daily_report_pdf`, which
//! check the reader's right), then handed to the spooler like a receipt.
//!
//! Invariants: a refund document is counted (重打 after the first) and audited only here, when it
//! is printed, never when it is previewed; nothing is counted when the printer is not set
//! (`PRINTER_NOT_SET` comes first) — a spooler that fails after the count leaves the count, as a
//! jammed printer leaves a printed receipt counted.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{
    Desk, printing::DocumentPdf, refunds::RefundDocRequest, report::DailyReportRequest, shift::DepositSlipRequest,
};
use crate::{Error, Result, print::PaperMode, print::RefundDocKind, reports::daily::Scope};

/// Which document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DocumentRef {
    /// 退费申请单 or 退费通知单.
    Refund { request_no: String, doc: RefundDocKind },
    /// 解款单 (`bank` only when slips of two banks share the number).
    DepositSlip {
        slip_no: String,
        #[serde(default)]
        bank: Option<String>,
    },
    /// 实收日报.
    DailyReport { date: String, scope: Scope },
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct PrintDocumentRequest {
    pub token: String,
    pub document: DocumentRef,
}

redact_token_debug!(PrintDocumentRequest);

/// What was printed, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PrintedDocument {
    pub title: String,
    pub printer: String,
}

impl Desk {
    /// Print a document on the counter's printer.
    pub async fn print_document(&self, req: PrintDocumentRequest) -> Result<PrintedDocument> {
        // Who may read it is the document's own command's question (asked below); this only needs
        // a session before it says the printer is missing.
        self.session(&req.token).await?;
        let settings = self.load_print_settings().await?;
        let printer = settings.printer.ok_or(Error::PrinterNotSet)?;
        let token = req.token;
        let (doc, paper): (DocumentPdf, PaperMode) = match req.document {
            DocumentRef::Refund { request_no, doc } => {
                (self.refund_document(RefundDocRequest { token, request_no, doc }, true).await?, PaperMode::A4)
            }
            DocumentRef::DepositSlip { slip_no, bank } => {
                (self.deposit_slip_pdf(DepositSlipRequest { token, slip_no, bank }).await?, settings.paper)
            }
            DocumentRef::DailyReport { date, scope } => {
                (self.daily_report_pdf(DailyReportRequest { token, date, scope }).await?, PaperMode::A4)
            }
        };
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(&doc.pdf_base64)
            .map_err(|e| Error::Internal(format!("a rendered document is not base64: {e}")))?;
        let name: String = doc.title.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
        self.spool_pdf(&pdf, &name, &printer, paper).await?;
        Ok(PrintedDocument { title: doc.title, printer })
    }
}
