//! The merge rules' view of the PostgreSQL change log for one batch. A round trip to the database
//! costs far more than a look-up in SQLite, so the batch's state is read in a few queries up front
//! (stored ids, refused ids, every live field of the records it touches, open conflicts, the villages
//! of its records), changes are decided in memory, and everything they write goes out at the end in
//! one statement per table (`flush`). Sequence numbers are assigned here, after the log's head read
//! under the log lock, so the log stays gap-free and in commit order.

use super::conn::Tx;
use crate::batch::{BatchBackend, ChainHead};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use uuid::Uuid;
use zoufang_model::Entity;
use zoufang_sync::{Change, FieldState, Hlc, Ledger, Place, Seq};

/// A log entry written by this batch.
struct NewEntry {
    seq: i64,
    id: Uuid,
    entity: &'static str,
    row: Uuid,
    field: String,
    value: String,
    hlc: i64,
    device: Uuid,
    base: Option<String>,
    seen: Option<String>,
    village: Uuid,
    about: Option<&'static str>,
    applied: bool,
    live: bool,
    chain: Option<Vec<u8>>,
}

pub(crate) struct PgLedger<'a, 'c> {
    tx: &'a mut Tx<'c>,
    server: Uuid,
    now: i64,
    /// The log's last sequence number under the log lock: entries at or below it are stored.
    head: i64,
    next_seq: i64,
    /// The end of the pushing device's history, read with its row.
    chain_head: Option<ChainHead>,
    /// Ids in the log (from the batch's look-up or written now) → sequence number and stored link.
    known: HashMap<Uuid, (Seq, Option<Vec<u8>>)>,
    refused: HashMap<Uuid, (String, String)>,
    /// Live fields of the records whose state is loaded (every field they have is here).
    state: HashMap<Uuid, HashMap<String, FieldState>>,
    /// Open conflicts by (record, field), for the loaded records; `None`: none open.
    conflicts: HashMap<(Uuid, String), Option<Uuid>>,
    conflicts_changed: HashSet<(Uuid, String)>,
    /// Kind and village of records (`None`: not stored).
    places: HashMap<Uuid, Option<(Entity, Uuid)>>,
    codes: HashMap<Uuid, Option<String>>,
    authors: HashMap<Uuid, String>,
    /// Ids the server minted during this batch (conflict records): new, nothing stored about them.
    minted: Rc<RefCell<HashSet<Uuid>>>,
    log: Vec<NewEntry>,
    unlive: Vec<i64>,
    refused_new: Vec<(Uuid, Uuid, i64, String, String, i64)>,
    scoped: HashMap<Uuid, (&'static str, Uuid)>,
    new_codes: HashMap<Uuid, String>,
    files: HashMap<(String, Uuid), (&'static str, i64)>,
}

type PgResult<T> = Result<T, postgres::Error>;

fn state_of(r: &postgres::Row, off: usize) -> PgResult<FieldState> {
    let value: &str = r.try_get(off + 2)?;
    Ok(FieldState {
        seq: r.try_get::<_, i64>(off)? as Seq,
        change: r.try_get(off + 1)?,
        value: serde_json::from_str(value).unwrap_or(Value::Null),
        hlc: Hlc(r.try_get::<_, i64>(off + 3)? as u64),
        device: r.try_get(off + 4)?,
    })
}

impl<'a, 'c> PgLedger<'a, 'c> {
    /// Reads what the batch will consult, in two queries, before the log lock is taken (see
    /// `lock_log`); `chain_head` is the pushing device's last link.
    pub fn load(
        tx: &'a mut Tx<'c>,
        server: Uuid,
        chain_head: Option<ChainHead>,
        changes: &[Change],
        lookups: &[Uuid],
    ) -> PgResult<Self> {
        let mut l = PgLedger {
            server,
            now: chrono::Utc::now().timestamp_millis(),
            head: 0,
            next_seq: 0,
            chain_head,
            known: HashMap::new(),
            refused: HashMap::new(),
            state: HashMap::new(),
            conflicts: HashMap::new(),
            conflicts_changed: HashSet::new(),
            places: HashMap::new(),
            codes: HashMap::new(),
            authors: HashMap::new(),
            minted: Rc::default(),
            log: Vec::new(),
            unlive: Vec::new(),
            refused_new: Vec::new(),
            scoped: HashMap::new(),
            new_codes: HashMap::new(),
            files: HashMap::new(),
            tx,
        };
        l.fill(changes, lookups)?;
        Ok(l)
    }

    /// Takes the log lock, then checks that nothing committed since `before` (the head when the batch
    /// was loaded) touched what was loaded; if something did, loads it again, now under the lock. The
    /// entries this batch writes are numbered from the head read here. Loading outside the lock keeps
    /// the part of a push that other pushes wait for short.
    pub fn lock_log(&mut self, before: i64, changes: &[Change], lookups: &[Uuid]) -> PgResult<()> {
        self.tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::LOG_LOCK])?;
        // A statement of its own, after the lock: its snapshot holds every batch committed before.
        let head: i64 = self.tx.query_one("SELECT coalesce(max(seq), 0) FROM change_log", &[])?.try_get(0)?;
        // What was committed meanwhile (usually nothing, or a few batches from other connections).
        let mut touched = false;
        if head > before {
            let ids: HashSet<Uuid> = changes.iter().map(|c| c.id).collect();
            let span = head - before;
            let since = self.tx.query(
                "SELECT row_id, id FROM change_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 20000",
                &[&before, &head],
            )?;
            touched = span > 20000
                || since.iter().any(|r| {
                    let (row, id): (Uuid, Uuid) = (r.get(0), r.get(1));
                    self.state.contains_key(&row) || self.places.contains_key(&row) || ids.contains(&id)
                });
        }
        if touched {
            self.known.clear();
            self.refused.clear();
            self.state.clear();
            self.conflicts.clear();
            self.places.clear();
            self.fill(changes, lookups)?;
        }
        self.head = head;
        self.next_seq = head;
        Ok(())
    }

