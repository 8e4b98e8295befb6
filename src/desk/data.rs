//! 数据装载: what an administrator loads into a counter (accounts and bills from CSV, a year's
//! holiday notice) and the demo seed of an empty database. Imports are all or nothing and audited
//! with the administrator who ran them.

use super::Desk;
use crate::{
    Result,
    accounts::{db as accounts_db, import},
    calendar::YearCalendar,
    store,
    users::{Action, db as users_db},
};

impl Desk {
    /// Import an accounts CSV, all or nothing. Returns the number of accounts imported.
    pub async fn import_accounts(&self, token: &str, source: &str, bytes: &[u8]) -> Result<u64> {
        let s = self.authorise(token, Action::ImportAccounts).await?;
        let rows = import::parse_accounts(bytes)?;
        // The data key only when there is an ID-card number to seal: without a usable key (no
        // keyring, no file store chosen) such a file is refused whole, before anything is written.
        let key = match rows.iter().any(|(_, a)| a.id_number.is_some()) {
            true => Some(self.data_key().await?),
            false => None,
        };
        let mut tx = store::write_tx(&self.writer).await?;
        let n = import::write_accounts(&mut tx, &rows, &self.now().to_rfc3339(), key.as_deref()).await?;
        self.audit(&mut tx, &s.user.username, "import.accounts", None, serde_json::json!({"file": source, "rows": n}))
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Import a bills CSV, all or nothing. Returns the number of bills imported.
    pub async fn import_bills(&self, token: &str, source: &str, bytes: &[u8]) -> Result<u64> {
        let s = self.authorise(token, Action::ImportBills).await?;
        let rows = import::parse_bills(bytes)?;
        let mut tx = store::write_tx(&self.writer).await?;
        let n = import::write_bills(&mut tx, &rows).await?;
        self.audit(&mut tx, &s.user.username, "import.bills", None, serde_json::json!({"file": source, "rows": n}))
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Seed the demo data (its users, accounts and bills) if the database holds no accounts and no
    /// users yet. Returns whether it did. Nobody is logged in on an empty database: the audit
    /// entry's actor is `demo`.
    ///
    /// A demo database keeps its keys in files, chosen here explicitly (`keystore::demo_dir`,
    /// recorded and audited, and shown to its administrator at log-in): a demo runs the same on a
    /// computer without a keyring and leaves nothing in a developer's keyring. A demo database made
    /// before that choice existed gets it here too. Keys given to this `Desk` by its caller
    /// ([`Desk::with_key_store`]) stand instead.
    pub async fn seed_demo(&mut self) -> Result<bool> {
        let demo = store::setting(&self.pool, crate::demo::SETTING_DEMO).await?.is_some();
        let empty = {
            let mut conn = self.pool.acquire().await?;
            accounts_db::count(&mut conn).await?.0 == 0 && users_db::count(&mut conn).await? == 0
        };
        if (demo || empty) && !self.keys.is_fixed() && self.key_files_dir().await?.is_none() {
            let dir = crate::keystore::demo_dir()?;
            match self.use_key_files(&dir, "demo").await {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "demo database: its keys are kept in files (a real counter keeps them in the OS keyring)")
                }
                // A demo seeded by an earlier build whose keys cannot be found: it still starts.
                Err(e) if !empty => tracing::warn!(error = %e, "the demo database's keys could not be moved to files"),
                Err(e) => return Err(e),
            }
        }
        if !empty {
            return Ok(false);
        }
        let key = self.data_key().await?;
        let mut tx = store::write_tx(&self.writer).await?;
        let (accounts, _) = accounts_db::count(&mut tx).await?;
        if accounts > 0 || users_db::count(&mut tx).await? > 0 {
            return Ok(false);
        }
        crate::demo::seed(&mut tx, self.today(), &self.now().to_rfc3339(), &key).await?;
        self.audit(&mut tx, "demo", "demo.seed", None, serde_json::json!({"accounts": crate::demo::ACCOUNTS})).await?;
        tx.commit().await?;
        self.demo = true;
        self.choose_demo_printer().await?;
        Ok(true)
    }

    /// Load a year's holiday notice (JSON, see `calendar::YearCalendar`). Replaces that year.
    pub async fn load_calendar_year(&self, token: &str, json: &str) -> Result<i32> {
        let s = self.authorise(token, Action::LoadCalendar).await?;
        let year = YearCalendar::from_json(json)?;
        let y = year.year;
        let mut tx = store::write_tx(&self.writer).await?;
        sqlx::query("INSERT INTO calendar_years (year, notice, loaded_at) VALUES (?, ?, ?) ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, loaded_at = excluded.loaded_at")
            .bind(y)
            .bind(json)
            .bind(self.now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        self.audit(&mut tx, &s.user.username, "calendar.load", Some(&y.to_string()), serde_json::json!({})).await?;
        tx.commit().await?;
        let mut calendar = (*self.calendar()).clone();
        calendar.insert_year(year)?;
        self.calendar.set(calendar);
        Ok(y)
    }
}
