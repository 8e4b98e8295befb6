//! 版面: integer layout and its conversion to PDF.
//!
//! All lengths are `i32` hundredths of a millimetre ([`Len`]), measured from the top-left corner of
//! the sheet, y growing downwards as a person reads. Text is measured from the font's advance
//! widths with integer arithmetic. Only [`sheets_to_pdf`] turns these into printpdf's `f32` points
//! (origin bottom-left), in the one function that is allowed floats; no money ever reaches it as a
//! number, only as already-formatted text.

use printpdf::{
    Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
    TextRenderingMode,
};

use super::CjkFont;

/// A length in hundredths of a millimetre.
pub(crate) type Len = i32;

/// `v` millimetres.
pub(crate) const fn mm(v: i32) -> Len {
    v * 100
}

/// A font size of `tenths` tenths of a point (`pt10(105)` = 10.5 pt), as a length.
pub(crate) const fn pt10(tenths: i32) -> Len {
    tenths * 254 / 72
}

/// Where the top of the em box sits above the baseline, as a fraction of the size: CJK faces
/// put the ideographic em box from −0.12 to 0.88 em.
const ASCENT_PERCENT: i64 = 88;

/// How text is inked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ink {
    Fill,
    /// Filled and outlined: a heavier weight from a regular face.
    Heavy,
}

/// One thing drawn on a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Draw {
    /// Text whose em box starts at `top`.
    Text {
        x: Len,
        top: Len,
        size: Len,
        text: String,
        ink: Ink,
    },
    Line {
        x1: Len,
        y1: Len,
        x2: Len,
        y2: Len,
        width: Len,
    },
    Rect {
        x: Len,
        y: Len,
        w: Len,
        h: Len,
        width: Len,
    },
    /// Outlined text centred on (`cx`, `cy`), turned 36.87° (a 3-4-5 triangle, so the rotation is
    /// exact in integers) counter-clockwise: the 作废 stamp.
    Stamp {
        cx: Len,
        cy: Len,
        size: Len,
        width: Len,
        text: String,
    },
}

/// One sheet of paper and what is drawn on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sheet {
    pub width: Len,
    pub height: Len,
    pub items: Vec<Draw>,
}

/// Text measured and broken into lines for a box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fitted {
    pub size: Len,
    pub lines: Vec<String>,
}

impl Fitted {
    /// Height of the lines at `leading_percent` of the size per line.
    pub fn height(&self, leading_percent: i32) -> Len {
        let lines = i32::try_from(self.lines.len()).unwrap_or(i32::MAX);
        lines.saturating_mul(self.size * leading_percent / 100)
    }
}

/// Replaces control characters (a newline in an imported address, a tab) by spaces, so that
/// every character printed is one the layout measured.
pub(crate) fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// Width of `text` at `size`.
pub(crate) fn text_width(font: &CjkFont, text: &str, size: Len) -> Len {
    let units: i64 = text.chars().map(|c| font.advance(c)).sum();
    let width = units.saturating_mul(i64::from(size)) / font.units_per_em();
    i32::try_from(width).unwrap_or(Len::MAX)
}

/// Breaks `text` into lines no wider than `width`. Chinese may break between any two characters;
/// a line never starts with a space. A character wider than the box still gets its own line, so
/// the loop always makes progress.
pub(crate) fn wrap(font: &CjkFont, text: &str, size: Len, width: Len) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_units: i64 = 0;
    // Compare in font units × size to avoid a division per character.
    let limit = i64::from(width).saturating_mul(font.units_per_em());
    for c in text.chars() {
        let units = font.advance(c);
        if !line.is_empty() && (line_units + units).saturating_mul(i64::from(size)) > limit {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
            line_units = 0;
            if c == ' ' {
                continue;
            }
        }
        line.push(c);
        line_units += units;
    }
    if !line.trim().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Fits `text` into a box `width` wide: the first of `sizes` (largest first) at which it takes at
/// most `max_lines` lines; failing that, the smallest size with as many lines as it needs.
pub(crate) fn fit(font: &CjkFont, text: &str, width: Len, sizes: &[Len], max_lines: usize) -> Fitted {
    let text = clean(text);
    let mut fitted = Fitted { size: pt10(80), lines: vec![text.clone()] };
    for &size in sizes {
        fitted = Fitted { size, lines: wrap(font, &text, size, width) };
        if fitted.lines.len() <= max_lines {
            break;
        }
    }
    fitted
}

