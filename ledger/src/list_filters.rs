//! 筛选与分页: what the finance lists (refund requests, deposits) share in reading their query.
//!
//! - A page is `limit` rows (1–[`MAX_LIMIT`], [`DEFAULT_LIMIT`] when none is asked for) after
//!   `offset` rows (at most [`MAX_OFFSET`]). A window outside those bounds is refused with what to
//!   send instead, never silently changed: a client that asked for 10,000 rows and got 500 would
//!   take the page for the whole list. The API's description states the same bounds.
//! - An empty or blank text filter is no filter ([`text`]); a date given is a date (`YYYY-MM-DD`),
//!   an empty one is refused, as the API describes a `date` ([`date`]); `from` is not after `to`
//!   ([`date_range`]).

use chrono::NaiveDate;

use crate::error::LedgerError;

/// Rows per page when none is asked for.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most rows a page holds.
pub const MAX_LIMIT: u32 = 500;
/// The farthest a page may start (a list that long is narrowed with filters, not paged through).
pub const MAX_OFFSET: u32 = 1_000_000;

/// The window `(limit, offset)` asked for, checked.
pub fn window(limit: Option<u32>, offset: Option<u32>) -> Result<(i64, i64), LedgerError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(LedgerError::BadRequest(format!("limit: {limit} rows per page; ask for 1 to {MAX_LIMIT}")));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(LedgerError::BadRequest(format!(
            "offset: {offset} is past the farthest page start ({MAX_OFFSET}); narrow the list with its filters"
        )));
    }
    Ok((i64::from(limit), i64::from(offset)))
}

/// A text filter: trimmed, and none when empty.
pub fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A date filter named `field`: `YYYY-MM-DD`, or none when not given.
pub fn date(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, LedgerError> {
    v.as_deref()
        .map(str::trim)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| LedgerError::BadRequest(format!("{field}: '{s}' is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

/// The `from` and `to` date filters, `from` not after `to`.
pub fn date_range(
    from: &Option<String>,
    to: &Option<String>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), LedgerError> {
    let (from, to) = (date("from", from)?, date("to", to)?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(LedgerError::BadRequest(format!("from ({from}) is after to ({to})")));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_outside_the_bounds_is_refused_not_changed() {
        assert_eq!(window(None, None).unwrap(), (i64::from(DEFAULT_LIMIT), 0));
        assert_eq!(window(Some(1), Some(MAX_OFFSET)).unwrap(), (1, i64::from(MAX_OFFSET)));
        assert_eq!(window(Some(MAX_LIMIT), None).unwrap(), (i64::from(MAX_LIMIT), 0));
        for (limit, offset) in
            [(Some(0), None), (Some(MAX_LIMIT + 1), None), (Some(10_000), None), (None, Some(MAX_OFFSET + 1))]
        {
            let e = window(limit, offset).unwrap_err();
            assert!(matches!(e, LedgerError::BadRequest(_)), "{limit:?} {offset:?}: {e:?}");
        }
    }
}
