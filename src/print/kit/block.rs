//! 版块: a piece of a document whose drawing is known, and its placement.
//!
//! A [`Block`] is drawn with its own top at y = 0 and knows its height, so a document can build
//! its parts first, measure them, decide where (and on which sheet) each goes, and only then
//! place them: [`Block::place`] shifts every item down by the top it is given. A whole sheet is a
//! block too, drawn at the sheet's own coordinates and turned into a [`Sheet`] at the end.

use super::super::CjkFont;
use super::super::layout::{Draw, Fitted, Ink, Len, Sheet, text_width};
use super::paper::{LEADING, Style};

/// Drawing items and the height they take from y = 0.
#[derive(Debug, Clone, Default)]
pub(crate) struct Block {
    pub height: Len,
    pub items: Vec<Draw>,
}

impl Block {
    pub fn text(&mut self, x: Len, top: Len, size: Len, text: impl Into<String>) {
        self.items.push(Draw::Text { x, top, size, text: text.into(), ink: Ink::Fill });
    }

    /// Text in heavy ink (filled and outlined): titles, totals.
    pub fn heavy(&mut self, x: Len, top: Len, size: Len, text: impl Into<String>) {
        self.items.push(Draw::Text { x, top, size, text: text.into(), ink: Ink::Heavy });
    }

    /// Text ending at `right`.
    pub fn text_right(&mut self, font: &CjkFont, right: Len, top: Len, size: Len, text: &str) {
        self.text(right - text_width(font, text, size), top, size, text);
    }

    /// Text centred between `left` and `right`.
    pub fn text_centred(
        &mut self,
        font: &CjkFont,
        (left, right): (Len, Len),
        top: Len,
        size: Len,
        text: &str,
        ink: Ink,
    ) {
        let x = left + (right - left - text_width(font, text, size)) / 2;
        self.items.push(Draw::Text { x, top, size, text: text.to_string(), ink });
    }

    /// Fitted lines from (`x`, `top`); returns their height.
    pub fn lines(&mut self, x: Len, top: Len, fitted: &Fitted) -> Len {
        self.lines_with(x, top, fitted, LEADING, Ink::Fill)
    }

    /// [`Block::lines`] `leading_percent` of the size apart, in `ink`.
    pub fn lines_with(&mut self, x: Len, top: Len, fitted: &Fitted, leading_percent: i32, ink: Ink) -> Len {
        let mut y = top;
        for line in &fitted.lines {
            self.items.push(Draw::Text { x, top: y, size: fitted.size, text: line.clone(), ink });
            y += fitted.size * leading_percent / 100;
        }
        fitted.height(leading_percent)
    }

    pub fn hline(&mut self, x1: Len, x2: Len, y: Len, width: Len) {
        self.items.push(Draw::Line { x1, y1: y, x2, y2: y, width });
    }

    pub fn vline(&mut self, x: Len, y1: Len, y2: Len, width: Len) {
        self.items.push(Draw::Line { x1: x, y1, x2: x, y2, width });
    }

    pub fn rect(&mut self, x: Len, y: Len, w: Len, h: Len, width: Len) {
        self.items.push(Draw::Rect { x, y, w, h, width });
    }

    /// Outlined text turned across (`cx`, `cy`): the 作废 stamp.
    pub fn stamp(&mut self, font: &CjkFont, cx: Len, cy: Len, size: Len, text: &str) {
        let width = text_width(font, text, size);
        self.items.push(Draw::Stamp { cx, cy, size, width, text: text.to_string() });
    }

    /// Draws `other` here with its top at `top`.
    pub fn place(&mut self, other: &Block, top: Len) {
        self.items.extend(other.items.iter().map(|item| shift(item, top)));
    }

    /// [`Block::place`], taking `other` rather than copying it.
    pub fn put(&mut self, other: Block, top: Len) {
        self.items.extend(other.items.into_iter().map(|item| shift_owned(item, top)));
    }

    /// Places `other` at the bottom of this block, which grows by its height.
    pub fn stack(&mut self, other: &Block) {
        self.place(other, self.height);
        self.height += other.height;
    }

    /// This block, drawn at a sheet's own coordinates, as a sheet of `paper`.
    pub fn into_sheet(self, paper: &Style) -> Sheet {
        Sheet { width: paper.width, height: paper.height, items: self.items }
    }
}

fn shift(item: &Draw, dy: Len) -> Draw {
    shift_owned(item.clone(), dy)
}

fn shift_owned(item: Draw, dy: Len) -> Draw {
    match item {
        Draw::Text { x, top, size, text, ink } => Draw::Text { x, top: top + dy, size, text, ink },
        Draw::Line { x1, y1, x2, y2, width } => Draw::Line { x1, y1: y1 + dy, x2, y2: y2 + dy, width },
        Draw::Rect { x, y, w, h, width } => Draw::Rect { x, y: y + dy, w, h, width },
        Draw::Stamp { cx, cy, size, width, text } => Draw::Stamp { cx, cy: cy + dy, size, width, text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placed_block_moves_down_by_its_top_and_nothing_else() {
        let mut part = Block::default();
        part.text(100, 50, 300, "户名");
        part.hline(0, 500, 400, 20);
        part.rect(10, 20, 30, 40, 10);
        part.height = 450;
        let mut sheet = Block::default();
        sheet.place(&part, 1000);
        assert_eq!(
            sheet.items,
            vec![
                Draw::Text { x: 100, top: 1050, size: 300, text: "户名".into(), ink: Ink::Fill },
                Draw::Line { x1: 0, y1: 1400, x2: 500, y2: 1400, width: 20 },
                Draw::Rect { x: 10, y: 1020, w: 30, h: 40, width: 10 },
            ]
        );
        let mut column = Block::default();
        column.stack(&part);
        column.stack(&part);
        assert_eq!(column.height, 900, "stacked blocks add their heights");
    }
}
