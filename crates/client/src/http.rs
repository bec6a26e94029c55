//! The HTTP calls, with the server's `ErrorBody` turned into `SyncError::Server`.
//!
//! HTTPS with the trust rules of `tls` (platform roots, or the certificate pinned at enrolment); plain
//! HTTP only to this machine unless allowed explicitly (refused before anything is sent). Pull pages
//! are asked for zstd-compressed (`Accept-Encoding`), push bodies are sent compressed
//! (`Content-Encoding: zstd`) unless the server answered 415 to that once (an older server, or a proxy
//! that does not pass it on): then they go uncompressed. Photos are JPEG and go as they are.

use crate::tls::{plain_http_allowed, PinnedTls};
use crate::{Result, SyncError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ureq::unversioned::transport::Connector;
use uuid::Uuid;
use zoufang_sync::{
    BlobStatus, CodeRequest, CodeResponse, EnrolResponse, ErrorBody, HistoryResponse, LoginRequest, PullResponse,
    PushRequest, PushResponse, SealingKeyBody, SealingKeyInfo, SettingBody, SettingsInfo, UserRequest, MORE_HEADER,
    NEXT_CURSOR_HEADER, PROTOCOL,
};

/// Largest response read, in bytes.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub server_id: Uuid,
    pub protocol: u32,
    pub version: String,
    /// The server's clock (Unix ms); absent from servers before it was served.
    #[serde(default)]
    pub time_ms: Option<u64>,
}

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    /// Why nothing may be sent to this server (plain HTTP beyond this machine, a bad address, no TLS).
    refused: Option<Refused>,
    /// The server refused a compressed push body once: send them plain from now on.
    plain_push: Arc<AtomicBool>,
    /// Ask for compressed pages and send compressed pushes (off only to measure what it saves).
    compress: bool,
}

/// Why a client sends nothing.
#[derive(Debug, Clone)]
enum Refused {
    PlainHttp,
    BadAddress,
    Tls(String),
}

/// Compression level of push bodies: zstd's default, a good ratio for little CPU on a tablet.
const PUSH_LEVEL: i32 = 3;

impl Client {
    /// A client for the server at `base_url`, trusting the platform's roots.
    pub fn new(base_url: &str) -> Self {
        Self::pinned(base_url, None)
    }

    /// A client trusting the platform's roots or exactly the certificate whose SHA-256 is `pin`.
    pub fn pinned(base_url: &str, pin: Option<&str>) -> Self {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .build();
        let tcp = ().chain(ureq::unversioned::transport::TcpConnector::default());
        let resolver = ureq::unversioned::resolver::DefaultResolver::default();
        let (agent, refused) = match PinnedTls::new(pin) {
            Ok(tls) => (ureq::Agent::with_parts(config, tcp.chain(tls), resolver), None),
            Err(e) => (ureq::Agent::with_parts(config, tcp, resolver), Some(Refused::Tls(e.to_string()))),
        };
        let refused = refused.or_else(|| match base.split_once("://") {
            Some(("https", _)) => None,
            Some(("http", rest)) if plain_http_allowed(host_of(rest)) => None,
            Some(("http", _)) => Some(Refused::PlainHttp),
            _ => Some(Refused::BadAddress),
        });
        Client { agent, base, token: None, refused, plain_push: Arc::new(AtomicBool::new(false)), compress: true }
    }

    /// The client for the server a device is enrolled with: its address, pinned certificate and token.
    pub fn enrolled(e: &zoufang_store::Enrolment) -> Self {
        Self::pinned(&e.server_url, e.cert_pin.as_deref()).with_token(&e.token)
    }

