//! HTTP API: routes, terminal and finance-user authentication, errors, and the OpenAPI
//! description generated from the handlers and the wire types (`/openapi.json`).
//!
//! Every error answer is a `wire::ApiError` with a stable code and whether a retry may help. A
//! server error (500, 503) says only what to do and a reference: its detail (a database error's
//! text names tables, constraints and values) goes to the log under that reference, never to the
//! client. A request body is limited to `wire::MAX_BODY_BYTES`; a larger one is refused before it
//! is read.
//! Counters use `/v1/enrol`, `/v1/events` and `/v1/changes` with their terminal token; finance
//! users use `/v1/finance/...` with a session token (`finance`). A client address with 10 failed
//! enrolments or terminal-token uses within a minute is answered 429 `TOO_MANY_FAILURES` with
//! `Retry-After` on those endpoints until the minute is over, without a database query (`throttle`). Handlers call one storage
//! function each and write no SQL.

mod finance;

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    Json, Router,
    extract::{
        ConnectInfo, DefaultBodyLimit, FromRef, FromRequestParts, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use cashdesk::{
    datakey::DataKey,
    desk::Clock,
    refunds::RefundError,
    sync::{
        finance as fin,
        wire::{self, ApiError, EnrolRequest, EnrolResponse, PullResponse, PushRequest, PushResponse},
    },
};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::OpenApi;

use crate::{audit_heads, events, pull, terminals, throttle::Throttle};

pub use crate::error::LedgerError;

/// What every handler shares: the database, the ledger's data key (which seals the payees' account
/// numbers a push brings), the clock (the province's date for overdue requests, sessions; a push's
/// arrival) and the settings of the review flags (`events::Review`).
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub key: Arc<DataKey>,
    pub clock: Clock,
    pub review: events::Review,
    /// Failed enrolments and token uses by client address (`throttle`).
    pub failures: Throttle,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`throttle::client_address`).
    pub trusted_proxies: Arc<[IpAddr]>,
}

impl AppState {
    pub fn new(pool: PgPool, key: DataKey) -> AppState {
        AppState {
            pool,
            key: Arc::new(key),
            clock: Clock::System,
            review: events::Review::default(),
            failures: Throttle::default(),
            trusted_proxies: Arc::new([]),
        }
    }

    /// The same, believing these reverse proxies about the client they forward for.
    pub fn with_trusted_proxies(self, proxies: Vec<IpAddr>) -> AppState {
        AppState { trusted_proxies: proxies.into(), ..self }
    }

    /// The same with another limit of failed enrolments and token uses a minute per address (0: none).
    pub fn with_max_failures(self, max: u32) -> AppState {
        AppState { failures: Throttle::new(max), ..self }
    }

    /// The same with other review settings (the configuration's).
    pub fn with_review(self, review: events::Review) -> AppState {
        AppState { review, ..self }
    }

