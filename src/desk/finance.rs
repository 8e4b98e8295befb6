//! 财务复核视图: the finance view of the desktop app. Finance staff are users of the ledger, not of
//! the counter: these calls take the ledger's session token (from `finance_login`) and go straight
//! to the ledger's finance API (`sync::finance`) at the URL this counter is enrolled with (or the
//! one given at log-in). The role checks, the four-eyes rule and the audit happen at the ledger,
//! where the decisions are made; nothing here touches the counter's database.
//!
//! The ledger's refusals come back as `FINANCE_REFUSED` with the ledger's own code (`UNAUTHORIZED`,
//! `FORBIDDEN`, `CONFLICT` — another reviewer acted first, the message says who —, `REFUND_STATE`,
//! `REFUND_OWN`, `REFUND_PAYOUT_AMOUNT` …) so that the view can say each in words; a ledger that
//! cannot be reached is `SYNC_OFFLINE`, as for the sync.

use serde::{Deserialize, Serialize};

use super::Desk;
use crate::{
    Error, Result,
    sync::{
        client::{LedgerClient, LedgerUrl},
        finance::{FinanceDecision, FinanceLogin, FinanceSession, Payout, RefundDetail, RefundList, RefundQuery},
        state,
    },
};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinanceLoginRequest {
    pub username: String,
    pub password: String,
    /// The ledger's URL; default the one this counter is enrolled with.
    pub url: Option<String>,
}

/// A call with a finance session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinanceTokenRequest {
    pub finance_token: String,
    pub url: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinanceListRequest {
    pub finance_token: String,
    pub url: Option<String>,
    pub query: RefundQuery,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinanceRefundRequest {
    pub finance_token: String,
    pub url: Option<String>,
    pub refund_id: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinanceDecideRequest {
    pub finance_token: String,
    pub url: Option<String>,
    pub refund_id: String,
    pub approve: bool,
    pub reason: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FinancePayRequest {
    pub finance_token: String,
    pub url: Option<String>,
    pub refund_id: String,
    pub payout: Payout,
}

macro_rules! redact_finance_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { <redacted>, .. }"))
            }
        }
    )*};
}
redact_finance_debug!(
    FinanceLoginRequest,
    FinanceTokenRequest,
    FinanceListRequest,
    FinanceRefundRequest,
    FinanceDecideRequest,
    FinancePayRequest
);

/// The ledger's refusal, as the finance view shows it.
fn refused(e: Error) -> Error {
    match e {
        Error::SyncRefused { ledger_code, message, .. } => Error::FinanceRefused { ledger_code, message },
        other => other,
    }
}

impl Desk {
    /// The ledger to talk to: the URL given, or the one this counter is enrolled with.
    async fn finance_client(&self, url: Option<&str>) -> Result<LedgerClient> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.to_string(),
            None => {
                let mut conn = self.pool.acquire().await?;
                state::load(&mut conn).await?.ledger_url.ok_or(Error::SyncNotEnrolled)?
            }
        };
        LedgerClient::new(LedgerUrl::parse(&url)?)
    }

    /// 财务登录: a ledger user's session.
    pub async fn finance_login(&self, req: FinanceLoginRequest) -> Result<FinanceSession> {
        let client = self.finance_client(req.url.as_deref()).await?;
        client
            .finance_login(&FinanceLogin { username: req.username.trim().to_string(), password: req.password })
            .await
            .map_err(refused)
    }

    pub async fn finance_logout(&self, req: FinanceTokenRequest) -> Result<()> {
        self.finance_client(req.url.as_deref()).await?.finance_logout(&req.finance_token).await.map_err(refused)
    }

    /// Every request from every counter that matches the filters.
    pub async fn finance_refunds(&self, req: FinanceListRequest) -> Result<RefundList> {
        let client = self.finance_client(req.url.as_deref()).await?;
        client.finance_refunds(&req.finance_token, &req.query).await.map_err(refused)
    }

    /// One request with its history and the counter's documents.
    pub async fn finance_refund(&self, req: FinanceRefundRequest) -> Result<RefundDetail> {
        let client = self.finance_client(req.url.as_deref()).await?;
        client.finance_refund(&req.finance_token, &req.refund_id).await.map_err(refused)
    }

    /// 财务复核: approve, or reject with the reason.
    pub async fn finance_decide(&self, req: FinanceDecideRequest) -> Result<RefundDetail> {
        let reason = req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if !req.approve && reason.is_none() {
            return Err(Error::invalid("reason", "say why the request is rejected"));
        }
        let client = self.finance_client(req.url.as_deref()).await?;
        client
            .finance_decide(&req.finance_token, &req.refund_id, req.approve, &FinanceDecision { reason })
            .await
            .map_err(refused)
    }

    /// 付款: the payout as the bank made it (the amount must be the amount approved).
    pub async fn finance_pay(&self, req: FinancePayRequest) -> Result<RefundDetail> {
        crate::payments::money_field("amount", &req.payout.amount)?;
        let client = self.finance_client(req.url.as_deref()).await?;
        client.finance_pay(&req.finance_token, &req.refund_id, &req.payout).await.map_err(refused)
    }
}
