//! The wire protocol between devices and the server (JSON over HTTP). Versioned: a device states the
//! protocol it speaks and the server refuses one it does not understand with a clear message.

use crate::hlc::Hlc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;
use zoufang_model::{Entity, Role, Scope};

/// The protocol this build speaks.
pub const PROTOCOL: u32 = 1;
/// Most changes one push may carry.
pub const MAX_BATCH: usize = 5000;
/// Largest request body the server reads, in bytes.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Most log entries one pull page returns.
pub const MAX_PAGE: usize = 20_000;
/// Pull responses' headers with the page's `cursor` and `more`, so that a device can ask for the next
/// page while it reads this one.
pub const NEXT_CURSOR_HEADER: &str = "zoufang-cursor";
pub const MORE_HEADER: &str = "zoufang-more";

/// A server-assigned position in the change log; pull cursors count in it.
pub type Seq = u64;

/// Which value of a field an edit was based on: a synced one (its log position) or one of this device's
/// own changes not yet acknowledged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Version {
    Seq(Seq),
    Local(Uuid),
}

/// A number is a log position, a string a change id. Written by hand: serde's untagged enums try each
/// variant and build an error for every miss, which made reading a record's versions slow.
impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Version;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a log position (number) or a change id (UUID string)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Version, E> {
                Ok(Version::Seq(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Version, E> {
                u64::try_from(v).map(Version::Seq).map_err(|_| E::custom("negative log position"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Version, E> {
                Uuid::parse_str(v).map(Version::Local).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// One field of one record set to one value: the unit of sync and of the audit trail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// UUIDv7 made on the device; makes pushes idempotent.
    pub id: Uuid,
    pub entity: Entity,
    pub row: Uuid,
    pub field: String,
    pub value: Value,
    pub hlc: Hlc,
    pub device: Uuid,
    /// The version of this field the edit was made on; `None` for a field never set before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Version>,
    /// For a delete: the version of every field as the deleting device knew it, so the server can tell
    /// whether someone edited the record meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<BTreeMap<String, Version>>,
    /// The device's history chain after this change (hex SHA-256, see `chain`): lets the server detect
    /// a rewritten or forked history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// A push: one batch of a device's changes, in the order they were made.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    /// The device's batch number, increasing by one per new batch; a resend keeps its number.
    pub batch: u64,
    pub changes: Vec<Change>,
}

/// What became of one pushed change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It is now the field's value.
    Applied,
    /// Recorded, but another value stays current (a concurrent edit that lost, or the same value).
    Superseded,
    /// Seen before (a resend); nothing changed.
    Duplicate,
    /// Refused (invalid, out of scope); nothing stored. The device quarantines it.
    Rejected,
}

/// The server's current value of a field, so the device can match it after a push.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub value: Value,
    pub seq: Seq,
}

/// Why a change was refused, in words a person can act on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub field: String,
    pub message: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub id: Uuid,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Current>,
    /// A conflict this change opened or joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
}

impl ChangeResult {
    /// The answer for a refused change.
    pub fn rejected(id: Uuid, rejection: Rejection) -> Self {
        ChangeResult {
            id,
            status: Status::Rejected,
            seq: None,
            current: None,
            conflict: None,
            rejection: Some(rejection),
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed change, in order.
    pub results: Vec<ChangeResult>,
    /// The batch number was seen before: this was a resend.
    pub replay: bool,
    pub server_hlc: Hlc,
}

/// One field's current value in a pull: `[field, value, seq]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue(pub String, pub Value, pub Seq);

/// Written by hand: a three-element array (field name, any JSON value, log position).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for FieldValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::ArrayBuilder;
        ArrayBuilder::new()
            .items(<Value as utoipa::PartialSchema>::schema())
            .min_items(Some(3))
            .max_items(Some(3))
            .description(Some("[field, value, seq]"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for FieldValue {}

/// Changes to one record, grouped to keep pulls small.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowDelta {
    #[serde(rename = "e")]
    pub entity: Entity,
    #[serde(rename = "r")]
    pub row: Uuid,
    #[serde(rename = "f")]
    pub fields: Vec<FieldValue>,
}

/// A page of the log after the device's cursor, filtered to its scope; superseded values are left out.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub rows: Vec<RowDelta>,
    /// Pass this back as `after` for the next page.
    pub cursor: Seq,
    /// More pages follow.
    pub more: bool,
    /// The newest position of the whole log, for progress bars.
    #[serde(default)]
    pub head: Seq,
    /// The newest clock in this page (devices move their clock past it).
    pub max_hlc: Hlc,
}

/// Enrolment with a one-time code from the township office.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub protocol: u32,
    pub code: String,
    pub device_name: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_id: Uuid,
    /// Bearer token for every later request; shown once.
    pub token: String,
    pub scope: Scope,
    pub server_id: Uuid,
    /// What the device's user may do; the server enforces it, the app shows only what fits.
    #[serde(default)]
    pub role: Role,
    /// When the token stops working (RFC 3339); the device enrols again before then.
    #[serde(default)]
    pub expires_at: String,
}

/// Enrolment by signing in with a user's login and password (instead of a one-time code).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub protocol: u32,
    pub login: String,
    pub password: String,
    pub device_id: Uuid,
    pub device_name: String,
    /// When this device id is already registered (its token expired): its old token, or the last link
    /// of its history the server holds (hex), proving it is the same device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

/// An office device (township, county, admin) asks for a one-time enrolment code for another device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub scope: Scope,
    pub role: Role,
    pub device_name: String,
    /// How long the code may be used (hours, 1–720).
    pub ttl_hours: u32,
}

/// A code issued: typed on the new device within its time.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeResponse {
    pub code: String,
    pub ttl_hours: u32,
}

/// The county office's public key, for sealing 暗访 inspections (`zoufang-seal-…`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealingKeyBody {
    pub key: String,
}

/// One change in a household's history (痕迹管理): who, when, from which device, old → new. Every
/// value a field ever took is listed, also those a concurrent edit superseded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// When it was made, by the device's clock (RFC 3339).
    pub at: String,
    /// The device's name.
    pub device: String,
    /// The record kind's identifier (`household`, `member` …).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub entity: Entity,
    pub row: Uuid,
    pub field: String,
    /// The value before, as this server holds the field's history (`None`: first set).
    #[cfg_attr(feature = "ts", ts(type = "JsonValue | null"))]
    pub old: Option<Value>,
    #[cfg_attr(feature = "ts", ts(type = "JsonValue"))]
    pub new: Value,
    /// Whether it is the field's current value.
    pub live: bool,
}