    /// The same with another clock (tests).
    pub fn with_clock(self, clock: Clock) -> AppState {
        AppState { clock, ..self }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("key", &self.key).field("clock", &self.clock).finish_non_exhaustive()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(s: &AppState) -> PgPool {
        s.pool.clone()
    }
}

fn status(e: &LedgerError) -> StatusCode {
    match e {
        LedgerError::BadRequest(_) | LedgerError::Rule(..) => StatusCode::BAD_REQUEST,
        LedgerError::Refund(RefundError::Own { .. }) => StatusCode::FORBIDDEN,
        LedgerError::Refund(_) => StatusCode::BAD_REQUEST,
        LedgerError::Unauthorized(..) => StatusCode::UNAUTHORIZED,
        LedgerError::Forbidden(_) => StatusCode::FORBIDDEN,
        LedgerError::NotFound(_) => StatusCode::NOT_FOUND,
        LedgerError::Conflict(_) => StatusCode::CONFLICT,
        LedgerError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        LedgerError::TooManyFailures(_) => StatusCode::TOO_MANY_REQUESTS,
        LedgerError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        LedgerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a client is told of a server error: never the error's own text (a database error names
/// tables, columns, constraints and values), only what to do and a reference under which the log
/// holds the detail.
fn server_error_message(e: &LedgerError, reference: &str) -> String {
    match e {
        LedgerError::Unavailable(_) => format!(
            "the ledger's database cannot be reached just now: try again in a minute (reference {reference} in the ledger's log)"
        ),
        _ => format!(
            "the ledger could not do this: its administrator finds why in the ledger's log under reference {reference}"
        ),
    }
}

impl IntoResponse for LedgerError {
    fn into_response(self) -> Response {
        let status = status(&self);
        let message = if status.is_server_error() {
            let reference = format!("{:08x}", rand::random::<u32>());
            tracing::error!(error = %self, reference, "request failed");
            server_error_message(&self, &reference)
        } else {
            tracing::warn!(error = %self, "request refused");
            self.to_string()
        };
        let body = ApiError { code: self.code().to_string(), message, retry: self.retry() };
        let mut response = (status, Json(body)).into_response();
        if let LedgerError::TooManyFailures(seconds) = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// The `Authorization: Bearer TOKEN` of a request.
fn bearer<'a>(parts: &'a Parts, what: &str) -> Result<&'a str, LedgerError> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            LedgerError::Unauthorized("UNAUTHORIZED", format!("no {what}: send Authorization: Bearer TOKEN"))
        })
}

/// The client's address, when the server was started with it (`tls::serve_on`): the peer's, or
/// the one a trusted proxy forwards for (`throttle::client_address`).
fn client(parts: &Parts, s: &AppState) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())?;
    let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    Some(crate::throttle::client_address(peer, forwarded, &s.trusted_proxies))
}

/// The client's address, as an extractor (None when the server runs without it, as in a test that
/// calls the router directly).
#[derive(Debug, Clone, Copy)]
struct ClientAddr(Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(client(parts, s)))
    }
}

/// Refuse an address that failed too often (`throttle`), before anything else is done.
fn not_throttled(s: &AppState, addr: Option<IpAddr>) -> Result<(), LedgerError> {
    match addr.map(|a| s.failures.check(a)) {
        Some(Err(wait)) => Err(LedgerError::TooManyFailures(wait.as_secs_f64().ceil() as u64)),
        _ => Ok(()),
    }
}

/// Count a failed enrolment or token use against the client's address.
fn count_failure<T>(s: &AppState, addr: Option<IpAddr>, r: Result<T, LedgerError>) -> Result<T, LedgerError> {
    if let (Err(LedgerError::Unauthorized(..)), Some(addr)) = (&r, addr) {
        s.failures.failed(addr);
    }
    r
}

/// The authenticated terminal of a request (`Authorization: Bearer TOKEN`). An address with too many
/// failed token uses is refused (429) before the token is looked up.
#[derive(Debug, Clone)]
pub struct Terminal(pub String);

impl FromRequestParts<AppState> for Terminal {
    type Rejection = LedgerError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Terminal, LedgerError> {
        let addr = client(parts, s);
        not_throttled(s, addr)?;
        let token = count_failure(s, addr, bearer(parts, "terminal token"))?;
        Ok(Terminal(count_failure(s, addr, terminals::authenticate(&s.pool, token).await)?))
    }
}

/// A JSON body whose rejection is an `ApiError` (400, or 413 when too large).
fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, LedgerError> {
    match r {
        Ok(Json(v)) => Ok(v),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(LedgerError::TooLarge(format!(
            "the request is larger than {} bytes: send fewer events per request",
            wire::MAX_BODY_BYTES
        ))),
        Err(e) => Err(LedgerError::BadRequest(format!("the request body is not valid: {}", e.body_text()))),
    }
}

