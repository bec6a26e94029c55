//! `/v1/history/{household}`: a household's history (痕迹管理) for the 户详情 screen, inside the
//! device's scope and only the kinds its role reads (`Storage::household_history`).

use super::{auth, blocking, ApiError};
use crate::storage::Storage;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use uuid::Uuid;
use zoufang_sync::{ErrorBody, HistoryResponse};

#[utoipa::path(get, path = "/v1/history/{household}", tag = "sync", security(("token" = [])), params(("household" = String, Path, description = "户的编号 (UUID)")), responses((status = 200, description = "该户及其成员、走访、手册、程序记录的全部修改和冲突", body = HistoryResponse), (status = 400, description = "编号格式错误", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或这一户不在本机的工作范围内", body = ErrorBody), (status = 404, description = "服务器上没有这一户", body = ErrorBody)))]
/// A household's history: every change, who made it, when, from which device, old → new.
pub(super) async fn history_get(
    State(s): State<Storage>,
    headers: HeaderMap,
    Path(household): Path<String>,
) -> Result<Json<HistoryResponse>, ApiError> {
    let d = auth(&s, &headers).await?;
    let household = Uuid::parse_str(&household).map_err(|_| ApiError::bad_request("户的编号格式错误"))?;
    Ok(Json(blocking(move || s.household_history(&d, household)).await?))
}
