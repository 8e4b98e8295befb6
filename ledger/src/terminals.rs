//! 终端认证: enrolment codes and terminal tokens.
//!
//! Invariants: the ledger stores only SHA-256 hashes of enrolment codes and tokens. An enrolment
//! code is single-use and expires after 24 hours; exchanging it issues a fresh token and replaces
//! any earlier one (and lifts a revocation). A revoked token is refused on every request.
//!
//! 供电区域: a terminal belongs to an area from its enrolment (`terminal enrol CODE --area AREA`),
//! and its pulls carry the accounts of that area only (`pull`). Without `--area` a new terminal is
//! in the area its code names (the part before the first '-': `GY01` of `GY01-03`, the rule the
//! finance lists group terminals by; terminals enrolled before areas existed were put there by the
//! migration), and a terminal enrolled again keeps the area it had.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use cashdesk::config::{Area, TerminalCode};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::LedgerError;

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random(bytes: usize) -> Vec<u8> {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// A readable one-time code: 16 characters from an alphabet without look-alikes, in groups of 4.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw = random(16);
    let chars: Vec<char> = raw.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Normalise a typed code: upper case, spaces and dashes ignored.
fn normalise(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Create (or replace) a terminal's one-time enrolment code, in `area` (see the module docs for a
/// terminal enrolled without one); returns the code to give the counter.
pub async fn enrol(pool: &PgPool, terminal: &str, area: Option<&str>) -> Result<String, LedgerError> {
    let terminal = TerminalCode::parse(terminal).map_err(|e| LedgerError::BadRequest(e.to_string()))?;
    let area = area.map(Area::parse).transpose().map_err(|e| LedgerError::BadRequest(e.to_string()))?;
    let code = new_code();
    sqlx::query(
        "INSERT INTO terminals (code, enrol_code_hash, enrol_expires_at, area)
         VALUES ($1, $2, now() + interval '24 hours', COALESCE($3, $4))
         ON CONFLICT (code) DO UPDATE SET enrol_code_hash = $2, enrol_expires_at = now() + interval '24 hours',
                                          area = COALESCE($3, terminals.area)",
    )
    .bind(terminal.as_str())
    .bind(digest(&normalise(&code)))
    .bind(area.as_ref().map(Area::as_str))
    .bind(terminal.area().as_str())
    .execute(pool)
    .await?;
    Ok(code)
}

/// The area a terminal's pulls are scoped to (None: no such terminal).
pub async fn area(pool: &PgPool, terminal: &str) -> Result<Option<String>, LedgerError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT area FROM terminals WHERE code = $1").bind(terminal).fetch_optional(pool).await?;
    Ok(row.map(|(a,)| a))
}

/// Revoke a terminal's token (and any pending code). Returns false when there is no such terminal.
pub async fn revoke(pool: &PgPool, terminal: &str) -> Result<bool, LedgerError> {
    let res = sqlx::query(
        "UPDATE terminals SET revoked_at = now(), enrol_code_hash = NULL, enrol_expires_at = NULL WHERE code = $1",
    )
    .bind(terminal)
    .execute(pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Exchange a one-time code for a token.
pub async fn exchange(pool: &PgPool, terminal: &str, code: &str) -> Result<String, LedgerError> {
    let terminal = TerminalCode::parse(terminal).map_err(|e| LedgerError::BadRequest(e.to_string()))?;
    let terminal = terminal.as_str();
    let token = URL_SAFE_NO_PAD.encode(random(32));
    let res = sqlx::query(
        "UPDATE terminals SET token_hash = $3, enrolled_at = now(), revoked_at = NULL, enrol_code_hash = NULL,
                              enrol_expires_at = NULL
         WHERE code = $1 AND enrol_code_hash = $2 AND enrol_expires_at > now()",
    )
    .bind(terminal)
    .bind(digest(&normalise(code)))
    .bind(digest(&token))
    .execute(pool)
    .await?;
    if res.rows_affected() != 1 {
        return Err(LedgerError::Unauthorized(
            "UNAUTHORIZED",
            "the enrolment code is wrong, used or expired: ask the ledger administrator for a new one".into(),
        ));
    }
    tracing::info!(terminal, "terminal enrolled");
    Ok(token)
}

/// The terminal a bearer token belongs to.
pub async fn authenticate(pool: &PgPool, token: &str) -> Result<String, LedgerError> {
    let row: Option<(String, bool)> =
        sqlx::query_as("SELECT code, revoked_at IS NOT NULL FROM terminals WHERE token_hash = $1")
            .bind(digest(token))
            .fetch_optional(pool)
            .await?;
    match row {
        Some((code, false)) => Ok(code),
        Some((code, true)) => Err(LedgerError::Unauthorized(
            "TOKEN_REVOKED",
            format!("terminal {code}'s token was revoked: enrol the terminal again"),
        )),
        None => Err(LedgerError::Unauthorized("UNAUTHORIZED", "unknown token: enrol this terminal first".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalised() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert_eq!(normalise(&c.to_lowercase()), normalise(&c));
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('1') && !c.contains('I'));
    }
}