/// A query string whose rejection is an `ApiError` (400).
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, LedgerError> {
    q.map(|Query(v)| v).map_err(|e| LedgerError::BadRequest(format!("the query is not valid: {}", e.body_text())))
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Cashdesk central ledger",
         description = "Counters push money events and pull accounts, bills, policy, refund decisions and deposit confirmations; finance users review and pay refund requests and confirm deposits in transit."),
    paths(healthz, enrol, push, changes, audit_head, finance::login, finance::logout, finance::list, finance::detail,
          finance::approve, finance::reject, finance::pay, finance::deposits, finance::confirm_deposit),
    components(schemas(
        EnrolRequest, EnrolResponse, PushRequest, PushResponse, wire::AuditHead, wire::AuditMark, wire::AuditHeadHeld, wire::PushEvent, wire::EventResult, wire::Outcome,
        PullResponse, wire::Change, wire::WireAccount, wire::WireBill, wire::PolicyChange, wire::CalendarChange,
        wire::WireRefund, wire::WireDeposit, ApiError, fin::FinanceLogin, fin::FinanceSession, fin::FinanceRole, fin::RefundList,
        fin::RefundSummary, fin::RefundDetail, fin::RefundStep, fin::FinanceDecision, fin::FinanceRejection, fin::Payout,
        cashdesk::refunds::Reason, cashdesk::refunds::State, crate::deposits::DepositList,
        crate::deposits::DepositView, crate::deposits::DepositState, crate::deposits::DepositConfirm
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "terminal_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "finance_session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the token of POST /v1/finance/login"))
                    .build(),
            ),
        );
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/v1/enrol", post(enrol))
        .route("/v1/events", post(push))
        .route("/v1/changes", get(changes))
        .route("/v1/audit-head", get(audit_head))
        .route("/v1/finance/login", post(finance::login))
        .route("/v1/finance/logout", post(finance::logout))
        .route("/v1/finance/refunds", get(finance::list))
        .route("/v1/finance/refunds/{refund_id}", get(finance::detail))
        .route("/v1/finance/refunds/{refund_id}/approve", post(finance::approve))
        .route("/v1/finance/refunds/{refund_id}/reject", post(finance::reject))
        .route("/v1/finance/refunds/{refund_id}/pay", post(finance::pay))
        .route("/v1/finance/deposits", get(finance::deposits))
        .route("/v1/finance/deposits/{deposit_id}/confirm", post(finance::confirm_deposit))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(wire::MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found() -> Response {
    let body =
        ApiError { code: "NOT_FOUND".into(), message: "no such endpoint: see /openapi.json".into(), retry: false };
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Whether the ledger and its database answer.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok"), (status = 503, body = ApiError)))]
async fn healthz(State(pool): State<PgPool>) -> Result<&'static str, LedgerError> {
    sqlx::query("SELECT 1").execute(&pool).await.map_err(|e| LedgerError::Unavailable(e.to_string()))?;
    Ok("ok")
}

/// Exchange a one-time enrolment code for the terminal's token.
#[utoipa::path(post, path = "/v1/enrol", request_body = EnrolRequest,
    responses((status = 200, body = EnrolResponse), (status = 401, body = ApiError), (status = 400, body = ApiError),
              (status = 429, body = ApiError, headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn enrol(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    req: Result<Json<EnrolRequest>, JsonRejection>,
) -> Result<Json<EnrolResponse>, LedgerError> {
    not_throttled(&s, addr)?;
    let req = body(req)?;
    let token = count_failure(&s, addr, terminals::exchange(&s.pool, &req.terminal, &req.code).await)?;
    Ok(Json(EnrolResponse { terminal: req.terminal, token }))
}

/// Push outbox events, in seq order; one result per event. The request may carry the counter's
/// audit chain head (`audit`): the ledger keeps it per terminal, flags for review (a conflict, never
/// a refusal) a head that goes backwards or does not extend the last it saw, and answers the head it
/// holds (`audit_seen`). A push with no events and only the head is how an idle counter sends it.
#[utoipa::path(post, path = "/v1/events", request_body = PushRequest, security(("terminal_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 413, body = ApiError),
              (status = 429, body = ApiError, headers(("Retry-After" = u64, description = "seconds to wait"))),
              (status = 503, body = ApiError)))]
