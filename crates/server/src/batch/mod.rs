//! What a push does, whatever the backend: the history chain, the device's clock, roles, values, where
//! each record belongs, immutable fields and the merge rules, change by change. A backend supplies the
//! look-ups and writes (`BatchBackend`) inside its own transaction; SQLite answers them with indexed
//! queries, PostgreSQL from what it loaded for the whole batch up front.
//!
//! The rules a hostile or broken device runs into, in the order they are checked:
//! - every change carries its link in the device's history chain, and the chain follows on from what the
//!   server holds (else the whole batch is refused: the history was altered or forked);
//! - along the chain the device's clock only moves forward (a device's clock never goes back, so a
//!   change dated before one already sent was dated by hand: the whole batch is refused), and no change
//!   is dated more than `MAX_AHEAD_MS` ahead of the server's clock (the whole batch is refused, so the
//!   device can date its unsent changes again by the server's clock: nothing is lost);
//! - the role may write the kind; a device revoked for handover only what it made before; 户状态 only
//!   through its procedures (`procedure.rs`) and a rectification item's 销号 only by its issuer
//!   (`closure.rs`);
//! - a record's kind is fixed when it is created: every later change must name the same kind;
//! - a new record's first change places it (its village or household, which must be of the right kind);
//!   every other reference names a record of the right kind in the same village;
//! - the record lies in the device's scope, and the role may read what the record is about (a conflict
//!   over a 暗访 inspection is the county office's); conflict records are made by the server only.

mod closure;
mod members;
mod procedure;

use crate::check::{check_change, reject};
use crate::error::{ErrorKind, ServerError};
use crate::storage::DeviceAuth;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use uuid::Uuid;
use zoufang_model::procedure::{is_procedural, may_record};
use zoufang_model::schema::{validate_field, FieldKind};
use zoufang_model::{Entity, Scope, ScopeVia, StatusProcedure};
use zoufang_sync::chain::{from_hex, next_link, Link, GENESIS};
use zoufang_sync::hlc::MAX_AHEAD_MS;
use zoufang_sync::{apply, Change, ChangeResult, Clock, Current, Hlc, Ledger, Minter, Outcome, Place, Status};

/// The end of a device's history as the server holds it: the last link, and the latest clock reading
/// along the chain (changes after it must be dated later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub link: Link,
    pub hlc: Hlc,
}

/// The look-ups and writes a push needs beyond the merge rules' own (`Ledger`), all inside the
/// backend's write transaction.
pub(crate) trait BatchBackend: Ledger {
    /// The end of a device's history the server accepted.
    fn chain_head(&mut self, device: Uuid) -> Result<Option<ChainHead>, Self::Error>;
    /// The link stored with a change already in the log.
    fn stored_link(&mut self, id: Uuid) -> Result<Option<Vec<u8>>, Self::Error>;
    /// A change refused before: as it was received (JSON) and why.
    fn refused_before(&mut self, id: Uuid) -> Result<Option<(String, String)>, Self::Error>;
    /// Keeps a refused change as received: it is part of the device's history and of the audit trail.
    fn keep_refused(&mut self, c: &Change, reason: &str, now: i64) -> Result<(), Self::Error>;
    /// The kind and village of a record the server already holds (fixed when it was created).
    fn stored_place(&mut self, row: Uuid) -> Result<Option<(Entity, Uuid)>, Self::Error>;
    /// The division code of a village the server already holds.
    fn stored_code(&mut self, village: Uuid) -> Result<Option<String>, Self::Error>;
    /// The records of a kind the server held in a village before this batch.
    fn stored_rows(&mut self, entity: Entity, village: Uuid) -> Result<Vec<Uuid>, Self::Error>;
    /// A record this batch creates: nothing about it is stored yet.
    fn mark_new(&mut self, row: Uuid);
    /// Fixes the kind and village of a new record.
    fn scope_row(&mut self, row: Uuid, entity: Entity, village: Uuid) -> Result<(), Self::Error>;
    /// A village's division code, for township and county scopes.
    fn set_code(&mut self, village: Uuid, code: &str) -> Result<(), Self::Error>;
    /// A record of `entity` in `village` names the file `hash`, by the log entry `seq` (the first
    /// record to name a file decides who may read it).
    fn name_file(&mut self, hash: &str, village: Uuid, entity: Entity, seq: u64) -> Result<(), Self::Error>;
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
    /// It follows on, but is dated before a change the device made earlier: a clock set back by hand.
    /// The whole batch is refused.
    Backdated,
    /// It does not follow: the history was altered or forked. The whole batch is refused.
    Broken(String),
}

