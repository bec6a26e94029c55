//! What a push does, whatever the backend: the history chain, roles, values, scope, immutable fields
//! and the merge rules, change by change. A backend supplies the look-ups and writes (`BatchBackend`)
//! inside its own transaction; SQLite answers them with indexed queries, PostgreSQL from what it
//! loaded for the whole batch up front.

use crate::check::{check_change, reject};
use crate::error::ApiError;
use crate::storage::DeviceAuth;
use axum::http::StatusCode;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use uuid::Uuid;
use zoufang_model::{Entity, Scope, ScopeVia};
use zoufang_sync::chain::{from_hex, next_link, Link, GENESIS};
use zoufang_sync::{apply, Change, ChangeResult, Clock, Current, Hlc, Ledger, Minter, Outcome, Status};

/// The look-ups and writes a push needs beyond the merge rules' own (`Ledger`), all inside the
/// backend's write transaction.
pub(crate) trait BatchBackend: Ledger {
    /// The last link of a device's history the server accepted.
    fn chain_head(&mut self, device: Uuid) -> Result<Option<Link>, Self::Error>;
    /// The link stored with a change already in the log.
    fn stored_link(&mut self, id: Uuid) -> Result<Option<Vec<u8>>, Self::Error>;
    /// A change refused before: as it was received (JSON) and why.
    fn refused_before(&mut self, id: Uuid) -> Result<Option<(String, String)>, Self::Error>;
    /// Keeps a refused change as received: it is part of the device's history and of the audit trail.
    fn keep_refused(&mut self, c: &Change, reason: &str, now: i64) -> Result<(), Self::Error>;
    /// The village of a record the server already holds.
    fn stored_village(&mut self, row: Uuid) -> Result<Option<Uuid>, Self::Error>;
    /// The division code of a village the server already holds.
    fn stored_code(&mut self, village: Uuid) -> Result<Option<String>, Self::Error>;
    /// A record this batch creates: nothing about it is stored yet.
    fn mark_new(&mut self, row: Uuid);
    /// Fixes the village a new record belongs to.
    fn scope_row(&mut self, row: Uuid, entity: Entity, village: Uuid) -> Result<(), Self::Error>;
    /// A village's division code, for township and county scopes.
    fn set_code(&mut self, village: Uuid, code: &str) -> Result<(), Self::Error>;
    /// A record of `entity` in `village` names the file `hash`.
    fn name_file(&mut self, hash: &str, village: Uuid, entity: Entity) -> Result<(), Self::Error>;
    /// Where to note the ids the server mints during the batch (its conflict records), for a backend
    /// that wants to know those records are new without asking the database.
    fn minted_ids(&self) -> Option<Rc<RefCell<HashSet<Uuid>>>> {
        None
    }
}

/// Where a pushed change stands in its device's history.
enum History {
    /// It follows on from what the server holds (or is a faithful resend of a stored change).
    Continues,
    /// A faithful resend of a change refused before: refused again, for the same reason.
    Resent { reason: String },
    /// It does not follow: the history was altered or forked. The whole batch is refused.
    Broken(String),
}

/// Where the records a batch creates belong, learned from the batch itself.
#[derive(Default)]
struct BatchScope {
    /// New record → its village.
    rows: HashMap<Uuid, Uuid>,
    /// Village → its division code (from the batch or looked up once).
    codes: HashMap<Uuid, String>,
}

