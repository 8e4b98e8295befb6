//! 收费日报: the shift report, printed on A4 portrait at the end of a shift (or during it, for a look
//! at the figures so far) and handed over with the bank slips and the receipt stubs.
//!
//! The report is laid out as a flow of bands (rows, headings, sections) down as many sheets as it
//! takes: the first sheet opens with the full head (utility, title, terminal, cashier, shift, open
//! and close times), every further sheet with a short head (收费日报（续）and the shift); every sheet
//! carries 第 i/n 页 beside its title. In order:
//! - 收费明细: every payment and vend of the shift in order, voided ones included, struck through
//!   and marked 作废; holiday cash is marked 节假日现金. The column header is repeated at the top of
//!   every sheet the table continues on. 户名 is fitted (shrunk, then wrapped: the row grows);
//!   receipt and account numbers and figures are never wrapped, only set smaller.
//! - 汇总: 现金合计, of which 节假日现金, 转账合计 and 合计 (count and sum), all without the voided
//!   ones, which are shown apart as 作废 n 笔.
//! - 解款: every deposit (time, bank, slip number, amount, the part taken from this drawer) and the
//!   total. A deposit may also carry earlier shifts' holiday cash from the safe, which never was in
//!   this drawer: only the drawer's part enters the reconciliation.
//! - 现金核对: 备用金 + 现金实收 − 解款（出自钱箱）= 应有现金; 实点现金 with the count by denomination
//!   beside it; 差额 as 长款 (over) or 短款 (short), its reason and the approving supervisor.
//! - signature lines 收款员 / 复核人 / 日期.
//!
//! A section is never split across sheets (a heading stays with what follows it); only the tables
//! break between rows: each row is a band of the kit's flow (`kit::paginate`), under its table's
//! header.
//!
//! The figures must agree or nothing is printed ([`PrintError::Inconsistent`]): 应有现金 = 备用金 +
//! non-voided cash − drawer part of the deposits; 实点现金 = Σ denomination × pieces; 差额 = 实点现金 −
//! 应有现金. The report is what a second person checks the drawer and the bank slips against; a
//! report that contradicts itself would hide the error it exists to find.

use serde::{Deserialize, Serialize};

use super::kit::{
    Band, Block, Cell, Fields, Ink, Len, Pen, Placed, Sheet, Style, Table, clean, fit, line_height, mm, money,
    paginate, pt10, sheets_to_pdf, shrink_to, text_width,
};
use super::{CjkFont, PrintError, ReceiptKind};
use crate::money::Yuan;

/// How a transaction on the report was paid (方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TransactionMethod {
    /// 现金: the amount kept (tendered − change) went into the drawer.
    Cash,
    /// 转账: paid against a registered bank-transfer voucher.
    Transfer,
}

/// One payment or vend of the shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ShiftTransaction {
    /// 收据号.
    pub receipt_no: String,
    /// 时间, `HH:MM:SS`.
    pub at: String,
    /// 缴费 (payment) or 售电 (vend).
    pub kind: ReceiptKind,
    /// 户号.
    pub account_no: String,
    /// 户名.
    pub name: String,
    pub method: TransactionMethod,
    /// 金额: the amount received (for cash, what was kept: tendered − change).
    pub amount: Yuan,
    /// Voided (作废) in this shift: listed, but counted in no total and not in the drawer.
    pub voided: bool,
    /// Holiday cash (节假日现金): cash taken for a bank-first vend on a non-working day.
    pub holiday_cash: bool,
}

/// One deposit (解款) recorded in the shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ShiftDeposit {
    /// 缴存银行.
    pub bank: String,
    /// 解款单号: the bank slip's number.
    pub slip_no: String,
    /// 解款金额: the amount on the bank slip.
    pub amount: Yuan,
    /// The part of `amount` that came out of this shift's drawer; the rest is earlier shifts'
    /// holiday cash kept in the safe. Equal to `amount` for an ordinary deposit.
    pub from_drawer: Yuan,
    /// 解款时间, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
}

/// Everything printed on a shift report: a snapshot of the shift and its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ShiftReport {
    /// The utility's name, the report's title line.
    pub utility: String,
    /// 收费终端.
    pub terminal: String,
    /// 收款员.
    pub cashier: String,
    /// 班次号. Small row ids: a JSON number, not a TypeScript bigint.
    #[ts(type = "number")]
    pub shift_id: i64,
    /// 开班时间, `YYYY-MM-DD HH:MM:SS`.
    pub opened_at: String,
    /// 结班时间; `None` while the shift is open (printed 未结班).
    pub closed_at: Option<String>,
    /// 备用金.
    pub float: Yuan,
    /// Every payment and vend of the shift, in order, voided ones included.
    pub transactions: Vec<ShiftTransaction>,
    /// Every deposit (解款) of the shift, in order.
    pub deposits: Vec<ShiftDeposit>,
    /// 应有现金: float + non-voided cash − the deposits' drawer part; `None` on a report of an
    /// open shift printed for its cashier (the count is blind: printed 交班后显示).
    pub expected_cash: Option<Yuan>,
    /// 实点现金: the blind count at close; `None` before the count.
    pub counted_cash: Option<Yuan>,
    /// 差额 = counted − expected: positive 长款, negative 短款; `Some` exactly when counted.
    pub difference: Option<Yuan>,
    /// Why the drawer was over or short, as entered at close.
    pub difference_reason: Option<String>,
    /// The supervisor (值班长) who approved the difference.
    pub approved_by: Option<String>,
    /// The count by denomination: label as in [`crate::shifts::CashCount::to_json`] (`"100.00"`)
    /// and pieces, largest first; empty before the count.
    pub count: Vec<(String, u32)>,
    /// 盲点记录: every count submitted at close, the first first; `matches` is `None` where the
    /// reader may not know it yet (a cashier, before the close).
    pub count_attempts: Vec<crate::shifts::CountAttempt>,
    /// 打印时间, `YYYY-MM-DD HH:MM:SS`.
    pub printed_at: String,
}

