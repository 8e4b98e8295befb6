//! 文书框: what frames every document: the utility's name and the title at the head of a sheet,
//! the marks beside the title (the copy label 第一联 存根联, the page number 第 i/n 页, the reprint
//! mark 重打（第n次）), and the 作废 of a void.
//!
//! A void says so twice: in the title (`收费收据（作废）`, which text extraction and screen readers
//! read whole) and in a large outlined stamp across the sheet, drawn over the content so that it
//! stays legible. A reprint is a boxed mark in the title's left margin on a voucher with copy
//! labels, or right after the title on a one-copy form.

use std::borrow::Cow;

use super::super::PaperMode;
use super::super::layout::{Fitted, Ink, Len, fit, mm, text_width};
use super::Pen;
use super::block::Block;
use super::paper::{LEADING, line_height};

/// Where a heading put its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heading {
    pub title_top: Len,
    /// The top of a mark beside the title, centred on it.
    pub mark_top: Len,
    /// The y below the title.
    pub below: Len,
}

/// The copies a voucher prints as labelled sheets: `labels` on plain paper; one unlabelled
/// impression on the continuous form, whose carbonless plies are the copies and are
/// pre-labelled.
pub(crate) fn copies(paper: PaperMode, labels: &'static [&'static str]) -> &'static [&'static str] {
    match paper {
        PaperMode::Continuous241 => &[""],
        PaperMode::A4 | PaperMode::A5 => labels,
    }
}

/// The title of a voided document.
pub(crate) fn void_title(title: &str, void: bool) -> Cow<'_, str> {
    if void { Cow::Owned(format!("{title}（作废）")) } else { Cow::Borrowed(title) }
}

impl Pen<'_> {
    /// The utility's name fitted between the side marks, in `sizes`, on at most two lines.
    pub fn utility(&self, text: &str, sizes: &[Len]) -> Fitted {
        fit(self.font, text, self.style.content_width() - 2 * self.style.side, sizes, 2)
    }

    /// From `top`: the utility's lines centred, taking at least `room` (`None`: no utility
    /// line, as on a continuation sheet), then `title` centred in heavy type of `size`. Marks
    /// beside it are centred on it for type of `mark_size`.
    pub fn heading(
        &self,
        b: &mut Block,
        top: Len,
        utility: Option<(&Fitted, Len)>,
        title: &str,
        size: Len,
        mark_size: Len,
    ) -> Heading {
        let span = (self.style.left(), self.style.right());
        let mut y = top;
        if let Some((u, room)) = utility {
            let mut line_top = y;
            for line in &u.lines {
                b.text_centred(self.font, span, line_top, u.size, line, Ink::Fill);
                line_top += line_height(u.size);
            }
            y += u.height(LEADING).max(room);
        }
        b.text_centred(self.font, span, y, size, title, Ink::Heavy);
        Heading { title_top: y, mark_top: y + (size - mark_size) / 2, below: y + line_height(size) + mm(1) }
    }

    /// The copy label at the right of the title (none on the continuous form: [`copies`]).
    pub fn copy_label(&self, b: &mut Block, mark_top: Len, label: &str) {
        if !label.is_empty() {
            b.text_right(self.font, self.style.right(), mark_top, self.style.body, label);
        }
    }

    /// `第 i/n 页` at the right, in small type.
    pub fn page_number(&self, b: &mut Block, top: Len, page: usize, pages: usize) {
        let text = format!("第 {page}/{pages} 页");
        b.text_right(self.font, self.style.right(), top, self.style.small, &text);
    }

    /// `重打（第n次）` boxed in the title's left margin.
    pub fn reprint_mark(&self, b: &mut Block, mark_top: Len, n: impl std::fmt::Display) {
        let (left, body) = (self.style.left(), self.style.body);
        let mark = format!("重打（第{n}次）");
        let w = text_width(self.font, &mark, body);
        b.rect(left, mark_top - mm(1), w + mm(3), body + mm(2), 30);
        b.text(left + mm(1) + 50, mark_top, body, mark);
    }

    /// `重打 (第n次)` boxed right after the centred `title` of `size` at `title_top`.
    pub fn reprint_after_title(
        &self,
        b: &mut Block,
        title_top: Len,
        title: &str,
        size: Len,
        n: impl std::fmt::Display,
    ) {
        let (style, small) = (&self.style, self.style.small);
        let mark = format!("重打 (第{n}次)");
        let x = (style.left() + style.right()) / 2 + text_width(self.font, title, size) / 2 + mm(4);
        b.rect(x - mm(1), title_top, text_width(self.font, &mark, small) + mm(2), small + mm(2), 20);
        b.text(x, title_top + mm(1), small, mark);
    }

    /// The 作废 stamp across the middle of the sheet.
    pub fn void_stamp(&self, b: &mut Block) {
        b.stamp(self.font, self.style.width / 2, self.style.height / 2, self.style.stamp, "作废");
    }
}

#[cfg(test)]
mod tests {
    use super::super::paper::Style;
    use super::*;
    use crate::print::testing::font;

    #[test]
    fn the_continuous_form_prints_one_unlabelled_impression() {
        const LABELS: &[&str] = &["第一联 客户联", "第二联 存根联"];
        assert_eq!(copies(PaperMode::A5, LABELS), LABELS);
        assert_eq!(copies(PaperMode::Continuous241, LABELS), &[""]);
        let pen = Pen { font: font(), style: Style::CONTINUOUS_241 };
        let mut b = Block::default();
        pen.copy_label(&mut b, 0, "");
        assert!(b.items.is_empty(), "no label is drawn for the continuous form");
    }

    #[test]
    fn a_void_says_so_in_its_title() {
        assert_eq!(void_title("收费收据", true), "收费收据（作废）");
        assert_eq!(void_title("收费收据", false), "收费收据");
    }

    #[test]
    fn a_long_utility_name_wraps_between_the_side_marks() {
        let pen = Pen { font: font(), style: Style::A5 };
        let name = "国网某某省电力有限公司某某市供电分公司某某县供电局城区供电所营业厅";
        let fitted = pen.utility(name, &[pen.style.utility, pen.style.body]);
        for line in &fitted.lines {
            assert!(text_width(font(), line, fitted.size) <= pen.style.content_width() - 2 * pen.style.side);
        }
        let mut b = Block::default();
        let h = pen.heading(
            &mut b,
            mm(8),
            Some((&fitted, line_height(pen.style.utility))),
            "收费收据",
            pen.style.title,
            pen.style.body,
        );
        assert!(h.title_top >= mm(8) + fitted.height(LEADING), "the title sits below the utility");
        assert!(h.below > h.title_top + pen.style.title);
    }
}
