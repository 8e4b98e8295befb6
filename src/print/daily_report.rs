//! 实收日报 (printed): the day's report of a terminal — per shift, per cashier or for the whole
//! terminal-day, as `reports::daily` builds it — on A4 portrait, for the second person who checks
//! it against the bank slips and the receipt stubs, and signs it off.
//!
//! The report is a flow of bands down as many sheets as it takes (the kit's `paginate`): the
//! first sheet opens with the full head (utility, title, terminal, day, scope, print time and the
//! sign-off), every further sheet with a short one (实收日报（续）); every sheet is numbered 第 i/n
//! 页. In order:
//! - 汇总: by kind and method, then the day's figures under the same names as the CSV export
//!   (合计（不含作废）, 其中现金, 其中转账, 当日作废, 更正（冲销往日收据）, 净额, 减免违约金, 节假日现金,
//!   解款, 长短款), so a person can hold the paper against the spreadsheet line by line;
//! - 收据明细: every receipt of the day, those voided the same day struck through and marked 作废;
//! - 当日作废 and 更正: the voids made that day, of the day's receipts and of earlier days'
//!   (a correction lowers this day's net, as of `reports::daily`);
//! - 减免违约金, 节假日现金 (with the part of the day's deposits that was earlier holiday cash from
//!   the safe), 解款 (each split into from the drawer and from the safe), 长短款 of the shifts closed;
//! - 签核: who signed the terminal-day off and when, or 未签核, and the signature lines.
//!
//! Every table's header is repeated at the top of each sheet it continues on; a section heading
//! never ends a sheet. The figures must agree with the rows or nothing is printed
//! ([`PrintError::Inconsistent`]): each total is worked out again from the rows listed and
//! compared with the report's. A paper that contradicts itself would hide the error the check
//! exists to find.

use serde::{Deserialize, Serialize};

use super::kit::{
    Band, Block, Cell, Fields, Len, Pen, Sheet, Style, Table, clean, fit, flow_sheets, line_height, mm, money,
    paginate, pt10, sheets_to_pdf,
};
use super::{CjkFont, PrintError};
use crate::{
    money::Yuan,
    payments::{Method, PaymentKind},
    reports::{
        daily::{DailyReport, Scope},
        export::scope_zh,
    },
};

/// 签核: who signed the terminal-day off, and when (`YYYY-MM-DD HH:MM:SS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub by: String,
    pub at: String,
}

/// Everything the printed 实收日报 shows: the report as built (or as signed), and its frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReportDoc {
    /// The utility's name, the title line.
    pub utility: String,
    pub report: DailyReport,
    /// The terminal-day's sign-off; `None` prints 未签核. On a shift's or a cashier's report it
    /// is the sign-off of the terminal-day they are part of.
    pub signed: Option<SignOff>,
    /// 打印时间, `YYYY-MM-DD HH:MM:SS`.
    pub printed_at: String,
}

/// Renders the 实收日报 as an A4 portrait PDF of as many sheets as it needs. Refuses a report
/// whose totals are not the sums of its rows.
pub fn render_daily_report(d: &DailyReportDoc, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(d);
    let sheets = layout(d, font)?;
    let title = format!("实收日报 {} {}", clean(&d.report.terminal), d.report.date);
    Ok(sheets_to_pdf(&title, &sheets, font))
}

/// A number of rows and their sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    n: usize,
    sum: Yuan,
}

impl Tally {
    fn add(&mut self, amount: Yuan) {
        self.n += 1;
        self.sum += amount;
    }
}

/// The day's figures worked out from the rows, by [`check_amounts`].
#[derive(Debug, Clone, Default)]
struct Totals {
    counted: Tally,
    cash: Tally,
    transfer: Tally,
    /// The day's receipts voided the same day.
    voided: Tally,
    /// Voids made this day of this day's receipts.
    same_day_voids: Tally,
    /// Voids made this day of earlier days' receipts (更正).
    corrections: Tally,
    waived: Tally,
    holiday: Tally,
    deposits: Tally,
    from_drawer: Yuan,
    /// Shifts closed this day and the sum of their differences.
    closes: Tally,
}

fn inconsistent(r: &DailyReport, detail: String) -> PrintError {
    PrintError::Inconsistent { detail: format!("daily report {} {}: {detail}", r.terminal, r.date) }
}

/// `what`: the report says `stated`, its rows add up to `worked`.
fn agree(r: &DailyReport, what: &str, stated: Yuan, worked: Yuan) -> Result<(), PrintError> {
    if stated == worked {
        Ok(())
    } else {
        Err(inconsistent(r, format!("{what} is {stated} but its rows add up to {worked}")))
    }
}

