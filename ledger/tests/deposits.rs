//! Deposits in transit (在途) at the centre, on a real ledger on PostgreSQL: pushed as a counter
//! pushes them, listed and confirmed through the finance API, matched from a bank statement (the
//! library and the command line), and sent back down in pulls; and the whole path with real
//! counters (the core's `Desk` on SQLite files) that deposit, sync and see the confirmation.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use cashdesk::{
    desk::shift::{DepositListRequest, DepositRequest},
    money::Yuan,
    sync::{
        client::LedgerUrl,
        engine::Engine,
        finance::FinanceRole,
        token::MemoryStore,
        wire::{self, Change, Event, Outcome, PullResponse, WireDeposit},
    },
};
use cashdesk_ledger::{
    audit::{self, Channel},
    deposits::{self, DepositQuery, DepositState, LineOutcome, MatchReport},
    pull,
    sessions::{self, Reviewer},
    terminals,
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{Value, json};
use support::{
    ledger::{Counter, Ledger, counter, push, settled},
    refunds::{PW, add_users, call, login, pushed},
};
use uuid::Uuid;

const T1: &str = "GY01-01";
const T2: &str = "GY01-02";
const T3: &str = "GY02-01";
/// The counters' time of the deposits: a Tuesday afternoon.
const AT: &str = "2026-12-01T17:30:00+08:00";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-03T09:00:00+08:00").unwrap()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// A deposit as a counter records it.
fn deposit(slip: &str, amount: &str, bank: &str) -> wire::Deposit {
    let amount = Yuan::parse(amount).unwrap();
    wire::Deposit {
        amount,
        at: AT.into(),
        bank: bank.into(),
        cashier: "cashier1".into(),
        event_id: Uuid::now_v7().to_string(),
        from_drawer: Some(amount),
        holiday_cash_covered: Some(Yuan::ZERO),
        shift: 1,
        slip_no: slip.into(),
    }
}

/// Push deposits from `terminal` (seq from `seq`); their ids.
async fn push_deposits(l: &Ledger, token: &str, terminal: &str, seq: i64, ds: &[wire::Deposit]) -> Vec<String> {
    let events: Vec<_> = (seq..).zip(ds).map(|(s, d)| pushed(terminal, s, &Event::Deposit(d.clone()), None)).collect();
    let r = push(&l.url, token, &events).await;
    assert!(r.results.iter().all(|r| r.outcome == Outcome::Applied), "{r:?}");
    ds.iter().map(|d| d.event_id.clone()).collect()
}

async fn confirm(l: &Ledger, session: &str, id: &str, body: Value) -> (u16, Value) {
    call("POST", &format!("{}/v1/finance/deposits/{id}/confirm", l.url), Some(session), Some(body)).await
}

async fn list(l: &Ledger, session: &str, query: &str) -> (u16, Value) {
    call("GET", &format!("{}/v1/finance/deposits?{query}", l.url), Some(session), None).await
}

/// A ledger user, logged in through the same functions as the finance API.
async fn reviewer(l: &Ledger, name: &str) -> Reviewer {
    let s = sessions::login(&l.pool, name, PW, now(), Channel::Cli).await.unwrap();
    sessions::authenticate(&l.pool, &s.token, now()).await.unwrap()
}

/// Every change a terminal pulls from `cursor` until nothing waits, and the cursor then.
async fn pull_all(l: &Ledger, terminal: &str, cursor: &str) -> (Vec<Change>, String) {
    let (mut cursor, mut all) = (cursor.to_string(), Vec::new());
    loop {
        let page: PullResponse = pull::changes_for(&l.pool, terminal, &cursor, Some(50)).await.unwrap();
        all.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return (all, cursor);
        }
    }
}

