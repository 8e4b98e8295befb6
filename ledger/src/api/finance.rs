//! 财务复核接口: the finance API (`cashdesk::sync::finance`; deposits: `deposits`), for finance
//! users' sessions. Each handler authenticates the session, calls one function of `sessions`,
//! `refunds` or `deposits`, and answers.

use axum::extract::{Path, rejection::PathRejection};
use chrono::NaiveDate;

use super::*;
use crate::{
    audit::Channel,
    deposits::{self, DepositConfirm, DepositList, DepositQuery, DepositView},
    refunds::{self, china},
    sessions::{self, Reviewer},
};

/// The finance user of a request (`Authorization: Bearer SESSION_TOKEN`), and the token (to end
/// the session at log-out).
#[derive(Debug, Clone)]
pub(super) struct Finance {
    who: Reviewer,
    token: String,
}

impl FromRequestParts<AppState> for Finance {
    type Rejection = LedgerError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Finance, LedgerError> {
        let token = bearer(parts, "finance session: log in first (POST /v1/finance/login)")?.to_string();
        let who = sessions::authenticate(&s.pool, &token, s.clock.now()).await?;
        Ok(Finance { who, token })
    }
}

/// The province's date now (for overdue requests).
fn today(s: &AppState) -> NaiveDate {
    s.clock.now().with_timezone(&china()).date_naive()
}

fn refund_id(p: Result<Path<String>, PathRejection>) -> Result<String, LedgerError> {
    p.map(|Path(id)| id)
        .map_err(|e| LedgerError::BadRequest(format!("the request's id is not valid: {}", e.body_text())))
}

/// Log in with a ledger user's name and password: a session token (8 hours at most, 30 idle
/// minutes). Five wrong passwords in a row lock the user for 15 minutes; the answer never says
/// whether the name exists or is locked.
#[utoipa::path(post, path = "/v1/finance/login", request_body = fin::FinanceLogin,
    responses((status = 200, body = fin::FinanceSession), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub(super) async fn login(
    State(s): State<AppState>,
    req: Result<Json<fin::FinanceLogin>, JsonRejection>,
) -> Result<Json<fin::FinanceSession>, LedgerError> {
    let req = body(req)?;
    Ok(Json(sessions::login(&s.pool, &req.username, &req.password, s.clock.now(), Channel::Api).await?))
}

/// End the session.
#[utoipa::path(post, path = "/v1/finance/logout", security(("finance_session" = [])),
    responses((status = 204, description = "the session has ended"), (status = 401, body = ApiError)))]
