//! The device key: argon2id over the unlock secret and a per-database salt.

use crate::{random, FileCipher, Result, VaultError};
use zeroize::Zeroize;

/// Length of the per-database salt. SQLCipher keeps its salt in the first 16 bytes of the file, in
/// clear; we give it ours, so the salt travels with the database and nothing else needs to be kept.
pub const SALT_LEN: usize = 16;

/// Shortest unlock secret accepted when a device is set up (a six-digit PIN at least).
pub const MIN_SECRET_CHARS: usize = 6;

/// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 30–60 ms on a tablet, so each guess
/// costs an attacker the same memory-hard work.
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;

/// Keys for one device database and its photo files. Zeroed when dropped.
#[derive(Clone)]
pub struct DeviceKey {
    db: [u8; 32],
    files: [u8; 32],
    salt: [u8; SALT_LEN],
}

impl DeviceKey {
    /// A new salt, for a database about to be created.
    pub fn new_salt() -> [u8; SALT_LEN] {
        random()
    }

    /// Checks a secret chosen for a new device (an existing one is simply tried).
    pub fn check_new_secret(secret: &str) -> Result<()> {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(VaultError::SecretTooShort(MIN_SECRET_CHARS));
        }
        Ok(())
    }

    /// Derives the keys from the unlock secret and the database's salt.
    pub fn derive(secret: &str, salt: [u8; SALT_LEN]) -> Result<DeviceKey> {
        let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, Some(64))
            .map_err(|e| VaultError::Kdf(e.to_string()))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = [0u8; 64];
        argon.hash_password_into(secret.as_bytes(), &salt, &mut out).map_err(|e| VaultError::Kdf(e.to_string()))?;
        let mut key = DeviceKey { db: [0; 32], files: [0; 32], salt };
        key.db.copy_from_slice(&out[..32]);
        key.files.copy_from_slice(&out[32..]);
        out.zeroize();
        Ok(key)
    }

    /// The salt this key was derived with.
    pub fn salt(&self) -> [u8; SALT_LEN] {
        self.salt
    }

    /// The value for SQLCipher's `PRAGMA key`: a raw key with an explicit salt, so SQLCipher runs no
    /// key derivation of its own (argon2id has already done it) and writes our salt into the header.
    pub fn sqlcipher_key(&self) -> String {
        let mut s = String::with_capacity(3 + 2 * (32 + SALT_LEN));
        s.push_str("x'");
        for b in self.db.iter().chain(self.salt.iter()) {
            s.push_str(&format!("{b:02X}"));
        }
        s.push('\'');
        s
    }

    /// The cipher for this device's photo files.
    pub fn files(&self) -> FileCipher {
        FileCipher::new(&self.files)
    }
}

impl Drop for DeviceKey {
    fn drop(&mut self) {
        self.db.zeroize();
        self.files.zeroize();
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_secret_and_salt_give_the_same_keys_and_anything_else_does_not() {
        let salt = [7u8; SALT_LEN];
        let a = DeviceKey::derive("村里的密码123", salt).unwrap();
        let b = DeviceKey::derive("村里的密码123", salt).unwrap();
        assert_eq!(a.sqlcipher_key(), b.sqlcipher_key());
        let other_secret = DeviceKey::derive("村里的密码124", salt).unwrap();
        let other_salt = DeviceKey::derive("村里的密码123", [8u8; SALT_LEN]).unwrap();
        assert_ne!(a.sqlcipher_key(), other_secret.sqlcipher_key());
        assert_ne!(a.db, other_salt.db);
        assert_ne!(a.db, a.files, "database and files get different keys");
    }

    #[test]
    fn the_sqlcipher_key_is_a_raw_key_with_our_salt() {
        let k = DeviceKey::derive("123456", [0xAB; SALT_LEN]).unwrap();
        let s = k.sqlcipher_key();
        assert_eq!(s.len(), 3 + 96);
        assert!(s.starts_with("x'") && s.ends_with('\''));
        assert!(s.ends_with(&format!("{}'", "AB".repeat(SALT_LEN))));
    }

    #[test]
    fn short_secrets_are_refused_for_new_devices() {
        assert_eq!(DeviceKey::check_new_secret("12345"), Err(VaultError::SecretTooShort(6)));
        assert!(DeviceKey::check_new_secret("花桥村一组").is_err());
        assert!(DeviceKey::check_new_secret("花桥村一组二").is_ok());
        assert_ne!(DeviceKey::new_salt(), DeviceKey::new_salt());
    }
}
