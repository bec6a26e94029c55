//! Who may call, SQLite rows: enrolment codes, users and their passwords, device tokens with expiry,
//! revocation. The rules themselves are in `crate::access`.

use super::{lock, SqliteStorage};
use crate::access::{
    bad_login, bad_scope, check_reenrol, code_expiry, device_auth, dummy_hash, login_device_name, mode_parse, new_user,
    now_millis, now_rfc3339, role_parse, scope_parse, token_expiry, unknown_code, user_exists, IssuedCode,
    RegisteredDevice, TokenRow,
};
use crate::error::ServerError;
use crate::guard::{self, Admit};
use crate::storage::{DeviceAuth, DeviceInfo, RevokeMode, UserInfo};
use crate::tokens;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{EnrolResponse, LoginRequest};

use super::ledger::{blob, uuid};

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
        proof: Option<&str>,
    ) -> Result<EnrolResponse, ServerError> {
        let existing = tx
            .query_row(
                "SELECT scope, role, revoked_at IS NOT NULL, expires_at, token_hash, chain_head FROM device WHERE id = ?1",
                [blob(device_id)],
                |r| {
                    Ok(RegisteredDevice {
                        scope: r.get(0)?,
                        role: r.get(1)?,
                        revoked: r.get(2)?,
                        expires_at: r.get(3)?,
                        token_hash: r.get(4)?,
                        chain_head: r.get(5)?,
                    })
                },
            )
            .optional()?;
        let token = tokens::new_token();
        let expires = token_expiry(token_days);
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
            Some(old) => {
                check_reenrol(&old, old.proven_by(proof), scope, role)?;
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
    ) -> Result<String, ServerError> {
        role.check_scope(scope).map_err(bad_scope)?;
        let code = tokens::new_code();
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
                code_expiry(ttl_hours)
            ],
        )?;
        Ok(code)
    }

    pub(super) fn redeem_code(
        &self,
        code: &str,
        device_id: Uuid,
        device_name: &str,
        proof: Option<&str>,
    ) -> Result<EnrolResponse, ServerError> {
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
        let (name, c) = row.ok_or_else(unknown_code)?.redeem(device_name)?;
        let resp =
            self.register_device(&tx, device_id, &name, &c.scope, role_parse(&c.role)?, None, c.token_days, proof)?;
        tx.execute(
            "UPDATE enrol_code SET used_by = ?1, used_at = ?2 WHERE code_hash = ?3",
            rusqlite::params![blob(device_id), now_rfc3339(), hash],
        )?;
        tx.commit()?;
        Ok(resp)
    }

    pub(super) fn login_device(&self, req: &LoginRequest) -> Result<EnrolResponse, ServerError> {
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
            return Err(bad_login());
        };
        if !tokens::verify_password(&hash, &req.password) || disabled {
            return Err(bad_login());
        }
        let name = login_device_name(&req.login, &req.device_name);
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
            req.proof.as_deref(),
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
    ) -> Result<Uuid, ServerError> {
        let u = new_user(login, name, role, scope, password)?;
        let n = lock(&self.writer).execute(
            "INSERT OR IGNORE INTO app_user(id, login, name, role, scope, password_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![blob(u.id), u.login, u.name, role.ident(), scope.to_string(), u.hash, now_rfc3339()],
        )?;
        if n == 0 {
            return Err(user_exists(login));
        }
        Ok(u.id)
    }

    pub(super) fn list_users(&self) -> Result<Vec<UserInfo>, ServerError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare("SELECT id, login, name, role, scope, created_at, disabled_at FROM app_user ORDER BY login")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(UserInfo {
                id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                login: r.get(1)?,
                name: r.get(2)?,
                role: role_parse(&r.get::<_, String>(3)?)?,
                scope: scope_parse(&r.get::<_, String>(4)?)?,
                created_at: r.get(5)?,
                disabled_at: r.get(6)?,
            });
        }
        Ok(out)
    }

    pub(super) fn disable(&self, login: &str) -> Result<bool, ServerError> {
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

    pub(super) fn check_token(&self, token: &str) -> Result<DeviceAuth, ServerError> {
        let conn = self.reader();
        let row = conn
            .prepare_cached(
                "SELECT id, name, scope, role, revoked_at, revoke_mode, handed_in_at, expires_at FROM device WHERE token_hash = ?1",
            )?
            .query_row([tokens::hash(token)], |r| {
                Ok(TokenRow {
                    id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                    name: r.get(1)?,
                    scope: r.get(2)?,
                    role: r.get(3)?,
                    revoked_at: r.get(4)?,
                    revoke_mode: r.get(5)?,
                    handed_in_at: r.get(6)?,
                    expires_at: r.get(7)?,
                })
            })
            .optional()?;
        device_auth(row)
    }

    pub(super) fn finish_handover(&self, device: &DeviceAuth) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "UPDATE device SET handed_in_at = ?1 WHERE id = ?2 AND revoke_mode = 'handover' AND handed_in_at IS NULL",
            rusqlite::params![now_rfc3339(), blob(device.id)],
        )?;
        Ok(())
    }

    pub(super) fn revoke_device(&self, device: Uuid, mode: RevokeMode) -> Result<bool, ServerError> {
        // A device revoked for handover that has not handed in yet may still be declared lost.
        let n = lock(&self.writer).execute(
            "UPDATE device SET revoked_at = coalesce(revoked_at, ?1), revoke_mode = ?3 WHERE id = ?2 \
             AND (revoked_at IS NULL OR (?3 = 'lost' AND revoke_mode = 'handover' AND handed_in_at IS NULL))",
            rusqlite::params![now_millis(), blob(device), mode.ident()],
        )?;
        Ok(n == 1)
    }

    pub(super) fn list_devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
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
                revoke_mode: mode_parse(r.get::<_, Option<String>>(7)?.as_deref()),
                handed_in_at: r.get(8)?,
                last_seen_at: r.get(9)?,
                last_batch: r.get(10)?,
            });
        }
        Ok(out)
    }

    pub(super) fn take_guard(&self, keys: &[String], limit: u32, window_ms: i64) -> Result<Admit, ServerError> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM guard WHERE since < ?1", [now - window_ms])?;
        let mut answers = Vec::with_capacity(keys.len());
        for k in keys {
            let (failures, pending): (i64, i64) = tx
                .prepare_cached("SELECT failures, pending FROM guard WHERE key = ?1")?
                .query_row([k], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .unwrap_or((0, 0));
            answers.push(guard::admit(failures, pending, limit));
        }
        let answer = guard::strictest(answers);
        if answer == Admit::Go {
            for k in keys {
                tx.execute(
                    "INSERT INTO guard(key, since, failures, pending) VALUES (?1, ?2, 0, 1) \
                     ON CONFLICT(key) DO UPDATE SET pending = pending + 1",
                    rusqlite::params![k, now],
                )?;
            }
            tx.commit()?;
        }
        Ok(answer)
    }

    pub(super) fn release_guard(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError> {
        let conn = lock(&self.writer);
        for k in keys {
            conn.execute(
                "UPDATE guard SET pending = max(pending - 1, 0), failures = failures + ?2 WHERE key = ?1",
                rusqlite::params![k, i64::from(wrong_secret)],
            )?;
        }
        Ok(())
    }
}
