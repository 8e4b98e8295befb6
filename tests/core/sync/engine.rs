//! The sync engine and the Desk's sync commands against the in-test ledger (see `fake_ledger`).

use std::{sync::Arc, time::Duration};

use cashdesk::{
    desk::{LoginRequest, TokenRequest, sync::SyncEnrolRequest},
    sync::{
        Engine,
        client::LedgerUrl,
        outbox,
        runner::{Runner, RunnerConfig},
        token::{MemoryStore, Token, TokenStore},
        wire::{CalendarChange, Change, MAX_BATCH, PolicyChange},
    },
};

use super::{
    fake_ledger::{self, CODE, TOKEN},
    pull::{account, bill, notice_2027, policy_2permille_min2},
};
use crate::common::{Counter, at, staffed, with_accounts};

async fn append(c: &Counter, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut tx = c.desk.pool().begin().await.unwrap();
    for i in 0..n {
        let id = outbox::new_event_id();
        let event = super::event(&id, &format!("{}.00", i + 1));
        outbox::append(&mut tx, &event, "GY01-03", at("2026-11-23T10:00:00+08:00")).await.unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

async fn pushed(c: &Counter) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM outbox WHERE pushed_at IS NOT NULL ORDER BY seq")
        .fetch_all(c.desk.pool())
        .await
        .unwrap()
}

async fn waiting(c: &Counter) -> i64 {
    let mut conn = c.desk.pool().acquire().await.unwrap();
    outbox::waiting(&mut conn).await.unwrap()
}

async fn login(c: &Counter, user: &str) -> String {
    c.desk.login(LoginRequest { username: user.into(), password: "Counter#2026".into() }).await.unwrap().token
}

/// A staffed counter with a memory token store, enrolled with a fresh fake ledger by the admin.
async fn enrolled(c: Counter) -> (Counter, String, fake_ledger::Shared, Arc<MemoryStore>) {
    let (url, ledger) = fake_ledger::start().await;
    let store = Arc::new(MemoryStore::new());
    let Counter { desk, clock, dir } = c;
    let c = Counter { desk: desk.with_token_store(store.clone()), clock, dir };
    let admin = login(&c, "admin").await;
    let status =
        c.desk.sync_enrol(SyncEnrolRequest { token: admin, url: url.clone(), code: CODE.into() }).await.unwrap();
    assert!(status.enrolled);
    assert_eq!(status.ledger_url.as_deref(), Some(format!("{url}/").as_str()));
    (c, url, ledger, store)
}

#[tokio::test]
async fn enrolment_needs_an_admin_a_valid_url_and_the_right_code() {
    let c = staffed("2026-11-23T10:00:00+08:00").await;
    let (url, _ledger) = fake_ledger::start().await;
    let store = Arc::new(MemoryStore::new());
    let Counter { desk, clock, dir } = c;
    let c = Counter { desk: desk.with_token_store(store.clone()), clock, dir };

    let cashier = login(&c, "cashier1").await;
    let req = |token: &str, url: &str, code: &str| SyncEnrolRequest {
        token: token.into(),
        url: url.into(),
        code: code.into(),
    };
    let err = c.desk.sync_enrol(req(&cashier, &url, CODE)).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    let admin = login(&c, "admin").await;
    let err = c.desk.sync_enrol(req(&admin, "ftp://ledger", CODE)).await.unwrap_err();
    assert_eq!(err.code(), "INPUT_INVALID");
    // Plain http:// to another machine would carry the code and the token in clear (issue 17).
    let err = c.desk.sync_enrol(req(&admin, "http://10.0.0.5:8700", CODE)).await.unwrap_err();
    assert_eq!(err.code(), "INPUT_INVALID");
    assert!(err.to_string().contains("https://"), "{err}");
    let err = c.desk.sync_enrol(req(&admin, &url, "WRONG-CODE")).await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_UNAUTHORIZED", false), "{err}");
    assert_eq!(store.get("GY01-03").unwrap(), None, "a refused enrolment stores no token");
    let status = c.desk.sync_status(TokenRequest { token: admin.clone() }).await.unwrap();
    assert!(!status.enrolled && status.ledger_url.is_none());

    let err = c.desk.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_NOT_ENROLLED", false));
    let status = c.desk.sync_state().await.unwrap();
    assert!(status.last_attempt.is_none() && status.last_error.is_none(), "not enrolled is not an attempt");

    let status = c.desk.sync_enrol(req(&admin, &url, CODE)).await.unwrap();
    assert!(status.enrolled);
    assert_eq!(store.get("GY01-03").unwrap(), Some(Token::new(TOKEN).unwrap()));
    let (action, detail): (String, String) =
        sqlx::query_as("SELECT action, detail FROM audit_log WHERE action = 'sync.enrol'")
            .fetch_one(c.desk.pool())
            .await
            .unwrap();
    assert_eq!(action, "sync.enrol");
    assert!(detail.contains(&url) && !detail.contains(TOKEN) && !detail.contains(CODE), "{detail}");
}

#[tokio::test]
async fn push_marks_only_what_the_ledger_acknowledged() {
    let (c, _url, ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    let ids = append(&c, 3).await;

    // The ledger is restarting: nothing is marked, the error is stored as worth retrying.
    ledger.lock().unwrap().unavailable = 1;
    let err = c.desk.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_OFFLINE", true), "{err}");
    assert!(pushed(&c).await.is_empty());
    let st = c.desk.sync_state().await.unwrap();
    assert_eq!((st.waiting, st.consecutive_failures), (3, 1));
    let last = st.last_error.unwrap();
    assert_eq!((last.code.as_str(), last.retryable), ("SYNC_OFFLINE", true));

    // Stored and applied, but the reply is lost: still nothing marked; the resend is all duplicate.
    ledger.lock().unwrap().lose_reply = 1;
    let err = c.desk.sync_once().await.unwrap_err();
    assert_eq!(err.code(), "SYNC_OFFLINE");
    assert!(pushed(&c).await.is_empty());
    assert_eq!(c.desk.sync_state().await.unwrap().consecutive_failures, 2);
    let report = c.desk.sync_once().await.unwrap();
    assert_eq!((report.applied, report.duplicate, report.flagged), (0, 3, 0));
    assert_eq!(pushed(&c).await, ids);
    assert_eq!(ledger.lock().unwrap().stored.len(), 3, "each event stored once");
    let st = c.desk.sync_state().await.unwrap();
    assert!(st.last_error.is_none() && st.last_success.is_some());
    assert_eq!((st.waiting, st.consecutive_failures), (0, 0));

    // A reply that does not answer the events in order marks nothing.
    let more = append(&c, 2).await;
    ledger.lock().unwrap().scramble = true;
    let err = c.desk.sync_once().await.unwrap_err();
    assert_eq!(err.code(), "SYNC_BAD_REPLY");
    assert_eq!(pushed(&c).await, ids);

    // Flagged is acknowledged too, and recorded for review with the ledger's reason.
    let suspense = append(&c, 1).await;
    ledger.lock().unwrap().flag.insert(suspense[0].clone());
    let report = c.desk.sync_once().await.unwrap();
    assert_eq!((report.applied, report.duplicate, report.flagged), (0, 2, 1), "the scrambled push stored {more:?}");
    assert_eq!(waiting(&c).await, 0);
    let sup = crate::common::token(&c.desk, "super1").await;
    let flagged = c.desk.sync_review(cashdesk::desk::TokenRequest { token: sup }).await.unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].event_id, suspense[0]);
    assert!(flagged[0].reason.contains("suspense"), "{:?}", flagged[0]);
    assert_eq!(c.desk.sync_state().await.unwrap().flagged, 1);
    // Supervisors review them through the command table; a cashier only sees the count.
    let cashier = login(&c, "cashier1").await;
    let err = c.desk.sync_review(TokenRequest { token: cashier }).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    let supervisor = login(&c, "super1").await;
    let review = c.desk.sync_review(TokenRequest { token: supervisor }).await.unwrap();
    assert_eq!(review, flagged);
    assert_eq!(review[0].receipt_no, None, "this synthetic payment has no receipt");

    // A revoked token: refused, not worth retrying, nothing marked.
    append(&c, 1).await;
    ledger.lock().unwrap().revoked = true;
    let err = c.desk.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_UNAUTHORIZED", false));
    assert_eq!(err.params()["ledger_code"], "TOKEN_REVOKED");
    assert_eq!(waiting(&c).await, 1);
}