/// The largest size up to `size` at which `text` fits on one line `width` wide.
pub(crate) fn shrink_to(font: &CjkFont, text: &str, width: Len, size: Len) -> Len {
    let units: i64 = text.chars().map(|c| font.advance(c)).sum();
    if units == 0 {
        return size;
    }
    let fitting = i64::from(width.max(1)).saturating_mul(font.units_per_em()) / units;
    i32::try_from(fitting).unwrap_or(size).clamp(1, size)
}

/// A length in PDF points. The one place where layout meets printpdf's floats.
#[allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::disallowed_types,
    reason = "printpdf takes coordinates as f32 points; lengths are exact integers until here and are never money"
)]
fn pt(v: Len) -> Pt {
    Pt(v as f32 * 72.0 / 2540.0)
}

/// Colour, stroke and stamp constants, in printpdf's float terms.
#[allow(clippy::disallowed_types, reason = "printpdf's colour and matrix values are f32; none is money")]
mod ink {
    use printpdf::{Color, Greyscale, Pt, TextMatrix};

    pub(super) fn grey(percent: f32) -> Color {
        Color::Greyscale(Greyscale { percent, icc_profile: None })
    }
    pub(super) const BLACK: f32 = 0.0;
    pub(super) const STAMP_GREY: f32 = 0.35;
    /// The outline that makes [`super::Ink::Heavy`] text heavier.
    pub(super) const HEAVY_OUTLINE: Pt = Pt(0.35);
    /// The stamp's outline.
    pub(super) const STAMP_OUTLINE: Pt = Pt(1.2);

    /// Text matrix turning by the angle whose cosine is 4/5 and sine 3/5, starting at (x, y).
    pub(super) fn rotated(x: Pt, y: Pt) -> TextMatrix {
        TextMatrix::Raw([0.8, 0.6, -0.6, 0.8, x.0, y.0])
    }
}

fn point(sheet: &Sheet, x: Len, y: Len) -> Point {
    Point { x: pt(x), y: pt(sheet.height - y) }
}

fn text_ops(ops: &mut Vec<Op>, font: &PdfFontHandle, size: Len, text: &str) {
    ops.push(Op::SetFont { font: font.clone(), size: pt(size) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
}

fn sheet_ops(sheet: &Sheet, font: &PdfFontHandle) -> Vec<Op> {
    let mut ops =
        vec![Op::SetFillColor { col: ink::grey(ink::BLACK) }, Op::SetOutlineColor { col: ink::grey(ink::BLACK) }];
    for item in &sheet.items {
        match item {
            Draw::Text { x, top, size, text, ink: style } => {
                let baseline = top + i32::try_from(i64::from(*size) * ASCENT_PERCENT / 100).unwrap_or(0);
                ops.push(Op::StartTextSection);
                if *style == Ink::Heavy {
                    ops.push(Op::SetOutlineThickness { pt: ink::HEAVY_OUTLINE });
                    ops.push(Op::SetTextRenderingMode { mode: TextRenderingMode::FillStroke });
                }
                ops.push(Op::SetTextCursor { pos: point(sheet, *x, baseline) });
                text_ops(&mut ops, font, *size, text);
                if *style == Ink::Heavy {
                    ops.push(Op::SetTextRenderingMode { mode: TextRenderingMode::Fill });
                }
                ops.push(Op::EndTextSection);
            }
            Draw::Line { x1, y1, x2, y2, width } => {
                ops.push(Op::SetOutlineThickness { pt: pt(*width) });
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint { p: point(sheet, *x1, *y1), bezier: false },
                            LinePoint { p: point(sheet, *x2, *y2), bezier: false },
                        ],
                        is_closed: false,
                    },
                });
            }
            Draw::Rect { x, y, w, h, width } => {
                ops.push(Op::SetOutlineThickness { pt: pt(*width) });
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: pt(*x),
                        y: pt(sheet.height - y - h),
                        width: pt(*w),
                        height: pt(*h),
                        mode: Some(PaintMode::Stroke),
                        winding_order: None,
                    },
                });
            }
            Draw::Stamp { cx, cy, size, width, text } => {
                // Start so that the middle of the text's em box lands on the centre: go back half
                // the width along the rotated baseline (cos 4/5, sin 3/5 in PDF's y-up space) and
                // down by 0.38 em (from the box's middle to the baseline) perpendicular to it.
                let half = i64::from(*width) / 2;
                let drop = i64::from(*size) * 38 / 100;
                let dx = (half * 4 - drop * 3) / 5;
                let dy_up = (half * 3 + drop * 4) / 5;
                let x = cx - i32::try_from(dx).unwrap_or(0);
                // In top-down coordinates "up" is minus.
                let y = cy + i32::try_from(dy_up).unwrap_or(0);
                let start = point(sheet, x, y);
                ops.push(Op::SaveGraphicsState);
                ops.push(Op::SetOutlineColor { col: ink::grey(ink::STAMP_GREY) });
                ops.push(Op::SetOutlineThickness { pt: ink::STAMP_OUTLINE });
                ops.push(Op::StartTextSection);
                ops.push(Op::SetTextRenderingMode { mode: TextRenderingMode::Stroke });
                ops.push(Op::SetTextMatrix { matrix: ink::rotated(start.x, start.y) });
                text_ops(&mut ops, font, *size, text);
                ops.push(Op::SetTextRenderingMode { mode: TextRenderingMode::Fill });
                ops.push(Op::EndTextSection);
                ops.push(Op::RestoreGraphicsState);
            }
        }
    }
    ops
}

