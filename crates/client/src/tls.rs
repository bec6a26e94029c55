//! HTTPS for the sync client, with rustls (no OpenSSL on the device).
//!
//! A server is trusted when its certificate chains to the platform's roots (a county server with a
//! public or government CA certificate), **or** when its certificate is exactly the one pinned at
//! enrolment (the SHA-256 in the QR code: township laptops and county servers with a self-signed or
//! private-CA certificate). A pinned certificate must still be within its validity dates. A server
//! that is neither is refused during the handshake, before any request is sent, with a reason the
//! device shows (`CertRefusal`).
//!
//! Plain `http://` is for this machine only (loopback), unless the person set the loudly named
//! `ZOUFANG_INSECURE_PLAIN_HTTP=1`; see `plain_http_allowed`.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

/// The environment variable that allows plain HTTP to a server beyond this machine.
pub const INSECURE_PLAIN_HTTP: &str = "ZOUFANG_INSECURE_PLAIN_HTTP";

/// Why a server's certificate was not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertRefusal {
    /// The certificate is not the pinned one, and no trusted authority vouches for it.
    #[error("服务器 {server} 出示的证书与注册时记录的不符（可能不是同一台服务器，或有人冒充）。本机没有发送任何数据；如服务器确实更换了证书，请向乡镇管理员索取新的注册二维码")]
    PinMismatch { server: String },
    #[error("服务器 {server} 的证书已过期或尚未生效。本机没有发送任何数据；请联系服务器管理员更新证书")]
    Expired { server: String },
    #[error("服务器 {server} 的证书不受信任，注册时也没有记录它的指纹。本机没有发送任何数据；请扫描乡镇管理员提供的注册二维码")]
    Untrusted { server: String },
}