    fn fill(&mut self, changes: &[Change], lookups: &[Uuid]) -> PgResult<()> {
        let l = self;
        let ids: Vec<Uuid> = changes.iter().map(|c| c.id).collect();
        let mut rows: Vec<Uuid> = changes.iter().map(|c| c.row).collect();
        rows.sort();
        rows.dedup();
        for &v in lookups {
            l.places.insert(v, None);
        }
        for &r in &rows {
            l.state.insert(r, HashMap::new());
        }
        // In one round trip: stored ids (0), refused ids (1), the kinds and villages of records (2), and
        // the live fields (3) and open conflicts (4) of the batch's records.
        for r in l.tx.query(
            "SELECT 0, id, NULL::text, seq, NULL::uuid, NULL::text, NULL::bigint, NULL::uuid, chain, NULL::text \
               FROM change_log WHERE id = ANY($1::uuid[]) \
             UNION ALL SELECT 1, id, NULL, NULL, NULL, change, NULL, NULL, NULL, reason \
               FROM rejected_change WHERE id = ANY($1::uuid[]) \
             UNION ALL SELECT 2, row_id, entity, NULL, NULL, NULL, NULL, village_id, NULL, NULL \
               FROM row_scope WHERE row_id = ANY($2::uuid[]) \
             UNION ALL SELECT 3, row_id, field, seq, id, value, hlc, device, NULL, NULL \
               FROM change_log WHERE row_id = ANY($3::uuid[]) AND live \
             UNION ALL SELECT 4, row_id, field, NULL, conflict_id, NULL, NULL, NULL, NULL, NULL \
               FROM open_conflict WHERE row_id = ANY($3::uuid[])",
            &[&ids, &lookups, &rows],
        )? {
            let id: Uuid = r.try_get(1)?;
            match r.try_get::<_, i32>(0)? {
                0 => {
                    l.known.insert(id, (r.try_get::<_, i64>(3)? as Seq, r.try_get(8)?));
                }
                1 => {
                    l.refused.insert(id, (r.try_get(5)?, r.try_get(9)?));
                }
                2 => {
                    let (kind, village): (String, Uuid) = (r.try_get(2)?, r.try_get(7)?);
                    // A kind this build does not know is treated as no record at all.
                    l.places.insert(id, Entity::parse(&kind).map(|e| (e, village)));
                }
                3 => {
                    l.state.entry(id).or_default().insert(r.try_get(2)?, state_of(&r, 3)?);
                }
                _ => {
                    l.conflicts.insert((id, r.try_get(2)?), Some(r.try_get(4)?));
                }
            }
        }
        // The conflicts already open on these records are consulted (joined) by the merge rules.
        let open: Vec<Uuid> = l.conflicts.values().flatten().copied().collect();
        l.load_rows(&open)?;
        Ok(())
    }

