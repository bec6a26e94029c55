//! Who may call, PostgreSQL rows: enrolment codes, users, device tokens, revocation, the attempt
//! guard. The flows are in `crate::storage::access`, the rules in `crate::access`, shared with the
//! SQLite backend. Several replicas write at once here, so what a transaction reads to decide on is
//! locked (`FOR UPDATE`): two replicas redeeming one code cannot both succeed.

use super::conn::Tx;
use super::PgStorage;
use crate::access::{mode_parse, role_parse, scope_parse, IssuedCode, NewUser, RegisteredDevice, TokenRow};
use crate::error::ServerError;
use crate::storage::{AccessRows, AccessTx, DeviceInfo, DeviceRow, LoginRow, NewCode, RevokeMode, UserInfo};
use uuid::Uuid;
use zoufang_model::{Role, Scope};

/// The access rows inside one PostgreSQL transaction.
struct PgAccess<'a, 'c>(&'a mut Tx<'c>);

impl AccessTx for PgAccess<'_, '_> {
    fn code(&mut self, hash: &[u8]) -> Result<Option<IssuedCode>, ServerError> {
        let row = self.0.query_opt(
            "SELECT device_name, scope, expires_at, used_by IS NOT NULL, role, token_days FROM enrol_code \
             WHERE code_hash = $1 FOR UPDATE",
            &[&hash],
        )?;
        let code = row.map(|r| {
            Ok::<_, postgres::Error>(IssuedCode {
                device_name: r.try_get(0)?,
                scope: r.try_get(1)?,
                expires: r.try_get(2)?,
                used: r.try_get(3)?,
                role: r.try_get(4)?,
                token_days: r.try_get::<_, i32>(5)?.max(1) as u32,
            })
        });
        Ok(code.transpose()?)
    }

    fn use_code(&mut self, hash: &[u8], device: Uuid, at: &str) -> Result<(), ServerError> {
        self.0
            .execute("UPDATE enrol_code SET used_by = $1, used_at = $2 WHERE code_hash = $3", &[&device, &at, &hash])?;
        Ok(())
    }

    fn registered(&mut self, id: Uuid) -> Result<Option<RegisteredDevice>, ServerError> {
        let row = self.0.query_opt(
            "SELECT scope, role, revoked_at IS NOT NULL, expires_at, token_hash, chain_head FROM device \
             WHERE id = $1 FOR UPDATE",
            &[&id],
        )?;
        let device = row.map(|r| {
            Ok::<_, postgres::Error>(RegisteredDevice {
                scope: r.try_get(0)?,
                role: r.try_get(1)?,
                revoked: r.try_get(2)?,
                expires_at: r.try_get(3)?,
                token_hash: r.try_get(4)?,
                chain_head: r.try_get(5)?,
            })
        });
        Ok(device.transpose()?)
    }

    fn insert_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError> {
        self.0.execute(
            "INSERT INTO device(id, name, token_hash, scope, role, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&d.id, &d.name, &d.token_hash, &d.scope, &d.role, &d.user, &d.now, &d.expires_at],
        )?;
        Ok(())
    }

    fn renew_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError> {
        self.0.execute(
            "UPDATE device SET token_hash = $1, expires_at = $2, name = $3, user_id = coalesce($4, user_id) WHERE id = $5",
            &[&d.token_hash, &d.expires_at, &d.name, &d.user, &d.id],
        )?;
        Ok(())
    }

