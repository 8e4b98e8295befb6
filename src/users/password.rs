//! Passwords: the policy for a new one, and hashing with argon2id (the `argon2` crate's defaults: m = 19 MiB, t = 2, p = 1, a random
//! salt per hash, PHC string format). Passwords are never logged or stored in clear.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

use crate::{Error, Result};

/// Common passwords of 10 characters or more, lower case: the first ones an attacker tries (the
/// published lists of leaked passwords, Chinese ones included, and the demo's own pattern). A new
/// password is compared in lower case.
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "0987654321",
    "9876543210",
    "1111111111",
    "1234512345",
    "1122334455",
    "1234567890a",
    "a1234567890",
    "a123456789",
    "123456789a",
    "1234qwer",
    "qwertyuiop",
    "qwertyuiop123",
    "1qaz2wsx3edc",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "zaq12wsxcde3",
    "qazwsxedcrfv",
    "asdfghjkl;",
    "asdfghjkl1",
    "zxcvbnm123",
    "qwe1234567",
    "qwe123456789",
    "abc1234567",
    "abcd123456",
    "abcdefghij",
    "abcdefg123",
    "password12",
    "password123",
    "password1234",
    "password!",
    "p@ssw0rd123",
    "p@ssword123",
    "passw0rd123",
    "admin12345",
    "admin123456",
    "administrator",
    "admin@1234",
    "admin#1234",
    "root123456",
    "iloveyou12",
    "iloveyou123",
    "woaini1314",
    "woaini520",
    "woaini5201314",
    "5201314520",
    "1314520520",
    "aini1314520",
    "woaiwojia",
    "zhang123456",
    "wang123456",
    "li123456789",
    "liu123456",
    "chen123456",
    "huang123456",
    "zhongguo123",
    "beijing2008",
    "changeme123",
    "welcome123",
    "letmein123",
    "football123",
    "baseball123",
    "sunshine12",
    "princess12",
    "dragon1234",
    "monkey1234",
    "master1234",
    "shadow1234",
    "superman123",
    "trustno1234",
    "cashdesk123",
    "cashier123",
    "cashier#2026",
    "super#2026",
    "finance#2026",
    "admin#2026",
    "guest12345",
    "test123456",
    "testtest12",
    "qq123456789",
];

/// Policy for a new password (DOMAIN.md "Users, roles and security"): at least 10 characters, not
/// only digits, not one character repeated, not the user name (in any case, nor containing it),
/// and not one of the common passwords above.
pub fn validate_new(username: &str, password: &str) -> Result<()> {
    let weak = |rule: &'static str| Err(Error::PasswordWeak { rule });
    let n = password.chars().count();
    if n < 10 {
        return weak("too_short");
    }
    if n > 128 {
        return weak("too_long");
    }
    if password.chars().any(char::is_control) {
        return weak("control");
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return weak("digits_only");
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first) {
        return weak("repeated");
    }
    let name = username.trim().to_lowercase();
    if !name.is_empty() && lower.contains(&name) {
        return weak("user_name");
    }
    if COMMON.contains(&lower.as_str()) {
        return weak("common");
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

    #[rstest::rstest]
    #[case::short("Counter#1", "too_short")]
    #[case::digits("12345678901", "digits_only")]
    #[case::repeated("xxxxxxxxxxxx", "repeated")]
    #[case::user_name("wangfang2026!", "user_name")]
    #[case::user_name_in_capitals("WANGFANG#2026", "user_name")]
    #[case::common("Password123", "common")]
    #[case::demo_pattern("Cashier#2026", "common")]
    fn weak_passwords_are_refused(#[case] pw: &str, #[case] rule: &str) {
        let e = validate_new("wangfang", pw).unwrap_err();
        assert_eq!(e.code(), "PASSWORD_WEAK");
        assert_eq!(e.params()["rule"], rule, "{pw}: {e}");
    }

    #[test]
    fn a_good_password_is_accepted() {
        assert!(validate_new("wangfang", "Counter#2026x").is_ok());
        assert!(validate_new("wangfang", "柜台收费二零二六年十二月").is_ok(), "Chinese characters count as characters");
    }
}
