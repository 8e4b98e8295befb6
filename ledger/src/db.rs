//! The ledger's PostgreSQL pool and schema (`ledger/migrations`, applied by `cashdesk-ledger migrate`
//! and, when one role both owns and serves the database, on `serve`). A fresh database gets the
//! shipped policy and calendar years, so counters pull a complete policy on their first sync.
//!
//! Two roles (`config`): the schema's owner migrates; the service's role reads and writes rows and
//! cannot change the schema ([`grant`] gives it exactly that), and checks at start that the schema
//! is the one this binary was built for ([`check_schema`]).

use cashdesk::{calendar::shipped_notices, money::Yuan, policy::Policy};
use rust_decimal::Decimal;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::error::LedgerError;

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, LedgerError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| LedgerError::Unavailable(format!("cannot connect to the ledger database: {e}")))
}

/// Apply the migrations and seed the policy and calendar when missing.
pub async fn migrate(pool: &PgPool) -> Result<(), LedgerError> {
    sqlx::migrate!("./migrations")
        .run(pool)
        .await
        .map_err(|e| LedgerError::Internal(format!("cannot migrate the ledger database: {e}")))?;
    sqlx::query("INSERT INTO policy (id, body) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(Policy::default().to_json())
        .execute(pool)
        .await?;
    for notice in shipped_notices() {
        let json = serde_json::to_string(&notice)
            .map_err(|e| LedgerError::Internal(format!("cannot write a calendar year: {e}")))?;
        sqlx::query("INSERT INTO calendar_years (year, notice) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING")
            .bind(notice.year)
            .bind(json)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// The schema's migrations applied so far (version and checksum), in order.
async fn applied(pool: &PgPool) -> Result<Vec<(i64, Vec<u8>)>, LedgerError> {
    let (exists,): (bool,) =
        sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pool).await?;
    if !exists {
        return Ok(Vec::new());
    }
    let (readable,): (bool,) =
        sqlx::query_as("SELECT has_table_privilege('_sqlx_migrations', 'SELECT')").fetch_one(pool).await?;
    if !readable {
        return Err(LedgerError::Internal(
            "the ledger's role may not read the ledger's tables: as the schema's owner, run `cashdesk-ledger migrate \
             --grant ROLE` with this role (database_url's user)"
                .into(),
        ));
    }
    Ok(sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await?)
}

/// Check, without changing anything, that the database's schema is exactly this ledger's: every
/// migration it was built with applied, unchanged, and none it does not know.
pub async fn check_schema(pool: &PgPool) -> Result<(), LedgerError> {
    let migrator = sqlx::migrate!("./migrations");
    let have: std::collections::HashMap<i64, Vec<u8>> = applied(pool).await?.into_iter().collect();
    let run_migrate = "run `cashdesk-ledger migrate` as the schema's owner (migration_database_url) first";
    let missing: Vec<String> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !have.contains_key(&m.version))
        .map(|m| m.version.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(LedgerError::Internal(format!(
            "the ledger database's schema is older than this ledger (missing {}): {run_migrate}",
            missing.join(", ")
        )));
    }
    for m in migrator.iter() {
        if have.get(&m.version).is_some_and(|sum| sum.as_slice() != &*m.checksum) {
            return Err(LedgerError::Internal(format!(
                "the ledger database's migration {} is not the one this ledger ships: restore the database or the binary that made it",
                m.version
            )));
        }
    }
    if let Some(newer) = have.keys().filter(|v| !migrator.iter().any(|m| m.version == **v)).max() {
        return Err(LedgerError::Internal(format!(
            "the ledger database has migration {newer}, which this ledger does not know: it is older than the \
             database; run the newer ledger"
        )));
    }
    Ok(())
}

/// Give `role` what `serve` and the other commands need and no more: rows of every table (read,
/// add, change, delete), the sequences, and nothing of the schema. The append-only tables
/// (`finance_audit`, `refund_history`) only read and added to, the migrations' table only read.
/// Run by the owner after every migration (`cashdesk-ledger migrate --grant ROLE`): a new table
/// is covered by the next run. The role must exist (`CREATE ROLE ... LOGIN PASSWORD ...`), and is
/// refused when it could change the schema all the same ([`schema_power`]): granting rows to the
/// owner, a superuser or a member of the owner's role would promise what does not hold.
pub async fn grant(pool: &PgPool, role: &str) -> Result<(), LedgerError> {
    if role.is_empty() || role.len() > 63 || role.chars().any(char::is_control) {
        return Err(LedgerError::BadRequest(format!("{role:?} is not a PostgreSQL role name")));
    }
    let (exists,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)").bind(role).fetch_one(pool).await?;
    if !exists {
        return Err(LedgerError::BadRequest(format!(
            "there is no PostgreSQL role {role}: create it first (CREATE ROLE {role} LOGIN PASSWORD '...'), then \
             run this again"
        )));
    }
    if let Some(why) = schema_power(pool, role).await? {
        return Err(LedgerError::BadRequest(format!(
            "{role} {why}, so `serve` running as it could change the schema: give `serve` a role of its own \
             (database_url) and keep this one for `migrate` (migration_database_url)"
        )));
    }
    // Identifiers cannot be bound: PostgreSQL's own format(%I) quotes them, and the statements it
    // writes are run as they are.
    let statements: Vec<(String,)> = sqlx::query_as(
        "SELECT format(t, current_schema(), $1) FROM UNNEST(ARRAY[
             'GRANT USAGE ON SCHEMA %I TO %I',
             'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
             'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I',
             'REVOKE INSERT, UPDATE, DELETE ON %I._sqlx_migrations FROM %I',
             'REVOKE UPDATE, DELETE ON %I.finance_audit FROM %I',
             'REVOKE UPDATE, DELETE ON %I.refund_history FROM %I'
         ]) WITH ORDINALITY AS s(t, n) ORDER BY n",
    )
    .bind(role)
    .fetch_all(pool)
    .await?;
    let mut tx = pool.begin().await?;
    for (sql,) in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .map_err(|e| LedgerError::BadRequest(format!("cannot grant {role} its rights: {e}")))?;
    }
    tx.commit().await?;
    Ok(())
}

