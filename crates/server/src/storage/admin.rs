//! What the server keeps about itself and counts for its operator: its id, the villages it knows, the
//! county offices' sealing keys and settings, the server's own settings (`PUBLIC_URL`, `TLS_PIN`) and the overview. No rule sits here:
//! each is one read or one write of the backend's rows.

use super::{Stats, Storage, VillageInfo};
use crate::error::ServerError;
use uuid::Uuid;

/// The backend's rows for the server's own records.
pub(crate) trait AdminRows {
    fn server_id(&self) -> Uuid;
    fn villages(&self) -> Result<Vec<VillageInfo>, ServerError>;
    fn village_code(&self, village: Uuid) -> Result<Option<String>, ServerError>;
    fn stats(&self) -> Result<Stats, ServerError>;
    fn set_sealing_key(&self, county: &str, key: &str, by: Uuid, at: &str) -> Result<(), ServerError>;
    fn sealing_key(&self, county: &str) -> Result<Option<(String, String)>, ServerError>;
    fn set_setting(&self, county: &str, key: &str, value: i64, by: Uuid, at: &str) -> Result<(), ServerError>;
    fn settings(&self, county: &str) -> Result<Vec<(String, i64)>, ServerError>;
    fn meta(&self, key: &str) -> Result<Option<String>, ServerError>;
    fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError>;
}

impl Storage {
    pub fn server_id(&self) -> Uuid {
        self.rows.server_id()
    }

    /// The villages the server knows, with their household counts (to build scopes).
    pub fn villages(&self) -> Result<Vec<VillageInfo>, ServerError> {
        self.rows.villages()
    }

    /// The division code of a village the server knows.
    pub fn village_code(&self, village: Uuid) -> Result<Option<String>, ServerError> {
        self.rows.village_code(village)
    }

    pub fn stats(&self) -> Result<Stats, ServerError> {
        self.rows.stats()
    }

    /// Keeps the county office's public key for `county` (6 digits), replacing an earlier one.
    pub fn set_sealing_key(&self, county: &str, key: &str, by: Uuid) -> Result<(), ServerError> {
        self.rows.set_sealing_key(county, key, by, &crate::access::now_rfc3339())
    }

    /// The county office's public key for `county` and when it was set.
    pub fn sealing_key(&self, county: &str) -> Result<Option<(String, String)>, ServerError> {
        self.rows.sealing_key(county)
    }

    /// Sets one of the county office's settings after its bounds (`zoufang_model::settings`).
    pub fn set_setting(&self, county: &str, key: &str, value: i64, by: Uuid) -> Result<(), ServerError> {
        if let Some(why) = zoufang_model::settings::check(key, value) {
            return Err(ServerError::new(crate::error::ErrorKind::BadRequest, "invalid_setting", why));
        }
        self.rows.set_setting(county, key, value, by, &crate::access::now_rfc3339())
    }

    /// A county's settings as set (keys not set take their defaults on the device).
    pub fn settings(&self, county: &str) -> Result<zoufang_model::settings::CountySettings, ServerError> {
        Ok(zoufang_model::settings::CountySettings { values: self.rows.settings(county)?.into_iter().collect() })
    }

    /// Something the server keeps about itself (`PUBLIC_URL`, `TLS_PIN`: how devices reach it, written
    /// by `serve` and read by `admin enrol --qr`).
    pub fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        self.rows.meta(key)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError> {
        self.rows.set_meta(key, value)
    }
}
