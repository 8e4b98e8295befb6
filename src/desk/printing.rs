//! 打印: receipts on paper. The printer and paper are counter settings; a receipt is rendered from
//! the snapshot stored with its payment (so a reprint is the original, marked 重打 with its count, or
//! 作废 when voided); preview and print render the same PDF. Printing goes to the OS spooler without
//! a dialog. The first print of a receipt is the original; every later one is a reprint, recorded
//! and audited *before* it is sent to the spooler, so a reprint is never printed unrecorded.
//!
//! `CASHDESK_LP` names the program used instead of `lp` (a test printer that files the PDF); the
//! font is located once per desk (`CASHDESK_FONT` or the system's CJK font) and reused.

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, TokenRequest};
use crate::{
    Error, Result,
    payments::db as pay_db,
    print::{self, CjkFont, PaperMode, Receipt},
    store,
    users::{Permission, Role},
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

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    pub token: String,
    pub receipt_no: String,
}

macro_rules! redact_token_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { token: <redacted>, .. }"))
            }
        }
    )*};
}
redact_token_debug!(SetPrintSettingsRequest, ReceiptRequest);

/// A receipt's PDF for the on-screen preview (base64), as the next print would render it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceiptPdf {
    pub receipt_no: String,
    pub pdf_base64: String,
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
    async fn font(&self) -> Result<Arc<CjkFont>> {
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
        self.session(&req.token).await?;
        self.load_print_settings().await
    }

    async fn load_print_settings(&self) -> Result<PrintSettings> {
        match store::setting(self.pool(), SETTING_PRINT).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| Error::Internal(format!("stored print settings: {e}")))
            }
            None => Ok(PrintSettings::default()),
        }
    }

    /// Set the printer and paper (supervisors and administrators).
    pub async fn set_print_settings(&self, req: SetPrintSettingsRequest) -> Result<PrintSettings> {
        let s = self.session(&req.token).await?;
        if !matches!(s.user.role, Role::Supervisor | Role::Admin) {
            return Err(Error::Forbidden { role: s.user.role.as_str(), action: "change the printer settings" });
        }
        let printer = req.printer.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
        if let Some(p) = &printer
            && (p.chars().count() > 127 || p.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                "printer",
                "a printer name is at most 127 characters, without control characters",
            ));
        }
        let settings = PrintSettings { printer, paper: req.paper };
        let json = serde_json::to_string(&settings).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = store::write_tx(self.pool()).await?;
        store::set_setting(&mut *tx, SETTING_PRINT, &json).await?;
        self.audit(
            &mut tx,
            &s.user.username,
            "settings.print",
            None,
            json!({"printer": settings.printer, "paper": settings.paper}),
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
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
        let s = self.session(&req.token).await?;
        s.user.role.require(Permission::Collect, "see receipts")?;
        let (p, mut receipt, printed_at, reprints) = self.stored_receipt(&req.receipt_no).await?;
        if printed_at.is_some() {
            receipt.reprint = Some(u32::try_from(reprints + 1).unwrap_or(u32::MAX));
        }
        let paper = self.load_print_settings().await?.paper;
        let pdf = self.render(receipt, paper).await?;
        Ok(ReceiptPdf { receipt_no: p.receipt_no, pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf) })
    }

    /// Print a receipt on the configured printer: the original the first time, a counted and
    /// audited reprint (重打) after that.
    pub async fn print_receipt(&self, req: ReceiptRequest) -> Result<Printed> {
        let s = self.session(&req.token).await?;
        s.user.role.require(Permission::Collect, "print receipts")?;
        let settings = self.load_print_settings().await?;
        let printer = settings.printer.clone().ok_or(Error::PrinterNotSet)?;
        let (pdf, receipt_no, reprint) = self.record_print(&s.user.username, &req.receipt_no, settings.paper).await?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(format!("{receipt_no}.pdf"));
        tokio::fs::write(&path, &pdf).await?;
        let program = std::env::var("CASHDESK_LP").unwrap_or_else(|_| "lp".to_string());
        let (paper, printer_q) = (settings.paper, printer.clone());
        tokio::task::spawn_blocking(move || {
            if program == "lp" {
                print::spool(&path, &printer_q, 1, paper)
            } else {
                print::spool_with(&program, &path, &printer_q, 1, paper)
            }
        })
        .await
        .map_err(|e| Error::Internal(format!("printing did not finish: {e}")))??;
        drop(dir);
        Ok(Printed { receipt_no, printer, reprint })
    }

    /// Write a receipt's PDF to a file (`cashdeskctl receipt print NUMBER --out FILE`): counted and
    /// audited like any print.
    pub async fn print_receipt_to_file(
        &self,
        actor: &str,
        receipt_no: &str,
        out: &std::path::Path,
    ) -> Result<Option<u32>> {
        let paper = self.load_print_settings().await?.paper;
        let (pdf, _, reprint) = self.record_print(actor, receipt_no, paper).await?;
        tokio::fs::write(out, pdf).await?;
        Ok(reprint)
    }

    /// Render, and record the print (original or n-th reprint) with its audit entry.
    async fn record_print(
        &self,
        actor: &str,
        receipt_no: &str,
        paper: PaperMode,
    ) -> Result<(Vec<u8>, String, Option<u32>)> {
        let (p, mut receipt, printed_at, reprints) = self.stored_receipt(receipt_no).await?;
        let reprint = printed_at.is_some().then(|| u32::try_from(reprints + 1).unwrap_or(u32::MAX));
        receipt.reprint = reprint;
        let pdf = self.render(receipt, paper).await?;
        let mut tx = store::write_tx(self.pool()).await?;
        match reprint {
            None => {
                sqlx::query("UPDATE payments SET printed_at = ? WHERE id = ?")
                    .bind(self.now().to_rfc3339())
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
                self.audit(&mut tx, actor, "receipt.print", Some(&p.receipt_no), json!({"paper": paper})).await?;
            }
            Some(n) => {
                sqlx::query("UPDATE payments SET reprints = reprints + 1 WHERE id = ?")
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
                self.audit(&mut tx, actor, "receipt.reprint", Some(&p.receipt_no), json!({"count": n, "paper": paper}))
                    .await?;
            }
        }
        tx.commit().await?;
        Ok((pdf, p.receipt_no, reprint))
    }
}
