//! Keys and ciphers for household data, kept apart from IO so they can be tested alone.
//!
//! - [`DeviceKey`]: the key a device's data is encrypted with at rest, derived with argon2id from the
//!   user's unlock secret. Half of it keys the SQLCipher database, the other half the photo files.
//! - [`FileCipher`]: photo files on the device (XChaCha20-Poly1305, a fresh random nonce per file).
//! - [`SealingKey`] / [`OpeningKey`]: 暗访 inspections are sealed to the county office's X25519 public key
//!   (libsodium's sealed box: an ephemeral key pair per message, XSalsa20-Poly1305). Whoever holds only
//!   the public key — the inspector's device, the server, a township — can seal but never open.
//! - [`backup`]: the county office's private key in a file of its own, encrypted with a passphrase.

pub mod backup;
mod error;
mod files;
mod seal;
mod unlock;

pub use error::{Result, VaultError};
pub use files::FileCipher;
pub use seal::{OpeningKey, SealingKey};
pub use unlock::{DeviceKey, MIN_SECRET_CHARS, SALT_LEN};

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    use chacha20poly1305::aead::rand_core::RngCore;
    let mut b = [0u8; N];
    chacha20poly1305::aead::OsRng.fill_bytes(&mut b);
    b
}
