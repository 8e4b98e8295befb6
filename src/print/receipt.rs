//! 收据 / 充值单: the payment receipt (收费收据, triplicate) and the recharge slip (购电充值单,
//! duplicate).
//!
//! A copy is laid out as a head (utility, title, copy label, receipt number, time, terminal,
//! cashier, 户号, 户名, 用电地址, 表号), a table of the settled periods (账期, 电量, 电费本金, 违约金,
//! 小计) ending with the amount credited to the prepaid balance, and a foot (total in figures and in
//! 大写, the allocation rule, the method of payment, 预存余额, 校验码, the holiday-cash approval,
//! signature lines).
//!
//! Fitting, in order, until the copy fits on one sheet: text fields shrink (down to about 70 %) and
//! then wrap in their boxes; table rows go from normal to compact height; the table flows into two
//! columns side by side. Only when even that is too long (about 30 periods on A5 and on the
//! continuous form, about 70 on A4) does the table continue on a further sheet of the same copy,
//! with a short head (title, copy label, receipt number, 第 i/n 页) on each, and the foot on the
//! last one. On the continuous form that means a second form, which the cashier sees in the
//! preview; a counter that settles that many periods at once should use A4.
//!
//! Amounts print as `¥1,234.50`: yuan sign, thousands grouped, always two decimals.

use serde::{Deserialize, Serialize};

