//! 打印: printed documents. Owns the layout of every document Cashdesk prints (the receipt 收费收据,
//! the recharge slip 购电充值单, the shift report 收费日报, the refund form 退费申请单 and notice 退费通知单, the arrears notice
//! 电费催缴通知单, the daily report 实收日报, the deposit slip 解款单), their rendering to PDF with an embedded CJK font, and
//! the hand-over of a PDF to the operating system's print spooler.
//!
//! The pipeline is `Receipt` → [`render_receipt`] (pure: layout in integer units, then PDF bytes) →
//! the caller writes the bytes to a file (the on-screen preview shows that same file) →
//! [`spool`] sends it to the configured printer. Rendering does no I/O: the font is loaded once by
//! [`CjkFont::locate`] at start-up and passed in, because the counter prints all day and parsing a
//! 20 MB `.ttc` for each receipt would cost ~70 ms (release build) every time.
//!
//! Every document is laid out with one print kit (the `kit` submodule: paper styles, blocks,
//! labelled cells, tables, pagination, money, the title and its marks); a document's own module
//! only says what goes where. The kit's module docs say what a new document does to use it.
//!
//! Invariants:
//! - every variable text (names, addresses, bank names, the utility's name …) goes through one
//!   fitting routine that shrinks it and then wraps it inside its box, so nothing a customer record
//!   contains can run off the paper; what cannot fit even then is continued on a further sheet of
//!   the same copy, never clipped (the `receipt` submodule documents the order of fallbacks);
//! - the amounts on a receipt add up (periods + 预存 = 实收 total; cash tendered − change = total)
//!   or nothing is printed: [`PrintError::Inconsistent`]. A receipt is a legal voucher, and a
//!   mismatch means the payment record is wrong, which printing would hide;
//! - money is [`crate::money::Yuan`] to the last step: it is printed from its decimal string
//!   (`¥1,234.50`, grouped by thousands, always two decimals) and its 大写 words. Floats appear only
//!   where printpdf demands them (coordinates in points, colours), in one conversion function in
//!   the `layout` submodule, and never hold money;
//! - the embedded font is always a subset (printpdf's `text_layout` feature, `subset_fonts: true`):
//!   a three-copy receipt is 10–25 KB instead of 2–19 MB for the whole font.
//!
//! Design decisions:
//! - [`PaperMode::A4`] is portrait, [`PaperMode::A5`] landscape (210 × 148 mm, the usual shape of a
//!   收据), one labelled sheet per copy (第一联 存根联 …). [`PaperMode::Continuous241`] is the
//!   241-2 continuous form (241 × 139.7 mm: 9.5 in wide, half of an 11 in fan-fold sheet, the
//!   perforation pitch of the tractor feed), printed once on a dot-matrix printer whose carbonless
//!   plies make the copies; the plies are pre-labelled, so no copy label is printed. We print the
//!   whole document (headings, rules, labels) rather than filling fields of one utility's
//!   pre-printed layout: layouts differ between utilities, and blank multi-part stock is common.
//! - One font face for everything (no bold face is shipped with every system font); emphasis is
//!   size, and the document title is drawn fill-and-stroke.
//! - A void (作废) is a large outlined 作废 stamp across each copy drawn over the content, so the
//!   content stays legible; a reprint (重打) is a boxed `重打 (第n次)` beside the title.
//! - The spooler is the operating system's (`lp` from CUPS on Linux/macOS, SumatraPDF on Windows),
//!   invoked with an argument list, never through a shell.

mod daily_report;
mod deposit_slip;
mod font;
mod kit;
mod layout;
mod notice;
pub mod queues;
mod receipt;
mod refund;
mod shift_report;
mod spool;
mod test_page;

pub use daily_report::{DailyReportDoc, SignOff, render_daily_report};
pub use deposit_slip::{DepositSlip, DepositState, render_deposit_slip};
pub use font::{CjkFont, FONT_ENV};
pub use notice::{ArrearsNotice, NoticeLine, render_notice, render_notices};
pub use receipt::{Receipt, ReceiptKind, ReceiptLine, Tender, receipt_copies, render_receipt};
pub use refund::{RefundDoc, RefundDocKind, render_refund};

