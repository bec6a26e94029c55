//! Who may call: enrolment codes, users and their passwords, device tokens with expiry, revocation.

use super::{lock, now_rfc3339, scope_parse, SqliteStorage};
use crate::error::ApiError;
use crate::storage::{DeviceAuth, DeviceInfo, RevokeMode, UserInfo};
use crate::tokens;
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{EnrolResponse, LoginRequest};

use super::ledger::{blob, uuid};

fn role_parse(s: &str) -> Result<Role, ApiError> {
    Role::parse(s).map_err(|e| ApiError::internal(format!("stored role {s}: {e}")))
}

fn mode_parse(s: Option<String>) -> Option<RevokeMode> {
    match s.as_deref() {
        Some("handover") => Some(RevokeMode::Handover),
        Some("lost") => Some(RevokeMode::Lost),
        _ => None,
    }
}

/// Revocation times keep milliseconds: changes are cut off at them by their clock.
fn now_millis() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

fn rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

fn bad_scope(e: zoufang_model::Problem) -> ApiError {
    ApiError::bad_request(e.to_string())
}

/// A stand-in hash, verified when a login is unknown so that unknown and wrong answer equally slowly.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| tokens::hash_password("zoufang-dummy-password").unwrap_or_default())
}

/// An enrolment code as stored.
struct IssuedCode {
    device_name: String,
    scope: String,
    expires: String,
    used: bool,
    role: String,
    token_days: u32,
}

