//! 打印测试页: the page a supervisor prints from Settings to check a printer before the counter
//! relies on it: which counter and printer it came from, the paper, Chinese and figures as receipts
//! print them, and a 100 mm rule to check the scale (a driver that shrinks to fit prints it short).

use serde::Serialize;

use super::kit::{Block, Pen, Style, clean, line_height, mm, money, sheets_to_pdf};
use super::{CjkFont, PaperMode, PrintError};
use crate::money::Yuan;

const TITLE: &str = "打印测试页";

/// What a test page shows.
#[derive(Debug, Clone, Serialize)]
pub struct TestPage {
    pub utility: String,
    pub terminal: String,
    pub printer: String,
    pub paper: PaperMode,
    pub printed_by: String,
    pub printed_at: String,
}

/// The test page's PDF, on `page.paper`.
pub fn render_test_page(page: &TestPage, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(page);
    let style = Style::of(page.paper);
    let sheet = layout(page, style, font)?;
    Ok(sheets_to_pdf(TITLE, &[sheet.into_sheet(&style)], font))
}

fn paper_zh(paper: PaperMode) -> &'static str {
    match paper {
        PaperMode::A4 => "A4（210 × 297 mm）",
        PaperMode::A5 => "A5 横向（210 × 148 mm）",
        PaperMode::Continuous241 => "241 mm 连续纸",
    }
}

fn layout(p: &TestPage, style: Style, font: &CjkFont) -> Result<Block, PrintError> {
    let pen = Pen { font, style };
    let mut c = Block::default();
    let utility = pen.utility(&p.utility, &[style.utility, style.body, style.small]);
    let heading = pen.heading(
        &mut c,
        style.margin_top,
        Some((&utility, line_height(style.utility))),
        TITLE,
        style.title,
        style.body,
    );
    let mut y = heading.below + mm(2);
    let sample = Yuan::parse("12793.38").map_err(|_| PrintError::Inconsistent { detail: "sample amount".into() })?;
    let rows: Vec<(&str, String)> = vec![
        ("收费终端", clean(&p.terminal)),
        ("打印机", clean(&p.printer)),
        ("纸张", paper_zh(p.paper).to_string()),
        ("打印人 / 时间", format!("{}　{}", clean(&p.printed_by), clean(&p.printed_at))),
        ("金额样张", format!("{}　{}", money(sample), sample.words())),
        ("字样", "电费 违约金 预付费 收据 存根 客户 记账 0123456789".to_string()),
    ];
    y = pen.grid(&mut c, y, mm(30), &rows);
    y += mm(8);
    let left = style.left();
    c.hline(left, left + mm(100), y, mm(1) / 2);
    c.vline(left, y - mm(2), y + mm(2), mm(1) / 4);
    c.vline(left + mm(100), y - mm(2), y + mm(2), mm(1) / 4);
    y += mm(3);
    c.text(left, y, style.small, "上方线段应长 100 mm：长短不符时，请在打印机设置中关闭“缩放以适合纸张”。");
    y += line_height(style.small);
    if y > style.bottom() {
        return Err(PrintError::FieldTooLong { field: "打印机" });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::testing::{font, poppler};

    #[rstest::rstest]
    #[case::a4(PaperMode::A4)]
    #[case::a5(PaperMode::A5)]
    fn a_test_page_names_the_counter_and_printer_and_prints_chinese_and_figures(#[case] paper: PaperMode) {
        let page = TestPage {
            utility: "国网贵州省电力有限公司贵阳供电局".into(),
            terminal: "GY01-03".into(),
            printer: "counter-a4".into(),
            paper,
            printed_by: "super1".into(),
            printed_at: "2026-12-07 09:00:00".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pdf");
        std::fs::write(&path, render_test_page(&page, font()).unwrap()).unwrap();
        let info = poppler("pdfinfo", &[], &path);
        assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "one sheet: {info}");
        let text: String =
            poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &path).chars().filter(|c| !c.is_whitespace()).collect();
        for want in
            ["打印测试页", "GY01-03", "counter-a4", "super1", "¥12,793.38", "壹万贰仟柒佰玖拾叁元叁角捌分", "100mm"]
        {
            assert!(text.contains(want), "{want} in {text}");
        }
    }
}
