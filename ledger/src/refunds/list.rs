//! The finance list: every request from every counter, filtered, newest first, with how many match
//! and what they add up to.
//!
//! Each filter becomes a condition on an indexed column (see the refunds migration): state, area
//! (`area`, the terminal code before its first '-'), terminal, the submission date as a range of
//! `submitted_at` in the province's time, amounts, reason. "Overdue" is the core's rule
//! (`refunds::is_overdue`) turned into a range: a request still open is overdue exactly when it was
//! submitted on or before the last overdue submission date of today ([`overdue_cutoff`]), because
//! a later submission is never due earlier. The statement is built from the filters given, with
//! bound values only, so each combination gets a plan of its own. The count, the sum and the page
//! are read in one snapshot.

use cashdesk::{
    calendar::Calendar,
    money::Yuan,
    refunds::{State, is_overdue},
    sync::finance::{RefundList, RefundQuery},
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};

use super::*;
use crate::list_filters::{date_range, text, window};

/// How far back [`overdue_cutoff`] looks: far beyond any policy (at most 365 working days).
const CUTOFF_LOOKBACK_DAYS: u32 = 4000;

/// The last submission date whose open requests are overdue on `today` (`days` working days after
/// it, by `calendar`); every earlier date's are too. `None` only for a corrupt calendar.
pub fn overdue_cutoff(today: NaiveDate, days: u32, calendar: &Calendar) -> Option<NaiveDate> {
    let mut d = today;
    for _ in 0..CUTOFF_LOOKBACK_DAYS {
        if is_overdue(State::AtLedger, d, today, days, calendar) {
            return Some(d);
        }
        d = d.pred_opt()?;
    }
    None
}

/// The filters, read and checked.
#[derive(Debug, Default)]
struct Filters {
    state: Option<State>,
    terminal: Option<String>,
    area: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    min: Option<Yuan>,
    max: Option<Yuan>,
    reason: Option<&'static str>,
    overdue: bool,
    limit: i64,
    offset: i64,
}

impl Filters {
    fn read(q: &RefundQuery) -> Result<Filters, LedgerError> {
        let money = |field: &str, v: &Option<String>| -> Result<Option<Yuan>, LedgerError> {
            text(v).map(|s| Yuan::parse(&s).map_err(|e| LedgerError::BadRequest(format!("{field}: {e}")))).transpose()
        };
        let (limit, offset) = window(q.limit, q.offset)?;
        let (from, to) = date_range(&q.from, &q.to)?;
        let f = Filters {
            state: q.state,
            terminal: text(&q.terminal),
            area: text(&q.area),
            from,
            to,
            min: money("min_amount", &q.min_amount)?,
            max: money("max_amount", &q.max_amount)?,
            reason: q.reason.map(|r| r.as_str()),
            overdue: q.overdue.unwrap_or(false),
            limit,
            offset,
        };
        if let (Some(min), Some(max)) = (f.min, f.max)
            && min > max
        {
            return Err(LedgerError::BadRequest(format!("min_amount ({min}) is more than max_amount ({max})")));
        }
        Ok(f)
    }

