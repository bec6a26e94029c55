//! Who may call, as rules both backends apply to what they stored: enrolment codes, re-enrolment,
//! users, tokens with expiry and the two kinds of revocation. The backends only read and write rows.

use crate::error::ApiError;
use crate::storage::{DeviceAuth, RevokeMode};
use crate::tokens;
use axum::http::StatusCode;
use uuid::Uuid;
use zoufang_model::{Entity, Role, Scope};

pub(crate) fn now_rfc3339() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Revocation times keep milliseconds: changes are cut off at them by their clock.
pub(crate) fn now_millis() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

pub(crate) fn rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// When a token issued now for `token_days` expires.
pub(crate) fn token_expiry(token_days: u32) -> String {
    (chrono::Local::now() + chrono::Duration::days(i64::from(token_days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// When a code issued now for `ttl_hours` expires.
pub(crate) fn code_expiry(ttl_hours: u32) -> String {
    (chrono::Local::now() + chrono::Duration::hours(i64::from(ttl_hours))).to_rfc3339()
}

pub(crate) fn scope_parse(s: &str) -> Result<Scope, ApiError> {
    Scope::parse(s).map_err(|e| ApiError::internal(format!("stored scope {s}: {e}")))
}

pub(crate) fn role_parse(s: &str) -> Result<Role, ApiError> {
    Role::parse(s).map_err(|e| ApiError::internal(format!("stored role {s}: {e}")))
}

pub(crate) fn mode_parse(s: Option<&str>) -> Option<RevokeMode> {
    match s {
        Some("handover") => Some(RevokeMode::Handover),
        Some("lost") => Some(RevokeMode::Lost),
        _ => None,
    }
}

pub(crate) fn bad_scope(e: zoufang_model::Problem) -> ApiError {
    ApiError::bad_request(e.to_string())
}

/// A stand-in hash, verified when a login is unknown so that unknown and wrong answer equally slowly.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| tokens::hash_password("zoufang-dummy-password").unwrap_or_default())
}

pub(crate) fn bad_login() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "bad_login", "用户名或密码错误，或该用户已被停用")
}

/// An enrolment code as stored.
pub(crate) struct IssuedCode {
    pub device_name: String,
    pub scope: String,
    pub expires: String,
    pub used: bool,
    pub role: String,
    pub token_days: u32,
}

impl IssuedCode {
    /// Whether the code may be redeemed now; the device's name is the one asked for, else the code's.
    pub(crate) fn redeem(self, device_name: &str) -> Result<(String, IssuedCode), ApiError> {
        let expired = rfc3339_ms(&self.expires).is_none_or(|t| t < chrono::Utc::now().timestamp_millis());
        if expired || self.used {
            return Err(unknown_code());
        }
        let name = if device_name.trim().is_empty() {
            self.device_name.clone()
        } else {
            device_name.trim().chars().take(60).collect()
        };
        Ok((name, self))
    }
}

/// The one answer for a code that is unknown, expired or used: a guesser learns nothing.
pub(crate) fn unknown_code() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "bad_code", "注册码无效、已过期或已被使用，请向乡镇管理员索取新的注册码")
}

/// A device already registered under the id that enrols again: allowed only when its token expired,
/// it was never revoked, and its scope and role are unchanged (its unsent data then goes up as before).
pub(crate) fn check_reenrol(
    old_scope: &str,
    old_role: &str,
    revoked: bool,
    old_expires: Option<&str>,
    scope: &str,
    role: Role,
) -> Result<(), ApiError> {
    let expired = old_expires.and_then(rfc3339_ms).is_some_and(|t| t < chrono::Utc::now().timestamp_millis());
    if revoked {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "device_revoked",
            "该设备已被停用，不能再次注册；请清除本机数据后重新安装",
        ));
    }
    if !expired {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "device_exists",
            "该设备编号已注册且授权仍有效；如需重新注册，请先由管理员停用旧记录",
        ));
    }
    if old_scope != scope || old_role != role.ident() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "scope_changed",
            "本机原先登记的工作范围或角色与这次不同；请先上交并清除本机数据，再按新的范围注册",
        ));
    }
    Ok(())
}

/// The name a signed-in device is registered under: the one asked for, else the login.
pub(crate) fn login_device_name(login: &str, asked: &str) -> String {
    let name = asked.trim().chars().take(60).collect::<String>();
    if name.is_empty() {
        login.trim().to_string()
    } else {
        name
    }
}