    /// Loads every live field and open conflict of `rows`.
    fn load_rows(&mut self, rows: &[Uuid]) -> PgResult<()> {
        let rows: Vec<Uuid> = rows.iter().filter(|r| !self.state.contains_key(r)).copied().collect();
        if rows.is_empty() {
            return Ok(());
        }
        for &r in &rows {
            self.state.insert(r, HashMap::new());
        }
        // Live fields and open conflicts in one round trip (a conflict row has no seq).
        for r in self.tx.query(
            "SELECT row_id, field, seq, id, value, hlc, device FROM change_log WHERE row_id = ANY($1::uuid[]) AND live \
             UNION ALL SELECT row_id, field, NULL, conflict_id, NULL, NULL, NULL FROM open_conflict \
             WHERE row_id = ANY($1::uuid[])",
            &[&rows],
        )? {
            let row: Uuid = r.try_get(0)?;
            let field: String = r.try_get(1)?;
            if r.try_get::<_, Option<i64>>(2)?.is_some() {
                self.state.entry(row).or_default().insert(field, state_of(&r, 2)?);
            } else {
                self.conflicts.insert((row, field), Some(r.try_get(3)?));
            }
        }
        Ok(())
    }

    /// Makes sure a record's state is loaded: new records (made by this batch or minted by the server)
    /// have none stored; others are read on first use.
    fn ensure_row(&mut self, row: Uuid) -> PgResult<()> {
        if self.state.contains_key(&row) {
            return Ok(());
        }
        if self.minted.borrow().contains(&row) {
            self.state.insert(row, HashMap::new());
            return Ok(());
        }
        self.load_rows(&[row])
    }

