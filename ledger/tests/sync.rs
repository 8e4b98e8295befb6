//! Counters syncing with a real ledger through the core's sync engine: the first pull, and 1,000
//! random money events from two counters through a fault-injecting proxy with a ledger restart in
//! the middle — after which the ledger and the counters agree to the fen.
//!
//! The token store here is the in-memory one: the OS keyring is not what these tests are about (it
//! has its own test in the core, against a real keyring).

#![allow(clippy::unwrap_used)]

mod support;

use std::{collections::BTreeMap, sync::Arc};

use cashdesk::{
    audit::AgainstLedger,
    desk::{SearchRequest, audit::LedgerAudit, shift::DepositRequest, void::VoidRequest},
    money::Yuan,
    payments::{CollectRequest, Method, VendRequest},
    sync::{
        client::LedgerUrl,
        engine::Engine,
        token::MemoryStore,
        wire::{AuditHead, AuditMark, PushRequest, PushResponse},
    },
    users::approval::ApprovalInput,
};
use cashdesk_ledger::{db, import, reports, terminals};
use rand::{Rng, SeedableRng, rngs::StdRng};
use support::{
    ledger::{Counter, Ledger, cash, counter},
    proxy::Proxy,
};

fn engine(c: &Counter) -> Engine {
    Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(MemoryStore::new()), c.desk.data_keys())
        .with_clock(c.clock.clone())
}

async fn enrol(ledger: &Ledger, e: &Engine, url: &str) {
    let code = terminals::enrol(&ledger.pool, e.terminal().as_str(), None).await.unwrap();
    e.enrol(&LedgerUrl::parse(url).unwrap(), &code).await.unwrap();
}

/// Per account at a counter: bills (period, paid, fee received, waived, owed, fee from) and prepaid.
async fn counter_accounts(c: &Counter) -> BTreeMap<String, (Vec<String>, String)> {
    let bills: Vec<(String, i64, i64, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT a.account_no, b.period, b.paid_fen, b.late_fee_received_fen, b.late_fee_waived_fen, b.late_fee_owed_fen,
                b.late_fee_from FROM bills b JOIN accounts a ON a.id = b.account_id ORDER BY a.account_no, b.period",
    )
    .fetch_all(c.desk.pool())
    .await
    .unwrap();
    let accounts: Vec<(String, i64)> =
        sqlx::query_as("SELECT account_no, prepaid_balance_fen FROM accounts").fetch_all(c.desk.pool()).await.unwrap();
    let y = |f: i64| Yuan::from_fen(f).to_string();
    let mut out: BTreeMap<String, (Vec<String>, String)> =
        accounts.into_iter().map(|(no, p)| (no, (Vec::new(), y(p)))).collect();
    for (no, period, paid, fee, waived, owed, from) in bills {
        if let Some(a) = out.get_mut(&no) {
            a.0.push(format!("{period} {} {} {} {} {from}", y(paid), y(fee), y(waived), y(owed)));
        }
    }
    out
}

async fn ledger_account(l: &Ledger, no: &str) -> (Vec<String>, String) {
    let v = reports::account(&l.pool, no).await.unwrap().unwrap();
    let bills = v
        .bills
        .iter()
        .map(|b| {
            format!(
                "{} {} {} {} {} {}",
                b.period, b.paid, b.late_fee_received, b.late_fee_waived, b.late_fee_owed, b.late_fee_from
            )
        })
        .collect();
    (bills, v.prepaid_balance.to_string())
}

/// The money an event moves, as the ledger totals it: a shift's float (open) or counted cash (close),
/// every other kind's `amount`. Written out here, apart from the ledger's code, as the oracle.
fn event_amount(kind: &str, payload: &serde_json::Value) -> Yuan {
    let field = match kind {
        "shift.open" => "float",
        "shift.close" => "counted",
        _ => "amount",
    };
    Yuan::parse(payload[field].as_str().unwrap()).unwrap()
}