#[tokio::test]
async fn events_go_in_seq_order_in_batches_of_at_most_max_batch() {
    let (c, _url, ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    let ids = append(&c, 2 * MAX_BATCH + 3).await;
    let report = c.desk.sync_once().await.unwrap();
    assert_eq!(report.applied as usize, ids.len());
    let l = ledger.lock().unwrap();
    assert_eq!(l.batches, [MAX_BATCH, MAX_BATCH, 3]);
    assert_eq!(l.stored.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>(), ids, "in seq order");
    assert!(l.stored.windows(2).all(|w| w[0].seq < w[1].seq));
    // The payload goes exactly as stored (the ledger checks its hash byte for byte).
    let e = &l.stored[0];
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(e.payload.as_bytes()));
    assert_eq!(digest, e.payload_sha256);
}

#[tokio::test]
async fn pull_applies_every_page_and_the_desk_uses_the_new_policy_and_calendar() {
    let (c, _url, ledger, _) = enrolled(with_accounts("2026-11-23T10:00:00+08:00").await).await;
    {
        let mut l = ledger.lock().unwrap();
        l.changes = vec![
            Change::Account(account("3200000001", "城南农机修理部")),
            Change::Bill(bill("3200000001", "202611", "88.80", "0")),
            Change::Account(account("3200000002", "城北五金店")),
            Change::Policy(PolicyChange { policy: policy_2permille_min2() }),
            Change::Calendar(CalendarChange { notice: notice_2027() }),
        ];
    }
    let engine_pages = {
        // Through the engine with small pages (what the ledger's tests can do too).
        let engine = Engine::new(
            c.desk.pool().clone(),
            c.desk.terminal().clone(),
            Arc::new(MemoryStore::new()),
            c.desk.data_keys(),
        );
        let err = engine.sync_once().await.unwrap_err();
        assert_eq!(err.code(), "SYNC_NOT_ENROLLED", "another store holds no token");
        c.desk.sync_engine().with_pull_limit(2)
    };
    let report = engine_pages.sync_once().await.unwrap();
    assert_eq!((report.pages, report.accounts, report.bills), (3, 2, 1));
    assert!(report.policy_changed && report.calendar_years == [2027]);
    assert_eq!(c.desk.sync_state().await.unwrap().cursor, "c5");

    // Desk::sync_once reloads what changed; a second round pulls nothing new.
    ledger.lock().unwrap().changes.push(Change::Policy(PolicyChange { policy: policy_2permille_min2() }));
    let report = c.desk.sync_once().await.unwrap();
    assert_eq!(report.pages, 1);
    assert!(report.policy_changed);
    assert_eq!(*c.desk.policy(), policy_2permille_min2(), "the desk uses the policy the ledger sent");
    assert!(c.desk.calendar().has_year(2027));
    assert_eq!(c.desk.sync_state().await.unwrap().cursor, "c6");
}

