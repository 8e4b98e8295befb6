//! A void reverses only a payment of the same terminal with the same amount and receipt number;
//! a receipt number is claimed once per terminal, and a second claim is flagged, never a 500.

use cashdesk::sync::wire::{Outcome, PushEvent};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::ledger::{Ledger, cash, counter, push, push_raw};

/// An event of `terminal` with the payload `payload` (its event id is the payload's).
fn event(terminal: &str, seq: i64, kind: &str, payload: &Value) -> PushEvent {
    let text = payload.to_string();
    PushEvent {
        event_id: payload["event_id"].as_str().unwrap().to_string(),
        seq,
        kind: kind.into(),
        terminal: terminal.into(),
        payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
        payload: text,
        created_at: "2026-01-10T10:05:00+08:00".into(),
        secret: None,
    }
}

/// A void of `payment` (a payment event's payload) for `amount` and `receipt`.
fn void_of(payment: &Value, amount: &str, receipt: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7().to_string(), "voids_event_id": payment["event_id"], "receipt_no": receipt,
        "amount": amount, "reason": "customer changed their mind", "approved_by": "sup1", "cashier": "c1",
        "at": "2026-01-10T10:05:00+08:00"
    })
}

async fn paid(ledger: &Ledger, no: &str) -> String {
    let (paid,): (String,) = sqlx::query_as(
        "SELECT SUM(b.paid)::text FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.account_no = $1",
    )
    .bind(no)
    .fetch_one(&ledger.pool)
    .await
    .unwrap();
    paid
}

#[tokio::test]
async fn a_void_reverses_only_its_own_terminals_payment_of_that_amount_and_receipt() {
    let ledger = Ledger::start().await;
    let (t1, t2) = (ledger.token_for("GY01-01").await, ledger.token_for("GY01-02").await);
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    let receipt = c.desk.collect(cash(&c.cashier, "3100000001", "158.49")).await.unwrap().receipt_no;
    let events = c.outbox(true).await;
    let results = push(&ledger.url, &t1, &events).await.results;
    assert!(results.iter().all(|r| r.outcome == Outcome::Applied), "{results:?}");
    let before = paid(&ledger, "3100000001").await;
    let payment: Value = serde_json::from_str(&events.iter().find(|e| e.kind == "payment").unwrap().payload).unwrap();

    // Another terminal, the right amount and receipt; the right terminal with another amount or
    // another receipt: each stored, flagged, and nothing reversed.
    let forged = [
        (&t2, "GY01-02", void_of(&payment, "158.49", &receipt)),
        (&t1, "GY01-01", void_of(&payment, "100.00", &receipt)),
        (&t1, "GY01-01", void_of(&payment, "158.49", "GY01-01-2026-999999")),
    ];
    for (seq, (token, terminal, payload)) in (100i64..).zip(forged) {
        let r = push(&ledger.url, token, &[event(terminal, seq, "void", &payload)]).await.results;
        assert_eq!(r[0].outcome, Outcome::Flagged, "{terminal} {payload}: {r:?}");
        assert_eq!(r[0].flag.as_deref(), Some("void_mismatch"));
        assert_eq!(paid(&ledger, "3100000001").await, before, "nothing reversed by {payload}");
    }
    assert_eq!(ledger.count("SELECT COUNT(*) FROM voids").await, 0);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM conflicts WHERE kind = 'void_mismatch'").await, 3);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'void' AND outcome = 'flagged'").await, 3);

    // The terminal's own void of its payment, amount and receipt reverses it.
    let own = void_of(&payment, "158.49", &receipt);
    let r = push(&ledger.url, &t1, &[event("GY01-01", 200, "void", &own)]).await.results;
    assert_eq!(r[0].outcome, Outcome::Applied, "{r:?}");
    assert_eq!(ledger.count("SELECT COUNT(*) FROM voids").await, 1);
    assert_ne!(paid(&ledger, "3100000001").await, before, "reversed");
}

#[tokio::test]
async fn a_receipt_number_used_twice_by_a_terminal_is_flagged_and_the_money_kept() {
    let ledger = Ledger::start().await;
    let t1 = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    c.desk.collect(cash(&c.cashier, "3100000002", "10.00")).await.unwrap();
    let events = c.outbox(true).await;
    push(&ledger.url, &t1, &events).await;
    let first = events.iter().find(|e| e.kind == "payment").unwrap();
    let mut again: Value = serde_json::from_str(&first.payload).unwrap();
    again["event_id"] = uuid::Uuid::now_v7().to_string().into();
    // Twice more with the same receipt: once in its own batch, once twice in one batch.
    let (status, body) = push_raw(&ledger.url, &t1, &[event("GY01-01", 100, "payment", &again)]).await;
    assert_eq!(status, 200, "never a server error: {body}");
    assert_eq!(body["results"][0]["outcome"], "flagged", "{body}");
    assert_eq!(body["results"][0]["flag"], "receipt_reused", "{body}");
    let mut third = again.clone();
    third["event_id"] = uuid::Uuid::now_v7().to_string().into();
    let mut other = again.clone();
    other["event_id"] = uuid::Uuid::now_v7().to_string().into();
    other["receipt_no"] = "GY01-01-2026-777777".into();
    let r =
        push(&ledger.url, &t1, &[event("GY01-01", 101, "payment", &other), event("GY01-01", 102, "payment", &third)])
            .await
            .results;
    assert_eq!(r[0].outcome, Outcome::Applied, "a new receipt number: {r:?}");
    assert_eq!(r[1].flag.as_deref(), Some("receipt_reused"), "{r:?}");
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'payment'").await, 4, "all the money stored");
    assert_eq!(
        ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'payment' AND receipt_no IS NOT NULL").await,
        2,
        "each number claimed once"
    );
    // Another terminal may print the same number (receipt numbers are per terminal).
    let t2 = ledger.token_for("GY01-02").await;
    let mut elsewhere = again.clone();
    elsewhere["event_id"] = uuid::Uuid::now_v7().to_string().into();
    let r = push(&ledger.url, &t2, &[event("GY01-02", 1, "payment", &elsewhere)]).await.results;
    assert_eq!(r[0].outcome, Outcome::Applied, "{r:?}");
}
