//! Who may call, written once for every backend: enrolment codes and their redemption, sign-in by
//! login and password, users, tokens, handover and revocation, and the attempt guard. The rules
//! themselves (what a code, a re-enrolment, a token row allows) are pure functions in `crate::access`;
//! the backend reads and writes rows (`AccessRows`) and, inside one write transaction the flow asks
//! for, the rows a redemption, a sign-in, a user's disabling or a guarded attempt touch together
//! (`AccessTx`). A flow that fails returns an error and the transaction rolls back.

use super::{DeviceAuth, DeviceInfo, RevokeMode, Storage, UserInfo, TOKEN_DAYS};
use crate::access::{
    bad_login, bad_scope, check_reenrol, code_expiry, device_auth, dummy_hash, login_device_name, new_user, now_millis,
    now_rfc3339, role_parse, scope_parse, token_expiry, unknown_code, user_exists, IssuedCode, NewUser,
    RegisteredDevice, TokenRow,
};
use crate::error::ServerError;
use crate::guard::{self, Admit};
use crate::tokens;
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{EnrolResponse, LoginRequest};

/// An enrolment code as it is stored: its hash, never the code.
pub(crate) struct NewCode<'a> {
    pub hash: Vec<u8>,
    pub device_name: &'a str,
    pub scope: String,
    pub role: &'static str,
    pub token_days: u32,
    pub created_at: String,
    pub expires_at: String,
}

/// A user as sign-in looks at them.
pub(crate) struct LoginRow {
    pub id: Uuid,
    pub role: String,
    pub scope: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// A device's registration as it is written (new, or renewed under its own id).
pub(crate) struct DeviceRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub token_hash: Vec<u8>,
    pub scope: &'a str,
    pub role: &'static str,
    pub user: Option<Uuid>,
    pub now: String,
    pub expires_at: &'a str,
}

