//! The server's errors as its domain sees them: what kind of failure, a stable code for programs and a
//! Chinese message for people. Storage, the push, the access rules and the photo store speak only this;
//! the API layer alone turns a kind into an HTTP status (`api::error`), so a backend or a rule never
//! names a status and a new transport would reuse every rule unchanged.

/// What kind of failure: decides how a caller (HTTP, the admin CLI) reports it, not what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or breaks a rule of its form.
    BadRequest,
    /// More than a limit allows (a batch, a photo).
    TooLarge,
    /// No valid credentials: a missing or wrong token.
    Unauthenticated,
    /// Known, but not allowed this (role, scope, revoked, a wrong enrolment code or password).
    Forbidden,
    /// What was asked for is not there.
    NotFound,
    /// The request contradicts what is stored (taken name, used code, a sealed record).
    Conflict,
    /// Well-formed but its content cannot be accepted (a photo whose bytes do not match its name).
    Unprocessable,
    /// Too many attempts; try again later.
    RateLimited,
    /// A service the server relies on is not available now (the photo store).
    Unavailable,
    /// A fault of the server itself; logged, never described to the caller.
    Internal,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ServerError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
}

impl ServerError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        ServerError { kind, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, "bad_request", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TooLarge, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthenticated, "unauthorized", "身份验证失败：令牌无效或缺失，请重新注册本机")
    }

    pub fn revoked() -> Self {
        Self::forbidden(zoufang_sync::refusal::REVOKED, "本机已被停用，本机上的数据将被清除；如有疑问请联系乡镇管理员")
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        Self::new(ErrorKind::Internal, "internal", "服务器内部错误，请稍后重试")
    }
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        ServerError::internal(e)
    }
}

impl From<postgres::Error> for ServerError {
    fn from(e: postgres::Error) -> Self {
        ServerError::internal(e)
    }
}