/// How `role` could change the ledger's schema, if it could: a superuser; the owner (or a member
/// of the owner's role) of the schema or of one of its tables; `CREATE` on the schema (new
/// tables; in a database made before PostgreSQL 15 everyone has it on `public`) or on the
/// database (new schemas). `None` when it can only do what [`grant`] gives.
pub async fn schema_power(pool: &PgPool, role: &str) -> Result<Option<String>, LedgerError> {
    let row: Option<(bool, bool, bool, bool, bool)> = sqlx::query_as(
        "SELECT r.rolsuper,
                pg_has_role(r.oid, n.nspowner, 'USAGE'),
                EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND pg_has_role(r.oid, c.relowner, 'USAGE')),
                has_schema_privilege(r.oid, n.oid, 'CREATE'),
                has_database_privilege(r.oid, current_database(), 'CREATE')
           FROM pg_roles r, pg_namespace n
          WHERE r.rolname = $1 AND n.nspname = current_schema()",
    )
    .bind(role)
    .fetch_optional(pool)
    .await?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(pool).await?;
    Ok(match row {
        None => None,
        Some((true, ..)) => Some("is a superuser".into()),
        Some((_, true, ..)) => Some(format!("owns the schema {schema} (or is a member of its owner)")),
        Some((_, _, true, ..)) => Some(format!("owns tables of the schema {schema} (or is a member of their owner)")),
        Some((_, _, _, true, _)) => Some(format!(
            "may create tables in the schema {schema} (if every role may, as in a database made before \
             PostgreSQL 15: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC, as its owner)"
        )),
        Some((.., true)) => Some("may create schemas in the database (REVOKE CREATE ON DATABASE ... FROM it)".into()),
        Some(_) => None,
    })
}

/// A NUMERIC(14,2) amount read from the database as a `Yuan` (exact: the column has two decimals).
pub fn yuan(d: Decimal) -> Yuan {
    Yuan::from_decimal_half_up(d)
}
