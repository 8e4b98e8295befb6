//! A tiny in-test ledger implementing the wire contract minimally (enrol, push with exactly-once by
//! event id and payload hash, paged pull), with switches to misbehave. This is acceptable here: these
//! tests are about the counter's engine (what it marks, when it retries, what it applies). The real
//! ledger, against the real PostgreSQL, is tested in `ledger/tests`, which also drives this engine.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use cashdesk::sync::wire::{
    ApiError, AuditHead, Change, EnrolRequest, EnrolResponse, EventResult, MAX_BATCH, Outcome, PullResponse, PushEvent,
    PushRequest, PushResponse,
};

pub const CODE: &str = "ENROL-123456";
pub const TOKEN: &str = "tok_0123456789abcdef_SECRET_ledger_token";

#[derive(Default)]
pub struct Ledger {
    /// event id → payload hash
    pub seen: HashMap<String, String>,
    /// Every event stored, in the order received.
    pub stored: Vec<PushEvent>,
    /// The size of every push request received.
    pub batches: Vec<usize>,
    /// Events to flag when first seen.
    pub flag: HashSet<String>,
    /// The next N pushes answer 503 without storing.
    pub unavailable: u32,
    /// The next N pushes store and apply, then answer 500 (the reply is lost).
    pub lose_reply: u32,
    /// The next push answers its results in reverse order.
    pub scramble: bool,
    /// The changes served by pull; the cursor is an index into it.
    pub changes: Vec<Change>,
    /// Tokens refused as revoked.
    pub revoked: bool,
    /// Every audit chain head received, in order; the reply acknowledges each one.
    pub audits: Vec<AuditHead>,
}

pub type Shared = Arc<Mutex<Ledger>>;

fn error(status: StatusCode, code: &str, message: &str, retry: bool) -> Response {
    (status, Json(ApiError { code: code.into(), message: message.into(), retry })).into_response()
}

/// `None` when the bearer token is good, else the refusal to send.
fn refused(l: &Ledger, headers: &HeaderMap) -> Option<Response> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(TOKEN) if l.revoked => {
            Some(error(StatusCode::UNAUTHORIZED, "TOKEN_REVOKED", "this token is revoked", false))
        }
        Some(TOKEN) => None,
        _ => Some(error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "no valid token", false)),
    }
}

async fn enrol(Json(req): Json<EnrolRequest>) -> Response {
    if req.code != CODE {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unknown or used enrolment code", false);
    }
    Json(EnrolResponse { terminal: req.terminal, token: TOKEN.into() }).into_response()
}

async fn events(State(s): State<Shared>, headers: HeaderMap, Json(req): Json<PushRequest>) -> Response {
    let mut l = s.lock().unwrap();
    if let Some(r) = refused(&l, &headers) {
        return r;
    }
    if req.events.len() > MAX_BATCH {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE", "too many events", false);
    }
    l.batches.push(req.events.len());
    if l.unavailable > 0 {
        l.unavailable -= 1;
        return error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "restarting", true);
    }
    let mut results = Vec::new();
    for e in req.events {
        let outcome = match l.seen.get(&e.event_id) {
            Some(h) if *h == e.payload_sha256 => (Outcome::Duplicate, None),
            Some(_) => (Outcome::Flagged, Some("the same id with a different payload".to_string())),
            None => {
                l.seen.insert(e.event_id.clone(), e.payload_sha256.clone());
                let flagged = l.flag.contains(&e.event_id);
                l.stored.push(e.clone());
                if flagged {
                    (Outcome::Flagged, Some("account closed centrally: to suspense".into()))
                } else {
                    (Outcome::Applied, None)
                }
            }
        };
        results.push(EventResult { event_id: e.event_id, outcome: outcome.0, flag: outcome.1 });
    }
    let audit_seen = req.audit.as_ref().map(|a| a.head.clone());
    l.audits.extend(req.audit);
    if l.lose_reply > 0 {
        l.lose_reply -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "connection lost").into_response();
    }
    if std::mem::take(&mut l.scramble) {
        results.reverse();
    }
    Json(PushResponse { results, audit_seen }).into_response()
}

async fn changes(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let l = s.lock().unwrap();
    if let Some(r) = refused(&l, &headers) {
        return r;
    }
    let from: usize = match q.get("cursor").map(String::as_str) {
        None | Some("") => 0,
        Some(c) => match c.strip_prefix("c").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "bad cursor", false),
        },
    };
    let limit: usize = q.get("limit").and_then(|n| n.parse().ok()).unwrap_or(5000);
    let to = (from + limit).min(l.changes.len());
    let page = l.changes.get(from..to).unwrap_or_default().to_vec();
    Json(PullResponse { changes: page, cursor: format!("c{to}"), more: to < l.changes.len() }).into_response()
}

/// Start a fake ledger on a free loopback port; returns its URL and its state.
pub async fn start() -> (String, Shared) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/enrol", post(enrol))
        .route("/v1/events", post(events))
        .route("/v1/changes", get(changes))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}
