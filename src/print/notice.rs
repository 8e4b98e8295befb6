//! 电费催缴通知单: the arrears notice, on A4, A5 or the 241 mm continuous form, drawn with the
//! print kit (`kit`).
//!
//! A notice is the account's data, each unpaid period with its principal and the late fee to the
//! print date, the totals in figures and 大写, the pay-by date, where and how to pay and the
//! service hotline, and at the foot of its last sheet a detachable 回执 (acknowledgement: account,
//! name, amount, lines for the recipient's signature and the date) below a dashed cut line.
//!
//! Invariants: the periods add up to the totals and principal + late fee = total, or nothing is
//! printed ([`PrintError::Inconsistent`]: a wrong notice causes a dispute). A notice with more
//! periods than its paper holds continues on further sheets (`第 i/n 页`, the table's header
//! repeated), the 回执 on the last one. A batch is one PDF of several notices
//! ([`render_notices`]), each starting on a sheet of its own.

use serde::{Deserialize, Serialize};

use super::kit::{
    Band, Block, Cell, Fields, Ink, Len, Pen, Placed, Sheet, Style, Table, clean, fit, line_height, mm, money,
    paginate, sheets_to_pdf, text_width,
};
use super::{CjkFont, PaperMode, PrintError};
use crate::money::Yuan;

/// One unpaid period on a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeLine {
    /// 电费年月, `2026-09`.
    pub period: String,
    pub kwh: String,
    /// 应交日期 (the due date).
    pub due_date: String,
    pub days_overdue: u32,
    pub principal: Yuan,
    /// The late fee to the print date.
    pub late_fee: Yuan,
}

/// Everything an arrears notice prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrearsNotice {
    pub utility: String,
    /// 通知单号 (the notice log's number; `预览` on a preview).
    pub notice_no: String,
    pub account_no: String,
    pub name: String,
    pub address: String,
    /// 用电类别, in words.
    pub category: String,
    pub meter_no: String,
    pub lines: Vec<NoticeLine>,
    pub principal: Yuan,
    pub late_fee: Yuan,
    pub total: Yuan,
    /// The day the fees are worked out to, `YYYY-MM-DD`.
    pub print_date: String,
    /// 缴费期限, `YYYY-MM-DD`.
    pub pay_by: String,
    /// 缴费地点及方式 (counter settings).
    pub pay_where: String,
    /// 服务热线 (counter settings).
    pub hotline: String,
}

fn inconsistent(n: &ArrearsNotice, detail: String) -> PrintError {
    PrintError::Inconsistent { detail: format!("arrears notice {} for {}: {detail}", n.notice_no, n.account_no) }
}

fn check_amounts(n: &ArrearsNotice) -> Result<(), PrintError> {
    if n.lines.is_empty() {
        return Err(inconsistent(n, "no unpaid period".into()));
    }
    let principal: Yuan = n.lines.iter().map(|l| l.principal).sum();
    let late_fee: Yuan = n.lines.iter().map(|l| l.late_fee).sum();
    if principal != n.principal || late_fee != n.late_fee {
        return Err(inconsistent(
            n,
            format!("the periods add up to {principal} + {late_fee}, not {} + {}", n.principal, n.late_fee),
        ));
    }
    if n.principal + n.late_fee != n.total || !n.principal.is_positive() || n.late_fee.is_negative() {
        return Err(inconsistent(n, format!("{} + {} ≠ total {}", n.principal, n.late_fee, n.total)));
    }
    Ok(())
}

/// One notice as a PDF.
pub fn render_notice(n: &ArrearsNotice, paper: PaperMode, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    render_notices(std::slice::from_ref(n), paper, font)
}

/// Several notices as one PDF, each on sheets of its own (a batch's part).
pub fn render_notices(notices: &[ArrearsNotice], paper: PaperMode, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(&notices);
    let mut sheets = Vec::new();
    for n in notices {
        sheets.extend(notice_sheets(n, Style::of(paper), font)?);
    }
    let title = match notices {
        [one] => format!("电费催缴通知单 {}", clean(&one.account_no)),
        _ => format!("电费催缴通知单 {} 份", notices.len()),
    };
    Ok(sheets_to_pdf(&title, &sheets, font))
}

const TITLE: &str = "电费催缴通知单";

