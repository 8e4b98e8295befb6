//! Applying pull pages on a real SQLite file: inserts, updates, FTS, policy and calendar, bad pages,
//! and the refusal while events wait to be pushed.

use cashdesk::{
    accounts::{BillingMode, Category, RiskMark, db as accounts_db},
    calendar::YearCalendar,
    money::Yuan,
    policy::Policy,
    sync::{
        outbox,
        pull::{Applied, apply_page},
        wire::{CalendarChange, Change, PolicyChange, PullResponse, WireAccount, WireBill},
    },
};
use chrono::NaiveDate;
use sqlx::SqlitePool;

use crate::common::{at, with_accounts};

pub fn account(no: &str, name: &str) -> WireAccount {
    WireAccount {
        account_no: no.into(),
        name: name.into(),
        address: "示范市新区创业路1号".into(),
        category: Category::Commercial,
        billing_mode: BillingMode::Postpaid,
        meter_no: format!("M{no}"),
        multiplier: 1,
        phone: None,
        prepaid_balance: Yuan::parse("3.50").unwrap(),
        risk: None,
        closed: false,
    }
}

pub fn bill(no: &str, period: &str, amount: &str, paid: &str) -> WireBill {
    WireBill {
        account_no: no.into(),
        period: period.into(),
        kwh: "100".into(),
        amount: Yuan::parse(amount).unwrap(),
        paid: Yuan::parse(paid).unwrap(),
        due_date: "2026-12-15".into(),
        late_fee_from: "2026-12-15".into(),
        late_fee_received: Yuan::ZERO,
        late_fee_waived: Yuan::ZERO,
        late_fee_owed: Yuan::ZERO,
        written_off: false,
    }
}

pub fn page(changes: Vec<Change>, cursor: &str) -> PullResponse {
    PullResponse { changes, cursor: cursor.into(), more: false }
}

pub fn policy_2permille_min2() -> Policy {
    let mut p = Policy::default();
    p.late_fee.minimum = Yuan::parse("2.00").unwrap();
    p.holiday_cash.limit_per_transaction = Yuan::parse("3000.00").unwrap();
    p
}

pub fn notice_2027() -> YearCalendar {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    YearCalendar { year: 2027, days_off: vec![d("2027-01-01")], working_weekends: vec![d("2027-01-02")] }
}

async fn cursor(pool: &SqlitePool) -> String {
    sqlx::query_scalar("SELECT cursor FROM sync_state").fetch_one(pool).await.unwrap()
}