fn deposits_in(changes: &[Change]) -> Vec<WireDeposit> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Deposit(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

async fn state_of(l: &Ledger, id: &str) -> (Option<String>, Option<String>, Option<String>) {
    sqlx::query_as("SELECT confirmed_by, confirmed_via, confirm_ref FROM deposits WHERE event_id = $1::uuid")
        .bind(id)
        .fetch_one(&l.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_finance_user_confirms_a_deposit_once_with_the_banks_reference_and_its_counter_is_told_once() {
    let mut l = Ledger::start().await;
    let (t1, t2) = (l.token_for(T1).await, l.token_for(T2).await);
    add_users(
        &l.pool,
        &[("finance1", FinanceRole::Finance), ("finance2", FinanceRole::Finance), ("audit1", FinanceRole::Auditor)],
    )
    .await;
    let (f1, f2, a) = (login(&l.url, "finance1").await, login(&l.url, "finance2").await, login(&l.url, "audit1").await);
    settled(&l.pool).await;
    let (_, c1) = pull_all(&l, T1, "").await;
    let (_, c2) = pull_all(&l, T2, "").await;

    let first = deposit("JK0001", "300.00", "102");
    let ids = push_deposits(&l, &t1, T1, 1, std::slice::from_ref(&first)).await;
    let id = &ids[0];
    // Resent (a lost answer): the same deposit, not a second one.
    let again = push(&l.url, &t1, &[pushed(T1, 1, &Event::Deposit(first), None)]).await;
    assert_eq!(again.results[0].outcome, Outcome::Duplicate);
    // The same slip number at another bank (another deposit, at another counter).
    push_deposits(&l, &t2, T2, 1, &[deposit("JK0001", "300.00", "105")]).await;
    assert_eq!(l.count("SELECT COUNT(*) FROM deposits").await, 2);

    // In transit, as the counter reported it; an auditor reads it too.
    let (status, body) = list(&l, &a, "state=in_transit&slip_no=JK0001").await;
    assert_eq!(
        (status, body["total"].as_i64(), body["total_amount"].as_str()),
        (200, Some(2), Some("600.00")),
        "{body}"
    );
    let d = body["items"].as_array().unwrap().iter().find(|d| d["event_id"] == *id).unwrap().clone();
    assert_eq!(
        (d["terminal"].as_str(), d["bank"].as_str(), d["bank_name"].as_str(), d["cashier"].as_str()),
        (Some(T1), Some("102"), Some("中国工商银行"), Some("cashier1"))
    );
    assert_eq!(
        (d["state"].as_str(), d["deposited_at"].as_str()),
        (Some("in_transit"), Some("2026-12-01T17:30:00+08:00"))
    );
    assert!(d["confirmed_by"].is_null() && d["reference"].is_null(), "optional fields are null, not omitted: {d}");

    // Refused, and nothing confirmed: an auditor, another amount, no reference, an unknown deposit,
    // a slip number that names two deposits, a credit dated before the deposit.
    let ok = json!({"reference": "ICBC-778899", "amount": "300.00", "credited_on": "2026-12-02"});
    let (status, body) = confirm(&l, &a, id, ok.clone()).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{body}");
    let (status, body) = confirm(&l, &f1, id, json!({"reference": "R", "amount": "299.99"})).await;
    assert_eq!((status, code(&body)), (400, "DEPOSIT_AMOUNT"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("300.00"), "{body}");
    let (status, body) = confirm(&l, &f1, id, json!({"reference": "  ", "amount": "300.00"})).await;
    assert_eq!((status, code(&body)), (400, "DEPOSIT_INPUT"), "{body}");
    let (status, body) =
        confirm(&l, &f1, id, json!({"reference": "R", "amount": "300.00", "credited_on": "2026-11-30"})).await;
    assert_eq!((status, code(&body)), (400, "DEPOSIT_INPUT"), "{body}");
    let (status, body) = confirm(&l, &f1, &Uuid::now_v7().to_string(), ok.clone()).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "{body}");
    let (status, body) = confirm(&l, &f1, "JK0001", ok.clone()).await;
    assert_eq!((status, code(&body)), (400, "DEPOSIT_AMBIGUOUS"), "{body}");
    let (status, body) = confirm(&l, &f1, id, json!({"reference": "R", "amount": "300.00", "extra": 1})).await;
    assert_eq!((status, code(&body)), (400, "BAD_REQUEST"), "{body}");
    assert_eq!(l.count("SELECT COUNT(*) FROM deposits WHERE confirmed_at IS NOT NULL").await, 0);
    assert_eq!(l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await, 0);

    let (status, d) = confirm(&l, &f1, id, ok.clone()).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["state"].as_str(), d["confirmed_by"].as_str(), d["reference"].as_str(), d["credited_on"].as_str()),
        (Some("confirmed"), Some("finance1"), Some("ICBC-778899"), Some("2026-12-02"))
    );
    // Confirmed once: the second finance user is told who did it.
    let (status, body) = confirm(&l, &f2, id, ok.clone()).await;
    assert_eq!((status, code(&body)), (409, "CONFLICT"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("confirmed by finance1"), "{body}");
    let (_, body) = list(&l, &f1, "state=confirmed").await;
    assert_eq!(body["total"].as_i64(), Some(1));

    // The database itself keeps it: a confirmed deposit never changes, no deposit is deleted.
    for sql in [
        "UPDATE deposits SET confirm_ref = 'X' WHERE confirmed_at IS NOT NULL",
        "UPDATE deposits SET amount = 1 WHERE confirmed_at IS NULL",
        "DELETE FROM deposits",
    ] {
        let e = sqlx::query(sql).execute(&l.pool).await.unwrap_err().to_string();
        assert!(e.contains("never changes") || e.contains("cannot be deleted"), "{sql}: {e}");
    }

    // One transaction: the deposit, its change-log entry, the audit entry.
    let (txids,): (i64,) =
        sqlx::query_as("SELECT COUNT(DISTINCT txid) FROM changes WHERE kind = 'd'").fetch_one(&l.pool).await.unwrap();
    assert_eq!(txids, 1);
    let entries = audit::recent(&l.pool, 50).await.unwrap();
    let e = entries.iter().find(|e| e.action == "deposit.confirm").unwrap();
    assert_eq!((e.actor.as_str(), e.subject.as_deref(), e.channel.as_str()), ("finance1", Some("JK0001"), "api"));
    assert!(e.detail.contains("ICBC-778899") && e.detail.contains(id), "{}", e.detail);
    assert!(audit::verify(&l.pool).await.unwrap() > 0);

    // Down to its counter, once; not to another counter, whose cursor moves on all the same.
    settled(&l.pool).await;
    let (down, c1) = pull_all(&l, T1, &c1).await;
    let sent = deposits_in(&down);
    assert_eq!(sent.len(), 1, "{down:?}");
    assert_eq!(
        (sent[0].event_id.as_str(), sent[0].terminal.as_str(), sent[0].slip_no.as_str(), sent[0].amount.to_string()),
        (id.as_str(), T1, "JK0001", "300.00".to_string())
    );
    assert_eq!((sent[0].confirmed_by.as_str(), sent[0].reference.as_deref()), ("finance1", Some("ICBC-778899")));
    assert!(sent[0].confirmed_at.ends_with("+08:00"), "{}", sent[0].confirmed_at);
    assert!(deposits_in(&pull_all(&l, T1, &c1).await.0).is_empty(), "once: nothing after the cursor");
    let (down, c2_after) = pull_all(&l, T2, &c2).await;
    assert!(deposits_in(&down).is_empty(), "{down:?}");
    assert_ne!(c2_after, c2, "the other counter's cursor passed the entry");
    l.stop().await;
}

#[tokio::test]
async fn of_finance_users_confirming_at_once_exactly_one_wins() {
    let mut l = Ledger::start().await;
    let t1 = l.token_for(T1).await;
    let names: Vec<String> = (1..=6).map(|i| format!("finance{i}")).collect();
    let users: Vec<(&str, FinanceRole)> = names.iter().map(|n| (n.as_str(), FinanceRole::Finance)).collect();
    add_users(&l.pool, &users).await;
    let mut sessions = Vec::new();
    for n in &names {
        sessions.push(login(&l.url, n).await);
    }
    let id = push_deposits(&l, &t1, T1, 1, &[deposit("JK0100", "88.80", "105")]).await.remove(0);
    let mut set = tokio::task::JoinSet::new();
    for s in sessions {
        let (url, id) = (l.url.clone(), id.clone());
        set.spawn(async move {
            call(
                "POST",
                &format!("{url}/v1/finance/deposits/{id}/confirm"),
                Some(&s),
                Some(json!({"reference": "CCB-1", "amount": "88.80"})),
            )
            .await
        });
    }
    let mut statuses: Vec<u16> = set.join_all().await.into_iter().map(|(s, _)| s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409]);
    assert_eq!(l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await, 1);
    assert_eq!(
        l.count("SELECT COUNT(*) FROM finance_audit WHERE action = 'deposit.confirm'").await,
        1,
        "one confirmation, one audit entry"
    );
    l.stop().await;
}

/// Deposits of three counters, the statement's lines against them, and the same statement again.
#[tokio::test]
async fn a_statement_confirms_exactly_the_deposits_its_lines_match_and_a_second_import_confirms_nothing() {
    let mut l = Ledger::start().await;
    let (t1, t2, t3) = (l.token_for(T1).await, l.token_for(T2).await, l.token_for(T3).await);
    add_users(&l.pool, &[("finance1", FinanceRole::Finance), ("audit1", FinanceRole::Auditor)]).await;
    let f = reviewer(&l, "finance1").await;
    let a1 = push_deposits(
        &l,
        &t1,
        T1,
        1,
        &[
            deposit("JK1001", "1000.00", "102"),
            deposit("JK1002", "250.50", "102"),
            deposit("JK1003", "77.00", "102"),
            deposit("JK1004", "60.00", "102"),
        ],
    )
    .await;
    // The same slip number and amount at another counter, at another bank; and a deposit confirmed
    // by hand before the statement came.
    let a2 =
        push_deposits(&l, &t2, T2, 1, &[deposit("JK1005", "500.00", "102"), deposit("JK1006", "12.00", "102")]).await;
    let a3 = push_deposits(&l, &t3, T3, 1, &[deposit("JK1005", "500.00", "105")]).await;
    let by_hand = deposits::DepositConfirm { reference: "ICBC-9".into(), amount: "12.00".into(), credited_on: None };
    deposits::confirm(&l.pool, &f, &a2[1], &by_hand, now(), Channel::Cli).await.unwrap();

    let statement = "date,amount,slip_no,reference,memo\n\
        2026-12-02,1000.00,JK1001,ICBC-1,现金解款\n\
        2026-12-02,250.00,JK1002,ICBC-2,\n\
        20261202,77.00,,ICBC-3,解款 JK1003 城关营业厅\n\
        2026-12-02,500.00,JK1005,ICBC-5,\n\
        2026-12-02,12.00,JK1006,ICBC-6,\n\
        2026-12-02,33.00,JK9999,ICBC-7,\n\
        2026-12-02,1000.00,JK1001,ICBC-1,现金解款\n";
    let outcomes = |r: &MatchReport| r.items.iter().map(|i| (i.line, i.outcome)).collect::<Vec<_>>();

    // Malformed: nothing is confirmed, every problem is named by its line.
    let bad = format!("{statement}2026-12-02,1.5.0,JK1004,ICBC-8,\n2026-12-40,60.00,JK1004,,\n");
    let e = deposits::match_statement(&l.pool, &f, bad.as_bytes(), None, now(), Channel::Cli).await.unwrap_err();
    assert_eq!(e.code(), "STATEMENT_INVALID");
    let message = e.to_string();
    assert!(message.contains("line 9, column amount") && message.contains("line 10, column date"), "{message}");
    assert_eq!(
        l.count("SELECT COUNT(*) FROM deposits WHERE confirmed_at IS NOT NULL").await,
        1,
        "only the one by hand"
    );
    // An auditor imports nothing.
    let auditor = reviewer(&l, "audit1").await;
    let e = deposits::match_statement(&l.pool, &auditor, statement.as_bytes(), None, now(), Channel::Cli).await;
    assert_eq!(e.unwrap_err().code(), "FORBIDDEN");

    let r = deposits::match_statement(&l.pool, &f, statement.as_bytes(), None, now(), Channel::Cli).await.unwrap();
    assert_eq!(
        outcomes(&r),
        [
            (2, LineOutcome::Matched),
            (3, LineOutcome::AmountMismatch),
            (4, LineOutcome::Matched),
            (5, LineOutcome::Ambiguous),
            (6, LineOutcome::AlreadyConfirmed),
            (7, LineOutcome::Unmatched),
            (8, LineOutcome::AlreadyConfirmed),
        ],
        "{r:#?}"
    );
    assert_eq!(
        (r.lines, r.matched, r.already_confirmed, r.amount_mismatch, r.ambiguous, r.unmatched),
        (7, 2, 2, 1, 1, 1)
    );
    // The mismatch shows the deposit with its own amount; the ambiguous line both deposits.
    assert_eq!(r.items[1].deposits.iter().map(|d| d.amount.to_string()).collect::<Vec<_>>(), ["250.50"]);
    assert_eq!(r.items[3].deposits.len(), 2);
    assert_eq!(state_of(&l, &a1[0]).await, (Some("statement".into()), Some("statement".into()), Some("ICBC-1".into())));
    assert_eq!(state_of(&l, &a1[2]).await.2, Some("ICBC-3".into()), "the 摘要 named the slip");
    assert_eq!(state_of(&l, &a1[1]).await, (None, None, None), "never on a mismatch");
    assert_eq!(state_of(&l, &a2[0]).await.0, None, "never on an ambiguous line");
    assert_eq!(state_of(&l, &a2[1]).await.0, Some("finance1".into()), "the hand's confirmation stands");
    let (credited_on, user): (Option<NaiveDate>, Option<String>) =
        sqlx::query_as("SELECT credited_on, confirmed_user FROM deposits WHERE event_id = $1::uuid")
            .bind(&a1[0])
            .fetch_one(&l.pool)
            .await
            .unwrap();
    assert_eq!((credited_on.map(|d| d.to_string()), user.as_deref()), (Some("2026-12-02".into()), Some("finance1")));
    assert_eq!(l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await, 3, "two matched, one by hand");

    // The statement is one bank's: narrowed to ICBC, the ambiguous slip names one deposit.
    let r =
        deposits::match_statement(&l.pool, &f, statement.as_bytes(), Some("102"), now(), Channel::Cli).await.unwrap();
    assert_eq!((r.matched, r.already_confirmed, r.amount_mismatch, r.ambiguous, r.unmatched), (1, 4, 1, 0, 1));
    assert_eq!(state_of(&l, &a2[0]).await.0, Some("statement".into()));
    assert_eq!(state_of(&l, &a3[0]).await.0, None, "the other bank's deposit stays in transit");

    // Again: nothing new is confirmed, nothing new goes down.
    let r =
        deposits::match_statement(&l.pool, &f, statement.as_bytes(), Some("102"), now(), Channel::Cli).await.unwrap();
    assert_eq!((r.matched, r.already_confirmed, r.amount_mismatch, r.ambiguous, r.unmatched), (0, 5, 1, 0, 1));
    assert_eq!(l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await, 4);
    let imports = l.count("SELECT COUNT(*) FROM finance_audit WHERE action = 'deposit.statement'").await;
    assert_eq!(imports, 3, "each import that ran is audited, with its counts");
    assert_eq!(l.count("SELECT COUNT(*) FROM finance_audit WHERE action = 'deposit.confirm'").await, 4);
    assert!(audit::verify(&l.pool).await.unwrap() > 0);

    // Each counter is told about its own deposits only.
    settled(&l.pool).await;
    let mine = |cs: Vec<Change>| {
        let mut slips: Vec<String> =
            deposits_in(&cs).into_iter().map(|d| format!("{} {}", d.slip_no, d.confirmed_by)).collect();
        slips.sort();
        slips
    };
    assert_eq!(mine(pull_all(&l, T1, "").await.0), ["JK1001 statement", "JK1003 statement"]);
    assert_eq!(mine(pull_all(&l, T2, "").await.0), ["JK1005 statement", "JK1006 finance1"]);
    assert!(mine(pull_all(&l, T3, "").await.0).is_empty());
    l.stop().await;
}

#[tokio::test]
async fn the_list_filters_counts_and_sums_newest_first_and_marks_overdue() {
    let mut l = Ledger::start().await;
    let (t1, t3) = (l.token_for(T1).await, l.token_for(T3).await);
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f = reviewer(&l, "finance1").await;
    let at = |d: wire::Deposit, at: &str| wire::Deposit { at: at.into(), ..d };
    push_deposits(
        &l,
        &t1,
        T1,
        1,
        &[
            at(deposit("A1xx", "10.00", "102"), "2026-11-27T17:00:00+08:00"),
            at(deposit("A2xx", "20.00", "102"), "2026-12-01T17:00:00+08:00"),
            at(deposit("A3xx", "30.00", "102"), "2026-12-03T17:00:00+08:00"),
        ],
    )
    .await;
    let b = push_deposits(&l, &t3, T3, 1, &[at(deposit("B1xx", "40.00", "105"), "2026-12-01T09:00:00+08:00")]).await;
    let c = deposits::DepositConfirm { reference: "CCB-1".into(), amount: "40.00".into(), credited_on: None };
    deposits::confirm(&l.pool, &f, &b[0], &c, now(), Channel::Cli).await.unwrap();

    // Friday 2026-12-04: two working days after Tuesday's deposits have passed.
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let q = |f: fn(&mut DepositQuery)| {
        let mut q = DepositQuery::default();
        f(&mut q);
        q
    };
    let slips = |r: deposits::DepositList| {
        (r.items.iter().map(|d| d.slip_no.clone()).collect::<Vec<_>>(), r.total, r.total_amount.to_string())
    };
    let run = |q: DepositQuery| {
        let pool = l.pool.clone();
        async move { slips(deposits::list(&pool, &q, today).await.unwrap()) }
    };
    assert_eq!(run(q(|_| {})).await, (s(&["A3xx", "A2xx", "B1xx", "A1xx"]), 4, "100.00".into()));
    assert_eq!(run(q(|q| q.state = Some(DepositState::InTransit))).await.0, s(&["A3xx", "A2xx", "A1xx"]));
    assert_eq!(run(q(|q| q.state = Some(DepositState::Confirmed))).await.0, s(&["B1xx"]));
    assert_eq!(run(q(|q| q.area = Some("GY02".into()))).await.0, s(&["B1xx"]));
    assert_eq!(run(q(|q| q.terminal = Some(T1.into()))).await.2, "60.00");
    assert_eq!(
        run(q(|q| {
            q.from = Some("2026-12-01".into());
            q.to = Some("2026-12-01".into());
        }))
        .await
        .0,
        s(&["A2xx", "B1xx"]),
        "a day in the province's time"
    );
    assert_eq!(
        run(q(|q| q.slip_no = Some("Ａ２ｘｘ".into()))).await.0,
        s(&["A2xx"]),
        "the slip as the counter stores it"
    );
    assert_eq!(run(q(|q| q.overdue = Some(true))).await.0, s(&["A2xx", "A1xx"]), "in transit, two working days passed");
    let all = deposits::list(&l.pool, &DepositQuery::default(), today).await.unwrap();
    let overdue: Vec<(&str, bool)> = all.items.iter().map(|d| (d.slip_no.as_str(), d.overdue)).collect();
    assert_eq!(overdue, [("A3xx", false), ("A2xx", true), ("B1xx", false), ("A1xx", true)]);
    let (page, total, sum) = run(q(|q| {
        q.limit = Some(2);
        q.offset = Some(1);
    }))
    .await;
    assert_eq!((page, total, sum), (s(&["A2xx", "B1xx"]), 4, "100.00".into()), "a page, and the whole count and total");
    for bad in ["from=2026-02-30", "state=lost", "from=2026-12-10&to=2026-12-01"] {
        let session = login(&l.url, "finance1").await;
        let (status, body) = list(&l, &session, bad).await;
        assert_eq!((status, code(&body)), (400, "BAD_REQUEST"), "{bad}: {body}");
    }
    l.stop().await;
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `cashdesk-ledger deposits list|confirm|match` as a finance user runs them.
#[tokio::test]
async fn the_command_line_lists_confirms_and_matches_a_statement_file() {
    let mut l = Ledger::start().await;
    let t1 = l.token_for(T1).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let ids =
        push_deposits(&l, &t1, T1, 1, &[deposit("JK2001", "300.00", "102"), deposit("JK2002", "45.60", "102")]).await;
    let bin = env!("CARGO_BIN_EXE_cashdesk-ledger");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(bin)
            .args(args)
            .env("CASHDESK_LEDGER_DATABASE_URL", &l.db_url)
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let pw = format!("{PW}\n");
    let (ok, out, err) = run(&["deposits", "list", "--user", "finance1", "--state", "in_transit", "--json"], &pw);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((list["total"].as_i64(), list["total_amount"].as_str()), (Some(2), Some("345.60")));
    let (ok, out, err) = run(&["deposits", "list", "--user", "finance1"], &pw);
    assert!(
        ok && out.contains("JK2001") && out.contains("in transit") && out.contains("2 deposits, 345.60"),
        "{out} {err}"
    );

    let (ok, _, err) =
        run(&["deposits", "confirm", "JK2001", "--user", "finance1", "--ref", "R1", "--amount", "30.00"], &pw);
    assert!(!ok && err.contains("nothing was confirmed"), "{err}");
    let (ok, out, err) =
        run(&["deposits", "confirm", "JK2001", "--user", "finance1", "--ref", "ICBC-1", "--amount", "300.00"], &pw);
    assert!(ok && out.contains("confirmed by finance1"), "{out} {err}");
    assert_eq!(state_of(&l, &ids[0]).await.0, Some("finance1".into()));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.csv");
    std::fs::write(
        &file,
        "交易日期,金额,解款单号,流水号,摘要\n2026-12-02,45.60,JK2002,ICBC-2,\n2026-12-02,300.00,JK2001,ICBC-1,\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (ok, out, err) = run(&["deposits", "match", path, "--user", "finance1", "--bank", "工行"], &pw);
    assert!(ok, "{err}");
    assert!(out.contains("line 2:") && out.contains("1 confirmed now, 1 already confirmed"), "{out}");
    let (ok, out, err) = run(&["deposits", "match", path, "--user", "finance1", "--json"], &pw);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((report["matched"].as_u64(), report["already_confirmed"].as_u64()), (Some(0), Some(2)), "{report}");
    assert_eq!(
        state_of(&l, &ids[1]).await,
        (Some("statement".into()), Some("statement".into()), Some("ICBC-2".into()))
    );

    // A malformed file confirms nothing and says where.
    std::fs::write(&file, "date,amount,slip_no,reference,memo\n2026-12-02,45.6.0,JK2002,,\n").unwrap();
    let (ok, _, err) = run(&["deposits", "match", path, "--user", "finance1"], &pw);
    assert!(!ok && err.contains("line 2, column amount"), "{err}");
    let (ok, _, err) = run(&["deposits", "match", "/nonexistent/statement.csv", "--user", "finance1"], &pw);
    assert!(!ok && err.contains("cannot read"), "{err}");
    // No ledger user may be called what the counter is told for a statement.
    let (ok, _, err) = run(&["user", "add", "statement", "--role", "finance"], &pw);
    assert!(!ok && err.contains("statement"), "{err}");
    assert_eq!(l.count("SELECT COUNT(*) FROM ledger_sessions WHERE ended_at IS NULL").await, 0);
    l.stop().await;
}

// The whole path: a counter deposits, syncs, the centre confirms, the counter pulls and shows it.

fn engine(c: &Counter) -> Engine {
    Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(MemoryStore::new()), c.desk.data_keys())
        .with_clock(c.clock.clone())
}

async fn enrol(l: &Ledger, e: &Engine) {
    let code = terminals::enrol(&l.pool, e.terminal().as_str(), None).await.unwrap();
    e.enrol(&LedgerUrl::parse(&l.url).unwrap(), &code).await.unwrap();
}

/// A counter that has pulled the province and made a deposit that the ledger now holds: the counter,
/// its engine, and the deposit's id.
async fn deposited(l: &Ledger, terminal: &str, slip: &str, amount: &str) -> (Counter, Engine, String) {
    let c = counter(terminal, AT, false).await;
    let e = engine(&c);
    enrol(l, &e).await;
    settled(&l.pool).await;
    e.sync_once().await.unwrap();
    c.desk
        .deposit(DepositRequest {
            token: c.cashier.clone(),
            amount: amount.into(),
            bank: "工行".into(),
            slip_no: slip.into(),
        })
        .await
        .unwrap();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied, 1, "the deposit reached the ledger: {report:?}");
    let mine = counter_deposits(&c, false).await;
    assert!(mine[0].in_transit && mine[0].confirmed_by.is_none(), "{mine:?}");
    let (id,): (Uuid,) = sqlx::query_as("SELECT event_id FROM deposits WHERE terminal = $1 AND slip_no = $2")
        .bind(terminal)
        .bind(slip)
        .fetch_one(&l.pool)
        .await
        .unwrap();
    (c, e, id.to_string())
}

async fn counter_deposits(c: &Counter, in_transit: bool) -> Vec<cashdesk::desk::shift::DepositInfo> {
    c.desk.list_deposits(DepositListRequest { token: c.cashier.clone(), in_transit }).await.unwrap()
}

#[tokio::test]
async fn a_counters_deposit_confirmed_by_finance_shows_confirmed_at_the_counter() {
    let mut l = Ledger::start().await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let (c, e, id) = deposited(&l, "GY03-01", "JK20261201-01", "300.00").await;
    let f1 = login(&l.url, "finance1").await;
    let (status, body) = list(&l, &f1, "terminal=GY03-01&state=in_transit").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(1)), "{body}");
    assert_eq!(
        (
            body["items"][0]["event_id"].as_str(),
            body["items"][0]["bank"].as_str(),
            body["items"][0]["cashier"].as_str()
        ),
        (Some(id.as_str()), Some("102"), Some("cashier1"))
    );
    assert_eq!(body["items"][0]["deposited_at"].as_str(), Some("2026-12-01T17:30:00+08:00"), "the counter's time");
    let (status, body) = confirm(&l, &f1, &id, json!({"reference": "ICBC-778899", "amount": "300.00"})).await;
    assert_eq!(status, 200, "{body}");

    settled(&l.pool).await;
    e.sync_once().await.unwrap();
    let mine = counter_deposits(&c, false).await;
    assert_eq!(mine.len(), 1);
    let d = &mine[0];
    assert!(!d.in_transit && !d.overdue, "{d:?}");
    assert_eq!((d.confirmed_by.as_deref(), d.reference.as_deref()), (Some("finance1"), Some("ICBC-778899")));
    assert!(d.confirmed_at.is_some(), "{d:?}");
    assert!(counter_deposits(&c, true).await.is_empty(), "nothing in transit any more");
    l.stop().await;
}

