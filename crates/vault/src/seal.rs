//! Sealing 暗访 inspections to the county office (libsodium-compatible sealed boxes over X25519).

use crate::{Result, VaultError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use std::fmt;
use std::str::FromStr;

const PUBLIC_PREFIX: &str = "zoufang-seal-";
const SECRET_PREFIX: &str = "ZOUFANG-OPEN-";

/// The county office's public key: every inspector's device seals to it.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingKey(PublicKey);

/// The county office's private key: the only thing that opens a sealed inspection. Kept by the county
/// office (its device database, itself encrypted, or a file it guards); never sent to the server.
#[derive(Clone)]
pub struct OpeningKey(SecretKey);

impl OpeningKey {
    /// A new key pair.
    pub fn generate() -> OpeningKey {
        OpeningKey(SecretKey::generate(&mut OsRng))
    }

    /// The public half, to give to the server and from there to inspectors.
    pub fn sealing_key(&self) -> SealingKey {
        SealingKey(self.0.public_key())
    }

    /// The raw secret, for [`crate::backup`] to encrypt (the caller zeroes its copy).
    pub(crate) fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub(crate) fn from_secret_bytes(bytes: [u8; 32]) -> OpeningKey {
        OpeningKey(SecretKey::from(bytes))
    }

    /// Opens what was sealed to this key's public half.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>> {
        self.0.unseal(sealed).map_err(|_| VaultError::Unsealable)
    }
}

impl SealingKey {
    /// Seals `plain` so that only the holder of the matching [`OpeningKey`] can read it; not even the
    /// sealer can open it again.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        // Sealing fails only for messages beyond the cipher's limit (~256 GiB).
        self.0.seal(&mut OsRng, plain).unwrap_or_default()
    }

    /// A short fingerprint for people to compare keys by eye (first 8 bytes, hex).
    pub fn fingerprint(&self) -> String {
        self.0.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn parse_key(text: &str, prefix: &str, what: &str) -> Result<[u8; 32]> {
    let body =
        text.trim().strip_prefix(prefix).ok_or_else(|| VaultError::BadKey(format!("{what}应以 {prefix} 开头")))?;
    let bytes = B64.decode(body).map_err(|_| VaultError::BadKey(format!("{what}不是有效的编码")))?;
    bytes.try_into().map_err(|_| VaultError::BadKey(format!("{what}长度不对")))
}

impl fmt::Display for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", B64.encode(self.0.as_bytes()))
    }
}

impl FromStr for SealingKey {
    type Err = VaultError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(SealingKey(PublicKey::from(parse_key(s, PUBLIC_PREFIX, "公钥")?)))
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealingKey({})", self.fingerprint())
    }
}

impl fmt::Display for OpeningKey {
    /// The private key as text, for the county office to keep (a file or its encrypted device).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SECRET_PREFIX}{}", B64.encode(self.0.to_bytes()))
    }
}

impl FromStr for OpeningKey {
    type Err = VaultError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(OpeningKey(SecretKey::from(parse_key(s, SECRET_PREFIX, "私钥")?)))
    }
}

impl fmt::Debug for OpeningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpeningKey(for {})", self.sealing_key().fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_the_county_office_opens_what_an_inspector_sealed() {
        let county = OpeningKey::generate();
        let public: SealingKey = county.sealing_key().to_string().parse().unwrap();
        let sealed = public.seal("龙国富家：住房有裂缝，未整改".as_bytes());
        assert!(!String::from_utf8_lossy(&sealed).contains("龙国富"));
        assert_eq!(county.open(&sealed).unwrap(), "龙国富家：住房有裂缝，未整改".as_bytes());
        let other = OpeningKey::generate();
        assert_eq!(other.open(&sealed), Err(VaultError::Unsealable));
        let mut tampered = sealed.clone();
        tampered[40] ^= 1;
        assert_eq!(county.open(&tampered), Err(VaultError::Unsealable));
    }

    #[test]
    fn keys_round_trip_as_text_and_bad_text_is_refused() {
        let k = OpeningKey::generate();
        let again: OpeningKey = k.to_string().parse().unwrap();
        assert_eq!(again.sealing_key(), k.sealing_key());
        assert!(k.to_string().starts_with("ZOUFANG-OPEN-"));
        assert!("zoufang-seal-abc".parse::<SealingKey>().is_err());
        assert!(k.to_string().parse::<SealingKey>().is_err(), "a private key is not a public key");
        assert!(format!("{k:?}").len() < 40, "debug output never shows the private key");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn sealing_round_trips(plain in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let k = OpeningKey::generate();
            prop_assert_eq!(k.open(&k.sealing_key().seal(&plain)).unwrap(), plain);
        }
    }
}