use super::layout::{
    Canvas, Draw, Fitted, Ink, Len, Sheet, clean, fit, mm, pt10, sheets_to_pdf, shrink_to, text_width,
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

/// The sheets of every copy, in printing order.
fn layout_receipt(r: &Receipt, paper: PaperMode, font: &CjkFont) -> Result<Vec<Sheet>, PrintError> {
    check_amounts(r)?;
    let style = Style::of(paper);
    let labels: &[&str] = match (paper, r.kind) {
        (PaperMode::Continuous241, _) => &[""],
        (_, ReceiptKind::Payment) => &["第一联 存根联", "第二联 客户联", "第三联 记账联"],
        (_, ReceiptKind::Vend) => &["第一联 客户联", "第二联 存根联"],
    };
    let parts = Parts::build(r, &style, font);
    let plan = plan(&parts, &style)?;
    let mut sheets = Vec::new();
    for label in labels {
        for (i, sheet_plan) in plan.sheets.iter().enumerate() {
            sheets.push(draw_sheet(r, &style, font, &parts, &plan, sheet_plan, label, i));
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

/// `¥1,234.50`: every printed amount (receipts, shift reports).
pub(super) fn money(y: Yuan) -> String {
    let s = y.to_string();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{frac}")
}

/// Sizes and margins of one paper.
#[derive(Debug, Clone)]
struct Style {
    width: Len,
    height: Len,
    margin_x: Len,
    margin_top: Len,
    margin_bottom: Len,
    utility: Len,
    title: Len,
    body: Len,
    small: Len,
    min: Len,
    row: Len,
    row_compact: Len,
    table: Len,
    table_compact: Len,
    stamp: Len,
    /// Width kept free on each side of the title for the reprint mark and the copy label.
    side: Len,
}

/// Line height as a percentage of the type size.
const LEADING: i32 = 130;

impl Style {
    fn of(paper: PaperMode) -> Style {
        let compact = Style {
            width: mm(210),
            height: mm(148),
            margin_x: mm(10),
            margin_top: mm(8),
            margin_bottom: mm(8),
            utility: pt10(120),
            title: pt10(170),
            body: pt10(90),
            small: pt10(75),
            min: pt10(62),
            row: mm(5),
            row_compact: 380,
            table: pt10(90),
            table_compact: pt10(75),
            stamp: pt10(900),
            side: mm(42),
        };
        match paper {
            PaperMode::A5 => compact,
            PaperMode::A4 => Style {
                height: mm(297),
                margin_x: mm(15),
                margin_top: mm(15),
                margin_bottom: mm(15),
                utility: pt10(140),
                title: pt10(200),
                body: pt10(105),
                small: pt10(85),
                min: pt10(70),
                row: mm(7),
                row_compact: mm(5),
                table: pt10(100),
                table_compact: pt10(85),
                stamp: pt10(1300),
                ..compact
            },
            // Each 12.7 mm tractor strip is torn off; the print head also cannot reach it.
            PaperMode::Continuous241 => Style {
                width: mm(241),
                height: 13970,
                margin_x: mm(16),
                margin_top: mm(7),
                margin_bottom: mm(7),
                ..compact
            },
        }
    }

    fn left(&self) -> Len {
        self.margin_x
    }

    fn right(&self) -> Len {
        self.width - self.margin_x
    }

    fn content_width(&self) -> Len {
        self.right() - self.left()
    }

    fn bottom(&self) -> Len {
        self.height - self.margin_bottom
    }

    fn sizes(&self) -> [Len; 3] {
        [self.body, self.small, self.min]
    }
}

/// A piece of a copy whose drawing is known, at y = 0 for its top.
#[derive(Debug, Clone, Default)]
struct Block {
    height: Len,
    items: Vec<Draw>,
}

impl Block {
    fn place(&self, canvas: &mut Canvas, top: Len) {
        for item in &self.items {
            canvas.sheet.items.push(shift(item, top));
        }
    }
}

fn shift(item: &Draw, dy: Len) -> Draw {
    match item.clone() {
        Draw::Text { x, top, size, text, ink } => Draw::Text { x, top: top + dy, size, text, ink },
        Draw::Line { x1, y1, x2, y2, width } => Draw::Line { x1, y1: y1 + dy, x2, y2: y2 + dy, width },
        Draw::Rect { x, y, w, h, width } => Draw::Rect { x, y: y + dy, w, h, width },
        Draw::Stamp { cx, cy, size, width, text } => Draw::Stamp { cx, cy: cy + dy, size, width, text },
    }
}

/// A labelled value in a box: the label in body type, the value fitted in the rest.
struct Cell<'a> {
    label: &'a str,
    value: String,
    /// Share of the row's width, in percent.
    percent: Len,
    max_lines: usize,
}

impl<'a> Cell<'a> {
    fn new(label: &'a str, value: impl Into<String>, percent: Len) -> Cell<'a> {
        Cell { label, value: value.into(), percent, max_lines: 1 }
    }

    fn lines(mut self, max_lines: usize) -> Cell<'a> {
        self.max_lines = max_lines;
        self
    }
}

/// The parts of a copy that do not depend on the copy label or the sheet.
#[derive(Debug)]
struct Parts {
    /// Customer and meta rows of the full head (below the title rows).
    head_rows: Block,
    /// The title rows' height (utility, document title), drawn per copy.
    utility: Fitted,
    table_rows: Vec<TableRow>,
    foot: Block,
    /// Lines taken by each variable field, to name the culprit when a copy cannot fit.
    fields: Vec<(&'static str, usize)>,
}

#[derive(Debug, Clone)]
struct TableRow {
    cells: [String; 5],
    /// A row whose first cell spans the figures (the prepaid row).
    spanning: bool,
}

const TABLE_HEADER: [&str; 5] = ["账期", "电量(kWh)", "电费本金", "违约金", "小计"];
/// Column widths in percent of a table column; figures are right-aligned.
const TABLE_WIDTHS: [Len; 5] = [18, 20, 22, 18, 22];

impl Parts {
    fn build(r: &Receipt, style: &Style, font: &CjkFont) -> Parts {
        let mut fields = Vec::new();
        let utility = fit(font, &r.utility, style.content_width() - 2 * style.side, &[style.utility, style.body], 2);
        fields.push(("utility", utility.lines.len()));

        let mut head_rows = Block::default();
        let meta = [
            Cell::new("收据号：", clean(&r.receipt_no), 31),
            Cell::new("开票时间：", clean(&r.issued_at), 31),
            Cell::new("终端：", clean(&r.terminal), 17),
            Cell::new("收款员：", clean(&r.cashier), 21),
        ];
        row(&mut head_rows, style, font, meta, &mut fields, true);
        let customer = [
            Cell::new("户号：", clean(&r.account_no), 27),
            Cell::new("户名：", clean(&r.name), 46).lines(2),
            Cell::new("表号：", clean(&r.meter_no), 27),
        ];
        row(&mut head_rows, style, font, customer, &mut fields, false);
        row(
            &mut head_rows,
            style,
            font,
            [Cell::new("用电地址：", clean(&r.address), 100).lines(2)],
            &mut fields,
            false,
        );

        let mut table_rows: Vec<TableRow> = r
            .lines
            .iter()
            .map(|l| TableRow {
                cells: [
                    clean(&l.period),
                    clean(&l.kwh),
                    money(l.principal),
                    money(l.late_fee),
                    money(l.principal + l.late_fee),
                ],
                spanning: false,
            })
            .collect();
        if !r.to_prepaid.is_zero() || r.kind == ReceiptKind::Vend {
            let label = match r.kind {
                ReceiptKind::Payment => "预存电费",
                ReceiptKind::Vend => "购电金额（计入预存）",
            };
            table_rows.push(TableRow {
                cells: [label.into(), String::new(), String::new(), String::new(), money(r.to_prepaid)],
                spanning: true,
            });
        }

        let foot = foot(r, style, font, &mut fields);
        Parts { head_rows, utility, table_rows, foot, fields }
    }

    /// The field that takes the most lines: the one to shorten when a copy cannot fit.
    fn longest_field(&self) -> &'static str {
        self.fields.iter().max_by_key(|(_, lines)| *lines).map_or("用电地址", |(name, _)| name)
    }
}

/// Lays out a row of cells at the bottom of `block`, with a rule under it.
fn row<const N: usize>(
    block: &mut Block,
    style: &Style,
    font: &CjkFont,
    cells: [Cell<'_>; N],
    fields: &mut Vec<(&'static str, usize)>,
    rule_above: bool,
) {
    let gap = mm(1);
    let top = block.height + gap;
    if rule_above {
        block.items.push(Draw::Line {
            x1: style.left(),
            y1: block.height,
            x2: style.right(),
            y2: block.height,
            width: 20,
        });
    }
    let mut x = style.left();
    let mut height = style.body * LEADING / 100;
    for cell in cells {
        let width = style.content_width() * cell.percent / 100;
        let label_width = text_width(font, cell.label, style.body);
        block.items.push(Draw::Text { x, top, size: style.body, text: cell.label.to_string(), ink: Ink::Fill });
        let fitted = fit(font, &cell.value, width - label_width - mm(2), &style.sizes(), cell.max_lines);
        fields.push((field_name(cell.label), fitted.lines.len()));
        // Smaller type sits on the label's baseline region rather than floating at the top.
        let mut y = top + (style.body - fitted.size);
        for line in &fitted.lines {
            block.items.push(Draw::Text {
                x: x + label_width,
                top: y,
                size: fitted.size,
                text: line.clone(),
                ink: Ink::Fill,
            });
            y += fitted.size * LEADING / 100;
        }
        height = height.max(fitted.height(LEADING) + (style.body - fitted.size));
        x += width;
    }
    block.height = top + height + gap;
    block.items.push(Draw::Line { x1: style.left(), y1: block.height, x2: style.right(), y2: block.height, width: 20 });
}

fn field_name(label: &str) -> &'static str {
    match label {
        "收据号：" => "收据号",
        "开票时间：" => "开票时间",
        "终端：" => "终端",
        "收款员：" => "收款员",
        "户号：" => "户号",
        "户名：" => "户名",
        "表号：" => "表号",
        "用电地址：" => "用电地址",
        "银行：" => "银行",
        "流水号：" => "流水号",
        "付款人：" => "付款人",
        "校验码：" => "校验码",
        _ => "其他",
    }
}

fn foot(r: &Receipt, style: &Style, font: &CjkFont, fields: &mut Vec<(&'static str, usize)>) -> Block {
    let mut b = Block::default();
    // Totals: figures and 大写, the biggest type on the sheet after the title.
    let total_size = style.body * 115 / 100;
    let top = b.height + mm(1);
    let figures = money(r.total);
    let label = "合计（大写）：";
    b.items.push(Draw::Text { x: style.left(), top, size: style.body, text: label.into(), ink: Ink::Fill });
    let words_x = style.left() + text_width(font, label, style.body);
    let figures_label = "（小写）";
    let figures_width = text_width(font, figures_label, style.body) + text_width(font, &figures, total_size);
    let words =
        fit(font, &r.total.words(), style.right() - figures_width - mm(4) - words_x, &[total_size, style.body], 2);
    let mut y = top;
    for line in &words.lines {
        b.items.push(Draw::Text { x: words_x, top: y, size: words.size, text: line.clone(), ink: Ink::Heavy });
        y += words.size * LEADING / 100;
    }
    let fx = style.right() - figures_width;
    b.items.push(Draw::Text { x: fx, top, size: style.body, text: figures_label.into(), ink: Ink::Fill });
    b.items.push(Draw::Text {
        x: fx + text_width(font, figures_label, style.body),
        top: top + style.body - total_size,
        size: total_size,
        text: figures,
        ink: Ink::Heavy,
    });
    b.height = top + words.height(LEADING).max(total_size * LEADING / 100) + mm(1);
    b.items.push(Draw::Line { x1: style.left(), y1: b.height, x2: style.right(), y2: b.height, width: 20 });

    let rule = match r.kind {
        ReceiptKind::Payment => ALLOCATION_RULE,
        ReceiptKind::Vend => VEND_RULE,
    };
    let top = b.height + mm(1);
    b.items.push(Draw::Text {
        x: style.left(),
        top,
        size: style.small,
        text: format!("结算规则：{rule}"),
        ink: Ink::Fill,
    });
    b.height = top + style.small * LEADING / 100;

    match &r.tender {
        Tender::Cash { tendered, change } => row(
            &mut b,
            style,
            font,
            [
                Cell::new("付款方式：", "现金", 30),
                Cell::new("实收：", money(*tendered), 35),
                Cell::new("找零：", money(*change), 35),
            ],
            fields,
            false,
        ),
        Tender::Transfer { bank, serial, payer } => {
            // Bank names are long (支行 names run to 20 characters): two rows.
            row(
                &mut b,
                style,
                font,
                [Cell::new("付款方式：", "银行转账", 30), Cell::new("银行：", clean(bank), 70).lines(2)],
                fields,
                false,
            );
            row(
                &mut b,
                style,
                font,
                [Cell::new("流水号：", clean(serial), 45).lines(2), Cell::new("付款人：", clean(payer), 55).lines(2)],
                fields,
                false,
            );
        }
    }
    row(
        &mut b,
        style,
        font,
        [Cell::new("预存余额：", money(r.prepaid_after), 50), Cell::new("校验码：", clean(&r.verification_code), 50)],
        fields,
        false,
    );
    if let Some(approver) = &r.holiday_cash_approved_by {
        let note = format!("节假日现金收费，已经值班长 {} 批准", clean(approver));
        let fitted = fit(font, &note, style.content_width(), &style.sizes(), 1);
        fields.push(("节假日现金批准人", fitted.lines.len()));
        let top = b.height + mm(1);
        for (i, line) in fitted.lines.iter().enumerate() {
            let y = top + i32::try_from(i).unwrap_or(0) * fitted.size * LEADING / 100;
            b.items.push(Draw::Text { x: style.left(), top: y, size: fitted.size, text: line.clone(), ink: Ink::Fill });
        }
        b.height = top + fitted.height(LEADING);
    }
    // Signature lines: room to sign above the rule.
    let top = b.height + mm(4);
    let half = style.content_width() / 2;
    for (i, label) in ["收款人（签章）：", "复核："].into_iter().enumerate() {
        let x = style.left() + i32::try_from(i).unwrap_or(0) * half;
        b.items.push(Draw::Text { x, top, size: style.body, text: label.into(), ink: Ink::Fill });
        let lx = x + text_width(font, label, style.body);
        let baseline = top + style.body;
        b.items.push(Draw::Line { x1: lx, y1: baseline, x2: x + half - mm(6), y2: baseline, width: 15 });
    }
    b.height = top + style.body * LEADING / 100;
    b
}

/// How the table is cut into sheets.
#[derive(Debug)]
struct Plan {
    row_height: Len,
    table_size: Len,
    columns: usize,
    sheets: Vec<SheetPlan>,
}

#[derive(Debug, Clone)]
struct SheetPlan {
    rows: std::ops::Range<usize>,
    foot: bool,
}

/// Height of the title rows (utility, document title) of the first sheet.
fn title_height(style: &Style, parts: &Parts) -> Len {
    parts.utility.height(LEADING).max(style.utility * LEADING / 100) + style.title * LEADING / 100 + mm(1)
}

/// Height of the short head on a continuation sheet: the title row and the receipt number.
fn short_head_height(style: &Style) -> Len {
    style.title * LEADING / 100 + style.body * LEADING / 100 + mm(2)
}

fn plan(parts: &Parts, style: &Style) -> Result<Plan, PrintError> {
    let n = parts.table_rows.len();
    let first_avail = style.bottom() - style.margin_top - title_height(style, parts) - parts.head_rows.height;
    let next_avail = style.bottom() - style.margin_top - short_head_height(style);
    let foot = parts.foot.height + mm(2);
    let too_long = || PrintError::FieldTooLong { field: parts.longest_field() };
    if first_avail <= 0 || next_avail < foot {
        return Err(too_long());
    }
    let header = |row: Len| if n == 0 { 0 } else { row + mm(1) };
    let fits = |avail: Len, row: Len, columns: usize| -> usize {
        let per_column = usize::try_from((avail - header(row)) / row.max(1)).unwrap_or(0);
        per_column * columns
    };
    for (row_height, table_size, columns) in [
        (style.row, style.table, 1),
        (style.row_compact, style.table_compact, 1),
        (style.row_compact, style.table_compact, 2),
    ] {
        if n <= fits(first_avail - foot, row_height, columns) {
            return Ok(Plan { row_height, table_size, columns, sheets: vec![SheetPlan { rows: 0..n, foot: true }] });
        }
    }
    // Continue on further sheets, two compact columns each, the foot on the last.
    let (row_height, table_size, columns) = (style.row_compact, style.table_compact, 2);
    let mut sheets = Vec::new();
    let mut start = 0;
    loop {
        let avail = if sheets.is_empty() { first_avail } else { next_avail };
        let remaining = n - start;
        if remaining <= fits(avail - foot, row_height, columns) {
            sheets.push(SheetPlan { rows: start..n, foot: true });
            break;
        }
        let take = fits(avail, row_height, columns).min(remaining);
        if take == 0 && sheets.len() > 1 {
            return Err(too_long());
        }
        sheets.push(SheetPlan { rows: start..start + take, foot: false });
        start += take;
    }
    Ok(Plan { row_height, table_size, columns, sheets })
}

#[allow(clippy::too_many_arguments, reason = "one call site; the arguments are the sheet's inputs")]
fn draw_sheet(
    r: &Receipt,
    style: &Style,
    font: &CjkFont,
    parts: &Parts,
    plan: &Plan,
    sheet: &SheetPlan,
    copy_label: &str,
    index: usize,
) -> Sheet {
    let mut c = Canvas::new(style.width, style.height);
    let mut y = style.margin_top;
    let first = index == 0;
    let (left, right) = (style.left(), style.right());

    if first {
        let mut ty = y;
        for line in &parts.utility.lines {
            c.text_centred(font, (left, right), ty, parts.utility.size, line, Ink::Fill);
            ty += parts.utility.size * LEADING / 100;
        }
        y += parts.utility.height(LEADING).max(style.utility * LEADING / 100);
    }
    let title_size = if first { style.title } else { style.title * 80 / 100 };
    // A void says so in its title as well as in the stamp: the stamp is drawn at an angle, which
    // text extraction and screen readers split into single characters.
    let title = if r.void { format!("{}（作废）", doc_title(r.kind)) } else { doc_title(r.kind).to_string() };
    c.text_centred(font, (left, right), y, title_size, &title, Ink::Heavy);
    // Side marks, vertically centred on the title.
    let mark_top = y + (title_size - style.body) / 2;
    if !copy_label.is_empty() {
        c.text_right(font, right, mark_top, style.body, copy_label);
    }
    if plan.sheets.len() > 1 {
        let page = format!("第 {}/{} 页", index + 1, plan.sheets.len());
        c.text_right(font, right, mark_top + style.body * LEADING / 100, style.small, &page);
    }
    if let Some(n) = r.reprint {
        let mark = format!("重打（第{n}次）");
        let w = text_width(font, &mark, style.body);
        c.rect(left, mark_top - mm(1), w + mm(3), style.body + mm(2), 30);
        c.text(left + mm(1) + 50, mark_top, style.body, mark);
    }
    y += title_size * LEADING / 100 + mm(1);

    if first {
        parts.head_rows.place(&mut c, y);
        y += parts.head_rows.height;
    } else {
        let no = format!("收据号：{}（续）", clean(&r.receipt_no));
        c.text(left, y, style.body, no);
        y += style.body * LEADING / 100 + mm(1);
        c.hline(left, right, y, 20);
    }

    let rows = &parts.table_rows[sheet.rows.clone()];
    if !rows.is_empty() {
        y = draw_table(&mut c, style, font, plan, rows, y + mm(1));
    }
    if sheet.foot {
        parts.foot.place(&mut c, y + mm(1));
    }
    if r.void {
        c.stamp(font, style.width / 2, style.height / 2, style.stamp, "作废");
    }
    c.sheet
}

/// Draws the table rows in `plan.columns` columns side by side; returns the y below it.
fn draw_table(c: &mut Canvas, style: &Style, font: &CjkFont, plan: &Plan, rows: &[TableRow], top: Len) -> Len {
    let gap = mm(4);
    let columns = i32::try_from(plan.columns).unwrap_or(1).max(1);
    let column_width = (style.content_width() - gap * (columns - 1)) / columns;
    let per_column = rows.len().div_ceil(plan.columns.max(1));
    let size = plan.table_size;
    let rh = plan.row_height;
    let text_top = |row_top: Len| row_top + (rh - size) / 2;
    let mut bottom = top;
    for (col, chunk) in rows.chunks(per_column.max(1)).enumerate() {
        let x0 = style.left() + i32::try_from(col).unwrap_or(0) * (column_width + gap);
        let mut xs = [0; 6];
        xs[0] = x0;
        for i in 0..5 {
            xs[i + 1] = xs[i] + column_width * TABLE_WIDTHS[i] / 100;
        }
        xs[5] = x0 + column_width;
        let pad = mm(1);
        let mut y = top;
        c.hline(x0, xs[5], top, 20);
        // A vend slip has only the 购电金额 row: period columns would be empty noise.
        if !chunk.iter().all(|row| row.spanning) {
            for (i, head) in TABLE_HEADER.iter().enumerate() {
                if i == 0 {
                    c.text(xs[0] + pad, text_top(y), size, *head);
                } else {
                    c.text_right(font, xs[i + 1] - pad, text_top(y), size, head);
                }
            }
            y += rh;
            c.hline(x0, xs[5], y, 15);
        }
        for row in chunk {
            if row.spanning {
                c.text(xs[0] + pad, text_top(y), size, row.cells[0].clone());
            } else {
                for (i, cell) in row.cells.iter().enumerate() {
                    // Figures are never wrapped or cut: an unusually long one is set smaller.
                    let cell_size = shrink_to(font, cell, xs[i + 1] - xs[i] - 2 * pad, size);
                    let t = text_top(y) + (size - cell_size);
                    if i == 0 {
                        c.text(xs[0] + pad, t, cell_size, cell.clone());
                    } else {
                        c.text_right(font, xs[i + 1] - pad, t, cell_size, cell);
                    }
                }
            }
            if row.spanning {
                let text = row.cells[4].clone();
                c.text_right(font, xs[5] - pad, text_top(y), size, &text);
            }
            y += rh;
        }
        c.hline(x0, xs[5], y, 20);
        bottom = bottom.max(y);
    }
    bottom + mm(1)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use rstest::rstest;

    use super::*;
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
            verification_code: "7KQ2M9XD".into(),
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
        for period in ["202508", "202509", "202510"] {
            assert_eq!(text.matches(period).count(), 3, "period {period} on every copy");
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
        assert!(text.contains("5200123456") && text.contains("202510"));
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
            "校验码：7KQ2M9XD",
            "节假日现金收费，已经值班长赵志刚批准",
            "收款人（签章）：",
            "复核：",
        ] {
            assert!(text.contains(&squeeze(expected)), "{expected:?} missing from\n{text}");
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
            assert_eq!(text.matches(&l.period).count(), sheets, "period {} on each copy", l.period);
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
            assert_eq!(text.matches(&l.period).count(), copies, "period {} printed once per copy", l.period);
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