fn check_amounts(r: &DailyReport) -> Result<Totals, PrintError> {
    let mut t = Totals::default();
    // (kind, method) → what the rows add up to.
    let mut by: Vec<((PaymentKind, Method), Tally)> = Vec::new();
    for x in &r.receipts {
        if !x.amount.is_positive() || x.waived.is_negative() {
            return Err(inconsistent(r, format!("receipt {} of {} (waived {})", x.receipt_no, x.amount, x.waived)));
        }
        if x.holiday_cash && x.method == Method::Transfer {
            return Err(inconsistent(r, format!("{} is holiday cash but paid by transfer", x.receipt_no)));
        }
        if !r.counts(x) {
            t.voided.add(x.amount);
            continue;
        }
        t.counted.add(x.amount);
        match x.method {
            Method::Cash => t.cash.add(x.amount),
            Method::Transfer => t.transfer.add(x.amount),
        }
        if x.waived.is_positive() {
            t.waived.add(x.waived);
        }
        if x.holiday_cash {
            t.holiday.add(x.amount);
        }
        match by.iter_mut().find(|(key, _)| *key == (x.kind, x.method)) {
            Some((_, tally)) => tally.add(x.amount),
            None => {
                let mut tally = Tally::default();
                tally.add(x.amount);
                by.push(((x.kind, x.method), tally));
            }
        }
    }
    for row in &r.totals {
        let worked = by.iter().find(|(key, _)| *key == (row.kind, row.method)).map(|(_, t)| *t).unwrap_or_default();
        if usize::try_from(row.count).ok() != Some(worked.n) || row.amount != worked.sum {
            return Err(inconsistent(
                r,
                format!(
                    "{}{} is {} receipts of {} but the rows are {} of {}",
                    kind_zh(row.kind),
                    method_zh(row.method),
                    row.count,
                    row.amount,
                    worked.n,
                    worked.sum
                ),
            ));
        }
    }
    let by_kind: Yuan = r.totals.iter().map(|row| row.amount).sum();
    agree(r, "the sum of the totals by kind and method", by_kind, t.counted.sum)?;
    agree(r, "the total", r.total, t.counted.sum)?;
    agree(r, "the cash total", r.cash_total, t.cash.sum)?;
    agree(r, "the transfer total", r.transfer_total, t.transfer.sum)?;
    if usize::try_from(r.voided_count).ok() != Some(t.voided.n) {
        return Err(inconsistent(r, format!("{} voided, but {} receipts are", r.voided_count, t.voided.n)));
    }
    agree(r, "the voided amount", r.voided_amount, t.voided.sum)?;
    for v in &r.voids {
        if v.issued_on > r.date {
            return Err(inconsistent(
                r,
                format!("the void of {} precedes its receipt ({})", v.receipt_no, v.issued_on),
            ));
        }
        if v.issued_on < r.date {
            t.corrections.add(v.amount);
        } else {
            t.same_day_voids.add(v.amount);
        }
    }
    agree(r, "the corrections", r.corrections, t.corrections.sum)?;
    agree(r, "the net", r.net, r.total - r.corrections)?;
    agree(r, "the waived late fees", r.waived_total, t.waived.sum)?;
    agree(r, "the holiday cash", r.holiday_cash_total, t.holiday.sum)?;
    for d in &r.deposits {
        if !d.amount.is_positive() || d.from_drawer.is_negative() || d.from_drawer > d.amount {
            return Err(inconsistent(
                r,
                format!(
                    "deposit {}: {} from the drawer is not between 0 and its amount {}",
                    d.slip_no, d.from_drawer, d.amount
                ),
            ));
        }
        t.deposits.add(d.amount);
        t.from_drawer += d.from_drawer;
    }
    agree(r, "the deposits", r.deposits_total, t.deposits.sum)?;
    for c in &r.closes {
        if c.counted - c.expected != c.difference {
            return Err(inconsistent(
                r,
                format!(
                    "shift {}: counted {} − expected {} ≠ difference {}",
                    c.shift_id, c.counted, c.expected, c.difference
                ),
            ));
        }
        t.closes.add(c.difference);
    }
    agree(r, "the over/short", r.over_short, t.closes.sum)?;
    Ok(t)
}

fn kind_zh(k: PaymentKind) -> &'static str {
    match k {
        PaymentKind::Payment => "缴费",
        PaymentKind::Vend => "售电",
    }
}

fn method_zh(m: Method) -> &'static str {
    match m {
        Method::Cash => "现金",
        Method::Transfer => "转账",
    }
}

/// 长款 (over), 短款 (short) or neither, for a difference counted − expected.
fn over_short_zh(difference: Yuan) -> &'static str {
    if difference.is_positive() {
        "长款"
    } else if difference.is_negative() {
        "短款"
    } else {
        "无长短款"
    }
}

/// A4 portrait; tables in smaller type than the body, for the receipt list's ten columns; only
/// the page number beside the title.
const PAPER: Style = Style { table: pt10(85), row: mm(6), side: mm(40), ..Style::A4 };
const LEFT: Len = PAPER.left();
const TOP: Len = PAPER.margin_top;
const BOTTOM: Len = PAPER.bottom();
const CONTENT: Len = PAPER.content_width();
const BODY: Len = PAPER.body;
const SMALL: Len = PAPER.small;
const MIN: Len = PAPER.min;
/// A fitted table cell: on one line in the first size, else on two in the second.
const FITTED: [Len; 2] = [pt10(75), MIN];
/// The sheet's size, which the tests hold every drawing inside.
#[cfg(test)]
const WIDTH: Len = PAPER.width;
#[cfg(test)]
const HEIGHT: Len = PAPER.height;

fn layout(d: &DailyReportDoc, font: &CjkFont) -> Result<Vec<Sheet>, PrintError> {
    let r = &d.report;
    let t = check_amounts(r)?;
    let pen = Pen { font, style: PAPER };
    let head = full_head(d, &pen);
    let short = short_head(d, &pen);
    let mut flow = Flow { font, bands: Vec::new(), headers: Vec::new() };
    summary(r, &t, &mut flow);
    receipts(r, &t, &mut flow);
    voids(r, &t, &mut flow);
    waivers(r, &t, &mut flow);
    holiday_cash(r, &t, &mut flow);
    deposits(r, &t, &mut flow);
    closes(r, &t, &mut flow);
    sign_off(d, &pen, &mut flow);
    let pages = paginate(&flow.bands, &flow.headers, BOTTOM - TOP - head.0.height, BOTTOM - TOP - short.0.height)?;
    Ok(flow_sheets(&pen, &pages, (&head.0, head.1), (&short.0, short.1), &flow.headers, &flow.bands))
}

