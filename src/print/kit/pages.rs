//! 分页: cutting a document into sheets. Two ways, for two kinds of document:
//!
//! - a flow of [`Band`]s (rows, headings, sections) down as many sheets as it takes
//!   ([`paginate`]): a band is never split; a band marked [`Band::keep`] never ends a sheet (a
//!   heading stays with what it heads); a band [`Band::under`] a table header gets that header
//!   repeated above it when it starts a sheet. Used by reports, whose length has no bound.
//! - a table of fixed-height rows followed by a foot ([`plan_rows`]): the first of a list of
//!   densities (row height, type, columns side by side) at which it all fits on the first sheet;
//!   failing that, the densest, continued on further sheets with the foot on the last. Used by
//!   vouchers, which should be one sheet a copy whenever they can.
//!
//! What cannot fit even on an empty sheet is an error naming the field to shorten, never a
//! clipped sheet.

use std::ops::Range;

use super::super::PrintError;
use super::super::layout::{Len, Sheet, mm};
use super::Pen;
use super::block::Block;

/// One band of a flow.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    pub block: Block,
    /// The table header to repeat above this band when it starts a sheet.
    header: Option<usize>,
    /// Never the last band of a sheet: a heading stays with what it heads.
    keep_with_next: bool,
    /// The field to name if this band cannot fit even on an empty sheet.
    field: &'static str,
}

impl Band {
    pub fn new(block: Block, field: &'static str) -> Band {
        Band { block, header: None, keep_with_next: false, field }
    }

    pub fn keep(mut self) -> Band {
        self.keep_with_next = true;
        self
    }

    /// A row of the table whose header is `headers[header]` in [`paginate`].
    pub fn under(mut self, header: usize) -> Band {
        self.header = Some(header);
        self
    }
}

/// What goes on a sheet, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placed {
    Header(usize),
    Band(usize),
}

/// Cuts the bands into sheets: `first` is the room on the first sheet, `next` on every other.
pub(crate) fn paginate(
    bands: &[Band],
    headers: &[Block],
    first: Len,
    next: Len,
) -> Result<Vec<Vec<Placed>>, PrintError> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut used = 0;
    let mut i = 0;
    while i < bands.len() {
        // The group: this band and those it must stay with.
        let mut end = i;
        while end + 1 < bands.len() && bands[end].keep_with_next {
            end += 1;
        }
        let group: Len = bands[i..=end].iter().map(|b| b.block.height).sum();
        let header = bands[i].header.map_or(0, |h| headers.get(h).map_or(0, |b| b.height));
        let avail = if pages.len() == 1 { first } else { next };
        let on_page = pages.last().map_or(0, Vec::len);
        if on_page > 0 && used + group > avail {
            pages.push(Vec::new());
            used = 0;
        }
        let page = pages.len() - 1;
        if pages[page].is_empty() {
            if let Some(h) = bands[i].header {
                pages[page].push(Placed::Header(h));
                used += header;
            }
            let room = if page == 0 { first } else { next };
            if used + group > room {
                let field = bands[i..=end].iter().max_by_key(|b| b.block.height).map_or("户名", |b| b.field);
                return Err(PrintError::FieldTooLong { field });
            }
        }
        pages[page].extend((i..=end).map(Placed::Band));
        used += group;
        i = end + 1;
    }
    Ok(pages)
}

/// The sheets of a flow cut by [`paginate`]: each page under its head (the first sheet's
/// `first`, every other's `next`: a block and the top of the page mark in it), `第 i/n 页` beside
/// the title, then its table headers and bands in order down the sheet.
pub(crate) fn flow_sheets(
    pen: &Pen<'_>,
    pages: &[Vec<Placed>],
    first: (&Block, Len),
    next: (&Block, Len),
    headers: &[Block],
    bands: &[Band],
) -> Vec<Sheet> {
    let top = pen.style.margin_top;
    let n = pages.len();
    let mut sheets = Vec::with_capacity(n);
    for (i, page) in pages.iter().enumerate() {
        let mut c = Block::default();
        let (head, mark) = if i == 0 { first } else { next };
        c.place(head, top);
        pen.page_number(&mut c, top + mark, i + 1, n);
        let mut y = top + head.height;
        for placed in page {
            let block = match *placed {
                Placed::Header(h) => headers.get(h),
                Placed::Band(b) => bands.get(b).map(|b| &b.block),
            };
            if let Some(block) = block {
                c.place(block, y);
                y += block.height;
            }
        }
        sheets.push(c.into_sheet(&pen.style));
    }
    sheets
}