fn notice_sheets(n: &ArrearsNotice, paper: Style, font: &CjkFont) -> Result<Vec<Sheet>, PrintError> {
    check_amounts(n)?;
    let pen = Pen { font, style: paper };
    let (head, mark_top) = full_head(n, &pen);
    let (short, short_mark_top) = short_head(n, &pen);
    let foot = receipt_slip(n, &pen);
    let mut headers = Vec::new();
    let mut bands = Vec::new();
    periods(n, &pen, &mut bands, &mut headers);
    closing(n, &pen, &mut bands);
    // The slip is the last band, so the sheets leave room for it; it is drawn at the foot.
    bands.push(Band::new(foot.clone(), "回执"));
    let (top, bottom) = (paper.margin_top, paper.bottom());
    let pages = paginate(&bands, &headers, bottom - top - head.height, bottom - top - short.height)?;
    let count = pages.len();
    let mut sheets = Vec::with_capacity(count);
    for (i, page) in pages.iter().enumerate() {
        let mut c = Block::default();
        let (h, mark) = if i == 0 { (&head, mark_top) } else { (&short, short_mark_top) };
        c.place(h, top);
        if count > 1 {
            pen.page_number(&mut c, top + mark, i + 1, count);
        }
        let mut y = top + h.height;
        for placed in page {
            match *placed {
                Placed::Header(h) => {
                    c.place(&headers[h], y);
                    y += headers[h].height;
                }
                Placed::Band(b) if b + 1 == bands.len() => c.place(&foot, bottom - foot.height),
                Placed::Band(b) => {
                    c.place(&bands[b].block, y);
                    y += bands[b].block.height;
                }
            }
        }
        sheets.push(c.into_sheet(&paper));
    }
    Ok(sheets)
}

/// The utility, the title, the notice's number and date, and the account.
fn full_head(n: &ArrearsNotice, pen: &Pen<'_>) -> (Block, Len) {
    let style = pen.style;
    let mut b = Block::default();
    let utility = pen.utility(&n.utility, &[style.utility, style.body, style.small]);
    let heading = pen.heading(&mut b, 0, Some((&utility, line_height(style.utility))), TITLE, style.title, style.small);
    let mut y = heading.below;
    b.text(style.left(), y, style.small, format!("通知单号：{}", clean(&n.notice_no)));
    b.text_right(pen.font, style.right(), y, style.small, &format!("打印日期：{}", clean(&n.print_date)));
    y += line_height(style.small);
    b.height = y;
    let mut fields = Fields::default();
    pen.row(
        &mut b,
        [
            Cell::new("户号：", clean(&n.account_no), 30),
            Cell::new("户名：", clean(&n.name), 40).lines(2),
            Cell::new("用电类别：", clean(&n.category), 30),
        ],
        true,
        &mut fields,
    );
    pen.row(
        &mut b,
        [Cell::new("用电地址：", clean(&n.address), 65).lines(2), Cell::new("电能表号：", clean(&n.meter_no), 35)],
        false,
        &mut fields,
    );
    let greeting = format!(
        "尊敬的客户：截至{}，您户下列电费已逾期未交。依据《供电营业规则》第九十八条，逾期电费自逾期之日起按日加收电费违约金，下表违约金计算至该日。",
        clean(&n.print_date)
    );
    let fitted = fit(pen.font, &greeting, style.content_width(), &style.sizes(), 3);
    b.height += mm(1) + b.lines(style.left(), b.height + mm(1), &fitted) + mm(1);
    (b, heading.mark_top)
}

/// The title again on a continuation sheet, with the account.
fn short_head(n: &ArrearsNotice, pen: &Pen<'_>) -> (Block, Len) {
    let style = pen.style;
    let mut b = Block::default();
    let heading = pen.heading(&mut b, 0, None, "电费催缴通知单（续）", style.title * 80 / 100, style.small);
    let mut y = heading.below;
    let line = format!("户号：{}　户名：{}　通知单号：{}", clean(&n.account_no), clean(&n.name), clean(&n.notice_no));
    let fitted = fit(pen.font, &line, style.content_width(), &[style.small, style.min], 2);
    y += b.lines(style.left(), y, &fitted) + mm(1);
    b.hline(style.left(), style.right(), y, 20);
    b.height = y + mm(1);
    (b, heading.mark_top)
}