#[tokio::test]
async fn a_counters_deposit_matched_on_the_statement_shows_confirmed_and_a_second_import_changes_nothing() {
    let mut l = Ledger::start().await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let (c, e, id) = deposited(&l, "GY03-02", "JK20261201-02", "450.00").await;
    let (other, other_e, _) = deposited(&l, "GY03-03", "JK20261201-03", "120.00").await;
    let f = reviewer(&l, "finance1").await;
    let statement = "date,amount,slip_no,reference,memo\n\
        2026-12-02,450.00,,ICBC-1001,现金解款 JK20261201-02 GY03-02\n\
        2026-12-02,120.01,JK20261201-03,ICBC-1002,\n";
    let r =
        deposits::match_statement(&l.pool, &f, statement.as_bytes(), Some("102"), now(), Channel::Cli).await.unwrap();
    assert_eq!((r.matched, r.amount_mismatch), (1, 1), "{r:#?}");
    assert_eq!(r.items[0].deposits[0].event_id, id);

    settled(&l.pool).await;
    e.sync_once().await.unwrap();
    let mine = counter_deposits(&c, false).await;
    let d = &mine[0];
    assert!(!d.in_transit, "{d:?}");
    assert_eq!((d.confirmed_by.as_deref(), d.reference.as_deref()), (Some("statement"), Some("ICBC-1001")));
    let confirmed_at = d.confirmed_at.clone();
    // The other counter's deposit had another amount on the statement: still in transit there.
    other_e.sync_once().await.unwrap();
    assert!(counter_deposits(&other, false).await[0].in_transit);

    // The same statement again: nothing new at the centre, nothing new at the counter.
    let log_before = l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await;
    let r =
        deposits::match_statement(&l.pool, &f, statement.as_bytes(), Some("102"), now(), Channel::Cli).await.unwrap();
    assert_eq!((r.matched, r.already_confirmed, r.amount_mismatch), (0, 1, 1), "{r:#?}");
    assert_eq!(l.count("SELECT COUNT(*) FROM changes WHERE kind = 'd'").await, log_before);
    settled(&l.pool).await;
    e.sync_once().await.unwrap();
    let again = counter_deposits(&c, false).await;
    assert_eq!((again[0].confirmed_at.clone(), again[0].confirmed_by.as_deref()), (confirmed_at, Some("statement")));
    l.stop().await;
}

