//! HTTPS for the server. Tablets carry 身份证号, health and income data over township Wi-Fi and the
//! internet, so the server speaks TLS itself whenever it listens beyond loopback:
//!
//! - with the certificate and key the operator gives (`serve --tls-cert/--tls-key`: a public CA's, a
//!   private CA's or any other), or
//! - with its own: a self-signed certificate made on first start and kept beside the database
//!   (`tls/server.crt`, `tls/server.key`, the key readable by the server's user only), so every later
//!   start, and every enrolment code, carries the same fingerprint. Devices pin that fingerprint at
//!   enrolment (it is in the QR code), which is what makes a self-signed certificate safe to trust.
//!
//! The fingerprint is the SHA-256 of the certificate (DER), as 64 lowercase hex digits.

use anyhow::{bail, Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A server's TLS setup.
pub struct ServerTls {
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the leaf certificate, 64 lowercase hex digits: what devices pin.
    pub fingerprint: String,
    /// Where the certificate is (to tell the operator).
    pub cert_path: PathBuf,
    /// Made by the server itself (self-signed), rather than given.
    pub own: bool,
}

/// The SHA-256 fingerprint of a certificate (DER), as devices pin it.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// A fingerprint for people: groups of four, as a screen or a printed sheet shows it.
pub fn display_fingerprint(hex: &str) -> String {
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).to_uppercase()).collect::<Vec<_>>().join(" ")
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// TLS with a given certificate chain and key (PEM files).
pub fn load(cert: &Path, key: &Path) -> Result<ServerTls> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("无法读取证书 {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("证书 {} 不是有效的 PEM", cert.display()))?;
    let Some(leaf) = chain.first() else { bail!("证书文件 {} 里没有证书", cert.display()) };
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("无法读取私钥 {}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS 协议版本")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("证书与私钥不匹配")?;
    Ok(ServerTls { config: Arc::new(config), fingerprint, cert_path: cert.to_path_buf(), own: false })
}

/// The server's own certificate in `dir` (`server.crt`, `server.key`), made now if it is not there
/// yet, for the names and addresses devices will use to reach it.
pub fn own(dir: &Path, names: &[String]) -> Result<ServerTls> {
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    if !cert.exists() || !key.exists() {
        make_self_signed(dir, names, None)?;
    }
    let mut tls = load(&cert, &key)?;
    tls.own = true;
    Ok(tls)
}

/// Makes a self-signed certificate and key in `dir` for `names` (DNS names or IP addresses). `valid`
/// bounds its validity (tests make expired ones); by default it lasts 20 years from now (a township
/// laptop's certificate should not expire under the tablets pinned to it).
pub fn make_self_signed(
    dir: &Path,
    names: &[String],
    valid: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建 {}", dir.display()))?;
    let mut params = rcgen::CertificateParams::new(names.to_vec()).context("证书名称无效")?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "zoufang sync server");
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "走访");
    let now = time::OffsetDateTime::now_utc();
    let (from, until) = valid.unwrap_or((now - time::Duration::days(1), now + time::Duration::days(365 * 20)));
    params.not_before = from;
    params.not_after = until;
    let key = rcgen::KeyPair::generate().context("生成密钥失败")?;
    let cert = params.self_signed(&key).context("生成证书失败")?;
    let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, cert.pem()).with_context(|| format!("无法写入 {}", cert_path.display()))?;
    Ok((cert_path, key_path))
}

/// Writes a file only its owner may read (a private key).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("无法写入 {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// How a server listening on `listen` meets the network: with the given certificate; plain HTTP on
/// loopback (development, or behind a TLS proxy on the same machine) or when the operator insists on
/// it beyond loopback (`insecure_plain`); otherwise with its own certificate kept in `own_dir`.
pub fn plan(
    listen: std::net::SocketAddr,
    given: Option<(&Path, &Path)>,
    own_dir: &Path,
    insecure_plain: bool,
) -> Result<Option<ServerTls>> {
    if let Some((cert, key)) = given {
        return load(cert, key).map(Some);
    }
    if listen.ip().is_loopback() || insecure_plain {
        return Ok(None);
    }
    own(own_dir, &names_for(listen)).map(Some)
}

/// The names a server listening on `listen` is reached by: its host name, the address it listens on
/// (or, listening on all, the address it reaches the network from) and loopback.
pub fn names_for(listen: std::net::SocketAddr) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        if !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            names.push(h.to_string());
        }
    }
    let ip = if listen.ip().is_unspecified() { outward_ip() } else { Some(listen.ip()) };
    names.extend(ip.filter(|ip| !ip.is_loopback()).map(|ip| ip.to_string()));
    names.dedup();
    names
}

/// The address this machine reaches the network from (no packet is sent: a UDP socket is only
/// connected, which picks the route).
pub fn outward_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("10.255.255.255:9").ok()?;
    s.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_certificate_is_made_once_and_keeps_its_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let first = own(dir.path(), &["localhost".into(), "10.1.2.3".into()]).unwrap();
        let again = own(dir.path(), &["other".into()]).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint, "the second start reuses the certificate");
        assert_eq!(first.fingerprint.len(), 64);
        assert!(first.own);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("server.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is the owner's alone");
        }
        assert_eq!(display_fingerprint("ab12cd34ef"), "AB12 CD34 EF");
        assert!(load(&dir.path().join("server.crt"), &dir.path().join("missing.key")).is_err());
    }
}
