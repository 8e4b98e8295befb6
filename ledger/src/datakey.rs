//! 数据密钥: the ledger's own data key, which seals the payees' bank account numbers of refund
//! requests (`refunds.payee_account_sealed`) and the accounts' ID-card numbers
//! (`accounts.id_number_sealed`) in PostgreSQL. Counters have keys of their own; a payee's number
//! travels from a counter in clear only inside the TLS request (`PushEvent::secret`) and is sealed
//! here before it is stored. An ID number is sealed by the import that brings it (and, for numbers
//! stored before the ledger sealed them, by `seal_id_numbers` when `serve` starts); no pull sends it.
//!
//! Invariants:
//! - The key is a file (`data_key_file` in the configuration, `CASHDESK_LEDGER_DATA_KEY_FILE`;
//!   default `cashdesk-ledger.datakey` next to the configuration file), 32 random bytes in base64,
//!   created owner-only (0600), whole or not at all, by the core's `datakey` (AES-256-GCM, the
//!   column's name as associated data, so a value copied into another column does not open).
//! - The database records the key's id (a fingerprint, never the key) in `ledger_settings` the
//!   first time the ledger starts. From then on a different key, or a missing or unreadable file,
//!   stops `serve` with a message naming the file: the ledger never seals new numbers with a key
//!   that cannot open the old ones, and never makes a new key over a lost one.
//! - The key is never in the database, a log line or an error message (`DataKey`'s `Debug` is
//!   redacted). Back the file up apart from the database.

use std::path::Path;

use cashdesk::datakey::{DataKey, KeySource};
use sqlx::PgPool;

use crate::error::LedgerError;

/// The associated data of the payee's sealed account number (its column).
pub const PAYEE_ACCOUNT: &str = "refunds.payee_account";

/// The associated data of an account's sealed ID-card number: the counter's, so that the same
/// sealed form means the same thing on both sides.
pub const ID_NUMBER: &str = cashdesk::accounts::db::ID_NUMBER_COLUMN;

/// `ledger_settings` key: the id of the key this database's values are sealed with.
const SETTING_KEY_ID: &str = "data_key_id";

/// Load the ledger's data key from `file` (making it when this database has none yet) and check
/// it against the key id the database recorded; record the id the first time.
pub async fn load(pool: &PgPool, file: &Path) -> Result<DataKey, LedgerError> {
    let expected: Option<(String,)> = sqlx::query_as("SELECT value FROM ledger_settings WHERE key = $1")
        .bind(SETTING_KEY_ID)
        .fetch_optional(pool)
        .await?;
    let expected = expected.map(|(id,)| id);
    let source = KeySource::File(file.to_path_buf());
    let file_name = file.display().to_string();
    let (key, _) = tokio::task::spawn_blocking(move || source.load(expected.as_deref()))
        .await
        .map_err(|e| LedgerError::Internal(format!("loading the data key did not finish: {e}")))?
        .map_err(|e| {
            LedgerError::Internal(format!(
                "the ledger's data key {file_name} does not open ({e}); restore the file this database's values were sealed with, or set data_key_file / CASHDESK_LEDGER_DATA_KEY_FILE to it"
            ))
        })?;
    // Two ledgers starting at once on a new database: the first id stays, the second is compared.
    sqlx::query("INSERT INTO ledger_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(SETTING_KEY_ID)
        .bind(key.id())
        .execute(pool)
        .await?;
    let (recorded,): (String,) =
        sqlx::query_as("SELECT value FROM ledger_settings WHERE key = $1").bind(SETTING_KEY_ID).fetch_one(pool).await?;
    if recorded != key.id() {
        return Err(LedgerError::Internal(format!(
            "the data key in {} is not the key this database's values were sealed with (id {recorded}); restore that file",
            file.display()
        )));
    }
    Ok(key)
}

/// Seal every ID-card number still stored in clear (`accounts.id_number`, from before the ledger
/// sealed them) into `accounts.id_number_sealed` and clear the plain column, in one transaction;
/// returns how many. `serve` runs it at start, so a ledger upgraded in place keeps no plain numbers.
pub async fn seal_id_numbers(pool: &PgPool, key: &DataKey) -> Result<u64, LedgerError> {
    let mut tx = pool.begin().await?;
    let plain: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, id_number FROM accounts WHERE id_number IS NOT NULL ORDER BY id FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    if plain.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = plain.iter().map(|(id, _)| *id).collect();
    let sealed =
        plain.iter().map(|(_, n)| key.seal(ID_NUMBER, n)).collect::<Result<Vec<_>, _>>().map_err(|e| {
            LedgerError::Internal(format!("cannot seal the accounts' ID numbers with the data key: {e}"))
        })?;
    sqlx::query(
        "UPDATE accounts a SET id_number_sealed = u.sealed, id_number = NULL
         FROM UNNEST($1::bigint[], $2::text[]) AS u(id, sealed) WHERE a.id = u.id",
    )
    .bind(&ids)
    .bind(&sealed)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.len() as u64)
}
