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

/// The plain SHA-256 an attacker without the audit key can compute (the earlier builds' scheme).
fn plain_hash(prev: &str, fields: [&str; 6]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in std::iter::once(prev).chain(fields) {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Rewrite the chain from entry `from` on as someone with the file but not the key would: the
/// entry edited (`actor`), every hash after it computed afresh with the plain scheme or with a key
/// of their own (`scheme` 1 under a made-up key), and the checkpoint moved to the new head.
async fn rewrite_from(c: &Counter, from: i64, keyed_with_own_key: bool) {
    use ring::hmac;
    let pool = cashdesk::store::open(&c.db_path()).await.unwrap();
    sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update").execute(&pool).await.unwrap();
    type Row = (i64, String, String, String, String, Option<String>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, terminal, actor, action, subject, detail FROM audit_log WHERE seq >= ? ORDER BY seq",
    )
    .bind(from)
    .fetch_all(&pool)
    .await
    .unwrap();
    let (mut prev,): (String,) =
        sqlx::query_as("SELECT prev_hash FROM audit_log WHERE seq = ?").bind(from).fetch_one(&pool).await.unwrap();
    let own = hmac::Key::new(hmac::HMAC_SHA256, b"an attacker's own key, not the counter's");
    for (seq, at, terminal, actor, action, subject, detail) in rows {
        let actor = if seq == from { "nobody".to_string() } else { actor };
        let fields = [at.as_str(), &terminal, &actor, &action, subject.as_deref().unwrap_or(""), &detail];
        let (hash, scheme) = if keyed_with_own_key {
            let mut ctx = hmac::Context::with_key(&own);
            for part in ["cashdesk-audit-v1", &seq.to_string(), &prev].into_iter().chain(fields) {
                ctx.update(&(part.len() as u64).to_be_bytes());
                ctx.update(part.as_bytes());
            }
            (hex::encode(ctx.sign().as_ref()), 1)
        } else {
            (plain_hash(&prev, fields), 0)
        };
        sqlx::query("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ?, scheme = ? WHERE seq = ?")
            .bind(&actor)
            .bind(&prev)
            .bind(&hash)
            .bind(scheme)
            .bind(seq)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE settings SET value = ? WHERE key = 'audit_checked_seq'")
            .bind(seq.to_string())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE settings SET value = ? WHERE key = 'audit_checked_hash'")
            .bind(&hash)
            .execute(&pool)
            .await
            .unwrap();
        prev = hash;
    }
    pool.close().await;
}

/// DOMAIN (issue 17): the chain is keyed. A rewrite from some entry on with freshly computed
/// hashes and the checkpoint moved along (what the plain chain could not catch) is found: with
/// the plain scheme it is a plain entry after keyed ones; under any other key the entry does not
/// verify. Found by the whole walk and told to administrators.
#[tokio::test]
async fn a_rewrite_with_fresh_hashes_and_the_checkpoint_moved_is_found() {
    for keyed_with_own_key in [false, true] {
        let (c, new) = checked_then_two_more().await;
        assert!(matches!(c.desk.audit_check().await.unwrap(), Checked::Intact { .. }));
        rewrite_from(&c, new[0], keyed_with_own_key).await;
        let why = if keyed_with_own_key { Broken::Altered } else { Broken::Unkeyed };
        let sup = crate::common::token(&c.desk, "super1").await;
        let e = c.desk.audit_verify(&sup).await.unwrap_err();
        assert!(e.to_string().contains(&format!("entry {} ({})", new[0], why.as_str())), "{e}");
        assert_eq!(broken(&c, "admin").await, Some(new[0].to_string()));
    }
}

/// DOMAIN (issue 17): the MAC covers `seq`: an entry moved to another place in the numbering
/// (the last one renumbered past a gap) no longer verifies.
#[tokio::test]
async fn a_renumbered_entry_is_found() {
    let (c, new) = checked_then_two_more().await;
    tamper(&c, &format!("UPDATE audit_log SET seq = seq + 5 WHERE seq = {}", new[1])).await;
    let sup = crate::common::token(&c.desk, "super1").await;
    let e = c.desk.audit_verify(&sup).await.unwrap_err();
    assert!(e.to_string().contains(&format!("entry {} (altered)", new[1] + 5)), "{e}");
}

/// New entries are keyed, and each covers its seq: the chain's entries after the key was made
/// carry scheme 1 and the key's own entry (`keys.audit_key_new`) is the first of them.
#[tokio::test]
async fn entries_are_keyed_from_the_audit_keys_own_entry_on() {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    let pool = cashdesk::store::open(&c.db_path()).await.unwrap();
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT seq, action, scheme FROM audit_log ORDER BY seq").fetch_all(&pool).await.unwrap();
    pool.close().await;
    let first_keyed = rows.iter().position(|r| r.2 == 1).unwrap();
    assert_eq!(rows[first_keyed].1, "keys.audit_key_new", "{rows:?}");
    assert!(rows[first_keyed..].iter().all(|r| r.2 == 1), "every later entry is keyed: {rows:?}");
    let key = c.desk.audit_key().await.unwrap().expect("the test store holds the audit key");
    let mut conn = c.desk.pool().acquire().await.unwrap();
    assert_eq!(cashdesk::audit::verify(&mut conn, Some(&key)).await.unwrap(), rows.len() as u64);
    // Without the key, keyed entries cannot be checked: said so, never taken as intact.
    let e = cashdesk::audit::verify(&mut conn, None).await.unwrap_err();
    assert_eq!(e.code(), "AUDIT_KEY_UNAVAILABLE");
}

/// DOMAIN (issue 17): once a database has recorded its audit key, nothing is audited without it:
/// with the key gone (or another key put in its place) a log-in is refused with
/// AUDIT_KEY_UNAVAILABLE and the trail is left as it was; with the key back all works again.
#[tokio::test]
async fn without_its_audit_key_nothing_is_audited_and_nothing_is_done() {
    let c = staffed("2026-12-01T09:00:00+08:00").await;
    let dir = c.desk.key_files_dir().await.unwrap().expect("the test keeps its keys in files");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "auditkey"))
        .unwrap();
    let saved = std::fs::read(&file).unwrap();
    let before = seqs(&c).await;
    for replacement in [None, Some(vec![7u8; saved.len()])] {
        std::fs::remove_file(&file).unwrap();
        if let Some(other) = &replacement {
            std::fs::write(&file, other).unwrap();
        }
        // A fresh process: nothing held from before.
        let other =
            cashdesk::desk::Desk::open(&c.db_path(), cashdesk::desk::InitOptions { terminal: None, utility: None })
                .await
                .unwrap();
        let e = other.login(LoginRequest { username: "cashier1".into(), password: PW.into() }).await.unwrap_err();
        assert_eq!(e.code(), "AUDIT_KEY_UNAVAILABLE", "{e}");
        assert_eq!(seqs(&c).await, before, "nothing was written");
        if replacement.is_some() {
            std::fs::remove_file(&file).unwrap();
        }
        std::fs::write(&file, &saved).unwrap();
    }
    let again = cashdesk::desk::Desk::open(&c.db_path(), cashdesk::desk::InitOptions { terminal: None, utility: None })
        .await
        .unwrap();
    let r = again.login(LoginRequest { username: "cashier1".into(), password: PW.into() }).await.unwrap();
    again.logout(TokenRequest { token: r.token }).await.unwrap();
    assert!(matches!(again.audit_check().await.unwrap(), Checked::Intact { .. }));
}
