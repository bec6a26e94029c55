//! API errors: an HTTP status, a stable code for programs and a Chinese message for people.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use zoufang_sync::ErrorBody;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "身份验证失败：令牌无效或缺失，请重新注册本机")
    }

    pub fn revoked() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            zoufang_sync::refusal::REVOKED,
            "本机已被停用，本机上的数据将被清除；如有疑问请联系乡镇管理员",
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后重试")
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<postgres::Error> for ApiError {
    fn from(e: postgres::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.code.to_string(), message: self.message })).into_response()
    }
}