/// The ids (records and referenced households or villages) whose villages a batch may look up: a
/// backend that loads ahead loads these.
pub(crate) fn scope_lookups(changes: &[Change]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = changes.iter().map(|c| c.row).collect();
    for c in changes {
        if let ScopeVia::Household(f) | ScopeVia::Village(f) = c.entity.scope_via() {
            if c.field == f {
                if let Some(id) = c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                    ids.push(id);
                }
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Learns from a batch where the records it creates belong (parent links and village codes).
fn scan_batch<B: BatchBackend>(b: &mut B, changes: &[Change]) -> Result<BatchScope, B::Error> {
    let mut s = BatchScope::default();
    for c in changes {
        match c.entity.scope_via() {
            ScopeVia::Itself => {
                s.rows.insert(c.row, c.row);
                if c.field == "code" {
                    if let Some(code) = c.value.as_str() {
                        s.codes.insert(c.row, code.to_string());
                    }
                }
            }
            ScopeVia::Village(f) if c.field == f => {
                if let Some(v) = c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                    s.rows.entry(c.row).or_insert(v);
                }
            }
            ScopeVia::Household(f) if c.field == f => {
                if let Some(h) = c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                    let v = match b.stored_village(h)? {
                        Some(v) => Some(v),
                        None => s.rows.get(&h).copied(),
                    };
                    if let Some(v) = v {
                        s.rows.entry(c.row).or_insert(v);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

fn village_code<B: BatchBackend>(b: &mut B, s: &mut BatchScope, village: Uuid) -> Result<Option<String>, B::Error> {
    if let Some(code) = s.codes.get(&village) {
        return Ok(Some(code.clone()));
    }
    let code = b.stored_code(village)?;
    if let Some(c) = &code {
        s.codes.insert(village, c.clone());
    }
    Ok(code)
}

/// Where a pushed change stands in its device's history chain. Moves `head` past a new change.
fn check_history<B: BatchBackend>(b: &mut B, head: &mut Option<Link>, c: &Change) -> Result<History, B::Error> {
    let sent = match &c.chain {
        Some(h) => match from_hex(h) {
            Some(l) => Some(l),
            None => return Ok(History::Broken("链接格式无效".into())),
        },
        None => None,
    };
    if b.known(c.id)?.is_some() {
        // A resend: it must be the very change stored before.
        let stored = b.stored_link(c.id)?;
        return Ok(if stored.as_deref() == sent.as_ref().map(|l| &l[..]) {
            History::Continues
        } else {
            History::Broken("重发的修改与原记录不同".into())
        });
    }
    if let Some((stored, reason)) = b.refused_before(c.id)? {
        return Ok(if stored == serde_json::to_string(c).unwrap_or_default() {
            History::Resent { reason }
        } else {
            History::Broken("重发的修改与原记录不同".into())
        });
    }
    match (sent, *head) {
        (None, None) => Ok(History::Continues),
        (None, Some(_)) => Ok(History::Broken("缺少历史链接".into())),
        (Some(link), prev) => {
            if next_link(&prev.unwrap_or(GENESIS), c) == link {
                *head = Some(link);
                Ok(History::Continues)
            } else {
                Ok(History::Broken("历史链接对不上：记录被改动，或本机数据来自旧的备份".into()))
            }
        }
    }
}

/// Ids and clock for conflict records the server writes.
struct ServerMinter<'a> {
    server: Uuid,
    clock: &'a mut Clock,
    minted: Option<Rc<RefCell<HashSet<Uuid>>>>,
}

impl Minter for ServerMinter<'_> {
    fn server_device(&self) -> Uuid {
        self.server
    }
    fn next_id(&mut self) -> Uuid {
        let id = Uuid::now_v7();
        if let Some(m) = &self.minted {
            m.borrow_mut().insert(id);
        }
        id
    }
    fn tick(&mut self) -> Hlc {
        self.clock.tick(zoufang_sync::hlc::now_ms())
    }
}

/// What a batch did: one result per change, and the device's history head after it.
pub(crate) struct Applied {
    pub results: Vec<ChangeResult>,
    pub head: Option<Link>,
}

/// Applies a batch through `b`. `device` is None for trusted ingest (no identity or history checks,
/// never skipping the schema and value checks). A broken history refuses the whole batch: the caller
/// then rolls its transaction back.
pub(crate) fn apply_batch<B>(
    b: &mut B,
    clock: &mut Clock,
    server: Uuid,
    device: Option<&DeviceAuth>,
    changes: &[Change],
) -> Result<Applied, ApiError>
where
    B: BatchBackend,
    ApiError: From<B::Error>,
{
    let today = chrono::Local::now().date_naive();
    let now = chrono::Utc::now().timestamp_millis();
    let mut batch = scan_batch(b, changes)?;
    let mut results = Vec::with_capacity(changes.len());
    let mut scoped_rows: HashMap<Uuid, Uuid> = HashMap::new();
    let minted = b.minted_ids();
    let mut head = match device {
        Some(d) => b.chain_head(d.id)?,
        None => None,
    };
    for c in changes {
        if let Some(d) = device {
            match check_history(b, &mut head, c)? {
                History::Continues => {}
                History::Resent { reason } => {
                    results.push(ChangeResult::rejected(c.id, reject(&c.field, reason)));
                    continue;
                }
                History::Broken(why) => {
                    tracing::warn!("device {} ({}) sent a broken history: {why}", d.id, d.name);
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "history_mismatch",
                        format!(
                            "本机的修改记录与服务器保存的历史不一致（{why}），已拒收整批。请联系乡镇管理员核查本机数据"
                        ),
                    ));
                }
            }
        }
        let mut rejected = |b: &mut B, r: zoufang_sync::Rejection| -> Result<(), B::Error> {
            if device.is_some() {
                b.keep_refused(c, &r.message, now)?;
            }
            results.push(ChangeResult::rejected(c.id, r));
            Ok(())
        };
        if let Some(d) = device {
            // The role decides which kinds a device may change at all; refused like any other change.
            if !d.role.can_write(c.entity) {
                let why = format!("{}不能修改{}记录", d.role.label(), c.entity.label());
                rejected(b, reject(&c.field, why))?;
                continue;
            }
            // Revoked for handover: what was written before the revocation is still taken, nothing after.
            if d.handover_from.is_some_and(|t| c.hlc.wall_ms() as i64 > t) {
                rejected(b, reject(&c.field, "本机已停用：停用之后的修改不再接收"))?;
                continue;
            }
        }
        let value = match check_change(c, device.map_or(c.device, |d| d.id), today) {
            // The history chain covers the value as sent: a device sends values already normalised.
            Ok(v) if device.is_some() && c.chain.is_some() && v != c.value => {
                rejected(b, reject(&c.field, "取值未按规范填写（请升级应用）"))?;
                continue;
            }
            Ok(v) => v,
            Err(r) => {
                rejected(b, r)?;
                continue;
            }
        };
        // Where the record belongs, and whether it existed before this batch.
        let (village, is_new) = match scoped_rows.get(&c.row) {
            Some(v) => (Some(*v), false),
            None => match b.stored_village(c.row)? {
                Some(v) => (Some(v), false),
                None => (batch.rows.get(&c.row).copied(), true),
            },
        };
        let Some(village) = village else {
            rejected(
                b,
                reject(&c.field, format!("无法确定这条{}记录属于哪个村：新记录须先写所属村/户", c.entity.label())),
            )?;
            continue;
        };
        if let Some(d) = device {
            let inside = match &d.scope {
                Scope::Village(v) => *v == village,
                scope => village_code(b, &mut batch, village)?.is_some_and(|code| scope.contains(village, &code)),
            };
            if !inside {
                rejected(
                    b,
                    reject(&c.field, format!("这条{}记录不在本机的工作范围（{}）内", c.entity.label(), d.scope)),
                )?;
                continue;
            }
        }
        if is_new {
            b.mark_new(c.row);
        } else if let Some(def) = c.entity.field(&c.field).filter(|d| d.immutable) {
            let cur = b.current(c.row, def.name)?;
            if cur.is_some_and(|s| s.value != value) {
                rejected(b, reject(&c.field, format!("{}创建后不能修改", def.label)))?;
                continue;
            }
        }
        clock.observe(c.hlc, zoufang_sync::hlc::now_ms());
        let normalised;
        let change = if value == c.value {
            c
        } else {
            normalised = Change { value, ..c.clone() };
            &normalised
        };
        let mut minter = ServerMinter { server, clock, minted: minted.clone() };
        let applied = apply(b, &mut minter, change, village)?;
        if is_new && !matches!(applied.outcome, Outcome::Duplicate { .. }) {
            b.scope_row(c.row, c.entity, village)?;
        }
        scoped_rows.insert(c.row, village);
        if let Outcome::Applied { .. } = applied.outcome {
            if c.entity == Entity::Village && c.field == "code" {
                if let Some(code) = change.value.as_str() {
                    b.set_code(c.row, code)?;
                }
            }
            for hash in change.entity.file_names(&change.field, &change.value) {
                b.name_file(&hash, village, change.entity)?;
            }
        }
        let (status, seq, current) = match applied.outcome {
            Outcome::Applied { seq } => (Status::Applied, seq, Some(Current { value: change.value.clone(), seq })),
            Outcome::Superseded { seq, current } => (Status::Superseded, seq, Some(current.current())),
            Outcome::Duplicate { seq, current } => (Status::Duplicate, seq, current.map(|s| s.current())),
        };
        results.push(ChangeResult {
            id: c.id,
            status,
            seq: Some(seq),
            current,
            conflict: applied.conflict,
            rejection: None,
        });
    }
    Ok(Applied { results, head })
}

/// Checks a push's envelope before any backend work: protocol version and batch size.
pub(crate) fn check_request(req: &zoufang_sync::PushRequest) -> Result<(), ApiError> {
    use zoufang_sync::{MAX_BATCH, PROTOCOL};
    if req.protocol != PROTOCOL {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            format!("本机的同步协议版本 {} 与服务器（{PROTOCOL}）不一致，请升级应用", req.protocol),
        ));
    }
    if req.changes.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("一批最多 {MAX_BATCH} 条修改，本批 {} 条", req.changes.len()),
        ));
    }
    Ok(())
}