async fn push(
    State(s): State<AppState>,
    Terminal(terminal): Terminal,
    req: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, LedgerError> {
    let req = body(req)?;
    let now = s.clock.now().with_timezone(&chrono::Utc);
    if let Some(a) = &req.audit {
        audit_heads::check(a)?;
    }
    let results = events::push(&s.pool, &s.key, &terminal, &req.events, now, s.review).await?;
    let audit_seen = match &req.audit {
        Some(a) => Some(audit_heads::record(&s.pool, &terminal, a, now).await?),
        None => None,
    };
    Ok(Json(PushResponse { results, audit_seen }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// The cursor of the last page applied (as the last page gave it); empty or absent for the
    /// first pull.
    #[param(pattern = r"^([0-9]{1,19}\.-?[0-9]{1,18})?$")]
    #[serde(default)]
    cursor: String,
    /// Changes per page: 1 to 5000 (default 5000).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<i64>,
}

/// Accounts, bills, policy, calendar years, and this terminal's refund decisions and confirmed
/// deposits, changed after the cursor.
#[utoipa::path(get, path = "/v1/changes", params(ChangesQuery), security(("terminal_token" = [])),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 429, body = ApiError, headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn changes(
    State(pool): State<PgPool>,
    Terminal(terminal): Terminal,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, LedgerError> {
    let q = query(q)?;
    if let Some(limit) = q.limit
        && !(1..=cashdesk::sync::wire::MAX_PAGE).contains(&limit)
    {
        return Err(LedgerError::BadRequest(format!(
            "limit: {limit} changes per page; ask for 1 to {}",
            cashdesk::sync::wire::MAX_PAGE
        )));
    }
    Ok(Json(pull::changes_for(&pool, &terminal, &q.cursor, q.limit).await?))
}

/// The audit chain head the ledger holds for this terminal: the last one a push carried (none
/// before the first). `cashdeskctl audit verify` compares it with the counter's own chain.
#[utoipa::path(get, path = "/v1/audit-head", security(("terminal_token" = [])),
    responses((status = 200, body = wire::AuditHeadHeld), (status = 401, body = ApiError),
              (status = 429, body = ApiError, headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn audit_head(
    State(pool): State<PgPool>,
    Terminal(terminal): Terminal,
) -> Result<Json<wire::AuditHeadHeld>, LedgerError> {
    Ok(Json(audit_heads::held(&pool, &terminal).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_description_covers_every_route_and_wire_type() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for path in [
            "/healthz",
            "/v1/enrol",
            "/v1/events",
            "/v1/changes",
            "/v1/audit-head",
            "/v1/finance/login",
            "/v1/finance/logout",
            "/v1/finance/refunds",
            "/v1/finance/refunds/{refund_id}",
            "/v1/finance/refunds/{refund_id}/approve",
            "/v1/finance/refunds/{refund_id}/reject",
            "/v1/finance/refunds/{refund_id}/pay",
            "/v1/finance/deposits",
            "/v1/finance/deposits/{deposit_id}/confirm",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        for schema in [
            "PushRequest",
            "PushEvent",
            "PushResponse",
            "AuditHead",
            "AuditMark",
            "Outcome",
            "PullResponse",
            "Change",
            "WireBill",
            "WireRefund",
            "ApiError",
            "FinanceLogin",
            "FinanceSession",
            "RefundList",
            "RefundSummary",
            "RefundDetail",
            "RefundStep",
            "FinanceDecision",
            "Payout",
            "WireDeposit",
            "DepositList",
            "DepositView",
            "DepositConfirm",
        ] {
            assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema} missing");
        }
        // Money is a string in the description too.
        assert_eq!(doc["components"]["schemas"]["WireBill"]["properties"]["amount"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["RefundList"]["properties"]["total_amount"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["Payout"]["properties"]["amount"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["WireDeposit"]["properties"]["amount"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["DepositList"]["properties"]["total_amount"]["type"], "string");
        // The list's filters are described as query parameters.
        let params = doc["paths"]["/v1/finance/refunds"]["get"]["parameters"].as_array().unwrap();
        for name in
            ["state", "terminal", "area", "from", "to", "min_amount", "max_amount", "reason", "overdue", "limit"]
        {
            assert!(params.iter().any(|p| p["name"] == name), "filter {name} missing");
        }
        let params = doc["paths"]["/v1/finance/deposits"]["get"]["parameters"].as_array().unwrap();
        for name in ["state", "terminal", "area", "from", "to", "slip_no", "overdue", "limit", "offset"] {
            assert!(params.iter().any(|p| p["name"] == name), "deposit filter {name} missing");
        }
        assert!(doc["components"]["securitySchemes"].get("terminal_token").is_some());
        assert!(doc["components"]["securitySchemes"].get("finance_session").is_some());
    }
}