#[tokio::test]
async fn an_unreachable_ledger_is_offline_and_worth_retrying() {
    let c = staffed("2026-11-23T10:00:00+08:00").await;
    // A port nobody listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = Arc::new(MemoryStore::new());
    store.set("GY01-03", &Token::new(TOKEN).unwrap()).unwrap();
    let mut conn = c.desk.pool().acquire().await.unwrap();
    cashdesk::sync::state::set_ledger_url(
        &mut conn,
        LedgerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap().as_str(),
    )
    .await
    .unwrap();
    drop(conn);
    let engine = Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), store, c.desk.data_keys());
    append(&c, 1).await;
    let err = engine.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_OFFLINE", true), "{err}");
    assert_eq!(waiting(&c).await, 1);
}

#[tokio::test]
async fn a_stored_plain_http_url_to_another_machine_is_refused_before_any_request() {
    // A URL enrolled before plain http:// was refused (issue 17): a sync round must not send the
    // token in clear to it, and says what to do instead; the refusal is permanent, not "offline".
    let c = staffed("2026-11-23T10:00:00+08:00").await;
    let store = Arc::new(MemoryStore::new());
    store.set("GY01-03", &Token::new(TOKEN).unwrap()).unwrap();
    let mut conn = c.desk.pool().acquire().await.unwrap();
    // 192.0.2.1 (TEST-NET-1) routes nowhere: had a request been made, the error would be SYNC_OFFLINE.
    cashdesk::sync::state::set_ledger_url(&mut conn, LedgerUrl::parse("http://192.0.2.1:8700").unwrap().as_str())
        .await
        .unwrap();
    drop(conn);
    let engine = Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), store, c.desk.data_keys());
    append(&c, 1).await;
    let err = engine.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("INPUT_INVALID", false), "{err}");
    let m = err.to_string();
    assert!(m.contains("https://") && m.contains("enrol again"), "says how to fix it: {m}");
    assert_eq!(waiting(&c).await, 1, "nothing was sent");
    let state = c.desk.sync_state().await.unwrap();
    assert!(state.last_error.is_some(), "the status bar shows why: {state:?}");
}

