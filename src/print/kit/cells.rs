//! 栏目: labelled values. A row of cells across the page (`户名：王建国`, each cell a share of the
//! width), a ruled grid of label/value rows (a form), and signature lines.
//!
//! Every value goes through `fit` (shrink, then wrap, in its own box), so no customer record can
//! push text past its cell; the lines each value took are noted in [`Fields`], so a document that
//! cannot fit names the field to shorten.

use super::super::layout::{Ink, Len, fit, mm, text_width};
use super::Pen;
use super::block::Block;
use super::paper::line_height;

/// Line height in a form's grid, as a percentage of the type size: a little airier than running
/// text, for handwriting beside it.
const GRID_LEADING: i32 = 140;

/// A labelled value in a box: the label in body type, the value fitted in the rest.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    label: &'static str,
    value: String,
    /// Share of the row's width, in percent.
    percent: Len,
    max_lines: usize,
}

impl Cell {
    pub fn new(label: &'static str, value: impl Into<String>, percent: Len) -> Cell {
        Cell { label, value: value.into(), percent, max_lines: 1 }
    }

    /// Lets the value wrap onto up to `max_lines` lines (the row grows).
    pub fn lines(mut self, max_lines: usize) -> Cell {
        self.max_lines = max_lines;
        self
    }

    /// The field's name in an error: the label without its colon.
    fn field(&self) -> &'static str {
        self.label.trim_end_matches('：')
    }
}

/// Lines taken by each variable field, to name the culprit when a document cannot fit.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(Vec<(&'static str, usize)>);

impl Fields {
    pub fn note(&mut self, field: &'static str, lines: usize) {
        self.0.push((field, lines));
    }

    /// The field that takes the most lines (the last of equals): the one to shorten.
    pub fn longest(&self) -> Option<&'static str> {
        self.0.iter().max_by_key(|(_, lines)| *lines).map(|(name, _)| *name)
    }
}

impl Pen<'_> {
    /// Lays out a row of cells at the bottom of `b`, with a rule under it (and above it when
    /// `rule_above`).
    pub fn row(&self, b: &mut Block, cells: impl IntoIterator<Item = Cell>, rule_above: bool, fields: &mut Fields) {
        let (style, font) = (&self.style, self.font);
        let gap = mm(1);
        let top = b.height + gap;
        if rule_above {
            b.hline(style.left(), style.right(), b.height, 20);
        }
        let mut x = style.left();
        let mut height = line_height(style.body);
        for cell in cells {
            let width = style.content_width() * cell.percent / 100;
            let label_width = text_width(font, cell.label, style.body);
            b.text(x, top, style.body, cell.label);
            let fitted = fit(font, &cell.value, width - label_width - mm(2), &style.sizes(), cell.max_lines);
            fields.note(cell.field(), fitted.lines.len());
            // Smaller type sits on the label's baseline region rather than floating at the top.
            let drop = style.body - fitted.size;
            height = height.max(b.lines(x + label_width, top + drop, &fitted) + drop);
            x += width;
        }
        b.height = top + height + gap;
        b.hline(style.left(), style.right(), b.height, 20);
    }

    /// Label/value rows in a ruled, boxed grid from `top`, the labels in a column `label_width`
    /// wide; each value fitted in up to three lines. Returns the y below the grid.
    pub fn grid(&self, b: &mut Block, top: Len, label_width: Len, rows: &[(&str, String)]) -> Len {
        let (style, font) = (&self.style, self.font);
        let (left, right) = (style.left(), style.right());
        let value_x = left + label_width;
        let mut y = top;
        b.hline(left, right, y, 20);
        for (label, value) in rows {
            let fitted = fit(font, value, right - value_x - mm(4), &style.sizes(), 3);
            let height = fitted.height(GRID_LEADING).max(style.body * GRID_LEADING / 100) + mm(3);
            b.text(left + mm(2), y + mm(2), style.small, label.to_string());
            b.lines_with(value_x + mm(2), y + mm(2), &fitted, GRID_LEADING, Ink::Fill);
            y += height;
            b.hline(left, right, y, 10);
        }
        b.rect(left, top, right - left, y - top, 20);
        b.vline(value_x, top, y, 10);
        y
    }

    /// Signature lines side by side at `top`: each label in body type and a line to sign on,
    /// ending `gap` before the next label.
    pub fn signatures(&self, b: &mut Block, top: Len, labels: &[&str], gap: Len) {
        let (style, font) = (&self.style, self.font);
        let share = style.content_width() / i32::try_from(labels.len()).unwrap_or(1).max(1);
        for (i, label) in labels.iter().enumerate() {
            let x = style.left() + i32::try_from(i).unwrap_or(0) * share;
            b.text(x, top, style.body, *label);
            let lx = x + text_width(font, label, style.body);
            b.hline(lx, x + share - gap, top + style.body, 15);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::layout::Draw;
    use super::super::paper::Style;
    use super::*;
    use crate::print::testing::font;

    #[test]
    fn a_row_grows_with_a_wrapped_value_and_notes_its_lines() {
        let pen = Pen { font: font(), style: Style::A5 };
        let mut one = Block::default();
        let mut fields = Fields::default();
        pen.row(&mut one, [Cell::new("户名：", "王建国", 50)], false, &mut fields);
        let mut two = Block::default();
        let long = "贵州省贵阳市观山湖区某某某某房地产开发有限责任公司第三物业管理分公司".repeat(2);
        pen.row(
            &mut two,
            [Cell::new("户名：", "王建国", 50), Cell::new("地址：", long, 50).lines(2)],
            true,
            &mut fields,
        );
        assert!(two.height > one.height, "two lines take more room: {} vs {}", two.height, one.height);
        assert_eq!(fields.longest(), Some("地址"), "the wrapped field is the one to shorten");
        for item in &two.items {
            if let Draw::Text { x, text, size, .. } = item {
                assert!(x + text_width(font(), text, *size) <= pen.style.right(), "{text:?} stays in its row");
            }
        }
    }
}
