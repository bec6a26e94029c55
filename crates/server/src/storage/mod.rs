//! The server's storage, as the API and the admin commands see it: one `Storage` whose methods are
//! grouped by concern (`access`: who may call; `log`: the change log, its files and its audit;
//! `admin`: what the server keeps about itself and counts for its operator). The flows are written
//! once here and in `crate::access` / `crate::batch`; a backend (SQLite, the embedded default, or
//! PostgreSQL, the scale backend) supplies only row-level traits (`AccessRows`, `LogRows`,
//! `AdminRows`): reading and writing its rows inside the transactions the flows ask for. Methods block:
//! handlers call them on tokio's blocking pool.

mod access;
mod admin;
mod log;

pub(crate) use access::{AccessRows, AccessTx, DeviceRow, LoginRow, NewCode};
pub(crate) use admin::AdminRows;
pub(crate) use log::{DeviceHistory, LogRows, RowLogEntry};

pub use crate::access::FileRights;
use crate::pg::PgStorage;
use crate::sqlite::SqliteStorage;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use zoufang_model::{Role, Scope};

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

/// Everything a backend supplies, by concern.
pub(crate) trait Backend: AccessRows + LogRows + AdminRows + Send + Sync + 'static {}

impl<B: AccessRows + LogRows + AdminRows + Send + Sync + 'static> Backend for B {}

/// The server's storage over one backend. Cheap to clone (the backend is shared).
#[derive(Clone)]
pub struct Storage {
    rows: Arc<dyn Backend>,
}

impl Storage {
    fn over(rows: Arc<dyn Backend>) -> Self {
        Storage { rows }
    }
}

impl From<Arc<SqliteStorage>> for Storage {
    fn from(s: Arc<SqliteStorage>) -> Self {
        Storage::over(s)
    }
}

impl From<Arc<PgStorage>> for Storage {
    fn from(s: Arc<PgStorage>) -> Self {
        Storage::over(s)
    }
}

impl From<SqliteStorage> for Storage {
    fn from(s: SqliteStorage) -> Self {
        Storage::over(Arc::new(s))
    }
}

impl From<PgStorage> for Storage {
    fn from(s: PgStorage) -> Self {
        Storage::over(Arc::new(s))
    }
}
