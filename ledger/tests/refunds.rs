//! Refund requests at the centre, on a real ledger on PostgreSQL: pushed as a counter pushes them
//! (the wire types, the payee's number as the event's secret), reviewed and paid through the
//! finance API and the command line, and sent back down in pulls.

#![allow(clippy::unwrap_used)]

mod support;

use cashdesk::{
    desk::Clock,
    sync::{
        finance::FinanceRole,
        wire::{Change, Event, Outcome, PullResponse},
    },
};
use cashdesk_ledger::{audit, datakey, reports, users};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use support::{
    ledger::{Ledger, push, push_raw, settled},
    refunds::{PAYEE, PW, act, add_users, call, detail, hall, hall_event, login, pushed, submit, submit_event},
};

const T1: &str = "GY01-01";
const AT: &str = "2026-12-01T10:00:00+08:00";

fn today() -> String {
    Utc::now().with_timezone(&cashdesk_ledger::refunds::china()).date_naive().to_string()
}

fn pay_body(amount: &str, bank_ref: &str) -> Value {
    json!({"payout_date": today(), "bank_ref": bank_ref, "amount": amount})
}

/// A request of `amount` on `account` submitted by cashier1 and approved at the hall by super1,
/// pushed as one batch from T1 (seq from `seq`); its id.
async fn at_ledger(l: &Ledger, token: &str, seq: i64, account: &str, amount: &str, no: &str) -> String {
    let s = submit(account, amount, no, "cashier1", AT);
    let h = hall(&s.event_id, "super1", true, None);
    let r = push(&l.url, token, &[submit_event(T1, seq, &s), hall_event(T1, seq + 1, &h)]).await;
    assert!(r.results.iter().all(|r| r.outcome == Outcome::Applied), "{r:?}");
    s.event_id
}

async fn state_of(l: &Ledger, id: &str) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, flag FROM refunds WHERE refund_id = $1::uuid")
        .bind(id)
        .fetch_one(&l.pool)
        .await
        .unwrap()
}

