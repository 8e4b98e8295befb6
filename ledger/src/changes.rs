//! 变更日志: the log pulls read accounts', bills', refund requests' and deposits' changes from:
//! table `changes` (one entry per changed row: imports and administrators' updates, by triggers;
//! refund requests moved on, written by `events` and `refunds`; deposits confirmed, written by
//! `deposits`; and pushes' sets once compacted) and table `change_sets` (a push's changed accounts
//! and bills, one entry per set); see the ledger migrations and `pull`.
//!
//! Invariant: compaction never hides a row from a counter. It first turns every change set into
//! log entries at the set's own places (the numbers the set owns, `rev..=rev_last` of its
//! transaction), in one statement, so a pull sees either the set or its entries; then it drops a
//! log entry only when a later entry of the same row exists. A pull sends a row as it is now, so a
//! counter whose cursor is before a dropped entry still gets the row's current state from the
//! later one. What stays is one entry per row, and a first pull reads each row once.

use std::time::Duration;

use sqlx::PgPool;

use crate::error::LedgerError;

/// Turn the change sets into log entries, then drop every log entry that a later entry of the same
/// row supersedes; returns how many entries went.
pub async fn compact(pool: &PgPool) -> Result<u64, LedgerError> {
    let mut tx = pool.begin().await?;
    // Accounts first, then bills, at rev, rev + 1, ..., rev_last (the set owns those numbers of its
    // transaction, one per id: a CHECK on the table).
    sqlx::query(
        "WITH gone AS (DELETE FROM change_sets RETURNING txid, rev, account_ids, bill_ids)
         INSERT INTO changes (txid, rev, kind, row_id)
         SELECT g.txid, g.rev + u.n - 1, u.kind, u.row_id
         FROM gone g, LATERAL UNNEST(
             array_fill('a'::\"char\", ARRAY[cardinality(g.account_ids)]) || array_fill('b'::\"char\", ARRAY[cardinality(g.bill_ids)]),
             g.account_ids || g.bill_ids
         ) WITH ORDINALITY AS u(kind, row_id, n)",
    )
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "DELETE FROM changes c USING (
             SELECT txid, rev FROM (
                 SELECT txid, rev, row_number() OVER (PARTITION BY kind, row_id ORDER BY txid DESC, rev DESC) AS newer
                 FROM changes
             ) AS ranked WHERE newer > 1
         ) AS old
         WHERE c.txid = old.txid AND c.rev = old.rev",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
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
