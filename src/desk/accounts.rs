//! 查找与查询: looking accounts up and what they owe, for the counter screen and `cashdeskctl quote`.
//! Whoever may look accounts up (the role matrix) may do all three; opening an account and quoting
//! it are audited, a search is not (each keystroke may search).

use chrono::NaiveDate;

use super::{AccountRequest, AccountView, Desk, SearchRequest};
use crate::{
    Error, Result,
    accounts::{AccountDetail, AccountHit, AccountNo, db as accounts_db, quote::Quote},
    users::Action,
};

impl Desk {
    /// 查找用户: by 户号, meter number, or part of a name or address. A number may be typed with
    /// full-width digits, spaces or hyphens (`input::number`).
    pub async fn search_accounts(&self, req: SearchRequest) -> Result<Vec<AccountHit>> {
        self.authorise(&req.token, Action::SearchAccounts).await?;
        if req.query.chars().count() > 100 {
            return Err(Error::invalid("query", "type at most 100 characters"));
        }
        let query = crate::input::number(&req.query);
        let mut conn = self.pool.acquire().await?;
        accounts_db::search(&mut conn, &query).await
    }

    /// 用户信息与欠费: the account card and what it owes today. Audited.
    pub async fn account_view(&self, req: AccountRequest) -> Result<AccountView> {
        let s = self.authorise(&req.token, Action::ViewAccount).await?;
        let no = AccountNo::typed(&req.account_no)?;
        let view = self.view(&no, self.today()).await?;
        self.audit_alone(
            &s.user.username,
            "account.view",
            Some(no.as_str()),
            serde_json::json!({"total": view.quote.total}),
        )
        .await?;
        Ok(view)
    }

    async fn view(&self, no: &AccountNo, on: NaiveDate) -> Result<AccountView> {
        let mut conn = self.pool.acquire().await?;
        let account = accounts_db::by_no(&mut conn, no)
            .await?
            .ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
        let bills = accounts_db::open_bills(&mut conn, account.id).await?;
        let quote = crate::accounts::quote::quote(no, account.category, &bills, on, &self.policy().late_fee);
        Ok(AccountView { account: AccountDetail::from(&account), quote })
    }

    /// What an account owes on `on` (`cashdeskctl quote`). Audited.
    pub async fn quote(&self, token: &str, account_no: &str, on: NaiveDate) -> Result<Quote> {
        let s = self.authorise(token, Action::Quote).await?;
        let no = AccountNo::typed(account_no)?;
        let view = self.view(&no, on).await?;
        self.audit_alone(
            &s.user.username,
            "account.quote",
            Some(no.as_str()),
            serde_json::json!({"on": on, "total": view.quote.total}),
        )
        .await?;
        Ok(view.quote)
    }
}