    fn user_id(&mut self, login: &str) -> Result<Option<Uuid>, ServerError> {
        let row = self.0.query_opt("SELECT id FROM app_user WHERE login = $1 FOR UPDATE", &[&login])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn disable_user(&mut self, id: Uuid, at: &str) -> Result<(), ServerError> {
        self.0.execute("UPDATE app_user SET disabled_at = coalesce(disabled_at, $1) WHERE id = $2", &[&at, &id])?;
        self.0.execute(
            "UPDATE device SET revoked_at = $1, revoke_mode = 'handover' WHERE user_id = $2 AND revoked_at IS NULL",
            &[&at, &id],
        )?;
        Ok(())
    }

    fn forget_guards(&mut self, before: i64) -> Result<(), ServerError> {
        self.0.execute("DELETE FROM guard WHERE since < $1", &[&before])?;
        Ok(())
    }

    fn guard_counts(&mut self, key: &str, now: i64) -> Result<(i64, i64), ServerError> {
        // The row lock (the upsert's, then FOR UPDATE) makes concurrent attempts on any replica take
        // their turn.
        self.0.execute(
            "INSERT INTO guard(key, since, failures, pending) VALUES ($1, $2, 0, 0) ON CONFLICT (key) DO NOTHING",
            &[&key, &now],
        )?;
        let row = self.0.query_one("SELECT failures, pending FROM guard WHERE key = $1 FOR UPDATE", &[&key])?;
        let (failures, pending): (i32, i32) = (row.try_get(0)?, row.try_get(1)?);
        Ok((failures.into(), pending.into()))
    }

    fn guard_pend(&mut self, key: &str, _now: i64) -> Result<(), ServerError> {
        // `guard_counts` made the row.
        self.0.execute("UPDATE guard SET pending = pending + 1 WHERE key = $1", &[&key])?;
        Ok(())
    }
}

impl AccessRows for PgStorage {
    fn in_tx(&self, f: &mut dyn FnMut(&mut dyn AccessTx) -> Result<(), ServerError>) -> Result<(), ServerError> {
        let mut conn = self.writer()?;
        let mut tx = conn.tx()?;
        f(&mut PgAccess(&mut tx))?;
        tx.commit()?;
        Ok(())
    }

    fn insert_code(&self, c: &NewCode<'_>) -> Result<(), ServerError> {
        self.writer()?.execute(
            "INSERT INTO enrol_code(code_hash, device_name, scope, role, token_days, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&c.hash, &c.device_name, &c.scope, &c.role, &(c.token_days as i32), &c.created_at, &c.expires_at],
        )?;
        Ok(())
    }

    fn login_row(&self, login: &str) -> Result<Option<LoginRow>, ServerError> {
        let row = self.reader()?.query_opt(
            "SELECT id, role, scope, password_hash, disabled_at IS NOT NULL FROM app_user WHERE login = $1",
            &[&login],
        )?;
        let user = row.map(|u| {
            Ok::<_, postgres::Error>(LoginRow {
                id: u.try_get(0)?,
                role: u.try_get(1)?,
                scope: u.try_get(2)?,
                password_hash: u.try_get(3)?,
                disabled: u.try_get(4)?,
            })
        });
        Ok(user.transpose()?)
    }

    fn insert_user(&self, u: &NewUser, role: Role, scope: &Scope, at: &str) -> Result<bool, ServerError> {
        let n = self.writer()?.execute(
            "INSERT INTO app_user(id, login, name, role, scope, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING",
            &[&u.id, &u.login, &u.name, &role.ident(), &scope.to_string(), &u.hash, &at],
        )?;
        Ok(n == 1)
    }

    fn users(&self) -> Result<Vec<UserInfo>, ServerError> {
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

    fn token_row(&self, hash: &[u8]) -> Result<Option<TokenRow>, ServerError> {
        let row = self.reader()?.query_opt(
            "SELECT id, name, scope, role, revoked_at, revoke_mode, handed_in_at, expires_at FROM device WHERE token_hash = $1",
            &[&hash],
        )?;
        let row = row.map(|r| {
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
        });
        Ok(row.transpose()?)
    }

    fn handed_in(&self, id: Uuid, at: &str) -> Result<(), ServerError> {
        self.writer()?.execute(
            "UPDATE device SET handed_in_at = $1 WHERE id = $2 AND revoke_mode = 'handover' AND handed_in_at IS NULL",
            &[&at, &id],
        )?;
        Ok(())
    }

    fn revoke(&self, id: Uuid, mode: RevokeMode, at: &str) -> Result<bool, ServerError> {
        let n = self.writer()?.execute(
            "UPDATE device SET revoked_at = coalesce(revoked_at, $1), revoke_mode = $3 WHERE id = $2 \
             AND (revoked_at IS NULL OR ($3 = 'lost' AND revoke_mode = 'handover' AND handed_in_at IS NULL))",
            &[&at, &id, &mode.ident()],
        )?;
        Ok(n == 1)
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
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

    fn release_guard(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError> {
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