async fn balance(l: &Ledger, account: &str) -> String {
    reports::account(&l.pool, account).await.unwrap().unwrap().prepaid_balance.to_string()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_request_goes_through_every_step_and_every_illegal_step_is_refused() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance), ("finance2", FinanceRole::Finance)]).await;
    let (f1, f2) = (login(&l.url, "finance1").await, login(&l.url, "finance2").await);

    // A submission without the payee's number is refused whole: nothing is stored.
    let s = submit("3100000003", "300.00", "GY01-01-TF-2026-000001", "cashier1", AT);
    let id = s.event_id.clone();
    let mut bare = submit_event(T1, 1, &s);
    bare.secret = None;
    let (status, body) = push_raw(&l.url, &token, &[bare]).await;
    assert_eq!((status, code(&body)), (400, "BAD_REQUEST"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("secret"), "{body}");
    assert_eq!(l.count("SELECT COUNT(*) FROM refunds").await + l.count("SELECT COUNT(*) FROM events").await, 0);

    let r = push(&l.url, &token, &[submit_event(T1, 1, &s)]).await;
    assert_eq!(r.results[0].outcome, Outcome::Applied, "{r:?}");
    let again = push(&l.url, &token, &[submit_event(T1, 1, &s)]).await;
    assert_eq!(again.results[0].outcome, Outcome::Duplicate, "a resent submission is the same request");
    assert_eq!(l.count("SELECT COUNT(*) FROM refunds").await, 1);

    // Submitted: the hall has not decided, finance cannot act.
    let (status, body) = act(&l.url, &f1, &id, "approve", json!({"reason": null})).await;
    assert_eq!((status, code(&body)), (400, "REFUND_STATE"), "{body}");
    let (_, d) = detail(&l.url, &f1, &id).await;
    assert_eq!((d["summary"]["state"].as_str(), d["account_held"].as_str()), (Some("submitted"), Some("300.00")));

    // The hall approves: the request is at the ledger.
    let h = hall(&id, "super1", true, None);
    assert_eq!(push(&l.url, &token, &[hall_event(T1, 2, &h)]).await.results[0].outcome, Outcome::Applied);
    let (_, d) = detail(&l.url, &f1, &id).await;
    assert_eq!(d["summary"]["state"], "at_ledger");
    assert_eq!((d["hall_by"].as_str(), d["account_balance"].as_str()), (Some("super1"), Some("5000.00")));
    let steps: Vec<&str> = d["history"].as_array().unwrap().iter().map(|h| h["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["submit", "hall_approve", "receive"]);

    // Not approved yet: no payout; a rejection says why.
    let (status, body) = act(&l.url, &f1, &id, "pay", pay_body("300.00", "B1")).await;
    assert_eq!((status, code(&body)), (400, "REFUND_STATE"), "{body}");
    let (status, body) = act(&l.url, &f1, &id, "reject", json!({"reason": "  "})).await;
    assert_eq!((status, code(&body)), (400, "REFUND_INPUT"), "{body}");

    let (status, d) = act(&l.url, &f1, &id, "approve", json!({"reason": null})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["summary"]["state"].as_str(), d["finance_by"].as_str()),
        (Some("finance_approved"), Some("finance1"))
    );
    // Finance decided: the second reviewer is told who did what.
    for (what, body) in [("approve", json!({"reason": null})), ("reject", json!({"reason": "重复"}))] {
        let (status, body) = act(&l.url, &f2, &id, what, body).await;
        assert_eq!((status, code(&body)), (409, "CONFLICT"), "{what}: {body}");
        assert!(body["message"].as_str().unwrap().contains("finance1 approved"), "{body}");
    }

    // The payout: exactly the amount approved.
    let (status, body) = act(&l.url, &f2, &id, "pay", pay_body("299.99", "B1")).await;
    assert_eq!((status, code(&body)), (400, "REFUND_PAYOUT_AMOUNT"), "{body}");
    let (status, body) =
        act(&l.url, &f2, &id, "pay", json!({"payout_date": "2999-01-01", "bank_ref": "B1", "amount": "300.00"})).await;
    assert_eq!((status, code(&body)), (400, "REFUND_INPUT"), "a payout in the future: {body}");
    assert_eq!(balance(&l, "3100000003").await, "5000.00", "nothing paid yet");
    let (status, d) = act(&l.url, &f2, &id, "pay", pay_body("300.00", "ICBC20261201001")).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!((d["summary"]["state"].as_str(), d["paid_amount"].as_str()), (Some("paid"), Some("300.00")));
    assert_eq!((d["account_balance"].as_str(), d["account_held"].as_str()), (Some("4700.00"), Some("0.00")));
    assert_eq!(balance(&l, "3100000003").await, "4700.00", "the balance fell by the amount, once");
    let (status, body) = act(&l.url, &f1, &id, "pay", pay_body("300.00", "B2")).await;
    assert_eq!((status, code(&body)), (409, "CONFLICT"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("finance2 recorded the payout"), "{body}");
    assert_eq!(balance(&l, "3100000003").await, "4700.00");

    // A hall rejection releases the hold, and finance never sees it to decide.
    let s2 = submit("3100000003", "200.00", "GY01-01-TF-2026-000002", "cashier1", AT);
    let h2 = hall(&s2.event_id, "super1", false, Some("资料不全"));
    push(&l.url, &token, &[submit_event(T1, 3, &s2), hall_event(T1, 4, &h2)]).await;
    let (_, d) = detail(&l.url, &f1, &s2.event_id).await;
    assert_eq!((d["summary"]["state"].as_str(), d["account_held"].as_str()), (Some("hall_rejected"), Some("0.00")));
    let (status, body) = act(&l.url, &f1, &s2.event_id, "approve", json!({"reason": null})).await;
    assert_eq!((status, code(&body)), (400, "REFUND_STATE"), "{body}");

    // A finance rejection, found by its request number.
    let id3 = at_ledger(&l, &token, 5, "3100000003", "100.00", "GY01-01-TF-2026-000003").await;
    let (status, d) = act(&l.url, &f1, "GY01-01-TF-2026-000003", "reject", json!({"reason": "重复申请"})).await;
    assert_eq!((status, d["summary"]["state"].as_str()), (200, Some("finance_rejected")), "{d}");
    assert_eq!(d["summary"]["refund_id"].as_str(), Some(id3.as_str()));
    let (status, body) = act(&l.url, &f2, &id3, "pay", pay_body("100.00", "B3")).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("finance1 rejected"), "{body}");
    let (status, body) = detail(&l.url, &f1, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));

    // Every decision is in the chained audit.
    let trail = audit::recent(&l.pool, 100).await.unwrap();
    for action in ["refund.approve", "refund.pay", "refund.reject", "login.ok"] {
        assert!(trail.iter().any(|e| e.action == action), "{action} audited");
    }
    assert!(audit::verify(&l.pool).await.unwrap() >= 5);
    l.stop().await;
}

