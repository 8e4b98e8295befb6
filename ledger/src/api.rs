//! HTTP API: routes, terminal authentication, errors, and the OpenAPI description generated from
//! the handlers and the wire types (`/openapi.json`).
//!
//! Every error answer is a `wire::ApiError` with a stable code and whether a retry may help. A
//! request body is limited to `wire::MAX_BODY_BYTES`; a larger one is refused before it is read.

use axum::{
    Json, Router,
    extract::{
        DefaultBodyLimit, FromRequestParts, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use cashdesk::sync::wire::{self, ApiError, EnrolRequest, EnrolResponse, PullResponse, PushRequest, PushResponse};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::OpenApi;

use crate::{events, pull, terminals};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{1}")]
    Unauthorized(&'static str, String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> LedgerError {
        match e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                LedgerError::Unavailable(e.to_string())
            }
            other => LedgerError::Internal(format!("database error: {other}")),
        }
    }
}

impl LedgerError {
    fn parts(&self) -> (StatusCode, &'static str, bool) {
        match self {
            LedgerError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", false),
            LedgerError::Unauthorized(code, _) => (StatusCode::UNAUTHORIZED, code, false),
            LedgerError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN", false),
            LedgerError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE", false),
            LedgerError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", true),
            LedgerError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", true),
        }
    }
}

impl IntoResponse for LedgerError {
    fn into_response(self) -> Response {
        let (status, code, retry) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::warn!(error = %self, "request refused");
        }
        (status, Json(ApiError { code: code.to_string(), message: self.to_string(), retry })).into_response()
    }
}

/// The authenticated terminal of a request (`Authorization: Bearer TOKEN`).
#[derive(Debug, Clone)]
pub struct Terminal(pub String);

impl FromRequestParts<PgPool> for Terminal {
    type Rejection = LedgerError;

    async fn from_request_parts(parts: &mut Parts, pool: &PgPool) -> Result<Terminal, LedgerError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                LedgerError::Unauthorized("UNAUTHORIZED", "no terminal token: send Authorization: Bearer TOKEN".into())
            })?;
        Ok(Terminal(terminals::authenticate(pool, token).await?))
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

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Cashdesk central ledger", description = "Counters push money events and pull accounts, bills and policy."),
    paths(healthz, enrol, push, changes),
    components(schemas(
        EnrolRequest, EnrolResponse, PushRequest, PushResponse, wire::PushEvent, wire::EventResult, wire::Outcome,
        PullResponse, wire::Change, wire::WireAccount, wire::WireBill, wire::PolicyChange, wire::CalendarChange, ApiError
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
    }
}

/// The HTTP routes.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/v1/enrol", post(enrol))
        .route("/v1/events", post(push))
        .route("/v1/changes", get(changes))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(wire::MAX_BODY_BYTES))
        .with_state(pool)
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
    responses((status = 200, body = EnrolResponse), (status = 401, body = ApiError), (status = 400, body = ApiError)))]
async fn enrol(
    State(pool): State<PgPool>,
    req: Result<Json<EnrolRequest>, JsonRejection>,
) -> Result<Json<EnrolResponse>, LedgerError> {
    let req = body(req)?;
    let token = terminals::exchange(&pool, &req.terminal, &req.code).await?;
    Ok(Json(EnrolResponse { terminal: req.terminal, token }))
}

/// Push outbox events, in seq order; one result per event.
#[utoipa::path(post, path = "/v1/events", request_body = PushRequest, security(("terminal_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 413, body = ApiError), (status = 503, body = ApiError)))]
async fn push(
    State(pool): State<PgPool>,
    Terminal(terminal): Terminal,
    req: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, LedgerError> {
    let req = body(req)?;
    let results = events::push(&pool, &terminal, &req.events).await?;
    Ok(Json(PushResponse { results }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ChangesQuery {
    /// The cursor of the last page applied; empty or absent for the first pull.
    #[serde(default)]
    cursor: String,
    /// Changes per page (at most 5000).
    limit: Option<i64>,
}

/// Accounts, bills, policy and calendar years changed after the cursor.
#[utoipa::path(get, path = "/v1/changes", params(ChangesQuery), security(("terminal_token" = [])),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn changes(
    State(pool): State<PgPool>,
    Terminal(_terminal): Terminal,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, LedgerError> {
    let Query(q) = q.map_err(|e| LedgerError::BadRequest(format!("the query is not valid: {}", e.body_text())))?;
    Ok(Json(pull::changes(&pool, &q.cursor, q.limit).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_description_covers_every_route_and_wire_type() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for path in ["/healthz", "/v1/enrol", "/v1/events", "/v1/changes"] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        for schema in
            ["PushRequest", "PushEvent", "PushResponse", "Outcome", "PullResponse", "Change", "WireBill", "ApiError"]
        {
            assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema} missing");
        }
        // Money is a string in the description too.
        assert_eq!(doc["components"]["schemas"]["WireBill"]["properties"]["amount"]["type"], "string");
        assert!(doc["components"]["securitySchemes"].get("terminal_token").is_some());
    }
}