/// Count and sum by kind of a counter's outbox, read from the payloads as the ledger reads them.
async fn outbox_totals(c: &Counter) -> BTreeMap<String, (i64, String)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, payload FROM outbox").fetch_all(c.desk.pool()).await.unwrap();
    let mut sums: BTreeMap<String, (i64, Yuan)> = BTreeMap::new();
    for (kind, payload) in rows {
        let json: serde_json::Value = serde_json::from_str(&payload).unwrap();
        let e = sums.entry(kind.clone()).or_insert((0, Yuan::ZERO));
        e.0 += 1;
        e.1 += event_amount(&kind, &json);
    }
    sums.into_iter().map(|(k, (n, s))| (k, (n, s.to_string()))).collect()
}

async fn ledger_totals(l: &Ledger, terminal: &str) -> BTreeMap<String, (i64, String)> {
    reports::totals(&l.pool, terminal)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, (t.count, t.sum.to_string())))
        .collect()
}

#[tokio::test]
async fn a_new_counter_pulls_accounts_bills_and_policy_then_its_payment_reaches_the_ledger() {
    let mut ledger = Ledger::start().await;
    let c = counter("GY01-07", "2026-01-10T10:00:00+08:00", false).await;
    let e = engine(&c).with_pull_limit(3);
    enrol(&ledger, &e, &ledger.url).await;
    support::ledger::settled(&ledger.pool).await;
    let report = e.sync_once().await.unwrap();
    assert!(report.pages >= 3, "small pages: {report:?}");
    assert_eq!((report.accounts, report.bills), (4, 5), "{report:?}");
    let hits =
        c.desk.search_accounts(SearchRequest { token: c.cashier.clone(), query: "华联商贸".into() }).await.unwrap();
    assert_eq!(hits.len(), 1, "pulled accounts are searchable");
    // Pay at the counter; the next round pushes it, and the ledger's account equals the counter's.
    c.desk
        .collect(CollectRequest {
            token: c.cashier.clone(),
            account_no: "3100000001".into(),
            method: Method::Cash,
            amount: "400.00".into(),
            tendered: Some("500.00".into()),
            confirm_large: false,
            voucher: None,
            waive_late_fee: None,
            approval: None,
        })
        .await
        .unwrap();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied, 1, "the payment (the shift.open went in the first round): {report:?}");
    let mine = counter_accounts(&c).await;
    assert_eq!(ledger_account(&ledger, "3100000001").await, mine["3100000001"]);
    // A change at the centre (a new bill) comes down on the next round.
    import::bills(
        &ledger.pool,
        b"account_no,period,kwh,amount,due_date,paid\n3100000001,202601,100,55.00,2026-02-20,0\n",
    )
    .await
    .unwrap();
    support::ledger::settled(&ledger.pool).await;
    let report = e.sync_once().await.unwrap();
    // The new bill, and the payment's own bill changes when the last round's pull was held back.
    assert!(report.bills >= 1, "{report:?}");
    let (new_bill,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.account_no = '3100000001' AND b.period = 202601",
    )
    .fetch_one(c.desk.pool())
    .await
    .unwrap();
    assert_eq!(new_bill, 1, "the new bill is at the counter");
    // The province changes policy and publishes 2027's holidays: the counter uses them after a round.
    let mut policy = cashdesk_ledger::policy::get(&ledger.pool).await.unwrap();
    policy.holiday_cash.limit_per_transaction = Yuan::parse("3000.00").unwrap();
    cashdesk_ledger::policy::set(&ledger.pool, &policy.to_json()).await.unwrap();
    let year = cashdesk_ledger::policy::load_calendar(
        &ledger.pool,
        r#"{"year": 2027, "days_off": ["2027-01-01"], "working_weekends": []}"#,
    )
    .await
    .unwrap();
    assert_eq!(year, 2027);
    assert!(cashdesk_ledger::policy::set(&ledger.pool, "{\"late_fee\": 1}").await.is_err());
    support::ledger::settled(&ledger.pool).await;
    let report = e.sync_once().await.unwrap();
    assert!(report.policy_changed && report.calendar_years == vec![2027], "{report:?}");
    c.desk.reload_policy_and_calendar().await.unwrap();
    assert_eq!(c.desk.policy().holiday_cash.limit_per_transaction.to_string(), "3000.00");
    assert!(c.desk.calendar().has_year(2027));
    ledger.stop().await;
}

const ACCOUNTS: usize = 40;

fn account_no(i: usize) -> String {
    format!("32000000{:02}", i + 1)
}