/// Renders the shift report as an A4 portrait PDF of as many sheets as it needs. Refuses a report
/// whose figures do not agree.
pub fn render_shift_report(r: &ShiftReport, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(r);
    let sheets = layout_report(r, font)?;
    let title = format!("收费日报 {} 第{}班", clean(&r.terminal), r.shift_id);
    Ok(sheets_to_pdf(&title, &sheets, font))
}

/// Counts and sums of the report, computed once by [`check_amounts`] and printed as computed.
#[derive(Debug, Clone, Default)]
struct Totals {
    cash: Tally,
    holiday: Tally,
    transfer: Tally,
    all: Tally,
    voided: Tally,
    deposits: Tally,
    from_drawer: Yuan,
    /// (label, pieces, amount) per denomination.
    count: Vec<(String, u32, Yuan)>,
    count_total: Yuan,
}

/// A number of transactions and their sum.
#[derive(Debug, Clone, Copy, Default)]
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

fn inconsistent(detail: String) -> PrintError {
    PrintError::Inconsistent { detail: format!("shift report: {detail}") }
}

fn check_amounts(r: &ShiftReport) -> Result<Totals, PrintError> {
    let mut t = Totals::default();
    for tx in &r.transactions {
        if tx.holiday_cash && tx.method == TransactionMethod::Transfer {
            return Err(inconsistent(format!("{} is holiday cash but paid by transfer", tx.receipt_no)));
        }
        if tx.voided {
            t.voided.add(tx.amount);
            continue;
        }
        t.all.add(tx.amount);
        match tx.method {
            TransactionMethod::Cash => t.cash.add(tx.amount),
            TransactionMethod::Transfer => t.transfer.add(tx.amount),
        }
        if tx.holiday_cash {
            t.holiday.add(tx.amount);
        }
    }
    for d in &r.deposits {
        if d.from_drawer.is_negative() || d.from_drawer > d.amount {
            return Err(inconsistent(format!(
                "deposit {}: {} from the drawer is not between 0 and its amount {}",
                d.slip_no, d.from_drawer, d.amount
            )));
        }
        t.deposits.add(d.amount);
        t.from_drawer += d.from_drawer;
    }
    let expected = r.float + t.cash.sum - t.from_drawer;
    if let Some(stated) = r.expected_cash
        && expected != stated
    {
        return Err(inconsistent(format!(
            "float {} + cash {} − deposited {} = {expected} ≠ expected cash {stated}",
            r.float, t.cash.sum, t.from_drawer
        )));
    }
    if r.expected_cash.is_none() && r.counted_cash.is_some() {
        return Err(inconsistent("a closed shift's report states its expected cash".into()));
    }
    let mut count_fen: i64 = 0;
    for (label, pieces) in &r.count {
        let denomination =
            Yuan::parse(label).map_err(|_| inconsistent(format!("the denomination {label:?} is not an amount")))?;
        let fen = denomination.fen().checked_mul(i64::from(*pieces));
        let sum = fen.and_then(|f| count_fen.checked_add(f));
        let (Some(fen), Some(sum)) = (fen, sum) else {
            return Err(inconsistent(format!("{pieces} pieces of {label} is beyond any amount")));
        };
        count_fen = sum;
        t.count.push((label.clone(), *pieces, Yuan::from_fen(fen)));
    }
    t.count_total = Yuan::from_fen(count_fen);
    match (r.counted_cash, r.difference) {
        (None, None) if r.count.is_empty() => {}
        (None, None) => return Err(inconsistent("a count by denomination but no counted cash".into())),
        (Some(counted), Some(difference)) => {
            if counted != t.count_total {
                return Err(inconsistent(format!(
                    "counted cash {counted} ≠ {} counted by denomination",
                    t.count_total
                )));
            }
            if counted - expected != difference {
                return Err(inconsistent(format!("counted {counted} − expected {expected} ≠ difference {difference}")));
            }
        }
        (counted, difference) => {
            return Err(inconsistent(format!(
                "counted cash {counted:?} and difference {difference:?} must be given together"
            )));
        }
    }
    Ok(t)
}

/// A4 portrait, the receipt's A4 margins and type; smaller table type in lower rows (a row per
/// transaction), and only the page number beside the title.
const PAPER: Style = Style { table: pt10(90), row: mm(6), side: mm(40), ..Style::A4 };
const LEFT: Len = PAPER.left();
const RIGHT: Len = PAPER.right();
const TOP: Len = PAPER.margin_top;
const BOTTOM: Len = PAPER.bottom();
const CONTENT: Len = PAPER.content_width();
const BODY: Len = PAPER.body;
const SMALL: Len = PAPER.small;
const MIN: Len = PAPER.min;
const TABLE: Len = PAPER.table;
const PAD: Len = super::kit::PAD;
/// The sheet's size, which the tests hold every drawing inside.
#[cfg(test)]
const WIDTH: Len = PAPER.width;
#[cfg(test)]
const HEIGHT: Len = PAPER.height;