#[tokio::test]
async fn nobody_reviews_a_request_they_submitted_or_approved_at_the_hall() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    // The same people have the same names at the counter and at the centre.
    add_users(
        &l.pool,
        &[("cashier1", FinanceRole::Finance), ("super1", FinanceRole::Finance), ("finance1", FinanceRole::Finance)],
    )
    .await;
    let id = at_ledger(&l, &token, 1, "3100000003", "50.00", "R1").await;
    for (who, what) in [("cashier1", "approve"), ("super1", "reject")] {
        let t = login(&l.url, who).await;
        let (status, body) = act(&l.url, &t, &id, what, json!({"reason": "x"})).await;
        assert_eq!((status, code(&body)), (403, "REFUND_OWN"), "{who} {what}: {body}");
    }
    assert_eq!(state_of(&l, &id).await.0, "at_ledger");
    let t = login(&l.url, "finance1").await;
    assert_eq!(act(&l.url, &t, &id, "approve", json!({"reason": null})).await.0, 200);

    // A hall approval by the submitter (a counter should never send one) is listed, not applied.
    let s = submit("3100000003", "20.00", "R2", "super1", AT);
    let own = hall(&s.event_id, "super1", true, None);
    let r = push(&l.url, &token, &[submit_event(T1, 3, &s), hall_event(T1, 4, &own)]).await;
    assert_eq!(r.results[1].outcome, Outcome::Flagged, "{r:?}");
    assert!(r.results[1].flag.as_deref().unwrap().contains("refund_own"));
    assert_eq!(state_of(&l, &s.event_id).await.0, "submitted");
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_reviewers_acting_at_once_exactly_one_wins_and_the_others_are_told_who() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    let names: Vec<String> = (1..=6).map(|i| format!("finance{i}")).collect();
    let users: Vec<(&str, FinanceRole)> = names.iter().map(|n| (n.as_str(), FinanceRole::Finance)).collect();
    add_users(&l.pool, &users).await;
    let mut tokens = Vec::new();
    for n in &names {
        tokens.push((n.clone(), login(&l.url, n).await));
    }
    let id = at_ledger(&l, &token, 1, "3100000003", "800.00", "R1").await;

    let mut tries = tokio::task::JoinSet::new();
    for (name, t) in tokens.clone() {
        let (url, id) = (l.url.clone(), id.clone());
        tries.spawn(async move { (name, act(&url, &t, &id, "approve", json!({"reason": null})).await) });
    }
    let answers = tries.join_all().await;
    let winners: Vec<&String> = answers.iter().filter(|(_, (s, _))| *s == 200).map(|(n, _)| n).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = winners[0];
    for (name, (status, body)) in answers.iter().filter(|(n, _)| n != winner) {
        assert_eq!((*status, code(body)), (409, "CONFLICT"), "{name}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&format!("{winner} approved")), "{name} is told who won: {message}");
    }
    let history: i64 =
        sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM refund_history WHERE step = 'finance_approve'")
            .fetch_one(&l.pool)
            .await
            .unwrap()
            .0;
    assert_eq!(history, 1, "one decision recorded");

    // Two payouts at once: one is recorded, the balance falls once.
    let mut pays = tokio::task::JoinSet::new();
    for (name, t) in tokens.into_iter().take(2) {
        let (url, id) = (l.url.clone(), id.clone());
        pays.spawn(async move {
            (name.clone(), act(&url, &t, &id, "pay", pay_body("800.00", &format!("REF-{name}"))).await)
        });
    }
    let mut statuses: Vec<u16> = pays.join_all().await.iter().map(|(_, (s, _))| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(balance(&l, "3100000003").await, "4200.00");
    l.stop().await;
}

fn vend(account: &str, amount: &str, receipt: &str) -> Event {
    let payload = json!({"event_id": uuid::Uuid::now_v7().to_string(), "receipt_no": receipt, "account_no": account,
        "cashier": "cashier1", "kind": "vend", "method": "cash", "amount": amount, "lines": [], "at": AT});
    Event::read("vend", &payload.to_string()).unwrap()
}

fn void(of: &Event, amount: &str, receipt: &str) -> Event {
    let payload = json!({"amount": amount, "approved_by": "super1", "at": AT, "cashier": "cashier1",
        "event_id": uuid::Uuid::now_v7().to_string(), "reason": "收错", "receipt_no": receipt,
        "voids_event_id": of.event_id()});
    Event::read("void", &payload.to_string()).unwrap()
}

#[tokio::test]
async fn a_request_the_centres_balance_does_not_cover_is_flagged_and_never_paid() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f1 = login(&l.url, "finance1").await;

    // 3100000002 has 12.50 at the centre.
    let s = submit("3100000002", "100.00", "R1", "cashier1", AT);
    let r = push(&l.url, &token, &[submit_event(T1, 1, &s)]).await;
    assert_eq!(r.results[0].outcome, Outcome::Flagged);
    assert!(r.results[0].flag.as_deref().unwrap().contains("refund_over_balance"), "{r:?}");
    let conflicts = reports::conflicts(&l.pool).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].kind.as_str(), conflicts[0].account_no.as_deref()),
        ("refund_over_balance", Some("3100000002"))
    );
    assert!(conflicts[0].detail.contains("12.50"), "{}", conflicts[0].detail);
    // The hall approves it: it reaches the ledger with its flag, and can only be rejected.
    push(&l.url, &token, &[hall_event(T1, 2, &hall(&s.event_id, "super1", true, None))]).await;
    let (_, d) = detail(&l.url, &f1, &s.event_id).await;
    assert_eq!(d["summary"]["state"], "at_ledger");
    assert!(d["flag"].as_str().unwrap().contains("12.50"), "{d}");
    assert_eq!(d["account_held"], "0.00", "a flagged request is never paid, so it holds nothing at the centre");
    // The counter hears of the flag with the request's arrival at the ledger.
    settled(&l.pool).await;
    let mut cursor = String::new();
    let mut down = Vec::new();
    loop {
        let page = cashdesk_ledger::pull::changes_for(&l.pool, T1, &cursor, None).await.unwrap();
        down.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    let sent = refunds_in(&down);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0].1.as_str(), sent[0].2.as_ref().is_some_and(|f| f.contains("12.50"))), ("at_ledger", true));
    let (status, body) = act(&l.url, &f1, &s.event_id, "approve", json!({"reason": null})).await;
    assert_eq!((status, code(&body)), (400, "REFUND_FLAGGED"), "{body}");
    assert_eq!(act(&l.url, &f1, &s.event_id, "reject", json!({"reason": "余额不足"})).await.0, 200);

    // What other requests hold counts: 5,000.00 at the centre, 3,000.00 held, 2,500.00 is too much.
    let a = submit("3100000003", "3000.00", "R2", "cashier1", AT);
    let b = submit("3100000003", "2500.00", "R3", "cashier1", AT);
    let c = submit("3100000003", "2000.00", "R4", "cashier1", AT);
    let r = push(&l.url, &token, &[submit_event(T1, 3, &a), submit_event(T1, 4, &b), submit_event(T1, 5, &c)]).await;
    let outcomes: Vec<Outcome> = r.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::Applied, Outcome::Flagged, Outcome::Applied], "{r:?}");

    // A void that takes the balance below what requests hold flags the newest of them.
    let v = vend("3100000003", "1000.00", "GY01-01-2026-000001");
    push(&l.url, &token, &[pushed(T1, 6, &v, None)]).await;
    let d = submit("3100000003", "900.00", "R5", "cashier1", "2026-12-01T10:30:00+08:00");
    assert_eq!(push(&l.url, &token, &[submit_event(T1, 7, &d)]).await.results[0].outcome, Outcome::Applied);
    // Approved at the hall and by finance before the void arrives.
    push(&l.url, &token, &[hall_event(T1, 8, &hall(&d.event_id, "super1", true, None))]).await;
    assert_eq!(act(&l.url, &f1, &d.event_id, "approve", json!({"reason": null})).await.0, 200);
    let r = push(&l.url, &token, &[pushed(T1, 9, &void(&v, "1000.00", "GY01-01-2026-000001"), None)]).await;
    assert_eq!(r.results[0].outcome, Outcome::Flagged, "{r:?}");
    assert!(r.results[0].flag.as_deref().unwrap().contains("refund_uncovered"));
    assert_eq!(balance(&l, "3100000003").await, "5000.00", "the void is applied all the same");
    assert!(state_of(&l, &d.event_id).await.1.unwrap().contains("GY01-01-2026-000001"), "the newest is flagged");
    assert_eq!(state_of(&l, &a.event_id).await.1, None, "the older requests keep their turn");
    assert_eq!(state_of(&l, &c.event_id).await.1, None);
    // Approved but flagged: never paid, and rejected rather than left stuck.
    let (status, body) = act(&l.url, &f1, &d.event_id, "pay", pay_body("900.00", "B9")).await;
    assert_eq!((status, code(&body)), (400, "REFUND_FLAGGED"), "{body}");
    let (status, d2) = act(&l.url, &f1, &d.event_id, "reject", json!({"reason": "冲正后余额不足"})).await;
    assert_eq!((status, d2["summary"]["state"].as_str()), (200, Some("finance_rejected")), "{d2}");
    l.stop().await;
}

