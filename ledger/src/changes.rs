//! 变更日志: the log pulls read accounts' and bills' changes from: table `changes` (one entry per
//! changed row, written by statement-level triggers) and table `change_sets` (one entry per push,
//! with the ids it changed); see the ledger migrations and `pull`.
//!
//! Invariant: compaction never hides a row from a counter. It drops a log entry only when a later
//! entry (in (txid, rev) order) of the same row exists, in the log or in a set, and a set only when
//! every row in it has a later entry; a pull sends a row as it is now, so a counter whose cursor is
//! before the dropped entry still gets the row's current state from the later one. What stays is at
//! most one log entry per row, and the sets that still hold some row's latest change (whole: a set
//! holds the account of each of its bills).

use std::time::Duration;

use sqlx::PgPool;

use crate::api::LedgerError;

/// Drop every log entry, and every change set, that later entries supersede; returns how many.
pub async fn compact(pool: &PgPool) -> Result<u64, LedgerError> {
    let (dropped,): (i64,) = sqlx::query_as(
        "WITH entries AS (
             SELECT txid, rev, kind, row_id, false AS in_set FROM changes
             UNION ALL SELECT txid, rev, 'a'::\"char\", UNNEST(account_ids), true FROM change_sets
             UNION ALL SELECT txid, rev, 'b'::\"char\", UNNEST(bill_ids), true FROM change_sets
         ), ranked AS (
             SELECT txid, rev, in_set,
                    row_number() OVER (PARTITION BY kind, row_id ORDER BY txid DESC, rev DESC) AS newer
             FROM entries
         ), rows_dropped AS (
             DELETE FROM changes c USING ranked r
             WHERE NOT r.in_set AND r.newer > 1 AND c.txid = r.txid AND c.rev = r.rev
             RETURNING 1
         ), sets_dropped AS (
             DELETE FROM change_sets s USING (
                 SELECT txid, rev FROM ranked WHERE in_set GROUP BY txid, rev HAVING min(newer) > 1
             ) AS old
             WHERE s.txid = old.txid AND s.rev = old.rev
             RETURNING 1
         )
         SELECT (SELECT COUNT(*) FROM rows_dropped) + (SELECT COUNT(*) FROM sets_dropped)",
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(dropped).unwrap_or(0))
}

/// Compact the log every `every` while the server runs (`compact_every_minutes` in the
/// configuration), the first time one interval after start; a failure is logged and retried next
/// time.
pub fn spawn_compactor(pool: PgPool, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match compact(&pool).await {
                Ok(n) => tracing::info!(dropped = n, "change log compacted"),
                Err(e) => tracing::warn!(error = %e, "change log compaction failed; will retry"),
            }
        }
    })
}
