//! 退费申请单 and 退费通知单: the refund request form the customer signs at the counter (with the
//! payee's whole bank account number: the one place it is printed), and the notice of what the
//! centre decided (the number masked). One A4 portrait sheet each, drawn with the print kit
//! (`kit`).
//!
//! The form is the kit's grid of labelled rows; every value goes through `fit`, so a long name,
//! address or bank branch shrinks and wraps inside its cell instead of running off the sheet. Amounts are
//! printed in figures and in 大写. Each carries the request's verification code (校验码) and, when
//! printed again, `重打 (第n次)` beside the title.

use serde::{Deserialize, Serialize};

use super::kit::{Block, Ink, Len, Pen, Style, clean, fit, mm, money, pt10, sheets_to_pdf};
use super::{CjkFont, PrintError};
use crate::money::Yuan;

/// Which of the two documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RefundDocKind {
    /// 退费申请单.
    Form,
    /// 退费通知单.
    Notice,
}

/// Everything either document prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundDoc {
    pub kind: RefundDocKind,
    pub utility: String,
    pub terminal: String,
    pub request_no: String,
    pub account_no: String,
    pub account_name: String,
    pub address: String,
    /// 退费原因, and the reason in words when there is one.
    pub reason: String,
    pub amount: Yuan,
    pub payee_name: String,
    /// Why the payee is not the account's 户名.
    pub payee_reason: Option<String>,
    pub payee_bank: String,
    /// The whole number on the form; masked on the notice.
    pub payee_account: String,
    pub duplicate_of: Option<String>,
    /// 身份证 / 原缴费凭证 / 销户申请表 seen.
    pub docs: [bool; 3],
    pub submitted_by: String,
    pub submitted_at: String,
    /// 营业厅审核: who, when, approved or why not (empty while waiting).
    pub hall: String,
    /// The state in words (通知单: 已付款 / 财务驳回 / …).
    pub state: String,
    /// 通知单: the centre's decision and payout in words (empty on the form).
    pub outcome: Vec<String>,
    pub verification_code: String,
    pub printed_at: String,
    /// `Some(n)`: the n-th reprint.
    pub reprint: Option<i64>,
}

/// A4 portrait with wider margins, and larger small type (the grid's labels).
const PAPER: Style = Style { margin_x: mm(18), small: pt10(90), min: pt10(75), ..Style::A4 };
/// The grid's label column.
const LABEL_W: Len = mm(38);

/// Renders the form or the notice as a one-sheet A4 PDF.
pub fn render_refund(d: &RefundDoc, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(d);
    if !d.amount.is_positive() {
        return Err(PrintError::Inconsistent { detail: format!("a refund of {} is no refund", d.amount) });
    }
    let pen = Pen { font, style: PAPER };
    let (left, body, small) = (PAPER.left(), PAPER.body, PAPER.small);
    let mut c = Block::default();
    let title = match d.kind {
        RefundDocKind::Form => "退费申请单",
        RefundDocKind::Notice => "退费通知单",
    };
    let utility = pen.utility(&d.utility, &PAPER.sizes());
    let heading = pen.heading(&mut c, PAPER.margin_top, Some((&utility, mm(7))), title, PAPER.title, small);
    if let Some(n) = d.reprint {
        pen.reprint_after_title(&mut c, heading.title_top, title, PAPER.title, n);
    }
    let mut y = heading.title_top + PAPER.title + mm(4);
    c.text(left, y, small, format!("申请编号：{}", d.request_no));
    c.text_right(font, PAPER.right(), y, small, &format!("受理终端：{}    打印时间：{}", d.terminal, d.printed_at));
    y += small + mm(3);

    let mut rows: Vec<(&str, String)> = vec![
        ("户号 / 户名", format!("{}    {}", d.account_no, d.account_name)),
        ("用电地址", d.address.clone()),
        ("退费原因", d.reason.clone()),
        ("退费金额（小写）", money(d.amount)),
        ("退费金额（大写）", d.amount.words()),
        ("收款人", d.payee_name.clone()),
    ];
    if let Some(why) = &d.payee_reason {
        rows.push(("代领原因", why.clone()));
    }
    rows.push(("开户银行", d.payee_bank.clone()));
    rows.push(("收款账号", grouped(&d.payee_account)));
    if let Some(r) = &d.duplicate_of {
        rows.push(("重复缴费收据", r.clone()));
    }
    let tick = |seen: bool| if seen { "[√]" } else { "[  ]" };
    rows.push((
        "已验证件",
        format!("{} 身份证    {} 原缴费凭证    {} 销户申请表", tick(d.docs[0]), tick(d.docs[1]), tick(d.docs[2])),
    ));
    rows.push(("受理", format!("{}    {}", d.submitted_by, d.submitted_at)));
    rows.push(("营业厅审核", if d.hall.is_empty() { "待审核".to_string() } else { d.hall.clone() }));
    if d.kind == RefundDocKind::Notice {
        rows.push(("办理结果", d.state.clone()));
        for (i, line) in d.outcome.iter().enumerate() {
            rows.push((if i == 0 { "财务复核 / 付款" } else { "" }, line.clone()));
        }
    }
    y = pen.grid(&mut c, y, LABEL_W, &rows);
    y += mm(6);
    match d.kind {
        RefundDocKind::Form => {
            let note = "申请人确认：以上退费信息属实，退费款项转入上述收款账户。经营业厅审核、财务复核后办理付款，结果另行通知。";
            let fitted = fit(font, note, PAPER.content_width(), &PAPER.sizes(), 3);
            y += c.lines_with(left, y, &fitted, 150, Ink::Fill);
            y += mm(10);
            pen.signatures(&mut c, y, &["申请人（签字）：", "受理人：", "审核人：", "日期："], mm(3));
            y += body + mm(6);
        }
        RefundDocKind::Notice => {
            let note = "特此通知。如对结果有疑问，请携带本通知单及身份证件到营业厅咨询。";
            c.text(left, y, body, note);
            y += body + mm(10);
            c.text_right(font, PAPER.right(), y, body, &format!("{}（盖章）", clean(&d.utility)));
            y += body + mm(6);
        }
    }
    c.text(left, y, small, format!("校验码：{}", d.verification_code));
    if y + small > PAPER.height - mm(10) {
        return Err(PrintError::FieldTooLong { field: "退费单" });
    }
    Ok(sheets_to_pdf(title, &[c.into_sheet(&PAPER)], font))
}