fn layout_report(r: &ShiftReport, font: &CjkFont) -> Result<Vec<Sheet>, PrintError> {
    let totals = check_amounts(r)?;
    let pen = Pen { font, style: PAPER };
    let (head, mark_top) = full_head(r, &pen);
    let (short, short_mark_top) = short_head(r, &pen);
    let mut headers = Vec::new();
    let mut bands = Vec::new();
    transactions(r, font, &mut bands, &mut headers);
    summary(&totals, font, &mut bands);
    deposits(r, &totals, font, &mut bands, &mut headers);
    reconciliation(r, &totals, font, &mut bands);
    bands.push(Band::new(signatures(&pen), "签字"));

    let pages = paginate(&bands, &headers, BOTTOM - TOP - head.height, BOTTOM - TOP - short.height)?;
    let n = pages.len();
    let mut sheets = Vec::with_capacity(n);
    for (i, page) in pages.iter().enumerate() {
        let mut c = Block::default();
        let (head, mark) = if i == 0 { (&head, mark_top) } else { (&short, short_mark_top) };
        c.place(head, TOP);
        pen.page_number(&mut c, TOP + mark, i + 1, n);
        let mut y = TOP + head.height;
        for placed in page {
            let block = match *placed {
                Placed::Header(h) => &headers[h],
                Placed::Band(b) => &bands[b].block,
            };
            c.place(block, y);
            y += block.height;
        }
        sheets.push(c.into_sheet(&PAPER));
    }
    Ok(sheets)
}

/// The first sheet's head and the top of the page mark within it.
fn full_head(r: &ShiftReport, pen: &Pen<'_>) -> (Block, Len) {
    let mut b = Block::default();
    let utility = pen.utility(&r.utility, &[PAPER.utility, BODY, SMALL]);
    let heading = pen.heading(&mut b, 0, Some((&utility, line_height(PAPER.utility))), "收费日报", PAPER.title, SMALL);
    b.height = heading.below;
    let closed = r.closed_at.as_deref().map_or_else(|| "未结班".to_string(), clean);
    // The head's fields are short and fixed-form: a shift that cannot fit fails on its bands.
    let mut fields = Fields::default();
    pen.row(
        &mut b,
        [
            Cell::new("终端：", clean(&r.terminal), 30).lines(2),
            Cell::new("收款员：", clean(&r.cashier), 40).lines(2),
            Cell::new("班次：", format!("第 {} 班", r.shift_id), 30).lines(2),
        ],
        true,
        &mut fields,
    );
    pen.row(
        &mut b,
        [
            Cell::new("开班：", clean(&r.opened_at), 34).lines(2),
            Cell::new("结班：", closed, 33).lines(2),
            Cell::new("打印：", clean(&r.printed_at), 33).lines(2),
        ],
        false,
        &mut fields,
    );
    b.height += mm(2);
    (b, heading.mark_top)
}

/// A further sheet's head: the title, the shift in one line.
fn short_head(r: &ShiftReport, pen: &Pen<'_>) -> (Block, Len) {
    let mut b = Block::default();
    let heading = pen.heading(&mut b, 0, None, "收费日报（续）", PAPER.title * 80 / 100, SMALL);
    let mut y = heading.below;
    let line = format!(
        "终端：{}　收款员：{}　班次：第 {} 班　开班：{}",
        clean(&r.terminal),
        clean(&r.cashier),
        r.shift_id,
        clean(&r.opened_at)
    );
    let fitted = fit(pen.font, &line, CONTENT, &[SMALL, MIN], 2);
    y += b.lines(LEFT, y, &fitted) + mm(1);
    b.hline(LEFT, RIGHT, y, 20);
    b.height = y + mm(2);
    (b, heading.mark_top)
}

/// A section heading: 收费明细, 汇总 …
fn heading(text: &str) -> Band {
    let mut b = Block::default();
    let top = mm(3);
    b.heavy(LEFT, top, BODY, text);
    b.height = top + line_height(BODY) + mm(1);
    Band::new(b, "标题").keep()
}

/// A table across the content width, its rows ruled off.
fn table(widths: &[Len], right: &[bool]) -> Table {
    Table::new(LEFT, CONTENT, widths, right, TABLE, PAPER.row).ruled(5)
}

const TX_HEADER: [&str; 9] = ["序号", "收据号", "时间", "类型", "户号", "户名", "方式", "金额", "备注"];
const TX_WIDTHS: [Len; 9] = [5, 19, 9, 6, 11, 22, 6, 12, 10];
const TX_RIGHT: [bool; 9] = [true, false, false, false, false, false, false, true, false];
/// The column of 户名, the one fitted cell, and of 金额, struck through on a voided row.
const TX_NAME: usize = 5;
const TX_AMOUNT: usize = 7;

/// The one line a table section shows when it has no rows.
fn empty_section(text: &str, label: &'static str) -> Band {
    let mut b = Block::default();
    b.text(LEFT, mm(1), BODY, text);
    b.height = line_height(BODY) + mm(2);
    Band::new(b, label)
}

fn transactions(r: &ShiftReport, font: &CjkFont, bands: &mut Vec<Band>, headers: &mut Vec<Block>) {
    bands.push(heading(&format!("一、收费明细（{} 笔）", r.transactions.len())));
    if r.transactions.is_empty() {
        bands.push(empty_section("本班无收费记录。", "收费明细"));
        return;
    }
    let t = table(&TX_WIDTHS, &TX_RIGHT);
    let header = headers.len();
    headers.push(t.header(font, &TX_HEADER));
    bands.push(Band::new(headers[header].clone(), "收费明细").keep());
    for (i, tx) in r.transactions.iter().enumerate() {
        let mut marks = Vec::new();
        if tx.voided {
            marks.push("作废");
        }
        if tx.holiday_cash {
            marks.push("节假日现金");
        }
        let values = [
            (i + 1).to_string(),
            clean(&tx.receipt_no),
            clean(&tx.at),
            match tx.kind {
                ReceiptKind::Payment => "缴费",
                ReceiptKind::Vend => "售电",
            }
            .to_string(),
            clean(&tx.account_no),
            clean(&tx.name),
            match tx.method {
                TransactionMethod::Cash => "现金",
                TransactionMethod::Transfer => "转账",
            }
            .to_string(),
            money(tx.amount),
            marks.join("、"),
        ];
        let mut row = t.row_fitted(font, &values, TX_NAME, [SMALL, MIN]);
        if tx.voided {
            // Struck through: listed for the record, counted nowhere.
            row.strike(font, &t, TX_AMOUNT, &values[TX_AMOUNT]);
        }
        bands.push(Band::new(row.block, "户名").under(header));
    }
}