/// Everything a page can touch, to compare before and after.
async fn snapshot(pool: &SqlitePool) -> Vec<String> {
    let mut out: Vec<String> = sqlx::query_scalar(
        "SELECT account_no || '|' || name || '|' || prepaid_balance_fen || '|' || closed FROM accounts ORDER BY account_no",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    out.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT account_id || '|' || period || '|' || amount_fen || '|' || paid_fen FROM bills ORDER BY account_id, period",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    );
    out.extend(
        sqlx::query_scalar::<_, String>("SELECT key || value FROM settings WHERE key = 'policy'")
            .fetch_all(pool)
            .await
            .unwrap(),
    );
    out.extend(sqlx::query_scalar::<_, String>("SELECT notice FROM calendar_years").fetch_all(pool).await.unwrap());
    out.push(cursor(pool).await);
    out
}

#[tokio::test]
async fn a_page_inserts_and_updates_in_place_and_search_follows() {
    let c = with_accounts("2026-11-23T10:00:00+08:00").await;
    let pool = c.desk.pool();
    let mut conn = pool.acquire().await.unwrap();
    let old_id = accounts_db::id_of(&mut conn, &cashdesk::accounts::AccountNo::parse("3100000002").unwrap())
        .await
        .unwrap()
        .unwrap();
    drop(conn);

    let mut renamed = account("3100000002", "示范市新华联百货有限公司");
    renamed.meter_no = "0110000000002".into();
    renamed.risk = Some(RiskMark::RepeatedArrears);
    let mut with_phone = account("3200000001", "城南农机修理部");
    with_phone.phone = Some("138****5678".into());
    let changes = vec![
        Change::Account(with_phone),
        Change::Bill(bill("3200000001", "202611", "88.80", "0")),
        Change::Account(renamed),
        // The ledger's view of an existing bill: now paid in full centrally.
        Change::Bill(bill("3100000002", "202511", "10000.00", "10000.00")),
    ];
    let done = apply_page(pool, &page(changes, "c4"), "2026-11-23T10:00:00+08:00").await.unwrap();
    assert_eq!(done, Applied::Page { accounts: 2, bills: 2, policy: false, calendar_years: vec![] });
    assert_eq!(cursor(pool).await, "c4", "the cursor is stored with its page");
    // The ledger sends phone numbers masked: the counter keeps them so.
    let (phone,): (Option<String>,) =
        sqlx::query_as("SELECT phone FROM accounts WHERE account_no = '3200000001'").fetch_one(pool).await.unwrap();
    assert_eq!(phone.as_deref(), Some("138****5678"));

    let mut conn = pool.acquire().await.unwrap();
    let no = cashdesk::accounts::AccountNo::parse("3100000002").unwrap();
    let a = accounts_db::by_no(&mut conn, &no).await.unwrap().unwrap();
    assert_eq!(a.id, old_id, "an updated account keeps its local id");
    assert_eq!(a.name, "示范市新华联百货有限公司");
    assert_eq!(a.prepaid_balance, Yuan::parse("3.50").unwrap());
    assert_eq!(a.risk, Some(RiskMark::RepeatedArrears));
    assert!(accounts_db::open_bills(&mut conn, a.id).await.unwrap().is_empty(), "paid centrally: nothing open");

    let hits = accounts_db::search(&mut conn, "新华联百货").await.unwrap();
    assert_eq!(
        hits.iter().map(|h| h.account_no.as_str()).collect::<Vec<_>>(),
        ["3100000002"],
        "FTS finds the new name"
    );
    assert!(accounts_db::search(&mut conn, "华联商贸").await.unwrap().is_empty(), "and no longer the old one");
    let hits = accounts_db::search(&mut conn, "农机修理").await.unwrap();
    assert_eq!(hits.len(), 1, "FTS finds the new account");
    let new = accounts_db::by_no(&mut conn, &cashdesk::accounts::AccountNo::parse("3200000001").unwrap())
        .await
        .unwrap()
        .unwrap();
    let open = accounts_db::open_bills(&mut conn, new.id).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].amount, Yuan::parse("88.80").unwrap());
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts_fts WHERE accounts_fts MATCH '华联商贸'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0, "the FTS index holds no stale row for the old name");
}

#[tokio::test]
async fn policy_and_calendar_are_replaced_and_the_desk_uses_them_after_a_reload() {
    let c = with_accounts("2026-11-23T10:00:00+08:00").await;
    let pool = c.desk.pool();
    let changes = vec![
        Change::Policy(PolicyChange { policy: policy_2permille_min2() }),
        Change::Calendar(CalendarChange { notice: notice_2027() }),
    ];
    let done = apply_page(pool, &page(changes, "c2"), "2026-11-23T10:00:00+08:00").await.unwrap();
    assert_eq!(done, Applied::Page { accounts: 0, bills: 0, policy: true, calendar_years: vec![2027] });
    assert_eq!(c.desk.policy().late_fee.minimum, Yuan::parse("1.00").unwrap(), "not yet reloaded");
    c.desk.reload_policy_and_calendar().await.unwrap();
    assert_eq!(*c.desk.policy(), policy_2permille_min2());
    assert!(c.desk.calendar().has_year(2027));
    assert!(c.desk.calendar().is_working_day(at("2027-01-02T09:00:00+08:00").date_naive()), "调休 Saturday");
}