/// How densely a table of fixed-height rows is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Density {
    pub row: Len,
    pub size: Len,
    /// Tables side by side.
    pub columns: usize,
}

/// The rows of one sheet, and whether the foot follows them there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowSheet {
    pub rows: Range<usize>,
    pub foot: bool,
}

/// How a table is cut into sheets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowPlan {
    pub density: Density,
    pub sheets: Vec<RowSheet>,
}

/// Plans `n` rows and a foot `foot` high (module docs): `first` and `next` are the room on the
/// first and on every further sheet; each column of rows takes a header row and a gap of 1 mm.
/// `None` when it cannot be done: the foot does not fit on an empty further sheet, or no row
/// does.
pub(crate) fn plan_rows(n: usize, first: Len, next: Len, foot: Len, densities: &[Density]) -> Option<RowPlan> {
    if first <= 0 || next < foot {
        return None;
    }
    let header = |row: Len| if n == 0 { 0 } else { row + mm(1) };
    let fits = |avail: Len, d: Density| -> usize {
        let per_column = usize::try_from((avail - header(d.row)) / d.row.max(1)).unwrap_or(0);
        per_column * d.columns
    };
    for &density in densities {
        if n <= fits(first - foot, density) {
            return Some(RowPlan { density, sheets: vec![RowSheet { rows: 0..n, foot: true }] });
        }
    }
    // Continue on further sheets at the densest, the foot on the last.
    let density = *densities.last()?;
    let mut sheets = Vec::new();
    let mut start = 0;
    loop {
        let avail = if sheets.is_empty() { first } else { next };
        let remaining = n - start;
        if remaining <= fits(avail - foot, density) {
            sheets.push(RowSheet { rows: start..n, foot: true });
            break;
        }
        let take = fits(avail, density).min(remaining);
        if take == 0 && sheets.len() > 1 {
            return None;
        }
        sheets.push(RowSheet { rows: start..start + take, foot: false });
        start += take;
    }
    Some(RowPlan { density, sheets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(height: Len) -> Band {
        Band::new(Block { height, items: Vec::new() }, "行")
    }

    #[test]
    fn a_heading_is_never_left_at_the_bottom_of_a_sheet() {
        let bands = vec![band(60), band(30).keep(), band(30), band(30)];
        let pages = paginate(&bands, &[], 100, 100).unwrap();
        assert_eq!(pages[0], vec![Placed::Band(0)], "the heading goes over with its row");
        assert_eq!(pages[1][0], Placed::Band(1));
    }

    #[test]
    fn a_table_header_is_repeated_on_a_continuation_sheet() {
        let headers = vec![Block { height: 10, items: Vec::new() }];
        let bands: Vec<Band> = (0..5).map(|_| band(30).under(0)).collect();
        let pages = paginate(&bands, &headers, 100, 100).unwrap();
        assert!(pages.len() > 1);
        for page in &pages {
            assert_eq!(page[0], Placed::Header(0), "{pages:?}");
        }
    }

    #[test]
    fn a_band_taller_than_a_sheet_names_its_field() {
        let err = paginate(&[band(200)], &[], 100, 100).unwrap_err();
        assert_eq!(err.code(), "PRINT_FIELD_TOO_LONG");
        assert!(err.to_string().contains('行'), "{err}");
    }

    #[test]
    fn rows_take_the_first_density_that_fits_then_continue_at_the_last() {
        let loose = Density { row: 1000, size: 300, columns: 1 };
        let dense = Density { row: 500, size: 250, columns: 2 };
        let plan = plan_rows(5, 10_000, 10_000, 2000, &[loose, dense]).unwrap();
        assert_eq!(plan.density, loose);
        assert_eq!(plan.sheets, vec![RowSheet { rows: 0..5, foot: true }]);
        let plan = plan_rows(20, 10_000, 10_000, 2000, &[loose, dense]).unwrap();
        assert_eq!(plan.density, dense, "denser before a second sheet");
        assert_eq!(plan.sheets.len(), 1);
        let plan = plan_rows(100, 10_000, 10_000, 2000, &[loose, dense]).unwrap();
        assert!(plan.sheets.len() > 1);
        assert_eq!(plan.sheets.iter().map(|s| s.rows.len()).sum::<usize>(), 100, "every row once");
        assert!(plan.sheets.iter().rev().skip(1).all(|s| !s.foot), "the foot only on the last sheet");
        assert_eq!(plan_rows(3, 10_000, 1000, 2000, &[loose]), None, "a foot that fits on no further sheet");
    }
}