/// The totals by method, without the voided transactions, which are shown apart.
fn summary(t: &Totals, font: &CjkFont, bands: &mut Vec<Band>) {
    bands.push(heading("二、汇总"));
    let table = table(&[30, 15, 25, 30], &[false, true, true, false]);
    let mut b = table.header(font, &["项目", "笔数", "金额", ""]);
    let mut rows = vec![("现金合计", t.cash)];
    if t.holiday.n > 0 {
        rows.push(("其中：节假日现金", t.holiday));
    }
    rows.push(("转账合计", t.transfer));
    rows.push(("合计（不含作废）", t.all));
    for (label, tally) in rows {
        let values = [label.to_string(), format!("{} 笔", tally.n), money(tally.sum), String::new()];
        b.stack(&table.row(font, &values).block);
    }
    table.close(&mut b);
    let top = b.height + mm(1);
    let voided = if t.voided.n == 0 {
        "作废 0 笔".to_string()
    } else {
        format!("作废 {} 笔，共 {}（不计入以上合计，不在钱箱中）", t.voided.n, money(t.voided.sum))
    };
    let fitted = fit(font, &voided, CONTENT, &PAPER.sizes(), 1);
    b.height = top + b.lines(LEFT, top, &fitted) + mm(1);
    bands.push(Band::new(b, "汇总"));
}

const DEP_HEADER: [&str; 6] = ["序号", "解款时间", "缴存银行", "解款单号", "解款金额", "出自本班钱箱"];
const DEP_WIDTHS: [Len; 6] = [5, 19, 32, 18, 13, 13];
const DEP_RIGHT: [bool; 6] = [true, false, false, false, true, true];
const DEP_BANK: usize = 2;

fn deposits(r: &ShiftReport, t: &Totals, font: &CjkFont, bands: &mut Vec<Band>, headers: &mut Vec<Block>) {
    bands.push(heading(&format!("三、解款（{} 笔）", r.deposits.len())));
    if r.deposits.is_empty() {
        bands.push(empty_section("本班无解款记录。", "解款"));
        return;
    }
    let table = table(&DEP_WIDTHS, &DEP_RIGHT);
    let header = headers.len();
    headers.push(table.header(font, &DEP_HEADER));
    bands.push(Band::new(headers[header].clone(), "解款").keep());
    for (i, d) in r.deposits.iter().enumerate() {
        let values = [
            (i + 1).to_string(),
            clean(&d.at),
            clean(&d.bank),
            clean(&d.slip_no),
            money(d.amount),
            money(d.from_drawer),
        ];
        let row = table.row_fitted(font, &values, DEP_BANK, [SMALL, MIN]);
        bands.push(Band::new(row.block, "缴存银行").under(header));
    }
    let values = [
        String::new(),
        "解款合计".to_string(),
        format!("{} 笔", t.deposits.n),
        String::new(),
        money(t.deposits.sum),
        money(t.from_drawer),
    ];
    let mut b = table.row(font, &values).block;
    table.close(&mut b);
    if t.from_drawer != t.deposits.sum {
        let note = format!(
            "解款中 {} 为往班节假日现金（存放保险柜），不出自本班钱箱，不计入本班现金核对。",
            money(t.deposits.sum - t.from_drawer)
        );
        let fitted = fit(font, &note, CONTENT, &[SMALL, MIN], 1);
        let top = b.height + mm(1);
        b.height = top + b.lines(LEFT, top, &fitted) + mm(1);
    }
    bands.push(Band::new(b, "解款").under(header));
}