/// 40 accounts: every fourth a residential prepaid one, the others postpaid with two bills in arrears.
fn province_csv() -> (String, String) {
    let mut accounts = String::from(
        "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance\n",
    );
    let mut bills = String::from("account_no,period,kwh,amount,due_date,paid\n");
    for i in 0..ACCOUNTS {
        let no = account_no(i);
        let (category, mode) = match i % 4 {
            0 => ("residential", "prepaid"),
            1 => ("residential", "postpaid"),
            2 => ("commercial", "postpaid"),
            _ => ("agricultural", "postpaid"),
        };
        accounts.push_str(&format!("{no},用户{i},示范路{i}号,{category},{mode},M{no},1,,,0\n"));
        if mode == "postpaid" {
            bills.push_str(&format!("{no},202511,300,{}.37,2025-12-15,0\n", 150 + i * 7));
            bills.push_str(&format!("{no},202512,320,{}.81,2026-01-15,0\n", 160 + i * 5));
        }
    }
    (accounts, bills)
}

struct Desk<'a> {
    c: &'a Counter,
    mine: Vec<usize>,
    last_payment: Option<String>,
    slips: u32,
}

async fn random_event(d: &mut Desk<'_>, rng: &mut StdRng) {
    let c = d.c;
    let i = d.mine[rng.gen_range(0..d.mine.len())];
    let no = account_no(i);
    let roll = rng.gen_range(0..100);
    let amount = format!("{}.{:02}", rng.gen_range(1..400), rng.gen_range(0..100));
    if roll < 8
        && let Some(receipt) = d.last_payment.take()
    {
        let _ = c
            .desk
            .void_payment(VoidRequest {
                token: c.cashier.clone(),
                receipt_no: receipt,
                reason: "收错金额".into(),
                approval: Some(ApprovalInput { username: "super1".into(), password: "Counter#2026".into() }),
            })
            .await;
        return;
    }

    if roll < 14 {
        d.slips += 1;
        c.desk
            .deposit(DepositRequest {
                token: c.cashier.clone(),
                amount: "1.00".into(),
                bank: "工行".into(),
                slip_no: format!("{}-{}", c.desk.terminal(), d.slips),
            })
            .await
            .unwrap();
        return;
    }
    if i.is_multiple_of(4) {
        c.desk
            .vend(VendRequest {
                token: c.cashier.clone(),
                account_no: no,
                method: Method::Cash,
                amount: amount.clone(),
                tendered: Some(amount),
                confirm_large: false,
                voucher: None,
                approval: None,
            })
            .await
            .unwrap();
        d.last_payment = None;
    } else {
        let done = c.desk.collect(cash(&c.cashier, &no, &amount)).await.unwrap();
        d.last_payment = Some(done.receipt_no);
    }
}