/// An amount as every document prints it: `¥1,234.50`.
pub fn money_text(y: crate::money::Yuan) -> String {
    kit::money(y)
}

/// A billing period (账期) as every document and screen shows it: `2025-12`. A stored period is
/// `YYYYMM`; anything else (already formatted, or empty) is printed as it is.
pub fn period_text(p: &str) -> String {
    let p = p.trim();
    if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &p[..4], &p[4..])
    } else {
        p.to_string()
    }
}
pub use shift_report::{ShiftDeposit, ShiftReport, ShiftTransaction, TransactionMethod, render_shift_report};
pub use spool::{check_printer, spool, spool_with};
pub use test_page::{TestPage, render_test_page};

use serde::{Deserialize, Serialize};

/// Paper a document is printed on (纸张).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PaperMode {
    /// Plain A4, portrait; one labelled sheet per copy.
    A4,
    /// Plain A5, landscape (210 × 148 mm); one labelled sheet per copy.
    A5,
    /// 241-2 continuous multi-part form for dot-matrix printers (241 × 139.7 mm): one impression
    /// gives all copies, no copy labels.
    Continuous241,
}

/// Why a document could not be rendered or printed. The UI branches on [`PrintError::code`].
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "no Chinese font found (looked for {searched}): install one with `apt install fonts-noto-cjk` \
         (or fonts-wqy-microhei), or set {env} to the path of a CJK .ttf/.ttc/.otf file, \
         optionally with #N for the face in a collection"
    )]
    FontNotFound { searched: String, env: &'static str },
    #[error(
        "{env} points at {path}, which cannot be read ({reason}): fix the path or unset {env} to use \
         the system fonts (install fonts-noto-cjk)"
    )]
    FontPathInvalid { path: String, env: &'static str, reason: String },
    #[error(
        "the font {path} (face {face}) cannot be used: {reason}; use a CJK font with Chinese, digits \
         and Latin letters such as Noto Sans CJK SC (fonts-noto-cjk, face 2 of NotoSansCJK-Regular.ttc)"
    )]
    FontUnusable { path: String, face: usize, reason: String },
    #[error(
        "the receipt's amounts do not add up ({detail}); the payment record is wrong: do not hand out a receipt, report it"
    )]
    Inconsistent { detail: String },
    #[error(
        "the field {field} is too long to print even in small type on one sheet; shorten it in the \
         account record (at most a few hundred characters)"
    )]
    FieldTooLong { field: &'static str },
    #[error("the printer name {name:?} is not valid: {reason}; pick the printer again in the settings")]
    PrinterName { name: String, reason: &'static str },
    #[error("the number of copies must be between 1 and {max}, not {copies}")]
    Copies { copies: u32, max: u32 },
    #[error("the print program `{program}` was not found: {hint}")]
    SpoolerMissing { program: String, hint: &'static str },
    #[error("the printer {printer} refused the job (`{program}` exited with {status}): {stderr}")]
    SpoolFailed { printer: String, program: String, status: String, stderr: String },
    #[error(
        "the print service did not take the job for printer {printer} within {seconds} s: check that CUPS (or the printer's driver) runs; the payment is kept"
    )]
    SpoolTimeout { printer: String, seconds: u64 },
    #[error("cannot print {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(
        "the printers of this computer cannot be listed (`{program}`: {detail}): check that CUPS (or the print service) runs"
    )]
    QueuesUnavailable { program: String, detail: String },
    #[error("there is no printer {printer:?} on this computer: choose one of its printers ({known})")]
    PrinterUnknown { printer: String, known: String },
}

