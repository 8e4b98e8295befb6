//! The finance list of deposits: every counter's, filtered, newest first, with how many match and
//! what they add up to.
//!
//! Each filter is a condition on an indexed column (see the deposits migration): the state (in
//! transit has a partial index of its own), area, terminal, the deposit date as a range of
//! `deposited_at` in the province's time, the slip number. "Overdue" is the counter's rule
//! (`shifts::deposit::is_overdue`) turned into a range, as for refunds: a deposit still in transit
//! is overdue exactly when it was made on or before the last overdue date of today
//! (`refunds::overdue_cutoff`, which counts the same working days). The count, the sum and the
//! page are read in one snapshot.

use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::*;
use crate::list_filters::{date_range, text, window};
use crate::refunds::{overdue_cutoff, start_of};

/// The filters, read and checked.
#[derive(Debug, Default)]
struct Filters {
    state: Option<DepositState>,
    terminal: Option<String>,
    area: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    slip_no: Option<String>,
    overdue: bool,
    limit: i64,
    offset: i64,
}

impl Filters {
    fn read(q: &DepositQuery) -> Result<Filters, LedgerError> {
        let (limit, offset) = window(q.limit, q.offset)?;
        let (from, to) = date_range(&q.from, &q.to)?;
        let f = Filters {
            state: q.state,
            terminal: text(&q.terminal),
            area: text(&q.area),
            from,
            to,
            slip_no: text(&q.slip_no).map(|s| cashdesk::input::half_width(&s).trim().to_string()),
            overdue: q.overdue.unwrap_or(false),
            limit,
            offset,
        };
        Ok(f)
    }

    /// ` WHERE ...` (or nothing) for these filters; `overdue_before`: the first moment after the
    /// last overdue deposit date.
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
        match self.state {
            Some(DepositState::InTransit) => {
                and(q);
                q.push("d.confirmed_at IS NULL");
            }
            Some(DepositState::Confirmed) => {
                and(q);
                q.push("d.confirmed_at IS NOT NULL");
            }
            None => {}
        }
        if let Some(area) = &self.area {
            and(q);
            q.push("d.area = ").push_bind(area.clone());
        }
        if let Some(terminal) = &self.terminal {
            and(q);
            q.push("d.terminal = ").push_bind(terminal.clone());
        }
        if let Some(from) = self.from {
            and(q);
            q.push("d.deposited_at >= ").push_bind(start_of(from)?);
        }
        if let Some(to) = self.to {
            let next = to.succ_opt().ok_or_else(|| LedgerError::BadRequest(format!("{to} is out of range")))?;
            and(q);
            q.push("d.deposited_at < ").push_bind(start_of(next)?);
        }
        if let Some(slip) = &self.slip_no {
            and(q);
            q.push("d.slip_no = ").push_bind(slip.clone());
        }
        if self.overdue {
            and(q);
            match overdue_before {
                Some(before) => {
                    q.push("d.confirmed_at IS NULL AND d.deposited_at < ").push_bind(before);
                }
                None => {
                    q.push("false");
                }
            }
        }
        Ok(())
    }
}

/// The deposits matching `query`, newest first (at most [`MAX_LIMIT`]), with how many match and
/// their total. `today` is the province's date.
pub async fn list(pool: &PgPool, query: &DepositQuery, today: NaiveDate) -> Result<DepositList, LedgerError> {
    let f = Filters::read(query)?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let overdue = Overdue::load(&mut tx, today).await?;
    let overdue_before = match overdue_cutoff(today, overdue.days, &overdue.calendar).and_then(|d| d.succ_opt()) {
        Some(next) => Some(start_of(next)?),
        None => None,
    };

    let mut totals = QueryBuilder::<Postgres>::new("SELECT COUNT(*), COALESCE(SUM(d.amount), 0) FROM deposits d");
    f.push_where(&mut totals, overdue_before)?;
    let (total, sum): (i64, Decimal) = totals.build_query_as().fetch_one(&mut *tx).await?;

    let mut items = Vec::new();
    if total > f.offset {
        let mut page = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM deposits d"));
        f.push_where(&mut page, overdue_before)?;
        page.push(" ORDER BY d.deposited_at DESC, d.event_id DESC LIMIT ")
            .push_bind(f.limit)
            .push(" OFFSET ")
            .push_bind(f.offset);
        let rows: Vec<Row> = page.build_query_as().fetch_all(&mut *tx).await?;
        items = rows.iter().map(|r| r.view(&overdue)).collect();
    }
    tx.commit().await?;
    Ok(DepositList { items, total, total_amount: yuan(sum) })
}

#[cfg(test)]
mod tests {
    use cashdesk::{calendar::Calendar, shifts::deposit::is_overdue};

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The refunds' cut-off serves deposits because the two rules count the same working days: for
    /// every deposit date around it, "on or before the cut-off" and the counter's deposit rule agree
    /// (across the 2026 National Day holiday, over a weekend, with one working day).
    #[test]
    fn the_overdue_cutoff_agrees_with_the_counters_deposit_rule() {
        let cal = Calendar::shipped();
        for (today, days) in [("2026-10-10", 2), ("2026-10-03", 2), ("2026-12-07", 2), ("2026-12-07", 1)] {
            let today = d(today);
            let cutoff = overdue_cutoff(today, days, &cal).unwrap();
            let mut day = today - chrono::Duration::days(40);
            while day <= today {
                assert_eq!(day <= cutoff, is_overdue(day, false, today, days, &cal), "{day} (today {today})");
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn filters_are_checked() {
        let q = |f: fn(&mut DepositQuery)| {
            let mut q = DepositQuery::default();
            f(&mut q);
            Filters::read(&q)
        };
        assert!(q(|q| q.from = Some("2026-02-30".into())).is_err());
        assert!(
            q(|q| {
                q.from = Some("2026-12-02".into());
                q.to = Some("2026-12-01".into());
            })
            .is_err()
        );
        assert!(q(|q| q.limit = Some(10_000)).is_err(), "too many rows per page is refused, not cut");
        assert_eq!(q(|_| {}).unwrap().limit, i64::from(DEFAULT_LIMIT));
        assert_eq!(q(|q| q.slip_no = Some(" ＪＫ００１ ".into())).unwrap().slip_no.as_deref(), Some("JK001"));
        assert_eq!(q(|q| q.terminal = Some(" ".into())).unwrap().terminal, None, "an empty filter is no filter");
    }
}