/// The unpaid periods: a row each under a repeated header, then the sums.
fn periods(n: &ArrearsNotice, pen: &Pen<'_>, bands: &mut Vec<Band>, headers: &mut Vec<Block>) {
    let style = pen.style;
    let table = Table::new(
        style.left(),
        style.content_width(),
        &[13, 13, 15, 11, 16, 15, 17],
        &[false, true, false, true, true, true, true],
        style.table,
        style.row_compact.max(line_height(style.table) + mm(1)),
    )
    .ruled(5);
    headers
        .push(table.header(pen.font, &["电费年月", "电量(kWh)", "应交日期", "逾期天数", "欠费金额", "违约金", "小计"]));
    for l in &n.lines {
        let row = table.row(
            pen.font,
            &[
                clean(&l.period),
                clean(&l.kwh),
                clean(&l.due_date),
                l.days_overdue.to_string(),
                money(l.principal),
                money(l.late_fee),
                money(l.principal + l.late_fee),
            ],
        );
        bands.push(Band::new(row.block, "电费年月").under(0));
    }
    let mut sums = table.row(
        pen.font,
        &[
            "合计".into(),
            String::new(),
            String::new(),
            String::new(),
            money(n.principal),
            money(n.late_fee),
            money(n.total),
        ],
    );
    table.close(&mut sums.block);
    pen.total(&mut sums.block, n.total);
    bands.push(Band::new(sums.block, "合计"));
}

/// The pay-by date, where and how to pay, the hotline, and the utility's stamp.
fn closing(n: &ArrearsNotice, pen: &Pen<'_>, bands: &mut Vec<Band>) {
    let style = pen.style;
    let (left, width) = (style.left(), style.content_width());
    let mut b = Block::default();
    let mut y = mm(1);
    let pay_by = format!("请于 {} 前缴清上述电费及违约金；逾期未交，违约金继续按日计收。", clean(&n.pay_by));
    let fitted = fit(pen.font, &pay_by, width, &style.sizes(), 2);
    y += b.lines_with(left, y, &fitted, 130, Ink::Heavy);
    let label = "缴费地点及方式：";
    let label_w = text_width(pen.font, label, style.small);
    b.text(left, y, style.small, label);
    let fitted = fit(pen.font, &n.pay_where, width - label_w, &[style.small, style.min], 3);
    y += b.lines(left + label_w, y, &fitted);
    b.text(left, y, style.small, format!("服务热线：{}", clean(&n.hotline)));
    b.text_right(pen.font, style.right(), y, style.small, &format!("{}（盖章）", clean(&n.utility)));
    y += line_height(style.small);
    b.height = y + mm(1);
    bands.push(Band::new(b, "缴费地点及方式"));
}

