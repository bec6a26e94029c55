//! The error every command returns: a stable code the UI decides on, a Chinese message for display only,
//! and, when one field is at fault, its name, so the form shows the message at that field. Codes come
//! from the layer that refused (the store's, the server's, the sync's), or are the command's own;
//! `invalid` is a value refused at a field.

use serde::Serialize;
use zoufang_client::SyncError;
use zoufang_store::StoreError;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CmdError {
    /// Stable, snake_case: `invalid`, `wrong_secret`, `wiped`, `not_enrolled`, a server code …
    pub code: String,
    pub message: String,
    /// The field identifier, e.g. `head_id_number` or `problems.1.deadline`.
    pub field: Option<String>,
}

impl CmdError {
    /// A refusal with its code and message, not tied to one field.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CmdError { code: code.into(), message: message.into(), field: None }
    }
}

impl From<StoreError> for CmdError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => v.into(),
            other => CmdError::new(other.code(), other.to_string()),
        }
    }
}

impl From<SyncError> for CmdError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(s) => s.into(),
            other => CmdError::new(other.code(), other.to_string()),
        }
    }
}

impl From<zoufang_model::ValidationError> for CmdError {
    fn from(v: zoufang_model::ValidationError) -> Self {
        CmdError { code: "invalid".into(), message: v.message(), field: Some(v.field) }
    }
}

pub type CmdResult<T> = Result<T, CmdError>;