    /// ` WHERE ...` (or nothing) for these filters; `overdue_before`: the first moment after the
    /// last overdue submission date.
    fn push_where(
        &self,
        q: &mut QueryBuilder<Postgres>,
        overdue_before: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError> {
        let mut first = true;
        let mut and = |q: &mut QueryBuilder<Postgres>| {
            q.push(if first { " WHERE " } else { " AND " });
            first = false;
        };
        if let Some(state) = self.state {
            and(q);
            q.push("r.state = ").push_bind(state.as_str());
        }
        if let Some(area) = &self.area {
            and(q);
            q.push("r.area = ").push_bind(area.clone());
        }
        if let Some(terminal) = &self.terminal {
            and(q);
            q.push("r.terminal = ").push_bind(terminal.clone());
        }
        if let Some(from) = self.from {
            and(q);
            q.push("r.submitted_at >= ").push_bind(start_of(from)?);
        }
        if let Some(to) = self.to {
            let next = to.succ_opt().ok_or_else(|| LedgerError::BadRequest(format!("{to} is out of range")))?;
            and(q);
            q.push("r.submitted_at < ").push_bind(start_of(next)?);
        }
        if let Some(min) = self.min {
            and(q);
            q.push("r.amount >= ").push_bind(min.decimal());
        }
        if let Some(max) = self.max {
            and(q);
            q.push("r.amount <= ").push_bind(max.decimal());
        }
        if let Some(reason) = self.reason {
            and(q);
            q.push("r.reason = ").push_bind(reason);
        }
        if self.overdue {
            and(q);
            match overdue_before {
                Some(before) => {
                    q.push("r.state = ANY(").push_bind(open_states()).push(") AND r.submitted_at < ").push_bind(before);
                }
                None => {
                    q.push("false");
                }
            }
        }
        Ok(())
    }
}

/// The requests matching `query`, newest first (at most [`MAX_LIMIT`]), with how many match and
/// their total. `today` is the province's date.
pub async fn list(pool: &PgPool, query: &RefundQuery, today: NaiveDate) -> Result<RefundList, LedgerError> {
    let f = Filters::read(query)?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let overdue = Overdue::load(&mut tx, today).await?;
    let overdue_before = match overdue_cutoff(today, overdue.days, &overdue.calendar).and_then(|d| d.succ_opt()) {
        Some(next) => Some(start_of(next)?),
        None => None,
    };

    let mut totals = QueryBuilder::<Postgres>::new("SELECT COUNT(*), COALESCE(SUM(r.amount), 0) FROM refunds r");
    f.push_where(&mut totals, overdue_before)?;
    let (total, sum): (i64, Decimal) = totals.build_query_as().fetch_one(&mut *tx).await?;

    let mut items = Vec::new();
    if total > f.offset {
        let mut page = QueryBuilder::<Postgres>::new(format!(
            "SELECT {SUMMARY_COLUMNS} FROM refunds r LEFT JOIN accounts a ON a.account_no = r.account_no"
        ));
        f.push_where(&mut page, overdue_before)?;
        page.push(" ORDER BY r.submitted_at DESC, r.refund_id DESC LIMIT ")
            .push_bind(f.limit)
            .push(" OFFSET ")
            .push_bind(f.offset);
        let rows: Vec<SummaryRow> = page.build_query_as().fetch_all(&mut *tx).await?;
        items = rows.into_iter().map(|r| r.summary(&overdue)).collect::<Result<_, _>>()?;
    }
    tx.commit().await?;
    Ok(RefundList { items, total, total_amount: yuan(sum) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The cut-off is the core's rule as a range: for every submission date around it, "on or
    /// before the cut-off" and `is_overdue` agree (across the 2026 National Day holiday, on a
    /// weekday, with one working day, in a year the calendar lacks).
    #[test]
    fn the_overdue_cutoff_agrees_with_the_rule() {
        let cal = Calendar::shipped();
        for (today, days) in
            [("2026-10-10", 10), ("2026-10-03", 10), ("2026-12-07", 10), ("2026-12-07", 1), ("2028-03-01", 10)]
        {
            let today = d(today);
            let cutoff = overdue_cutoff(today, days, &cal).unwrap();
            let mut day = today - chrono::Duration::days(60);
            while day <= today {
                assert_eq!(
                    day <= cutoff,
                    is_overdue(State::AtLedger, day, today, days, &cal),
                    "{day} (today {today}, cutoff {cutoff})"
                );
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn filters_are_checked() {
        let q = |f: fn(&mut RefundQuery)| {
            let mut q = RefundQuery::default();
            f(&mut q);
            Filters::read(&q)
        };
        assert!(q(|q| q.from = Some("2026-13-01".into())).is_err());
        assert!(q(|q| q.min_amount = Some("1.234".into())).is_err());
        assert!(
            q(|q| {
                q.from = Some("2026-12-02".into());
                q.to = Some("2026-12-01".into());
            })
            .is_err()
        );
        assert!(
            q(|q| {
                q.min_amount = Some("10.00".into());
                q.max_amount = Some("9.99".into());
            })
            .is_err()
        );
        assert!(q(|q| q.limit = Some(10_000)).is_err(), "too many rows per page is refused, not cut");
        assert_eq!(q(|_| {}).unwrap().limit, i64::from(DEFAULT_LIMIT));
        assert_eq!(q(|q| q.area = Some("  ".into())).unwrap().area, None, "an empty filter is no filter");
    }
}
