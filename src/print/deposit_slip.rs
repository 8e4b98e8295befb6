//! 解款单: the deposit slip, the counter's paper for cash taken to the bank (DOMAIN.md "Shifts and
//! cash"), printed on the counter's paper (A4, A5 or the 241 mm form: one sheet) with the print
//! kit (`kit`), and handed in with the bank's own slip and the day's report.
//!
//! It shows the utility, the terminal and the shift, the slip number and the bank, the amount in
//! figures and in 大写, what the amount is made of (from this shift's drawer; from the safe, which
//! is earlier shifts' holiday cash; of it, holiday cash paid in), who deposited it and when, the
//! signature lines 缴款人 / 复核人 / 银行经办, and where the deposit stands: 在途 (in transit:
//! the centre has not confirmed the bank has it; overdue after the policy's working days) or
//! 已确认 by whom, when, with the bank's reference. The state is also the mark beside the title,
//! so it is seen at a glance. Deposits are recorded without a count by denomination, so the slip
//! has none.
//!
//! Invariants: the amount is positive; the drawer's part is between nothing and the amount; the
//! holiday cash paid in is between the safe's part (the safe holds only holiday cash) and the
//! amount. Otherwise nothing is printed ([`PrintError::Inconsistent`]): the slip is what the bank
//! slip is checked against.

use serde::{Deserialize, Serialize};

use super::kit::{Block, Len, Pen, Style, clean, line_height, mm, money, sheets_to_pdf};
use super::{CjkFont, PaperMode, PrintError};
use crate::money::Yuan;

/// Where a deposit stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DepositState {
    /// 在途: not confirmed by the centre yet; `overdue` after the policy's working days.
    InTransit { overdue: bool },
    /// 已确认: the centre confirmed the bank has it: a finance user, or `statement` (matched on
    /// the bank's statement); when (`YYYY-MM-DD HH:MM:SS`); the bank's reference, if given.
    Confirmed { by: String, at: String, reference: Option<String> },
}

/// Everything a deposit slip prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositSlip {
    pub utility: String,
    /// 收费终端.
    pub terminal: String,
    /// 班次.
    pub shift_id: i64,
    /// 解款单号: the bank slip's number.
    pub slip_no: String,
    /// 缴存银行, in words.
    pub bank: String,
    pub amount: Yuan,
    /// The part from the shift's drawer; the rest came from the safe (earlier holiday cash).
    pub from_drawer: Yuan,
    /// Holiday cash (节假日现金) this deposit paid in; `None` where it was not recorded.
    pub holiday_cash_covered: Option<Yuan>,
    /// 缴款人.
    pub cashier: String,
    /// 解款时间, `YYYY-MM-DD HH:MM:SS`.
    pub deposited_at: String,
    pub state: DepositState,
    /// 打印时间, `YYYY-MM-DD HH:MM:SS`.
    pub printed_at: String,
}

const TITLE: &str = "解款单";

fn inconsistent(d: &DepositSlip, detail: String) -> PrintError {
    PrintError::Inconsistent { detail: format!("deposit slip {}: {detail}", d.slip_no) }
}

fn check_amounts(d: &DepositSlip) -> Result<(), PrintError> {
    if !d.amount.is_positive() {
        return Err(inconsistent(d, format!("a deposit of {} is no deposit", d.amount)));
    }
    if d.from_drawer.is_negative() || d.from_drawer > d.amount {
        return Err(inconsistent(
            d,
            format!("{} from the drawer is not between 0 and the amount {}", d.from_drawer, d.amount),
        ));
    }
    if let Some(covered) = d.holiday_cash_covered {
        let from_safe = d.amount - d.from_drawer;
        if covered < from_safe || covered > d.amount {
            return Err(inconsistent(
                d,
                format!(
                    "holiday cash of {covered} is not between the safe's part {from_safe} and the amount {}",
                    d.amount
                ),
            ));
        }
    }
    Ok(())
}

/// The state beside the title, and in words.
fn state_zh(s: &DepositState) -> (&'static str, String) {
    match s {
        DepositState::InTransit { overdue: false } => ("在途", "在途：待账务中心确认银行到账".to_string()),
        DepositState::InTransit { overdue: true } => {
            ("在途（逾期）", "在途：逾期未确认，请向银行及账务中心查询".to_string())
        }
        DepositState::Confirmed { by, at, reference } => {
            let by = if by == "statement" { "银行对账单匹配".to_string() } else { clean(by) };
            let reference = reference.as_deref().map(|r| format!("　银行流水号 {}", clean(r))).unwrap_or_default();
            ("已确认", format!("已确认：{by}　{}{reference}", clean(at)))
        }
    }
}