    /// A client that neither asks for compressed pages nor compresses pushes: what a client before
    /// compression did (benchmarks compare against it).
    pub fn without_compression(mut self) -> Self {
        self.compress = false;
        self
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether this client talks plain HTTP (to this machine, or allowed explicitly): the sync screen
    /// says so.
    pub fn is_plain_http(&self) -> bool {
        self.base.starts_with("http://")
    }

    /// Refuses before anything is sent when the server's address may not be used.
    fn check(&self) -> Result<()> {
        let url = self.base.clone();
        match &self.refused {
            None => Ok(()),
            Some(Refused::PlainHttp) => Err(SyncError::PlainHttp { url }),
            Some(Refused::BadAddress) => Err(SyncError::BadAddress { url }),
            Some(Refused::Tls(detail)) => {
                Err(SyncError::Unreachable { url, detail: format!("TLS 设置失败：{detail}") })
            }
        }
    }

    fn unreachable(&self, e: ureq::Error) -> SyncError {
        if let Some(r) = crate::tls::refusal(&e) {
            return SyncError::Certificate(r);
        }
        SyncError::Unreachable { url: self.base.clone(), detail: e.to_string() }
    }

    fn finish<T: DeserializeOwned>(
        &self,
        resp: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(T, u64)> {
        self.receive(resp)?.read()
    }

    /// A response's status, headers and body as they came over the wire (read, not yet decoded).
    fn receive(&self, resp: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Received> {
        let mut resp = resp.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let zstd = header("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("zstd"));
        let next = match (header(NEXT_CURSOR_HEADER), header(MORE_HEADER)) {
            (Some(c), Some(m)) if status < 400 => c.parse().ok().zip(m.parse().ok()),
            _ => None,
        };
        let wire = resp.body_mut().with_config().limit(MAX_RESPONSE).read_to_vec().map_err(|e| self.unreachable(e))?;
        Ok(Received { status, zstd, wire, next })
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token.as_deref().unwrap_or(""))
    }

    pub fn health(&self) -> Result<Health> {
        self.check()?;
        let r = self.agent.get(format!("{}/v1/health", self.base)).call();
        self.finish(r).map(|x| x.0)
    }

    pub fn enrol(&self, code: &str, device_id: Uuid, device_name: &str) -> Result<EnrolResponse> {
        self.enrol_proving(code, device_id, device_name, None)
    }

    /// Enrols with a one-time code; a device enrolling again under its own id (its token expired)
    /// proves it is that device with `proof`: its old token, or the last link of its history the server
    /// holds.
    pub fn enrol_proving(
        &self,
        code: &str,
        device_id: Uuid,
        device_name: &str,
        proof: Option<&str>,
    ) -> Result<EnrolResponse> {
        self.check()?;
        let mut body = serde_json::json!({ "protocol": PROTOCOL, "code": code, "device_id": device_id, "device_name": device_name });
        if let Some(p) = proof {
            body["proof"] = serde_json::Value::from(p);
        }
        let r = self.agent.post(format!("{}/v1/enrol", self.base)).send_json(&body);
        self.finish(r).map(|x| x.0)
    }

    /// Enrols by signing in with a user's login and password.
    pub fn login(&self, login: &str, password: &str, device_id: Uuid, device_name: &str) -> Result<EnrolResponse> {
        self.login_proving(login, password, device_id, device_name, None)
    }

    /// Enrols by signing in; `proof` as for `enrol_proving`.
    pub fn login_proving(
        &self,
        login: &str,
        password: &str,
        device_id: Uuid,
        device_name: &str,
        proof: Option<&str>,
    ) -> Result<EnrolResponse> {
        self.check()?;
        let body = LoginRequest {
            protocol: PROTOCOL,
            login: login.to_string(),
            password: password.to_string(),
            device_id,
            device_name: device_name.to_string(),
            proof: proof.map(str::to_string),
        };
        let r = self.agent.post(format!("{}/v1/login", self.base)).send_json(&body);
        self.finish(r).map(|x| x.0)
    }

    /// Asks for a one-time enrolment code for another device (township staff, county office).
    pub fn issue_code(&self, req: &CodeRequest) -> Result<CodeResponse> {
        self.check()?;
        let r = self
            .agent
            .post(format!("{}/v1/enrol-codes", self.base))
            .header("Authorization", self.auth())
            .send_json(req);
        self.finish(r).map(|x| x.0)
    }

    /// Adds a user who will enrol by signing in (township staff, county office); returns the user's id.
    pub fn add_user(&self, req: &UserRequest) -> Result<Uuid> {
        self.check()?;
        let r = self.agent.post(format!("{}/v1/users", self.base)).header("Authorization", self.auth()).send_json(req);
        let v: serde_json::Value = self.finish(r)?.0;
        v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| SyncError::Protocol(v.to_string()))
    }

    /// The county office's key for sealing 暗访 findings; `None` while the county has not set one.
    pub fn sealing_key(&self) -> Result<Option<SealingKeyInfo>> {
        self.check()?;
        let r = self.agent.get(format!("{}/v1/sealing-key", self.base)).header("Authorization", self.auth()).call();
        match self.finish(r) {
            Ok(x) => Ok(Some(x.0)),
            Err(SyncError::Server { status: 404, code, .. }) if code == "no_sealing_key" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A household's history (痕迹管理) as the server holds it.
    pub fn history(&self, household: Uuid) -> Result<HistoryResponse> {
        self.check()?;
        let r =
            self.agent.get(format!("{}/v1/history/{household}", self.base)).header("Authorization", self.auth()).call();
        self.finish(r).map(|x| x.0)
    }

    /// The county office's settings for this device's county (keys not listed take their defaults).
    pub fn settings(&self) -> Result<SettingsInfo> {
        self.check()?;
        let r = self.agent.get(format!("{}/v1/settings", self.base)).header("Authorization", self.auth()).call();
        self.finish(r).map(|x| x.0)
    }

    /// Sets one of the county's settings (county office only); returns all of them.
    pub fn set_setting(&self, key: &str, value: i64) -> Result<SettingsInfo> {
        self.check()?;
        let body = SettingBody { key: key.to_string(), value };
        let r =
            self.agent.put(format!("{}/v1/settings", self.base)).header("Authorization", self.auth()).send_json(&body);
        self.finish(r).map(|x| x.0)
    }

    /// Sets the county's sealing key (county office only).
    pub fn set_sealing_key(&self, key: &str) -> Result<SealingKeyInfo> {
        self.check()?;
        let body = SealingKeyBody { key: key.to_string() };
        let r = self
            .agent
            .put(format!("{}/v1/sealing-key", self.base))
            .header("Authorization", self.auth())
            .send_json(&body);
        self.finish(r).map(|x| x.0)
    }

    /// Tells the server a device revoked for handover has uploaded everything it held.
    pub fn handover(&self) -> Result<()> {
        self.check()?;
        let r = self.agent.post(format!("{}/v1/handover", self.base)).header("Authorization", self.auth()).send_empty();
        self.finish::<serde_json::Value>(r).map(|_| ())
    }

    pub fn push(&self, req: &PushRequest) -> Result<PushResponse> {
        self.push_counted(req).map(|x| x.0)
    }

    /// A push, and the bytes its body took on the wire.
    pub fn push_counted(&self, req: &PushRequest) -> Result<(PushResponse, u64)> {
        self.check()?;
        let json = serde_json::to_vec(req).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let url = format!("{}/v1/push", self.base);
        let post =
            || self.agent.post(&url).header("Authorization", self.auth()).header("Content-Type", "application/json");
        if self.compress && !self.plain_push.load(Ordering::Relaxed) {
            let z = zstd::encode_all(&json[..], PUSH_LEVEL).map_err(|e| SyncError::Protocol(e.to_string()))?;
            let sent = z.len() as u64;
            match self.finish(post().header("Content-Encoding", "zstd").send(&z[..])) {
                // The server (or a proxy in front) does not take compressed bodies: plain from now on.
                Err(SyncError::Server { status: 415, .. }) => self.plain_push.store(true, Ordering::Relaxed),
                other => return other.map(|(r, _)| (r, sent)),
            }
        }
        let sent = json.len() as u64;
        self.finish(post().send(&json[..])).map(|(r, _)| (r, sent))
    }

    /// A page of the log after `after`, and the bytes it took on the wire.
    pub fn pull(&self, after: u64, limit: usize) -> Result<(PullResponse, u64)> {
        self.pull_received(after, limit)?.read()
    }

    /// A page of the log after `after` as received, not yet decoded: where the next page starts is
    /// known from its headers ([`Received::next`]), so the next can be asked for while this one is read.
    pub fn pull_received(&self, after: u64, limit: usize) -> Result<Received> {
        self.check()?;
        let r = self
            .agent
            .get(format!("{}/v1/pull?after={after}&limit={limit}", self.base))
            .header("Authorization", self.auth())
            .header("Accept-Encoding", if self.compress { "zstd" } else { "identity" })
            .call();
        self.receive(r)
    }

    /// How far the server has a photo file.
    pub fn blob_status(&self, hash: &str) -> Result<BlobStatus> {
        self.check()?;
        let r =
            self.agent.get(format!("{}/v1/blobs/{hash}/upload", self.base)).header("Authorization", self.auth()).call();
        self.finish(r).map(|x| x.0)
    }

    /// Sends one chunk of a photo file.
    pub fn blob_put(&self, hash: &str, size: u64, offset: u64, chunk: &[u8]) -> Result<BlobStatus> {
        self.check()?;
        let r = self
            .agent
            .put(format!("{}/v1/blobs/{hash}/upload?offset={offset}&size={size}", self.base))
            .header("Authorization", self.auth())
            .header("Content-Type", "application/octet-stream")
            .send(chunk);
        self.finish(r).map(|x| x.0)
    }

    /// A whole photo file; `None` when the server does not have it (yet).
    pub fn blob_get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        self.check()?;
        let r = self.agent.get(format!("{}/v1/blobs/{hash}", self.base)).header("Authorization", self.auth()).call();
        let mut resp = r.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(zoufang_sync::MAX_BLOB)
            .read_to_vec()
            .map_err(|e| self.unreachable(e))?;
        match status {
            400.. => match server_error(status, &bytes) {
                SyncError::Server { status: 404, code, .. } if code == "blob_not_uploaded" => Ok(None),
                e => Err(e),
            },
            _ => Ok(Some(bytes)),
        }
    }
}

/// The host of `host[:port][/path]`.
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// A response read off the wire, decoded by [`Received::read`].
#[derive(Debug)]
pub struct Received {
    status: u16,
    zstd: bool,
    wire: Vec<u8>,
    /// A pull page's next cursor and whether more pages follow, from its headers (a server before
    /// they were sent has none).
    pub next: Option<(u64, bool)>,
}

impl Received {
    /// The body as `T` (the server's error for an error status), and the bytes it took on the wire.
    pub fn read<T: DeserializeOwned>(self) -> Result<(T, u64)> {
        let (body, wire) = self.body()?;
        let value = serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok((value, wire))
    }

    /// The body's bytes, decompressed (the server's error for an error status), and the bytes it took
    /// on the wire.
    pub fn body(self) -> Result<(Vec<u8>, u64)> {
        let wire = self.wire.len() as u64;
        let body = if self.zstd { unzstd(&self.wire)? } else { self.wire };
        if self.status >= 400 {
            return Err(server_error(self.status, &body));
        }
        Ok((body, wire))
    }
}

/// A zstd body, decompressed (at most `MAX_RESPONSE` bytes).
fn unzstd(wire: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(wire)
        .and_then(|d| d.take(MAX_RESPONSE).read_to_end(&mut out))
        .map_err(|e| SyncError::Protocol(format!("压缩的回应无法解开：{e}")))?;
    Ok(out)
}

/// The server's `ErrorBody` (or just its status) as a `SyncError`.
fn server_error(status: u16, bytes: &[u8]) -> SyncError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(b) => SyncError::Server { status, code: b.error, message: b.message },
        Err(_) => SyncError::Server { status, code: "http".into(), message: format!("服务器返回错误 {status}") },
    }
}
