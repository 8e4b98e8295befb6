//! Refund requests as a counter pushes them (built with the wire types, the payee's whole account
//! number as the event's secret), ledger users, and the finance API over HTTP.

use cashdesk::{
    refunds::{Reason, mask_account},
    sync::{
        finance::FinanceRole,
        wire::{self, Event, PushEvent},
    },
};
use cashdesk_ledger::{audit::Channel, users};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::ledger::http;

/// Every test user's password.
pub const PW: &str = "Ledger#2026-finance";

/// The payee's account number of the test requests (its mask: `6222 **** **** 0123`).
pub const PAYEE: &str = "6222021234567890123";

/// An event as a counter pushes it: the payload is the contract's own text.
pub fn pushed(terminal: &str, seq: i64, event: &Event, secret: Option<&str>) -> PushEvent {
    let payload = event.payload();
    PushEvent {
        event_id: event.event_id().to_string(),
        seq,
        kind: event.kind().as_str().to_string(),
        terminal: terminal.into(),
        payload_sha256: hex::encode(Sha256::digest(payload.as_bytes())),
        payload,
        created_at: "2026-12-01T10:00:00+08:00".into(),
        secret: secret.map(str::to_string),
    }
}

/// A request submitted by `by` at `at` (RFC 3339).
pub fn submit(account_no: &str, amount: &str, request_no: &str, by: &str, at: &str) -> wire::RefundSubmit {
    wire::RefundSubmit {
        account_no: account_no.into(),
        amount: cashdesk::money::Yuan::parse(amount).unwrap(),
        at: at.into(),
        docs: wire::RefundDocs { closure_form: false, id_card: true, original_receipt: true },
        duplicate_of: None,
        event_id: Uuid::now_v7().to_string(),
        payee_account_masked: mask_account(PAYEE),
        payee_bank: "102".into(),
        payee_branch: "工行示范市城关支行".into(),
        payee_name: "示范市恒通机械制造有限公司".into(),
        payee_reason: None,
        reason: Reason::Overpaid,
        reason_text: None,
        request_no: request_no.into(),
        submitted_by: by.into(),
    }
}

/// The hall's decision on `refund_id` by `by`.
pub fn hall(refund_id: &str, by: &str, approved: bool, reason: Option<&str>) -> wire::RefundHall {
    wire::RefundHall {
        at: "2026-12-01T11:00:00+08:00".into(),
        by: by.into(),
        decision: if approved { wire::HallDecision::Approved } else { wire::HallDecision::Rejected },
        event_id: Uuid::now_v7().to_string(),
        reason: reason.map(str::to_string),
        refund_id: refund_id.into(),
    }
}

/// The submission pushed with the payee's number as its secret.
pub fn submit_event(terminal: &str, seq: i64, s: &wire::RefundSubmit) -> PushEvent {
    pushed(terminal, seq, &Event::RefundSubmit(s.clone()), Some(PAYEE))
}

pub fn hall_event(terminal: &str, seq: i64, h: &wire::RefundHall) -> PushEvent {
    pushed(terminal, seq, &Event::RefundHall(h.clone()), None)
}

/// Add ledger users (password [`PW`]).
pub async fn add_users(pool: &PgPool, users: &[(&str, FinanceRole)]) {
    for (name, role) in users {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:00:00+08:00").unwrap();
        users::add(pool, "cli:test", name, None, *role, PW, now, Channel::Cli).await.unwrap();
    }
}

/// A request to the finance API: its status and body (JSON, or null).
pub async fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let client = http();
    let mut r = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Log `name` in; the session token.
pub async fn login(url: &str, name: &str) -> String {
    let (status, body) = call(
        "POST",
        &format!("{url}/v1/finance/login"),
        None,
        Some(serde_json::json!({"username": name, "password": PW})),
    )
    .await;
    assert_eq!(status, 200, "{name} logs in: {body}");
    body["token"].as_str().unwrap().to_string()
}

/// POST a decision (`approve`, `reject`, `pay`) on a request.
pub async fn act(url: &str, token: &str, id: &str, what: &str, body: Value) -> (u16, Value) {
    call("POST", &format!("{url}/v1/finance/refunds/{id}/{what}"), Some(token), Some(body)).await
}

/// GET a request's detail.
pub async fn detail(url: &str, token: &str, id: &str) -> (u16, Value) {
    call("GET", &format!("{url}/v1/finance/refunds/{id}"), Some(token), None).await
}