#[tokio::test]
async fn the_token_is_never_in_the_database_or_debug_output() {
    let (c, url, _ledger, store) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    append(&c, 2).await;
    c.desk.sync_once().await.unwrap();
    let req = SyncEnrolRequest { token: "session-token".into(), url, code: CODE.into() };
    for shown in [
        format!("{:?}", c.desk),
        format!("{:?}", c.desk.sync_engine()),
        format!("{store:?}"),
        format!("{:?}", store.get("GY01-03").unwrap()),
        format!("{req:?}"),
        format!("{:?}", c.desk.sync_state().await.unwrap()),
    ] {
        assert!(!shown.contains(TOKEN) && !shown.contains("SECRET"), "{shown}");
        assert!(!shown.contains(CODE) && !shown.contains("session-token"), "{shown}");
    }
    // Every file of the database (main file and WAL), byte for byte (not the test's key store, a
    // directory).
    c.desk.pool().close().await;
    for entry in std::fs::read_dir(c.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the token reached a database file");
    }
}

#[tokio::test]
async fn the_runner_drains_the_outbox_and_stops_promptly() {
    let (c, _url, ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    ledger.lock().unwrap().unavailable = 2;
    append(&c, 5).await;
    // A long interval: after the first success only a wake makes the next round soon.
    let cfg = RunnerConfig { interval: Duration::from_secs(600), max_backoff: Duration::from_millis(100) };
    let runner: Runner = c.desk.spawn_sync_runner(cfg);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while waiting(&c).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the runner did not drain the outbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ledger.lock().unwrap().stored.len(), 5);
    // The counter keeps taking events while the runner runs; a wake sends them at once.
    append(&c, 1).await;
    runner.wake();
    while waiting(&c).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "a wake did not run a round");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::timeout(Duration::from_secs(2), runner.stop()).await.expect("the runner stops promptly");
}

/// A keyring that cannot be reached (e.g. the desktop session's keyring is locked).
#[derive(Debug)]
struct LockedKeyring;

impl TokenStore for LockedKeyring {
    fn get(&self, _: &str) -> cashdesk::Result<Option<Token>> {
        Err(cashdesk::Error::SyncKeyring { detail: "the collection is locked".into() })
    }
    fn set(&self, _: &str, _: &Token) -> cashdesk::Result<()> {
        Err(cashdesk::Error::SyncKeyring { detail: "the collection is locked".into() })
    }
    fn delete(&self, _: &str) -> cashdesk::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_keyring_that_cannot_be_read_is_a_failed_attempt_shown_in_the_status() {
    let (c, _url, _ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    let engine =
        Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(LockedKeyring), c.desk.data_keys());
    let err = engine.sync_once().await.unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("SYNC_KEYRING", true));
    let st = c.desk.sync_state().await.unwrap();
    assert_eq!(st.last_error.unwrap().code, "SYNC_KEYRING");
    assert_eq!(st.consecutive_failures, 1);
}

