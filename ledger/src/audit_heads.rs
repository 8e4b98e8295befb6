//! 审计链头: the head of each counter's audit chain (`cashdesk::audit`), as its sync rounds send it
//! (`wire::AuditHead`, with a push), kept per terminal (`terminals.audit_*`).
//!
//! A head is compared with the last one the ledger saw for the terminal (`last`):
//! - the same head again (or the one before it: a copy of an earlier request): nothing changes;
//! - a lower seq than `last`: the chain went backwards (its end was cut off), flagged
//!   `audit_head_backwards`;
//! - `at_last` (the counter's own entry at `last`'s seq) equal to `last`: the chain extends what the
//!   ledger saw; stored, no flag;
//! - `at_last` equal to the head before `last` (or absent when the ledger saw only `last`): the
//!   counter did not get the reply that acknowledged `last` (a lost reply). Not stored, not flagged:
//!   the reply names `last` and the next round proves the chain extends it;
//! - otherwise (at `last`'s seq the counter has another hash, no entry, or names another seq; or no
//!   `at_last` at all): the chain no longer extends what the ledger saw, flagged
//!   `audit_head_diverged`, or `audit_head_unanchored` when the counter gives no entry at that seq.
//!
//! A flagged head is stored all the same (the next round is compared with it) and listed in
//! `conflicts` (no event: `event_id` is null; `cashdesk-ledger conflicts list`). The push that
//! carried it is never refused for it. A malformed head (a negative seq, a hash that is not 64
//! lowercase hex digits) is a bad request.
//!
//! Not caught here: a chain rewritten with freshly computed hashes before its next sync round (the
//! chain is not yet keyed), or a terminal that never sends a head (an older counter).

use cashdesk::sync::wire::{AuditHead, AuditHeadHeld, AuditMark};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::LedgerError;

/// Refuse a head a counter could not have sent.
pub fn check(a: &AuditHead) -> Result<(), LedgerError> {
    if a.head.is_well_formed() && a.at_last.as_ref().is_none_or(AuditMark::is_well_formed) {
        Ok(())
    } else {
        Err(LedgerError::BadRequest("audit: a seq is a whole number from 0 and a hash 64 lowercase hex digits".into()))
    }
}

/// What to do with a head, given the last two the ledger saw (a pure rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store it as the terminal's head.
    Extends,
    /// Nothing to store: a copy of a head already seen, or a counter that missed the last reply.
    Keep,
    /// Store it and list a conflict of this kind with this detail.
    Flag(&'static str, String),
}

pub fn judge(a: &AuditHead, last: Option<&AuditMark>, prev: Option<&AuditMark>) -> Verdict {
    let Some(last) = last else { return Verdict::Extends };
    let head = &a.head;
    if head == last || Some(head) == prev {
        return Verdict::Keep;
    }
    if head.seq < last.seq {
        return Verdict::Flag(
            "audit_head_backwards",
            format!(
                "the audit chain's head went back from entry {} to entry {}: entries at its end were removed",
                last.seq, head.seq
            ),
        );
    }
    if a.at_last.as_ref() == Some(last) && !(head.seq == last.seq && head.hash != last.hash) {
        return Verdict::Extends;
    }
    if a.at_last.as_ref() == prev {
        return Verdict::Keep;
    }
    match &a.at_last {
        Some(at) if at.seq == last.seq => Verdict::Flag(
            "audit_head_diverged",
            format!(
                "the audit chain no longer extends the head the ledger saw: entry {} has hash {} at the counter, {} when it was sent (new head: entry {})",
                last.seq, at.hash, last.hash, head.seq
            ),
        ),
        Some(at) => Verdict::Flag(
            "audit_head_diverged",
            format!(
                "the counter proves its chain from entry {}, but the ledger last saw entry {} (new head: entry {})",
                at.seq, last.seq, head.seq
            ),
        ),
        None => Verdict::Flag(
            "audit_head_unanchored",
            format!(
                "the counter has no entry {} (the head the ledger saw) or no record of it: the chain may have been rewritten (new head: entry {})",
                last.seq, head.seq
            ),
        ),
    }
}