/// Renders sheets to a PDF with the font embedded as a subset.
pub(crate) fn sheets_to_pdf(title: &str, sheets: &[Sheet], font: &CjkFont) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    let handle = PdfFontHandle::External(doc.add_font(&font.parsed));
    let pages = sheets
        .iter()
        .map(|sheet| {
            let ops = sheet_ops(sheet, &handle);
            let mut page = PdfPage::new(Mm(0.0), Mm(0.0), ops);
            let media = Rect::from_wh(pt(sheet.width), pt(sheet.height));
            page.media_box = media.clone();
            page.trim_box = media.clone();
            page.crop_box = media;
            page
        })
        .collect();
    let options = PdfSaveOptions { subset_fonts: true, ..PdfSaveOptions::default() };
    doc.with_pages(pages).save(&options, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::testing::font;
    use rstest::rstest;

    #[rstest]
    #[case::empty("", 1)]
    #[case::short("户名", 1)]
    #[case::long_chinese(&"贵州省贵阳市观山湖区".repeat(8), 4)]
    #[case::latin_words(&"Room 1203 Building ".repeat(10), 3)]
    fn wrapped_lines_never_exceed_the_box(#[case] text: &str, #[case] at_least: usize) {
        let width = mm(60);
        let lines = wrap(font(), text, pt10(100), width);
        assert!(lines.len() >= at_least.min(lines.len()).max(1), "{lines:?}");
        for line in &lines {
            assert!(text_width(font(), line, pt10(100)) <= width, "{line:?} is wider than the box");
            assert!(!line.starts_with(' '), "no line starts with a space: {line:?}");
        }
        let joined: String = lines.concat();
        assert_eq!(
            joined.chars().filter(|c| *c != ' ').collect::<String>(),
            text.chars().filter(|c| *c != ' ').collect::<String>(),
            "wrapping loses no character"
        );
    }

    #[test]
    fn fit_shrinks_before_it_wraps() {
        let sizes = [pt10(100), pt10(85), pt10(70)];
        let text = "贵州省贵阳市观山湖区林城西路";
        let one_line_at_small = text_width(font(), text, pt10(70));
        let fitted = fit(font(), text, one_line_at_small + 10, &sizes, 1);
        assert_eq!(fitted.lines.len(), 1, "shrinks to fit on one line: {fitted:?}");
        assert!(fitted.size < pt10(100));
        let fitted = fit(font(), &text.repeat(5), one_line_at_small, &sizes, 1);
        assert_eq!(fitted.size, pt10(70), "at the smallest size it wraps instead");
        assert!(fitted.lines.len() > 1);
    }

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(clean(" 观山湖区\n林城西路\t8号 "), "观山湖区 林城西路 8号");
    }

    #[test]
    fn a_character_wider_than_the_box_still_makes_progress() {
        let lines = wrap(font(), "联联联", pt10(100), 1);
        assert_eq!(lines, vec!["联", "联", "联"]);
    }

    #[test]
    fn sizes_convert_exactly_enough() {
        assert_eq!(mm(241), 24100);
        assert_eq!(pt10(720), 2540, "72 pt is one inch");
    }
}
