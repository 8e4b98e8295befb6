//! 收据 / 充值单: the payment receipt (收费收据, triplicate) and the recharge slip (购电充值单,
//! duplicate), laid out with the print kit (`kit`).
//!
//! A copy is laid out as a head (utility, title, copy label, receipt number, time, terminal,
//! cashier, 户号, 户名, 用电地址, 表号), a table of the settled periods (账期, 电量, 电费本金, 违约金,
//! 小计) ending with the amount credited to the prepaid balance, and a foot (total in figures and in
//! 大写, the allocation rule, the method of payment, 预存余额, 校验码, the holiday-cash approval,
//! signature lines).
//!
//! Fitting, in order, until the copy fits on one sheet: text fields shrink (down to about 70 %) and
//! then wrap in their boxes; table rows go from normal to compact height; the table flows into two
//! columns side by side (the kit's `plan_rows` with those three densities). Only when even that is
//! too long (about 30 periods on A5 and on the continuous form, about 70 on A4) does the table
//! continue on a further sheet of the same copy, with a short head (title, copy label, receipt
//! number, 第 i/n 页) on each, and the foot on the last one. On the continuous form that means a
//! second form, which the cashier sees in the preview; a counter that settles that many periods at
//! once should use A4.
//!
//! Amounts print as `¥1,234.50` (the kit's `money`): yuan sign, thousands grouped, always two
//! decimals.

use serde::{Deserialize, Serialize};

use super::kit::{
    Block, Cell, Density, Fields, Fitted, LEADING, Len, Line, Pen, RowPlan, RowSheet, Sheet, Style, Table, clean,
    copies, fit, line_height, mm, money, plan_rows, sheets_to_pdf, void_title,
};
use super::{CjkFont, PaperMode, PrintError};
use crate::money::Yuan;

/// Which document a receipt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// 收费收据: a payment, in triplicate.
    Payment,
    /// 购电充值单: a prepaid vend, in duplicate.
    Vend,
}

/// One settled bill period on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceiptLine {
    /// 账期, `YYYYMM`.
    pub period: String,
    /// 电量 in kWh, as recorded on the bill.
    pub kwh: String,
    /// 电费本金: the part of the bill's principal settled.
    pub principal: Yuan,
    /// 违约金: the late fee settled.
    pub late_fee: Yuan,
}

/// How the money was paid (付款方式).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Tender {
    /// 现金: 实收 (tendered) and 找零 (change); tendered − change is the total.
    Cash { tendered: Yuan, change: Yuan },
    /// 银行转账: the registered voucher.
    Transfer { bank: String, serial: String, payer: String },
}

/// Everything printed on a receipt or recharge slip: a snapshot taken when the payment was
/// recorded, so a reprint shows exactly the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Receipt {
    pub kind: ReceiptKind,
    /// The utility's name, the document's title line.
    pub utility: String,
    /// 收据号, e.g. `GY01-03-2026-000123`.
    pub receipt_no: String,
    /// 开票时间, `YYYY-MM-DD HH:MM:SS`.
    pub issued_at: String,
    /// 收费终端.
    pub terminal: String,
    /// 收款员.
    pub cashier: String,
    /// 户号.
    pub account_no: String,
    /// 户名.
    pub name: String,
    /// 用电地址.
    pub address: String,
    /// 表号.
    pub meter_no: String,
    /// Each settled period, oldest first; empty for a vend.
    pub lines: Vec<ReceiptLine>,
    /// 预存/购电金额: the part of the money credited to the prepaid balance.
    pub to_prepaid: Yuan,
    /// 实收合计: the amount received.
    pub total: Yuan,
    pub tender: Tender,
    /// 预存余额 after this payment.
    pub prepaid_after: Yuan,
    /// 校验码.
    pub verification_code: String,
    /// `Some(n)`: the n-th reprint, marked 重打（第n次）.
    pub reprint: Option<u32>,
    /// Voided: marked 作废 across each copy.
    pub void: bool,
    /// 节假日现金: the supervisor who approved taking cash on a non-working day.
    pub holiday_cash_approved_by: Option<String>,
}

/// The allocation rule printed on every payment receipt.
const ALLOCATION_RULE: &str = "按账期由远及近结算，同一账期先收违约金后收电费本金";
/// What a vend slip says instead.
const VEND_RULE: &str = "购电金额全部计入预存电费（预存余额）";

/// Renders `r` on `paper` as a PDF: one sheet per copy on A4/A5, one impression on the continuous
/// form. Refuses a receipt whose amounts do not add up.
pub fn render_receipt(r: &Receipt, paper: PaperMode, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(r);
    let sheets = layout_receipt(r, paper, font)?;
    let title = format!("{} {}", doc_title(r.kind), clean(&r.receipt_no));
    Ok(sheets_to_pdf(&title, &sheets, font))
}

const PAYMENT_COPIES: &[&str] = &["第一联 存根联", "第二联 客户联", "第三联 记账联"];
const VEND_COPIES: &[&str] = &["第一联 客户联", "第二联 存根联"];