/// The head the ledger holds for `terminal` (`GET /v1/audit-head`).
pub async fn held(pool: &PgPool, terminal: &str) -> Result<AuditHeadHeld, LedgerError> {
    let (seq, hash, seen_at): (Option<i64>, Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT audit_seq, audit_hash, audit_seen_at FROM terminals WHERE code = $1")
            .bind(terminal)
            .fetch_one(pool)
            .await?;
    let head = seq.zip(hash).map(|(seq, hash)| AuditMark { seq, hash });
    Ok(AuditHeadHeld { head, seen_at: seen_at.map(|t| t.to_rfc3339()) })
}

/// Compare `a` with the terminal's last head, store it or flag it (one transaction, the terminal's
/// row locked), and return the head the ledger now holds.
pub async fn record(
    pool: &PgPool,
    terminal: &str,
    a: &AuditHead,
    now: DateTime<Utc>,
) -> Result<AuditMark, LedgerError> {
    check(a)?;
    let mut tx = pool.begin().await?;
    let (seq, hash, prev_seq, prev_hash): (Option<i64>, Option<String>, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT audit_seq, audit_hash, audit_prev_seq, audit_prev_hash FROM terminals WHERE code = $1 FOR UPDATE",
    )
    .bind(terminal)
    .fetch_one(&mut *tx)
    .await?;
    let mark = |s: Option<i64>, h: Option<String>| Some(AuditMark { seq: s?, hash: h? });
    let (last, prev) = (mark(seq, hash), mark(prev_seq, prev_hash));
    let verdict = judge(a, last.as_ref(), prev.as_ref());
    if let Verdict::Flag(kind, detail) = &verdict {
        tracing::warn!(terminal, kind, "audit chain head flagged for review");
        sqlx::query("INSERT INTO conflicts (kind, event_id, terminal, detail) VALUES ($1, NULL, $2, $3)")
            .bind(kind)
            .bind(terminal)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
    }
    let held = match verdict {
        Verdict::Keep => last.unwrap_or_else(|| a.head.clone()),
        Verdict::Extends | Verdict::Flag(..) => {
            sqlx::query(
                "UPDATE terminals SET audit_prev_seq = audit_seq, audit_prev_hash = audit_hash, audit_seq = $2,
                 audit_hash = $3, audit_seen_at = $4 WHERE code = $1",
            )
            .bind(terminal)
            .bind(a.head.seq)
            .bind(&a.head.hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            a.head.clone()
        }
    };
    tx.commit().await?;
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(seq: i64, c: char) -> AuditMark {
        AuditMark { seq, hash: c.to_string().repeat(64) }
    }

    fn head(h: AuditMark, at_last: Option<AuditMark>) -> AuditHead {
        AuditHead { head: h, at_last }
    }

    fn kind(v: &Verdict) -> &'static str {
        match v {
            Verdict::Extends => "extends",
            Verdict::Keep => "keep",
            Verdict::Flag(k, _) => k,
        }
    }

    #[rstest::rstest]
    #[case::first(head(m(3, 'a'), None), None, None, "extends")]
    #[case::extends(head(m(9, 'b'), Some(m(3, 'a'))), Some(m(3, 'a')), None, "extends")]
    #[case::unchanged(head(m(3, 'a'), Some(m(3, 'a'))), Some(m(3, 'a')), None, "keep")]
    #[case::a_copy_of_the_previous_request(head(m(3, 'a'), None), Some(m(9, 'b')), Some(m(3, 'a')), "keep")]
    #[case::lost_reply(head(m(12, 'c'), Some(m(3, 'a'))), Some(m(9, 'b')), Some(m(3, 'a')), "keep")]
    #[case::lost_first_reply(head(m(12, 'c'), None), Some(m(9, 'b')), None, "keep")]
    #[case::backwards(head(m(5, 'c'), Some(m(3, 'a'))), Some(m(9, 'b')), Some(m(3, 'a')), "audit_head_backwards")]
    #[case::diverged(head(m(12, 'c'), Some(m(9, 'd'))), Some(m(9, 'b')), None, "audit_head_diverged")]
    #[case::same_seq_other_hash(head(m(9, 'd'), Some(m(9, 'b'))), Some(m(9, 'b')), None, "audit_head_diverged")]
    #[case::another_seq(head(m(12, 'c'), Some(m(7, 'e'))), Some(m(9, 'b')), Some(m(3, 'a')), "audit_head_diverged")]
    #[case::unanchored(head(m(12, 'c'), None), Some(m(9, 'b')), Some(m(3, 'a')), "audit_head_unanchored")]
    fn verdicts(
        #[case] a: AuditHead,
        #[case] last: Option<AuditMark>,
        #[case] prev: Option<AuditMark>,
        #[case] want: &str,
    ) {
        assert_eq!(kind(&judge(&a, last.as_ref(), prev.as_ref())), want);
    }

    #[test]
    fn a_malformed_head_is_refused() {
        assert!(check(&head(m(1, 'a'), None)).is_ok());
        assert!(check(&head(m(-1, 'a'), None)).is_err());
        assert!(check(&head(m(1, 'a'), Some(m(1, 'G')))).is_err());
    }
}
