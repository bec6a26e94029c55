//! Who may call, SQLite rows: enrolment codes, users and their passwords, device tokens with expiry,
//! revocation, the attempt guard. The flows are in `crate::storage::access`, the rules in
//! `crate::access`; SQLite has one writer, so a write transaction (`BEGIN IMMEDIATE`) already excludes
//! every other.

use super::ledger::{blob, uuid};
use super::{lock, SqliteStorage};
use crate::access::{mode_parse, role_parse, scope_parse, IssuedCode, NewUser, RegisteredDevice, TokenRow};
use crate::error::ServerError;
use crate::storage::{AccessRows, AccessTx, DeviceInfo, DeviceRow, LoginRow, NewCode, RevokeMode, UserInfo};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;
use zoufang_model::{Role, Scope};

/// The access rows inside one of SQLite's write transactions.
struct SqliteAccess<'a>(&'a Transaction<'a>);

impl AccessTx for SqliteAccess<'_> {
    fn code(&mut self, hash: &[u8]) -> Result<Option<IssuedCode>, ServerError> {
        let row = self.0.query_row(
            "SELECT device_name, scope, expires_at, used_by, role, token_days FROM enrol_code WHERE code_hash = ?1",
            [hash],
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
        );
        Ok(row.optional()?)
    }

    fn use_code(&mut self, hash: &[u8], device: Uuid, at: &str) -> Result<(), ServerError> {
        self.0.execute(
            "UPDATE enrol_code SET used_by = ?1, used_at = ?2 WHERE code_hash = ?3",
            rusqlite::params![blob(device), at, hash],
        )?;
        Ok(())
    }

    fn registered(&mut self, id: Uuid) -> Result<Option<RegisteredDevice>, ServerError> {
        let row = self.0.query_row(
            "SELECT scope, role, revoked_at IS NOT NULL, expires_at, token_hash, chain_head FROM device WHERE id = ?1",
            [blob(id)],
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
        );
        Ok(row.optional()?)
    }

    fn insert_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError> {
        self.0.execute(
            "INSERT INTO device(id, name, token_hash, scope, role, user_id, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![blob(d.id), d.name, d.token_hash, d.scope, d.role, d.user.map(blob), d.now, d.expires_at],
        )?;
        Ok(())
    }

    fn renew_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError> {
        self.0.execute(
            "UPDATE device SET token_hash = ?1, expires_at = ?2, name = ?3, user_id = coalesce(?4, user_id) WHERE id = ?5",
            rusqlite::params![d.token_hash, d.expires_at, d.name, d.user.map(blob), blob(d.id)],
        )?;
        Ok(())
    }

    fn user_id(&mut self, login: &str) -> Result<Option<Uuid>, ServerError> {
        let id: Option<Vec<u8>> =
            self.0.query_row("SELECT id FROM app_user WHERE login = ?1", [login], |r| r.get(0)).optional()?;
        Ok(id.map(|id| uuid(&id)).transpose()?)
    }

    fn disable_user(&mut self, id: Uuid, at: &str) -> Result<(), ServerError> {
        self.0.execute(
            "UPDATE app_user SET disabled_at = coalesce(disabled_at, ?1) WHERE id = ?2",
            rusqlite::params![at, blob(id)],
        )?;
        self.0.execute(
            "UPDATE device SET revoked_at = ?1, revoke_mode = 'handover' WHERE user_id = ?2 AND revoked_at IS NULL",
            rusqlite::params![at, blob(id)],
        )?;
        Ok(())
    }

    fn forget_guards(&mut self, before: i64) -> Result<(), ServerError> {
        self.0.execute("DELETE FROM guard WHERE since < ?1", [before])?;
        Ok(())
    }

    fn guard_counts(&mut self, key: &str, _now: i64) -> Result<(i64, i64), ServerError> {
        let counts = self
            .0
            .prepare_cached("SELECT failures, pending FROM guard WHERE key = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(counts.unwrap_or((0, 0)))
    }

    fn guard_pend(&mut self, key: &str, now: i64) -> Result<(), ServerError> {
        self.0.execute(
            "INSERT INTO guard(key, since, failures, pending) VALUES (?1, ?2, 0, 1) \
             ON CONFLICT(key) DO UPDATE SET pending = pending + 1",
            rusqlite::params![key, now],
        )?;
        Ok(())
    }
}

impl AccessRows for SqliteStorage {
    fn in_tx(&self, f: &mut dyn FnMut(&mut dyn AccessTx) -> Result<(), ServerError>) -> Result<(), ServerError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&mut SqliteAccess(&tx))?;
        tx.commit()?;
        Ok(())
    }

    fn insert_code(&self, c: &NewCode<'_>) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "INSERT INTO enrol_code(code_hash, device_name, scope, role, token_days, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![c.hash, c.device_name, c.scope, c.role, c.token_days, c.created_at, c.expires_at],
        )?;
        Ok(())
    }

    fn login_row(&self, login: &str) -> Result<Option<LoginRow>, ServerError> {
        type Row = (Vec<u8>, String, String, String, bool);
        let user: Option<Row> = self
            .reader()
            .query_row(
                "SELECT id, role, scope, password_hash, disabled_at IS NOT NULL FROM app_user WHERE login = ?1",
                [login],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((id, role, scope, password_hash, disabled)) = user else { return Ok(None) };
        Ok(Some(LoginRow { id: uuid(&id)?, role, scope, password_hash, disabled }))
    }

    fn insert_user(&self, u: &NewUser, role: Role, scope: &Scope, at: &str) -> Result<bool, ServerError> {
        let n = lock(&self.writer).execute(
            "INSERT OR IGNORE INTO app_user(id, login, name, role, scope, password_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![blob(u.id), u.login, u.name, role.ident(), scope.to_string(), u.hash, at],
        )?;
        Ok(n == 1)
    }

    fn users(&self) -> Result<Vec<UserInfo>, ServerError> {
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

    fn token_row(&self, hash: &[u8]) -> Result<Option<TokenRow>, ServerError> {
        let conn = self.reader();
        let row = conn
            .prepare_cached(
                "SELECT id, name, scope, role, revoked_at, revoke_mode, handed_in_at, expires_at FROM device WHERE token_hash = ?1",
            )?
            .query_row([hash], |r| {
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
        Ok(row)
    }

    fn handed_in(&self, id: Uuid, at: &str) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "UPDATE device SET handed_in_at = ?1 WHERE id = ?2 AND revoke_mode = 'handover' AND handed_in_at IS NULL",
            rusqlite::params![at, blob(id)],
        )?;
        Ok(())
    }

    fn revoke(&self, id: Uuid, mode: RevokeMode, at: &str) -> Result<bool, ServerError> {
        let n = lock(&self.writer).execute(
            "UPDATE device SET revoked_at = coalesce(revoked_at, ?1), revoke_mode = ?3 WHERE id = ?2 \
             AND (revoked_at IS NULL OR (?3 = 'lost' AND revoke_mode = 'handover' AND handed_in_at IS NULL))",
            rusqlite::params![at, blob(id), mode.ident()],
        )?;
        Ok(n == 1)
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
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

    fn release_guard(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError> {
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
