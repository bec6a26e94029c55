//! The merge rules' view of the SQLite change log.

use crate::batch::{BatchBackend, ChainHead};
use rusqlite::{OptionalExtension, Transaction};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use zoufang_model::Entity;
use zoufang_sync::{Change, FieldState, Hlc, Ledger, Place, Seq};

pub(crate) fn blob(id: Uuid) -> Vec<u8> {
    id.as_bytes().to_vec()
}

pub(crate) fn uuid(b: &[u8]) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(b)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e)))
}

/// A record kind as stored.
pub(crate) fn entity(s: &str) -> rusqlite::Result<Entity> {
    Entity::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("unknown kind {s}").into())
    })
}

pub(crate) struct SqlLedger<'a, 'c> {
    pub tx: &'a Transaction<'c>,
    pub now: i64,
    /// Ids known to be in the log (looked up for a whole batch at once) or added by this transaction.
    pub known: HashMap<Uuid, Seq>,
    /// Whether `known` covers every stored id of the batch (so a miss means new).
    pub known_complete: bool,
    /// Ids of the batch the server refused before (resends of refused changes).
    pub refused: HashSet<Uuid>,
    pub authors: HashMap<Uuid, String>,
    pub server: Uuid,
    /// Current values read or written in this transaction, by record and field (a mirror of the log,
    /// so repeated look-ups within a batch do not go back to the index).
    cache: HashMap<Uuid, HashMap<String, Option<FieldState>>>,
    /// Records that did not exist before this transaction: nothing about them is in the database
    /// except what the cache holds.
    pub fresh: HashSet<Uuid>,
}

impl<'a, 'c> SqlLedger<'a, 'c> {
    pub fn new(tx: &'a Transaction<'c>, server: Uuid, now: i64) -> Self {
        SqlLedger {
            tx,
            now,
            known: HashMap::new(),
            known_complete: false,
            refused: HashSet::new(),
            authors: HashMap::new(),
            server,
            cache: HashMap::new(),
            fresh: HashSet::new(),
        }
    }

    /// Looks up which of these change ids are already stored, in a few queries instead of one per change.
    pub fn preload_known(&mut self, ids: &[Uuid]) -> rusqlite::Result<()> {
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.tx.prepare_cached(&format!("SELECT id, seq FROM change_log WHERE id IN ({marks})"))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk.iter().map(|u| blob(*u))))?;
            while let Some(r) = rows.next()? {
                self.known.insert(uuid(&r.get::<_, Vec<u8>>(0)?)?, r.get::<_, i64>(1)? as Seq);
            }
        }
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.tx.prepare_cached(&format!("SELECT id FROM rejected_change WHERE id IN ({marks})"))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk.iter().map(|u| blob(*u))))?;
            while let Some(r) = rows.next()? {
                self.refused.insert(uuid(&r.get::<_, Vec<u8>>(0)?)?);
            }
        }
        self.known_complete = true;
        Ok(())
    }
}

fn state(r: &rusqlite::Row<'_>, off: usize) -> rusqlite::Result<FieldState> {
    let value: String = r.get(off + 2)?;
    Ok(FieldState {
        seq: r.get::<_, i64>(off)? as Seq,
        change: uuid(&r.get::<_, Vec<u8>>(off + 1)?)?,
        value: serde_json::from_str(&value).unwrap_or(Value::Null),
        hlc: Hlc(r.get::<_, i64>(off + 3)? as u64),
        device: uuid(&r.get::<_, Vec<u8>>(off + 4)?)?,
    })
}

impl Ledger for SqlLedger<'_, '_> {
    type Error = rusqlite::Error;

    fn known(&mut self, change: Uuid) -> rusqlite::Result<Option<Seq>> {
        if let Some(s) = self.known.get(&change) {
            return Ok(Some(*s));
        }
        if self.known_complete {
            return Ok(None);
        }
        self.tx
            .prepare_cached("SELECT seq FROM change_log WHERE id = ?1")?
            .query_row([blob(change)], |r| r.get::<_, i64>(0).map(|s| s as Seq))
            .optional()
    }