/// Every change a terminal pulls from `cursor` until nothing waits, and the cursor then.
async fn pull_http(l: &Ledger, token: &str, cursor: &str) -> (Vec<Change>, String) {
    let (mut cursor, mut all) = (cursor.to_string(), Vec::new());
    loop {
        let r = support::ledger::http()
            // A cursor is digits and a dot: nothing to escape.
            .get(format!("{}/v1/changes?cursor={cursor}", l.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let page: PullResponse = r.json().await.unwrap();
        all.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return (all, cursor);
        }
    }
}

fn refunds_in(changes: &[Change]) -> Vec<(String, String, Option<String>)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Refund(r) => Some((r.request_no.clone(), r.state.as_str().to_string(), r.flag.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_payout_lowers_the_balance_and_reaches_its_counter_with_the_account_in_one_page() {
    let mut l = Ledger::start().await;
    let (t1, t2) = (l.token_for(T1).await, l.token_for("GY01-02").await);
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f1 = login(&l.url, "finance1").await;
    settled(&l.pool).await;
    let (_, c1) = pull_http(&l, &t1, "").await;
    let (_, c2) = pull_http(&l, &t2, "").await;

    // Submitted only: the counter keeps that state itself, nothing goes down.
    let s = submit("3100000003", "300.00", "R1", "cashier1", AT);
    push(&l.url, &t1, &[submit_event(T1, 1, &s)]).await;
    settled(&l.pool).await;
    let (down, c1) = pull_http(&l, &t1, &c1).await;
    assert!(refunds_in(&down).is_empty(), "{down:?}");
    // Received at the ledger: down to its counter.
    push(&l.url, &t1, &[hall_event(T1, 2, &hall(&s.event_id, "super1", true, None))]).await;
    settled(&l.pool).await;
    let (down, c1) = pull_http(&l, &t1, &c1).await;
    assert_eq!(refunds_in(&down), [("R1".to_string(), "at_ledger".to_string(), None)]);

    act(&l.url, &f1, &s.event_id, "approve", json!({"reason": null})).await;
    let (status, _) = act(&l.url, &f1, &s.event_id, "pay", pay_body("300.00", "ICBC-1")).await;
    assert_eq!(status, 200);
    settled(&l.pool).await;
    let (down, _) = pull_http(&l, &t1, &c1).await;
    let at = down.iter().position(|c| matches!(c, Change::Refund(_))).unwrap();
    let Change::Account(a) = &down[at - 1] else { panic!("the request comes with its account: {down:?}") };
    assert_eq!((a.account_no.as_str(), a.prepaid_balance.to_string()), ("3100000003", "4700.00".to_string()));
    let Change::Refund(r) = &down[at] else { unreachable!() };
    assert_eq!(r.state.as_str(), "paid");
    assert_eq!(
        (r.paid_amount.map(|p| p.to_string()), r.payout_ref.as_deref(), r.finance_by.as_deref()),
        (Some("300.00".to_string()), Some("ICBC-1"), Some("finance1"))
    );
    assert_eq!(refunds_in(&down).len(), 1, "a request goes once per page: {down:?}");
    // The payout's transaction logged the request, then the account whose balance it lowered.
    let kinds: Vec<(String,)> = sqlx::query_as(
        "SELECT kind::text FROM changes WHERE txid = (SELECT txid FROM changes WHERE kind = 'r' ORDER BY txid DESC LIMIT 1)
         ORDER BY rev",
    )
    .fetch_all(&l.pool)
    .await
    .unwrap();
    assert_eq!(kinds, [("r".to_string(),), ("a".to_string(),)]);
    // Another counter gets the account's new balance, not the other terminal's request.
    let (down, _) = pull_http(&l, &t2, &c2).await;
    assert!(refunds_in(&down).is_empty(), "{down:?}");
    assert!(down.iter().any(|c| matches!(c, Change::Account(a) if a.account_no == "3100000003" && a.prepaid_balance.to_string() == "4700.00")));
    l.stop().await;
}

#[tokio::test]
async fn the_payees_account_number_is_sealed_at_rest_and_shown_masked() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f1 = login(&l.url, "finance1").await;
    let s = submit("3100000003", "300.00", "R1", "cashier1", AT);
    push(&l.url, &token, &[submit_event(T1, 1, &s), hall_event(T1, 2, &hall(&s.event_id, "super1", true, None))]).await;

    let (sealed, masked): (String, String) =
        sqlx::query_as("SELECT payee_account_sealed, payee_account_masked FROM refunds")
            .fetch_one(&l.pool)
            .await
            .unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains(PAYEE), "{sealed}");
    assert_eq!(masked, "6222 **** **** 0123");
    assert_eq!(l.key.open(datakey::PAYEE_ACCOUNT, &sealed).unwrap(), PAYEE, "it opens with the ledger's key");
    assert!(l.key.open("accounts.id_number", &sealed).is_err(), "and only for its column");
    for table in ["refunds", "refund_history", "events", "event_rejects", "conflicts", "finance_audit", "changes"] {
        let sql = format!("SELECT COUNT(*) FROM {table} t WHERE t::text LIKE '%' || $1 || '%'");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(PAYEE).fetch_one(&l.pool).await.unwrap();
        assert_eq!(n, 0, "the whole number is nowhere in {table}");
    }
    let (_, d) = detail(&l.url, &f1, &s.event_id).await;
    let (_, list) = call("GET", &format!("{}/v1/finance/refunds", l.url), Some(&f1), None).await;
    assert_eq!(d["summary"]["payee_account_masked"], "6222 **** **** 0123");
    assert_eq!(list["items"][0]["payee_account_masked"], "6222 **** **** 0123");
    assert!(!d.to_string().contains(PAYEE) && !list.to_string().contains(PAYEE));

    // A secret that is not the number the payload's mask shows is refused.
    let other = submit("3100000003", "10.00", "R2", "cashier1", AT);
    let mut e = submit_event(T1, 3, &other);
    e.secret = Some("6222029999999990999".into());
    let (status, body) = push_raw(&l.url, &token, &[e]).await;
    assert_eq!(status, 400, "{body}");
    assert!(!body.to_string().contains("6222029999999990999"), "the answer does not echo the number");
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_compared_at_most_five_times_and_lock_the_user() {
    let mut l = Ledger::start().await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = l.url.clone();
        tries.spawn(async move {
            call(
                "POST",
                &format!("{url}/v1/finance/login"),
                None,
                Some(json!({"username": "finance1", "password": format!("wrong-{i:02}-pass")})),
            )
            .await
        });
    }
    let answers = tries.join_all().await;
    let message = answers[0].1["message"].clone();
    for (status, body) in &answers {
        assert_eq!((*status, code(body)), (401, "UNAUTHORIZED"), "{body}");
        assert_eq!(body["message"], message, "every failure is told the same");
    }
    let counted = |action: &'static str| {
        let pool = l.pool.clone();
        async move {
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM finance_audit WHERE action = $1")
                .bind(action)
                .fetch_one(&pool)
                .await
                .unwrap()
                .0
        }
    };
    assert_eq!(counted("login.failed").await, 5, "only five passwords were compared");
    assert_eq!(counted("login.locked").await, 15, "the rest were refused by the lock, uncompared");
    // Locked: the right password does not get in either, and says no more than a wrong name does.
    let right = json!({"username": "finance1", "password": PW});
    let (status, body) = call("POST", &format!("{}/v1/finance/login", l.url), None, Some(right.clone())).await;
    assert_eq!((status, &body["message"]), (401, &message));
    let (status, body) =
        call("POST", &format!("{}/v1/finance/login", l.url), None, Some(json!({"username": "nobody", "password": PW})))
            .await;
    assert_eq!((status, &body["message"]), (401, &message));
    let now = chrono::Local::now().fixed_offset();
    users::unlock(&l.pool, "cli:test", "finance1", now, audit::Channel::Cli).await.unwrap();
    assert_eq!(call("POST", &format!("{}/v1/finance/login", l.url), None, Some(right)).await.0, 200);
    assert!(audit::verify(&l.pool).await.unwrap() >= 22);
    l.stop().await;
}

