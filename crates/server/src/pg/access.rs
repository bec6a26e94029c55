//! Who may call, PostgreSQL rows: enrolment codes, users, device tokens, revocation. The rules are in
//! `crate::access`, shared with the SQLite backend.

use super::conn::Tx;
use super::PgStorage;
use crate::access::{
    bad_login, bad_scope, check_reenrol, code_expiry, device_auth, dummy_hash, login_device_name, mode_parse, new_user,
    now_millis, now_rfc3339, role_parse, scope_parse, token_expiry, unknown_code, user_exists, IssuedCode,
    RegisteredDevice, TokenRow,
};
use crate::error::ServerError;
use crate::guard::{self, Admit};
use crate::storage::{DeviceAuth, DeviceInfo, RevokeMode, UserInfo};
use crate::tokens;
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{EnrolResponse, LoginRequest};

impl PgStorage {
    /// Registers `device_id` (or renews its expired token) and returns its new token and expiry.
    #[allow(clippy::too_many_arguments)]
    fn register_device(
        &self,
        tx: &mut Tx<'_>,
        device_id: Uuid,
        name: &str,
        scope: &str,
        role: Role,
        user: Option<Uuid>,
        token_days: u32,
        proof: Option<&str>,
    ) -> Result<EnrolResponse, ServerError> {
        let existing = tx.query_opt(
            "SELECT scope, role, revoked_at IS NOT NULL, expires_at, token_hash, chain_head FROM device \
             WHERE id = $1 FOR UPDATE",
            &[&device_id],
        )?;
        let token = tokens::new_token();
        let expires = token_expiry(token_days);
        match existing {
            None => {
                tx.execute(
                    "INSERT INTO device(id, name, token_hash, scope, role, user_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[&device_id, &name, &tokens::hash(&token), &scope, &role.ident(), &user, &now_rfc3339(), &expires],
                )?;
            }
            Some(r) => {
                let old = RegisteredDevice {
                    scope: r.try_get(0)?,
                    role: r.try_get(1)?,
                    revoked: r.try_get(2)?,
                    expires_at: r.try_get(3)?,
                    token_hash: r.try_get(4)?,
                    chain_head: r.try_get(5)?,
                };
                check_reenrol(&old, old.proven_by(proof), scope, role)?;
                tx.execute(
                    "UPDATE device SET token_hash = $1, expires_at = $2, name = $3, user_id = coalesce($4, user_id) WHERE id = $5",
                    &[&tokens::hash(&token), &expires, &name, &user, &device_id],
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
        self.writer()?.execute(
            "INSERT INTO enrol_code(code_hash, device_name, scope, role, token_days, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &tokens::hash(&tokens::normalise_code(&code)),
                &device_name,
                &scope.to_string(),
                &role.ident(),
                &(token_days.max(1) as i32),
                &now_rfc3339(),
                &code_expiry(ttl_hours),
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
        let mut conn = self.writer()?;
        let mut tx = conn.tx()?;
        let hash = tokens::hash(&tokens::normalise_code(code));
        // FOR UPDATE: two replicas redeeming the same code at once cannot both succeed.
        let row = tx.query_opt(
            "SELECT device_name, scope, expires_at, used_by IS NOT NULL, role, token_days FROM enrol_code \
             WHERE code_hash = $1 FOR UPDATE",
            &[&hash],
        )?;
        let row = row
            .map(|r| {
                Ok::<_, postgres::Error>(IssuedCode {
                    device_name: r.try_get(0)?,
                    scope: r.try_get(1)?,
                    expires: r.try_get(2)?,
                    used: r.try_get(3)?,
                    role: r.try_get(4)?,
                    token_days: r.try_get::<_, i32>(5)?.max(1) as u32,
                })
            })
            .transpose()?;
        let (name, c) = row.ok_or_else(unknown_code)?.redeem(device_name)?;
        let resp =
            self.register_device(&mut tx, device_id, &name, &c.scope, role_parse(&c.role)?, None, c.token_days, proof)?;
        tx.execute(
            "UPDATE enrol_code SET used_by = $1, used_at = $2 WHERE code_hash = $3",
            &[&device_id, &now_rfc3339(), &hash],
        )?;
        tx.commit()?;
        Ok(resp)
    }

    pub(super) fn login_device(&self, req: &LoginRequest) -> Result<EnrolResponse, ServerError> {
        // Check the password before taking the writer: argon2 is deliberately slow.
        let user = self.reader()?.query_opt(
            "SELECT id, role, scope, password_hash, disabled_at IS NOT NULL FROM app_user WHERE login = $1",
            &[&req.login.trim()],
        )?;
        let Some(u) = user else {
            tokens::verify_password(dummy_hash(), &req.password);
            return Err(bad_login());
        };
        let (id, role, scope, hash, disabled): (Uuid, String, String, String, bool) =
            (u.try_get(0)?, u.try_get(1)?, u.try_get(2)?, u.try_get(3)?, u.try_get(4)?);
        if !tokens::verify_password(&hash, &req.password) || disabled {
            return Err(bad_login());
        }
        let name = login_device_name(&req.login, &req.device_name);
        let mut conn = self.writer()?;
        let mut tx = conn.tx()?;
        let resp = self.register_device(
            &mut tx,
            req.device_id,
            &name,
            &scope,
            role_parse(&role)?,
            Some(id),
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
        let n = self.writer()?.execute(
            "INSERT INTO app_user(id, login, name, role, scope, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING",
            &[&u.id, &u.login, &u.name, &role.ident(), &scope.to_string(), &u.hash, &now_rfc3339()],
        )?;
        if n == 0 {
            return Err(user_exists(login));
        }
        Ok(u.id)
    }

    pub(super) fn list_users(&self) -> Result<Vec<UserInfo>, ServerError> {
        let rows = self
            .reader()?
            .query("SELECT id, login, name, role, scope, created_at, disabled_at FROM app_user ORDER BY login", &[])?;
        rows.iter()
            .map(|r| {
                Ok(UserInfo {
                    id: r.try_get(0)?,
                    login: r.try_get(1)?,
                    name: r.try_get(2)?,
                    role: role_parse(r.try_get(3)?)?,
                    scope: scope_parse(r.try_get(4)?)?,
                    created_at: r.try_get(5)?,
                    disabled_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    pub(super) fn disable(&self, login: &str) -> Result<bool, ServerError> {
        let mut conn = self.writer()?;
        let mut tx = conn.tx()?;
        let now = now_millis();
        let id: Option<Uuid> = tx
            .query_opt("SELECT id FROM app_user WHERE login = $1 FOR UPDATE", &[&login.trim()])?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("UPDATE app_user SET disabled_at = coalesce(disabled_at, $1) WHERE id = $2", &[&now, &id])?;
        tx.execute(
            "UPDATE device SET revoked_at = $1, revoke_mode = 'handover' WHERE user_id = $2 AND revoked_at IS NULL",
            &[&now, &id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub(super) fn check_token(&self, token: &str) -> Result<DeviceAuth, ServerError> {
        let row = self.reader()?.query_opt(
            "SELECT id, name, scope, role, revoked_at, revoke_mode, handed_in_at, expires_at FROM device WHERE token_hash = $1",
            &[&tokens::hash(token)],
        )?;
        let row = row
            .map(|r| {
                Ok::<_, postgres::Error>(TokenRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    scope: r.try_get(2)?,
                    role: r.try_get(3)?,
                    revoked_at: r.try_get(4)?,
                    revoke_mode: r.try_get(5)?,
                    handed_in_at: r.try_get(6)?,
                    expires_at: r.try_get(7)?,
                })
            })
            .transpose()?;
        device_auth(row)
    }

    pub(super) fn revoke_device(&self, device: Uuid, mode: RevokeMode) -> Result<bool, ServerError> {
        // A device revoked for handover that has not handed in yet may still be declared lost.
        let n = self.writer()?.execute(
            "UPDATE device SET revoked_at = coalesce(revoked_at, $1), revoke_mode = $3 WHERE id = $2 \
             AND (revoked_at IS NULL OR ($3 = 'lost' AND revoke_mode = 'handover' AND handed_in_at IS NULL))",
            &[&now_millis(), &device, &mode.ident()],
        )?;
        Ok(n == 1)
    }

    pub(super) fn list_devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        let rows = self.reader()?.query(
            "SELECT id, name, scope, role, created_at, expires_at, revoked_at, revoke_mode, handed_in_at, \
             last_seen_at, last_batch FROM device WHERE scope <> 'county:000000' ORDER BY created_at",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DeviceInfo {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    scope: scope_parse(r.try_get(2)?)?,
                    role: role_parse(r.try_get(3)?)?,
                    created_at: r.try_get(4)?,
                    expires_at: r.try_get(5)?,
                    revoked_at: r.try_get(6)?,
                    revoke_mode: mode_parse(r.try_get(7)?),
                    handed_in_at: r.try_get(8)?,
                    last_seen_at: r.try_get(9)?,
                    last_batch: r.try_get(10)?,
                })
            })
            .collect()
    }

    pub(super) fn take_guard(&self, keys: &[String], limit: u32, window_ms: i64) -> Result<Admit, ServerError> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut conn = self.writer()?;
        let mut tx = conn.tx()?;
        tx.execute("DELETE FROM guard WHERE since < $1", &[&(now - window_ms)])?;
        let mut answers = Vec::with_capacity(keys.len());
        for k in keys {
            // The row lock (the upsert's, then FOR UPDATE) makes concurrent attempts on any replica
            // take their turn.
            tx.execute(
                "INSERT INTO guard(key, since, failures, pending) VALUES ($1, $2, 0, 0) ON CONFLICT (key) DO NOTHING",
                &[k, &now],
            )?;
            let row = tx.query_one("SELECT failures, pending FROM guard WHERE key = $1 FOR UPDATE", &[k])?;
            let (failures, pending): (i32, i32) = (row.try_get(0)?, row.try_get(1)?);
            answers.push(guard::admit(failures.into(), pending.into(), limit));
        }
        let answer = guard::strictest(answers);
        if answer == Admit::Go {
            for k in keys {
                tx.execute("UPDATE guard SET pending = pending + 1 WHERE key = $1", &[k])?;
            }
            tx.commit()?;
        }
        Ok(answer)
    }

    pub(super) fn release_guard(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError> {
        let mut conn = self.writer()?;
        for k in keys {
            conn.execute(
                "UPDATE guard SET pending = greatest(pending - 1, 0), failures = failures + $2 WHERE key = $1",
                &[k, &i32::from(wrong_secret)],
            )?;
        }
        Ok(())
    }
}