/// 现金核对: the arithmetic on the left, the count by denomination on the right.
fn reconciliation(r: &ShiftReport, t: &Totals, font: &CjkFont, bands: &mut Vec<Band>) {
    bands.push(heading("四、现金核对"));
    let mut b = Block::default();
    let left_right = LEFT + CONTENT * 52 / 100;
    let label_x = LEFT + mm(6);
    let mut y = mm(1);
    let line = |b: &mut Block, y: &mut Len, sign: &str, label: &str, value: &str, ink: Ink| {
        b.text(LEFT, *y, BODY, sign.to_string());
        b.text(label_x, *y, BODY, label.to_string());
        let x = left_right - text_width(font, value, BODY);
        match ink {
            Ink::Fill => b.text(x, *y, BODY, value),
            Ink::Heavy => b.heavy(x, *y, BODY, value),
        }
        *y += line_height(BODY) + mm(1);
    };
    match r.expected_cash {
        Some(expected) => {
            line(&mut b, &mut y, "", "备用金", &money(r.float), Ink::Fill);
            line(&mut b, &mut y, "＋", "现金实收（不含作废）", &money(t.cash.sum), Ink::Fill);
            line(&mut b, &mut y, "－", "解款（出自本班钱箱）", &money(t.from_drawer), Ink::Fill);
            b.hline(label_x, left_right, y - mm(1) / 2, 15);
            line(&mut b, &mut y, "＝", "应有现金", &money(expected), Ink::Heavy);
        }
        None => {
            b.text(LEFT, y, BODY, "应有现金：交班盲点后显示");
            y += line_height(BODY) + mm(1);
        }
    }
    y += mm(2);
    match (r.counted_cash, r.difference) {
        (Some(counted), Some(difference)) => {
            line(&mut b, &mut y, "", "实点现金", &money(counted), Ink::Fill);
            let (label, shown) = if difference.is_positive() {
                ("差额：长款", money(difference))
            } else if difference.is_negative() {
                ("差额：短款", money(difference.abs()))
            } else {
                ("差额：无长短款", money(difference))
            };
            line(&mut b, &mut y, "", label, &shown, Ink::Heavy);
            let width = left_right - LEFT;
            for (label, value) in [("差额原因：", &r.difference_reason), ("批准人（值班长）：", &r.approved_by)]
            {
                if difference.is_zero() && value.is_none() {
                    continue;
                }
                let text = format!("{label}{}", value.as_deref().map_or_else(|| "（未填写）".to_string(), clean));
                let fitted = fit(font, &text, width, &PAPER.sizes(), 2);
                y += b.lines(LEFT, y, &fitted) + mm(1);
            }
        }
        _ => {
            b.text(LEFT, y, BODY, "实点现金：未盘点（班次未结）");
            y += line_height(BODY) + mm(1);
        }
    }
    if !r.count_attempts.is_empty() {
        y += mm(1);
        b.text(LEFT, y, SMALL, "盲点记录：");
        y += line_height(SMALL);
        for a in &r.count_attempts {
            let verdict = match a.matches {
                Some(true) => "相符",
                Some(false) => "不符",
                None => "",
            };
            let text = format!("第{}次  {}  实点 {}  {verdict}", a.attempt, clean(&a.counted_at), money(a.counted));
            let fitted = fit(font, &text, left_right - LEFT, &[SMALL, MIN], 1);
            y += b.lines(LEFT + mm(3), y, &fitted);
        }
        y += mm(1);
    }
    let left_height = y;

    // The count table.
    let x0 = LEFT + CONTENT * 58 / 100;
    let mut y = mm(1);
    if t.count.is_empty() {
        b.text(x0, y, SMALL, "券别明细：未盘点");
        y += line_height(SMALL);
    } else {
        let table = Table::new(x0, RIGHT - x0, &[30, 25, 45], &[false, true, true], TABLE, mm(5));
        let header = table.header(font, &["券别（元）", "张（枚）数", "金额"]);
        y += header.height;
        b.put(header, mm(1));
        for (label, pieces, amount) in &t.count {
            let row = table.row(font, &[clean(label), pieces.to_string(), money(*amount)]).block;
            let height = row.height;
            b.put(row, y);
            y += height;
        }
        b.hline(x0, RIGHT, y, 15);
        // The total spans the pieces and the amount.
        let text_top = y + (mm(5) - TABLE) / 2;
        b.text(x0 + PAD, text_top, TABLE, "合计");
        let shown = money(t.count_total);
        let size = shrink_to(font, &shown, RIGHT - table.column(1).0 - 2 * PAD, TABLE);
        b.text_right(font, RIGHT - PAD, text_top + TABLE - size, size, &shown);
        y += mm(5);
        b.hline(x0, RIGHT, y, 20);
    }
    b.height = left_height.max(y) + mm(1);
    bands.push(Band::new(b, "差额原因"));
}