#[tokio::test]
async fn a_bad_page_changes_nothing() {
    let c = with_accounts("2026-11-23T10:00:00+08:00").await;
    let pool = c.desk.pool();
    apply_page(pool, &page(vec![], "c0"), "2026-11-23T10:00:00+08:00").await.unwrap();
    let before = snapshot(pool).await;

    let mut bad_rate = Policy::default();
    bad_rate.late_fee.residential_daily = rust_decimal::Decimal::new(2, 0);
    let mut bad_meter = account("3200000003", "好名字");
    bad_meter.meter_no = "表号 with spaces".into();
    let mut control = account("3200000004", "名字");
    control.address = "line\nbreak".into();
    let bad_pages = [
        // Valid changes first, then one bad one: none of them may stay.
        vec![
            Change::Account(account("3200000001", "甲")),
            Change::Bill(bill("3200000001", "202611", "10.00", "20.00")),
        ],
        vec![Change::Account(account("3200000001", "甲")), Change::Bill(bill("3299999999", "202611", "10.00", "0"))],
        vec![Change::Account(account("3200000001", "甲")), Change::Policy(PolicyChange { policy: bad_rate })],
        vec![Change::Account(account("3200000001", "甲")), Change::Account(bad_meter)],
        vec![Change::Account(account("3200000001", "甲")), Change::Account(control)],
        vec![Change::Account(account("31-bad", "乙"))],
        vec![Change::Bill(bill("3100000001", "202613", "10.00", "0"))],
        vec![Change::Calendar(CalendarChange {
            notice: YearCalendar {
                year: 2027,
                days_off: vec![NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()],
                working_weekends: vec![],
            },
        })],
    ];
    for (i, changes) in bad_pages.into_iter().enumerate() {
        let err = apply_page(pool, &page(changes, "c99"), "2026-11-23T10:00:00+08:00").await.unwrap_err();
        assert_eq!(err.code(), "SYNC_BAD_REPLY", "page {i}: {err}");
        assert_eq!(snapshot(pool).await, before, "page {i} changed something");
    }
    let err = apply_page(pool, &page(vec![], "bad\ncursor"), "2026-11-23T10:00:00+08:00").await.unwrap_err();
    assert_eq!(err.code(), "SYNC_BAD_REPLY");
    assert_eq!(snapshot(pool).await, before);
}

#[tokio::test]
async fn a_page_waits_while_events_are_not_pushed() {
    let c = with_accounts("2026-11-23T10:00:00+08:00").await;
    let pool = c.desk.pool();
    let before = snapshot(pool).await;
    let mut tx = pool.begin().await.unwrap();
    let event = super::event(&outbox::new_event_id(), "1.00");
    outbox::append(&mut tx, &event, "GY01-03", at("2026-11-23T10:00:00+08:00")).await.unwrap();
    tx.commit().await.unwrap();

    let paid_centrally = vec![
        Change::Account(account("3100000002", "改名")),
        Change::Bill(bill("3100000002", "202511", "10000.00", "10000.00")),
    ];
    let done = apply_page(pool, &page(paid_centrally.clone(), "c2"), "2026-11-23T10:00:00+08:00").await.unwrap();
    assert_eq!(done, Applied::Skipped { waiting: 1 });
    assert_eq!(snapshot(pool).await, before, "nothing applied, cursor not moved");

    sqlx::query("UPDATE outbox SET pushed_at = '2026-11-23T10:01:00+08:00'").execute(pool).await.unwrap();
    let done = apply_page(pool, &page(paid_centrally, "c2"), "2026-11-23T10:02:00+08:00").await.unwrap();
    assert!(matches!(done, Applied::Page { accounts: 1, bills: 1, .. }), "{done:?}");
}

/// Pulls carry no ID-card numbers: an account's number imported at the counter (sealed) stays as it
/// is when the ledger's view of the account arrives, and a number an older ledger still sends is
/// neither read nor stored.
#[tokio::test]
async fn a_pull_never_brings_an_id_number_and_keeps_the_counters_own() {
    let c = with_accounts("2026-11-23T10:00:00+08:00").await;
    let pool = c.desk.pool();
    let key = c.desk.data_key().await.unwrap();
    let id_of = |no: &'static str| async move {
        let (stored,): (Option<String>,) = sqlx::query_as("SELECT id_number FROM accounts WHERE account_no = ?")
            .bind(no)
            .fetch_one(pool)
            .await
            .unwrap();
        stored
    };
    let imported = id_of("3100000001").await.expect("the test import has an ID number for 3100000001");
    let mut older = serde_json::to_value(Change::Account(account("3200000001", "城南农机修理部"))).unwrap();
    older["id_number"] = "11010519491231002X".into();
    let mut known = serde_json::to_value(Change::Account(account("3100000001", "张建国"))).unwrap();
    known["id_number"] = serde_json::Value::Null;
    let page: PullResponse =
        serde_json::from_value(serde_json::json!({"changes": [older, known], "cursor": "c1", "more": false})).unwrap();
    let done = apply_page(pool, &page, "2026-11-23T10:00:00+08:00").await.unwrap();
    assert!(matches!(done, Applied::Page { accounts: 2, .. }), "{done:?}");
    assert_eq!(id_of("3200000001").await, None, "an older ledger's number is not kept");
    let kept = id_of("3100000001").await;
    assert_eq!(kept.as_deref(), Some(imported.as_str()), "the counter's own import stays");
    assert_eq!(key.open(accounts_db::ID_NUMBER_COLUMN, &imported).unwrap(), "11010519491231002X");
}