    /// Writes what the batch decided, and the pushing device's new batch number and chain head, in
    /// one statement (two when earlier values stop being current).
    pub fn flush(self, device: Option<(Uuid, i64, Option<ChainHead>)>) -> PgResult<()> {
        let PgLedger {
            tx, now, log, unlive, refused_new, scoped, new_codes, files, conflicts, conflicts_changed, ..
        } = self;
        if !unlive.is_empty() {
            // First, so that the unique index on current values never sees two at once.
            tx.execute("UPDATE change_log SET live = false WHERE seq = ANY($1::bigint[])", &[&unlive])?;
        }
        let seq: Vec<i64> = log.iter().map(|e| e.seq).collect();
        let hlc: Vec<i64> = log.iter().map(|e| e.hlc).collect();
        let id: Vec<Uuid> = log.iter().map(|e| e.id).collect();
        let entity: Vec<&str> = log.iter().map(|e| e.entity).collect();
        let row: Vec<Uuid> = log.iter().map(|e| e.row).collect();
        let field: Vec<&str> = log.iter().map(|e| e.field.as_str()).collect();
        let value: Vec<&str> = log.iter().map(|e| e.value.as_str()).collect();
        let author: Vec<Uuid> = log.iter().map(|e| e.device).collect();
        let base: Vec<Option<&str>> = log.iter().map(|e| e.base.as_deref()).collect();
        let seen: Vec<Option<&str>> = log.iter().map(|e| e.seen.as_deref()).collect();
        let village: Vec<Uuid> = log.iter().map(|e| e.village).collect();
        let applied: Vec<bool> = log.iter().map(|e| e.applied).collect();
        let live: Vec<bool> = log.iter().map(|e| e.live).collect();
        let chain: Vec<Option<&[u8]>> = log.iter().map(|e| e.chain.as_deref()).collect();
        let about: Vec<Option<&str>> = log.iter().map(|e| e.about).collect();

        let scope_rows: Vec<Uuid> = scoped.keys().copied().collect();
        let scope_entities: Vec<&str> = scope_rows.iter().map(|r| scoped[r].0).collect();
        let scope_villages: Vec<Uuid> = scope_rows.iter().map(|r| scoped[r].1).collect();

        let code_villages: Vec<Uuid> = new_codes.keys().copied().collect();
        let codes: Vec<&str> = code_villages.iter().map(|v| new_codes[v].as_str()).collect();

        let file_hashes: Vec<&str> = files.keys().map(|f| f.0.as_str()).collect();
        let file_villages: Vec<Uuid> = files.keys().map(|f| f.1).collect();
        let file_entities: Vec<&str> = files.values().map(|f| f.0).collect();
        let file_seqs: Vec<i64> = files.values().map(|f| f.1).collect();

        // Conflicts closed and conflicts opened: disjoint keys.
        let (mut closed_rows, mut closed_fields, mut open_rows, mut open_fields, mut open_ids) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for key in &conflicts_changed {
            match conflicts.get(key).copied().flatten() {
                Some(c) => {
                    open_rows.push(key.0);
                    open_fields.push(key.1.as_str());
                    open_ids.push(c);
                }
                None => {
                    closed_rows.push(key.0);
                    closed_fields.push(key.1.as_str());
                }
            }
        }

        let refused_ids: Vec<Uuid> = refused_new.iter().map(|r| r.0).collect();
        let refused_devices: Vec<Uuid> = refused_new.iter().map(|r| r.1).collect();
        let refused_hlcs: Vec<i64> = refused_new.iter().map(|r| r.2).collect();
        let refused_changes: Vec<&str> = refused_new.iter().map(|r| r.3.as_str()).collect();
        let refused_reasons: Vec<&str> = refused_new.iter().map(|r| r.4.as_str()).collect();
        let refused_at: Vec<i64> = refused_new.iter().map(|r| r.5).collect();

        let (device, batch, head) = device.unwrap_or((Uuid::nil(), 0, None));
        let head_hlc = head.map_or(0, |h| h.hlc.0 as i64);
        let head = head.as_ref().map(|h| &h.link[..]);
        let seen_at = crate::access::now_rfc3339();
        tx.execute(
            "WITH cl AS (INSERT INTO change_log(seq, id, entity, row_id, field, value, hlc, device, base, seen, \
                 village_id, applied, live, chain, received_at, about) \
               SELECT s, i, e, r, f, v, h, d, b, n, vi, a, l, c, $15, ab FROM unnest($1::bigint[], $2::uuid[], \
                 $3::text[], $4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::uuid[], $9::text[], $10::text[], \
                 $11::uuid[], $12::boolean[], $13::boolean[], $14::bytea[], $39::text[]) \
                 AS t(s, i, e, r, f, v, h, d, b, n, vi, a, l, c, ab)), \
             rs AS (INSERT INTO row_scope(row_id, entity, village_id) \
               SELECT * FROM unnest($16::uuid[], $17::text[], $18::uuid[]) ON CONFLICT (row_id) DO NOTHING), \
             vs AS (INSERT INTO village_scope(village_id, code) SELECT * FROM unnest($19::uuid[], $20::text[]) \
               ON CONFLICT (village_id) DO UPDATE SET code = excluded.code), \
             br AS (INSERT INTO blob_ref(hash, village_id, entity, seq) \
               SELECT * FROM unnest($21::text[], $22::uuid[], $23::text[], $40::bigint[]) \
               ON CONFLICT (hash, village_id) DO NOTHING), \
             oc AS (DELETE FROM open_conflict o USING unnest($24::uuid[], $25::text[]) AS t(r, f) \
               WHERE o.row_id = t.r AND o.field = t.f), \
             oo AS (INSERT INTO open_conflict(row_id, field, conflict_id) \
               SELECT * FROM unnest($26::uuid[], $27::text[], $28::uuid[]) \
               ON CONFLICT (row_id, field) DO UPDATE SET conflict_id = excluded.conflict_id), \
             rj AS (INSERT INTO rejected_change(id, device, hlc, change, reason, received_at) \
               SELECT * FROM unnest($29::uuid[], $30::uuid[], $31::bigint[], $32::text[], $33::text[], $34::bigint[]) \
               ON CONFLICT (id) DO NOTHING) \
             UPDATE device SET last_seen_at = $35, last_batch = greatest(last_batch, $36), chain_head = $37, \
               chain_hlc = $41 WHERE id = $38",
            &[
                &seq,
                &id,
                &entity,
                &row,
                &field,
                &value,
                &hlc,
                &author,
                &base,
                &seen,
                &village,
                &applied,
                &live,
                &chain,
                &now,
                &scope_rows,
                &scope_entities,
                &scope_villages,
                &code_villages,
                &codes,
                &file_hashes,
                &file_villages,
                &file_entities,
                &closed_rows,
                &closed_fields,
                &open_rows,
                &open_fields,
                &open_ids,
                &refused_ids,
                &refused_devices,
                &refused_hlcs,
                &refused_changes,
                &refused_reasons,
                &refused_at,
                &seen_at,
                &batch,
                &head,
                &device,
                &about,
                &file_seqs,
                &head_hlc,
            ],
        )?;
        Ok(())
    }
}

