//! Local writes. Each public method is one transaction: the record and its change-log entries commit
//! together or not at all.

use crate::error::{Result, StoreError};
use crate::rows::{read_row, read_some, RowState};
use crate::sql::{self, FieldClock};
use crate::Store;
use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use rusqlite::OptionalExtension;
use rusqlite::Transaction;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;
use zoufang_model::schema::{creation_order, validate_field, validate_new};
use zoufang_model::{ConflictStatus, Entity, FieldDef, Problem, Record, ValidationError, DELETED};
use zoufang_sync::chain::{next_link, Link, GENESIS};
use zoufang_sync::{Change, Clock, Version};

/// One change-log entry to write.
struct Logged<'v> {
    entity: Entity,
    row: Uuid,
    field: &'v str,
    value: &'v Value,
    /// The value it replaces.
    prev: Option<&'v Value>,
    base: Option<Version>,
    /// For deletes: the versions the deleting device had seen.
    seen: Option<&'v FieldClock>,
}

/// One write of [`Store::write_all`].
#[derive(Debug, Clone)]
pub enum WriteOp {
    Create(Entity, Uuid, Map<String, Value>),
    Update(Entity, Uuid, Map<String, Value>),
}

/// Appends changes for one record inside an open transaction.
pub(crate) struct Writer<'a, 'c> {
    pub tx: &'a Transaction<'c>,
    pub clock: &'a mut Clock,
    pub device: Uuid,
    /// The last link of this device's history chain, read when the transaction first logs.
    head: Option<Link>,
    /// The device's time corrected by the server's (see `clock`), read when the transaction first logs.
    now: Option<u64>,
}

impl<'a, 'c> Writer<'a, 'c> {
    pub(crate) fn new(tx: &'a Transaction<'c>, clock: &'a mut Clock, device: Uuid) -> Self {
        Writer { tx, clock, device, head: None, now: None }
    }

    /// The chain's last link, from the database (not memory: a rolled-back write must not leave a
    /// link behind that no entry holds).
    fn head(&mut self) -> Result<Link> {
        if let Some(h) = self.head {
            return Ok(h);
        }
        let last: Option<Option<Vec<u8>>> = self
            .tx
            .prepare_cached("SELECT chain FROM change_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        let h = match last.flatten() {
            Some(b) => b.try_into().map_err(|_| StoreError::Corrupt("change_log.chain".into()))?,
            None => GENESIS,
        };
        self.head = Some(h);
        Ok(h)
    }

    /// The time writes are dated by: the device's clock corrected by the server's. A clock that ran
    /// ahead of it before a correction starts again from the log.
    fn now(&mut self) -> Result<u64> {
        if let Some(n) = self.now {
            return Ok(n);
        }
        let n = crate::clock::dating_now(self.tx, self.clock)?;
        self.now = Some(n);
        Ok(n)
    }

    /// Moves the clock past what another connection to this database (the background sync) has seen.
    fn observe_shared(&mut self) -> Result<()> {
        let now = self.now()?;
        if let Some(seen) = crate::meta::get(self.tx, crate::meta::HLC_SEEN)?.and_then(|s| s.parse::<u64>().ok()) {
            self.clock.observe(zoufang_sync::Hlc(seen), now);
        }
        Ok(())
    }

    fn log(&mut self, e: Logged<'_>) -> Result<Uuid> {
        let Logged { entity, row, field, value, prev, base, seen } = e;
        let id = Uuid::now_v7();
        let now = self.now()?;
        let hlc = self.clock.tick(now);
        let change = Change {
            id,
            entity,
            row,
            field: field.to_string(),
            value: value.clone(),
            hlc,
            device: self.device,
            base,
            seen: seen.cloned(),
            chain: None,
        };
        let link = next_link(&self.head()?, &change);
        let json = |v: &Value| v.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO change_log(id, entity, row_id, field, value, prev, hlc, base, seen, chain) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(rusqlite::params![
                sql::uuid_blob(id),
                entity.ident(),
                sql::uuid_blob(row),
                field,
                json(value),
                prev.filter(|p| !p.is_null()).map(json),
                hlc.0 as i64,
                base.map(|b| serde_json::to_string(&b).unwrap_or_default()),
                seen.map(sql::clock_json),
                &link[..],
            ])?;
        self.head = Some(link);
        Ok(id)
    }

