//! The HTTP calls, with the server's `ErrorBody` turned into `SyncError::Server`.

use crate::{Result, SyncError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;
use zoufang_sync::{
    BlobStatus, CodeRequest, CodeResponse, EnrolResponse, ErrorBody, LoginRequest, PullResponse, PushRequest,
    PushResponse, SealingKeyBody, SealingKeyInfo, UserRequest, PROTOCOL,
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
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .build()
            .into();
        Client { agent, base: base_url.trim_end_matches('/').to_string(), token: None }
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: ureq::Error) -> SyncError {
        SyncError::Unreachable { url: self.base.clone(), detail: e.to_string() }
    }

    fn finish<T: DeserializeOwned>(
        &self,
        resp: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(T, u64)> {
        let mut resp = resp.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        let bytes = resp.body_mut().with_config().limit(MAX_RESPONSE).read_to_vec().map_err(|e| self.unreachable(e))?;
        if status >= 400 {
            return Err(server_error(status, &bytes));
        }
        let value = serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok((value, bytes.len() as u64))
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token.as_deref().unwrap_or(""))
    }

    pub fn health(&self) -> Result<Health> {
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
        let r = self
            .agent
            .post(format!("{}/v1/enrol-codes", self.base))
            .header("Authorization", self.auth())
            .send_json(req);
        self.finish(r).map(|x| x.0)
    }

    /// Adds a user who will enrol by signing in (township staff, county office); returns the user's id.
    pub fn add_user(&self, req: &UserRequest) -> Result<Uuid> {
        let r = self.agent.post(format!("{}/v1/users", self.base)).header("Authorization", self.auth()).send_json(req);
        let v: serde_json::Value = self.finish(r)?.0;
        v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| SyncError::Protocol(v.to_string()))
    }

    /// The county office's key for sealing 暗访 findings; `None` while the county has not set one.
    pub fn sealing_key(&self) -> Result<Option<SealingKeyInfo>> {
        let r = self.agent.get(format!("{}/v1/sealing-key", self.base)).header("Authorization", self.auth()).call();
        match self.finish(r) {
            Ok(x) => Ok(Some(x.0)),
            Err(SyncError::Server { status: 404, code, .. }) if code == "no_sealing_key" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets the county's sealing key (county office only).
    pub fn set_sealing_key(&self, key: &str) -> Result<SealingKeyInfo> {
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
        let r = self.agent.post(format!("{}/v1/handover", self.base)).header("Authorization", self.auth()).send_empty();
        self.finish::<serde_json::Value>(r).map(|_| ())
    }

    pub fn push(&self, req: &PushRequest) -> Result<PushResponse> {
        let r = self.agent.post(format!("{}/v1/push", self.base)).header("Authorization", self.auth()).send_json(req);
        self.finish(r).map(|x| x.0)
    }

    /// A page of the log after `after`, and the bytes it took on the wire.
    pub fn pull(&self, after: u64, limit: usize) -> Result<(PullResponse, u64)> {
        let r = self
            .agent
            .get(format!("{}/v1/pull?after={after}&limit={limit}", self.base))
            .header("Authorization", self.auth())
            .call();
        self.finish(r)
    }

    /// How far the server has a photo file.
    pub fn blob_status(&self, hash: &str) -> Result<BlobStatus> {
        let r =
            self.agent.get(format!("{}/v1/blobs/{hash}/upload", self.base)).header("Authorization", self.auth()).call();
        self.finish(r).map(|x| x.0)
    }

    /// Sends one chunk of a photo file.
    pub fn blob_put(&self, hash: &str, size: u64, offset: u64, chunk: &[u8]) -> Result<BlobStatus> {
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

/// The server's `ErrorBody` (or just its status) as a `SyncError`.
fn server_error(status: u16, bytes: &[u8]) -> SyncError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(b) => SyncError::Server { status, code: b.error, message: b.message },
        Err(_) => SyncError::Server { status, code: "http".into(), message: format!("服务器返回错误 {status}") },
    }
}
