//! The county office's private-key backup, protected by a passphrase of its own.
//!
//! The private key opens every sealed 暗访 finding of the county, so its backup — the file the office
//! keeps on a USB stick or a second office device — must be useless to whoever finds it without the
//! passphrase. The file is text, so it survives being mailed, printed or copied between systems:
//!
//! ```text
//! 走访 · 县扶贫办暗访私钥备份（已用备份口令加密）
//! 指纹 0123456789abcdef
//! ZOUFANG-KEYBACKUP-1.<base64url: salt(16) ‖ nonce(24) ‖ XChaCha20-Poly1305(private key, 32 + tag 16)>
//! ```
//!
//! Rules:
//! - The key is derived with argon2id (64 MiB, 3 passes: a backup is opened rarely, so each guess may
//!   cost an attacker far more than an unlock does) from the passphrase and a fresh salt.
//! - The AEAD binds the version and the fingerprint line (associated data): a wrong passphrase, a
//!   damaged file or an edited fingerprint all fail to open, and nothing is returned.
//! - A passphrase has at least [`MIN_PASSPHRASE_CHARS`] characters.

use crate::{random, OpeningKey, Result, VaultError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroize;

/// Shortest backup passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

const PREFIX: &str = "ZOUFANG-KEYBACKUP-1.";
const TITLE: &str = "走访 · 县扶贫办暗访私钥备份（已用备份口令加密）";
const SALT: usize = 16;
const NONCE: usize = 24;
const TAG: usize = 16;
const KEY: usize = 32;
const ARGON2_MEMORY_KIB: u32 = 64 * 1024;
const ARGON2_PASSES: u32 = 3;

/// Checks a passphrase chosen for a new backup (and that it was typed the same twice).
pub fn check_new_passphrase(passphrase: &str, again: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::PassphraseTooShort(MIN_PASSPHRASE_CHARS));
    }
    if passphrase != again {
        return Err(VaultError::PassphraseMismatch);
    }
    Ok(())
}

fn cipher(passphrase: &str, salt: &[u8; SALT]) -> Result<XChaCha20Poly1305> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, Some(KEY))
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; KEY];
    argon.hash_password_into(passphrase.as_bytes(), salt, &mut key).map_err(|e| VaultError::Kdf(e.to_string()))?;
    let c = XChaCha20Poly1305::new((&key).into());
    key.zeroize();
    Ok(c)
}

fn fingerprint_line(fingerprint: &str) -> String {
    format!("指纹 {fingerprint}")
}

/// The backup file's text for `key`, encrypted with `passphrase` (checked with [`check_new_passphrase`]
/// by the caller, which asked for it twice).
pub fn protect_key(key: &OpeningKey, passphrase: &str) -> Result<String> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::PassphraseTooShort(MIN_PASSPHRASE_CHARS));
    }
    let salt: [u8; SALT] = random();
    let nonce: [u8; NONCE] = random();
    let fp = fingerprint_line(&key.sealing_key().fingerprint());
    let aad = format!("{PREFIX}{fp}");
    let mut secret = key.secret_bytes();
    let sealed = cipher(passphrase, &salt)?
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: &secret, aad: aad.as_bytes() })
        .map_err(|_| VaultError::Kdf("加密失败".into()));
    secret.zeroize();
    let mut body = Vec::with_capacity(SALT + NONCE + KEY + TAG);
    body.extend_from_slice(&salt);
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&sealed?);
    Ok(format!("{TITLE}\n{fp}\n{PREFIX}{}\n", B64.encode(body)))
}

/// Whether `text` is a passphrase-protected backup (as opposed to a private key in clear).
pub fn is_protected_backup(text: &str) -> bool {
    text.lines().any(|l| l.trim().starts_with(PREFIX))
}

/// Opens a backup made by [`protect_key`]. A wrong passphrase, a damaged file or an edited fingerprint
/// give [`VaultError::WrongPassphrase`] and nothing else.
pub fn open_key_backup(text: &str, passphrase: &str) -> Result<OpeningKey> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(PREFIX))
        .ok_or_else(|| VaultError::BadKey("不是走访的私钥备份文件".into()))?;
    let fp = text.lines().map(str::trim).find(|l| l.starts_with("指纹 ")).unwrap_or("");
    let body = B64.decode(&line[PREFIX.len()..]).map_err(|_| VaultError::BadKey("私钥备份文件已损坏".into()))?;
    if body.len() != SALT + NONCE + KEY + TAG {
        return Err(VaultError::BadKey("私钥备份文件已损坏".into()));
    }
    let (salt, rest) = body.split_at(SALT);
    let (nonce, sealed) = rest.split_at(NONCE);
    let salt: [u8; SALT] = salt.try_into().map_err(|_| VaultError::BadKey("私钥备份文件已损坏".into()))?;
    let aad = format!("{PREFIX}{fp}");
    let mut plain = cipher(passphrase, &salt)?
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
        .map_err(|_| VaultError::WrongPassphrase)?;
    let key = <[u8; KEY]>::try_from(plain.as_slice()).map(OpeningKey::from_secret_bytes);
    plain.zeroize();
    key.map_err(|_| VaultError::WrongPassphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_passphrase_opens_it_and_nothing_else_does() {
        let key = OpeningKey::generate();
        let text = protect_key(&key, "县扶贫办备份口令2026").unwrap();
        assert!(is_protected_backup(&text));
        assert!(!text.contains(&key.to_string()), "the key is not in the file");
        assert!(text.contains(&key.sealing_key().fingerprint()), "the fingerprint is, to tell backups apart");
        let opened = open_key_backup(&text, "县扶贫办备份口令2026").unwrap();
        assert_eq!(opened.to_string(), key.to_string());
        assert_eq!(open_key_backup(&text, "县扶贫办备份口令2025").err(), Some(VaultError::WrongPassphrase));
        assert_eq!(open_key_backup(&text, "").err(), Some(VaultError::WrongPassphrase));
        // Two backups of the same key with the same passphrase differ (fresh salt and nonce).
        assert_ne!(text, protect_key(&key, "县扶贫办备份口令2026").unwrap());
    }

    #[test]
    fn a_damaged_or_edited_backup_does_not_open() {
        let key = OpeningKey::generate();
        let text = protect_key(&key, "passphrase-8").unwrap();
        let other = OpeningKey::generate().sealing_key().fingerprint();
        let edited = text.replace(&key.sealing_key().fingerprint(), &other);
        assert_eq!(open_key_backup(&edited, "passphrase-8").err(), Some(VaultError::WrongPassphrase));
        let line = text.lines().find(|l| l.starts_with(PREFIX)).unwrap();
        let mut chars: Vec<char> = line.chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let flipped = text.replace(line, &chars.iter().collect::<String>());
        assert!(open_key_backup(&flipped, "passphrase-8").is_err());
        assert!(matches!(open_key_backup("ZOUFANG-KEYBACKUP-1.abc", "passphrase-8"), Err(VaultError::BadKey(_))));
        assert!(matches!(open_key_backup(&key.to_string(), "passphrase-8"), Err(VaultError::BadKey(_))));
    }

    #[test]
    fn a_new_passphrase_is_long_enough_and_typed_the_same_twice() {
        assert_eq!(check_new_passphrase("1234567", "1234567"), Err(VaultError::PassphraseTooShort(8)));
        assert_eq!(check_new_passphrase("备份口令一二三四", "备份口令一二三五"), Err(VaultError::PassphraseMismatch));
        assert_eq!(check_new_passphrase("备份口令一二三四", "备份口令一二三四"), Ok(()));
        assert!(protect_key(&OpeningKey::generate(), "short").is_err());
    }
}