async fn total_events(counters: &[&Counter]) -> i64 {
    let mut n = 0;
    for c in counters {
        let (k,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox").fetch_one(c.desk.pool()).await.unwrap();
        n += k;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_events_through_drops_delays_resets_duplicates_and_a_restart_arrive_exactly_once() {
    let seed: u64 = std::env::var("CASHDESK_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261123);
    eprintln!("fault seed {seed} (set CASHDESK_FAULT_SEED to replay)");
    let db_url = support::pg::fresh_database_url().await;
    let pool = db::connect(&db_url, 10).await.unwrap();
    db::migrate(&pool).await.unwrap();
    let (accounts, bills) = province_csv();
    let key = support::ledger::key_for(&db_url);
    import::accounts(&pool, &key, accounts.as_bytes(), Some(&support::ledger::area("GY02"))).await.unwrap();
    import::bills(&pool, bills.as_bytes()).await.unwrap();
    let mut ledger = Ledger::serve(db_url.clone(), pool.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let proxy = Proxy::start(ledger.addr, seed).await;

    let a = counter("GY02-01", "2026-01-20T08:30:00+08:00", false).await;
    let b = counter("GY02-02", "2026-01-20T08:30:00+08:00", false).await;
    let (ea, eb) = (engine(&a), engine(&b));
    enrol(&ledger, &ea, &proxy.url()).await;
    enrol(&ledger, &eb, &proxy.url()).await;
    ea.sync_once().await.unwrap();
    eb.sync_once().await.unwrap();

    proxy.faults(true);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut desks = [
        Desk { c: &a, mine: (0..ACCOUNTS).filter(|i| i.is_multiple_of(2)).collect(), last_payment: None, slips: 0 },
        Desk { c: &b, mine: (0..ACCOUNTS).filter(|i| i % 2 == 1).collect(), last_payment: None, slips: 0 },
    ];
    let mut restarted = false;
    let (mut rounds, mut failed) = (0, 0);
    while total_events(&[&a, &b]).await < 1000 {
        let which = rng.gen_range(0..2);
        let e = if which == 0 { &ea } else { &eb };
        if rng.gen_range(0..100) < 8 {
            rounds += 1;
            if e.sync_once().await.is_err() {
                failed += 1;
            }
        } else {
            random_event(&mut desks[which], &mut rng).await;
        }
        for c in [&a, &b] {
            c.clock.set(c.clock.now() + chrono::Duration::seconds(20));
        }
        if !restarted && total_events(&[&a, &b]).await >= 500 {
            // Restart the ledger while a round is in flight.
            restarted = true;
            let e = ea.clone();
            let in_flight = tokio::spawn(async move { e.sync_once().await });
            tokio::task::yield_now().await;
            ledger.stop().await;
            let _ = in_flight.await;
            ledger = Ledger::serve(db_url.clone(), pool.clone(), "127.0.0.1:0".parse().unwrap()).await;
            proxy.retarget(ledger.addr);
        }
    }
    let counts = &proxy.counts;
    eprintln!(
        "rounds {rounds} ({failed} failed); connections: passed {:?} dropped {:?} delayed {:?} reset {:?} lost response {:?} duplicated {:?}",
        counts.passed, counts.dropped, counts.delayed, counts.reset, counts.lost_response, counts.duplicated
    );
    assert!(restarted);

    // The network heals: sync until nothing waits.
    proxy.faults(false);
    for _ in 0..20 {
        let (ra, rb) = (ea.sync_once().await, eb.sync_once().await);
        if ra.is_ok() && rb.is_ok() && cashdesk_waiting(&a).await == 0 && cashdesk_waiting(&b).await == 0 {
            break;
        }
    }
    assert_eq!((cashdesk_waiting(&a).await, cashdesk_waiting(&b).await), (0, 0));

    // Exactly once: as many events at the centre as made at the counters, no conflicts, equal totals.
    let made = total_events(&[&a, &b]).await;
    assert!(made >= 1000);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events").await, made);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM conflicts").await, 0);
    assert_eq!(ledger_totals(&ledger, "GY02-01").await, outbox_totals(&a).await);
    assert_eq!(ledger_totals(&ledger, "GY02-02").await, outbox_totals(&b).await);
    // Per account, to the fen: each counter's own accounts equal the ledger's.
    let (mine_a, mine_b) = (counter_accounts(&a).await, counter_accounts(&b).await);
    for i in 0..ACCOUNTS {
        let no = account_no(i);
        let at_counter = if i.is_multiple_of(2) { &mine_a[&no] } else { &mine_b[&no] };
        assert_eq!(&ledger_account(&ledger, &no).await, at_counter, "account {no}");
    }
    ledger.stop().await;
}

async fn cashdesk_waiting(c: &Counter) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL").fetch_one(c.desk.pool()).await.unwrap();
    n
}

#[tokio::test]
async fn after_the_ledger_is_restored_from_a_backup_a_resend_brings_back_exactly_what_it_lost() {
    let mut ledger = Ledger::start().await;
    let c = counter("GY01-08", "2026-01-10T10:00:00+08:00", true).await;
    let e = engine(&c);
    enrol(&ledger, &e, &ledger.url).await;
    let pay = |amount: &'static str| c.desk.collect(cash(&c.cashier, "3100000004", amount));
    pay("1000.00").await.unwrap();
    e.sync_once().await.unwrap();
    // The nightly backup, a minute later: a copy of the ledger's database as it is now.
    c.clock.set(c.clock.now() + chrono::Duration::minutes(1));
    let backup_at = c.clock.now();
    let (addr, db_url) = (ledger.addr, ledger.db_url.clone());
    ledger.stop().await;
    ledger.pool.close().await;
    let backup = format!("cd_backup_{}", std::process::id());
    let base = support::pg::cluster_url();
    let db_name = db_url.rsplit('/').next().unwrap().to_string();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{backup}\" TEMPLATE \"{db_name}\"")))
        .execute(&mut admin)
        .await
        .unwrap();
    let pool = db::connect(&db_url, 5).await.unwrap();
    ledger = Ledger::serve(db_url, pool, addr).await;
    // Work goes on after the backup and reaches the ledger.
    c.clock.set(c.clock.now() + chrono::Duration::minutes(30));
    pay("2000.00").await.unwrap();
    e.sync_once().await.unwrap();
    let before_disaster = ledger_totals(&ledger, "GY01-08").await;
    assert_eq!(before_disaster, outbox_totals(&c).await);
    // The ledger's disk dies; it is restored from the backup, on the same address.
    ledger.stop().await;
    let restored_url = support::pg::with_database(&base, &backup);
    let pool = db::connect(&restored_url, 5).await.unwrap();
    ledger = Ledger::serve(restored_url, pool, addr).await;
    e.sync_once().await.unwrap();
    assert_ne!(ledger_totals(&ledger, "GY01-08").await, before_disaster, "the restored ledger lost the second payment");
    // An administrator resends everything acknowledged since the backup.
    let admin_token = c
        .desk
        .login(cashdesk::desk::LoginRequest { username: "admin".into(), password: "Counter#2026".into() })
        .await
        .unwrap()
        .token;
    assert!(c.desk.sync_resend(&c.cashier, &backup_at.to_rfc3339()).await.is_err(), "administrators only");
    let again = c.desk.sync_resend(&admin_token, &backup_at.to_rfc3339()).await.unwrap();
    assert_eq!(again, 1, "the payment acknowledged after the backup");
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.applied, report.duplicate), (1, 0), "{report:?}");
    assert_eq!(ledger_totals(&ledger, "GY01-08").await, before_disaster);
    let mine = counter_accounts(&c).await;
    assert_eq!(ledger_account(&ledger, "3100000004").await, mine["3100000004"]);
    ledger.stop().await;
}