/// A household's history: the household, its members, visits, handbook, procedure records and the
/// conflicts over them, oldest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryResponse {
    pub household: Uuid,
    pub entries: Vec<HistoryEntry>,
}

/// One of the county office's settings to set (`zoufang_model::settings`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SettingBody {
    pub key: String,
    pub value: i64,
}

/// A county's settings as set: keys not listed take their defaults.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SettingsInfo {
    /// 6-digit county code.
    pub county: String,
    pub values: std::collections::BTreeMap<String, i64>,
}

/// The sealing key a county's inspectors use, as the server holds it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealingKeyInfo {
    /// 6-digit county code.
    pub county: String,
    pub key: String,
    /// First 8 bytes of the key in hex, for people to compare by eye.
    pub fingerprint: String,
    pub set_at: String,
}

/// An office device adds a user who will enrol by signing in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    pub password: String,
}

/// Error codes that tell a device what to do with its own data.
pub mod refusal {
    /// The device is revoked and must wipe its data now (lost or stolen, or its handover is complete).
    pub const REVOKED: &str = "revoked";
    /// The device is revoked for handover: it may still push and upload what it holds, then it calls
    /// `POST /v1/handover` and wipes its data. Pulls are refused with this code.
    pub const HANDOVER: &str = "handover";
    /// The token's time is over: enrol again (local data is kept and uploaded after).
    pub const TOKEN_EXPIRED: &str = "token_expired";
    /// A change in the batch is dated further ahead of the server's clock than `hlc::MAX_AHEAD_MS`:
    /// nothing of the batch was taken. The device sets its clock by the server's (`/v1/health`) and
    /// dates its unsent changes again before it retries.
    pub const CLOCK_AHEAD: &str = "clock_ahead";
}

/// Every error the server returns has this body: a stable code for programs, a Chinese message for people.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compact_on_the_wire() {
        assert_eq!(serde_json::to_string(&Version::Seq(42)).unwrap(), "42");
        let id = Uuid::nil();
        assert_eq!(serde_json::from_str::<Version>(&format!("\"{id}\"")).unwrap(), Version::Local(id));
        let fv = FieldValue("name".into(), Value::from("王"), 7);
        assert_eq!(serde_json::to_string(&fv).unwrap(), r#"["name","王",7]"#);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let body = r#"{"protocol":1,"batch":1,"changes":[],"extra":true}"#;
        assert!(serde_json::from_str::<PushRequest>(body).unwrap_err().to_string().contains("unknown field"));
    }
}

/// Photo files travel in chunks of this size (the last one shorter): an interrupted upload resends at
/// most the chunk that was in flight.
pub const BLOB_CHUNK: usize = 512 * 1024;
/// Largest photo file the server accepts, in bytes.
pub const MAX_BLOB: u64 = 64 * 1024 * 1024;

/// How far the server has a file: `received` bytes from the start are stored; `complete` once the
/// whole file is stored under its verified hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    pub received: u64,
    pub complete: bool,
}
