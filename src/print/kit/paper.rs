//! 纸张版式: the papers documents are printed on, with their margins and type sizes.
//!
//! A [`Style`] is a paper and the sizes set on it: the three receipt papers ([`Style::A4`],
//! [`Style::A5`], [`Style::CONTINUOUS_241`], picked by [`Style::of`]) and, for a document that
//! needs different type on the same paper, a variation of one of them written as a struct update
//! (`Style { table: pt10(90), ..Style::A4 }`), so a document states how it differs and nothing
//! else. Everything is a `const`, so a document may name its edges as constants too.

use super::super::PaperMode;
use super::super::layout::{Len, mm, pt10};

/// Line height as a percentage of the type size, for every document.
pub(crate) const LEADING: i32 = 130;

/// The height of a line of `size` type.
pub(crate) const fn line_height(size: Len) -> Len {
    size * LEADING / 100
}

/// Sizes and margins of one paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    pub width: Len,
    pub height: Len,
    pub margin_x: Len,
    pub margin_top: Len,
    pub margin_bottom: Len,
    /// The utility's name above the title.
    pub utility: Len,
    pub title: Len,
    pub body: Len,
    /// Smaller type: notes, page numbers, and the second size text shrinks to.
    pub small: Len,
    /// The smallest size any fitted text is set in.
    pub min: Len,
    /// Table row height and type, and their compact variants.
    pub row: Len,
    pub row_compact: Len,
    pub table: Len,
    pub table_compact: Len,
    /// The 作废 stamp.
    pub stamp: Len,
    /// Width kept free on each side of the title for the marks beside it (reprint, copy label,
    /// page number).
    pub side: Len,
}

impl Style {
    /// Plain A5, landscape (210 × 148 mm).
    pub const A5: Style = Style {
        width: mm(210),
        height: mm(148),
        margin_x: mm(10),
        margin_top: mm(8),
        margin_bottom: mm(8),
        utility: pt10(120),
        title: pt10(170),
        body: pt10(90),
        small: pt10(75),
        min: pt10(62),
        row: mm(5),
        row_compact: 380,
        table: pt10(90),
        table_compact: pt10(75),
        stamp: pt10(900),
        side: mm(42),
    };

    /// Plain A4, portrait.
    pub const A4: Style = Style {
        height: mm(297),
        margin_x: mm(15),
        margin_top: mm(15),
        margin_bottom: mm(15),
        utility: pt10(140),
        title: pt10(200),
        body: pt10(105),
        small: pt10(85),
        min: pt10(70),
        row: mm(7),
        row_compact: mm(5),
        table: pt10(100),
        table_compact: pt10(85),
        stamp: pt10(1300),
        ..Style::A5
    };

    /// The 241-2 continuous form (241 × 139.7 mm), A5's type. Each 12.7 mm tractor strip is torn
    /// off; the print head also cannot reach it.
    pub const CONTINUOUS_241: Style =
        Style { width: mm(241), height: 13970, margin_x: mm(16), margin_top: mm(7), margin_bottom: mm(7), ..Style::A5 };

    pub const fn of(paper: PaperMode) -> Style {
        match paper {
            PaperMode::A4 => Style::A4,
            PaperMode::A5 => Style::A5,
            PaperMode::Continuous241 => Style::CONTINUOUS_241,
        }
    }

    pub const fn left(&self) -> Len {
        self.margin_x
    }

    pub const fn right(&self) -> Len {
        self.width - self.margin_x
    }

    pub const fn content_width(&self) -> Len {
        self.right() - self.left()
    }

    pub const fn bottom(&self) -> Len {
        self.height - self.margin_bottom
    }

    /// The sizes a fitted text tries, largest first.
    pub const fn sizes(&self) -> [Len; 3] {
        [self.body, self.small, self.min]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_paper_has_its_size() {
        for (paper, w, h) in [
            (PaperMode::A4, mm(210), mm(297)),
            (PaperMode::A5, mm(210), mm(148)),
            (PaperMode::Continuous241, mm(241), 13970),
        ] {
            let s = Style::of(paper);
            assert_eq!((s.width, s.height), (w, h), "{paper:?}");
            assert!(s.left() < s.right() && s.margin_top < s.bottom(), "{paper:?} has room inside its margins");
            assert!(s.body > s.small && s.small > s.min, "{paper:?}: sizes shrink in order");
        }
    }
}
