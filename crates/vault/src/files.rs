//! Photo files at rest: `ZFE1` ‖ 24-byte random nonce ‖ XChaCha20-Poly1305 ciphertext and tag.
//! The tag makes a damaged or swapped file fail to open instead of showing wrong bytes.

use crate::{random, Result, VaultError};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const MAGIC: &[u8; 4] = b"ZFE1";
const NONCE: usize = 24;
const TAG: usize = 16;

/// Encrypts and decrypts one device's files.
#[derive(Clone)]
pub struct FileCipher {
    aead: XChaCha20Poly1305,
}

impl FileCipher {
    pub(crate) fn new(key: &[u8; 32]) -> FileCipher {
        FileCipher { aead: XChaCha20Poly1305::new(key.into()) }
    }

    /// Size on disk of a file of `plain` bytes.
    pub fn encrypted_len(plain: usize) -> usize {
        MAGIC.len() + NONCE + plain + TAG
    }

    /// Encrypts a whole file.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE] = random();
        let mut out = Vec::with_capacity(Self::encrypted_len(plain.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        // Encryption with a valid key and nonce cannot fail (only over-long messages do, ~256 GiB).
        let sealed =
            self.aead.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: MAGIC }).unwrap_or_default();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a file made by [`FileCipher::encrypt`] with the same key.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>> {
        if data.len() < MAGIC.len() + NONCE + TAG || &data[..MAGIC.len()] != MAGIC {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, body) = data[MAGIC.len()..].split_at(NONCE);
        self.aead
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: MAGIC })
            .map_err(|_| VaultError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeviceKey;
    use proptest::prelude::*;

    fn cipher(secret: &str) -> FileCipher {
        DeviceKey::derive(secret, [1; 16]).unwrap().files()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn round_trips_and_hides_the_content(plain in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let c = FileCipher::new(&[9; 32]);
            let enc = c.encrypt(&plain);
            prop_assert_eq!(enc.len(), FileCipher::encrypted_len(plain.len()));
            prop_assert_eq!(c.decrypt(&enc).unwrap(), plain.clone());
            if plain.len() >= 16 {
                prop_assert!(!enc.windows(16).any(|w| w == &plain[..16]));
            }
        }

        #[test]
        fn any_flipped_byte_is_detected(plain in proptest::collection::vec(any::<u8>(), 1..512), at in any::<usize>()) {
            let c = FileCipher::new(&[9; 32]);
            let mut enc = c.encrypt(&plain);
            let i = at % enc.len();
            enc[i] ^= 0x40;
            prop_assert_eq!(c.decrypt(&enc), Err(VaultError::Undecryptable));
        }
    }

    #[test]
    fn another_key_or_a_plain_file_does_not_open() {
        let enc = cipher("123456").encrypt("龙家的户口簿".as_bytes());
        assert_eq!(cipher("654321").decrypt(&enc), Err(VaultError::Undecryptable));
        assert_eq!(cipher("123456").decrypt(b"\xFF\xD8\xFF\xE0 a plain jpeg"), Err(VaultError::Undecryptable));
        assert_ne!(cipher("123456").encrypt(b"x"), cipher("123456").encrypt(b"x"), "fresh nonce each time");
    }
}