#[tokio::test]
async fn an_auditor_reads_but_cannot_decide_or_pay() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    add_users(&l.pool, &[("audit1", FinanceRole::Auditor)]).await;
    let a = login(&l.url, "audit1").await;
    let id = at_ledger(&l, &token, 1, "3100000003", "50.00", "R1").await;
    let (status, list) = call("GET", &format!("{}/v1/finance/refunds", l.url), Some(&a), None).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(1)));
    assert_eq!(detail(&l.url, &a, &id).await.0, 200);
    for (what, body) in
        [("approve", json!({"reason": null})), ("reject", json!({"reason": "x"})), ("pay", pay_body("50.00", "B"))]
    {
        let (status, body) = act(&l.url, &a, &id, what, body).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{what}: {body}");
    }
    assert_eq!(state_of(&l, &id).await.0, "at_ledger");
    // Without a session, nothing at all.
    let (status, body) = call("GET", &format!("{}/v1/finance/refunds", l.url), None, None).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHORIZED"));
    let (status, _) = call("GET", &format!("{}/v1/finance/refunds", l.url), Some(&token), None).await;
    assert_eq!(status, 401, "a terminal's token is no finance session");
    l.stop().await;
}

#[tokio::test]
async fn sessions_end_after_thirty_idle_minutes_eight_hours_a_logout_or_when_the_user_is_disabled() {
    let db_url = support::pg::fresh_database_url().await;
    let pool = cashdesk_ledger::db::connect(&db_url, 5).await.unwrap();
    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    let start = DateTime::parse_from_rfc3339("2026-12-07T08:00:00+08:00").unwrap();
    let clock = Clock::manual(start);
    let mut l = Ledger::serve_with_clock(db_url, pool, "127.0.0.1:0".parse().unwrap(), clock.clone()).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance), ("finance2", FinanceRole::Finance)]).await;
    let list = |t: String| {
        let url = format!("{}/v1/finance/refunds", l.url);
        async move { call("GET", &url, Some(&t), None).await.0 }
    };

    let t = login(&l.url, "finance1").await;
    clock.set(start + Duration::minutes(29));
    assert_eq!(list(t.clone()).await, 200);
    clock.set(start + Duration::minutes(29 + 31));
    assert_eq!(list(t.clone()).await, 401, "30 idle minutes end it");

    // Busy all day: still 8 hours at most.
    clock.set(start);
    let t = login(&l.url, "finance1").await;
    for m in (20..480).step_by(20) {
        clock.set(start + Duration::minutes(m));
        assert_eq!(list(t.clone()).await, 200, "minute {m}");
    }
    clock.set(start + Duration::minutes(480));
    assert_eq!(list(t.clone()).await, 401, "8 hours end it");

    let t = login(&l.url, "finance1").await;
    assert_eq!(call("POST", &format!("{}/v1/finance/logout", l.url), Some(&t), None).await.0, 204);
    assert_eq!(list(t).await, 401, "a log-out ends it");

    let t = login(&l.url, "finance2").await;
    users::disable(&l.pool, "cli:test", "finance2", clock.now(), audit::Channel::Cli).await.unwrap();
    assert_eq!(list(t).await, 401, "disabling a user ends their sessions");
    let (status, body) = call(
        "POST",
        &format!("{}/v1/finance/login", l.url),
        None,
        Some(json!({"username": "finance2", "password": PW})),
    )
    .await;
    assert_eq!((status, code(&body)), (401, "AUTH_DISABLED"), "said only after the right password");
    let (status, body) = call(
        "POST",
        &format!("{}/v1/finance/login", l.url),
        None,
        Some(json!({"username": "finance2", "password": "not-the-password"})),
    )
    .await;
    assert_eq!((status, code(&body)), (401, "UNAUTHORIZED"));
    let stored: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ledger_sessions WHERE length(token_hash) = 64")
        .fetch_one(&l.pool)
        .await
        .unwrap();
    assert!(stored.0 >= 4, "only hashes are kept");
    l.stop().await;
}