/// The copies (联) of a receipt on `paper`, in the order their sheets print, each taking an equal
/// share of the sheets: the labelled copies on plain paper, none on the continuous form (one
/// impression, whose pre-labelled carbonless plies are the copies).
pub fn receipt_copies(kind: ReceiptKind, paper: PaperMode) -> Vec<&'static str> {
    let labels = match kind {
        ReceiptKind::Payment => PAYMENT_COPIES,
        ReceiptKind::Vend => VEND_COPIES,
    };
    copies(paper, labels).iter().copied().filter(|l| !l.is_empty()).collect()
}

/// The sheets of every copy, in printing order.
fn layout_receipt(r: &Receipt, paper: PaperMode, font: &CjkFont) -> Result<Vec<Sheet>, PrintError> {
    check_amounts(r)?;
    let pen = Pen { font, style: Style::of(paper) };
    let labels = copies(
        paper,
        match r.kind {
            ReceiptKind::Payment => PAYMENT_COPIES,
            ReceiptKind::Vend => VEND_COPIES,
        },
    );
    let parts = Parts::build(r, &pen);
    let plan = plan(&parts, &pen.style)?;
    let mut sheets = Vec::with_capacity(labels.len() * plan.sheets.len());
    for label in labels {
        for (i, sheet_plan) in plan.sheets.iter().enumerate() {
            sheets.push(draw_sheet(r, &pen, &parts, &plan, sheet_plan, label, i));
        }
    }
    Ok(sheets)
}

fn doc_title(kind: ReceiptKind) -> &'static str {
    match kind {
        ReceiptKind::Payment => "收费收据",
        ReceiptKind::Vend => "购电充值单",
    }
}

fn check_amounts(r: &Receipt) -> Result<(), PrintError> {
    let settled: Yuan = r.lines.iter().map(|l| l.principal + l.late_fee).sum();
    if settled + r.to_prepaid != r.total {
        return Err(PrintError::Inconsistent {
            detail: format!("periods {settled} + prepaid {} ≠ total {}", r.to_prepaid, r.total),
        });
    }
    if let Tender::Cash { tendered, change } = r.tender
        && tendered - change != r.total
    {
        return Err(PrintError::Inconsistent {
            detail: format!("tendered {tendered} − change {change} ≠ total {}", r.total),
        });
    }
    Ok(())
}

/// The parts of a copy that do not depend on the copy label or the sheet.
#[derive(Debug)]
struct Parts {
    /// Customer and meta rows of the full head (below the title rows).
    head_rows: Block,
    /// The utility's name, drawn per copy above the title.
    utility: Fitted,
    table: Vec<Line>,
    foot: Block,
    /// Lines taken by each variable field, to name the culprit when a copy cannot fit.
    fields: Fields,
}

const TABLE_HEADER: [&str; 5] = ["账期", "电量(kWh)", "电费本金", "违约金", "小计"];
/// Column widths in percent of a table column; figures are right-aligned.
const TABLE_WIDTHS: [Len; 5] = [18, 20, 22, 18, 22];
const TABLE_RIGHT: [bool; 5] = [false, true, true, true, true];

impl Parts {
    fn build(r: &Receipt, pen: &Pen<'_>) -> Parts {
        let style = &pen.style;
        let mut fields = Fields::default();
        let utility = pen.utility(&r.utility, &[style.utility, style.body]);
        fields.note("utility", utility.lines.len());

        let mut head_rows = Block::default();
        let meta = [
            Cell::new("收据号：", clean(&r.receipt_no), 31),
            Cell::new("开票时间：", clean(&r.issued_at), 31),
            Cell::new("终端：", clean(&r.terminal), 17),
            Cell::new("收款员：", clean(&r.cashier), 21),
        ];
        pen.row(&mut head_rows, meta, true, &mut fields);
        let customer = [
            Cell::new("户号：", clean(&r.account_no), 27),
            Cell::new("户名：", clean(&r.name), 46).lines(2),
            Cell::new("表号：", clean(&r.meter_no), 27),
        ];
        pen.row(&mut head_rows, customer, false, &mut fields);
        pen.row(&mut head_rows, [Cell::new("用电地址：", clean(&r.address), 100).lines(2)], false, &mut fields);

        let mut table: Vec<Line> = r
            .lines
            .iter()
            .map(|l| {
                Line::Cells(vec![
                    clean(&super::period_text(&l.period)),
                    clean(&l.kwh),
                    money(l.principal),
                    money(l.late_fee),
                    money(l.principal + l.late_fee),
                ])
            })
            .collect();
        if !r.to_prepaid.is_zero() || r.kind == ReceiptKind::Vend {
            let label = match r.kind {
                ReceiptKind::Payment => "预存电费",
                ReceiptKind::Vend => "购电金额（计入预存）",
            };
            table.push(Line::Spanning { label: label.into(), value: money(r.to_prepaid) });
        }

        let foot = foot(r, pen, &mut fields);
        Parts { head_rows, utility, table, foot, fields }
    }

