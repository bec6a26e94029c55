//! Who may call, as rules both backends apply to what they stored: enrolment codes, re-enrolment,
//! users, tokens with expiry and the two kinds of revocation. The backends only read and write rows.

use crate::error::{ErrorKind, ServerError};
use crate::storage::{DeviceAuth, RevokeMode};
use crate::tokens;
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

pub(crate) fn scope_parse(s: &str) -> Result<Scope, ServerError> {
    Scope::parse(s).map_err(|e| ServerError::internal(format!("stored scope {s}: {e}")))
}

pub(crate) fn role_parse(s: &str) -> Result<Role, ServerError> {
    Role::parse(s).map_err(|e| ServerError::internal(format!("stored role {s}: {e}")))
}

pub(crate) fn mode_parse(s: Option<&str>) -> Option<RevokeMode> {
    match s {
        Some("handover") => Some(RevokeMode::Handover),
        Some("lost") => Some(RevokeMode::Lost),
        _ => None,
    }
}

pub(crate) fn bad_scope(e: zoufang_model::Problem) -> ServerError {
    ServerError::bad_request(e.to_string())
}

/// A stand-in hash, verified when a login is unknown so that unknown and wrong answer equally slowly.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| tokens::hash_password("zoufang-dummy-password").unwrap_or_default())
}