#[tokio::test]
async fn the_finance_list_filters_counts_and_sums_newest_first() {
    let db_url = support::pg::fresh_database_url().await;
    let pool = cashdesk_ledger::db::connect(&db_url, 5).await.unwrap();
    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    let key = support::ledger::key_for(&db_url);
    let gy01 = support::ledger::area("GY01");
    cashdesk_ledger::import::accounts(&pool, &key, support::ledger::ACCOUNTS_CSV.as_bytes(), Some(&gy01))
        .await
        .unwrap();
    // Today is Monday 2026-12-21: a request still open since 2026-12-04 (Friday) waited 11 working days.
    let clock = Clock::manual(DateTime::parse_from_rfc3339("2026-12-21T09:00:00+08:00").unwrap());
    let mut l = Ledger::serve_with_clock(db_url, pool, "127.0.0.1:0".parse().unwrap(), clock).await;
    add_users(&l.pool, &[("finance1", FinanceRole::Finance)]).await;
    let f1 = login(&l.url, "finance1").await;
    // (terminal, request, amount, submitted at, reason, approved at the hall)
    let requests = [
        ("GY01-01", "A1", "10.00", "2026-12-04T09:00:00+08:00", "overpaid", true),
        ("GY01-01", "A2", "20.00", "2026-12-10T09:00:00+08:00", "duplicate", true),
        ("GY01-02", "A3", "30.00", "2026-12-15T09:00:00+08:00", "overpaid", false),
        ("GY02-01", "B1", "40.00", "2026-12-03T23:30:00+08:00", "closure", true),
        ("GY02-01", "B2", "50.00", "2026-12-18T09:00:00+08:00", "overpaid", true),
    ];
    let mut ids = std::collections::HashMap::new();
    for (i, (terminal, no, amount, at, reason, approved)) in requests.iter().enumerate() {
        let token = l.token_for(terminal).await;
        let mut s = submit("3100000003", amount, no, "cashier1", at);
        s.reason = cashdesk::refunds::Reason::parse(reason).unwrap();
        let seq = 10 * i64::try_from(i).unwrap() + 1;
        let mut events = vec![submit_event(terminal, seq, &s)];
        if *approved {
            events.push(hall_event(terminal, seq + 1, &hall(&s.event_id, "super1", true, None)));
        }
        push(&l.url, &token, &events).await;
        ids.insert(*no, s.event_id);
    }
    // B1 is decided: final requests are never overdue.
    act(&l.url, &f1, &ids["B1"], "reject", json!({"reason": "x"})).await;

    let list = |q: &'static str| {
        let (url, t) = (l.url.clone(), f1.clone());
        async move {
            let (status, body) = call("GET", &format!("{url}/v1/finance/refunds?{q}"), Some(&t), None).await;
            assert_eq!(status, 200, "{q}: {body}");
            let nos: Vec<String> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["request_no"].as_str().unwrap().to_string())
                .collect();
            (nos, body["total"].as_i64().unwrap(), body["total_amount"].as_str().unwrap().to_string())
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(list("").await, (s(&["B2", "A3", "A2", "A1", "B1"]), 5, "150.00".into()), "newest first");
    assert_eq!(list("state=at_ledger").await.0, s(&["B2", "A2", "A1"]));
    assert_eq!(list("area=GY01").await.0, s(&["A3", "A2", "A1"]));
    assert_eq!(list("terminal=GY01-02").await.0, s(&["A3"]));
    assert_eq!(list("area=GY01&state=at_ledger").await, (s(&["A2", "A1"]), 2, "30.00".into()));
    // Dates are the province's: B1 at 23:30 on 12-03 is on 12-03.
    assert_eq!(list("from=2026-12-04&to=2026-12-15").await.0, s(&["A3", "A2", "A1"]));
    assert_eq!(list("to=2026-12-03").await.0, s(&["B1"]));
    assert_eq!(list("min_amount=20.00&max_amount=40.00").await.0, s(&["A3", "A2", "B1"]));
    assert_eq!(list("reason=overpaid").await.0, s(&["B2", "A3", "A1"]));
    assert_eq!(list("overdue=true").await.0, s(&["A1"]), "only A1 is open and 10 working days old");
    assert_eq!(
        list("state=at_ledger&area=GY01&from=2026-12-01&to=2026-12-31&min_amount=5&max_amount=100&overdue=true")
            .await
            .0,
        s(&["A1"])
    );
    let (nos, total, sum) = list("limit=2").await;
    assert_eq!((nos, total, sum), (s(&["B2", "A3"]), 5, "150.00".into()), "a page, and the whole count and total");
    assert_eq!(list("limit=2&offset=4").await.0, s(&["B1"]));
    let (_, body) = call("GET", &format!("{}/v1/finance/refunds", l.url), Some(&f1), None).await;
    let a1 = body["items"].as_array().unwrap().iter().find(|i| i["request_no"] == "A1").unwrap().clone();
    assert_eq!(
        (a1["overdue"].as_bool(), a1["account_name"].as_str()),
        (Some(true), Some("示范市恒通机械制造有限公司"))
    );
    for bad in ["from=2026-02-30", "min_amount=1.234", "state=lost", "from=2026-12-10&to=2026-12-01"] {
        let (status, body) = call("GET", &format!("{}/v1/finance/refunds?{bad}", l.url), Some(&f1), None).await;
        assert_eq!((status, code(&body)), (400, "BAD_REQUEST"), "{bad}: {body}");
    }
    l.stop().await;
}

