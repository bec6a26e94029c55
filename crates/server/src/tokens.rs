//! Secrets: device tokens and one-time enrolment codes. Only their SHA-256 is stored.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Letters and digits that cannot be misread when typed from a sheet of paper (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    out[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    out
}

/// A bearer token: 32 random bytes (two v4 UUIDs: 244 random bits), hex.
pub fn new_token() -> String {
    let hex: String = random_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("zf_{hex}")
}

/// An enrolment code like `7KQ2-M9XD`.
pub fn new_code() -> String {
    let bytes = random_bytes();
    let chars: Vec<char> =
        bytes.iter().take(8).map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char).collect();
    format!("{}-{}", chars[..4].iter().collect::<String>(), chars[4..].iter().collect::<String>())
}

/// Codes are typed by people: ignore case, spaces and dashes.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = new_token();
        assert_eq!(t.len(), 3 + 64);
        assert_ne!(t, new_token());
        let c = new_code();
        assert_eq!(c.len(), 9);
        assert_eq!(normalise_code(&c.to_lowercase().replace('-', " ")), normalise_code(&c));
        assert!(normalise_code(&c).chars().all(|ch| CODE_ALPHABET.contains(&(ch as u8))));
    }
}