pub(crate) fn bad_login() -> ServerError {
    ServerError::new(ErrorKind::Forbidden, "bad_login", "用户名或密码错误，或该用户已被停用")
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
    pub(crate) fn redeem(self, device_name: &str) -> Result<(String, IssuedCode), ServerError> {
        let expired = rfc3339_ms(&self.expires).is_none_or(|t| t < chrono::Utc::now().timestamp_millis());
        // A code stored with a scope that does not read (written before scopes were checked) is no code.
        let valid = Scope::parse(&self.scope)
            .ok()
            .zip(Role::parse(&self.role).ok())
            .is_some_and(|(scope, role)| role.check_scope(&scope).is_ok());
        if !valid {
            tracing::warn!("an enrolment code with an unreadable scope ({}) was tried", self.scope);
        }
        if expired || self.used || !valid {
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
pub(crate) fn unknown_code() -> ServerError {
    ServerError::new(ErrorKind::Forbidden, "bad_code", "注册码无效、已过期或已被使用，请向乡镇管理员索取新的注册码")
}

/// A device already registered under the id that enrols again: allowed only when its token expired, it
/// was never revoked, it proves it is that device (`proven`: it showed its old token or the last link of
/// its history the server holds), and its scope and role are unchanged (its unsent data then goes up as
/// before). Without the proof, whoever learnt a device's id could take its place.
pub(crate) fn check_reenrol(old: &RegisteredDevice, proven: bool, scope: &str, role: Role) -> Result<(), ServerError> {
    let expired =
        old.expires_at.as_deref().and_then(rfc3339_ms).is_some_and(|t| t < chrono::Utc::now().timestamp_millis());
    if old.revoked {
        return Err(ServerError::new(
            ErrorKind::Conflict,
            "device_revoked",
            "该设备已被停用，不能再次注册；请清除本机数据后重新安装",
        ));
    }
    if !expired || !proven {
        return Err(ServerError::new(
            ErrorKind::Conflict,
            "device_exists",
            "该设备编号已注册且授权仍有效，或无法证明是原设备；如需重新注册，请先由管理员停用旧记录",
        ));
    }
    if old.scope != scope || old.role != role.ident() {
        return Err(ServerError::new(
            ErrorKind::Conflict,
            "scope_changed",
            "本机原先登记的工作范围或角色与这次不同；请先上交并清除本机数据，再按新的范围注册",
        ));
    }
    Ok(())
}

/// A device row as re-enrolment looks at it.
pub(crate) struct RegisteredDevice {
    pub scope: String,
    pub role: String,
    pub revoked: bool,
    pub expires_at: Option<String>,
    pub token_hash: Vec<u8>,
    pub chain_head: Option<Vec<u8>>,
}

impl RegisteredDevice {
    /// Whether `proof` is this device's old token or the last link of its history the server holds.
    pub(crate) fn proven_by(&self, proof: Option<&str>) -> bool {
        let Some(p) = proof.map(str::trim).filter(|p| !p.is_empty() && p.len() < 200) else { return false };
        let by_token = tokens::hash(p).as_slice() == self.token_hash.as_slice();
        let by_chain =
            self.chain_head.as_deref().is_some_and(|h| zoufang_sync::chain::from_hex(p).is_some_and(|l| l[..] == *h));
        by_token || by_chain
    }
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
) -> Result<NewUser, ServerError> {
    let login = login.trim();
    if login.is_empty()
        || login.len() > 40
        || !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ServerError::bad_request("登录名须为 1–40 个英文字母、数字或 . _ -"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(ServerError::bad_request("姓名不能为空，最多 40 个字"));
    }
    if password.chars().count() < tokens::MIN_PASSWORD {
        return Err(ServerError::bad_request(format!("密码至少 {} 位", tokens::MIN_PASSWORD)));
    }
    role.check_scope(scope).map_err(bad_scope)?;
    let hash = tokens::hash_password(password).map_err(ServerError::internal)?;
    Ok(NewUser { id: Uuid::now_v7(), login: login.to_string(), name: name.to_string(), hash })
}

pub(crate) fn user_exists(login: &str) -> ServerError {
    ServerError::new(ErrorKind::Conflict, "user_exists", format!("登录名 {} 已被使用", login.trim()))
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
pub(crate) fn device_auth(row: Option<TokenRow>) -> Result<DeviceAuth, ServerError> {
    let Some(r) = row else {
        return Err(ServerError::unauthorized());
    };
    let mut auth = DeviceAuth::new(r.id, r.name, scope_parse(&r.scope)?, role_parse(&r.role)?);
    if let Some(at) = r.revoked_at {
        return match (mode_parse(r.revoke_mode.as_deref()), r.handed_in_at) {
            (Some(RevokeMode::Handover), None) => {
                auth.handover_from = Some(rfc3339_ms(&at).unwrap_or(0));
                Ok(auth)
            }
            _ => Err(ServerError::revoked()),
        };
    }
    if let Some(e) = r.expires_at {
        if rfc3339_ms(&e).is_none_or(|t| t < chrono::Utc::now().timestamp_millis()) {
            return Err(ServerError::new(
                ErrorKind::Unauthenticated,
                zoufang_sync::refusal::TOKEN_EXPIRED,
                format!("本机授权已于 {e} 过期，请重新注册；未同步的数据仍保存在本机，注册后会继续上传"),
            ));
        }
    }
    Ok(auth)
}

/// The SQL condition on `entity` and `about` that keeps a role's pull to the kinds it reads ("" for all
/// kinds): an entry is served when the role reads its kind and, for a conflict, the kind of the record
/// the conflict is about. The idents are fixed words, not input. Refuses a role that reads nothing.
pub(crate) fn readable_kinds(device: Option<&DeviceAuth>) -> Result<String, ServerError> {
    let readable = device.map_or_else(|| Entity::ALL.to_vec(), |d| d.role.readable());
    if let Some(d) = device.filter(|_| readable.is_empty()) {
        return Err(ServerError::new(
            ErrorKind::Forbidden,
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
        let list = list.join(",");
        format!(" AND entity NOT IN ({list}) AND (about IS NULL OR about NOT IN ({list}))")
    } else {
        let list: Vec<String> = readable.iter().map(|e| format!("'{}'", e.ident())).collect();
        let list = list.join(",");
        format!(" AND entity IN ({list}) AND (about IS NULL OR about IN ({list}))")
    })
}

/// What a device may do with a photo file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileRights {
    /// Fetch the file.
    pub read: bool,
    /// Ask how far its upload got, and send chunks (the server checks the bytes against the name, so
    /// they reveal nothing).
    pub upload: bool,
}

/// A record that names a file: its village, the village's division code, the record's kind, the log
/// entry that named it, and whether a device of that village has shown it holds the file's bytes.
pub(crate) struct FileRef {
    pub village: Uuid,
    pub code: Option<String>,
    pub entity: String,
    pub seq: i64,
    pub proven: bool,
}

impl FileRef {
    fn readable_by(&self, device: &DeviceAuth) -> bool {
        Entity::parse(&self.entity).is_some_and(|e| device.role.can_read(e))
            && device.scope.contains(self.village, self.code.as_deref().unwrap_or(""))
    }
}

/// What a device may do with a file, given the records naming it. Reading is decided by the first
/// record that named the file, and by records whose village has shown it holds the bytes (a device
/// there uploaded them): naming a hash seen elsewhere gives nothing. A device revoked for handover reads
/// nothing. Uploading needs a record the device may read naming the file.
pub(crate) fn file_rights(device: &DeviceAuth, refs: &[FileRef]) -> FileRights {
    let first = refs.iter().map(|r| r.seq).min();
    let read = device.handover_from.is_none()
        && refs.iter().filter(|r| Some(r.seq) == first || r.proven).any(|r| r.readable_by(device));
    FileRights { read, upload: refs.iter().any(|r| r.readable_by(device)) }
}

/// The villages whose records naming a file a device may read: after it uploaded the file's bytes,
/// those records count as holding them.
pub(crate) fn provable(device: &DeviceAuth, refs: &[FileRef]) -> Vec<Uuid> {
    refs.iter().filter(|r| r.readable_by(device)).map(|r| r.village).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(scope: Scope, role: Role) -> DeviceAuth {
        DeviceAuth::new(Uuid::from_u128(1), "平板", scope, role)
    }

    fn named(village: u128, code: &str, entity: Entity, seq: i64, proven: bool) -> FileRef {
        FileRef {
            village: Uuid::from_u128(village),
            code: Some(code.into()),
            entity: entity.ident().into(),
            seq,
            proven,
        }
    }

    #[test]
    fn a_file_is_read_by_whoever_may_read_its_first_naming() {
        let a = device(Scope::Village(Uuid::from_u128(10)), Role::WorkTeam);
        let b = device(Scope::Village(Uuid::from_u128(20)), Role::WorkTeam);
        let township = device(Scope::Township("522630101".into()), Role::Township);
        let refs =
            [named(10, "522630101201", Entity::Photo, 5, false), named(20, "522630102202", Entity::Photo, 9, false)];
        assert_eq!(file_rights(&a, &refs), FileRights { read: true, upload: true });
        assert_eq!(file_rights(&b, &refs), FileRights { read: false, upload: true }, "B named it second");
        assert!(file_rights(&township, &refs).read, "A's township reads A's files");
        // Once a device of B showed it holds the bytes, B's naming counts.
        let proven =
            [named(10, "522630101201", Entity::Photo, 5, false), named(20, "522630102202", Entity::Photo, 9, true)];
        assert!(file_rights(&b, &proven).read);
        assert_eq!(provable(&b, &refs), vec![Uuid::from_u128(20)]);
        // A sealed 暗访 photo: only roles that read inspections, and nobody revoked.
        let sealed = [named(10, "522630101201", Entity::Inspection, 3, false)];
        assert_eq!(file_rights(&a, &sealed), FileRights::default());
        let county = device(Scope::County("522630".into()), Role::County);
        assert!(file_rights(&county, &sealed).read);
        let mut leaving = county.clone();
        leaving.handover_from = Some(0);
        assert_eq!(file_rights(&leaving, &sealed), FileRights { read: false, upload: true });
        // Unknown files: nothing.
        assert_eq!(file_rights(&county, &[]), FileRights::default());
    }

    #[test]
    fn reenrolment_needs_the_old_token_or_the_chain_head() {
        let old = RegisteredDevice {
            scope: "village:00000000-0000-0000-0000-00000000000a".into(),
            role: "work_team".into(),
            revoked: false,
            expires_at: Some("2020-01-01T00:00:00+08:00".into()),
            token_hash: tokens::hash("zf_old"),
            chain_head: Some(vec![0xab; 32]),
        };
        assert!(old.proven_by(Some("zf_old")));
        assert!(old.proven_by(Some(&"ab".repeat(32))));
        assert!(!old.proven_by(Some("zf_other")) && !old.proven_by(None) && !old.proven_by(Some("")));
        let scope = old.scope.clone();
        assert!(check_reenrol(&old, true, &scope, Role::WorkTeam).is_ok());
        assert_eq!(check_reenrol(&old, false, &scope, Role::WorkTeam).unwrap_err().code, "device_exists");
        assert_eq!(check_reenrol(&old, true, &scope, Role::Township).unwrap_err().code, "scope_changed");
        let live = RegisteredDevice { expires_at: None, ..old };
        assert_eq!(check_reenrol(&live, true, &scope, Role::WorkTeam).unwrap_err().code, "device_exists");
    }

    #[test]
    fn pulls_leave_out_conflicts_over_what_a_role_may_not_read() {
        let village = readable_kinds(Some(&device(Scope::Village(Uuid::nil()), Role::WorkTeam))).unwrap();
        assert_eq!(village, " AND entity NOT IN ('inspection') AND (about IS NULL OR about NOT IN ('inspection'))");
        let inspector = readable_kinds(Some(&device(Scope::County("522630".into()), Role::Inspector))).unwrap();
        assert!(inspector.contains("entity IN (") && inspector.contains("about IN ("), "{inspector}");
        assert_eq!(readable_kinds(Some(&device(Scope::County("522630".into()), Role::County))).unwrap(), "");
        assert!(readable_kinds(Some(&device(Scope::County("522630".into()), Role::Admin))).is_err());
    }
}