#[tokio::test]
async fn the_data_key_is_made_once_owner_only_and_a_different_or_missing_key_is_refused() {
    let (_, pool) = support::pg::fresh_database().await;
    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger.datakey");
    let key = datakey::load(&pool, &file).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(datakey::load(&pool, &file).await.unwrap().id(), key.id(), "found again");
    // Another database's key: refused, the file named.
    let other = dir.path().join("other.datakey");
    let fresh = support::pg::fresh_database().await.1;
    cashdesk_ledger::db::migrate(&fresh).await.unwrap();
    datakey::load(&fresh, &other).await.unwrap();
    let e = datakey::load(&pool, &other).await.unwrap_err().to_string();
    assert!(e.contains("other.datakey") && e.contains("does not open"), "{e}");
    std::fs::remove_file(&file).unwrap();
    let e = datakey::load(&pool, &file).await.unwrap_err().to_string();
    assert!(e.contains("ledger.datakey"), "a lost key is not replaced by a new one: {e}");
    assert!(!file.exists());
}

/// `cashdesk-ledger user ...` and `refund ...` as an administrator and a finance user run them.
#[tokio::test]
async fn the_command_line_adds_users_and_does_the_finance_work_through_the_same_rules() {
    let mut l = Ledger::start().await;
    let token = l.token_for(T1).await;
    let id = at_ledger(&l, &token, 1, "3100000003", "120.00", "GY01-01-TF-2026-000001").await;
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
    let (ok, _, err) = run(&["user", "add", "finance9", "--role", "finance", "--display-name", "财务九"], &pw);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["user", "add", "weak1", "--role", "finance"], "1234567890\n");
    assert!(!ok && err.contains("only digits"), "the core's password policy: {err}");
    let (ok, out, _) = run(&["user", "list", "--json"], "");
    assert!(ok && out.contains("finance9") && !out.contains("argon2"), "{out}");

    let (ok, out, err) = run(&["refund", "list", "--user", "finance9", "--state", "at_ledger", "--json"], &pw);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((list["total"].as_i64(), list["total_amount"].as_str()), (Some(1), Some("120.00")));
    let (ok, _, err) = run(&["refund", "approve", &id, "--user", "finance9"], "wrong password\n");
    assert!(!ok && err.contains("wrong user name or password"), "{err}");
    let (ok, out, err) = run(&["refund", "approve", "GY01-01-TF-2026-000001", "--user", "finance9"], &pw);
    assert!(ok && out.contains("approved by finance9"), "{out} {err}");
    let (ok, _, err) = run(
        &["refund", "pay", &id, "--user", "finance9", "--date", &today(), "--ref", "R9", "--amount", "100.00"],
        &pw,
    );
    assert!(!ok && err.contains("the amount approved"), "{err}");
    let (ok, out, err) = run(
        &["refund", "pay", &id, "--user", "finance9", "--date", &today(), "--ref", "R9", "--amount", "120.00"],
        &pw,
    );
    assert!(ok && out.contains("4880.00"), "{out} {err}");
    let (ok, out, _) = run(&["refund", "show", &id, "--user", "finance9"], &pw);
    assert!(ok && out.contains("paid") && out.contains("6222 **** **** 0123") && !out.contains(PAYEE), "{out}");
    assert_eq!(balance(&l, "3100000003").await, "4880.00");
    let (ok, _, _) = run(&["user", "disable", "finance9"], "");
    assert!(ok);
    let (ok, _, err) = run(&["refund", "list", "--user", "finance9"], &pw);
    assert!(!ok && err.contains("disabled"), "{err}");
    // Each command logged in and out: no session stays open.
    assert_eq!(l.count("SELECT COUNT(*) FROM ledger_sessions WHERE ended_at IS NULL").await, 0);
    assert!(audit::verify(&l.pool).await.unwrap() > 0);
    l.stop().await;
}