/// The sign-off in words.
fn signed_zh(d: &DailyReportDoc) -> String {
    match &d.signed {
        Some(s) if d.report.scope == Scope::TerminalDay => format!("已签核：{}　{}", clean(&s.by), clean(&s.at)),
        Some(s) => format!("已签核（终端日报）：{}　{}", clean(&s.by), clean(&s.at)),
        None => "未签核".to_string(),
    }
}

/// The first sheet's head and the top of the page mark within it.
fn full_head(d: &DailyReportDoc, pen: &Pen<'_>) -> (Block, Len) {
    let r = &d.report;
    let mut b = Block::default();
    let utility = pen.utility(&d.utility, &[PAPER.utility, BODY, SMALL]);
    let heading = pen.heading(&mut b, 0, Some((&utility, line_height(PAPER.utility))), "实收日报", PAPER.title, SMALL);
    b.height = heading.below;
    // The head's fields are short and fixed-form: what cannot fit fails on the bands.
    let mut fields = Fields::default();
    pen.row(
        &mut b,
        [
            Cell::new("终端：", clean(&r.terminal), 30).lines(2),
            Cell::new("日期：", r.date.to_string(), 30),
            Cell::new("范围：", clean(&scope_zh(&r.scope)), 40).lines(2),
        ],
        true,
        &mut fields,
    );
    pen.row(
        &mut b,
        [Cell::new("打印：", clean(&d.printed_at), 30), Cell::new("签核：", signed_zh(d), 70).lines(2)],
        false,
        &mut fields,
    );
    b.height += mm(2);
    (b, heading.mark_top)
}

/// A further sheet's head: the title, the terminal, day and scope in one line.
fn short_head(d: &DailyReportDoc, pen: &Pen<'_>) -> (Block, Len) {
    let r = &d.report;
    let mut b = Block::default();
    let heading = pen.heading(&mut b, 0, None, "实收日报（续）", PAPER.title * 80 / 100, SMALL);
    let mut y = heading.below;
    let line = format!("终端：{}　日期：{}　范围：{}", clean(&r.terminal), r.date, clean(&scope_zh(&r.scope)));
    let fitted = fit(pen.font, &line, CONTENT, &[SMALL, MIN], 2);
    y += b.lines(LEFT, y, &fitted) + mm(1);
    b.hline(LEFT, PAPER.right(), y, 20);
    b.height = y + mm(2);
    (b, heading.mark_top)
}

/// The bands of the report and the table headers they repeat.
struct Flow<'a> {
    font: &'a CjkFont,
    bands: Vec<Band>,
    headers: Vec<Block>,
}

/// A column: its name, its share of the width in percent, right-aligned (figures).
type Column = (&'static str, Len, bool);

/// A table section of the report.
struct Section {
    heading: String,
    /// The one line printed instead of an empty table.
    empty: &'static str,
    columns: &'static [Column],
    /// The cell fitted (shrunk, then wrapped: the row grows) rather than only shrunk.
    fitted: usize,
    /// The field named when a row cannot fit even on an empty sheet.
    field: &'static str,
    /// The values of each row, and the column to strike through (a void: listed, counted nowhere).
    rows: Vec<(Vec<String>, Option<usize>)>,
    /// The rows closing the table (its sums).
    foot: Vec<Vec<String>>,
    /// A line under the table.
    note: Option<String>,
}

impl Flow<'_> {
    /// A section heading: 一、汇总 …; it stays with what follows it.
    fn heading(&mut self, text: &str) {
        let mut b = Block::default();
        let top = mm(3);
        b.heavy(LEFT, top, BODY, text);
        b.height = top + line_height(BODY) + mm(1);
        self.bands.push(Band::new(b, "标题").keep());
    }

    /// A line of text across the page.
    fn line(&mut self, text: &str, field: &'static str) {
        let mut b = Block::default();
        let fitted = fit(self.font, text, CONTENT, &[BODY, SMALL, MIN], 2);
        b.height = mm(1) + b.lines(LEFT, mm(1), &fitted) + mm(1);
        self.bands.push(Band::new(b, field));
    }

    fn section(&mut self, s: Section) {
        self.heading(&s.heading);
        if s.rows.is_empty() {
            self.line(s.empty, s.field);
            return;
        }
        let widths: Vec<Len> = s.columns.iter().map(|c| c.1).collect();
        let right: Vec<bool> = s.columns.iter().map(|c| c.2).collect();
        let names: Vec<&str> = s.columns.iter().map(|c| c.0).collect();
        let table = Table::new(LEFT, CONTENT, &widths, &right, PAPER.table, PAPER.row).ruled(5);
        let header = self.headers.len();
        self.headers.push(table.header(self.font, &names));
        // The header is a band of its own the first time, kept with the first row.
        self.bands.push(Band::new(self.headers[header].clone(), s.field).keep());
        for (values, strike) in &s.rows {
            let mut row = table.row_fitted(self.font, values, s.fitted, FITTED);
            if let Some(i) = *strike {
                row.strike(self.font, &table, i, values.get(i).map_or("", String::as_str));
            }
            self.bands.push(Band::new(row.block, s.field).under(header));
        }
        let mut foot = Block::default();
        for values in &s.foot {
            foot.stack(&table.row(self.font, values).block);
        }
        table.close(&mut foot);
        if let Some(note) = &s.note {
            let fitted = fit(self.font, note, CONTENT, &[SMALL, MIN], 2);
            let top = foot.height + mm(1);
            foot.height = top + foot.lines(LEFT, top, &fitted) + mm(1);
        }
        self.bands.push(Band::new(foot, s.field).under(header));
    }
}

fn count(n: usize) -> String {
    format!("{n} 笔")
}