/// `cashdesk-ledger import demo` gives the ledger the demo province with ID numbers sealed with the
/// ledger's key (valid numbers once opened), in the demo terminal's area; a counter enrolled in that
/// area pulls all of it, with no ID number and every phone number masked.
#[tokio::test]
async fn a_new_counter_pulls_the_whole_demo_province() {
    let db_url = support::pg::fresh_database_url().await;
    let pool = cashdesk_ledger::db::connect(&db_url, 10).await.unwrap();
    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    let key = support::ledger::key_for(&db_url);
    let (accounts, _bills) = cashdesk_ledger::demo::seed(&pool, &key).await.unwrap();
    let numbers: Vec<(String,)> =
        sqlx::query_as("SELECT id_number_sealed FROM accounts WHERE id_number_sealed IS NOT NULL")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!numbers.is_empty());
    for (n,) in &numbers {
        let plain = key.open(cashdesk_ledger::datakey::ID_NUMBER, n).unwrap();
        assert!(cashdesk::accounts::import::parse_id_number(&plain).unwrap().is_some(), "{plain} is not an ID number");
    }
    let (clear,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE id_number IS NOT NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(clear, 0, "no ID number in clear");
    let mut ledger = Ledger::serve(db_url, pool, "127.0.0.1:0".parse().unwrap()).await;
    let c = counter("GY01-09", "2026-01-10T10:00:00+08:00", false).await;
    let e = engine(&c);
    let code = terminals::enrol(&ledger.pool, "GY01-09", Some("DEMO")).await.unwrap();
    e.enrol(&LedgerUrl::parse(&ledger.url).unwrap(), &code).await.unwrap();
    support::ledger::settled(&ledger.pool).await;
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.accounts as usize, accounts, "enrolled in the demo's area: {report:?}");
    let (ids,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE id_number IS NOT NULL")
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    assert_eq!(ids, 0, "a pull carries no ID numbers");
    let phones: Vec<(String,)> =
        sqlx::query_as("SELECT phone FROM accounts WHERE phone IS NOT NULL").fetch_all(c.desk.pool()).await.unwrap();
    assert!(!phones.is_empty());
    assert!(phones.iter().all(|(p,)| p.contains("****")), "every phone masked: {phones:?}");
    ledger.stop().await;
}

