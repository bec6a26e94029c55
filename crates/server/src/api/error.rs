//! The one place where a failure becomes an HTTP status: a domain error ([`ServerError`]) by its kind,
//! and the HTTP layer's own refusals (unknown path, wrong method, oversized request line) directly.
//! The body is always `ErrorBody`: the stable code and the Chinese message.

use crate::error::{ErrorKind, ServerError};
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

/// The status each kind of domain error answers with.
pub fn status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    /// A refusal of the HTTP layer itself, with its status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ServerError::bad_request(message).into()
    }

    pub fn unauthorized() -> Self {
        ServerError::unauthorized().into()
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ServerError::internal(e).into()
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        ApiError { status: status(e.kind), code: e.code, message: e.message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.code.to_string(), message: self.message })).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_status_and_keeps_code_and_message() {
        let e: ApiError = ServerError::conflict("user_exists", "登录名 张三 已被使用").into();
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (StatusCode::CONFLICT, "user_exists", "登录名 张三 已被使用")
        );
        assert_eq!(ApiError::from(ServerError::revoked()).status, StatusCode::FORBIDDEN);
        assert_eq!(ApiError::from(ServerError::unauthorized()).status, StatusCode::UNAUTHORIZED);
        assert_eq!(status(ErrorKind::Internal), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status(ErrorKind::Unavailable), StatusCode::SERVICE_UNAVAILABLE);
    }
}
