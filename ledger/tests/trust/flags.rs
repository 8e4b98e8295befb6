//! Events applied and flagged for review: dated ahead of their arrival or before the terminal's
//! previous event (across pushes), every waiver with its approver, amounts above the policy's maximum.

use cashdesk::sync::wire::{Outcome, PushEvent};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::ledger::{Ledger, push};

/// A transfer to 3100000003, which has no bills: all of it goes to the prepaid balance, as at the
/// counter (so the allocation agrees and only the flag under test is raised).
fn payment(receipt: &str, amount: &str, extra: Value) -> Value {
    let mut p = json!({
        "event_id": uuid::Uuid::now_v7().to_string(), "receipt_no": receipt, "account_no": "3100000003",
        "cashier": "c1", "kind": "payment", "method": "transfer", "amount": amount,
        "lines": [{"amount": amount, "kind": "prepaid", "period": null}], "at": "2026-01-10T10:00:00+08:00"
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

fn event(seq: i64, created_at: &str, payload: &Value) -> PushEvent {
    let text = payload.to_string();
    PushEvent {
        event_id: payload["event_id"].as_str().unwrap().to_string(),
        seq,
        kind: "payment".into(),
        terminal: "GY01-01".into(),
        payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
        payload: text,
        created_at: created_at.into(),
        secret: None,
    }
}

/// The flags of one pushed event (None: applied without one).
async fn flags(ledger: &Ledger, token: &str, e: PushEvent) -> Option<String> {
    let r = push(&ledger.url, token, &[e]).await.results;
    assert_eq!(r[0].outcome == Outcome::Flagged, r[0].flag.is_some(), "{r:?}");
    assert_ne!(r[0].outcome, Outcome::Duplicate);
    r[0].flag.clone()
}

#[tokio::test]
async fn odd_times_waivers_and_large_amounts_are_applied_and_flagged_for_review() {
    let ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let now = chrono::Utc::now();
    let at = |minutes: i64| (now + chrono::Duration::minutes(minutes)).to_rfc3339();

    assert_eq!(flags(&ledger, &token, event(1, &at(-60), &payment("R1", "1.00", json!({})))).await, None);
    // Nine minutes ahead passes (the default allows ten).
    assert_eq!(flags(&ledger, &token, event(2, &at(9), &payment("R2", "1.00", json!({})))).await, None);
    let waived =
        payment("R3", "1.00", json!({"late_fee_waived": "2.00", "waiver_reason": "困难户", "approved_by": "sup1"}));
    assert_eq!(flags(&ledger, &token, event(3, &at(9), &waived)).await.as_deref(), Some("waiver"));
    let big = flags(&ledger, &token, event(4, &at(9), &payment("R4", "100000.01", json!({})))).await;
    assert_eq!(big.as_deref(), Some("amount_above_max"));
    // Fifteen minutes ahead is flagged; then a push dated before it (the terminal's latest event).
    let ahead = flags(&ledger, &token, event(5, &at(15), &payment("R5", "1.00", json!({})))).await;
    assert_eq!(ahead.as_deref(), Some("dated_ahead"));
    let back = flags(&ledger, &token, event(6, &at(5), &payment("R6", "1.00", json!({})))).await;
    assert_eq!(back.as_deref(), Some("dated_backwards"), "compared with what earlier pushes carried");

    let (detail,): (String,) =
        sqlx::query_as("SELECT detail FROM conflicts WHERE kind = 'waiver'").fetch_one(&ledger.pool).await.unwrap();
    assert!(detail.contains("approved by sup1") && detail.contains("困难户"), "the approver for finance: {detail}");
    // Flagged events are applied all the same: every payment is stored and its money counted.
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'payment'").await, 6);
    let (sum,): (String,) =
        sqlx::query_as("SELECT SUM(amount)::text FROM events").fetch_one(&ledger.pool).await.unwrap();
    assert_eq!(sum, "100005.01");
}

/// A counter restored from an older backup numbers its outbox again from the backup's point: the
/// ledger applies what it sends (money was taken) and flags every new event whose seq it has seen,
/// while the events of the backup sent again are plain duplicates.
#[tokio::test]
async fn a_counter_numbering_its_events_again_after_a_restore_is_flagged() {
    let ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let at = chrono::Utc::now().to_rfc3339();
    let before = [event(1, &at, &payment("R1", "1.00", json!({})))];
    let lost = [event(2, &at, &payment("R2", "2.00", json!({}))), event(3, &at, &payment("R3", "3.00", json!({})))];
    assert!(push(&ledger.url, &token, &before).await.results.iter().all(|r| r.outcome == Outcome::Applied));
    assert!(push(&ledger.url, &token, &lost).await.results.iter().all(|r| r.outcome == Outcome::Applied));

    // Restored to a backup holding only seq 1: it sends seq 1 again (a duplicate), then new events
    // numbered 2 and 4 (a new receipt R2 reuses the lost one's number too).
    let again = push(&ledger.url, &token, &before).await.results;
    assert_eq!(again[0].outcome, Outcome::Duplicate);
    let renumbered = [event(2, &at, &payment("R2", "5.00", json!({})))];
    let r = push(&ledger.url, &token, &renumbered).await.results;
    assert_eq!(r[0].outcome, Outcome::Flagged);
    let kinds: Vec<(String,)> = sqlx::query_as("SELECT kind FROM conflicts WHERE event_id = $1 ORDER BY kind")
        .bind(uuid::Uuid::parse_str(&renumbered[0].event_id).unwrap())
        .fetch_all(&ledger.pool)
        .await
        .unwrap();
    let kinds: Vec<&str> = kinds.iter().map(|(k,)| k.as_str()).collect();
    assert_eq!(kinds, ["receipt_reused", "seq_reused"]);
    assert_eq!(
        flags(&ledger, &token, event(4, &at, &payment("R4", "1.00", json!({})))).await,
        None,
        "past the highest seq: ordinary again"
    );
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'payment'").await, 5, "applied all the same");
}
