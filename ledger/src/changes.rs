//! 变更日志: the log pulls read accounts' and bills' changes from (table `changes`, written by
//! statement-level triggers; see the ledger migration and `pull`).
//!
//! Invariant: compaction never hides a row from a counter. It drops an entry only when a later
//! entry (in (txid, rev) order) of the same row exists, and a pull sends a row as it is now, so a
//! counter whose cursor is before the dropped entry still gets the row's current state from the
//! later one. What stays is one entry per row, and a first pull reads each row once.

use std::time::Duration;

use sqlx::PgPool;

use crate::api::LedgerError;

/// Drop every log entry that a later entry of the same row supersedes; returns how many.
pub async fn compact(pool: &PgPool) -> Result<u64, LedgerError> {
    let done = sqlx::query(
        "DELETE FROM changes c USING (
             SELECT txid, rev FROM (
                 SELECT txid, rev, row_number() OVER (PARTITION BY kind, row_id ORDER BY txid DESC, rev DESC) AS newer
                 FROM changes
             ) AS ranked WHERE newer > 1
         ) AS old
         WHERE c.txid = old.txid AND c.rev = old.rev",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
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