impl SqliteStorage {
    /// Registers `device_id` (or renews its expired token) and returns its new token and expiry.
    #[allow(clippy::too_many_arguments)]
    fn register_device(
        &self,
        tx: &Transaction<'_>,
        device_id: Uuid,
        name: &str,
        scope: &str,
        role: Role,
        user: Option<Uuid>,
        token_days: u32,
    ) -> Result<EnrolResponse, ApiError> {
        let existing: Option<(String, String, Option<String>, Option<String>)> = tx
            .query_row("SELECT scope, role, revoked_at, expires_at FROM device WHERE id = ?1", [blob(device_id)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let token = tokens::new_token();
        let expires = (chrono::Local::now() + chrono::Duration::days(i64::from(token_days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        match existing {
            None => {
                tx.execute(
                    "INSERT INTO device(id, name, token_hash, scope, role, user_id, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    rusqlite::params![
                        blob(device_id),
                        name,
                        tokens::hash(&token),
                        scope,
                        role.ident(),
                        user.map(blob),
                        now_rfc3339(),
                        expires
                    ],
                )?;
            }
            Some((old_scope, old_role, revoked, old_expires)) => {
                let expired = old_expires
                    .as_deref()
                    .and_then(rfc3339_ms)
                    .is_some_and(|t| t < chrono::Utc::now().timestamp_millis());
                if revoked.is_some() {
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
                tx.execute(
                    "UPDATE device SET token_hash = ?1, expires_at = ?2, name = ?3, user_id = coalesce(?4, user_id) WHERE id = ?5",
                    rusqlite::params![tokens::hash(&token), expires, name, user.map(blob), blob(device_id)],
                )?;
            }
        }
        Ok(EnrolResponse {
            device_id,
            token,
            scope: scope_parse(scope)?,
            server_id: self.server_id,
            role,
            expires_at: expires,
        })
    }

    pub(super) fn create_code(
        &self,
        device_name: &str,
        scope: &Scope,
        role: Role,
        ttl_hours: u32,
        token_days: u32,
    ) -> Result<String, ApiError> {
        role.check_scope(scope).map_err(bad_scope)?;
        let code = tokens::new_code();
        let expires = chrono::Local::now() + chrono::Duration::hours(i64::from(ttl_hours));
        lock(&self.writer).execute(
            "INSERT INTO enrol_code(code_hash, device_name, scope, role, token_days, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                tokens::hash(&tokens::normalise_code(&code)),
                device_name,
                scope.to_string(),
                role.ident(),
                token_days.max(1),
                now_rfc3339(),
                expires.to_rfc3339()
            ],
        )?;
        Ok(code)
    }

    pub(super) fn redeem_code(
        &self,
        code: &str,
        device_id: Uuid,
        device_name: &str,
    ) -> Result<EnrolResponse, ApiError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let hash = tokens::hash(&tokens::normalise_code(code));
        let row = tx
            .query_row(
                "SELECT device_name, scope, expires_at, used_by, role, token_days FROM enrol_code WHERE code_hash = ?1",
                [&hash],
                |r| {
                    Ok(IssuedCode {
                        device_name: r.get(0)?,
                        scope: r.get(1)?,
                        expires: r.get(2)?,
                        used: r.get::<_, Option<Vec<u8>>>(3)?.is_some(),
                        role: r.get(4)?,
                        token_days: r.get(5)?,
                    })
                },
            )
            .optional()?;
        let bad = || {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_code",
                "注册码无效、已过期或已被使用，请向乡镇管理员索取新的注册码",
            )
        };
        let Some(c) = row else { return Err(bad()) };
        let expired = rfc3339_ms(&c.expires).is_none_or(|t| t < chrono::Utc::now().timestamp_millis());
        if expired || c.used {
            return Err(bad());
        }
        let name =
            if device_name.trim().is_empty() { c.device_name } else { device_name.trim().chars().take(60).collect() };
        let resp = self.register_device(&tx, device_id, &name, &c.scope, role_parse(&c.role)?, None, c.token_days)?;
        tx.execute(
            "UPDATE enrol_code SET used_by = ?1, used_at = ?2 WHERE code_hash = ?3",
            rusqlite::params![blob(device_id), now_rfc3339(), hash],
        )?;
        tx.commit()?;
        Ok(resp)
    }

    pub(super) fn login_device(&self, req: &LoginRequest) -> Result<EnrolResponse, ApiError> {
        let bad = || ApiError::new(StatusCode::FORBIDDEN, "bad_login", "用户名或密码错误，或该用户已被停用");
        // Check the password before taking the writer: argon2 is deliberately slow.
        type Row = (Vec<u8>, String, String, String, bool);
        let user: Option<Row> = self
            .reader()
            .query_row(
                "SELECT id, role, scope, password_hash, disabled_at IS NOT NULL FROM app_user WHERE login = ?1",
                [req.login.trim()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((id, role, scope, hash, disabled)) = user else {
            tokens::verify_password(dummy_hash(), &req.password);
            return Err(bad());
        };
        if !tokens::verify_password(&hash, &req.password) || disabled {
            return Err(bad());
        }
        let name = req.device_name.trim().chars().take(60).collect::<String>();
        let name = if name.is_empty() { req.login.trim().to_string() } else { name };
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let resp = self.register_device(
            &tx,
            req.device_id,
            &name,
            &scope,
            role_parse(&role)?,
            Some(uuid(&id)?),
            crate::storage::TOKEN_DAYS,
        )?;
        tx.commit()?;
        Ok(resp)
    }

    pub(super) fn add_user(
        &self,
        login: &str,
        name: &str,
        role: Role,
        scope: &Scope,
        password: &str,
    ) -> Result<Uuid, ApiError> {
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
        let id = Uuid::now_v7();
        let n = lock(&self.writer).execute(
            "INSERT OR IGNORE INTO app_user(id, login, name, role, scope, password_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![blob(id), login, name, role.ident(), scope.to_string(), hash, now_rfc3339()],
        )?;
        if n == 0 {
            return Err(ApiError::new(StatusCode::CONFLICT, "user_exists", format!("登录名 {login} 已被使用")));
        }
        Ok(id)
    }

    pub(super) fn list_users(&self) -> Result<Vec<UserInfo>, ApiError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare("SELECT id, login, name, role, scope, created_at, disabled_at FROM app_user ORDER BY login")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (id, login, name, role, scope, created_at, disabled_at) = r?;
            out.push(UserInfo {
                id: uuid(&id)?,
                login,
                name,
                role: role_parse(&role)?,
                scope: scope_parse(&scope)?,
                created_at,
                disabled_at,
            });
        }
        Ok(out)
    }

    pub(super) fn disable(&self, login: &str) -> Result<bool, ApiError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_millis();
        let id: Option<Vec<u8>> =
            tx.query_row("SELECT id FROM app_user WHERE login = ?1", [login.trim()], |r| r.get(0)).optional()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute(
            "UPDATE app_user SET disabled_at = coalesce(disabled_at, ?1) WHERE id = ?2",
            rusqlite::params![now, id],
        )?;
        tx.execute(
            "UPDATE device SET revoked_at = ?1, revoke_mode = 'handover' WHERE user_id = ?2 AND revoked_at IS NULL",
            rusqlite::params![now, id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub(super) fn check_token(&self, token: &str) -> Result<DeviceAuth, ApiError> {
        type Row = (Vec<u8>, String, String, String, Option<String>, Option<String>, Option<String>, Option<String>);
        let conn = self.reader();
        let row: Option<Row> = conn
            .prepare_cached(
                "SELECT id, name, scope, role, revoked_at, revoke_mode, handed_in_at, expires_at FROM device WHERE token_hash = ?1",
            )?
            .query_row([tokens::hash(token)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .optional()?;
        let Some((id, name, scope, role, revoked, mode, handed_in, expires)) = row else {
            return Err(ApiError::unauthorized());
        };
        let mut auth = DeviceAuth::new(uuid(&id)?, name, scope_parse(&scope)?, role_parse(&role)?);
        if let Some(at) = revoked {
            return match (mode_parse(mode), handed_in) {
                (Some(RevokeMode::Handover), None) => {
                    auth.handover_from = Some(rfc3339_ms(&at).unwrap_or(0));
                    Ok(auth)
                }
                _ => Err(ApiError::revoked()),
            };
        }
        if let Some(e) = expires {
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

    pub(super) fn finish_handover(&self, device: &DeviceAuth) -> Result<(), ApiError> {
        lock(&self.writer).execute(
            "UPDATE device SET handed_in_at = ?1 WHERE id = ?2 AND revoke_mode = 'handover' AND handed_in_at IS NULL",
            rusqlite::params![now_rfc3339(), blob(device.id)],
        )?;
        Ok(())
    }

    pub(super) fn revoke_device(&self, device: Uuid, mode: RevokeMode) -> Result<bool, ApiError> {
        // A device revoked for handover that has not handed in yet may still be declared lost.
        let n = lock(&self.writer).execute(
            "UPDATE device SET revoked_at = coalesce(revoked_at, ?1), revoke_mode = ?3 WHERE id = ?2 \
             AND (revoked_at IS NULL OR (?3 = 'lost' AND revoke_mode = 'handover' AND handed_in_at IS NULL))",
            rusqlite::params![now_millis(), blob(device), mode.ident()],
        )?;
        Ok(n == 1)
    }

    pub(super) fn list_devices(&self) -> Result<Vec<DeviceInfo>, ApiError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT id, name, scope, role, created_at, expires_at, revoked_at, revoke_mode, handed_in_at, \
             last_seen_at, last_batch FROM device WHERE scope <> 'county:000000' ORDER BY created_at",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(DeviceInfo {
                id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                name: r.get(1)?,
                scope: scope_parse(&r.get::<_, String>(2)?)?,
                role: role_parse(&r.get::<_, String>(3)?)?,
                created_at: r.get(4)?,
                expires_at: r.get(5)?,
                revoked_at: r.get(6)?,
                revoke_mode: mode_parse(r.get(7)?),
                handed_in_at: r.get(8)?,
                last_seen_at: r.get(9)?,
                last_batch: r.get(10)?,
            });
        }
        Ok(out)
    }
}
