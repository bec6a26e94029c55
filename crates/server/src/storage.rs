//! What the HTTP layer needs from a storage backend. SQLite implements it (the embedded default);
//! PostgreSQL implements the same trait for the scale deployment. Methods block: handlers call them
//! on tokio's blocking pool.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::Scope;
use zoufang_sync::{Change, EnrolResponse, PushRequest, PushResponse};

/// An authenticated device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceAuth {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
}

/// A device as the admin lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub last_batch: i64,
}

/// A village as the admin lists it (to build scopes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageInfo {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub township: String,
    pub households: i64,
}

/// Counts for the admin's overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub changes: i64,
    pub live_records: i64,
    pub villages: i64,
    pub households: i64,
    pub members: i64,
    pub visits: i64,
    pub open_conflicts: i64,
    pub devices: i64,
}

/// The result of checking one device's history chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub device: Uuid,
    pub name: String,
    /// Chained changes checked (stored and refused).
    pub checked: usize,
    /// `None` when the chain is whole; otherwise what is wrong and where.
    pub problem: Option<String>,
}

pub trait Storage: Send + Sync + 'static {
    fn server_id(&self) -> Uuid;
    /// Issues a one-time enrolment code for a device with this scope.
    fn create_enrol_code(&self, device_name: &str, scope: &Scope, ttl_hours: u32) -> Result<String, ApiError>;
    /// Redeems a code: registers the device and returns its token.
    fn enrol(&self, code: &str, device_id: Uuid, device_name: &str) -> Result<EnrolResponse, ApiError>;
    fn authenticate(&self, token: &str) -> Result<DeviceAuth, ApiError>;
    fn push(&self, device: &DeviceAuth, req: PushRequest) -> Result<PushResponse, ApiError>;
    /// A page of the log after `after` in the device's scope, as the JSON body of a `PullResponse`
    /// (built by the backend so stored values need not be parsed and printed again).
    fn pull(&self, device: &DeviceAuth, after: u64, limit: usize) -> Result<Vec<u8>, ApiError>;
    /// Loads changes from a trusted source (demo data, migration from another system) without scope checks.
    fn ingest_trusted(&self, source_name: &str, changes: &[Change]) -> Result<usize, ApiError>;
    fn devices(&self) -> Result<Vec<DeviceInfo>, ApiError>;
    fn revoke(&self, device: Uuid) -> Result<bool, ApiError>;
    fn villages(&self) -> Result<Vec<VillageInfo>, ApiError>;
    fn stats(&self) -> Result<Stats, ApiError>;
    /// Recomputes every device's history chain from what the server stored: detects entries altered
    /// in the database after they were accepted.
    fn audit(&self) -> Result<Vec<AuditReport>, ApiError>;
    /// Whether a photo record inside the device's scope names the file `hash`: only then may the
    /// device upload or fetch it.
    fn blob_in_scope(&self, device: &DeviceAuth, hash: &str) -> Result<bool, ApiError>;
}
