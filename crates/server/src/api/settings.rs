//! `/v1/settings`: the county office's settings (`zoufang_model::settings`). Every device reads its
//! county's at sync, so a village tablet applies the county's figures offline; only the county office
//! (not revoked) sets them, inside their bounds.

use super::{auth, blocking, parse, ApiError};
use crate::storage::{DeviceAuth, Storage};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use zoufang_model::{Role, Scope};
use zoufang_sync::ErrorBody;
use zoufang_sync::{SettingBody, SettingsInfo};

/// The county a device works in: its own scope's, or its township's or village's first six digits.
async fn county_of(s: &Storage, d: &DeviceAuth) -> Result<String, ApiError> {
    let code = match &d.scope {
        Scope::County(c) => c.clone(),
        Scope::Township(t) => t.clone(),
        Scope::Village(v) => {
            let (s, v) = (s.clone(), *v);
            blocking(move || s.village_code(v)).await?.unwrap_or_default()
        }
    };
    code.get(..6)
        .map(str::to_string)
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "forbidden", "本机的工作范围不属于任何县"))
}

#[utoipa::path(get, path = "/v1/settings", tag = "devices", security(("token" = [])), responses((status = 200, description = "本县县扶贫办的设置（未列出的取默认值）", body = SettingsInfo), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody)))]
/// Every device fetches its county's settings at sync.
pub(super) async fn settings_get(State(s): State<Storage>, headers: HeaderMap) -> Result<Json<SettingsInfo>, ApiError> {
    let d = auth(&s, &headers).await?;
    let county = county_of(&s, &d).await?;
    let c = county.clone();
    let values = blocking(move || s.settings(&c)).await?.values;
    Ok(Json(SettingsInfo { county, values }))
}

#[utoipa::path(put, path = "/v1/settings", tag = "devices", security(("token" = [])), request_body = SettingBody, responses((status = 200, description = "已保存；本县的全部设置", body = SettingsInfo), (status = 400, description = "请求格式错误、没有这项设置或取值超出范围 (invalid_setting)", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody)))]
/// The county office sets one of its settings.
pub(super) async fn settings_put(
    State(s): State<Storage>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SettingsInfo>, ApiError> {
    let d = auth(&s, &headers).await?;
    if d.role != Role::County || d.handover_from.is_some() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("{}不能修改县里的设置", d.role.label())));
    }
    let county = county_of(&s, &d).await?;
    let req: SettingBody = parse(body)?;
    let (c, by, st) = (county.clone(), d.id, s.clone());
    blocking(move || st.set_setting(&c, &req.key, req.value, by)).await?;
    let c = county.clone();
    let values = blocking(move || s.settings(&c)).await?.values;
    tracing::info!("device {} ({}) changed a setting of county {county}", d.id, d.name);
    Ok(Json(SettingsInfo { county, values }))
}