/// The 回执 below a dashed cut line: what the person who takes the notice signs.
fn receipt_slip(n: &ArrearsNotice, pen: &Pen<'_>) -> Block {
    let style = pen.style;
    let (left, right) = (style.left(), style.right());
    let mut b = Block::default();
    let mut y = mm(2);
    let cut = "沿此线剪开";
    let cut_w = text_width(pen.font, cut, style.min);
    let mid = (left + right) / 2;
    let line_y = y + style.min / 2;
    let mut x = left;
    while x < right {
        let end = (x + mm(2)).min(right);
        if end < mid - cut_w / 2 - mm(2) || x > mid + cut_w / 2 + mm(2) {
            b.hline(x, end, line_y, 10);
        }
        x += mm(3);
    }
    b.text_centred(pen.font, (left, right), y, style.min, cut, Ink::Fill);
    y += line_height(style.min) + mm(1);
    b.text_centred(pen.font, (left, right), y, style.body, "回　执", Ink::Heavy);
    y += line_height(style.body);
    b.height = y;
    let mut fields = Fields::default();
    pen.row(
        &mut b,
        [
            Cell::new("户号：", clean(&n.account_no), 28),
            Cell::new("户名：", clean(&n.name), 36),
            Cell::new("欠费合计：", money(n.total), 36),
        ],
        true,
        &mut fields,
    );
    let mut y = b.height + mm(1);
    b.text(left, y, style.small, format!("通知单号：{}　　缴费期限：{}", clean(&n.notice_no), clean(&n.pay_by)));
    y += line_height(style.small) + mm(3);
    pen.signatures(&mut b, y, &["签收人（签字）：", "签收日期：", "送达人："], mm(3));
    b.height = y + line_height(style.body) + mm(1);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::testing::{font, poppler};

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    pub(crate) fn notice(periods: usize) -> ArrearsNotice {
        let lines: Vec<NoticeLine> = (0..periods)
            .map(|i| NoticeLine {
                period: format!("2026-{:02}", 9 - (i % 9)),
                kwh: "215".into(),
                due_date: format!("2026-{:02}-25", 10 - (i % 9)),
                days_overdue: 12 + 30 * u32::try_from(i).unwrap(),
                principal: y("128.37"),
                late_fee: y("1.54"),
            })
            .collect();
        let principal: Yuan = lines.iter().map(|l| l.principal).sum();
        let late_fee: Yuan = lines.iter().map(|l| l.late_fee).sum();
        ArrearsNotice {
            utility: "国网示范供电公司城关营业厅".into(),
            notice_no: "GY01-03-CJ-000042".into(),
            account_no: "3100000001".into(),
            name: "张建国".into(),
            address: "示范市城关区人民路12号1栋2单元301室".into(),
            category: "居民生活".into(),
            meter_no: "0110000123456".into(),
            lines,
            principal,
            late_fee,
            total: principal + late_fee,
            print_date: "2026-11-06".into(),
            pay_by: "2026-11-13".into(),
            pay_where: "城关营业厅收费窗口（现金、银行转账），或银行代收网点".into(),
            hotline: "95598".into(),
        }
    }

    fn text_of(pdf: &[u8]) -> (String, usize) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notice.pdf");
        std::fs::write(&path, pdf).unwrap();
        let pages = poppler("pdfinfo", &[], &path)
            .lines()
            .find_map(|l| l.strip_prefix("Pages:").map(|p| p.trim().parse().unwrap()))
            .unwrap();
        (poppler("pdftotext", &["-layout"], &path), pages)
    }

    #[test]
    fn a_notice_prints_its_periods_fees_words_and_slip_on_every_paper() {
        let n = notice(2);
        for paper in [PaperMode::A4, PaperMode::A5, PaperMode::Continuous241] {
            let (text, pages) = text_of(&render_notice(&n, paper, font()).unwrap());
            assert_eq!(pages, 1, "{paper:?}");
            for want in [
                "电费催缴通知单",
                "3100000001",
                "张建国",
                "2026-09",
                "2026-08",
                "¥128.37",
                "¥1.54",
                "¥259.82",
                "贰佰伍拾玖元捌角贰分",
                "2026-11-13",
                "95598",
                "沿此线剪开",
                "签收人（签字）",
                "签收日期",
            ] {
                assert!(text.contains(want), "{paper:?}: {want:?} missing in\n{text}");
            }
            assert!(text.contains("回") && text.contains("执"), "{paper:?}: the 回执");
        }
    }

    #[test]
    fn many_periods_continue_with_the_slip_on_the_last_sheet() {
        let n = notice(20);
        let (text, pages) = text_of(&render_notice(&n, PaperMode::A5, font()).unwrap());
        assert!(pages > 1, "20 periods do not fit one A5 sheet");
        let sheets: Vec<&str> = text.split('\u{c}').filter(|s| !s.trim().is_empty()).collect();
        assert_eq!(sheets.len(), pages);
        assert!(sheets[pages - 1].contains("签收人"), "the slip is on the last sheet");
        assert!(!sheets[0].contains("签收人"), "and only there");
        assert!(sheets[1].contains("电费催缴通知单（续）") && sheets[1].contains("电费年月"), "header repeated");
        assert!(text.contains(&format!("第 1/{pages} 页")));
    }

    #[test]
    fn a_batch_pdf_holds_each_notice_on_its_own_sheets() {
        let mut b = notice(1);
        b.account_no = "3100000002".into();
        b.name = "李四".into();
        let (text, pages) = text_of(&render_notices(&[notice(1), b], PaperMode::A4, font()).unwrap());
        assert_eq!(pages, 2);
        let sheets: Vec<&str> = text.split('\u{c}').collect();
        assert!(sheets[0].contains("张建国") && sheets[1].contains("李四"));
    }

    #[test]
    fn amounts_that_do_not_add_up_print_nothing() {
        let mut n = notice(2);
        n.total = y("1.00");
        assert!(matches!(render_notice(&n, PaperMode::A4, font()), Err(PrintError::Inconsistent { .. })));
        let mut n = notice(2);
        n.lines[0].late_fee = y("9.99");
        assert!(matches!(render_notice(&n, PaperMode::A4, font()), Err(PrintError::Inconsistent { .. })));
        let mut n = notice(0);
        n.total = Yuan::ZERO;
        assert!(matches!(render_notice(&n, PaperMode::A4, font()), Err(PrintError::Inconsistent { .. })));
    }
}
