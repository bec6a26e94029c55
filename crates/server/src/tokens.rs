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

/// Shortest password a user may be given.
pub const MIN_PASSWORD: usize = 8;

/// An argon2id PHC string (algorithm, parameters and salt inside): what is stored for a password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random_bytes()[..16])?;
    Ok(argon2::Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches a stored PHC string (constant-time comparison inside argon2).
pub fn verify_password(stored: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(stored).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
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

    #[test]
    fn passwords_are_salted_argon2id() {
        let a = hash_password("村里的密码123").unwrap();
        let b = hash_password("村里的密码123").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password(&a, "村里的密码123") && verify_password(&b, "村里的密码123"));
        assert!(!verify_password(&a, "村里的密码124"));
        assert!(!verify_password("not a hash", "村里的密码123"));
    }
}
