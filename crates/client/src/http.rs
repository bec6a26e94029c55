//! The HTTP calls, with the server's `ErrorBody` turned into `SyncError::Server`.

use crate::{Result, SyncError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;
use zoufang_sync::{EnrolResponse, ErrorBody, PullResponse, PushRequest, PushResponse, PROTOCOL};

/// Largest response read, in bytes.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub server_id: Uuid,
    pub protocol: u32,
    pub version: String,
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
            let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
            return Err(match body {
                Some(b) => SyncError::Server { status, code: b.error, message: b.message },
                None => SyncError::Server {
                    status, code: "http".into(), message: format!("服务器返回错误 {status}")
                },
            });
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
        let body = serde_json::json!({ "protocol": PROTOCOL, "code": code, "device_id": device_id, "device_name": device_name });
        let r = self.agent.post(format!("{}/v1/enrol", self.base)).send_json(&body);
        self.finish(r).map(|x| x.0)
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
}
