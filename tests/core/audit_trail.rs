//! The audit trail is checked at start and at each administrator's log-in, from where the last
//! check ended: an entry edited, entries removed (in the middle or at the end) or reordered outside
//! Cashdesk are told to administrators (AUDIT_BROKEN, naming the entry), and to nobody else, at
//! every log-in until dealt with. The file is tampered with as an attacker with the file would:
//! the append-only triggers dropped, rows changed with plain SQL.

use cashdesk::{
    audit::{Broken, Checked},
    desk::{LoginRequest, TokenRequest},
};

use crate::common::{Counter, PW, staffed};

async fn notices(c: &Counter, user: &str) -> Vec<(String, std::collections::BTreeMap<String, String>)> {
    let r = c.desk.login(LoginRequest { username: user.into(), password: PW.into() }).await.unwrap();
    c.desk.logout(TokenRequest { token: r.token }).await.unwrap();
    r.notices.into_iter().map(|n| (n.code, n.params)).collect()
}

async fn broken(c: &Counter, user: &str) -> Option<String> {
    notices(c, user).await.into_iter().find(|(code, _)| code == "AUDIT_BROKEN").map(|(_, p)| p["seq"].clone())
}

/// Tamper with the file directly (no triggers), as someone with the database file would.
async fn tamper(c: &Counter, sql: &str) {
    let pool = cashdesk::store::open(&c.db_path()).await.unwrap();
    for stmt in ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn seqs(c: &Counter) -> Vec<i64> {
    let pool = cashdesk::store::open(&c.db_path()).await.unwrap();
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT seq FROM audit_log ORDER BY seq").fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows.into_iter().map(|(s,)| s).collect()
}

#[tokio::test]
async fn an_intact_trail_is_checked_from_where_the_last_check_ended() {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    assert_eq!(broken(&c, "admin").await, None);
    let first = c.desk.audit_check().await.unwrap();
    let Checked::Intact { head: Some(head), .. } = first else { panic!("{first:?}") };
    assert_eq!(head.seq, *seqs(&c).await.last().unwrap(), "the checkpoint is the newest entry");
    // Two more entries (a log-in and a log-out): the next check reads only those.
    notices(&c, "cashier1").await;
    assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { entries: 2, .. }));
    assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { entries: 0, .. }));
}

/// A counter whose trail was checked, then two more entries written (a cashier's log-in and
/// log-out): the entries a start or an administrator's log-in checks next. Their seqs.
async fn checked_then_two_more() -> (Counter, Vec<i64>) {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { .. }));
    let before = seqs(&c).await.len();
    notices(&c, "cashier1").await;
    let after = seqs(&c).await;
    assert_eq!(after.len(), before + 2);
    let new = after[before..].to_vec();
    (c, new)
}

#[tokio::test]
async fn an_edited_entry_is_told_to_administrators_only_and_every_time() {
    let (c, new) = checked_then_two_more().await;
    tamper(&c, &format!("UPDATE audit_log SET actor = 'nobody' WHERE seq = {}", new[0])).await;
    assert_eq!(broken(&c, "admin").await, Some(new[0].to_string()));
    assert!(
        matches!(c.desk.audit_check().await.unwrap(), Checked::Broken { seq, why: Broken::Altered } if seq == new[0])
    );
    assert_eq!(broken(&c, "cashier1").await, None, "a cashier is not told");
    assert_eq!(broken(&c, "super1").await, None);
    assert_eq!(broken(&c, "admin").await, Some(new[0].to_string()), "told again until dealt with");
}

#[tokio::test]
async fn an_entry_edited_before_the_checkpoint_is_found_by_a_whole_walk_and_then_told() {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { .. }));
    let old = seqs(&c).await[1];
    tamper(&c, &format!("UPDATE audit_log SET detail = '{{}}' WHERE seq = {old}")).await;
    assert_eq!(broken(&c, "admin").await, None, "the incremental check reads only what is new");
    let sup = crate::common::token(&c.desk, "super1").await;
    let e = c.desk.audit_verify(&sup).await.unwrap_err();
    assert!(e.to_string().contains(&format!("entry {old}")), "{e}");
    assert_eq!(broken(&c, "admin").await, Some(old.to_string()), "the whole walk's break is told from then on");
}

#[tokio::test]
async fn an_entry_removed_in_the_middle_or_entries_reordered_are_found() {
    let (c, new) = checked_then_two_more().await;
    tamper(&c, &format!("DELETE FROM audit_log WHERE seq = {}", new[0])).await;
    assert!(
        matches!(c.desk.audit_check().await.unwrap(), Checked::Broken { seq, why: Broken::Unlinked } if seq == new[1])
    );

    let (c, new) = checked_then_two_more().await;
    // The two entries swapped: every column but seq exchanged.
    let cols = "at, terminal, actor, action, subject, detail, prev_hash, hash";
    tamper(
        &c,
        &format!(
            "UPDATE audit_log SET ({cols}) = (SELECT {cols} FROM audit_log o WHERE o.seq = CASE audit_log.seq WHEN {a} THEN {b} ELSE {a} END) WHERE seq IN ({a}, {b})",
            a = new[0],
            b = new[1]
        ),
    )
    .await;
    assert!(
        matches!(c.desk.audit_check().await.unwrap(), Checked::Broken { seq, why: Broken::Unlinked } if seq == new[0])
    );
    assert_eq!(broken(&c, "admin").await, Some(new[0].to_string()));
}

#[tokio::test]
async fn the_last_entries_removed_after_a_check_are_found() {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { .. }));
    let s = seqs(&c).await;
    let checked = *s.last().unwrap();
    // The last three entries, the checked one among them, go.
    tamper(&c, &format!("DELETE FROM audit_log WHERE seq > {}", s[s.len() - 4])).await;
    assert!(
        matches!(c.desk.audit_check().await.unwrap(), Checked::Broken { seq, why: Broken::CheckpointGone } if seq == checked)
    );
    assert_eq!(broken(&c, "admin").await, Some(checked.to_string()));
}