async fn push_from(c: &Counter) -> i64 {
    sqlx::query_scalar("SELECT push_from FROM sync_state").fetch_one(c.desk.pool()).await.unwrap()
}

/// The outbox keeps no index of waiting events: a mark (`sync_state.push_from`) below which every
/// event is acknowledged stands in for it. It follows acknowledgements, never passes a waiting event,
/// and goes back when an administrator has events sent again.
#[tokio::test]
async fn the_push_mark_follows_acknowledgements_and_resends() {
    let (c, _url, ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    let first: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetch_one(c.desk.pool()).await.unwrap();
    let start = push_from(&c).await;
    assert!(start <= first, "nothing after the mark is skipped: {start} <= {first}");
    append(&c, 3).await;
    c.desk.sync_once().await.unwrap();
    assert_eq!(push_from(&c).await, first + 3, "past the newest acknowledged event");

    // A reply that marks nothing leaves the mark where it was.
    append(&c, 2).await;
    ledger.lock().unwrap().scramble = true;
    c.desk.sync_once().await.unwrap_err();
    assert_eq!((push_from(&c).await, waiting(&c).await), (first + 3, 2));
    c.desk.sync_once().await.unwrap();
    assert_eq!((push_from(&c).await, waiting(&c).await), (first + 5, 0));

    // 重新上传: the mark goes back to the oldest event sent again, and every one of them goes.
    let admin = login(&c, "admin").await;
    let again = c.desk.sync_resend(&admin, "2026-11-23T09:00:00+08:00").await.unwrap();
    assert!(again >= 5, "{again}");
    assert!(push_from(&c).await <= first, "{} <= {first}", push_from(&c).await);
    assert_eq!(waiting(&c).await, again);
    assert_eq!(c.desk.sync_state().await.unwrap().cursor, "", "the pull starts again from the beginning");
    let report = c.desk.sync_once().await.unwrap();
    assert_eq!(i64::from(report.duplicate), again, "the ledger has them all");
    assert_eq!((push_from(&c).await, waiting(&c).await), (first + 5, 0));
}

/// Remove the last `n` audit entries from the file directly (no triggers), as someone with the
/// database file would.
async fn cut_audit_tail(c: &Counter, n: i64) {
    let pool = cashdesk::store::open(&c.db_path()).await.unwrap();
    for stmt in ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    sqlx::query("DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) FROM audit_log) - ?")
        .bind(n)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn audit_head(c: &Counter) -> (i64, String) {
    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_one(c.desk.pool()).await.unwrap()
}

#[tokio::test]
async fn every_round_sends_the_audit_head_and_proves_it_extends_the_one_the_ledger_acknowledged() {
    let (c, _url, ledger, _) = enrolled(staffed("2026-11-23T10:00:00+08:00").await).await;
    // Nothing waits: the head goes in a push with no events.
    c.desk.sync_once().await.unwrap();
    let first = {
        let l = ledger.lock().unwrap();
        assert_eq!(l.batches, [0]);
        assert_eq!(l.audits.len(), 1);
        assert_eq!(l.audits[0].at_last, None, "no acknowledgement yet");
        l.audits[0].head.clone()
    };
    assert_eq!((first.seq, first.hash.clone()), audit_head(&c).await);
    // New entries; events wait: the head goes with the first batch, with the counter's own entry at
    // the acknowledged seq.
    login(&c, "cashier1").await;
    append(&c, 2).await;
    c.desk.sync_once().await.unwrap();
    let second = {
        let l = ledger.lock().unwrap();
        assert_eq!(l.batches, [0, 2]);
        assert_eq!(l.audits[1].at_last.as_ref(), Some(&first));
        l.audits[1].head.clone()
    };
    assert!(second.seq > first.seq);
    // The end of the trail is cut off: the next head is lower and the entry the ledger saw is gone.
    cut_audit_tail(&c, 2).await;
    c.desk.sync_once().await.unwrap();
    let l = ledger.lock().unwrap();
    let third = &l.audits[2];
    assert_eq!(third.head.seq, second.seq - 2);
    assert_eq!(third.at_last, None, "the acknowledged entry is gone");
}