    /// Writes `changed` fields of a record (inserting it when `old` is None) and logs one change each.
    pub(crate) fn put(
        &mut self,
        entity: Entity,
        id: Uuid,
        old: Option<&RowState>,
        changed: &[(&'static str, Value)],
    ) -> Result<()> {
        if changed.is_empty() {
            return Ok(());
        }
        self.observe_shared()?;
        let mut clock = old.map(|o| o.clock.clone()).unwrap_or_default();
        let mut cols = Vec::with_capacity(changed.len());
        let mut vals: Vec<SqlValue> = Vec::with_capacity(changed.len() + 2);
        for (field, value) in changed {
            let base = clock.get(*field).copied();
            let prev = old.and_then(|o| {
                if *field == DELETED {
                    Some(Value::Bool(o.deleted))
                } else {
                    o.fields.get(*field).cloned()
                }
            });
            let seen = (*field == DELETED && *value == Value::Bool(true)).then(|| {
                let mut s = clock.clone();
                s.remove(DELETED);
                s
            });
            let cid =
                self.log(Logged { entity, row: id, field, value, prev: prev.as_ref(), base, seen: seen.as_ref() })?;
            clock.insert((*field).to_string(), Version::Local(cid));
            cols.push(*field);
            vals.push(sql::to_sql(sql::def(entity, field)?, value)?);
        }
        vals.push(SqlValue::Blob(crate::versions::encode(entity, &clock)?));
        vals.push(sql::uuid_blob(id));
        let q = if old.is_some() {
            let sets: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
            format!(
                "UPDATE {} SET {}, _clock = ?{} WHERE id = ?{}",
                entity.ident(),
                sets.join(", "),
                cols.len() + 1,
                cols.len() + 2
            )
        } else {
            let marks: Vec<String> = (1..=cols.len() + 2).map(|i| format!("?{i}")).collect();
            format!("INSERT INTO {} ({}, _clock, id) VALUES ({})", entity.ident(), cols.join(", "), marks.join(", "))
        };
        let write = || -> Result<()> {
            self.tx.prepare_cached(&q)?.execute(rusqlite::params_from_iter(vals))?;
            Ok(())
        };
        // A new record's share of the derived tables (`crate::derived`), in this transaction; an edit's
        // is kept by the update triggers.
        match old {
            Some(_) => write(),
            None => crate::derived::inserting(self.tx, entity, write),
        }
    }
}

pub(crate) fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Fields a device may not write: server bookkeeping.
fn check_writable(entity: Entity, field: &str) -> Result<()> {
    let def = entity.field(field).ok_or_else(|| ValidationError::new(field, Problem::UnknownField))?;
    if def.server_only {
        return Err(ValidationError::new(field, Problem::ServerOnly).into());
    }
    Ok(())
}

impl Store {
    /// Creates a typed record.
    pub fn create<R: Record>(&mut self, record: &R) -> Result<()> {
        self.create_fields(R::ENTITY, record.id(), &record.to_fields())
    }

    /// Creates a record from a field map (the CLI's and the app's generic path).
    pub fn create_fields(&mut self, entity: Entity, id: Uuid, fields: &Map<String, Value>) -> Result<()> {
        if entity == Entity::Household && fields.get("status_change").is_some_and(|v| !v.is_null()) {
            // A new household starts with the status it is registered with; only procedures name one.
            return Err(crate::status::refusal(entity, "status_change"));
        }
        if entity == Entity::Rectification {
            // A new item is the issuer's and starts open; 销号 only by its steps (`rectification.rs`).
            crate::rectification::refuse_direct(self.role()?, None, fields)?;
        }
        // A member comes in present; leaving is a change of its own (`members.rs`).
        crate::members::refuse_direct(entity, None, fields)?;
        for k in fields.keys() {
            check_writable(entity, k)?;
        }
        let fields = validate_new(entity, fields, today())?;
        let tx = crate::write_tx(&mut self.conn)?;
        if read_row(&tx, entity, id)?.is_some() {
            return Err(StoreError::Exists { entity: entity.label(), id });
        }
        Writer::new(&tx, &mut self.clock, self.device).put(entity, id, None, &creation_order(entity, &fields))?;
        tx.commit()?;
        Ok(())
    }

    /// Several writes in one transaction: all of them or none (a visit with the problems it found, a
    /// decision with the status change it causes).
    pub fn write_all(&mut self, ops: &[WriteOp]) -> Result<()> {
        let mut creates = Vec::with_capacity(ops.len());
        for op in ops {
            if let WriteOp::Create(entity, id, fields) = op {
                for k in fields.keys() {
                    check_writable(*entity, k)?;
                }
                creates.push((*entity, *id, validate_new(*entity, fields, today())?));
            }
        }
        let tx = crate::write_tx(&mut self.conn)?;
        let mut created = creates.iter();
        for op in ops {
            match op {
                WriteOp::Create(..) => {
                    let Some((entity, id, fields)) = created.next() else { continue };
                    if read_row(&tx, *entity, *id)?.is_some() {
                        return Err(StoreError::Exists { entity: entity.label(), id: *id });
                    }
                    Writer::new(&tx, &mut self.clock, self.device).put(
                        *entity,
                        *id,
                        None,
                        &creation_order(*entity, fields),
                    )?;
                }
                WriteOp::Update(entity, id, patch) => {
                    update_in(&tx, &mut self.clock, self.device, *entity, *id, patch, false)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Changes some fields of a live record; returns how many actually changed (each got a change-log entry).
    /// Fields only procedures write (户状态, 销号) are refused here: see `status.rs` and `rectification.rs`.
    pub fn update(&mut self, entity: Entity, id: Uuid, patch: &Map<String, Value>) -> Result<usize> {
        let role = self.role()?;
        let tx = crate::write_tx(&mut self.conn)?;
        crate::status::refuse_procedural(&tx, entity, id, patch)?;
        if entity == Entity::Rectification {
            if let Some(current) = read_row(&tx, entity, id)? {
                crate::rectification::refuse_direct(role, Some(&current.fields), patch)?;
            }
        }
        if entity == Entity::Member {
            let current = read_row(&tx, entity, id)?;
            crate::members::refuse_direct(entity, current.as_ref().map(|c| &c.fields), patch)?;
        }
        let n = update_in(&tx, &mut self.clock, self.device, entity, id, patch, false)?;
        tx.commit()?;
        Ok(n)
    }

    /// Tombstones a record. Nothing is erased: `restore` brings it back.
    pub fn delete(&mut self, entity: Entity, id: Uuid) -> Result<()> {
        self.set_deleted(entity, id, true)
    }

    pub fn restore(&mut self, entity: Entity, id: Uuid) -> Result<()> {
        self.set_deleted(entity, id, false)
    }

    fn set_deleted(&mut self, entity: Entity, id: Uuid, deleted: bool) -> Result<()> {
        let role = self.role()?;
        let tx = crate::write_tx(&mut self.conn)?;
        if entity == Entity::Member {
            return Err(crate::members::refusal());
        }
        // A decision is withdrawn or restored only by the office that records its step.
        if entity == Entity::ExitDecision {
            let step = read_row(&tx, entity, id)?
                .and_then(|r| r.fields.get("step").and_then(Value::as_str).and_then(zoufang_model::ExitStep::parse));
            if let Some(step) = step.filter(|s| !zoufang_model::exit_procedure::may_withdraw(role, *s)) {
                let why = zoufang_model::exit_procedure::withdraw_refusal(role, step);
                return Err(StoreError::refused("step_by_office", why));
            }
        }
        if entity == Entity::Rectification {
            if let Some(current) = read_row(&tx, entity, id)? {
                if !crate::rectification::may_withdraw(role, &current.fields) {
                    return Err(StoreError::refused("closure_by_issuer", "整改问题只能由下发单位撤销或恢复"));
                }
            }
        }
        set_deleted_in(&tx, &mut self.clock, self.device, entity, id, deleted)?;
        tx.commit()?;
        Ok(())
    }

    /// Resolves an open conflict by choosing (or typing) the value the record should hold. The choice is an
    /// ordinary change made on the current version, so it supersedes every conflicting value everywhere.
    pub fn resolve_conflict(&mut self, conflict: Uuid, choice: &Value, resolved_by: &str) -> Result<()> {
        let tx = crate::write_tx(&mut self.conn)?;
        let c = read_row(&tx, Entity::Conflict, conflict)?
            .ok_or(StoreError::NotFound { entity: Entity::Conflict.label(), id: conflict })?;
        if c.fields.get("status") != Some(&Value::from(ConflictStatus::Open.ident())) {
            return Err(StoreError::AlreadyResolved);
        }
        let text = |f: &str| c.fields.get(f).and_then(Value::as_str).map(str::to_string);
        let (Some(entity), Some(row), Some(field)) = (
            text("entity").and_then(|e| Entity::parse(&e)),
            text("row_id").and_then(|r| Uuid::parse_str(&r).ok()),
            text("field"),
        ) else {
            return Err(StoreError::Corrupt(format!("冲突记录 {conflict} 不完整")));
        };
        let choice = validate_field(entity, &field, choice, today())?;
        let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let mut patch = Map::new();
        patch.insert("status".into(), Value::from(ConflictStatus::Resolved.ident()));
        patch.insert("resolution".into(), choice.clone());
        patch.insert("resolved_by".into(), Value::from(resolved_by));
        patch.insert("resolved_at".into(), Value::from(now));
        update_in(&tx, &mut self.clock, self.device, Entity::Conflict, conflict, &patch, false)?;
        if field == DELETED {
            set_deleted_in(&tx, &mut self.clock, self.device, entity, row, choice == Value::Bool(true))?;
        } else {
            let mut p = Map::new();
            p.insert(field, choice);
            update_in(&tx, &mut self.clock, self.device, entity, row, &p, true)?;
        }
        tx.commit()?;
        Ok(())
    }
}

pub(crate) fn update_in(
    tx: &Transaction<'_>,
    clock: &mut Clock,
    device: Uuid,
    entity: Entity,
    id: Uuid,
    patch: &Map<String, Value>,
    allow_deleted: bool,
) -> Result<usize> {
    let mut valid: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut defs: Vec<&'static FieldDef> = Vec::with_capacity(patch.len());
    let today = today();
    for (k, v) in patch {
        check_writable(entity, k)?;
        if k == DELETED {
            return Err(ValidationError::new(k, Problem::Invalid { detail: "请用删除/恢复操作".into() }).into());
        }
        let def = sql::def(entity, k)?;
        valid.insert(def.name, validate_field(entity, k, v, today)?);
        defs.push(def);
    }
    let old = read_some(tx, entity, id, Some(&defs))?.ok_or(StoreError::NotFound { entity: entity.label(), id })?;
    if old.deleted && !allow_deleted {
        return Err(StoreError::Deleted { entity: entity.label() });
    }
    let mut changed: Vec<(&'static str, Value)> = Vec::new();
    for def in entity.fields() {
        if let Some(v) = valid.remove(def.name) {
            if old.fields.get(def.name).unwrap_or(&Value::Null) != &v {
                if def.immutable {
                    return Err(ValidationError::new(def.name, Problem::Immutable).into());
                }
                changed.push((def.name, v));
            }
        }
    }
    Writer::new(tx, clock, device).put(entity, id, Some(&old), &changed)?;
    Ok(changed.len())
}

fn set_deleted_in(
    tx: &Transaction<'_>,
    clock: &mut Clock,
    device: Uuid,
    entity: Entity,
    id: Uuid,
    deleted: bool,
) -> Result<()> {
    let old = read_some(tx, entity, id, Some(&[]))?.ok_or(StoreError::NotFound { entity: entity.label(), id })?;
    if old.deleted == deleted {
        return Ok(());
    }
    Writer::new(tx, clock, device).put(entity, id, Some(&old), &[(DELETED, Value::Bool(deleted))])
}