    fn current(&mut self, row: Uuid, field: &str) -> rusqlite::Result<Option<FieldState>> {
        if let Some(hit) = self.cache.get(&row).and_then(|m| m.get(field)) {
            return Ok(hit.clone());
        }
        if self.fresh.contains(&row) {
            return Ok(None);
        }
        let st = self
            .tx
            .prepare_cached(
                "SELECT seq, id, value, hlc, device FROM change_log WHERE row_id = ?1 AND field = ?2 AND live = 1",
            )?
            .query_row(rusqlite::params![blob(row), field], |r| state(r, 0))
            .optional()?;
        self.cache.entry(row).or_default().insert(field.to_string(), st.clone());
        Ok(st)
    }

    fn row_state(&mut self, row: Uuid) -> rusqlite::Result<Vec<(String, FieldState)>> {
        if self.fresh.contains(&row) {
            let fields = self.cache.get(&row).into_iter().flatten();
            return Ok(fields.filter_map(|(f, s)| s.clone().map(|s| (f.clone(), s))).collect());
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT field, seq, id, value, hlc, device FROM change_log WHERE row_id = ?1 AND live = 1",
        )?;
        let out = stmt.query_map([blob(row)], |r| Ok((r.get::<_, String>(0)?, state(r, 1)?)))?.collect();
        out
    }

    fn open_conflict(&mut self, row: Uuid, field: &str) -> rusqlite::Result<Option<Uuid>> {
        let b: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT conflict_id FROM open_conflict WHERE row_id = ?1 AND field = ?2")?
            .query_row(rusqlite::params![blob(row), field], |r| r.get(0))
            .optional()?;
        b.map(|b| uuid(&b)).transpose()
    }

    fn set_open_conflict(&mut self, row: Uuid, field: &str, conflict: Option<Uuid>) -> rusqlite::Result<()> {
        match conflict {
            Some(c) => self
                .tx
                .prepare_cached("INSERT OR REPLACE INTO open_conflict(row_id, field, conflict_id) VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![blob(row), field, blob(c)])?,
            None => self
                .tx
                .prepare_cached("DELETE FROM open_conflict WHERE row_id = ?1 AND field = ?2")?
                .execute(rusqlite::params![blob(row), field])?,
        };
        Ok(())
    }

    fn author(&mut self, device: Uuid) -> rusqlite::Result<String> {
        if let Some(a) = self.authors.get(&device) {
            return Ok(a.clone());
        }
        let name: Option<String> = self
            .tx
            .prepare_cached("SELECT name FROM device WHERE id = ?1")?
            .query_row([blob(device)], |r| r.get(0))
            .optional()?;
        let name =
            name.unwrap_or_else(|| if device == self.server { "服务器".into() } else { "未登记设备".into() });
        self.authors.insert(device, name.clone());
        Ok(name)
    }

    fn append(&mut self, c: &Change, place: Place, applied: bool) -> rusqlite::Result<Seq> {
        let village = place.village;
        if applied {
            if let Some(prev) = self.current(c.row, &c.field)? {
                self.tx.prepare_cached("UPDATE change_log SET live = 0 WHERE seq = ?1")?.execute([prev.seq as i64])?;
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO change_log(id, entity, row_id, field, value, hlc, device, base, seen, village_id, applied, live, received_at, chain, about) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14)",
            )?
            .execute(rusqlite::params![
                &c.id.as_bytes()[..],
                c.entity.ident(),
                &c.row.as_bytes()[..],
                c.field,
                c.value.to_string(),
                c.hlc.0 as i64,
                &c.device.as_bytes()[..],
                c.base.map(|b| serde_json::to_string(&b).unwrap_or_default()),
                c.seen.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()),
                &village.as_bytes()[..],
                applied,
                self.now,
                c.chain.as_deref().and_then(zoufang_sync::chain::from_hex).map(|l| l.to_vec()),
                (place.about != c.entity).then(|| place.about.ident()),
            ])?;
        let seq = self.tx.last_insert_rowid() as Seq;
        if c.device == self.server {
            // Records the server writes itself (conflicts) are scoped like the record they concern.
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO row_scope(row_id, entity, village_id) VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![blob(c.row), c.entity.ident(), blob(village)])?;
        }
        self.known.insert(c.id, seq);
        if applied {
            let st = FieldState { seq, change: c.id, value: c.value.clone(), hlc: c.hlc, device: c.device };
            self.cache.entry(c.row).or_default().insert(c.field.clone(), Some(st));
        }
        Ok(seq)
    }
}