pub(super) async fn logout(State(s): State<AppState>, f: Finance) -> Result<StatusCode, LedgerError> {
    sessions::logout(&s.pool, &f.token, s.clock.now(), Channel::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refund requests from every counter, newest first, with how many match and their total.
#[utoipa::path(get, path = "/v1/finance/refunds", params(fin::RefundQuery), security(("finance_session" = [])),
    responses((status = 200, body = fin::RefundList), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub(super) async fn list(
    State(s): State<AppState>,
    _f: Finance,
    q: Result<Query<fin::RefundQuery>, QueryRejection>,
) -> Result<Json<fin::RefundList>, LedgerError> {
    let q = query(q)?;
    Ok(Json(refunds::list(&s.pool, &q, today(&s)).await?))
}

/// One request with everything the counter sent and its whole history (`refund_id`: the request's
/// id, or its request number).
#[utoipa::path(get, path = "/v1/finance/refunds/{refund_id}", security(("finance_session" = [])),
    params(("refund_id" = String, Path, description = "the request's id (UUID) or request number")),
    responses((status = 200, body = fin::RefundDetail), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
pub(super) async fn detail(
    State(s): State<AppState>,
    _f: Finance,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<fin::RefundDetail>, LedgerError> {
    Ok(Json(refunds::detail(&s.pool, &refund_id(id)?, today(&s)).await?))
}

/// 复核通过: approve a request waiting at the ledger. 409 when another reviewer acted first
/// (the message says who did what, when); 403 for an auditor or one's own request.
#[utoipa::path(post, path = "/v1/finance/refunds/{refund_id}/approve", request_body = fin::FinanceDecision,
    security(("finance_session" = [])),
    params(("refund_id" = String, Path, description = "the request's id (UUID) or request number")),
    responses((status = 200, body = fin::RefundDetail), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn approve(
    State(s): State<AppState>,
    f: Finance,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<fin::FinanceDecision>, JsonRejection>,
) -> Result<Json<fin::RefundDetail>, LedgerError> {
    let (id, req) = (refund_id(id)?, body(req)?);
    Ok(Json(refunds::decide(&s.pool, &f.who, &id, true, &req, s.clock.now(), Channel::Api).await?))
}

/// 复核驳回: reject a request waiting at the ledger, with the reason (which releases its hold).
#[utoipa::path(post, path = "/v1/finance/refunds/{refund_id}/reject", request_body = fin::FinanceRejection,
    security(("finance_session" = [])),
    params(("refund_id" = String, Path, description = "the request's id (UUID) or request number")),
    responses((status = 200, body = fin::RefundDetail), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn reject(
    State(s): State<AppState>,
    f: Finance,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<fin::FinanceDecision>, JsonRejection>,
) -> Result<Json<fin::RefundDetail>, LedgerError> {
    let (id, req) = (refund_id(id)?, body(req)?);
    Ok(Json(refunds::decide(&s.pool, &f.who, &id, false, &req, s.clock.now(), Channel::Api).await?))
}

/// 付款: record the payout of an approved request (date, bank reference, the amount paid, which
/// must be the amount approved). The account's balance at the centre falls by it.
#[utoipa::path(post, path = "/v1/finance/refunds/{refund_id}/pay", request_body = fin::Payout,
    security(("finance_session" = [])),
    params(("refund_id" = String, Path, description = "the request's id (UUID) or request number")),
    responses((status = 200, body = fin::RefundDetail), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn pay(
    State(s): State<AppState>,
    f: Finance,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<fin::Payout>, JsonRejection>,
) -> Result<Json<fin::RefundDetail>, LedgerError> {
    let (id, req) = (refund_id(id)?, body(req)?);
    Ok(Json(refunds::pay(&s.pool, &f.who, &id, &req, s.clock.now(), Channel::Api).await?))
}

/// 解款: deposits from every counter, newest first, with how many match and their total (in transit
/// until the centre confirms the bank has them).
#[utoipa::path(get, path = "/v1/finance/deposits", params(DepositQuery), security(("finance_session" = [])),
    responses((status = 200, body = DepositList), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub(super) async fn deposits(
    State(s): State<AppState>,
    _f: Finance,
    q: Result<Query<DepositQuery>, QueryRejection>,
) -> Result<Json<DepositList>, LedgerError> {
    let q = query(q)?;
    Ok(Json(deposits::list(&s.pool, &q, today(&s)).await?))
}

/// 确认到账: confirm a deposit in transit with the bank's reference and the amount the bank
/// credited, which must be the deposit's (`DEPOSIT_AMOUNT`). 409 when it is confirmed already (the
/// message says by whom, when); 403 for an auditor. The counter that made it is told with its pull.
#[utoipa::path(post, path = "/v1/finance/deposits/{deposit_id}/confirm", request_body = DepositConfirm,
    security(("finance_session" = [])),
    params(("deposit_id" = String, Path, description = "the deposit event's id (UUID), or its bank slip number when that names one deposit")),
    responses((status = 200, body = DepositView), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn confirm_deposit(
    State(s): State<AppState>,
    f: Finance,
    id: Result<Path<String>, PathRejection>,
    req: Result<Json<DepositConfirm>, JsonRejection>,
) -> Result<Json<DepositView>, LedgerError> {
    let id = id
        .map(|Path(id)| id)
        .map_err(|e| LedgerError::BadRequest(format!("the deposit's id is not valid: {}", e.body_text())))?;
    let req = body(req)?;
    Ok(Json(deposits::confirm(&s.pool, &f.who, &id, &req, s.clock.now(), Channel::Api).await?))
}