/// A new user as they will be stored: trimmed login and name, the password's argon2id hash.
pub(crate) struct NewUser {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub hash: String,
}

pub(crate) fn new_user(
    login: &str,
    name: &str,
    role: Role,
    scope: &Scope,
    password: &str,
) -> Result<NewUser, ApiError> {
    let login = login.trim();
    if login.is_empty()
        || login.len() > 40
        || !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::bad_request("登录名须为 1–40 个英文字母、数字或 . _ -"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(ApiError::bad_request("姓名不能为空，最多 40 个字"));
    }
    if password.chars().count() < tokens::MIN_PASSWORD {
        return Err(ApiError::bad_request(format!("密码至少 {} 位", tokens::MIN_PASSWORD)));
    }
    role.check_scope(scope).map_err(bad_scope)?;
    let hash = tokens::hash_password(password).map_err(ApiError::internal)?;
    Ok(NewUser { id: Uuid::now_v7(), login: login.to_string(), name: name.to_string(), hash })
}

pub(crate) fn user_exists(login: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "user_exists", format!("登录名 {} 已被使用", login.trim()))
}

/// A device row found by its token's hash.
pub(crate) struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub role: String,
    pub revoked_at: Option<String>,
    pub revoke_mode: Option<String>,
    pub handed_in_at: Option<String>,
    pub expires_at: Option<String>,
}

/// What a device found by its token may do: in good standing, revoked for handover and not yet handed
/// in (it may still upload what it made before), or refused.
pub(crate) fn device_auth(row: Option<TokenRow>) -> Result<DeviceAuth, ApiError> {
    let Some(r) = row else {
        return Err(ApiError::unauthorized());
    };
    let mut auth = DeviceAuth::new(r.id, r.name, scope_parse(&r.scope)?, role_parse(&r.role)?);
    if let Some(at) = r.revoked_at {
        return match (mode_parse(r.revoke_mode.as_deref()), r.handed_in_at) {
            (Some(RevokeMode::Handover), None) => {
                auth.handover_from = Some(rfc3339_ms(&at).unwrap_or(0));
                Ok(auth)
            }
            _ => Err(ApiError::revoked()),
        };
    }
    if let Some(e) = r.expires_at {
        if rfc3339_ms(&e).is_none_or(|t| t < chrono::Utc::now().timestamp_millis()) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                zoufang_sync::refusal::TOKEN_EXPIRED,
                format!("本机授权已于 {e} 过期，请重新注册；未同步的数据仍保存在本机，注册后会继续上传"),
            ));
        }
    }
    Ok(auth)
}

/// The SQL condition on `entity` that keeps a role's pull to the kinds it reads ("" for all kinds).
/// The idents are fixed words, not input. Refuses a role that reads nothing.
pub(crate) fn readable_kinds(device: Option<&DeviceAuth>) -> Result<String, ApiError> {
    let readable = device.map_or_else(|| Entity::ALL.to_vec(), |d| d.role.readable());
    if let Some(d) = device.filter(|_| readable.is_empty()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "role_reads_nothing",
            format!("{}账号不接收户数据", d.role.label()),
        ));
    }
    Ok(if readable.len() == Entity::ALL.len() {
        String::new()
    } else if readable.len() * 2 >= Entity::ALL.len() {
        // Most kinds (a village, a township: all but inspections): name the few left out.
        let list: Vec<String> =
            Entity::ALL.iter().filter(|e| !readable.contains(e)).map(|e| format!("'{}'", e.ident())).collect();
        format!(" AND entity NOT IN ({})", list.join(","))
    } else {
        let list: Vec<String> = readable.iter().map(|e| format!("'{}'", e.ident())).collect();
        format!(" AND entity IN ({})", list.join(","))
    })
}

/// Whether a device may fetch or upload a file, given the records naming it: (village, its code, the
/// naming record's kind).
pub(crate) fn file_readable(device: &DeviceAuth, refs: &[(Uuid, Option<String>, String)]) -> bool {
    refs.iter().any(|(village, code, entity)| {
        Entity::parse(entity).is_some_and(|e| device.role.can_read(e))
            && device.scope.contains(*village, code.as_deref().unwrap_or(""))
    })
}