impl BatchBackend for SqlLedger<'_, '_> {
    fn chain_head(&mut self, device: Uuid) -> rusqlite::Result<Option<ChainHead>> {
        let row: Option<(Option<Vec<u8>>, i64)> = self
            .tx
            .prepare_cached("SELECT chain_head, chain_hlc FROM device WHERE id = ?1")?
            .query_row([blob(device)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(link, hlc)| Some(ChainHead { link: link?.try_into().ok()?, hlc: Hlc(hlc.max(0) as u64) })))
    }

    fn stored_link(&mut self, id: Uuid) -> rusqlite::Result<Option<Vec<u8>>> {
        Ok(self
            .tx
            .prepare_cached("SELECT chain FROM change_log WHERE id = ?1")?
            .query_row([blob(id)], |r| r.get(0))
            .optional()?
            .flatten())
    }

    fn refused_before(&mut self, id: Uuid) -> rusqlite::Result<Option<(String, String)>> {
        if !self.refused.contains(&id) {
            return Ok(None);
        }
        self.tx
            .prepare_cached("SELECT change, reason FROM rejected_change WHERE id = ?1")?
            .query_row([blob(id)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    fn keep_refused(&mut self, c: &Change, reason: &str, now: i64) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO rejected_change(id, device, hlc, change, reason, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(rusqlite::params![
                blob(c.id),
                blob(c.device),
                c.hlc.0 as i64,
                serde_json::to_string(c).unwrap_or_default(),
                reason,
                now
            ])?;
        Ok(())
    }

    fn stored_place(&mut self, row: Uuid) -> rusqlite::Result<Option<(Entity, Uuid)>> {
        self.tx
            .prepare_cached("SELECT entity, village_id FROM row_scope WHERE row_id = ?1")?
            .query_row([blob(row)], |r| Ok((entity(&r.get::<_, String>(0)?)?, uuid(&r.get::<_, Vec<u8>>(1)?)?)))
            .optional()
    }

    fn stored_rows(&mut self, entity: Entity, village: Uuid) -> rusqlite::Result<Vec<Uuid>> {
        self.tx
            .prepare_cached("SELECT row_id FROM row_scope WHERE village_id = ?1 AND entity = ?2")?
            .query_map(rusqlite::params![blob(village), entity.ident()], |r| uuid(&r.get::<_, Vec<u8>>(0)?))?
            .collect()
    }

    fn stored_code(&mut self, village: Uuid) -> rusqlite::Result<Option<String>> {
        self.tx
            .prepare_cached("SELECT code FROM village_scope WHERE village_id = ?1")?
            .query_row([blob(village)], |r| r.get(0))
            .optional()
    }

    fn mark_new(&mut self, row: Uuid) {
        self.fresh.insert(row);
    }

    fn scope_row(&mut self, row: Uuid, entity: Entity, village: Uuid) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO row_scope(row_id, entity, village_id) VALUES (?1, ?2, ?3)")?
            .execute(rusqlite::params![blob(row), entity.ident(), blob(village)])?;
        Ok(())
    }

    fn set_code(&mut self, village: Uuid, code: &str) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO village_scope(village_id, code) VALUES (?1, ?2)")?
            .execute(rusqlite::params![blob(village), code])?;
        Ok(())
    }

    fn name_file(&mut self, hash: &str, village: Uuid, entity: Entity, seq: Seq) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO blob_ref(hash, village_id, entity, seq) VALUES (?1, ?2, ?3, ?4)")?
            .execute(rusqlite::params![hash, blob(village), entity.ident(), seq as i64])?;
        Ok(())
    }
}