/// Whether plain HTTP may be used for `url`: to this machine, or when the person allowed it explicitly.
pub fn plain_http_allowed(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback =
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback || std::env::var(INSECURE_PLAIN_HTTP).is_ok_and(|v| v == "1")
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A 64-hex-digit SHA-256 pin, if it is one.
fn parse_pin(pin: &str) -> Option<[u8; 32]> {
    let pin = pin.trim();
    if pin.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(pin.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Trusts the platform's roots, or exactly the pinned certificate.
#[derive(Debug)]
struct PinnedOrPlatform {
    platform: Arc<dyn ServerCertVerifier>,
    pin: Option<[u8; 32]>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for PinnedOrPlatform {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let server = server_name.to_str().into_owned();
        let refuse = |r: CertRefusal| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(Arc::new(r))))
        };
        match self.platform.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(v) => Ok(v),
            Err(platform) => {
                let Some(pin) = self.pin else {
                    return Err(match platform {
                        rustls::Error::InvalidCertificate(
                            rustls::CertificateError::Expired | rustls::CertificateError::NotValidYet,
                        ) => refuse(CertRefusal::Expired { server }),
                        _ => refuse(CertRefusal::Untrusted { server }),
                    });
                };
                if Sha256::digest(end_entity.as_ref())[..] != pin[..] {
                    return Err(refuse(CertRefusal::PinMismatch { server }));
                }
                // The pinned certificate itself: still only within its dates.
                match validity(end_entity.as_ref()) {
                    Some((from, until)) if (from..=until).contains(&(now.as_secs() as i64)) => {
                        Ok(ServerCertVerified::assertion())
                    }
                    _ => Err(refuse(CertRefusal::Expired { server })),
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// The validity dates of a certificate (DER), as Unix seconds: the two times in the
/// `tbsCertificate`'s `validity`, read with a small DER walk.
fn validity(der: &[u8]) -> Option<(i64, i64)> {
    /// One TLV: tag, contents, what follows.
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = b.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    fn time(tag: u8, v: &[u8]) -> Option<i64> {
        let s = std::str::from_utf8(v).ok()?.trim_end_matches('Z');
        let full = match tag {
            0x17 => format!("{}{s}", if s.get(..2)?.parse::<u32>().ok()? >= 50 { "19" } else { "20" }),
            0x18 => s.to_string(),
            _ => return None,
        };
        chrono::NaiveDateTime::parse_from_str(full.get(..14)?, "%Y%m%d%H%M%S").ok().map(|t| t.and_utc().timestamp())
    }
    let (_, cert, _) = tlv(der)?;
    let (_, mut tbs, _) = tlv(cert)?;
    let (tag, _, rest) = tlv(tbs)?;
    if tag == 0xa0 {
        tbs = rest; // explicit version
    }
    let (_, _, rest) = tlv(tbs)?; // serial
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, _, rest) = tlv(rest)?; // issuer
    let (_, validity, _) = tlv(rest)?;
    let (t1, v1, rest) = tlv(validity)?;
    let (t2, v2, _) = tlv(rest)?;
    Some((time(t1, v1)?, time(t2, v2)?))
}

/// The platform's verifier, made once per process (it reads the system's root certificates).
fn platform() -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    static PLATFORM: std::sync::OnceLock<Arc<dyn ServerCertVerifier>> = std::sync::OnceLock::new();
    if let Some(v) = PLATFORM.get() {
        return Ok(v.clone());
    }
    let v: Arc<dyn ServerCertVerifier> = Arc::new(rustls_platform_verifier::Verifier::new(provider())?);
    Ok(PLATFORM.get_or_init(|| v).clone())
}

/// The rustls configuration for a client trusting the platform and `pin`.
pub fn client_config(pin: Option<&str>) -> Result<Arc<ClientConfig>, rustls::Error> {
    let provider = provider();
    let platform = platform()?;
    let schemes = platform.supported_verify_schemes();
    let verifier = PinnedOrPlatform { platform, pin: pin.and_then(parse_pin), schemes };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Wraps the TCP connection of every `https://` request in TLS with our trust rules (ureq's own
/// rustls connector only knows fixed root sets).
#[derive(Debug)]
pub struct PinnedTls {
    config: Arc<ClientConfig>,
}

impl PinnedTls {
    pub fn new(pin: Option<&str>) -> Result<PinnedTls, rustls::Error> {
        Ok(PinnedTls { config: client_config(pin)? })
    }
}

impl<In: Transport> Connector<In> for PinnedTls {
    type Out = Either<In, TlsTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else { return Ok(None) };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
        let name = ServerName::try_from(host.clone()).map_err(|_| ureq::Error::Tls("服务器地址无效"))?;
        let mut conn =
            ClientConnection::new(self.config.clone(), name).map_err(|e| ureq::Error::Io(std::io::Error::other(e)))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(ureq::Error::Io(handshake_error(e)));
        }
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// A refused certificate comes out as its `CertRefusal` (inside the I/O error), so the client can say
/// which server and why.
fn handshake_error(e: std::io::Error) -> std::io::Error {
    let refusal = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).and_then(|r| match r {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => {
            o.0.downcast_ref::<CertRefusal>().cloned()
        }
        _ => None,
    });
    match refusal {
        Some(r) => std::io::Error::new(std::io::ErrorKind::InvalidData, r),
        None => e,
    }
}

/// The refusal behind a ureq error, if a certificate was refused.
pub fn refusal(e: &ureq::Error) -> Option<CertRefusal> {
    match e {
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<CertRefusal>()).cloned(),
        _ => None,
    }
}

pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_dates_are_read_from_the_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.clone().self_signed(&key).unwrap();
        assert_eq!(validity(cert.der()), Some((1_700_000_000, 1_800_000_000)));
        // Far-future dates come as GeneralizedTime.
        params.not_after = time::OffsetDateTime::from_unix_timestamp(4_102_444_800).unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(validity(cert.der()).map(|v| v.1), Some(4_102_444_800));
        assert_eq!(validity(b"not a certificate"), None);
    }

    #[test]
    fn pins_and_plain_http() {
        assert!(parse_pin(&"ab".repeat(32)).is_some());
        assert!(parse_pin("abc").is_none() && parse_pin(&"zz".repeat(32)).is_none());
        assert!(plain_http_allowed("127.0.0.1") && plain_http_allowed("localhost") && plain_http_allowed("[::1]"));
        if std::env::var(INSECURE_PLAIN_HTTP).is_err() {
            assert!(!plain_http_allowed("10.0.0.5") && !plain_http_allowed("zoufang.example.cn"));
        }
    }
}
