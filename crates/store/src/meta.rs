//! Key/value facts about this device: its id, its enrolment, its sync position.

use crate::error::{Result, StoreError};
use crate::Store;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::{Role, Scope};

pub(crate) const DEVICE_ID: &str = "device_id";
pub(crate) const ENROLMENT: &str = "enrolment";
pub(crate) const CURSOR: &str = "pull_cursor";
pub(crate) const HLC_SEEN: &str = "hlc_seen";
pub(crate) const ACKED: &str = "acked_upto";
pub(crate) const OPEN_BATCH: &str = "open_batch";
pub(crate) const LAST_BATCH: &str = "last_batch";
pub(crate) const LAST_SYNC: &str = "last_sync";
pub(crate) const OPERATOR: &str = "operator";
pub(crate) const COUNTY_SETTINGS: &str = "county_settings";
/// Milliseconds to add to the device's clock to get the server's, learnt when the server refused
/// changes dated ahead of it (see `clock`).
pub(crate) const CLOCK_OFFSET: &str = "clock_offset";

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

pub(crate) fn del(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM meta WHERE key = ?1")?.execute([key])?;
    Ok(())
}

pub(crate) fn get_i64(conn: &Connection, key: &str) -> Result<i64> {
    Ok(get(conn, key)?.and_then(|s| s.parse().ok()).unwrap_or(0))
}

pub(crate) fn device_id(conn: &Connection) -> Result<Uuid> {
    if let Some(s) = get(conn, DEVICE_ID)? {
        return Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("device_id: {e}")));
    }
    let id = Uuid::now_v7();
    set(conn, DEVICE_ID, &id.to_string())?;
    Ok(id)
}

/// What enrolment with a server gave this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    pub server_url: String,
    pub server_id: Uuid,
    pub device_name: String,
    pub token: String,
    pub scope: Scope,
    /// What the server lets this device do (older enrolments were work-team tablets).
    #[serde(default)]
    pub role: Role,
    /// When the token stops working (RFC 3339), if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// The SHA-256 of the server's certificate, pinned at enrolment (from the QR code): the server is
    /// trusted when it shows exactly this certificate, even one no authority signed.
    #[serde(default)]
    pub cert_pin: Option<String>,
}

impl Store {
    /// The person using this device (驻村工作队员 or 第一书记): the name written as visitor, recorder and
    /// who checked in.
    pub fn operator(&self) -> Result<Option<String>> {
        get(&self.conn, OPERATOR)
    }

    pub fn set_operator(&mut self, name: &str) -> Result<String> {
        let v = zoufang_model::schema::validate_field(
            zoufang_model::Entity::Presence,
            "staff_name",
            &serde_json::Value::from(name),
            chrono::Local::now().date_naive(),
        )
        .map_err(|e| zoufang_model::ValidationError::new("operator", e.problem))?;
        let name = v.as_str().unwrap_or_default().to_string();
        set(&self.conn, OPERATOR, &name)?;
        Ok(name)
    }

    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        get(&self.conn, ENROLMENT)?
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("enrolment: {e}"))))
            .transpose()
    }

    pub fn set_enrolment(&mut self, e: &Enrolment) -> Result<()> {
        set(&self.conn, ENROLMENT, &serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    }

    /// The server log position this device has pulled up to.
    pub fn cursor(&self) -> Result<u64> {
        Ok(get_i64(&self.conn, CURSOR)?.max(0) as u64)
    }

    /// When the last sync finished (RFC 3339), if ever.
    pub fn last_sync(&self) -> Result<Option<String>> {
        get(&self.conn, LAST_SYNC)
    }

    pub fn set_last_sync(&mut self, at: &str) -> Result<()> {
        set(&self.conn, LAST_SYNC, at)
    }

    /// The county office's settings as last received (defaults before the first sync).
    pub fn county_settings(&self) -> Result<zoufang_model::settings::CountySettings> {
        Ok(get(&self.conn, COUNTY_SETTINGS)?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    /// Keeps the county's settings as the server sent them (at sync, or after the county office set one).
    pub fn set_county_settings(&mut self, s: &zoufang_model::settings::CountySettings) -> Result<()> {
        set(&self.conn, COUNTY_SETTINGS, &serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    }
}