impl PrintError {
    /// Stable code for the UI and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            PrintError::FontNotFound { .. } => "PRINT_FONT_NOT_FOUND",
            PrintError::FontPathInvalid { .. } => "PRINT_FONT_PATH_INVALID",
            PrintError::FontUnusable { .. } => "PRINT_FONT_UNUSABLE",
            PrintError::Inconsistent { .. } => "PRINT_RECEIPT_INCONSISTENT",
            PrintError::FieldTooLong { .. } => "PRINT_FIELD_TOO_LONG",
            PrintError::PrinterName { .. } => "PRINT_PRINTER_NAME",
            PrintError::Copies { .. } => "PRINT_COPIES",
            PrintError::SpoolerMissing { .. } => "PRINT_SPOOLER_MISSING",
            PrintError::SpoolFailed { .. } => "PRINT_SPOOL_FAILED",
            PrintError::SpoolTimeout { .. } => "PRINT_SPOOL_TIMEOUT",
            PrintError::Io { .. } => "PRINT_IO",
            PrintError::QueuesUnavailable { .. } => "PRINT_QUEUES_UNAVAILABLE",
            PrintError::PrinterUnknown { .. } => "PRINT_PRINTER_UNKNOWN",
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::process::Command;
    use std::sync::OnceLock;

    use super::CjkFont;

    /// The font, loaded once for all tests (as the app does).
    pub(crate) fn font() -> &'static CjkFont {
        static FONT: OnceLock<CjkFont> = OnceLock::new();
        FONT.get_or_init(|| CjkFont::locate_from(None).expect("tests need fonts-noto-cjk or fonts-wqy-microhei"))
    }

    /// Runs a poppler tool on a file and returns its stdout.
    pub(crate) fn poppler(tool: &str, args: &[&str], pdf: &Path) -> String {
        let out = Command::new(tool)
            .args(args)
            .arg(pdf)
            .args(if tool == "pdftotext" { &["-"][..] } else { &[][..] })
            .output()
            .unwrap_or_else(|e| panic!("{tool} must be installed (apt install poppler-utils): {e}"));
        assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("poppler prints UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::stored("202512", "2025-12")]
    #[case::already_shown("2025-12", "2025-12")]
    #[case::padded(" 202601 ", "2026-01")]
    #[case::empty("", "")]
    #[case::not_a_period("2025", "2025")]
    fn a_period_prints_as_the_screen_shows_it(#[case] stored: &str, #[case] shown: &str) {
        assert_eq!(period_text(stored), shown, "one format for 账期 on paper and on screen");
    }

    #[test]
    fn receipt_copies_are_labelled_on_plain_paper_and_one_impression_on_the_form() {
        let labels = receipt_copies(ReceiptKind::Payment, PaperMode::A5);
        assert_eq!(labels, ["第一联 存根联", "第二联 客户联", "第三联 记账联"], "the preview's tabs, in page order");
        assert_eq!(receipt_copies(ReceiptKind::Vend, PaperMode::A4).len(), 2, "a recharge slip is in duplicate");
        assert!(receipt_copies(ReceiptKind::Payment, PaperMode::Continuous241).is_empty(), "the plies make the copies");
    }

    #[test]
    fn error_codes_are_stable_and_messages_say_what_to_do() {
        let e = PrintError::FontNotFound { searched: "x".into(), env: FONT_ENV };
        assert_eq!(e.code(), "PRINT_FONT_NOT_FOUND");
        assert!(e.to_string().contains("fonts-noto-cjk"), "names the package to install: {e}");
        let e = PrintError::SpoolerMissing { program: "lp".into(), hint: "install cups-client" };
        assert_eq!(e.code(), "PRINT_SPOOLER_MISSING");
        assert_eq!(PrintError::Copies { copies: 0, max: 99 }.code(), "PRINT_COPIES");
    }

    #[test]
    fn paper_mode_crosses_the_wire_in_snake_case() {
        let json = serde_json::to_string(&PaperMode::Continuous241).expect("serializes");
        assert_eq!(json, "\"continuous241\"");
        assert_eq!(serde_json::from_str::<PaperMode>("\"a5\"").expect("parses"), PaperMode::A5);
    }
}
