//! Password hashing with argon2id (the `argon2` crate's defaults: m = 19 MiB, t = 2, p = 1, a random
//! salt per hash, PHC string format). Passwords are never logged or stored in clear.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

use crate::{Error, Result};

/// Minimum policy for a new password: 8 characters or more, not all digits.
pub fn validate_new(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(Error::invalid("password", "use at least 8 characters"));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid("password", "use letters or symbols as well as digits"));
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// `true` when `password` matches the stored PHC hash. A corrupt stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trip_is_argon2id() {
        let h = hash("Cashier#2026").unwrap();
        assert!(h.starts_with("$argon2id$"), "argon2id is the required variant: {h}");
        assert!(verify("Cashier#2026", &h));
        assert!(!verify("cashier#2026", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn new_password_policy() {
        assert!(validate_new("short").is_err());
        assert!(validate_new("12345678").is_err());
        assert!(validate_new("Counter#1").is_ok());
    }
}