/// 汇总: by kind and method, then the day's figures (module docs), in one band.
fn summary(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    flow.heading("一、汇总");
    let font = flow.font;
    let table =
        Table::new(LEFT, CONTENT, &[30, 12, 22, 36], &[false, true, true, false], PAPER.table, PAPER.row).ruled(5);
    let mut b = table.header(font, &["项目", "笔数", "金额", "说明"]);
    let mut rows: Vec<[String; 4]> = r
        .totals
        .iter()
        .map(|row| {
            [
                format!("{}·{}", kind_zh(row.kind), method_zh(row.method)),
                format!("{} 笔", row.count),
                money(row.amount),
                String::new(),
            ]
        })
        .collect();
    let drawer = money(t.from_drawer);
    let safe = money(t.deposits.sum - t.from_drawer);
    let lines: [(&str, Option<usize>, Yuan, String); 10] = [
        ("合计（不含作废）", Some(t.counted.n), r.total, String::new()),
        ("其中现金", Some(t.cash.n), r.cash_total, String::new()),
        ("其中转账", Some(t.transfer.n), r.transfer_total, String::new()),
        ("当日作废", Some(t.voided.n), r.voided_amount, "本日收据本日作废，不计入合计".into()),
        ("更正（冲销往日收据）", Some(t.corrections.n), r.corrections, "往日收据本日作废".into()),
        ("净额", None, r.net, "合计 − 更正".into()),
        ("减免违约金", Some(t.waived.n), r.waived_total, String::new()),
        ("节假日现金", Some(t.holiday.n), r.holiday_cash_total, String::new()),
        ("解款", Some(t.deposits.n), r.deposits_total, format!("出自钱箱 {drawer}，出自保险柜 {safe}")),
        ("长短款", None, r.over_short, format!("{}（交班 {} 个）", over_short_zh(r.over_short), t.closes.n)),
    ];
    for (label, n, amount, note) in lines {
        rows.push([label.to_string(), n.map(count).unwrap_or_default(), money(amount), note]);
    }
    for values in rows {
        b.stack(&table.row(font, &values).block);
    }
    table.close(&mut b);
    b.height += mm(1);
    flow.bands.push(Band::new(b, "汇总"));
}

const RECEIPT_COLUMNS: [Column; 10] = [
    ("序号", 5, true),
    ("收据号", 17, false),
    ("时间", 8, false),
    ("类型", 5, false),
    ("方式", 5, false),
    ("户号", 11, false),
    ("户名", 17, false),
    ("收费员", 9, false),
    ("金额", 11, true),
    ("备注", 12, false),
];
const RECEIPT_NAME: usize = 6;
const RECEIPT_AMOUNT: usize = 8;

fn receipts(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows = r
        .receipts
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let counts = r.counts(x);
            let mut marks = Vec::new();
            if !counts {
                marks.push("作废".to_string());
            }
            if x.waived.is_positive() {
                marks.push(format!("减免 {}", money(x.waived)));
            }
            if x.holiday_cash {
                marks.push("节假日现金".to_string());
            }
            let values = vec![
                (i + 1).to_string(),
                clean(&x.receipt_no),
                clean(&x.at),
                kind_zh(x.kind).to_string(),
                method_zh(x.method).to_string(),
                clean(&x.account_no),
                clean(&x.name),
                clean(&x.cashier),
                money(x.amount),
                marks.join("、"),
            ];
            (values, (!counts).then_some(RECEIPT_AMOUNT))
        })
        .collect();
    let mut foot = vec![String::new(); RECEIPT_COLUMNS.len()];
    foot[1] = "收据合计（不含作废）".into();
    foot[RECEIPT_AMOUNT] = money(t.counted.sum);
    foot[RECEIPT_AMOUNT + 1] = count(t.counted.n);
    flow.section(Section {
        heading: format!("二、收据明细（{} 笔）", r.receipts.len()),
        empty: "本日无收据。",
        columns: &RECEIPT_COLUMNS,
        fitted: RECEIPT_NAME,
        field: "户名",
        rows,
        foot: vec![foot],
        note: (t.voided.n > 0)
            .then(|| format!("作废 {} 笔，共 {}：划线列示，不计入合计。", t.voided.n, money(t.voided.sum))),
    });
}

const VOID_COLUMNS: [Column; 9] = [
    ("序号", 5, true),
    ("收据号", 17, false),
    ("原收据日期", 11, false),
    ("作废时间", 9, false),
    ("方式", 5, false),
    ("金额", 11, true),
    ("原因", 22, false),
    ("收费员", 10, false),
    ("批准人", 10, false),
];
const VOID_REASON: usize = 6;
const VOID_AMOUNT: usize = 5;

/// 当日作废 and 更正: the day's voids, of its own receipts and of earlier days'.
fn voids(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows = |correction: bool| -> Vec<(Vec<String>, Option<usize>)> {
        r.voids
            .iter()
            .filter(|v| (v.issued_on < r.date) == correction)
            .enumerate()
            .map(|(i, v)| {
                let values = vec![
                    (i + 1).to_string(),
                    clean(&v.receipt_no),
                    v.issued_on.to_string(),
                    clean(&v.at),
                    method_zh(v.method).to_string(),
                    money(v.amount),
                    clean(&v.reason),
                    clean(&v.cashier),
                    clean(&v.approved_by),
                ];
                (values, None)
            })
            .collect()
    };
    let foot = |label: &str, tally: Tally| {
        let mut foot = vec![String::new(); VOID_COLUMNS.len()];
        foot[1] = label.to_string();
        foot[3] = count(tally.n);
        foot[VOID_AMOUNT] = money(tally.sum);
        foot
    };
    let same_day = rows(false);
    flow.section(Section {
        heading: format!("三、当日作废（{} 笔）", same_day.len()),
        empty: "本日无作废。",
        columns: &VOID_COLUMNS,
        fitted: VOID_REASON,
        field: "作废原因",
        rows: same_day,
        foot: vec![foot("当日作废合计", t.same_day_voids)],
        note: None,
    });
    let corrections = rows(true);
    flow.section(Section {
        heading: format!("四、更正：往日收据本日作废（{} 笔）", corrections.len()),
        empty: "本日无更正。",
        columns: &VOID_COLUMNS,
        fitted: VOID_REASON,
        field: "作废原因",
        rows: corrections,
        foot: vec![foot("更正合计", t.corrections)],
        note: Some(format!(
            "净额 = 合计（不含作废）{} − 更正 {} = {}；原收据日的日报不变。",
            money(r.total),
            money(r.corrections),
            money(r.net)
        )),
    });
}

