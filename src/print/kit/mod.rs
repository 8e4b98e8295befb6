//! 版式工具: the print kit. Every document (receipts, recharge slips, the shift report, the refund
//! form and notice) is laid out with it, so a document's own module only says what goes where:
//! which fields, in which rows and tables, in which order, and what must add up.
//!
//! What it owns, one module each:
//! - `paper`: the papers ([`Style::A4`], [`Style::A5`], [`Style::CONTINUOUS_241`]), their margins
//!   and type sizes, and the line height;
//! - `block`: [`Block`], a piece of drawing with its top at y = 0 and its height, placed on a
//!   sheet (or in another block) once it is known where it goes; a whole sheet is a block too;
//! - `cells`: labelled values: a row of [`Cell`]s across the page, a ruled label/value grid (a
//!   form), signature lines, and the [`Fields`] that name what to shorten;
//! - `table`: [`Table`]s of fixed columns, their header and body rows, figures shrunk but never
//!   wrapped, tables side by side;
//! - `pages`: cutting into sheets: a flow of [`Band`]s with repeated table headers, or a table
//!   of fixed rows at the first density that fits ([`plan_rows`]);
//! - `money`: amounts as `¥1,234.50` and the total in figures and 大写;
//! - `frame`: the utility's name and the title, the copy label, the page number, the reprint
//!   mark and the 作废 of a void.
//!
//! A new document:
//! 1. defines its snapshot (a `Serialize` struct of everything it prints, money as
//!    [`crate::money::Yuan`]) and a `render_…(&doc, &CjkFont) -> Result<Vec<u8>, PrintError>`
//!    that sets the document in `font.for_document(doc)` (so a rare character in a name picks
//!    the fallback face), refuses with [`PrintError::Inconsistent`](super::PrintError::Inconsistent) when its amounts do not add
//!    up, lays it out and ends with [`sheets_to_pdf`];
//! 2. picks its paper, `Style::of(paper)` or a variation (`Style { small: pt10(90),
//!    ..Style::A4 }`), and makes a [`Pen`] of it and the font;
//! 3. builds its parts as [`Block`]s: [`Pen::heading`] and the marks, [`Pen::row`]s of
//!    [`Cell`]s, [`Table`] headers and rows, [`Pen::total`], [`Pen::signatures`]; every variable
//!    text goes through one of these (or through `fit`/`shrink_to` itself), never straight onto
//!    the sheet;
//! 4. cuts them into sheets with [`paginate`] or [`plan_rows`], places each part on a sheet
//!    block ([`Block::place`]) and turns it into a sheet ([`Block::into_sheet`]); a paginated
//!    flow under a head is placed by [`flow_sheets`].
//!
//! Invariants the kit keeps for every document: nothing runs off the paper (text is fitted to
//! its box, and what cannot fit even on an empty sheet is [`PrintError::FieldTooLong`](super::PrintError::FieldTooLong) naming
//! the field, never clipped); lengths are integer hundredths of a millimetre until the PDF
//! writer (`layout`), so no float ever sees an amount.

mod block;
mod cells;
mod frame;
mod money;
mod pages;
mod paper;
mod table;

pub(crate) use super::layout::{Fitted, Ink, Len, Sheet, clean, fit, mm, pt10, sheets_to_pdf, shrink_to, text_width};
pub(crate) use block::Block;
pub(crate) use cells::{Cell, Fields};
pub(crate) use frame::{copies, void_title};
pub(crate) use money::money;
pub(crate) use pages::{Band, Density, Placed, RowPlan, RowSheet, flow_sheets, paginate, plan_rows};
pub(crate) use paper::{LEADING, Style, line_height};
pub(crate) use table::{Line, PAD, Table};

use super::CjkFont;

/// The font and the paper a document is set with: what the kit's drawing functions draw with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pen<'a> {
    pub font: &'a CjkFont,
    pub style: Style,
}