impl Ledger for PgLedger<'_, '_> {
    type Error = postgres::Error;

    fn known(&mut self, change: Uuid) -> PgResult<Option<Seq>> {
        // Every id of the batch was looked up; server-minted ids are new.
        Ok(self.known.get(&change).map(|k| k.0))
    }

    fn current(&mut self, row: Uuid, field: &str) -> PgResult<Option<FieldState>> {
        self.ensure_row(row)?;
        Ok(self.state.get(&row).and_then(|m| m.get(field)).cloned())
    }

    fn row_state(&mut self, row: Uuid) -> PgResult<Vec<(String, FieldState)>> {
        self.ensure_row(row)?;
        Ok(self.state.get(&row).into_iter().flatten().map(|(f, s)| (f.clone(), s.clone())).collect())
    }

    fn open_conflict(&mut self, row: Uuid, field: &str) -> PgResult<Option<Uuid>> {
        self.ensure_row(row)?;
        Ok(self.conflicts.get(&(row, field.to_string())).copied().flatten())
    }

    fn set_open_conflict(&mut self, row: Uuid, field: &str, conflict: Option<Uuid>) -> PgResult<()> {
        let key = (row, field.to_string());
        self.conflicts.insert(key.clone(), conflict);
        self.conflicts_changed.insert(key);
        Ok(())
    }

    fn author(&mut self, device: Uuid) -> PgResult<String> {
        if let Some(a) = self.authors.get(&device) {
            return Ok(a.clone());
        }
        let name: Option<String> = self
            .tx
            .query_opt("SELECT name FROM device WHERE id = $1", &[&device])?
            .map(|r| r.try_get(0))
            .transpose()?;
        let name =
            name.unwrap_or_else(|| if device == self.server { "服务器".into() } else { "未登记设备".into() });
        self.authors.insert(device, name.clone());
        Ok(name)
    }

    fn append(&mut self, c: &Change, place: Place, applied: bool) -> PgResult<Seq> {
        let village = place.village;
        self.ensure_row(c.row)?;
        self.next_seq += 1;
        let seq = self.next_seq;
        if applied {
            if let Some(prev) = self.state.get(&c.row).and_then(|m| m.get(&c.field)) {
                let prev = prev.seq as i64;
                if prev > self.head {
                    if let Some(e) = self.log.get_mut((prev - self.head - 1) as usize) {
                        e.live = false;
                    }
                } else {
                    self.unlive.push(prev);
                }
            }
        }
        let chain = c.chain.as_deref().and_then(zoufang_sync::chain::from_hex).map(|l| l.to_vec());
        self.known.insert(c.id, (seq as Seq, chain.clone()));
        self.log.push(NewEntry {
            seq,
            id: c.id,
            entity: c.entity.ident(),
            row: c.row,
            field: c.field.clone(),
            value: c.value.to_string(),
            hlc: c.hlc.0 as i64,
            device: c.device,
            base: c.base.map(|b| serde_json::to_string(&b).unwrap_or_default()),
            seen: c.seen.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()),
            village,
            about: (place.about != c.entity).then(|| place.about.ident()),
            applied,
            live: applied,
            chain,
        });
        if c.device == self.server {
            // Records the server writes itself (conflicts) are scoped like the record they concern.
            self.scoped.entry(c.row).or_insert((c.entity.ident(), village));
            self.places.insert(c.row, Some((c.entity, village)));
        }
        if applied {
            let st = FieldState { seq: seq as Seq, change: c.id, value: c.value.clone(), hlc: c.hlc, device: c.device };
            self.state.entry(c.row).or_default().insert(c.field.clone(), st);
        }
        Ok(seq as Seq)
    }
}