    /// The field that takes the most lines: the one to shorten when a copy cannot fit.
    fn longest_field(&self) -> &'static str {
        self.fields.longest().unwrap_or("用电地址")
    }
}

fn foot(r: &Receipt, pen: &Pen<'_>, fields: &mut Fields) -> Block {
    let style = &pen.style;
    let mut b = Block::default();
    pen.total(&mut b, r.total);

    let rule = match r.kind {
        ReceiptKind::Payment => ALLOCATION_RULE,
        ReceiptKind::Vend => VEND_RULE,
    };
    let top = b.height + mm(1);
    b.text(style.left(), top, style.small, format!("结算规则：{rule}"));
    b.height = top + line_height(style.small);

    match &r.tender {
        Tender::Cash { tendered, change } => pen.row(
            &mut b,
            [
                Cell::new("付款方式：", "现金", 30),
                Cell::new("实收：", money(*tendered), 35),
                Cell::new("找零：", money(*change), 35),
            ],
            false,
            fields,
        ),
        Tender::Transfer { bank, serial, payer } => {
            // Bank names are long (支行 names run to 20 characters): two rows.
            pen.row(
                &mut b,
                [Cell::new("付款方式：", "银行转账", 30), Cell::new("银行：", clean(bank), 70).lines(2)],
                false,
                fields,
            );
            pen.row(
                &mut b,
                [Cell::new("流水号：", clean(serial), 45).lines(2), Cell::new("付款人：", clean(payer), 55).lines(2)],
                false,
                fields,
            );
        }
    }
    pen.row(
        &mut b,
        [Cell::new("预存余额：", money(r.prepaid_after), 50), Cell::new("校验码：", clean(&r.verification_code), 50)],
        false,
        fields,
    );
    if let Some(approver) = &r.holiday_cash_approved_by {
        let note = format!("节假日现金收费，已经值班长 {} 批准", clean(approver));
        let fitted = fit(pen.font, &note, style.content_width(), &style.sizes(), 1);
        fields.note("节假日现金批准人", fitted.lines.len());
        let top = b.height + mm(1);
        b.height = top + b.lines(style.left(), top, &fitted);
    }
    // Signature lines: room to sign above the rule.
    let top = b.height + mm(4);
    pen.signatures(&mut b, top, &["收款人（签章）：", "复核："], mm(6));
    b.height = top + line_height(style.body);
    b
}

/// Height of the title rows (utility, document title) of the first sheet.
fn title_height(style: &Style, parts: &Parts) -> Len {
    parts.utility.height(LEADING).max(line_height(style.utility)) + line_height(style.title) + mm(1)
}

/// Height of the short head on a continuation sheet: the title row and the receipt number.
fn short_head_height(style: &Style) -> Len {
    line_height(style.title) + line_height(style.body) + mm(2)
}

/// The period table at normal, then compact rows, then in two compact columns (module docs).
fn plan(parts: &Parts, style: &Style) -> Result<RowPlan, PrintError> {
    let first = style.bottom() - style.margin_top - title_height(style, parts) - parts.head_rows.height;
    let next = style.bottom() - style.margin_top - short_head_height(style);
    let densities = [
        Density { row: style.row, size: style.table, columns: 1 },
        Density { row: style.row_compact, size: style.table_compact, columns: 1 },
        Density { row: style.row_compact, size: style.table_compact, columns: 2 },
    ];
    plan_rows(parts.table.len(), first, next, parts.foot.height + mm(2), &densities)
        .ok_or_else(|| PrintError::FieldTooLong { field: parts.longest_field() })
}