/// Push only an audit chain head (no events) as a terminal; the head the ledger answers it holds.
async fn push_head(l: &Ledger, token: &str, head: (i64, char), at_last: Option<(i64, char)>) -> AuditMark {
    let mark = |(seq, c): (i64, char)| AuditMark { seq, hash: c.to_string().repeat(64) };
    let req = PushRequest { events: vec![], audit: Some(AuditHead { head: mark(head), at_last: at_last.map(mark) }) };
    let r = support::ledger::http()
        .post(format!("{}/v1/events", l.url))
        .bearer_auth(token)
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the push is never refused for its head");
    let reply: PushResponse = r.json().await.unwrap();
    assert!(reply.results.is_empty());
    reply.audit_seen.unwrap()
}

async fn head_flags(l: &Ledger, terminal: &str) -> Vec<String> {
    reports::conflicts(&l.pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.terminal == terminal && c.kind.starts_with("audit_head"))
        .map(|c| {
            assert_eq!(c.event_id, None);
            c.kind
        })
        .collect()
}

#[tokio::test]
async fn the_ledger_keeps_each_terminals_audit_head_and_flags_one_that_goes_back_or_does_not_extend_it() {
    let ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-21").await;
    // The first head, then heads that extend it: accepted, no flag.
    assert_eq!(push_head(&ledger, &token, (5, 'a'), None).await.seq, 5);
    assert_eq!(push_head(&ledger, &token, (9, 'b'), Some((5, 'a'))).await.seq, 9);
    assert_eq!(push_head(&ledger, &token, (9, 'b'), Some((9, 'b'))).await.seq, 9, "unchanged");
    // A counter that lost the last reply proves the head before: kept, the reply names the last.
    assert_eq!(push_head(&ledger, &token, (12, 'c'), Some((5, 'a'))).await.seq, 9);
    assert_eq!(push_head(&ledger, &token, (12, 'c'), Some((9, 'b'))).await.seq, 12);
    assert_eq!(head_flags(&ledger, "GY01-21").await, Vec::<String>::new());
    // Backwards: stored and flagged.
    assert_eq!(push_head(&ledger, &token, (10, 'd'), Some((10, 'd'))).await.seq, 10);
    assert_eq!(head_flags(&ledger, "GY01-21").await, ["audit_head_backwards"]);
    // Not extending: the counter's entry at the seq the ledger saw has another hash.
    assert_eq!(push_head(&ledger, &token, (15, 'e'), Some((10, 'f'))).await.seq, 15);
    // No entry at the seq the ledger saw.
    assert_eq!(push_head(&ledger, &token, (20, 'a'), None).await.seq, 20);
    assert_eq!(
        head_flags(&ledger, "GY01-21").await,
        ["audit_head_backwards", "audit_head_diverged", "audit_head_unanchored"]
    );
    // Another terminal's heads are its own; a malformed head is a bad request.
    let other = ledger.token_for("GY01-22").await;
    assert_eq!(push_head(&ledger, &other, (1, 'a'), None).await.seq, 1);
    let (status, _) = {
        let bad = serde_json::json!({"events": [], "audit": {"head": {"seq": 3, "hash": "XYZ"}}});
        let r = support::ledger::http()
            .post(format!("{}/v1/events", ledger.url))
            .bearer_auth(&other)
            .json(&bad)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 400);
    assert_eq!(head_flags(&ledger, "GY01-22").await, Vec::<String>::new());
    let mut ledger = ledger;
    ledger.stop().await;
}

