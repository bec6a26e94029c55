//! Errors of the device store. Messages are Chinese: the app and the CLI show them as they are.

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
    /// A rule of the procedure refuses the action now (e.g. an exit step out of order); says why.
    #[error("{0}")]
    Refused(String),
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

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