fn draw_sheet(
    r: &Receipt,
    pen: &Pen<'_>,
    parts: &Parts,
    plan: &RowPlan,
    sheet: &RowSheet,
    copy_label: &str,
    index: usize,
) -> Sheet {
    let style = &pen.style;
    let mut c = Block::default();
    let first = index == 0;
    let (left, right) = (style.left(), style.right());

    let utility = first.then(|| (&parts.utility, line_height(style.utility)));
    let title_size = if first { style.title } else { style.title * 80 / 100 };
    let heading =
        pen.heading(&mut c, style.margin_top, utility, &void_title(doc_title(r.kind), r.void), title_size, style.body);
    pen.copy_label(&mut c, heading.mark_top, copy_label);
    if plan.sheets.len() > 1 {
        pen.page_number(&mut c, heading.mark_top + line_height(style.body), index + 1, plan.sheets.len());
    }
    if let Some(n) = r.reprint {
        pen.reprint_mark(&mut c, heading.mark_top, n);
    }
    let mut y = heading.below;

    if first {
        c.place(&parts.head_rows, y);
        y += parts.head_rows.height;
    } else {
        c.text(left, y, style.body, format!("收据号：{}（续）", clean(&r.receipt_no)));
        y += line_height(style.body) + mm(1);
        c.hline(left, right, y, 20);
    }

    let rows = &parts.table[sheet.rows.clone()];
    if !rows.is_empty() {
        let d = plan.density;
        let table = |left, width| Table::new(left, width, &TABLE_WIDTHS, &TABLE_RIGHT, d.size, d.row);
        y = pen.side_by_side(&mut c, y + mm(1), d.columns, table, &TABLE_HEADER, rows);
    }
    if sheet.foot {
        c.place(&parts.foot, y + mm(1));
    }
    if r.void {
        pen.void_stamp(&mut c);
    }
    c.into_sheet(style)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use rstest::rstest;

    use super::*;
    use crate::print::layout::{Draw, text_width};
    use crate::print::testing::{font, poppler};

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    fn line(period: &str, kwh: &str, principal: &str, late_fee: &str) -> ReceiptLine {
        ReceiptLine { period: period.into(), kwh: kwh.into(), principal: y(principal), late_fee: y(late_fee) }
    }

    /// A cash payment settling three periods, 12.95 to the prepaid balance: total 1,234.50.
    fn payment() -> Receipt {
        Receipt {
            kind: ReceiptKind::Payment,
            utility: "国网贵州省电力有限公司贵阳供电局".into(),
            receipt_no: "GY01-03-2026-000123".into(),
            issued_at: "2026-11-23 09:41:05".into(),
            terminal: "GY01-03".into(),
            cashier: "李晓梅".into(),
            account_no: "5200123456".into(),
            name: "王建国".into(),
            address: "贵州省贵阳市观山湖区林城西路88号3栋2单元1203室".into(),
            meter_no: "3100012345678".into(),
            lines: vec![
                line("202508", "412", "398.20", "5.97"),
                line("202509", "380", "367.40", "2.20"),
                line("202510", "455", "447.78", "0.00"),
            ],
            to_prepaid: y("12.95"),
            total: y("1234.50"),
            tender: Tender::Cash { tendered: y("1300.00"), change: y("65.50") },
            prepaid_after: y("12.95"),
            verification_code: "7KQ2 M9XD 0B4R TZ6F".into(),
            reprint: None,
            void: false,
            holiday_cash_approved_by: None,
        }
    }

    fn vend() -> Receipt {
        Receipt {
            kind: ReceiptKind::Vend,
            lines: vec![],
            to_prepaid: y("5000.00"),
            total: y("5000.00"),
            tender: Tender::Transfer {
                bank: "中国工商银行贵阳观山湖支行".into(),
                serial: "2026112300018842".into(),
                payer: "贵州黔茂商贸有限公司".into(),
            },
            prepaid_after: y("5321.08"),
            ..payment()
        }
    }

    /// `n` consecutive periods from 2024-01, each 100.00 + 1.00; the total follows.
    fn with_periods(mut r: Receipt, n: u32) -> Receipt {
        r.lines =
            (0..n).map(|i| line(&format!("{}{:02}", 2024 + i / 12, i % 12 + 1), "350", "100.00", "1.00")).collect();
        r.total = r.lines.iter().map(|l| l.principal + l.late_fee).sum::<Yuan>() + r.to_prepaid;
        if let Tender::Cash { .. } = r.tender {
            r.tender = Tender::Cash { tendered: r.total, change: Yuan::ZERO };
        }
        r
    }

    struct Rendered {
        _dir: tempfile::TempDir,
        path: PathBuf,
        bytes: usize,
    }

    impl Rendered {
        fn text(&self) -> String {
            poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &self.path)
        }
        /// The text without any whitespace, as layout mode spaces columns freely.
        fn squeezed(&self) -> String {
            squeeze(&self.text())
        }
        fn info(&self) -> String {
            poppler("pdfinfo", &[], &self.path)
        }
        fn pages(&self) -> usize {
            let info = self.info();
            let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("pdfinfo prints Pages");
            pages.trim().parse().unwrap()
        }
    }

    /// How often a period is printed as a period (2026-11), not as the start of a date (2026-11-23).
    fn shown_periods(text: &str, period: &str) -> usize {
        let p = crate::print::period_text(period);
        text.matches(&p).count() - text.matches(&format!("{p}-")).count()
    }

    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn render(r: &Receipt, paper: PaperMode) -> Rendered {
        let pdf = render_receipt(r, paper, font()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipt.pdf");
        std::fs::write(&path, &pdf).unwrap();
        Rendered { _dir: dir, path, bytes: pdf.len() }
    }

    fn render_err(r: &Receipt, paper: PaperMode) -> PrintError {
        match render_receipt(r, paper, font()) {
            Ok(pdf) => panic!("expected an error, got a PDF of {} bytes", pdf.len()),
            Err(e) => e,
        }
    }

    const PAYMENT_LABELS: [&str; 3] = ["第一联 存根联", "第二联 客户联", "第三联 记账联"];

    #[rstest]
    #[case::a4(PaperMode::A4)]
    #[case::a5(PaperMode::A5)]
    fn plain_paper_has_one_labelled_sheet_per_copy(#[case] paper: PaperMode) {
        let r = payment();
        let out = render(&r, paper);
        assert_eq!(out.pages(), 3, "triplicate: one sheet per copy");
        let text = out.squeezed();
        for label in PAYMENT_LABELS {
            assert_eq!(text.matches(&squeeze(label)).count(), 1, "{label} labels exactly one copy");
        }
        assert_eq!(text.matches("人民币壹仟贰佰叁拾肆元伍角整").count(), 3, "大写 on every copy");
        assert_eq!(text.matches("GY01-03-2026-000123").count(), 3, "receipt number on every copy");
        assert_eq!(text.matches("5200123456").count(), 3, "户号 on every copy");
        for period in ["2025-08", "2025-09", "2025-10"] {
            assert_eq!(text.matches(period).count(), 3, "period {period} on every copy, as the screen shows it");
        }
    }

    #[test]
    fn continuous_form_is_one_impression_without_labels() {
        let out = render(&payment(), PaperMode::Continuous241);
        assert_eq!(out.pages(), 1, "the multi-part form makes the copies");
        let info = out.info();
        let size = info.lines().find(|l| l.starts_with("Page size:")).expect("pdfinfo prints the page size");
        assert!(size.ends_with("683.15 x 396 pts"), "241 × 139.7 mm in points: {size}");
        let text = out.squeezed();
        for label in ["第一联", "第二联", "第三联", "存根联", "客户联", "记账联"] {
            assert!(!text.contains(label), "the plies are pre-labelled; {label} must not print");
        }
        assert_eq!(text.matches("GY01-03-2026-000123").count(), 1, "the content once");
        assert_eq!(text.matches("人民币壹仟贰佰叁拾肆元伍角整").count(), 1);
        assert!(text.contains("5200123456") && text.contains("2025-10"), "periods print as 2025-10");
    }

    #[test]
    fn every_field_of_a_payment_receipt_is_printed() {
        let mut r = payment();
        r.holiday_cash_approved_by = Some("赵志刚".into());
        let text = render(&r, PaperMode::A5).squeezed();
        for expected in [
            "国网贵州省电力有限公司贵阳供电局",
            "收费收据",
            "2026-11-2309:41:05",
            "GY01-03",
            "收款员：李晓梅",
            "户名：王建国",
            "用电地址：贵州省贵阳市观山湖区林城西路88号3栋2单元1203室",
            "表号：3100012345678",
            "电费本金",
            "违约金",
            "¥398.20",
            "¥5.97",
            "¥404.17",
            "预存电费",
            "¥12.95",
            "¥1,234.50",
            ALLOCATION_RULE,
            "现金",
            "实收：¥1,300.00",
            "找零：¥65.50",
            "预存余额：¥12.95",
            "校验码：7KQ2M9XD0B4RTZ6F",
            "节假日现金收费，已经值班长赵志刚批准",
            "收款人（签章）：",
            "复核：",
        ] {
            assert!(text.contains(&squeeze(expected)), "{expected:?} missing from\n{text}");
        }
    }

    /// The verification code (16 characters, `payments::code`) is printed whole and in its groups
    /// of four on every copy, on every paper: the customer reads it out in groups.
    #[rstest]
    #[case::a4(PaperMode::A4)]
    #[case::a5(PaperMode::A5)]
    #[case::continuous(PaperMode::Continuous241)]
    fn the_verification_code_is_printed_in_groups_of_four(#[case] paper: PaperMode) {
        for (r, sheets) in [(payment(), 3), (vend(), 2), (with_periods(payment(), 12), 3)] {
            // The multi-part form makes its copies from one impression.
            let sheets = if paper == PaperMode::Continuous241 { 1 } else { sheets };
            let text = render(&r, paper).text();
            let grouped = text.lines().filter(|l| l.contains("校验码：7KQ2 M9XD 0B4R TZ6F")).count();
            assert_eq!(grouped, sheets, "the code in groups of four on one line, once per sheet:\n{text}");
        }
    }

    #[test]
    fn vend_slip_is_in_duplicate_with_its_two_labels() {
        let out = render(&vend(), PaperMode::A5);
        assert_eq!(out.pages(), 2, "duplicate");
        let text = out.squeezed();
        assert!(text.contains("第一联客户联") && text.contains("第二联存根联"), "{text}");
        assert!(!text.contains("第三联"), "no third copy");
        assert_eq!(text.matches("¥5,000.00").count(), 4, "amount and total on both copies");
        for expected in [
            "购电充值单",
            "购电金额（计入预存）",
            "人民币伍仟元整",
            "银行转账",
            "中国工商银行贵阳观山湖支行",
            "2026112300018842",
            "贵州黔茂商贸有限公司",
            "¥5,321.08",
            VEND_RULE,
        ] {
            assert_eq!(text.matches(expected).count(), 2, "{expected:?} on both copies");
        }
        assert!(!text.contains(ALLOCATION_RULE), "a vend settles no period");
        assert!(!text.contains("电费本金"), "no empty period table on a vend slip");
    }

    #[rstest]
    #[case::a4(PaperMode::A4, 3)]
    #[case::a5(PaperMode::A5, 3)]
    #[case::continuous(PaperMode::Continuous241, 1)]
    fn void_is_stamped_on_every_copy(#[case] paper: PaperMode, #[case] sheets: usize) {
        let mut r = payment();
        r.void = true;
        let text = render(&r, paper).squeezed();
        assert_eq!(text.matches("收费收据（作废）").count(), sheets, "作废 on each sheet");
        let plain = poppler("pdftotext", &["-raw"], &render(&r, paper).path);
        assert_eq!(plain.matches('废').count(), 2 * sheets, "and the stamp on each sheet");
        assert!(!render(&payment(), paper).squeezed().contains("作废"), "a valid receipt is not marked");
    }

    #[rstest]
    #[case::a5(PaperMode::A5, 3)]
    #[case::continuous(PaperMode::Continuous241, 1)]
    fn reprint_is_marked_with_its_count(#[case] paper: PaperMode, #[case] sheets: usize) {
        let mut r = payment();
        r.reprint = Some(2);
        let text = render(&r, paper).squeezed();
        assert_eq!(text.matches("重打（第2次）").count(), sheets, "{text}");
        assert!(!render(&payment(), paper).squeezed().contains("重打"), "an original is not marked");
    }

    /// A character outside the first face found (a rare character in a name) sends the whole
    /// receipt to the fallback face, which prints it; an everyday receipt stays in the first face.
    #[test]
    fn a_name_the_first_face_cannot_print_is_set_in_the_fallback_face() -> Result<(), String> {
        let font = font();
        let fallback = font.fallback().ok_or("make installs two CJK fonts: one is the fallback")?;
        let rare = ['㐀', '䶮', '鿰', '𠀀']
            .into_iter()
            .find(|&c| font.for_text(&c.to_string()).path() == fallback.path())
            .ok_or("a character the fallback has and the first face lacks")?;
        let face_name =
            |out: &Rendered| poppler("pdffonts", &[], &out.path).lines().nth(2).unwrap_or_default().to_string();
        let everyday = render(&payment(), PaperMode::A5);
        let mut r = payment();
        r.name = format!("王{rare}");
        let rare_out = render(&r, PaperMode::A5);
        assert_ne!(face_name(&everyday), face_name(&rare_out), "the rare name changes the face");
        assert!(rare_out.text().contains(&format!("王{rare}")), "the fallback prints the name");
        assert!(std::ptr::eq(font.for_text("收费收据 0123456789 ¥"), font), "everyday text stays in the first face");
        Ok(())
    }

    #[test]
    fn the_font_is_an_embedded_subset_and_the_file_is_small() {
        for paper in [PaperMode::A4, PaperMode::A5, PaperMode::Continuous241] {
            let out = render(&payment(), paper);
            let fonts = poppler("pdffonts", &[], &out.path);
            let font_line = fonts.lines().nth(2).expect("one font listed");
            let tag = font_line.split('+').next().unwrap_or_default();
            assert!(tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()), "subset tag ABCDEF+: {fonts}");
            let flags: Vec<&str> = font_line.split_whitespace().rev().skip(2).take(3).collect();
            assert_eq!(flags, ["yes", "yes", "yes"], "uni, sub, emb: {fonts}");
            assert!(out.bytes < 200 * 1024, "{paper:?}: {} bytes", out.bytes);
            eprintln!("{paper:?}: {} bytes", out.bytes);
        }
    }

    #[rstest]
    #[case::a4(PaperMode::A4, 3)]
    #[case::a5(PaperMode::A5, 3)]
    #[case::continuous(PaperMode::Continuous241, 1)]
    fn twenty_four_periods_fit_on_one_sheet_per_copy(#[case] paper: PaperMode, #[case] sheets: usize) {
        let r = with_periods(payment(), 24);
        let out = render(&r, paper);
        assert_eq!(out.pages(), sheets, "24 periods fit without a continuation sheet");
        let text = out.squeezed();
        for l in &r.lines {
            assert_eq!(shown_periods(&text, &l.period), sheets, "period {} on each copy", l.period);
        }
        assert!(text.contains(&r.total.words()));
    }

    #[rstest]
    #[case::a5(PaperMode::A5, 3)]
    #[case::continuous(PaperMode::Continuous241, 1)]
    fn very_many_periods_continue_on_a_second_sheet_of_the_same_copy(#[case] paper: PaperMode, #[case] copies: usize) {
        let r = with_periods(payment(), 60);
        let out = render(&r, paper);
        let pages = out.pages();
        assert!(pages >= 2 * copies && pages.is_multiple_of(copies), "{pages} sheets for {copies} copies");
        let text = out.squeezed();
        for l in &r.lines {
            assert_eq!(shown_periods(&text, &l.period), copies, "period {} printed once per copy", l.period);
        }
        assert!(text.contains(&squeeze(&format!("第 1/{} 页", pages / copies))), "sheets are numbered");
        assert_eq!(text.matches(&r.total.words()).count(), copies, "the total once per copy, on its last sheet");
    }

    /// Receipts built to break a layout.
    fn nasty() -> Vec<(&'static str, Receipt)> {
        let mut long_texts = payment();
        long_texts.utility = "国网某某省电力有限公司某某市供电分公司某某县供电局城区供电所营业厅".into();
        long_texts.name = "贵州省贵阳市观山湖区某某某某房地产开发有限责任公司第三物业管理分公司".into();
        long_texts.address = "贵州省贵阳市观山湖区林城西路与长岭北路交叉口西南侧某某国际金融中心二期\n商业综合体B座地下二层至地上四十八层公共区域及设备用房（含充电桩）".repeat(2);
        long_texts.receipt_no = "GY01-03-2026-000123-REPRINT-ARCHIVE-COPY".into();
        long_texts.cashier = "阿卜杜热合曼·买买提依明".into();
        long_texts.holiday_cash_approved_by = Some("欧阳".repeat(30));
        let mut long_transfer = vend();
        long_transfer.tender = Tender::Transfer {
            bank: "中国农业银行股份有限公司贵州省分行营业部观山湖区金阳南路支行".into(),
            serial: "ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789".into(),
            payer: "贵州某某某某新能源科技发展有限公司".repeat(2),
        };
        let mut huge = with_periods(payment(), 3);
        huge.lines[0].principal = y("999999999999.99");
        huge.lines[0].kwh = "123456789012".into();
        huge.total = huge.lines.iter().map(|l| l.principal + l.late_fee).sum::<Yuan>() + huge.to_prepaid;
        huge.tender = Tender::Cash { tendered: huge.total, change: Yuan::ZERO };
        let mut everything = with_periods(payment(), 24);
        everything.void = true;
        everything.reprint = Some(12);
        everything.holiday_cash_approved_by = Some("赵志刚".into());
        everything.address = long_texts.address.clone();
        vec![
            ("long texts", long_texts),
            ("long transfer", long_transfer),
            ("huge amounts", huge),
            ("everything", everything),
            ("many periods", with_periods(payment(), 75)),
        ]
    }

    #[rstest]
    fn nothing_is_drawn_outside_the_margins(
        #[values(PaperMode::A4, PaperMode::A5, PaperMode::Continuous241)] paper: PaperMode,
    ) {
        let style = Style::of(paper);
        for (name, r) in nasty() {
            let sheets = layout_receipt(&r, paper, font()).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (i, sheet) in sheets.iter().enumerate() {
                assert_eq!((sheet.width, sheet.height), (style.width, style.height));
                for item in &sheet.items {
                    if let Draw::Text { x, top, size, text, .. } = item {
                        let right = x + text_width(font(), text, *size);
                        assert!(
                            *x >= style.left() && right <= style.right(),
                            "{name}, {paper:?} sheet {i}: {text:?} runs from {x} to {right}, outside {}..{}",
                            style.left(),
                            style.right()
                        );
                        assert!(
                            *top >= style.margin_top && top + size <= style.bottom(),
                            "{name}, {paper:?} sheet {i}: {text:?} at {top} is below {}",
                            style.bottom()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn long_texts_are_wrapped_not_cut() {
        let (_, r) = nasty().remove(0);
        let text = render(&r, PaperMode::A5).squeezed();
        // pdftotext lays the wrapped lines out among other columns, so check pieces of each line.
        for piece in ["城区供电所营业厅", "第三物业管理分公司", "含充电桩", "REPRINT-ARCHIVE"] {
            assert!(text.contains(piece), "{piece:?} missing:\n{text}");
        }
    }

    #[test]
    fn a_receipt_that_does_not_add_up_is_not_printed() {
        let mut r = payment();
        r.total = y("1234.49");
        let err = render_err(&r, PaperMode::A5);
        assert_eq!(err.code(), "PRINT_RECEIPT_INCONSISTENT", "{err}");
        let mut r = payment();
        r.tender = Tender::Cash { tendered: y("1300.00"), change: y("65.00") };
        let err = render_err(&r, PaperMode::A5);
        assert_eq!(err.code(), "PRINT_RECEIPT_INCONSISTENT", "{err}");
        assert!(err.to_string().contains("1300.00"), "{err}");
    }

    #[test]
    fn an_absurdly_long_field_is_an_error_not_an_overflow() {
        let mut r = payment();
        r.address = "很长的地址".repeat(1000);
        let err = render_err(&r, PaperMode::A5);
        assert_eq!(err.code(), "PRINT_FIELD_TOO_LONG");
        assert!(err.to_string().contains("用电地址"), "names the field to shorten: {err}");
    }

    #[rstest]
    #[case::zero("0", "¥0.00")]
    #[case::small("5.6", "¥5.60")]
    #[case::hundreds("999.00", "¥999.00")]
    #[case::thousands("1234.5", "¥1,234.50")]
    #[case::million("1000000", "¥1,000,000.00")]
    #[case::largest("999999999999.99", "¥999,999,999,999.99")]
    fn amounts_print_grouped_with_two_decimals(#[case] amount: &str, #[case] expected: &str) {
        assert_eq!(money(y(amount)), expected);
    }

    #[test]
    fn negative_amounts_keep_their_sign() {
        assert_eq!(money(-y("1234.5")), "-¥1,234.50");
    }

    #[test]
    fn receipt_crosses_json_with_money_as_strings_and_nulls() {
        let json = serde_json::to_value(payment()).unwrap();
        assert_eq!(json["total"], "1234.50");
        assert_eq!(json["tender"]["method"], "cash");
        assert!(json["reprint"].is_null(), "optional fields are null, not omitted");
        let back: Receipt = serde_json::from_value(json).unwrap();
        assert_eq!(back, payment());
    }

    #[test]
    fn rendering_with_a_warm_font_is_fast() {
        let r = payment();
        render_receipt(&r, PaperMode::A5, font()).unwrap();
        let runs = 10u32;
        let start = Instant::now();
        for _ in 0..runs {
            render_receipt(&r, PaperMode::A5, font()).unwrap();
        }
        let each = start.elapsed() / runs;
        eprintln!("3-copy A5 receipt, warm font: {each:?} per render");
        assert!(each.as_millis() < 1000, "a receipt must not keep the customer waiting: {each:?}");
    }

    /// The same path a counter uses, through a real spooler: needs a running CUPS with a cups-pdf
    /// printer (TOOLCHAIN.md, "Printing through a real spooler"); skips, saying so, otherwise.
    #[test]
    fn prints_through_a_cups_pdf_printer_when_one_runs() {
        let stdout = |program: &str, arg: &str| {
            std::process::Command::new(program)
                .arg(arg)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        if !stdout("lpstat", "-r").contains("scheduler is running") {
            eprintln!("skipped: no CUPS scheduler running (lpstat -r)");
            return;
        }
        let devices = stdout("lpstat", "-v");
        let Some(printer) = devices
            .lines()
            .find_map(|l| l.strip_prefix("device for ")?.strip_suffix(": cups-pdf:/").map(str::to_string))
        else {
            eprintln!(
                "skipped: no cups-pdf printer (lpadmin -p NAME -E -v cups-pdf:/ -m lsb/usr/cups-pdf/CUPS-PDF_opt.ppd)"
            );
            return;
        };
        let out_dir = Path::new(&std::env::var_os("HOME").expect("HOME is set")).join("PDF");
        let listing = || -> Vec<PathBuf> {
            std::fs::read_dir(&out_dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
        };
        let before = listing();
        let rendered = render(&payment(), PaperMode::A5);
        crate::print::spool(&rendered.path, &printer, 1, PaperMode::A5).unwrap();
        let started = Instant::now();
        let printed = loop {
            let new: Vec<PathBuf> = listing().into_iter().filter(|p| !before.contains(p)).collect();
            if let Some(p) = new.into_iter().find(|p| p.extension().is_some_and(|e| e == "pdf")) {
                // cups-pdf writes the file in one go, but give it a moment to close it.
                std::thread::sleep(std::time::Duration::from_millis(300));
                break p;
            }
            assert!(started.elapsed().as_secs() < 30, "the job did not reach {}", out_dir.display());
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        let info = poppler("pdfinfo", &[], &printed);
        assert!(info.contains("Pages:           3"), "the three copies were printed: {info}");
        assert!(info.contains("(A5)"), "on A5 paper: {info}");
        eprintln!("printed through CUPS printer {printer} to {}", printed.display());
    }

    /// Writes one PNG per paper to $CASHDESK_PRINT_PREVIEW_DIR for a person to look at.
    #[test]
    fn preview_pngs_when_asked() {
        let Some(dir) = std::env::var_os("CASHDESK_PRINT_PREVIEW_DIR") else {
            eprintln!("skipped: set CASHDESK_PRINT_PREVIEW_DIR to write preview PNGs");
            return;
        };
        let mut void_reprint = with_periods(payment(), 24);
        void_reprint.void = true;
        void_reprint.reprint = Some(2);
        void_reprint.holiday_cash_approved_by = Some("赵志刚".into());
        let cases = [
            ("a4", payment(), PaperMode::A4),
            ("a5", payment(), PaperMode::A5),
            ("cont", payment(), PaperMode::Continuous241),
            ("vend_a5", vend(), PaperMode::A5),
            ("void24_a5", void_reprint.clone(), PaperMode::A5),
            ("void24_cont", void_reprint, PaperMode::Continuous241),
            ("long_a5", nasty().remove(0).1, PaperMode::A5),
            ("many_a5", with_periods(payment(), 60), PaperMode::A5),
        ];
        for (name, r, paper) in cases {
            let pdf = Path::new(&dir).join(format!("{name}.pdf"));
            std::fs::write(&pdf, render_receipt(&r, paper, font()).unwrap()).unwrap();
            let status = std::process::Command::new("pdftoppm")
                .args(["-png", "-r", "60", "-f", "1", "-l", "2"])
                .arg(&pdf)
                .arg(Path::new(&dir).join(name))
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}