/// Renders the slip on `paper` as a one-sheet PDF.
pub fn render_deposit_slip(d: &DepositSlip, paper: PaperMode, font: &CjkFont) -> Result<Vec<u8>, PrintError> {
    let font = font.for_document(d);
    let sheet = layout(d, Style::of(paper), font)?;
    Ok(sheets_to_pdf(&format!("{TITLE} {}", clean(&d.slip_no)), &[sheet.into_sheet(&Style::of(paper))], font))
}

/// The sheet as a block, in the sheet's own coordinates.
fn layout(d: &DepositSlip, style: Style, font: &CjkFont) -> Result<Block, PrintError> {
    check_amounts(d)?;
    let pen = Pen { font, style };
    let (right, small) = (style.right(), style.small);
    let mut c = Block::default();
    let utility = pen.utility(&d.utility, &[style.utility, style.body, small]);
    let heading = pen.heading(
        &mut c,
        style.margin_top,
        Some((&utility, line_height(style.utility))),
        TITLE,
        style.title,
        style.body,
    );
    let (mark, state) = state_zh(&d.state);
    c.text_right(font, right, heading.mark_top, style.body, mark);
    let mut y = heading.below + mm(1);
    c.text_right(font, right, y, small, &format!("打印时间：{}", clean(&d.printed_at)));
    y += line_height(small) + mm(1);

    let from_safe = d.amount - d.from_drawer;
    let made_of = if from_safe.is_zero() {
        format!("出自本班钱箱 {}", money(d.from_drawer))
    } else {
        format!("出自本班钱箱 {}；出自保险柜（往班节假日现金）{}", money(d.from_drawer), money(from_safe))
    };
    let holiday = match d.holiday_cash_covered {
        Some(h) if h.is_positive() => format!("本笔解款含节假日现金 {}", money(h)),
        Some(_) => "无".to_string(),
        None => "未记录".to_string(),
    };
    let rows: Vec<(&str, String)> = vec![
        ("解款单号", clean(&d.slip_no)),
        ("收费终端 / 班次", format!("{}　第 {} 班", clean(&d.terminal), d.shift_id)),
        ("缴存银行", clean(&d.bank)),
        ("解款金额（小写）", money(d.amount)),
        ("解款金额（大写）", d.amount.words()),
        ("其中", made_of),
        ("节假日现金", holiday),
        ("缴款人 / 解款时间", format!("{}　{}", clean(&d.cashier), clean(&d.deposited_at))),
        ("状态", state),
    ];
    let label_width: Len = mm(34);
    y = pen.grid(&mut c, y, label_width, &rows);
    y += mm(9);
    pen.signatures(&mut c, y, &["缴款人（签章）：", "复核人（签章）：", "银行经办（签章）："], mm(4));
    y += line_height(style.body);
    if y > style.bottom() {
        return Err(PrintError::FieldTooLong { field: "缴存银行" });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rstest::rstest;

    use super::*;
    use crate::print::layout::{Draw, text_width};
    use crate::print::testing::{font, poppler};

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    fn slip() -> DepositSlip {
        DepositSlip {
            utility: "国网贵州省电力有限公司贵阳供电局".into(),
            terminal: "GY01-03".into(),
            shift_id: 12,
            slip_no: "JK0009".into(),
            bank: "中国工商银行".into(),
            amount: y("1300.00"),
            from_drawer: y("1100.00"),
            holiday_cash_covered: Some(y("500.00")),
            cashier: "李晓梅".into(),
            deposited_at: "2026-03-02 16:00:00".into(),
            state: DepositState::InTransit { overdue: false },
            printed_at: "2026-03-02 16:00:05".into(),
        }
    }

    fn text_of(d: &DepositSlip, paper: PaperMode) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slip.pdf");
        std::fs::write(&path, render_deposit_slip(d, paper, font()).unwrap()).unwrap();
        let info = poppler("pdfinfo", &[], &path);
        assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "one sheet: {info}");
        poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &path).chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn a_slip_in_transit_prints_the_amount_what_it_is_made_of_and_the_signature_lines() {
        let text = text_of(&slip(), PaperMode::A5);
        for want in [
            "国网贵州省电力有限公司贵阳供电局",
            "解款单",
            "解款单号JK0009",
            "GY01-03第12班",
            "中国工商银行",
            "¥1,300.00",
            "壹仟叁佰元整",
            "出自本班钱箱¥1,100.00；出自保险柜（往班节假日现金）¥200.00",
            "本笔解款含节假日现金¥500.00",
            "李晓梅2026-03-0216:00:00",
            "在途：待账务中心确认银行到账",
            "缴款人（签章）：",
            "复核人（签章）：",
            "银行经办（签章）：",
        ] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
        assert!(!text.contains("已确认"), "{text}");
    }

    #[rstest]
    #[case::by_finance(DepositState::Confirmed { by: "finance1".into(), at: "2026-03-05 10:00:00".into(), reference: Some("ICBC-CR-778".into()) }, "已确认：finance12026-03-0510:00:00银行流水号ICBC-CR-778")]
    #[case::by_statement(DepositState::Confirmed { by: "statement".into(), at: "2026-03-05 10:00:00".into(), reference: None }, "已确认：银行对账单匹配2026-03-0510:00:00")]
    #[case::overdue(DepositState::InTransit { overdue: true }, "在途：逾期未确认")]
    fn the_slip_says_where_the_deposit_stands(#[case] state: DepositState, #[case] shown: &str) {
        let mut d = slip();
        d.state = state;
        let text = text_of(&d, PaperMode::A4);
        assert!(text.contains(shown), "{shown:?} missing:\n{text}");
    }

    #[test]
    fn an_ordinary_deposit_says_it_came_from_the_drawer() {
        let mut d = slip();
        d.from_drawer = d.amount;
        d.holiday_cash_covered = None;
        let text = text_of(&d, PaperMode::Continuous241);
        assert!(text.contains("出自本班钱箱¥1,300.00节假日现金未记录"), "{text}");
        assert!(!text.contains("保险柜"), "{text}");
    }

    #[test]
    fn nothing_is_drawn_outside_the_margins_on_any_paper() {
        let mut long = slip();
        long.utility = "国网某某省电力有限公司某某市供电分公司某某县供电局城区供电所营业厅".repeat(2);
        long.bank = "中国农业银行股份有限公司贵州省分行营业部观山湖区金阳南路支行".repeat(2);
        long.slip_no = "ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789".into();
        long.cashier = "阿卜杜热合曼·买买提依明".into();
        long.amount = y("999999999999.99");
        long.from_drawer = y("999999999999.99");
        long.state = DepositState::Confirmed {
            by: "finance1".into(),
            at: "2026-03-05 10:00:00".into(),
            reference: Some("ICBC-CR-778-0000000000000000000000000000".into()),
        };
        for paper in [PaperMode::A4, PaperMode::A5, PaperMode::Continuous241] {
            let style = Style::of(paper);
            for d in [slip(), long.clone()] {
                let block = layout(&d, style, font()).unwrap_or_else(|e| panic!("{paper:?}: {e}"));
                for item in &block.items {
                    match item {
                        Draw::Text { x, top, size, text, .. } => {
                            let right = x + text_width(font(), text, *size);
                            assert!(*x >= style.left() && right <= style.right(), "{paper:?}: {text:?} runs off");
                            assert!(*top >= style.margin_top && top + size <= style.bottom(), "{paper:?}: {text:?}");
                        }
                        Draw::Line { x1, y1, x2, y2, .. } => {
                            assert!(*x1 >= style.left() && *x2 <= style.right(), "{paper:?}");
                            assert!(*y1 >= style.margin_top && *y2 <= style.bottom(), "{paper:?}");
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[rstest]
    #[case::nothing(|d: &mut DepositSlip| { d.amount = Yuan::ZERO; d.from_drawer = Yuan::ZERO; }, "no deposit")]
    #[case::drawer_above_amount(|d: &mut DepositSlip| d.from_drawer = y("1300.01"), "from the drawer")]
    #[case::safe_without_holiday_cash(|d: &mut DepositSlip| d.holiday_cash_covered = Some(y("199.99")), "holiday cash")]
    #[case::holiday_above_amount(|d: &mut DepositSlip| d.holiday_cash_covered = Some(y("1300.01")), "holiday cash")]
    fn a_slip_that_does_not_add_up_is_refused(#[case] spoil: fn(&mut DepositSlip), #[case] says: &str) {
        let mut d = slip();
        spoil(&mut d);
        let err = render_deposit_slip(&d, PaperMode::A5, font()).unwrap_err();
        assert_eq!(err.code(), "PRINT_RECEIPT_INCONSISTENT", "{err}");
        assert!(err.to_string().contains(says) && err.to_string().contains("deposit slip JK0009"), "{err}");
    }

    /// Writes PNGs of the slip on each paper to $CASHDESK_PRINT_PREVIEW_DIR.
    #[test]
    fn preview_pngs_when_asked() {
        let Some(dir) = std::env::var_os("CASHDESK_PRINT_PREVIEW_DIR") else {
            eprintln!("skipped: set CASHDESK_PRINT_PREVIEW_DIR to write preview PNGs");
            return;
        };
        for (name, paper) in
            [("slip_a4", PaperMode::A4), ("slip_a5", PaperMode::A5), ("slip_241", PaperMode::Continuous241)]
        {
            let pdf = Path::new(&dir).join(format!("{name}.pdf"));
            std::fs::write(&pdf, render_deposit_slip(&slip(), paper, font()).unwrap()).unwrap();
            let status = std::process::Command::new("pdftoppm")
                .args(["-png", "-r", "70"])
                .arg(&pdf)
                .arg(Path::new(&dir).join(name))
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}
