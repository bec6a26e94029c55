//! The outbox: this device's unacknowledged changes, sent in numbered batches. A batch keeps its number
//! and content until the server's answer is recorded, so a push cut off at any point is resent as the
//! same batch and the server recognises it.

use crate::error::{Result, StoreError};
use crate::meta::{self, ACKED, LAST_BATCH, OPEN_BATCH};
use crate::rows::read_row;
use crate::sql;
use crate::Store;
use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use zoufang_model::{Entity, DELETED};
use zoufang_sync::chain::{to_hex, Link};
use zoufang_sync::replica::take_push_result;
use zoufang_sync::{Change, Hlc, PushResponse, Status, Version};

/// A batch of changes to push.
#[derive(Debug, Clone)]
pub struct Batch {
    pub no: u64,
    /// Local change-log positions, parallel to `changes`.
    pub seqs: Vec<i64>,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct OpenBatch {
    no: u64,
    first: i64,
    last: i64,
}

/// What the server made of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushSummary {
    pub applied: usize,
    pub superseded: usize,
    pub duplicate: usize,
    pub rejected: usize,
    pub conflicts: usize,
}

impl PushSummary {
    pub fn add(&mut self, o: &PushSummary) {
        self.applied += o.applied;
        self.superseded += o.superseded;
        self.duplicate += o.duplicate;
        self.rejected += o.rejected;
        self.conflicts += o.conflicts;
    }
}

/// A change the server refused: kept, shown to the user, fixable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarantined {
    pub change: Uuid,
    pub entity: Entity,
    pub row: Uuid,
    pub field: String,
    pub value: Value,
    pub reason: String,
}

fn load(conn: &Connection, device: Uuid, first: i64, last: i64) -> Result<(Vec<i64>, Vec<Change>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, entity, row_id, field, value, hlc, base, seen, chain FROM change_log \
         WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query([first, last])?;
    let (mut seqs, mut changes) = (Vec::new(), Vec::new());
    let corrupt = |what: &str| StoreError::Corrupt(format!("change_log: {what}"));
    while let Some(r) = rows.next()? {
        let entity: String = r.get(2)?;
        let value: String = r.get(5)?;
        let base: Option<String> = r.get(7)?;
        let seen: Option<String> = r.get(8)?;
        seqs.push(r.get(0)?);
        changes.push(Change {
            id: sql::blob_uuid(&r.get::<_, Vec<u8>>(1)?)?,
            entity: Entity::parse(&entity).ok_or_else(|| corrupt("entity"))?,
            row: sql::blob_uuid(&r.get::<_, Vec<u8>>(3)?)?,
            field: r.get(4)?,
            value: serde_json::from_str(&value).map_err(|_| corrupt("value"))?,
            hlc: Hlc(r.get::<_, i64>(6)? as u64),
            device,
            base: base.map(|b| serde_json::from_str(&b)).transpose().map_err(|_| corrupt("base"))?,
            seen: seen.map(|s| serde_json::from_str(&s)).transpose().map_err(|_| corrupt("seen"))?,
            chain: r
                .get::<_, Option<Vec<u8>>>(9)?
                .map(|b| <Link>::try_from(b.as_slice()).map(|l| to_hex(&l)))
                .transpose()
                .map_err(|_| corrupt("chain"))?,
        });
    }
    Ok((seqs, changes))
}

/// Sets a field to the server's value without logging a change (it is not a local edit).
pub(crate) fn set_synced(
    tx: &Transaction<'_>,
    entity: Entity,
    row: Uuid,
    field: &str,
    value: &Value,
    version: Option<Version>,
) -> Result<()> {
    let Some(mut state) = read_row(tx, entity, row)? else { return Ok(()) };
    match version {
        Some(v) => state.clock.insert(field.to_string(), v),
        None => state.clock.remove(field),
    };
    let def = sql::def(entity, field)?;
    let q = format!("UPDATE {} SET {} = ?1, _clock = ?2 WHERE id = ?3", entity.ident(), def.name);
    tx.prepare_cached(&q)?.execute(rusqlite::params![
        sql::to_sql(def, value)?,
        crate::versions::encode(entity, &state.clock)?,
        sql::uuid_blob(row)
    ])?;
    Ok(())
}

impl Store {
    /// The batch to push next: the open one again if its answer was never recorded, else up to `max`
    /// new changes under a new number. `None` when nothing is waiting.
    pub fn next_batch(&mut self, max: usize) -> Result<Option<Batch>> {
        let tx = crate::write_tx(&mut self.conn)?;
        let open = match meta::get(&tx, OPEN_BATCH)? {
            Some(s) => {
                serde_json::from_str::<OpenBatch>(&s).map_err(|e| StoreError::Corrupt(format!("open_batch: {e}")))?
            }
            None => {
                let acked = meta::get_i64(&tx, ACKED)?;
                let last: Option<i64> = tx.query_row(
                    "SELECT max(seq) FROM (SELECT seq FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
                    rusqlite::params![acked, max as i64],
                    |r| r.get(0),
                )?;
                let Some(last) = last else { return Ok(None) };
                let no = meta::get_i64(&tx, LAST_BATCH)? as u64 + 1;
                let open = OpenBatch { no, first: acked + 1, last };
                meta::set(&tx, LAST_BATCH, &no.to_string())?;
                meta::set(&tx, OPEN_BATCH, &serde_json::to_string(&open).unwrap_or_default())?;
                open
            }
        };
        let (seqs, changes) = load(&tx, self.device, open.first, open.last)?;
        tx.commit()?;
        Ok(Some(Batch { no: open.no, seqs, changes }))
    }

