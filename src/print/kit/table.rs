//! 表格: tables of fixed columns. A [`Table`] is a set of column edges (shares of a width), their
//! alignment (figures right, words left), a type size and a row height; it makes a header row and
//! body rows as [`Block`]s, which a document stacks, places side by side ([`Pen::side_by_side`])
//! or hands to the band flow (`pages`), which repeats the header on every sheet the table
//! continues on.
//!
//! Figures, receipt and account numbers are never wrapped or cut: a value too long for its cell
//! is set smaller until it fits on one line. One cell of a row may instead be fitted (a name):
//! it shrinks, then wraps onto a second line, and the row grows.

use super::super::CjkFont;
use super::super::layout::{Fitted, Len, fit, mm, shrink_to, text_width};
use super::Pen;
use super::block::Block;
use super::paper::{LEADING, line_height};

/// Space between a cell's edge and its text.
pub(crate) const PAD: Len = mm(1);
/// Space between tables side by side.
const COLUMN_GAP: Len = mm(4);

/// Column edges, alignment, type and row height of a table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// Column edges, left to right: one more than the columns.
    xs: Vec<Len>,
    /// Whether each column is right-aligned.
    right: Vec<bool>,
    size: Len,
    row: Len,
    /// The width of the rule under each body row, if any.
    row_rule: Option<Len>,
}

/// One body row of a table.
#[derive(Debug, Clone)]
pub(crate) enum Line {
    /// A value per column.
    Cells(Vec<String>),
    /// A label from the first column over the figure columns, and a value in the last (预存电费).
    Spanning { label: String, value: String },
}

/// A body row drawn, with where each cell's text went (to strike one through).
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub block: Block,
    /// (top, size) of each cell's text.
    spots: Vec<(Len, Len)>,
}

impl Table {
    /// Columns of `percents` of `width` from `left`, right-aligned where `right` says so; text
    /// of `size` in rows `row` high.
    pub fn new(left: Len, width: Len, percents: &[Len], right: &[bool], size: Len, row: Len) -> Table {
        let mut xs = Vec::with_capacity(percents.len() + 1);
        xs.push(left);
        let mut acc = 0;
        for p in percents {
            acc += p;
            xs.push(left + width * acc / 100);
        }
        Table { xs, right: right.to_vec(), size, row, row_rule: None }
    }

    /// Rules each body row off with a line `width` wide.
    pub fn ruled(mut self, width: Len) -> Table {
        self.row_rule = Some(width);
        self
    }

    pub fn left(&self) -> Len {
        self.xs.first().copied().unwrap_or(0)
    }

    pub fn right(&self) -> Len {
        self.xs.last().copied().unwrap_or(0)
    }

    /// Left and right edge of column `i`.
    pub fn column(&self, i: usize) -> (Len, Len) {
        (self.xs.get(i).copied().unwrap_or(0), self.xs.get(i + 1).copied().unwrap_or(0))
    }

    fn is_right(&self, i: usize) -> bool {
        self.right.get(i).copied().unwrap_or(false)
    }

    /// One line of text in column `i` with its top at `top`.
    fn cell(&self, b: &mut Block, font: &CjkFont, i: usize, top: Len, size: Len, text: &str) {
        let (l, r) = self.column(i);
        if self.is_right(i) {
            b.text_right(font, r - PAD, top, size, text);
        } else {
            b.text(l + PAD, top, size, text);
        }
    }

    /// The size at which `text` fits column `i` on one line, at most the table's.
    fn size_in(&self, font: &CjkFont, i: usize, text: &str) -> Len {
        let (l, r) = self.column(i);
        shrink_to(font, text, r - l - 2 * PAD, self.size)
    }

    /// The header row: the column names between a heavy rule above and a light one below.
    pub fn header(&self, font: &CjkFont, names: &[&str]) -> Block {
        let mut b = Block::default();
        b.hline(self.left(), self.right(), 0, 20);
        let top = (self.row - self.size) / 2;
        for (i, name) in names.iter().enumerate() {
            let size = self.size_in(font, i, name);
            self.cell(&mut b, font, i, top + (self.size - size), size, name);
        }
        b.height = self.row;
        b.hline(self.left(), self.right(), self.row, 15);
        b
    }

    /// A row of single-line cells.
    pub fn row(&self, font: &CjkFont, values: &[String]) -> Row {
        self.row_fitting(font, values, None)
    }

    /// A row whose cell `fitted` is fitted in `smaller` sizes (the table's and the first on one
    /// line, else the two smaller on two lines); the row grows to hold it.
    pub fn row_fitted(&self, font: &CjkFont, values: &[String], fitted: usize, smaller: [Len; 2]) -> Row {
        self.row_fitting(font, values, Some((fitted, smaller)))
    }