const WAIVER_COLUMNS: [Column; 7] = [
    ("序号", 5, true),
    ("收据号", 19, false),
    ("户号", 12, false),
    ("户名", 18, false),
    ("收费员", 10, false),
    ("减免违约金", 12, true),
    ("原因", 24, false),
];

fn waivers(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows: Vec<(Vec<String>, Option<usize>)> = r
        .receipts
        .iter()
        .filter(|x| r.counts(x) && x.waived.is_positive())
        .enumerate()
        .map(|(i, x)| {
            let values = vec![
                (i + 1).to_string(),
                clean(&x.receipt_no),
                clean(&x.account_no),
                clean(&x.name),
                clean(&x.cashier),
                money(x.waived),
                x.waiver_reason.as_deref().map(clean).unwrap_or_default(),
            ];
            (values, None)
        })
        .collect();
    let mut foot = vec![String::new(); WAIVER_COLUMNS.len()];
    foot[1] = "减免合计".into();
    foot[2] = count(t.waived.n);
    foot[5] = money(t.waived.sum);
    flow.section(Section {
        heading: format!("五、减免违约金（{} 笔）", rows.len()),
        empty: "本日无减免。",
        columns: &WAIVER_COLUMNS,
        fitted: 6,
        field: "减免原因",
        rows,
        foot: vec![foot],
        note: None,
    });
}

const HOLIDAY_COLUMNS: [Column; 7] = [
    ("序号", 5, true),
    ("收据号", 20, false),
    ("时间", 10, false),
    ("户号", 13, false),
    ("户名", 28, false),
    ("收费员", 11, false),
    ("金额", 13, true),
];

/// 节假日现金: the day's holiday cash, and the part of the day's deposits that paid earlier
/// holiday cash into the bank from the safe.
fn holiday_cash(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows: Vec<(Vec<String>, Option<usize>)> = r
        .receipts
        .iter()
        .filter(|x| r.counts(x) && x.holiday_cash)
        .enumerate()
        .map(|(i, x)| {
            let values = vec![
                (i + 1).to_string(),
                clean(&x.receipt_no),
                clean(&x.at),
                clean(&x.account_no),
                clean(&x.name),
                clean(&x.cashier),
                money(x.amount),
            ];
            (values, None)
        })
        .collect();
    let safe = t.deposits.sum - t.from_drawer;
    let deposited = format!("本日解款中出自保险柜（往日节假日现金）{}。", money(safe));
    if rows.is_empty() {
        flow.heading("六、节假日现金（0 笔）");
        flow.line(&format!("本日无节假日现金。{deposited}"), "节假日现金");
        return;
    }
    let mut foot = vec![String::new(); HOLIDAY_COLUMNS.len()];
    foot[1] = "节假日现金合计".into();
    foot[2] = count(t.holiday.n);
    foot[6] = money(t.holiday.sum);
    flow.section(Section {
        heading: format!("六、节假日现金（{} 笔）", rows.len()),
        empty: "",
        columns: &HOLIDAY_COLUMNS,
        fitted: 4,
        field: "户名",
        rows,
        foot: vec![foot],
        note: Some(format!("节假日现金于下一工作日解款，未解款前存放保险柜。{deposited}")),
    });
}

const DEPOSIT_COLUMNS: [Column; 8] = [
    ("序号", 5, true),
    ("时间", 9, false),
    ("收费员", 10, false),
    ("缴存银行", 24, false),
    ("解款单号", 16, false),
    ("解款金额", 12, true),
    ("出自钱箱", 12, true),
    ("出自保险柜", 12, true),
];

fn deposits(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows = r
        .deposits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let values = vec![
                (i + 1).to_string(),
                clean(&d.at),
                clean(&d.cashier),
                clean(&d.bank),
                clean(&d.slip_no),
                money(d.amount),
                money(d.from_drawer),
                money(d.amount - d.from_drawer),
            ];
            (values, None)
        })
        .collect();
    let foot = vec![
        String::new(),
        "解款合计".into(),
        count(t.deposits.n),
        String::new(),
        String::new(),
        money(t.deposits.sum),
        money(t.from_drawer),
        money(t.deposits.sum - t.from_drawer),
    ];
    flow.section(Section {
        heading: format!("七、解款（{} 笔）", r.deposits.len()),
        empty: "本日无解款。",
        columns: &DEPOSIT_COLUMNS,
        fitted: 3,
        field: "缴存银行",
        rows,
        foot: vec![foot],
        note: Some("解款在账务中心确认银行到账前为在途；各笔状态见解款单。".into()),
    });
}

const CLOSE_COLUMNS: [Column; 8] = [
    ("班次", 7, true),
    ("收费员", 11, false),
    ("应有现金", 13, true),
    ("实点现金", 13, true),
    ("差额", 12, true),
    ("长/短", 8, false),
    ("原因", 24, false),
    ("批准人", 12, false),
];