    /// Records the server's answer to a batch, in one transaction: acknowledged changes take the server's
    /// current value (unless edited again meanwhile), refused ones go to quarantine.
    pub fn record_push(&mut self, batch: &Batch, resp: &PushResponse) -> Result<PushSummary> {
        if resp.results.len() != batch.changes.len()
            || resp.results.iter().zip(&batch.changes).any(|(r, c)| r.id != c.id)
        {
            return Err(StoreError::Protocol(format!("第 {} 批的结果数量或顺序不对", batch.no)));
        }
        let mut sum = PushSummary::default();
        let tx = crate::write_tx(&mut self.conn)?;
        for ((seq, change), res) in batch.seqs.iter().zip(&batch.changes).zip(&resp.results) {
            if res.conflict.is_some() {
                sum.conflicts += 1;
            }
            let local = read_row(&tx, change.entity, change.row)?.and_then(|r| r.clock.get(&change.field).copied());
            let ours = take_push_result(local.as_ref(), change.id);
            if res.status == Status::Rejected {
                sum.rejected += 1;
                let reason = res.rejection.as_ref().map(|r| r.message.clone()).unwrap_or_else(|| "服务器拒收".into());
                tx.prepare_cached("UPDATE change_log SET state = 2, result = ?1 WHERE seq = ?2")?
                    .execute(rusqlite::params![reason, seq])?;
                if ours {
                    // The next edit of this field is based on what the server has, not on the refused value.
                    let value = self::current_value(&tx, change.entity, change.row, &change.field)?;
                    set_synced(&tx, change.entity, change.row, &change.field, &value, change.base)?;
                }
                continue;
            }
            match res.status {
                Status::Applied => sum.applied += 1,
                Status::Superseded => sum.superseded += 1,
                _ => sum.duplicate += 1,
            }
            let status = serde_json::to_value(res.status).ok().and_then(|v| v.as_str().map(str::to_string));
            tx.prepare_cached("UPDATE change_log SET state = 1, result = ?1 WHERE seq = ?2")?
                .execute(rusqlite::params![status, seq])?;
            if let (true, Some(cur)) = (ours, &res.current) {
                set_synced(&tx, change.entity, change.row, &change.field, &cur.value, Some(Version::Seq(cur.seq)))?;
            }
        }
        if let Some(last) = batch.seqs.last() {
            meta::set(&tx, ACKED, &last.to_string())?;
        }
        meta::del(&tx, OPEN_BATCH)?;
        self.clock.observe(resp.server_hlc, zoufang_sync::hlc::now_ms());
        meta::set(&tx, meta::HLC_SEEN, &self.clock.last().0.to_string())?;
        tx.commit()?;
        Ok(sum)
    }

    /// Changes the server refused, for the user to fix or discard.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, entity, row_id, field, value, result FROM change_log WHERE state = 2 ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let entity: String = r.get(1)?;
            let value: String = r.get(4)?;
            out.push(Quarantined {
                change: sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?,
                entity: Entity::parse(&entity).ok_or_else(|| StoreError::Corrupt("change_log entity".into()))?,
                row: sql::blob_uuid(&r.get::<_, Vec<u8>>(2)?)?,
                field: r.get(3)?,
                value: serde_json::from_str(&value).unwrap_or(Value::Null),
                reason: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Gives up a refused change: the field goes back to the value it replaced, unless it has been
    /// edited since (then the newer edit stands). The change stays in the log, marked discarded.
    pub fn discard_quarantined(&mut self, change: Uuid) -> Result<()> {
        let tx = crate::write_tx(&mut self.conn)?;
        let row: Option<LoggedRow> = {
            let mut stmt = tx.prepare_cached(
                "SELECT seq, entity, row_id, field, value, prev FROM change_log WHERE id = ?1 AND state = 2",
            )?;
            let mut rows = stmt.query([sql::uuid_blob(change)])?;
            match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                None => None,
            }
        };
        let Some((seq, entity, row, field, value, prev)) = row else {
            return Err(StoreError::NotFound { entity: "待修正的修改", id: change });
        };
        let entity = Entity::parse(&entity).ok_or_else(|| StoreError::Corrupt("change_log entity".into()))?;
        let row = sql::blob_uuid(&row)?;
        let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
        if current_value(&tx, entity, row, &field)? == value {
            let prev: Value = prev.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or(if field == DELETED {
                Value::Bool(false)
            } else {
                Value::Null
            });
            let version = read_row(&tx, entity, row)?.and_then(|r| r.clock.get(&field).copied());
            set_synced(&tx, entity, row, &field, &prev, version)?;
        }
        tx.prepare_cached("UPDATE change_log SET state = 3 WHERE seq = ?1")?.execute([seq])?;
        tx.commit()?;
        Ok(())
    }
}

/// A change-log row as read back: seq, entity, row id, field, value JSON, previous value JSON.
type LoggedRow = (i64, String, Vec<u8>, String, String, Option<String>);

fn current_value(tx: &Transaction<'_>, entity: Entity, row: Uuid, field: &str) -> Result<Value> {
    Ok(match read_row(tx, entity, row)? {
        Some(r) if field == DELETED => Value::Bool(r.deleted),
        Some(r) => r.fields.get(field).cloned().unwrap_or(Value::Null),
        None => Value::Null,
    })
}