    fn row_fitting(&self, font: &CjkFont, values: &[String], fitted_cell: Option<(usize, [Len; 2])>) -> Row {
        let mut b = Block::default();
        // One line, a little smaller if need be; failing that, two lines in small type; failing
        // that, as many lines as it takes in the smallest.
        let fitted: Option<(usize, Fitted)> = fitted_cell.map(|(i, [small, min])| {
            let (l, r) = self.column(i);
            let width = r - l - 2 * PAD;
            let text = values.get(i).map_or("", String::as_str);
            let one = fit(font, text, width, &[self.size, small], 1);
            (i, if one.lines.len() == 1 { one } else { fit(font, text, width, &[small, min], 2) })
        });
        let height = fitted.as_ref().map_or(self.row, |(_, f)| self.row.max(f.height(LEADING) + mm(1)));
        let mut spots = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            if let Some((cell, f)) = &fitted
                && *cell == i
            {
                let top = (height - f.height(LEADING)) / 2 + (line_height(f.size) - f.size) / 2;
                b.lines(self.column(i).0 + PAD, top, f);
                spots.push((top, f.size));
                continue;
            }
            let size = self.size_in(font, i, value);
            let top = (height - self.size) / 2 + (self.size - size);
            self.cell(&mut b, font, i, top, size, value);
            spots.push((top, size));
        }
        b.height = height;
        if let Some(width) = self.row_rule {
            b.hline(self.left(), self.right(), height, width);
        }
        Row { block: b, spots }
    }

    /// A [`Line::Spanning`] row: the label from the first column, the value in the last, neither
    /// shrunk.
    pub fn spanning(&self, font: &CjkFont, label: &str, value: &str) -> Block {
        let mut b = Block::default();
        let top = (self.row - self.size) / 2;
        b.text(self.left() + PAD, top, self.size, label);
        b.text_right(font, self.right() - PAD, top, self.size, value);
        b.height = self.row;
        b
    }

    /// Closes the table at the bottom of `b` with a heavy rule.
    pub fn close(&self, b: &mut Block) {
        b.hline(self.left(), self.right(), b.height, 20);
    }
}

impl Row {
    /// Strikes the text of cell `i` (`text`, right-aligned) through: listed for the record,
    /// counted nowhere.
    pub fn strike(&mut self, font: &CjkFont, table: &Table, i: usize, text: &str) {
        if let Some(&(top, size)) = self.spots.get(i) {
            let w = text_width(font, text, size);
            let right = table.column(i).1 - PAD;
            self.block.hline(right - w, right, top + size * 45 / 100, 15);
        }
    }
}

impl Pen<'_> {
    /// Draws `lines` from `top` as `columns` tables side by side across the content width, each made by `table(left, width)` with the header `names` (left out over a column
    /// of spanning rows only: it would head empty columns). Returns the y below the tallest.
    pub fn side_by_side(
        &self,
        b: &mut Block,
        top: Len,
        columns: usize,
        table: impl Fn(Len, Len) -> Table,
        names: &[&str],
        lines: &[Line],
    ) -> Len {
        let n = i32::try_from(columns).unwrap_or(1).max(1);
        let gap = COLUMN_GAP;
        let column_width = (self.style.content_width() - gap * (n - 1)) / n;
        let per_column = lines.len().div_ceil(columns.max(1));
        let mut bottom = top;
        for (col, chunk) in lines.chunks(per_column.max(1)).enumerate() {
            let t = table(self.style.left() + i32::try_from(col).unwrap_or(0) * (column_width + gap), column_width);
            let mut y = top;
            if chunk.iter().all(|line| matches!(line, Line::Spanning { .. })) {
                b.hline(t.left(), t.right(), top, 20);
            } else {
                b.put(t.header(self.font, names), y);
                y += t.row;
            }
            for line in chunk {
                let row = match line {
                    Line::Cells(values) => t.row(self.font, values).block,
                    Line::Spanning { label, value } => t.spanning(self.font, label, value),
                };
                let height = row.height;
                b.put(row, y);
                y += height;
            }
            b.hline(t.left(), t.right(), y, 20);
            bottom = bottom.max(y);
        }
        bottom + mm(1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::layout::{Draw, pt10};
    use super::*;
    use crate::print::testing::font;

    fn table() -> Table {
        Table::new(mm(10), mm(100), &[50, 50], &[false, true], pt10(90), mm(5)).ruled(5)
    }

    #[test]
    fn figures_are_shrunk_never_wrapped_and_stay_in_their_cells() {
        let t = table();
        let values = ["账期".to_string(), "¥999,999,999,999.99".repeat(3)];
        let row = t.row(font(), &values);
        let texts: Vec<(Len, Len, &str)> = row
            .block
            .items
            .iter()
            .filter_map(|d| match d {
                Draw::Text { x, size, text, .. } => Some((*x, *size, text.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(texts.len(), 2, "one line per cell: {texts:?}");
        let (x, size, text) = texts[1];
        assert!(size < pt10(90), "the long figure is set smaller");
        assert!(x >= t.column(1).0 && x + text_width(font(), text, size) <= t.right() - PAD, "and stays in its cell");
        assert_eq!(row.block.height, mm(5));
    }

    #[test]
    fn a_fitted_cell_wraps_and_the_row_grows() {
        let t = table();
        let name = "贵州省贵阳市观山湖区某某某某房地产开发有限责任公司第三物业管理分公司".to_string();
        let row = t.row_fitted(font(), &[name, "¥1.00".into()], 0, [pt10(75), pt10(62)]);
        assert!(row.block.height > mm(5), "two lines need a taller row: {}", row.block.height);
    }

    #[test]
    fn side_by_side_splits_the_rows_evenly_and_heads_each_column() {
        let pen = Pen { font: font(), style: super::super::paper::Style::A5 };
        let lines: Vec<Line> = (0..7).map(|i| Line::Cells(vec![format!("{i}"), "¥1.00".into()])).collect();
        let mut b = Block::default();
        let make = |left, width| Table::new(left, width, &[50, 50], &[false, true], pt10(75), 380);
        let bottom = pen.side_by_side(&mut b, 0, 2, make, &["账期", "小计"], &lines);
        let heads = b.items.iter().filter(|d| matches!(d, Draw::Text { text, .. } if text == "账期")).count();
        assert_eq!(heads, 2, "each column has its header");
        assert_eq!(bottom, 380 * 5 + mm(1), "four rows and a header in the taller column");
    }
}