/// `6222021234567890123` → `6222 0212 3456 7890 123`: digits in fours, as on a bank card; a
/// masked number is printed as it is.
fn grouped(number: &str) -> String {
    if number.contains('*') {
        return number.to_string();
    }
    let digits: Vec<char> = number.chars().collect();
    digits.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::testing::{font, poppler};

    fn doc(kind: RefundDocKind) -> RefundDoc {
        RefundDoc {
            kind,
            utility: "国网示范供电公司城关营业厅".into(),
            terminal: "GY01-03".into(),
            request_no: "GY01-03-TF-2026-000001".into(),
            account_no: "3100000001".into(),
            account_name: "张建国".into(),
            address: "示范市城关区人民路12号1栋2单元301室".into(),
            reason: "重复缴费".into(),
            amount: Yuan::parse("158.49").unwrap(),
            payee_name: "张建国".into(),
            payee_reason: None,
            payee_bank: "中国工商银行 示范市城关支行".into(),
            payee_account: "6222021234567890123".into(),
            duplicate_of: Some("GY01-03-2026-000007".into()),
            docs: [true, true, false],
            submitted_by: "王芳".into(),
            submitted_at: "2026-03-02 10:15:00".into(),
            hall: String::new(),
            state: "待营业厅审核".into(),
            outcome: vec![],
            verification_code: "A1B2 C3D4 E5F6 G7H8".into(),
            printed_at: "2026-03-02 10:15:03".into(),
            reprint: None,
        }
    }

    fn text_of(pdf: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refund.pdf");
        std::fs::write(&path, pdf).unwrap();
        poppler("pdftotext", &["-layout"], &path)
    }

    #[test]
    fn the_form_prints_the_whole_account_number_and_the_amount_in_words() {
        let text = text_of(&render_refund(&doc(RefundDocKind::Form), font()).unwrap());
        for want in [
            "退费申请单",
            "GY01-03-TF-2026-000001",
            "6222 0212 3456 7890 123",
            "壹佰伍拾捌元肆角玖分",
            "校验码：A1B2 C3D4 E5F6 G7H8",
            "申请人（签字）",
        ] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
    }

    #[test]
    fn the_notice_says_what_was_decided_with_the_number_masked() {
        let mut d = doc(RefundDocKind::Notice);
        d.payee_account = "6222 **** **** 0123".into();
        d.state = "已付款".into();
        d.outcome =
            vec!["财务复核 finance1 2026-03-05 09:00".into(), "付款 2026-03-06 银行流水 PAY-001 ¥158.49".into()];
        d.reprint = Some(1);
        let text = text_of(&render_refund(&d, font()).unwrap());
        for want in ["退费通知单", "6222 **** **** 0123", "已付款", "PAY-001", "重打"] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
        assert!(!text.contains("6222021234567890123"));
    }
}
