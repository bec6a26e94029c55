//! Errors of the device store. Each has a stable code ([`StoreError::code`]) that callers and the UI
//! decide on; the Chinese message is for display only and may be reworded.

use uuid::Uuid;
use zoufang_model::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A value failed validation; names the field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("找不到{entity}记录 {id}")]
    NotFound { entity: &'static str, id: Uuid },
    #[error("{entity}记录 {id} 已存在")]
    Exists { entity: &'static str, id: Uuid },
    #[error("该{entity}记录已删除，请先恢复再修改")]
    Deleted { entity: &'static str },
    #[error("该冲突已处理，无需重复处理")]
    AlreadyResolved,
    /// A rule refuses the action now (e.g. an exit step out of order): which rule, and why in Chinese.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("本机尚未注册，请先用乡镇提供的注册码注册")]
    NotEnrolled,
    #[error("服务器回应与本机记录不符：{0}")]
    Protocol(String),
    #[error("数据库中的数据无法读取：{0}")]
    Corrupt(String),
    /// A photo file could not be written or read.
    #[error("{0}")]
    Io(String),
    /// The unlock secret does not open this database (nothing on disk was changed).
    #[error("解锁密码不正确")]
    WrongSecret,
    #[error(transparent)]
    Vault(#[from] zoufang_vault::VaultError),
    #[error("数据库错误：{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] zoufang_migrate::MigrateError),
}

impl StoreError {
    /// A refusal by the rule `code`, with its reason for display.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Refused { code, message: message.into() }
    }

    /// The stable code of this error (snake_case), for callers and the UI to decide on.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(_) => "invalid",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Exists { .. } => "exists",
            StoreError::Deleted { .. } => "deleted",
            StoreError::AlreadyResolved => "already_resolved",
            StoreError::Refused { code, .. } => code,
            StoreError::NotEnrolled => "not_enrolled",
            StoreError::Protocol(_) => "protocol",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Io(_) => "io",
            StoreError::WrongSecret => "wrong_secret",
            StoreError::Vault(_) => "vault",
            StoreError::Sqlite(_) => "database",
            StoreError::Migrate(zoufang_migrate::MigrateError::TooNew { .. }) => "schema_too_new",
            StoreError::Migrate(zoufang_migrate::MigrateError::Edited { .. }) => "schema_edited",
            StoreError::Migrate(_) => "migrate",
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