/// The ids a batch may look up where they belong (its records and every record they reference): a
/// backend that loads ahead loads these.
pub(crate) fn scope_lookups(changes: &[Change]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = changes.iter().map(|c| c.row).collect();
    for c in changes {
        if matches!(c.entity.field(&c.field).map(|d| d.kind), Some(FieldKind::Ref(_))) {
            if let Some(id) = c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                ids.push(id);
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// The division codes of the villages a batch creates, as it states them (valid ones only). Codes of
/// villages the server already holds are never taken from a batch: a village's scope is what is stored.
fn new_village_codes(changes: &[Change]) -> HashMap<Uuid, String> {
    let today = chrono::Local::now().date_naive();
    changes
        .iter()
        .filter(|c| c.entity == Entity::Village && c.field == "code")
        .filter_map(|c| {
            let v = validate_field(Entity::Village, "code", &c.value, today).ok()?;
            Some((c.row, v.as_str()?.to_string()))
        })
        .collect()
}

fn village_code<B: BatchBackend>(
    b: &mut B,
    new_codes: &HashMap<Uuid, String>,
    village: Uuid,
) -> Result<Option<String>, B::Error> {
    // A village without a stored code is one this batch creates (only those are in `new_codes`).
    Ok(b.stored_code(village)?.or_else(|| new_codes.get(&village).cloned()))
}

/// Where a pushed change stands in its device's history chain. Moves `head` past a new change.
fn check_history<B: BatchBackend>(b: &mut B, head: &mut Option<ChainHead>, c: &Change) -> Result<History, B::Error> {
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
        return Ok(if sent.is_some() && stored.as_deref() == sent.as_ref().map(|l| &l[..]) {
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
    let Some(link) = sent else {
        return Ok(History::Broken("缺少历史链接".into()));
    };
    let prev = *head;
    if next_link(&prev.map_or(GENESIS, |h| h.link), c) != link {
        return Ok(History::Broken("历史链接对不上：记录被改动，或本机数据来自旧的备份".into()));
    }
    let floor = prev.map_or(Hlc(0), |h| h.hlc);
    *head = Some(ChainHead { link, hlc: floor.max(c.hlc) });
    Ok(if c.hlc <= floor { History::Backdated } else { History::Continues })
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
#[derive(Debug)]
pub(crate) struct Applied {
    pub results: Vec<ChangeResult>,
    pub head: Option<ChainHead>,
}

fn as_id(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

/// Where a record stands: placed earlier in this batch, or stored.
fn place_of<B: BatchBackend>(
    b: &mut B,
    placed: &HashMap<Uuid, (Entity, Uuid)>,
    row: Uuid,
) -> Result<Option<(Entity, Uuid)>, B::Error> {
    match placed.get(&row) {
        Some(p) => Ok(Some(*p)),
        None => b.stored_place(row),
    }
}

/// The village a new record goes to, from its first change, which must be its link to its village or
/// household (a village places itself). `Err` says why it cannot be placed.
fn place_new<B: BatchBackend>(
    b: &mut B,
    placed: &HashMap<Uuid, (Entity, Uuid)>,
    c: &Change,
    value: &Value,
) -> Result<Result<Uuid, String>, B::Error> {
    let (field, parent) = match c.entity.scope_via() {
        ScopeVia::Itself => return Ok(Ok(c.row)),
        ScopeVia::Village(f) => (f, Entity::Village),
        ScopeVia::Household(f) => (f, Entity::Household),
    };
    if c.field != field {
        return Ok(Err(format!("无法确定这条{}记录属于哪个村：新记录须先写所属村/户", c.entity.label())));
    }
    Ok(match as_id(value) {
        Some(id) => match place_of(b, placed, id)? {
            Some((e, village)) if e == parent => Ok(village),
            _ => Err(format!("所属{}不存在：{id}", parent.label())),
        },
        None => Err(format!("无法确定这条{}记录属于哪个村", c.entity.label())),
    })
}

/// What a conflict record is about (the kind of record whose field it holds), as the server wrote it.
fn conflict_subject<B: BatchBackend>(b: &mut B, conflict: Uuid) -> Result<Option<Entity>, B::Error> {
    Ok(b.current(conflict, "entity")?.and_then(|s| s.value.as_str().and_then(Entity::parse)))
}

/// Applies a batch through `b`. `device` is None for trusted ingest (no identity, history, clock or
/// scope checks, never skipping the schema, value and placement checks). A broken history or a clock
/// too far ahead refuses the whole batch: the caller then rolls its transaction back.
pub(crate) fn apply_batch<B>(
    b: &mut B,
    clock: &mut Clock,
    server: Uuid,
    device: Option<&DeviceAuth>,
    changes: &[Change],
) -> Result<Applied, ServerError>
where
    B: BatchBackend,
    ServerError: From<B::Error>,
{
    let today = chrono::Local::now().date_naive();
    let now = chrono::Utc::now().timestamp_millis();
    let new_codes = new_village_codes(changes);
    let mut results = Vec::with_capacity(changes.len());
    // Records placed by this batch (created, or looked up and found): kind and village.
    let mut placed: HashMap<Uuid, (Entity, Uuid)> = HashMap::new();
    let minted = b.minted_ids();
    // Records this batch creates.
    let mut created: HashSet<Uuid> = HashSet::new();
    let mut head = match device {
        Some(d) => b.chain_head(d.id)?,
        None => None,
    };
    for c in changes {
        if let Some(d) = device {
            match check_history(b, &mut head, c)? {
                History::Continues if c.hlc.wall_ms() > (now as u64).saturating_add(MAX_AHEAD_MS) => {
                    return Err(clock_ahead(d, c.hlc, now));
                }
                History::Continues => {}
                History::Backdated => {
                    tracing::warn!("device {} sent a change dated before its earlier ones", d.id);
                    return Err(ServerError::new(
                        ErrorKind::Conflict,
                        "clock_backwards",
                        "本机的修改时间早于它此前已上传的修改（时钟被调回），已拒收整批。请联系乡镇管理员核查本机",
                    ));
                }
                History::Resent { reason } => {
                    results.push(ChangeResult::rejected(c.id, reject(&c.field, reason)));
                    continue;
                }
                History::Broken(why) => {
                    tracing::warn!("device {} sent a broken history: {why}", d.id);
                    return Err(ServerError::new(
                        ErrorKind::Conflict,
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
            // 户状态 changes only through a procedure (`procedure.rs`); the county office writes a
            // household's status only by its correction. A resent change was checked when it came first.
            let procedural = is_procedural(c.entity, &c.field);
            let first_time = b.known(c.id)?.is_none();
            let verdict = match (c.entity, c.field.as_str()) {
                _ if !first_time => Ok(()),
                (Entity::Household, _) if procedural => {
                    procedure::check_household(b, d, c, created.contains(&c.row), &placed)?
                }
                (Entity::StatusChange, "procedure") => match c.value.as_str().and_then(StatusProcedure::parse) {
                    Some(p) if !may_record(d.role, p) => Err(format!("{}账号不能办理{}", d.role.label(), p.label())),
                    _ => Ok(()),
                },
                (Entity::StatusChange, "to_status") => procedure::check_record(b, d, c, &placed)?,
                // Each step of the exit procedure is recorded by its own office (`exit_procedure::EXIT_STEPS`).
                (Entity::ExitDecision, "step") if created.contains(&c.row) => {
                    match c.value.as_str().and_then(zoufang_model::ExitStep::parse) {
                        Some(step) if !zoufang_model::exit_procedure::may_record(d.role, step) => Err(format!(
                            "「{}」由{}办理，{}账号不能办理",
                            step.label(),
                            zoufang_model::steps::recorded_by(zoufang_model::exit_procedure::EXIT_STEPS, step),
                            d.role.label()
                        )),
                        _ => Ok(()),
                    }
                }
                // A decision is withdrawn only by the office that records its step.
                (Entity::ExitDecision, zoufang_model::DELETED) if d.role.can_write(c.entity) => {
                    match procedure::text(b, c.row, "step")?.as_deref().and_then(zoufang_model::ExitStep::parse) {
                        Some(step) if !zoufang_model::exit_procedure::may_withdraw(d.role, step) => {
                            Err(zoufang_model::exit_procedure::withdraw_refusal(d.role, step))
                        }
                        _ => Ok(()),
                    }
                }
                // Members join and leave by a procedure, never a delete (`members.rs`).
                (Entity::Member, "deleted" | "member_change" | "left_on") => members::check_member(b, c)?,
                // 销号 belongs to whoever issued the item (`closure.rs`).
                (Entity::Rectification, _) if d.role.can_write(c.entity) => {
                    closure::check_item(b, d, c, created.contains(&c.row))?
                }
                (Entity::RectificationReview, "action") if d.role.can_write(c.entity) => closure::check_step(b, d, c)?,
                _ => Ok(()),
            };
            if let Err(why) = verdict {
                rejected(b, reject(&c.field, why))?;
                continue;
            }
            // The role decides which kinds a device may change at all; refused like any other change.
            if !procedural && !d.role.can_write(c.entity) {
                let why = format!("{}不能修改{}记录", d.role.label(), c.entity.label());
                rejected(b, reject(&c.field, why))?;
                continue;
            }
            // Revoked for handover: what was written before the revocation is still taken, nothing after.
            // (The clock only moves forward along the chain, so a change cannot be dated back before
            // what the device had already sent.)
            if d.handover_from.is_some_and(|t| c.hlc.wall_ms() as i64 > t) {
                rejected(b, reject(&c.field, "本机已停用：停用之后的修改不再接收"))?;
                continue;
            }
        }
        let value = match check_change(c, device.map_or(c.device, |d| d.id), today) {
            // The history chain covers the value as sent: a device sends values already normalised.
            Ok(v) if device.is_some() && v != c.value => {
                rejected(b, reject(&c.field, "取值未按规范填写（请升级应用）"))?;
                continue;
            }
            Ok(v) => v,
            Err(r) => {
                rejected(b, r)?;
                continue;
            }
        };
        // Where the record belongs, and whether it existed before this change.
        let (village, is_new) = match place_of(b, &placed, c.row)? {
            Some((entity, _)) if entity != c.entity => {
                let why = format!("这条记录是{}记录，不能作为{}记录修改", entity.label(), c.entity.label());
                rejected(b, reject(&c.field, why))?;
                continue;
            }
            Some((entity, village)) => {
                placed.insert(c.row, (entity, village));
                (village, false)
            }
            None => match place_new(b, &placed, c, &value)? {
                Ok(village) => (village, true),
                Err(why) => {
                    rejected(b, reject(&c.field, why))?;
                    continue;
                }
            },
        };
        if is_new && c.entity == Entity::Conflict && device.is_some() {
            rejected(b, reject(&c.field, "编辑冲突记录由服务器生成，本机只能处理已有的冲突"))?;
            continue;
        }
        // What the entry is about: a conflict is read by those who may read the record it concerns.
        let about = match (c.entity, is_new) {
            (Entity::Conflict, false) => match conflict_subject(b, c.row)? {
                Some(subject) => subject,
                None => {
                    rejected(b, reject(&c.field, "无法确定这条编辑冲突涉及哪类记录"))?;
                    continue;
                }
            },
            (entity, _) => entity,
        };
        if let Some(d) = device {
            let inside = match &d.scope {
                Scope::Village(v) => *v == village,
                scope => village_code(b, &new_codes, village)?.is_some_and(|code| scope.contains(village, &code)),
            };
            if !inside || !d.role.can_read(about) {
                rejected(
                    b,
                    reject(&c.field, format!("这条{}记录不在本机的工作范围（{}）内", c.entity.label(), d.scope)),
                )?;
                continue;
            }
        }
        // Every other reference names a record of the right kind in the same village.
        let parent_link = is_new && !matches!(c.entity.scope_via(), ScopeVia::Itself);
        if let (false, Some(FieldKind::Ref(target))) = (parent_link, c.entity.field(&c.field).map(|d| d.kind)) {
            if let Some(id) = as_id(&value) {
                if place_of(b, &placed, id)? != Some((target, village)) {
                    let why = format!("{}不存在或不在同一个村：{id}", target.label());
                    rejected(b, reject(&c.field, why))?;
                    continue;
                }
            }
        }
        if is_new {
            created.insert(c.row);
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
        let applied = apply(b, &mut minter, change, Place { village, about })?;
        if is_new && !matches!(applied.outcome, Outcome::Duplicate { .. }) {
            b.scope_row(c.row, c.entity, village)?;
        }
        placed.insert(c.row, (c.entity, village));
        if let Outcome::Applied { seq } = applied.outcome {
            if c.entity == Entity::Village && c.field == "code" {
                if let Some(code) = change.value.as_str() {
                    b.set_code(c.row, code)?;
                }
            }
            for hash in change.entity.file_names(&change.field, &change.value) {
                b.name_file(&hash, village, change.entity, seq)?;
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

/// The refusal of a batch holding a change dated too far ahead of the server's clock.
fn clock_ahead(d: &DeviceAuth, hlc: Hlc, now: i64) -> ServerError {
    let ahead_min = (hlc.wall_ms() as i64 - now) / 60_000;
    tracing::warn!("device {} sent a change dated {ahead_min} min ahead of the server's clock", d.id);
    let ahead = if ahead_min >= 2 * 24 * 60 {
        format!("约 {} 天", ahead_min / (24 * 60))
    } else if ahead_min >= 120 {
        format!("约 {} 小时", ahead_min / 60)
    } else {
        format!("约 {ahead_min} 分钟")
    };
    ServerError::new(
        ErrorKind::Conflict,
        zoufang_sync::refusal::CLOCK_AHEAD,
        format!("本机时钟比服务器快{ahead}，这一批修改未被接收。请把本机时间调准；应用会按服务器时间重新标记尚未上传的修改后再同步"),
    )
}

/// Checks a push's envelope before any backend work: protocol version and batch size.
pub(crate) fn check_request(req: &zoufang_sync::PushRequest) -> Result<(), ServerError> {
    use zoufang_sync::{MAX_BATCH, PROTOCOL};
    if req.protocol != PROTOCOL {
        return Err(ServerError::new(
            ErrorKind::BadRequest,
            "unsupported_protocol",
            format!("本机的同步协议版本 {} 与服务器（{PROTOCOL}）不一致，请升级应用", req.protocol),
        ));
    }
    if req.changes.len() > MAX_BATCH {
        return Err(ServerError::new(
            ErrorKind::TooLarge,
            "batch_too_large",
            format!("一批最多 {MAX_BATCH} 条修改，本批 {} 条", req.changes.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
