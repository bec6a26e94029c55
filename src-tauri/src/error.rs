//! The error every command returns: a Chinese message and, when one field is at fault, its name, so the
//! form shows the message at that field.

use serde::Serialize;
use zoufang_client::SyncError;
use zoufang_store::StoreError;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CmdError {
    pub message: String,
    /// The field identifier, e.g. `head_id_number` or `problems.1.deadline`.
    pub field: Option<String>,
}

impl CmdError {
    pub fn msg(message: impl Into<String>) -> Self {
        CmdError { message: message.into(), field: None }
    }
}

impl From<StoreError> for CmdError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => CmdError { message: v.message(), field: Some(v.field) },
            other => CmdError::msg(other.to_string()),
        }
    }
}

impl From<SyncError> for CmdError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(s) => s.into(),
            other => CmdError::msg(other.to_string()),
        }
    }
}

impl From<zoufang_model::ValidationError> for CmdError {
    fn from(v: zoufang_model::ValidationError) -> Self {
        CmdError { message: v.message(), field: Some(v.field) }
    }
}

pub type CmdResult<T> = Result<T, CmdError>;
