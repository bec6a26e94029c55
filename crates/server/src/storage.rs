//! What the HTTP layer needs from a storage backend. SQLite implements it (the embedded default);
//! PostgreSQL implements the same trait for the scale deployment. Methods block: handlers call them
//! on tokio's blocking pool.

pub use crate::access::FileRights;
use crate::error::ServerError;
use crate::guard::Admit;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{Change, EnrolResponse, LoginRequest, PushRequest, PushResponse};

/// The address devices reach this server at (`serve --public-url`, or what it listens on).
pub const PUBLIC_URL: &str = "public_url";
/// The SHA-256 fingerprint of the certificate the server serves, which devices pin at enrolment
/// (empty: plain HTTP, or a certificate from a CA the devices trust anyway).
pub const TLS_PIN: &str = "tls_pin";

/// How long a device token lasts unless the code or user says otherwise.
pub const TOKEN_DAYS: u32 = 180;

/// An authenticated device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceAuth {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub role: Role,
    /// Revoked for handover at this instant (Unix ms): the device may still push changes made before it
    /// and upload their photos, then it hands in and wipes. `None` for a device in good standing.
    pub handover_from: Option<i64>,
}

impl DeviceAuth {
    /// A device in good standing (tests and trusted tools build these directly).
    pub fn new(id: Uuid, name: impl Into<String>, scope: Scope, role: Role) -> Self {
        DeviceAuth { id, name: name.into(), scope, role, handover_from: None }
    }
}

/// Why a device was revoked, which decides what it may still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeMode {
    /// Handed over or its user left: it uploads what it still holds, then wipes itself.
    Handover,
    /// Lost or stolen: refused outright; if it ever calls again it is told to wipe.
    Lost,
}

impl RevokeMode {
    pub fn ident(self) -> &'static str {
        match self {
            RevokeMode::Handover => "handover",
            RevokeMode::Lost => "lost",
        }
    }
}

/// A user as the admin lists them (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A device as the admin lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub role: Role,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoke_mode: Option<RevokeMode>,
    pub handed_in_at: Option<String>,
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
    /// Issues a one-time enrolment code for a field device (work team) with this village scope, or an
    /// office device at the scope's level.
    fn create_enrol_code(&self, device_name: &str, scope: &Scope, ttl_hours: u32) -> Result<String, ServerError> {
        let role = match scope {
            Scope::Village(_) => Role::WorkTeam,
            Scope::Township(_) => Role::Township,
            Scope::County(_) => Role::County,
        };
        self.create_enrol_code_for(device_name, scope, role, ttl_hours, TOKEN_DAYS)
    }
    /// Issues a one-time enrolment code for a device of `role`; its token will last `token_days`.
    fn create_enrol_code_for(
        &self,
        device_name: &str,
        scope: &Scope,
        role: Role,
        ttl_hours: u32,
        token_days: u32,
    ) -> Result<String, ServerError>;
    /// Redeems a code: registers the device and returns its token. A device whose token expired may
    /// enrol again under its own id (its unsent data then goes up as before) when it proves it is that
    /// device: `proof` is its old token or the last link of its history the server holds.
    fn enrol(
        &self,
        code: &str,
        device_id: Uuid,
        device_name: &str,
        proof: Option<&str>,
    ) -> Result<EnrolResponse, ServerError>;
    /// Enrols a device by a user's login and password; the device takes the user's role and scope.
    fn login(&self, req: &LoginRequest) -> Result<EnrolResponse, ServerError>;
    /// Adds a user; the password is stored as an argon2id hash.
    fn create_user(
        &self,
        login: &str,
        name: &str,
        role: Role,
        scope: &Scope,
        password: &str,
    ) -> Result<Uuid, ServerError>;
    fn users(&self) -> Result<Vec<UserInfo>, ServerError>;
    /// Disables a user and revokes their devices for handover. Returns false for an unknown login.
    fn disable_user(&self, login: &str) -> Result<bool, ServerError>;
    fn authenticate(&self, token: &str) -> Result<DeviceAuth, ServerError>;
    /// A device revoked for handover has uploaded what it holds: from now on it is refused, and wipes.
    fn handover_done(&self, device: &DeviceAuth) -> Result<(), ServerError>;
    fn push(&self, device: &DeviceAuth, req: PushRequest) -> Result<PushResponse, ServerError>;
    /// A page of the log after `after` in the device's scope, as the JSON body of a `PullResponse`
    /// (built by the backend so stored values need not be parsed and printed again).
    fn pull(&self, device: &DeviceAuth, after: u64, limit: usize) -> Result<Vec<u8>, ServerError>;
    /// A page of the whole log with no scope or role filter: a trusted tool's full export (the server's
    /// reports mirror) and the baseline the scope filter's cost is measured against. Never served.
    fn pull_unfiltered(&self, after: u64, limit: usize) -> Result<Vec<u8>, ServerError>;
    /// Loads changes from a trusted source (demo data, migration from another system) without scope checks.
    fn ingest_trusted(&self, source_name: &str, changes: &[Change]) -> Result<usize, ServerError>;
    fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError>;
    /// Revokes a device. Returns false when it is unknown or already revoked.
    fn revoke(&self, device: Uuid, mode: RevokeMode) -> Result<bool, ServerError>;
    fn villages(&self) -> Result<Vec<VillageInfo>, ServerError>;
    /// Keeps the county office's public key for `county` (6 digits), replacing an earlier one.
    fn set_sealing_key(&self, county: &str, key: &str, by: Uuid) -> Result<(), ServerError>;
    /// The county office's public key for `county` and when it was set.
    fn sealing_key(&self, county: &str) -> Result<Option<(String, String)>, ServerError>;
    /// The division code of a village the server knows.
    fn village_code(&self, village: Uuid) -> Result<Option<String>, ServerError>;
    fn stats(&self) -> Result<Stats, ServerError>;
    /// Recomputes every device's history chain from what the server stored: detects entries altered
    /// in the database after they were accepted.
    fn audit(&self) -> Result<Vec<AuditReport>, ServerError>;
    /// What the device may do with the file `hash` (see `access::file_rights`).
    fn file_rights(&self, device: &DeviceAuth, hash: &str) -> Result<FileRights, ServerError>;
    /// The device uploaded the whole file `hash` and its bytes matched the name: the records naming it
    /// that the device may read now count as holding it, so their villages' devices may read it.
    fn prove_file(&self, device: &DeviceAuth, hash: &str) -> Result<(), ServerError>;
    /// Admits one attempt at a secret (an enrolment code, a password) on each key (a client address, an
    /// account) before it is checked, atomically, by `guard::admit` over every key: on `Go` the attempt
    /// is counted as pending on each key; otherwise nothing is counted. Kept in the database, so
    /// restarts and replicas share it; a key's counts are forgotten `window_ms` after its first attempt.
    fn guard_take(&self, keys: &[String], limit: u32, window_ms: i64) -> Result<Admit, ServerError>;
    /// Ends an attempt admitted by `guard_take`: no longer pending, and counted as a failure when its
    /// secret was wrong.
    fn guard_release(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError>;
    /// Something the server keeps about itself (`PUBLIC_URL`, `TLS_PIN`: how devices reach it, written
    /// by `serve` and read by `admin enrol --qr`).
    fn meta(&self, key: &str) -> Result<Option<String>, ServerError>;
    fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError>;
}
