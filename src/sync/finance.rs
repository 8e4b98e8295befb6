//! 财务复核接口: the JSON of the ledger's finance API, shared by the ledger (which serves it) and
//! the desktop app's finance view (which calls it through the core). Finance staff are users of the
//! ledger, not of a counter: they log in to the ledger with their own password and get a
//! short-lived session token, sent as `Authorization: Bearer TOKEN` on every other call.
//!
//! - `POST /v1/finance/login` [`FinanceLogin`] → [`FinanceSession`]
//! - `POST /v1/finance/logout` → 204
//! - `GET /v1/finance/refunds?` [`RefundQuery`] → [`RefundList`] (newest first)
//! - `GET /v1/finance/refunds/{refund_id}` → [`RefundDetail`]
//! - `POST /v1/finance/refunds/{refund_id}/approve` [`FinanceDecision`] → [`RefundDetail`]
//! - `POST /v1/finance/refunds/{refund_id}/reject` [`FinanceDecision`] (a reason) → [`RefundDetail`]
//! - `POST /v1/finance/refunds/{refund_id}/pay` [`Payout`] → [`RefundDetail`]
//!
//! Errors are the ledger's `ApiError`: `UNAUTHORIZED` (no or expired session, wrong password —
//! never telling which), `FORBIDDEN` (the role, or one's own request: `REFUND_OWN`), `CONFLICT`
//! (another reviewer acted first: the message names who did what, and when), `BAD_REQUEST`
//! (`REFUND_STATE`, `REFUND_PAYOUT_AMOUNT`, bad input), `NOT_FOUND`.

use serde::{Deserialize, Serialize};

use crate::{
    money::Yuan,
    refunds::{Reason, State},
};

/// A ledger user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinanceRole {
    /// 财务复核: reviews and pays refunds.
    Finance,
    /// 审计: reads everything, changes nothing.
    Auditor,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinanceLogin {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for FinanceLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinanceLogin").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct FinanceSession {
    /// The session token: only a hash is kept at the ledger.
    pub token: String,
    pub username: String,
    pub display_name: String,
    pub role: FinanceRole,
    /// RFC 3339: the session ends then (or after 30 idle minutes, whichever comes first).
    pub expires_at: String,
}

impl std::fmt::Debug for FinanceSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinanceSession")
            .field("token", &"<redacted>")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The finance list's filters (a query string; every one optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundQuery {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Exactly this terminal.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
    /// The terminals of an area: the part of their code before the first `-` (`GY01` of `GY01-03`).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Submitted on or after (`YYYY-MM-DD`).
    #[ts(optional)]
    #[param(format = Date)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Submitted on or before (`YYYY-MM-DD`).
    #[ts(optional)]
    #[param(format = Date)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// At least this amount (e.g. `100.00`).
    #[ts(optional)]
    #[param(pattern = r"^([0-9]{1,12}(\.[0-9]{1,2})?)?$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<String>,
    /// At most this amount.
    #[ts(optional)]
    #[param(pattern = r"^([0-9]{1,12}(\.[0-9]{1,2})?)?$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Only the requests waiting longer than the policy's working days.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// Rows per page: 1 to 500 (default 100).
    #[ts(optional)]
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows skipped: at most 1,000,000.
    #[ts(optional)]
    #[param(minimum = 0, maximum = 1000000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// A request in the finance list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RefundSummary {
    pub refund_id: String,
    pub request_no: String,
    pub terminal: String,
    pub account_no: String,
    pub account_name: String,
    #[schema(value_type = String)]
    pub amount: Yuan,
    #[schema(value_type = String)]
    pub reason: Reason,
    #[schema(value_type = String)]
    pub state: State,
    /// RFC 3339.
    pub submitted_at: String,
    pub submitted_by: String,
    pub payee_name: String,
    /// `6222 **** **** 1234`: the whole number is only on the signed application form.
    pub payee_account_masked: String,
    /// Waiting longer than the policy's working days (default 10) and not final.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RefundList {
    pub items: Vec<RefundSummary>,
    /// How many match the filters (all pages).
    #[ts(type = "number")]
    pub total: i64,
    /// Their amounts added up.
    #[schema(value_type = String)]
    pub total_amount: Yuan,
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RefundStep {
    /// RFC 3339.
    pub at: String,
    /// Who (a counter's user name, or a ledger user's).
    pub actor: String,
    /// `submit`, `hall_approve`, `hall_reject`, `receive`, `finance_approve`, `finance_reject`, `pay`, `flag`.
    pub step: String,
    #[schema(value_type = String)]
    pub state: State,
    pub note: Option<String>,
}

/// A request with everything the counter sent and its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RefundDetail {
    pub summary: RefundSummary,
    pub reason_text: Option<String>,
    pub payee_bank: String,
    pub payee_branch: String,
    pub payee_reason: Option<String>,
    #[schema(value_type = Object)]
    pub docs: crate::sync::wire::RefundDocs,
    pub duplicate_of: Option<String>,
    pub hall_by: Option<String>,
    pub hall_at: Option<String>,
    pub finance_by: Option<String>,
    pub finance_at: Option<String>,
    pub finance_reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub paid_amount: Option<Yuan>,
    pub payout_date: Option<String>,
    pub payout_ref: Option<String>,
    /// The ledger's balance of the account now, and what refunds hold on it.
    #[schema(value_type = String)]
    pub account_balance: Yuan,
    #[schema(value_type = String)]
    pub account_held: Yuan,
    /// Why the centre flagged it (e.g. more than the account's balance there).
    pub flag: Option<String>,
    pub history: Vec<RefundStep>,
}

/// A finance reviewer's decision: a rejection needs the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinanceDecision {
    /// At most 500 characters, no control characters; required to reject.
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub reason: Option<String>,
}

/// The body of a rejection as the API describes it: a [`FinanceDecision`] whose reason is given
/// (the same JSON; the ledger refuses a rejection without a reason, `REFUND_INPUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinanceRejection {
    /// Why, in words: at most 500 characters, not only spaces, no control characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

/// 付款: the payout as the bank made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payout {
    /// `YYYY-MM-DD`, not after today.
    #[schema(format = Date)]
    pub payout_date: String,
    /// The bank's reference (流水号): at most 500 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub bank_ref: String,
    /// The amount actually paid: must be the amount approved.
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub amount: String,
}