/// Signature lines: 收款员, 复核人, 日期.
fn signatures(pen: &Pen<'_>) -> Block {
    let mut b = Block::default();
    let top = mm(12);
    pen.signatures(&mut b, top, &["收款员（签章）：", "复核人（签章）：", "日期："], mm(5));
    b.height = top + line_height(BODY);
    b
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use rstest::rstest;

    use super::*;
    use crate::print::layout::Draw;
    use crate::print::testing::{font, poppler};

    /// An amount, negative with a leading `-` (which [`Yuan::parse`] refuses, as a cashier types none).
    fn y(s: &str) -> Yuan {
        match s.strip_prefix('-') {
            Some(rest) => -Yuan::parse(rest).unwrap(),
            None => Yuan::parse(s).unwrap(),
        }
    }

    fn tx(no: u32, kind: ReceiptKind, method: TransactionMethod, amount: &str) -> ShiftTransaction {
        ShiftTransaction {
            receipt_no: format!("GY01-03-2026-{no:06}"),
            at: format!("{:02}:{:02}:05", 8 + no / 60 % 10, no % 60),
            kind,
            account_no: format!("{}", 5_200_000_000_u64 + u64::from(no)),
            name: "王建国".into(),
            method,
            amount: y(amount),
            voided: false,
            holiday_cash: false,
        }
    }

    /// Float 500; cash 1,234.50 + 210.00 (voided) + 88.80 + 3,000.00 (holiday cash vend); a
    /// 5,000.00 transfer vend; 1,000.00 deposited. Expected 500 + 4,323.30 − 1,000 = 3,823.30; the
    /// drawer holds 3,811.30: 短款 12.00.
    fn report() -> ShiftReport {
        let mut voided = tx(124, ReceiptKind::Payment, TransactionMethod::Cash, "210.00");
        voided.voided = true;
        voided.name = "李秀英".into();
        let mut holiday = tx(127, ReceiptKind::Vend, TransactionMethod::Cash, "3000.00");
        holiday.holiday_cash = true;
        holiday.name = "贵州黔茂商贸有限公司".into();
        let mut transfer = tx(126, ReceiptKind::Vend, TransactionMethod::Transfer, "5000.00");
        transfer.name = "贵阳市观山湖区某某物业管理有限公司".into();
        ShiftReport {
            utility: "国网贵州省电力有限公司贵阳供电局".into(),
            terminal: "GY01-03".into(),
            cashier: "李晓梅".into(),
            shift_id: 1234,
            opened_at: "2026-10-03 08:00:12".into(),
            closed_at: Some("2026-10-03 17:31:40".into()),
            float: y("500.00"),
            transactions: vec![
                tx(123, ReceiptKind::Payment, TransactionMethod::Cash, "1234.50"),
                voided,
                tx(125, ReceiptKind::Payment, TransactionMethod::Cash, "88.80"),
                transfer,
                holiday,
            ],
            deposits: vec![ShiftDeposit {
                bank: "中国工商银行贵阳观山湖支行".into(),
                slip_no: "ICBC20261003-0042".into(),
                amount: y("1000.00"),
                from_drawer: y("1000.00"),
                at: "2026-10-03 12:05:00".into(),
            }],
            expected_cash: Some(y("3823.30")),
            counted_cash: Some(y("3811.30")),
            difference: Some(y("-12.00")),
            difference_reason: Some("找零时多付客户拾元一张、壹元两枚".into()),
            approved_by: Some("赵志刚".into()),
            count: count(&[
                ("100.00", 38),
                ("50.00", 0),
                ("20.00", 0),
                ("10.00", 1),
                ("5.00", 0),
                ("1.00", 1),
                ("0.50", 0),
                ("0.10", 3),
            ]),
            count_attempts: vec![
                crate::shifts::CountAttempt {
                    attempt: 1,
                    counted: y("3801.30"),
                    counted_at: "2026-10-03 17:20:00".into(),
                    matches: Some(false),
                },
                crate::shifts::CountAttempt {
                    attempt: 2,
                    counted: y("3811.30"),
                    counted_at: "2026-10-03 17:25:00".into(),
                    matches: Some(false),
                },
            ],
            printed_at: "2026-10-03 17:32:00".into(),
        }
    }

    fn count(pieces: &[(&str, u32)]) -> Vec<(String, u32)> {
        pieces.iter().map(|(d, n)| (d.to_string(), *n)).collect()
    }

    /// `n` cash payments of 100.00, every tenth voided; the figures follow, nothing deposited,
    /// counted exactly.
    fn many(n: u32) -> ShiftReport {
        let mut r = report();
        r.transactions = (0..n)
            .map(|i| {
                let mut t = tx(1000 + i, ReceiptKind::Payment, TransactionMethod::Cash, "100.00");
                t.voided = i % 10 == 9;
                t
            })
            .collect();
        r.deposits.clear();
        let kept = (n - n / 10) * 100;
        r.expected_cash = Some(y(&(500 + kept).to_string()));
        r.counted_cash = r.expected_cash;
        r.difference = Some(Yuan::ZERO);
        r.difference_reason = None;
        r.approved_by = None;
        r.count = count(&[("100.00", 5 + kept / 100)]);
        r
    }

    struct Rendered {
        _dir: tempfile::TempDir,
        path: PathBuf,
        bytes: usize,
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

    fn render(r: &ShiftReport) -> Rendered {
        let pdf = render_shift_report(r, font()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        Rendered { _dir: dir, path, bytes: pdf.len() }
    }

    #[test]
    fn a_closed_shift_prints_every_transaction_the_totals_and_the_reconciliation() {
        let r = report();
        let out = render(&r);
        assert_eq!(out.pages(), 1);
        let text = out.squeezed();
        for t in &r.transactions {
            assert_eq!(text.matches(&t.receipt_no).count(), 1, "{} listed once:\n{text}", t.receipt_no);
        }
        for expected in [
            "国网贵州省电力有限公司贵阳供电局",
            "收费日报",
            "第1/1页",
            "终端：GY01-03",
            "收款员：李晓梅",
            "班次：第1234班",
            "开班：2026-10-0308:00:12",
            "结班：2026-10-0317:31:40",
            "节假日现金",
            "现金合计3笔¥4,323.30",
            "其中：节假日现金1笔¥3,000.00",
            "转账合计1笔¥5,000.00",
            "合计（不含作废）4笔¥9,323.30",
            "作废1笔，共¥210.00",
            "中国工商银行贵阳观山湖支行",
            "ICBC20261003-0042",
            "解款合计1笔",
            "备用金¥500.00",
            "现金实收（不含作废）¥4,323.30",
            "解款（出自本班钱箱）¥1,000.00",
            "应有现金¥3,823.30",
            "实点现金¥3,811.30",
            "差额：短款¥12.00",
            "差额原因：找零时多付客户拾元一张、壹元两枚",
            "批准人（值班长）：赵志刚",
            "¥3,800.00",
            "收款员（签章）：",
            "复核人（签章）：",
            "日期：",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
        // A long 户名 wraps in its cell (the row grows), whole.
        let sheets = layout_report(&r, font()).unwrap();
        let drawn: String = sheets[0]
            .items
            .iter()
            .filter_map(|d| match d {
                Draw::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(drawn.contains(&r.transactions[3].name), "{drawn}");
        // The voided row says so; the summary line says so once more.
        assert_eq!(text.matches("作废").count(), 4, "the row, the summary line and two 不含作废 labels: {text}");
        assert!(!text.contains("长款") && !text.contains("未盘点"));
    }

    #[rstest]
    #[case::over("3835.30", "12.00", "差额：长款¥12.00")]
    #[case::short("3811.30", "-12.00", "差额：短款¥12.00")]
    #[case::even("3823.30", "0.00", "差额：无长短款¥0.00")]
    fn the_difference_is_named_over_or_short(#[case] counted: &str, #[case] difference: &str, #[case] shown: &str) {
        let mut r = report();
        r.counted_cash = Some(y(counted));
        r.difference = Some(y(difference));
        let fen = y(counted).fen();
        r.count = count(&[("100.00", u32::try_from(fen / 10_000).unwrap())]);
        r.count.push(("0.10".into(), u32::try_from(fen % 10_000 / 10).unwrap()));
        let text = render(&r).squeezed();
        assert!(text.contains(shown), "{shown:?} missing from\n{text}");
    }

    #[test]
    fn an_open_shift_prints_the_figures_so_far_without_a_count() {
        let mut r = report();
        r.closed_at = None;
        r.counted_cash = None;
        r.difference = None;
        r.difference_reason = None;
        r.approved_by = None;
        r.count.clear();
        let text = render(&r).squeezed();
        for expected in ["结班：未结班", "应有现金¥3,823.30", "实点现金：未盘点", "券别明细：未盘点"]
        {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
        assert!(!text.contains("长款") && !text.contains("短款"));
    }

    #[test]
    fn holiday_cash_from_the_safe_is_deposited_but_not_taken_from_the_drawer() {
        let mut r = report();
        r.deposits[0].amount = y("4000.00");
        let text = render(&r).squeezed();
        assert!(text.contains("解款合计1笔¥4,000.00¥1,000.00"), "{text}");
        assert!(text.contains("¥3,000.00为往班节假日现金"), "{text}");
        assert!(text.contains("应有现金¥3,823.30"));
    }

    #[test]
    fn a_long_shift_continues_on_numbered_sheets_with_the_header_repeated() {
        let r = many(120);
        let start = Instant::now();
        let pdf = render_shift_report(&r, font()).unwrap();
        eprintln!("120 transactions: {} bytes, rendered in {:?}", pdf.len(), start.elapsed());
        let out = render(&r);
        let n = out.pages();
        assert!(n >= 3, "{n} pages");
        for i in 1..=n {
            let page = out.page(i);
            assert!(page.contains(&format!("第{i}/{n}页")), "page {i} is numbered:\n{page}");
            if i < n {
                assert!(
                    page.contains("序号收据号时间类型户号户名方式金额备注"),
                    "page {i} repeats the header:\n{page}"
                );
            }
            if i > 1 {
                assert!(page.contains("收费日报（续）") && page.contains("班次：第1234班"), "short head on {i}");
            }
        }
        let text = out.squeezed();
        for t in &r.transactions {
            assert_eq!(text.matches(&t.receipt_no).count(), 1, "{} printed once", t.receipt_no);
        }
        assert!(text.contains("现金合计108笔¥10,800.00") && text.contains("作废12笔，共¥1,200.00"), "{text}");
        assert!(out.bytes < 200 * 1024, "{} bytes", out.bytes);
    }

    #[test]
    fn a_table_row_never_ends_a_sheet_without_its_neighbours_and_sections_stay_whole() {
        // Fill the first sheet so that the summary falls near its end, whatever the count.
        for n in 28..40 {
            let sheets = layout_report(&many(n), font()).unwrap();
            for (i, sheet) in sheets.iter().enumerate() {
                let texts: Vec<&str> = sheet
                    .items
                    .iter()
                    .filter_map(|d| match d {
                        Draw::Text { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                let last = texts.last().copied().unwrap_or_default();
                assert!(!last.starts_with("一、") && !last.starts_with("二、"), "{n}: a heading ends sheet {i}");
                if texts.contains(&"现金合计") {
                    assert!(texts.contains(&"合计（不含作废）"), "{n}: the summary is split on sheet {i}");
                }
            }
        }
    }

    fn nasty() -> Vec<(&'static str, ShiftReport)> {
        let mut long = report();
        long.utility = "国网某某省电力有限公司某某市供电分公司某某县供电局城区供电所营业厅".repeat(2);
        long.cashier = "阿卜杜热合曼·买买提依明".into();
        long.terminal = "GY01-03-BACKUP-TERMINAL-NUMBER-TWO".into();
        for t in &mut long.transactions {
            t.name = "贵州省贵阳市观山湖区某某某某房地产开发有限责任公司第三物业管理分公司".repeat(2);
            t.receipt_no = "GY01-03-2026-000123-REPRINT-ARCHIVE".into();
            t.account_no = "52001234567890123456".into();
        }
        long.transactions[1].voided = true;
        long.transactions[1].holiday_cash = true;
        long.transactions[1].kind = ReceiptKind::Vend;
        long.deposits[0].bank = "中国农业银行股份有限公司贵州省分行营业部观山湖区金阳南路支行".repeat(2);
        long.deposits[0].slip_no = "ABCDEFGHIJ0123456789ABCDEFGHIJ".into();
        long.difference_reason = Some("收款时误收假币一张，已登记上交；另有找零差错。".repeat(6));
        long.approved_by = Some("欧阳".repeat(30));
        let mut huge = many(3);
        huge.transactions[0].amount = y("999999999999.99");
        huge.expected_cash = Some(huge.float + y("999999999999.99") + y("200.00"));
        huge.count = count(&[("100.00", 10_000_000), ("0.10", 0)]);
        huge.counted_cash = Some(y("1000000000.00"));
        huge.difference = huge.expected_cash.map(|e| y("1000000000.00") - e);
        let mut many_deposits = many(60);
        many_deposits.deposits = (0..30)
            .map(|i| ShiftDeposit {
                bank: "中国建设银行".into(),
                slip_no: format!("CCB-{i:04}"),
                amount: y("10.00"),
                from_drawer: y("10.00"),
                at: "2026-10-03 12:00:00".into(),
            })
            .collect();
        many_deposits.expected_cash = many_deposits.expected_cash.map(|e| e - y("300.00"));
        many_deposits.difference = Some(y("300.00"));
        vec![("long texts", long), ("huge amounts", huge), ("many deposits", many_deposits), ("many", many(250))]
    }

    #[test]
    fn nothing_is_drawn_outside_the_margins() {
        for (name, r) in nasty() {
            let sheets = layout_report(&r, font()).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (i, sheet) in sheets.iter().enumerate() {
                assert_eq!((sheet.width, sheet.height), (WIDTH, HEIGHT));
                for item in &sheet.items {
                    match item {
                        Draw::Text { x, top, size, text, .. } => {
                            let right = x + text_width(font(), text, *size);
                            assert!(*x >= LEFT && right <= RIGHT, "{name} sheet {i}: {text:?} runs {x}..{right}");
                            assert!(*top >= TOP && top + size <= BOTTOM, "{name} sheet {i}: {text:?} at {top}");
                        }
                        Draw::Line { x1, y1, x2, y2, .. } => {
                            assert!(*x1 >= LEFT && *x2 <= RIGHT && *y1 >= TOP && *y2 <= BOTTOM, "{name} sheet {i}");
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn long_texts_are_wrapped_not_cut() {
        let (_, r) = nasty().remove(0);
        let text = render(&r).squeezed();
        for piece in ["第三物业管理分公司", "金阳南路支行", "另有找零差错", "欧阳欧阳", "REPRINT-ARCHIVE"]
        {
            assert!(text.contains(piece), "{piece:?} missing:\n{text}");
        }
    }

    #[rstest]
    #[case::expected_off_by_a_fen(|r: &mut ShiftReport| r.expected_cash = Some(y("3823.31")), "expected cash")]
    #[case::voided_cash_counted(|r: &mut ShiftReport| r.expected_cash = Some(y("4033.30")), "expected cash")]
    #[case::deposit_ignored(|r: &mut ShiftReport| r.deposits.clear(), "expected cash")]
    #[case::count_does_not_add_up(|r: &mut ShiftReport| r.count[0].1 = 37, "by denomination")]
    #[case::wrong_difference(|r: &mut ShiftReport| r.difference = Some(y("12.00")), "difference")]
    #[case::difference_without_count(|r: &mut ShiftReport| r.counted_cash = None, "together")]
    #[case::count_without_counted(|r: &mut ShiftReport| { r.counted_cash = None; r.difference = None; }, "no counted")]
    #[case::unknown_denomination(|r: &mut ShiftReport| r.count[0].0 = "一百".into(), "not an amount")]
    #[case::holiday_transfer(|r: &mut ShiftReport| r.transactions[3].holiday_cash = true, "holiday cash")]
    #[case::drawer_part_above_deposit(|r: &mut ShiftReport| r.deposits[0].from_drawer = y("1000.01"), "from the drawer")]
    fn a_report_that_does_not_add_up_is_refused(#[case] spoil: fn(&mut ShiftReport), #[case] says: &str) {
        let mut r = report();
        spoil(&mut r);
        let err = match render_shift_report(&r, font()) {
            Ok(pdf) => panic!("expected a refusal, got {} bytes", pdf.len()),
            Err(e) => e,
        };
        assert_eq!(err.code(), "PRINT_RECEIPT_INCONSISTENT", "{err}");
        assert!(err.to_string().contains(says) && err.to_string().contains("shift report"), "{err}");
    }

    #[test]
    fn an_absurdly_long_name_is_an_error_not_an_overflow() {
        let mut r = report();
        r.transactions[0].name = "很长的户名".repeat(2000);
        let err = render_shift_report(&r, font()).unwrap_err();
        assert_eq!(err.code(), "PRINT_FIELD_TOO_LONG");
        assert!(err.to_string().contains("户名"), "{err}");
    }

    #[test]
    fn the_report_crosses_json_with_money_as_strings() {
        let json = serde_json::to_value(report()).unwrap();
        assert_eq!(json["difference"], "-12.00", "短款 is negative");
        // Yuan reads only what a cashier may type, never a minus: a report comes back from JSON
        // only with a 长款 or no difference.
        let mut r = report();
        r.counted_cash = r.expected_cash;
        r.difference = Some(Yuan::ZERO);
        r.count = count(&[("100.00", 38), ("10.00", 2), ("1.00", 3), ("0.10", 3)]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["expected_cash"], "3823.30");
        assert_eq!(json["transactions"][3]["method"], "transfer");
        assert_eq!(json["transactions"][3]["kind"], "vend");
        assert_eq!(json["count"][0], serde_json::json!(["100.00", 38]));
        let back: ShiftReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        render_shift_report(&r, font()).unwrap();
    }

    /// Writes PNGs of a short and a long report to $CASHDESK_PRINT_PREVIEW_DIR.
    #[test]
    fn preview_pngs_when_asked() {
        let Some(dir) = std::env::var_os("CASHDESK_PRINT_PREVIEW_DIR") else {
            eprintln!("skipped: set CASHDESK_PRINT_PREVIEW_DIR to write preview PNGs");
            return;
        };
        for (name, r) in [("shift", report()), ("shift120", many(120)), ("shift_long", nasty().remove(0).1)] {
            let pdf = Path::new(&dir).join(format!("{name}.pdf"));
            std::fs::write(&pdf, render_shift_report(&r, font()).unwrap()).unwrap();
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
