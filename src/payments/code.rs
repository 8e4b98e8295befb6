//! 校验码: the verification code printed on every receipt and refund document.
//!
//! A code ties a document's number, account, amount and time to this counter: it is HMAC-SHA-256
//! (ring's `hmac`) under the counter's receipt key, a secret kept in the OS keyring or the file
//! store an administrator chose (`keystore`), never in the database. Nobody who only reads the
//! database, or a backup of it, can make a code for a receipt the counter did not issue.
//!
//! Format: the first 80 bits of the MAC as 16 characters of Crockford's base32 (digits and capital
//! letters without I, L, O and U, so nothing is misread between 1, I and L or 0 and O), printed in
//! four groups of four: `7KQ2 M9XD 0B4R TZ6F`. 80 bits (at least 64 were asked for) make guessing a
//! valid code for a given receipt hopeless (one chance in 2^80).
//!
//! A code is made once, when its document is, and stored with it (`payments.verification_code`,
//! the receipt's snapshot, `refunds.verification_code`); a reprint shows the stored code, so the
//! 8-character codes of receipts issued before this format stay what their customers hold.

use ring::hmac;

use crate::datakey::Secret;

/// The key of the verification codes (校验码). `Debug` is redacted.
pub struct ReceiptKey {
    key: hmac::Key,
    id: String,
}

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReceiptKey(id {}, <redacted>)", self.id)
    }
}

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Bytes of the MAC a code carries (80 bits: 16 base32 characters).
const CODE_BYTES: usize = 10;

impl ReceiptKey {
    pub fn from_secret(secret: &Secret) -> ReceiptKey {
        ReceiptKey { key: hmac::Key::new(hmac::HMAC_SHA256, secret.bytes()), id: secret.id() }
    }

    /// The key's fingerprint (safe to store and show).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The code of a document described by `parts` (its number, account, amount, time, ...).
    /// Each part is length-prefixed, so no two lists of parts give the same input.
    pub fn code(&self, parts: &[&str]) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        for p in parts {
            ctx.update(&(p.len() as u64).to_be_bytes());
            ctx.update(p.as_bytes());
        }
        format_code(&ctx.sign().as_ref()[..CODE_BYTES])
    }
}

/// 80 bits as four groups of four base32 characters.
fn format_code(bytes: &[u8]) -> String {
    let mut chars = Vec::with_capacity(16);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            chars.push(ALPHABET[((acc >> bits) & 31) as usize]);
        }
        acc &= (1 << bits) - 1;
    }
    chars.chunks(4).map(|g| String::from_utf8_lossy(g).into_owned()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> ReceiptKey {
        // A fixed secret: the expected codes below are computed independently.
        let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [byte; 32]);
        ReceiptKey::from_secret(&Secret::from_text(&text).unwrap())
    }

    #[test]
    fn a_code_is_80_bits_in_four_groups_of_four() {
        let code = key(7).code(&["GY01-03-2026-000001", "3100000001", "158.49", "2026-01-18T10:00:00+08:00"]);
        assert_eq!(code.len(), 19, "{code}");
        let groups: Vec<&str> = code.split(' ').collect();
        assert_eq!(groups.len(), 4, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b))), "{code}");
        assert!(!code.contains(['I', 'L', 'O', 'U']), "{code}");
    }

    /// Known answer: HMAC-SHA-256 with the key of 32 bytes 0x07 over the length-prefixed parts,
    /// computed with Python's `hmac` module; its first 10 bytes in Crockford's base32.
    #[test]
    fn the_code_is_hmac_sha_256_of_the_length_prefixed_parts() {
        let code = key(7).code(&["GY01-03-2026-000001", "3100000001", "158.49", "2026-01-18T10:00:00+08:00"]);
        assert_eq!(code, KNOWN);
    }

    const KNOWN: &str = "Z3XS 68KR SQ9S F9S5";

    #[test]
    fn the_code_depends_on_every_part_and_the_key() {
        let parts = ["GY01-03-2026-000001", "3100000001", "158.49", "2026-01-18T10:00:00+08:00"];
        let base = key(7).code(&parts);
        assert_eq!(base, key(7).code(&parts), "the same document has the same code");
        assert_ne!(base, key(8).code(&parts), "another counter's key, another code");
        for i in 0..parts.len() {
            let mut changed = parts;
            changed[i] = "x";
            assert_ne!(base, key(7).code(&changed), "part {i}");
        }
        assert_ne!(key(7).code(&["ab", "c"]), key(7).code(&["a", "bc"]), "parts are delimited");
        assert!(!format!("{:?}", key(7)).contains("BwcH"), "Debug never shows the key");
    }

    #[test]
    fn base32_of_known_bytes() {
        assert_eq!(format_code(&[0; 10]), "0000 0000 0000 0000");
        assert_eq!(format_code(&[0xff; 10]), "ZZZZ ZZZZ ZZZZ ZZZZ");
        // 0x00 0x44 0x32 0x14 0xC7 ... : 00000 00001 00010 00011 00100 00101 00110 00111
        assert_eq!(format_code(&[0x00, 0x44, 0x32, 0x14, 0xC7, 0x42, 0x54, 0xB6, 0x35, 0xCF]), "0123 4567 89AB CDEF");
    }
}