/// A ledger upgraded from a build before the deposits migration: the deposits it stored get their
/// time (the event's `at`, or the outbox time of an older counter's event that has none) and their
/// cashier, stay in transit, and can be confirmed and sent down like any other.
#[tokio::test]
async fn deposits_stored_before_the_upgrade_get_their_time_and_cashier_and_are_confirmed_like_any() {
    let (db_url, pool) = support::pg::fresh_database().await;
    // The migrations before this one, as an earlier build applied them.
    let earlier = tempfile::tempdir().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "20261206000006" {
            std::fs::copy(&path, earlier.path().join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(earlier.path()).await.unwrap().run(&pool).await.unwrap();
    // What that build's push stored for two deposits.
    let with_at = deposit("OLD-0001", "150.00", "102");
    let mut without_at = deposit("OLD-0002", "20.00", "105");
    without_at.at = String::new();
    for (seq, d) in [(1i64, &with_at), (2, &without_at)] {
        let mut payload: Value = serde_json::from_str(&Event::Deposit(d.clone()).payload()).unwrap();
        if d.at.is_empty() {
            payload.as_object_mut().unwrap().remove("at");
        }
        sqlx::query(
            "INSERT INTO events (event_id, terminal, seq, kind, payload, payload_sha256, created_at, amount, outcome)
             VALUES ($1::uuid, $2, $3, 'deposit', $4, 'x', '2026-11-30T18:05:00+08:00', $5, 'applied')",
        )
        .bind(&d.event_id)
        .bind(T1)
        .bind(seq)
        .bind(payload.to_string())
        .bind(d.amount.decimal())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO deposits (event_id, terminal, bank, slip_no, amount) VALUES ($1::uuid, $2, $3, $4, $5)",
        )
        .bind(&d.event_id)
        .bind(T1)
        .bind(&d.bank)
        .bind(&d.slip_no)
        .bind(d.amount.decimal())
        .execute(&pool)
        .await
        .unwrap();
    }

    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    let mut l = Ledger::serve(db_url, pool, "127.0.0.1:0".parse().unwrap()).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f = reviewer(&l, "finance1").await;
    let list = deposits::list(&l.pool, &DepositQuery::default(), now().date_naive()).await.unwrap();
    let got: Vec<(&str, &str, &str, DepositState)> =
        list.items.iter().map(|d| (d.slip_no.as_str(), d.deposited_at.as_str(), d.cashier.as_str(), d.state)).collect();
    assert_eq!(
        got,
        [
            ("OLD-0001", "2026-12-01T17:30:00+08:00", "cashier1", DepositState::InTransit),
            ("OLD-0002", "2026-11-30T18:05:00+08:00", "cashier1", DepositState::InTransit),
        ]
    );
    let statement = "date,amount,slip_no,reference,memo\n2026-12-02,150.00,OLD-0001,ICBC-1,\n";
    let r = deposits::match_statement(&l.pool, &f, statement.as_bytes(), None, now(), Channel::Cli).await.unwrap();
    assert_eq!(r.matched, 1);
    settled(&l.pool).await;
    let sent = deposits_in(&pull_all(&l, T1, "").await.0);
    assert_eq!(sent.iter().map(|d| d.slip_no.as_str()).collect::<Vec<_>>(), ["OLD-0001"]);
    l.stop().await;
}