/// The rows a flow reads and writes together, inside one write transaction. Reads lock what they
/// read where the backend has several writers (PostgreSQL's `FOR UPDATE`), so two replicas cannot both
/// redeem one code.
pub(crate) trait AccessTx {
    /// The enrolment code stored under `hash`.
    fn code(&mut self, hash: &[u8]) -> Result<Option<IssuedCode>, ServerError>;
    /// Marks a code used by `device`.
    fn use_code(&mut self, hash: &[u8], device: Uuid, at: &str) -> Result<(), ServerError>;
    /// The device registered under `id`, as re-enrolment looks at it.
    fn registered(&mut self, id: Uuid) -> Result<Option<RegisteredDevice>, ServerError>;
    fn insert_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError>;
    /// A new token, expiry and name for a registered device (its user kept unless a new one is given).
    fn renew_device(&mut self, d: &DeviceRow<'_>) -> Result<(), ServerError>;
    /// The id of the user with this login.
    fn user_id(&mut self, login: &str) -> Result<Option<Uuid>, ServerError>;
    /// Disables a user (keeping an earlier time) and revokes their devices in good standing for handover.
    fn disable_user(&mut self, id: Uuid, at: &str) -> Result<(), ServerError>;
    /// Forgets every guard key first counted before `before` (Unix ms).
    fn forget_guards(&mut self, before: i64) -> Result<(), ServerError>;
    /// A guard key's failures and pending attempts (locked until the transaction ends).
    fn guard_counts(&mut self, key: &str, now: i64) -> Result<(i64, i64), ServerError>;
    /// Counts one more pending attempt on a key (first counted at `now` if it is new).
    fn guard_pend(&mut self, key: &str, now: i64) -> Result<(), ServerError>;
}

/// The backend's rows for access, outside transactions, and the transaction the flows run in.
pub(crate) trait AccessRows {
    /// Runs `f` in one write transaction, committed when it returns `Ok`, rolled back otherwise.
    fn in_tx(&self, f: &mut dyn FnMut(&mut dyn AccessTx) -> Result<(), ServerError>) -> Result<(), ServerError>;
    fn insert_code(&self, c: &NewCode<'_>) -> Result<(), ServerError>;
    fn login_row(&self, login: &str) -> Result<Option<LoginRow>, ServerError>;
    /// Adds a user; false when the login is taken.
    fn insert_user(&self, u: &NewUser, role: Role, scope: &Scope, at: &str) -> Result<bool, ServerError>;
    fn users(&self) -> Result<Vec<UserInfo>, ServerError>;
    /// The device holding the token whose hash is `hash`.
    fn token_row(&self, hash: &[u8]) -> Result<Option<TokenRow>, ServerError>;
    /// Marks a device revoked for handover as handed in.
    fn handed_in(&self, id: Uuid, at: &str) -> Result<(), ServerError>;
    /// Revokes a device in good standing, or declares lost one revoked for handover that has not handed
    /// in. False when nothing changed.
    fn revoke(&self, id: Uuid, mode: RevokeMode, at: &str) -> Result<bool, ServerError>;
    /// Every device but the trusted sources' stand-ins.
    fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError>;
    /// Ends one pending attempt on each key, counted as a failure when `wrong_secret`.
    fn release_guard(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError>;
}

/// Runs `f` in one of the backend's write transactions and returns what it returned.
fn transaction<R>(
    rows: &dyn AccessRows,
    f: impl FnOnce(&mut dyn AccessTx) -> Result<R, ServerError>,
) -> Result<R, ServerError> {
    let (mut f, mut out) = (Some(f), None);
    rows.in_tx(&mut |tx| {
        if let Some(f) = f.take() {
            out = Some(f(tx)?);
        }
        Ok(())
    })?;
    out.ok_or_else(|| ServerError::internal("the storage did not run the transaction"))
}

/// Registers `device_id` (or renews its expired token) and returns its new token and expiry.
#[allow(clippy::too_many_arguments)]
fn register_device(
    tx: &mut dyn AccessTx,
    server_id: Uuid,
    device_id: Uuid,
    name: &str,
    scope: &str,
    role: Role,
    user: Option<Uuid>,
    token_days: u32,
    proof: Option<&str>,
) -> Result<EnrolResponse, ServerError> {
    let existing = tx.registered(device_id)?;
    let token = tokens::new_token();
    let expires = token_expiry(token_days);
    let row = DeviceRow {
        id: device_id,
        name,
        token_hash: tokens::hash(&token),
        scope,
        role: role.ident(),
        user,
        now: now_rfc3339(),
        expires_at: &expires,
    };
    match existing {
        None => tx.insert_device(&row)?,
        Some(old) => {
            check_reenrol(&old, old.proven_by(proof), scope, role)?;
            tx.renew_device(&row)?;
        }
    }
    Ok(EnrolResponse { device_id, token, scope: scope_parse(scope)?, server_id, role, expires_at: expires })
}

impl Storage {
    /// Issues a one-time enrolment code for a field device (work team) with this village scope, or an
    /// office device at the scope's level.
    pub fn create_enrol_code(&self, device_name: &str, scope: &Scope, ttl_hours: u32) -> Result<String, ServerError> {
        let role = match scope {
            Scope::Village(_) => Role::WorkTeam,
            Scope::Township(_) => Role::Township,
            Scope::County(_) => Role::County,
        };
        self.create_enrol_code_for(device_name, scope, role, ttl_hours, TOKEN_DAYS)
    }

    /// Issues a one-time enrolment code for a device of `role`; its token will last `token_days`.
    pub fn create_enrol_code_for(
        &self,
        device_name: &str,
        scope: &Scope,
        role: Role,
        ttl_hours: u32,
        token_days: u32,
    ) -> Result<String, ServerError> {
        role.check_scope(scope).map_err(bad_scope)?;
        let code = tokens::new_code();
        self.rows.insert_code(&NewCode {
            hash: tokens::hash(&tokens::normalise_code(&code)),
            device_name,
            scope: scope.to_string(),
            role: role.ident(),
            token_days: token_days.max(1),
            created_at: now_rfc3339(),
            expires_at: code_expiry(ttl_hours),
        })?;
        Ok(code)
    }

    /// Redeems a code: registers the device and returns its token. A device whose token expired may
    /// enrol again under its own id (its unsent data then goes up as before) when it proves it is that
    /// device: `proof` is its old token or the last link of its history the server holds.
    pub fn enrol(
        &self,
        code: &str,
        device_id: Uuid,
        device_name: &str,
        proof: Option<&str>,
    ) -> Result<EnrolResponse, ServerError> {
        let hash = tokens::hash(&tokens::normalise_code(code));
        let server_id = self.server_id();
        transaction(&*self.rows, |tx| {
            let (name, c) = tx.code(&hash)?.ok_or_else(unknown_code)?.redeem(device_name)?;
            let role = role_parse(&c.role)?;
            let resp = register_device(tx, server_id, device_id, &name, &c.scope, role, None, c.token_days, proof)?;
            tx.use_code(&hash, device_id, &now_rfc3339())?;
            Ok(resp)
        })
    }

    /// Enrols a device by a user's login and password; the device takes the user's role and scope.
    pub fn login(&self, req: &LoginRequest) -> Result<EnrolResponse, ServerError> {
        // Check the password before the write transaction: argon2 is deliberately slow.
        let Some(user) = self.rows.login_row(req.login.trim())? else {
            tokens::verify_password(dummy_hash(), &req.password);
            return Err(bad_login());
        };
        if !tokens::verify_password(&user.password_hash, &req.password) || user.disabled {
            return Err(bad_login());
        }
        let name = login_device_name(&req.login, &req.device_name);
        let (role, server_id) = (role_parse(&user.role)?, self.server_id());
        transaction(&*self.rows, |tx| {
            let proof = req.proof.as_deref();
            register_device(tx, server_id, req.device_id, &name, &user.scope, role, Some(user.id), TOKEN_DAYS, proof)
        })
    }

    /// Adds a user; the password is stored as an argon2id hash.
    pub fn create_user(
        &self,
        login: &str,
        name: &str,
        role: Role,
        scope: &Scope,
        password: &str,
    ) -> Result<Uuid, ServerError> {
        let u = new_user(login, name, role, scope, password)?;
        if !self.rows.insert_user(&u, role, scope, &now_rfc3339())? {
            return Err(user_exists(login));
        }
        Ok(u.id)
    }

    pub fn users(&self) -> Result<Vec<UserInfo>, ServerError> {
        self.rows.users()
    }

    /// Disables a user and revokes their devices for handover. Returns false for an unknown login.
    pub fn disable_user(&self, login: &str) -> Result<bool, ServerError> {
        let now = now_millis();
        transaction(&*self.rows, |tx| {
            let Some(id) = tx.user_id(login.trim())? else { return Ok(false) };
            tx.disable_user(id, &now)?;
            Ok(true)
        })
    }

    pub fn authenticate(&self, token: &str) -> Result<DeviceAuth, ServerError> {
        device_auth(self.rows.token_row(&tokens::hash(token))?)
    }

    /// A device revoked for handover has uploaded what it holds: from now on it is refused, and wipes.
    pub fn handover_done(&self, device: &DeviceAuth) -> Result<(), ServerError> {
        self.rows.handed_in(device.id, &now_rfc3339())
    }

    pub fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        self.rows.devices()
    }

    /// Revokes a device. Returns false when it is unknown or already revoked.
    pub fn revoke(&self, device: Uuid, mode: RevokeMode) -> Result<bool, ServerError> {
        self.rows.revoke(device, mode, &now_millis())
    }

    /// Admits one attempt at a secret (an enrolment code, a password) on each key (a client address, an
    /// account) before it is checked, atomically, by `guard::admit` over every key: on `Go` the attempt
    /// is counted as pending on each key; otherwise nothing is counted. Kept in the database, so
    /// restarts and replicas share it; a key's counts are forgotten `window_ms` after its first attempt.
    pub fn guard_take(&self, keys: &[String], limit: u32, window_ms: i64) -> Result<Admit, ServerError> {
        let now = chrono::Utc::now().timestamp_millis();
        transaction(&*self.rows, |tx| {
            tx.forget_guards(now - window_ms)?;
            let mut answers = Vec::with_capacity(keys.len());
            for k in keys {
                let (failures, pending) = tx.guard_counts(k, now)?;
                answers.push(guard::admit(failures, pending, limit));
            }
            let answer = guard::strictest(answers);
            if answer == Admit::Go {
                for k in keys {
                    tx.guard_pend(k, now)?;
                }
            }
            Ok(answer)
        })
    }

    /// Ends an attempt admitted by `guard_take`: no longer pending, and counted as a failure when its
    /// secret was wrong.
    pub fn guard_release(&self, keys: &[String], wrong_secret: bool) -> Result<(), ServerError> {
        self.rows.release_guard(keys, wrong_secret)
    }
}