impl BatchBackend for PgLedger<'_, '_> {
    fn chain_head(&mut self, _device: Uuid) -> PgResult<Option<ChainHead>> {
        Ok(self.chain_head)
    }

    fn stored_link(&mut self, id: Uuid) -> PgResult<Option<Vec<u8>>> {
        Ok(self.known.get(&id).and_then(|k| k.1.clone()))
    }

    fn refused_before(&mut self, id: Uuid) -> PgResult<Option<(String, String)>> {
        Ok(self.refused.get(&id).cloned())
    }

    fn keep_refused(&mut self, c: &Change, reason: &str, now: i64) -> PgResult<()> {
        let json = serde_json::to_string(c).unwrap_or_default();
        self.refused.entry(c.id).or_insert_with(|| (json.clone(), reason.to_string()));
        self.refused_new.push((c.id, c.device, c.hlc.0 as i64, json, reason.to_string(), now));
        Ok(())
    }

    fn stored_rows(&mut self, entity: Entity, village: Uuid) -> PgResult<Vec<Uuid>> {
        let rows = self.tx.query(
            "SELECT row_id FROM row_scope WHERE village_id = $1 AND entity = $2",
            &[&village, &entity.ident()],
        )?;
        rows.iter().map(|r| r.try_get(0)).collect()
    }

    fn stored_place(&mut self, row: Uuid) -> PgResult<Option<(Entity, Uuid)>> {
        if let Some(p) = self.places.get(&row) {
            return Ok(*p);
        }
        let p = match self.tx.query_opt("SELECT entity, village_id FROM row_scope WHERE row_id = $1", &[&row])? {
            Some(r) => {
                let village: Uuid = r.try_get(1)?;
                Entity::parse(r.try_get(0)?).map(|e| (e, village))
            }
            None => None,
        };
        self.places.insert(row, p);
        Ok(p)
    }

    fn stored_code(&mut self, village: Uuid) -> PgResult<Option<String>> {
        if let Some(c) = self.new_codes.get(&village) {
            return Ok(Some(c.clone()));
        }
        if let Some(c) = self.codes.get(&village) {
            return Ok(c.clone());
        }
        let c: Option<String> = self
            .tx
            .query_opt("SELECT code FROM village_scope WHERE village_id = $1", &[&village])?
            .map(|r| r.try_get(0))
            .transpose()?;
        self.codes.insert(village, c.clone());
        Ok(c)
    }

    fn mark_new(&mut self, row: Uuid) {
        self.state.entry(row).or_default();
    }

    fn scope_row(&mut self, row: Uuid, entity: Entity, village: Uuid) -> PgResult<()> {
        self.scoped.entry(row).or_insert((entity.ident(), village));
        self.places.insert(row, Some((entity, village)));
        Ok(())
    }

    fn set_code(&mut self, village: Uuid, code: &str) -> PgResult<()> {
        self.new_codes.insert(village, code.to_string());
        Ok(())
    }

    fn name_file(&mut self, hash: &str, village: Uuid, entity: Entity, seq: Seq) -> PgResult<()> {
        self.files.entry((hash.to_string(), village)).or_insert((entity.ident(), seq as i64));
        Ok(())
    }

    fn minted_ids(&self) -> Option<Rc<RefCell<HashSet<Uuid>>>> {
        Some(self.minted.clone())
    }
}