fn closes(r: &DailyReport, t: &Totals, flow: &mut Flow<'_>) {
    let rows = r
        .closes
        .iter()
        .map(|c| {
            let values = vec![
                c.shift_id.to_string(),
                clean(&c.cashier),
                money(c.expected),
                money(c.counted),
                money(c.difference),
                over_short_zh(c.difference).to_string(),
                c.reason.as_deref().map(clean).unwrap_or_default(),
                c.approved_by.as_deref().map(clean).unwrap_or_default(),
            ];
            (values, None)
        })
        .collect();
    let foot = vec![
        String::new(),
        "长短款合计".into(),
        String::new(),
        String::new(),
        money(t.closes.sum),
        over_short_zh(t.closes.sum).to_string(),
        String::new(),
        String::new(),
    ];
    flow.section(Section {
        heading: format!("八、长短款（交班 {} 个）", r.closes.len()),
        empty: "本日无交班。",
        columns: &CLOSE_COLUMNS,
        fitted: 6,
        field: "差额原因",
        rows,
        foot: vec![foot],
        note: None,
    });
}

/// 签核: the sign-off, or 未签核, and the signature lines; kept together.
fn sign_off(d: &DailyReportDoc, pen: &Pen<'_>, flow: &mut Flow<'_>) {
    flow.heading("九、签核");
    let mut b = Block::default();
    let mut y = mm(1);
    let fitted = fit(pen.font, &signed_zh(d), CONTENT, &[BODY, SMALL, MIN], 2);
    y += b.lines(LEFT, y, &fitted) + mm(1);
    let note = if d.signed.is_some() {
        "签核后本日报不再变动；其后的作废列入作废当日日报的“更正”。"
    } else {
        "复核人核对解款单、银行回单及收据存根后签核。"
    };
    let fitted = fit(pen.font, note, CONTENT, &[SMALL, MIN], 2);
    y += b.lines(LEFT, y, &fitted) + mm(10);
    pen.signatures(&mut b, y, &["收款员（签章）：", "复核人（签章）：", "签核人（签章）："], mm(5));
    b.height = y + line_height(BODY);
    flow.bands.push(Band::new(b, "签核"));
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use chrono::NaiveDate;
    use rstest::rstest;

    use super::*;
    use crate::print::layout::{Draw, text_width};
    use crate::print::testing::{font, poppler};
    use crate::reports::daily::{self, CloseRow, DayRows, DepositRow, ReceiptRow, VoidRow};

    fn y(s: &str) -> Yuan {
        match s.strip_prefix('-') {
            Some(rest) => -Yuan::parse(rest).unwrap(),
            None => Yuan::parse(s).unwrap(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn receipt(no: u32, kind: PaymentKind, method: Method, amount: &str) -> ReceiptRow {
        ReceiptRow {
            receipt_no: format!("GY01-03-2026-{no:06}"),
            at: format!("{:02}:{:02}:05", 8 + no / 60 % 10, no % 60),
            kind,
            method,
            account_no: format!("{}", 3_100_000_000_u64 + u64::from(no)),
            name: "张建国".into(),
            cashier: "cashier1".into(),
            amount: y(amount),
            waived: Yuan::ZERO,
            waiver_reason: None,
            holiday_cash: false,
            voided_on: None,
        }
    }

    /// 2026-03-02 at GY01-03: cash 100.00 and 1,234.56 (of which 12.30 late fee waived), a 50.00
    /// voided the same day, a 500.00 transfer vend, a 300.00 holiday-cash vend; yesterday's
    /// 200.00 voided today (a correction); 1,000.00 deposited, 200.00 of it earlier holiday cash
    /// from the safe; one shift closed 100.00 short.
    fn rows() -> DayRows {
        let mut waived = receipt(2, PaymentKind::Payment, Method::Cash, "1234.56");
        waived.waived = y("12.30");
        waived.waiver_reason = Some("系统故障致逾期".into());
        let mut voided = receipt(3, PaymentKind::Payment, Method::Cash, "50.00");
        voided.voided_on = Some(day("2026-03-02"));
        let mut holiday = receipt(5, PaymentKind::Vend, Method::Cash, "300.00");
        holiday.holiday_cash = true;
        holiday.name = "贵州黔茂商贸有限公司".into();
        DayRows {
            receipts: vec![
                receipt(1, PaymentKind::Payment, Method::Cash, "100.00"),
                waived,
                voided,
                receipt(4, PaymentKind::Vend, Method::Transfer, "500.00"),
                holiday,
            ],
            voids: vec![
                VoidRow {
                    receipt_no: "GY01-03-2026-000003".into(),
                    issued_on: day("2026-03-02"),
                    at: "10:30:00".into(),
                    method: Method::Cash,
                    amount: y("50.00"),
                    reason: "收错户号".into(),
                    cashier: "cashier1".into(),
                    approved_by: "super1".into(),
                },
                VoidRow {
                    receipt_no: "GY01-03-2026-000000".into(),
                    issued_on: day("2026-03-01"),
                    at: "09:00:00".into(),
                    method: Method::Cash,
                    amount: y("200.00"),
                    reason: "重复收费".into(),
                    cashier: "cashier1".into(),
                    approved_by: "super1".into(),
                },
            ],
            deposits: vec![DepositRow {
                slip_no: "JK0001".into(),
                bank: "中国工商银行".into(),
                at: "16:00:00".into(),
                cashier: "cashier1".into(),
                amount: y("1000.00"),
                from_drawer: y("800.00"),
            }],
            closes: vec![CloseRow {
                shift_id: 7,
                cashier: "cashier1".into(),
                expected: y("934.56"),
                counted: y("834.56"),
                difference: y("-100.00"),
                reason: Some("点错".into()),
                approved_by: Some("super1".into()),
            }],
        }
    }

    fn doc() -> DailyReportDoc {
        DailyReportDoc {
            utility: "国网贵州省电力有限公司贵阳供电局".into(),
            report: daily::build("GY01-03", day("2026-03-02"), Scope::TerminalDay, rows()),
            signed: None,
            printed_at: "2026-03-02 18:00:00".into(),
        }
    }

    fn many(n: u32) -> DailyReportDoc {
        let receipts: Vec<ReceiptRow> =
            (0..n).map(|i| receipt(100 + i, PaymentKind::Payment, Method::Cash, "100.00")).collect();
        let mut d = doc();
        d.report = daily::build("GY01-03", day("2026-03-02"), Scope::TerminalDay, DayRows { receipts, ..rows() });
        d
    }

    struct Rendered {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    impl Rendered {
        fn squeezed(&self) -> String {
            squeeze(&poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &self.path))
        }
        fn page(&self, i: usize) -> String {
            let i = i.to_string();
            squeeze(&poppler("pdftotext", &["-layout", "-enc", "UTF-8", "-f", &i, "-l", &i], &self.path))
        }
        fn pages(&self) -> usize {
            let info = poppler("pdfinfo", &[], &self.path);
            let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("pdfinfo prints Pages");
            pages.trim().parse().unwrap()
        }
    }

    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn render(d: &DailyReportDoc) -> Rendered {
        let pdf = render_daily_report(d, font()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daily.pdf");
        std::fs::write(&path, &pdf).unwrap();
        Rendered { _dir: dir, path }
    }

    #[test]
    fn the_report_prints_its_head_totals_sections_and_that_it_is_not_signed() {
        let d = doc();
        let out = render(&d);
        assert_eq!(out.pages(), 2, "nine sections of a small day on two sheets");
        let text = out.squeezed();
        let list = text.split("二、收据明细").nth(1).and_then(|t| t.split("三、当日作废").next()).unwrap();
        for r in &d.report.receipts {
            assert_eq!(list.matches(&r.receipt_no).count(), 1, "{} listed once:\n{list}", r.receipt_no);
        }
        for expected in [
            "国网贵州省电力有限公司贵阳供电局",
            "实收日报",
            "第1/2页",
            "终端：GY01-03",
            "日期：2026-03-02",
            "范围：全终端",
            "签核：未签核",
            // By kind and method, then the day's figures under the CSV's names.
            "缴费·现金2笔¥1,334.56",
            "售电·现金1笔¥300.00",
            "售电·转账1笔¥500.00",
            "合计（不含作废）4笔¥2,134.56",
            "其中现金3笔¥1,634.56",
            "当日作废1笔¥50.00",
            "更正（冲销往日收据）1笔¥200.00",
            "净额¥1,934.56",
            "减免违约金1笔¥12.30",
            "节假日现金1笔¥300.00",
            "解款1笔¥1,000.00出自钱箱¥800.00，出自保险柜¥200.00",
            "长短款-¥100.00短款（交班1个）",
            // The sections.
            "减免¥12.30",
            "作废1笔，共¥50.00",
            "收错户号",
            "GY01-03-2026-0000002026-03-01",
            "更正合计1笔¥200.00",
            "净额=合计（不含作废）¥2,134.56−更正¥200.00=¥1,934.56",
            "系统故障致逾期",
            "节假日现金合计1笔¥300.00",
            "本日解款中出自保险柜（往日节假日现金）¥200.00",
            "JK0001",
            "解款合计1笔¥1,000.00¥800.00¥200.00",
            "点错",
            "长短款合计-¥100.00短款",
            "九、签核未签核",
            "复核人（签章）：",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[rstest]
    #[case::terminal_day(Scope::TerminalDay, "签核：已签核：赵志刚2026-03-0218:30:00")]
    #[case::a_cashier(Scope::Cashier { username: "cashier1".into() }, "签核：已签核（终端日报）：赵志刚")]
    fn a_signed_report_says_who_signed_it_and_when(#[case] scope: Scope, #[case] shown: &str) {
        let mut d = doc();
        d.report.scope = scope;
        d.signed = Some(SignOff { by: "赵志刚".into(), at: "2026-03-02 18:30:00".into() });
        let text = render(&d).squeezed();
        assert!(text.contains(shown), "{shown:?} missing from\n{text}");
        assert!(text.contains("签核后本日报不再变动"), "{text}");
        assert!(!text.contains("未签核"), "{text}");
    }

    #[test]
    fn an_empty_day_prints_every_section_as_empty() {
        let mut d = doc();
        d.report = daily::build("GY01-03", day("2026-03-07"), Scope::Shift { shift_id: 9 }, DayRows::default());
        let text = render(&d).squeezed();
        for expected in [
            "范围：班次9",
            "合计（不含作废）0笔¥0.00",
            "本日无收据。",
            "本日无作废。",
            "本日无更正。",
            "本日无减免。",
            "本日无节假日现金。",
            "本日无解款。",
            "本日无交班。",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn a_long_day_continues_on_numbered_sheets_with_the_header_repeated() {
        let d = many(150);
        let out = render(&d);
        let n = out.pages();
        assert!(n >= 3, "{n} pages");
        let mut receipt_pages = 0;
        for i in 1..=n {
            let page = out.page(i);
            assert!(page.contains(&format!("第{i}/{n}页")), "page {i} is numbered:\n{page}");
            if i > 1 {
                assert!(page.contains("实收日报（续）") && page.contains("终端：GY01-03日期：2026-03-02"), "{page}");
                if d.report.receipts.iter().any(|r| page.contains(&r.receipt_no)) {
                    receipt_pages += 1;
                    assert!(page.contains("序号收据号时间类型方式户号户名收费员金额备注"), "page {i}: {page}");
                }
            }
        }
        assert!(receipt_pages >= 2, "the receipt list continues over sheets: {receipt_pages}");
        let text = out.squeezed();
        for r in &d.report.receipts {
            assert_eq!(text.matches(&r.receipt_no).count(), 1, "{} printed once", r.receipt_no);
        }
        assert!(text.contains("收据合计（不含作废）¥15,000.00150笔"), "{text}");
    }

    #[test]
    fn nothing_is_drawn_outside_the_margins() {
        let mut long = doc();
        long.utility = "国网某某省电力有限公司某某市供电分公司某某县供电局城区供电所营业厅".repeat(2);
        for r in &mut long.report.receipts {
            r.name = "贵州省贵阳市观山湖区某某某某房地产开发有限责任公司第三物业管理分公司".repeat(2);
            r.receipt_no = "GY01-03-2026-000123-REPRINT-ARCHIVE".into();
            r.cashier = "阿卜杜热合曼·买买提依明".into();
        }
        long.report.voids[1].reason = "收款时误收，客户要求退回后重新缴费，经值班长核实同意。".repeat(3);
        long.report.deposits[0].bank = "中国农业银行股份有限公司贵州省分行营业部观山湖区金阳南路支行".repeat(2);
        long.report.closes[0].reason = Some("找零差错".repeat(20));
        long.signed = Some(SignOff { by: "欧阳".repeat(30), at: "2026-03-02 18:30:00".into() });
        for (name, d) in [("long texts", long), ("many", many(300))] {
            let sheets = layout(&d, font()).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (i, sheet) in sheets.iter().enumerate() {
                assert_eq!((sheet.width, sheet.height), (WIDTH, HEIGHT));
                for item in &sheet.items {
                    match item {
                        Draw::Text { x, top, size, text, .. } => {
                            let right = x + text_width(font(), text, *size);
                            assert!(*x >= LEFT && right <= PAPER.right(), "{name} {i}: {text:?} runs {x}..{right}");
                            assert!(*top >= TOP && top + size <= BOTTOM, "{name} sheet {i}: {text:?} at {top}");
                        }
                        Draw::Line { x1, y1, x2, y2, .. } => {
                            assert!(*x1 >= LEFT && *x2 <= PAPER.right() && *y1 >= TOP && *y2 <= BOTTOM, "{name} {i}");
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[rstest]
    #[case::total(|r: &mut DailyReport| r.total += y("0.01"), "the total")]
    #[case::by_kind(|r: &mut DailyReport| r.totals[0].amount += y("0.01"), "缴费现金")]
    #[case::by_kind_count(|r: &mut DailyReport| r.totals[2].count += 1, "售电现金")]
    #[case::cash(|r: &mut DailyReport| r.cash_total = r.total, "the cash total")]
    #[case::voided_counted(|r: &mut DailyReport| r.receipts[2].voided_on = None, "缴费现金 is 2 receipts")]
    #[case::corrections(|r: &mut DailyReport| r.corrections = Yuan::ZERO, "the corrections")]
    #[case::net(|r: &mut DailyReport| r.net = r.total, "the net")]
    #[case::waived(|r: &mut DailyReport| r.receipts[1].waived = y("1.00"), "the waived late fees")]
    #[case::holiday(|r: &mut DailyReport| r.receipts[4].holiday_cash = false, "the holiday cash")]
    #[case::holiday_transfer(|r: &mut DailyReport| r.receipts[3].holiday_cash = true, "paid by transfer")]
    #[case::deposit_missing(|r: &mut DailyReport| { r.deposits.clear(); }, "the deposits")]
    #[case::drawer_part(|r: &mut DailyReport| r.deposits[0].from_drawer = y("1000.01"), "from the drawer")]
    #[case::close(|r: &mut DailyReport| r.closes[0].counted = y("900.00"), "shift 7")]
    #[case::over_short(|r: &mut DailyReport| r.over_short = Yuan::ZERO, "the over/short")]
    #[case::void_before_receipt(|r: &mut DailyReport| r.voids[0].issued_on = day("2026-03-03"), "precedes")]
    fn a_report_that_does_not_add_up_is_refused(#[case] spoil: fn(&mut DailyReport), #[case] says: &str) {
        let mut d = doc();
        spoil(&mut d.report);
        let err = match render_daily_report(&d, font()) {
            Ok(pdf) => panic!("expected a refusal, got {} bytes", pdf.len()),
            Err(e) => e,
        };
        assert_eq!(err.code(), "PRINT_RECEIPT_INCONSISTENT", "{err}");
        assert!(err.to_string().contains(says) && err.to_string().contains("daily report GY01-03"), "{err}");
    }

    /// Writes PNGs of a short and a long report to $CASHDESK_PRINT_PREVIEW_DIR.
    #[test]
    fn preview_pngs_when_asked() {
        let Some(dir) = std::env::var_os("CASHDESK_PRINT_PREVIEW_DIR") else {
            eprintln!("skipped: set CASHDESK_PRINT_PREVIEW_DIR to write preview PNGs");
            return;
        };
        for (name, d) in [("daily", doc()), ("daily150", many(150))] {
            let pdf = Path::new(&dir).join(format!("{name}.pdf"));
            std::fs::write(&pdf, render_daily_report(&d, font()).unwrap()).unwrap();
            let status = std::process::Command::new("pdftoppm")
                .args(["-png", "-r", "60"])
                .arg(&pdf)
                .arg(Path::new(&dir).join(name))
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}