/// Remove the last `n` audit entries of a counter's file directly (its triggers dropped first), as
/// someone with the file would.
async fn cut_audit_tail(c: &Counter, n: i64) {
    let pool = cashdesk::store::open(&c.dir.path().join("cashdesk.sqlite")).await.unwrap();
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

#[rstest::rstest]
#[case::cut_off(false, "audit_head_backwards")]
#[case::cut_off_and_written_over(true, "audit_head_diverged")]
#[tokio::test]
async fn the_last_audit_entries_deleted_at_a_counter_are_flagged_at_its_next_sync(
    #[case] write_over: bool,
    #[case] flag: &str,
) {
    let terminal = if write_over { "GY01-24" } else { "GY01-23" };
    let mut ledger = Ledger::start().await;
    let c = counter(terminal, "2026-01-10T10:00:00+08:00", true).await;
    let e = engine(&c);
    enrol(&ledger, &e, &ledger.url).await;
    c.desk.collect(cash(&c.cashier, "3100000004", "100.00")).await.unwrap();
    e.sync_once().await.unwrap();
    // A round that extends the head the ledger saw: no flag.
    c.desk.collect(cash(&c.cashier, "3100000004", "50.00")).await.unwrap();
    e.sync_once().await.unwrap();
    assert_eq!(head_flags(&ledger, terminal).await, Vec::<String>::new());
    cut_audit_tail(&c, 3).await;
    if write_over {
        for _ in 0..4 {
            let _ =
                c.desk.login(cashdesk::desk::LoginRequest { username: "admin".into(), password: "wrong".into() }).await;
        }
    }
    // The round itself goes through: the head is flagged, not refused.
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.flagged, 0, "{report:?}");
    assert_eq!(head_flags(&ledger, terminal).await, [flag]);
    ledger.stop().await;
}

/// DOMAIN (issue 17): `cashdeskctl audit verify` compares the counter's chain with the head the
/// ledger holds (`GET /v1/audit-head`): the ledger's head found in the chain is said so; once the
/// end of the trail is cut off after it was sent, the verification fails naming the entry, and
/// administrators are told at log-in (here the log-in's own check finds its checkpoint gone too). A terminal's token is needed to ask.
#[tokio::test]
async fn audit_verify_compares_the_chain_with_the_head_the_ledger_holds() {
    let terminal = "GY01-25";
    let mut ledger = Ledger::start().await;
    let c = counter(terminal, "2026-01-10T10:00:00+08:00", true).await;
    let desk = c.desk.clone().with_token_store(Arc::new(MemoryStore::new()));
    let e = desk.sync_engine().with_clock(c.clock.clone());
    let admin = |d: &cashdesk::desk::Desk| {
        let d = d.clone();
        async move {
            d.login(cashdesk::desk::LoginRequest { username: "admin".into(), password: "Counter#2026".into() })
                .await
                .unwrap()
                .token
        }
    };
    // Not enrolled yet: the walk alone.
    let v = desk.audit_verify(&admin(&desk).await).await.unwrap();
    assert!(matches!(v.ledger, LedgerAudit::NotEnrolled), "{v:?}");
    enrol(&ledger, &e, &ledger.url).await;
    let v = desk.audit_verify(&admin(&desk).await).await.unwrap();
    assert!(matches!(v.ledger, LedgerAudit::Compared(AgainstLedger::NoneYet)), "{v:?}");
    desk.collect(cash(&c.cashier, "3100000004", "100.00")).await.unwrap();
    e.sync_once().await.unwrap();
    let held = e.ledger_audit_head().await.unwrap().unwrap();
    let v = desk.audit_verify(&admin(&desk).await).await.unwrap();
    assert!(
        matches!(v.ledger, LedgerAudit::Compared(AgainstLedger::Matches { seq, local_head }) if seq == held.seq && local_head > seq),
        "{v:?}"
    );
    // Without a token the ledger says nothing.
    let r = support::ledger::http().get(format!("{}/v1/audit-head", ledger.url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The end of the trail, the ledger's head among it, cut off at the counter.
    let (newest,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM audit_log").fetch_one(desk.pool()).await.unwrap();
    cut_audit_tail(&c, newest - held.seq + 1).await;
    let e2 = desk.audit_verify(&admin(&desk).await).await.unwrap_err();
    assert!(e2.to_string().contains(&format!("differs from the ledger at entry {}", held.seq)), "{e2}");
    let r = desk
        .login(cashdesk::desk::LoginRequest { username: "admin".into(), password: "Counter#2026".into() })
        .await
        .unwrap();
    assert!(r.notices.iter().any(|n| n.code == "AUDIT_BROKEN"), "{:?}", r.notices);
    ledger.stop().await;
}
