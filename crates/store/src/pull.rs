//! Applying pulled pages: the server's current values for records in this device's scope.
//!
//! A page is applied in two steps, so that an initial sync of a county (400,000 records) keeps both
//! cores busy:
//! - [`Store::read_pull`] (`crate::pull_read`) is pure: it reads a page's JSON into SQL values in
//!   schema order, each record's versions (`_clock`) written out, all texts in one buffer. The sync
//!   runs it on its reading thread. ([`Store::prepare_pull`] does the same from a parsed page.)
//! - [`Store::apply_prepared`] writes prepared pages and moves the cursor past the last, in one
//!   transaction. It leaves alone the fields this device holds unsent edits of (the merge rule
//!   `take_pulled`): such a record's fields and versions are made again without them.
//! - A record whose id is above every id of its table is new (ids are UUIDv7, and a log is mostly in
//!   the order records were made): such records are written with plain multi-row inserts, and their
//!   share of the derived tables is added afterwards in a few statements (`crate::derived`). Any other
//!   record goes through an upsert that merges its versions. On a county's initial sync nearly every
//!   record is new; plain inserts spare SQLite's statement journal and the per-record trigger programs.

use crate::derived;
use crate::error::Result;
use crate::meta::{self, ACKED, CURSOR, HLC_SEEN};
use crate::sql::{self, Slot, Span};
use crate::versions;
use crate::Store;
use rusqlite::types::{ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;
use zoufang_model::Entity;
use zoufang_sync::replica::take_pulled;
use zoufang_sync::{FieldValue, Hlc, PullResponse, Seq, Version};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PullSummary {
    pub rows: usize,
    pub fields: usize,
    /// Values not taken because this device holds an unsent edit of the field.
    pub kept_local: usize,
}

impl PullSummary {
    pub fn add(&mut self, o: &PullSummary) {
        self.rows += o.rows;
        self.fields += o.fields;
        self.kept_local += o.kept_local;
    }
}

/// A pulled page made ready to write (see the module's header).
#[derive(Debug, Clone)]
pub struct PreparedPage {
    pub cursor: Seq,
    pub more: bool,
    pub head: Seq,
    pub(crate) max_hlc: Hlc,
    rows: Vec<PreparedRow>,
    pub(crate) fields: Vec<PreparedField>,
    /// Texts and blobs of the page's values, ids and versions.
    pub(crate) bytes: Vec<u8>,
}

/// One record of a page: its fields are `fields[first..first + len]`, in schema order.
#[derive(Debug, Clone, Copy)]
struct PreparedRow {
    entity: Entity,
    row: Uuid,
    id: Span,
    first: u32,
    len: u32,
    /// Which columns (bit = schema position; the tombstone is bit 63).
    mask: u64,
    clock: Span,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PreparedField {
    pub column: u8,
    pub seq: Seq,
    pub value: Slot,
}

impl PreparedPage {
    /// An empty page with room for about this many records, fields and bytes.
    pub(crate) fn new(rows: usize, fields: usize, bytes: usize) -> PreparedPage {
        PreparedPage {
            cursor: 0,
            more: false,
            head: 0,
            max_hlc: Hlc::default(),
            rows: Vec::with_capacity(rows),
            fields: Vec::with_capacity(fields),
            bytes: Vec::with_capacity(bytes),
        }
    }

    /// Each record: its kind, id, fields and versions (for tests).
    #[cfg(test)]
    pub(crate) fn rows(&self) -> impl Iterator<Item = (Entity, Uuid, &[PreparedField], ValueRef<'_>)> {
        self.rows.iter().map(|r| {
            let fields = &self.fields[r.first as usize..(r.first + r.len) as usize];
            (r.entity, r.row, fields, Slot::Blob(r.clock).value(&self.bytes))
        })
    }

    /// Adds a value to the record whose fields start at `first`. The same field twice in one record:
    /// the later value is the one.
    pub(crate) fn push_field(&mut self, first: usize, f: PreparedField) {
        match self.fields[first..].iter_mut().find(|g| g.column == f.column) {
            Some(g) => *g = f,
            None => self.fields.push(f),
        }
    }

    /// Adds parsed values to the record whose fields start at `first`, skipping fields this build does
    /// not know.
    pub(crate) fn push_values(&mut self, entity: Entity, first: usize, values: &[FieldValue]) -> Result<()> {
        for FieldValue(name, value, seq) in values {
            let Some((column, def)) = versions::column(entity, name) else { continue };
            let value = sql::to_slot(def, value, &mut self.bytes)?;
            self.push_field(first, PreparedField { column, seq: *seq, value });
        }
        Ok(())
    }

    /// Ends the record whose fields start at `first`: its fields put in schema order, its versions
    /// and id written. A record with no field this build knows is left out.
    pub(crate) fn end_row(&mut self, entity: Entity, row: Uuid, first: usize) {
        if self.fields.len() == first {
            return;
        }
        self.fields[first..].sort_unstable_by_key(|f| f.column);
        let mask = self.fields[first..].iter().fold(0u64, |m, f| m | 1 << f.column);
        let clock = write_clock(self.fields[first..].iter(), &mut self.bytes);
        let id = sql::append(&mut self.bytes, |b| b.extend_from_slice(row.as_bytes()));
        let len = (self.fields.len() - first) as u32;
        self.rows.push(PreparedRow { entity, row, id, first: first as u32, len, mask, clock });
    }
}

/// Prepared statements' text by kind of record, set of fields (a bit mask), number of records and
/// whether they are all new (a plain insert) or may exist (an upsert).
pub(crate) type Upserts = std::collections::HashMap<(Entity, u64, usize, bool), String>;

/// The column's name: the page was made from the schema, so every column it holds has one.
fn column_name(entity: Entity, column: u8) -> &'static str {
    versions::column_name(entity, column).expect("a prepared column is in the schema")
}

/// A record's versions in their stored form (`crate::versions`).
fn write_clock<'a>(fields: impl Iterator<Item = &'a PreparedField>, bytes: &mut Vec<u8>) -> Span {
    sql::append(bytes, |b| versions::write(b, fields.map(|f| (f.column, Version::Seq(f.seq)))))
}

/// A value bound by reference: a statement's parameters borrow the page's buffer.
struct Bound<'a>(ValueRef<'a>);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(self.0))
    }
}

/// Consecutive pulled records of one kind with the same fields, written by one statement: all new (a
/// plain insert) or all possibly there already (an upsert), each record once.
struct Run<'a> {
    key: (Entity, u64, bool),
    vals: Vec<ValueRef<'a>>,
    rows: usize,
    /// The records' ids (an upsert's run ends before a record it already holds: see `crate::derived`).
    ids: HashSet<Uuid>,
    /// Most records one statement takes (SQLite binds at most 32,766 parameters).
    max: usize,
}

impl<'a> Run<'a> {
    fn new(key: (Entity, u64, bool)) -> Run<'a> {
        let max = (32_766 / (key.1.count_ones() as usize + 2)).clamp(1, 256);
        Run { key, vals: Vec::new(), rows: 0, ids: HashSet::new(), max }
    }

    /// Whether the record can join this run.
    fn takes(&self, key: (Entity, u64, bool), row: Uuid) -> bool {
        self.key == key && self.rows < self.max && (key.2 || !self.ids.contains(&row))
    }

    /// Adds a record: its fields' values, its versions, its id.
    fn push(&mut self, row: Uuid, fields: &[PreparedField], bytes: &'a [u8], clock: ValueRef<'a>, id: ValueRef<'a>) {
        self.vals.extend(fields.iter().map(|f| f.value.value(bytes)));
        self.vals.push(clock);
        self.vals.push(id);
        self.rows += 1;
        if !self.key.2 {
            self.ids.insert(row);
        }
    }
}

/// Which pulled records are new, within one transaction, and the new records whose share of the derived
/// tables is still to be added.
///
/// A record whose id is above every id of its table is new: ids are UUIDv7 (time-ordered) and a
/// county's log is mostly in the order records were made, so an initial sync writes nearly all of
/// them with plain inserts. Any other record goes through an upsert. The derived tables' rows of plain
/// inserts are added together (`crate::derived`) before any upsert runs (an upsert's update triggers
/// read the records) and before the transaction ends.
#[derive(Default)]
struct Fresh {
    /// The largest id of each kind's table, as far as this transaction has written.
    max_id: std::collections::HashMap<Entity, Option<Uuid>>,
    /// Kinds with plain inserts whose derived rows are not added yet, and the mark before them.
    pending: Vec<(Entity, i64)>,
}

impl Fresh {
    /// Whether the record is new (and, if so, takes its id as the table's largest).
    fn is_new(&mut self, tx: &rusqlite::Transaction<'_>, entity: Entity, row: Uuid) -> Result<bool> {
        let max = match self.max_id.get(&entity) {
            Some(m) => *m,
            None => {
                let sql = format!("SELECT max(id) FROM {}", entity.ident());
                let m: Option<Vec<u8>> = tx.prepare_cached(&sql)?.query_row([], |r| r.get(0))?;
                m.map(|b| sql::blob_uuid(&b)).transpose()?
            }
        };
        let new = max.is_none_or(|m| row > m);
        self.max_id.insert(entity, if new { Some(row) } else { max });
        Ok(new)
    }

    /// Notes that plain inserts of `entity` are about to be written.
    fn before_inserts(&mut self, tx: &rusqlite::Transaction<'_>, entity: Entity) -> Result<()> {
        if derived::derives(entity) && !self.pending.iter().any(|(e, _)| *e == entity) {
            self.pending.push((entity, derived::mark(tx, entity)?));
        }
        Ok(())
    }

    /// Adds the derived tables' rows of the plain inserts written so far.
    fn flush(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        for (entity, mark) in self.pending.drain(..) {
            derived::add_new(tx, entity, mark)?;
        }
        Ok(())
    }
}

impl Store {
    /// Makes a parsed pulled page ready to write. Pure. A field this build does not know (a newer
    /// server) is skipped; a value of the wrong type is refused, and nothing of the page is written.
    /// (The sync reads pages from their JSON straight into this form: [`Store::read_pull`].)
    pub fn prepare_pull(page: &PullResponse) -> Result<PreparedPage> {
        let mut out = PreparedPage::new(page.rows.len(), page.rows.len() * 10, 0);
        for delta in &page.rows {
            let first = out.fields.len();
            out.push_values(delta.entity, first, &delta.fields)?;
            out.end_row(delta.entity, delta.row, first);
        }
        (out.cursor, out.more, out.head, out.max_hlc) = (page.cursor, page.more, page.head, page.max_hlc);
        Ok(out)
    }

    /// Writes a run of pulled records. New ones are inserted. Others are inserted when new, otherwise
    /// their fields set and their versions merged into the stored ones, inside SQLite; any record
    /// such an upsert inserts has its derived rows added right after. Records follow one another in
    /// the statement as they did in the page.
    fn write_run(upserts: &mut Upserts, tx: &rusqlite::Transaction<'_>, run: Run<'_>, fresh: &mut Fresh) -> Result<()> {
        let (entity, mask, new) = run.key;
        let table = entity.ident();
        let cols: Vec<&str> = (0..64u8).filter(|c| mask & 1 << c != 0).map(|c| column_name(entity, c)).collect();
        let n = cols.len() + 2;
        if new {
            fresh.before_inserts(tx, entity)?;
        } else {
            fresh.flush(tx)?;
        }
        let mut vals = run.vals.into_iter().map(Bound);
        let mut left = run.rows;
        let mut write = |upserts: &mut Upserts| -> Result<()> {
            while left > 0 {
                // Statements for runs of 1, 2, 4 … records only, so that a few are prepared and kept.
                let rows = 1usize << (usize::BITS - 1 - left.leading_zeros());
                let sql = upserts.entry((entity, mask, rows, new)).or_insert_with(|| {
                    let one = format!("({})", vec!["?"; n].join(", "));
                    let verb = if new { "INSERT OR ROLLBACK" } else { "INSERT" };
                    let insert = format!(
                        "{verb} INTO {table} ({}, _clock, id) VALUES {}",
                        cols.join(", "),
                        vec![one.as_str(); rows].join(", ")
                    );
                    if new {
                        return insert;
                    }
                    let sets: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                    format!(
                        "{insert} ON CONFLICT(id) DO UPDATE SET {}, \
                         _clock = clock_merge('{table}', {table}._clock, excluded._clock)",
                        sets.join(", ")
                    )
                });
                tx.prepare_cached(sql)?.execute(rusqlite::params_from_iter(vals.by_ref().take(rows * n)))?;
                left -= rows;
            }
            Ok(())
        };
        // Plain inserts' derived rows are added by `fresh`; an upsert's new records', right after it.
        if new {
            write(upserts)
        } else {
            derived::inserting(tx, entity, || write(upserts))
        }
    }

    /// Applies one pulled page and moves the cursor past it, in one transaction: a kill leaves either
    /// the whole page applied or none of it, and the next pull starts from the right place.
    pub fn apply_pull(&mut self, page: &PullResponse) -> Result<PullSummary> {
        self.apply_pulls(std::slice::from_ref(page))
    }

    /// Applies consecutive pulled pages, in order, in one transaction (see [`Store::apply_prepared`]).
    pub fn apply_pulls(&mut self, pages: &[PullResponse]) -> Result<PullSummary> {
        let prepared = pages.iter().map(Self::prepare_pull).collect::<Result<Vec<_>>>()?;
        self.apply_prepared(&prepared)
    }

    /// Applies consecutive prepared pages, in order, and moves the cursor past the last, in one
    /// transaction: a kill leaves all of them applied or none. A sync that has several pages in hand
    /// (an initial sync: the next pages arrive while one is written) writes them together, so the
    /// indexes' pages are written out once rather than once a page.
    pub fn apply_prepared(&mut self, pages: &[PreparedPage]) -> Result<PullSummary> {
        let mut sum = PullSummary::default();
        let Some(last) = pages.last() else { return Ok(sum) };
        let tx = crate::write_tx(&mut self.conn)?;
        let acked = meta::get_i64(&tx, ACKED)?;
        let pending: HashSet<(Uuid, String)> = {
            let mut stmt = tx.prepare_cached("SELECT row_id, field FROM change_log WHERE seq > ?1")?;
            let mut rows = stmt.query([acked])?;
            let mut set = HashSet::new();
            while let Some(r) = rows.next()? {
                set.insert((sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?, r.get::<_, String>(1)?));
            }
            set
        };
        let mut fresh = Fresh::default();
        for page in pages {
            Self::apply_page(&mut self.upserts, &tx, page, &pending, &mut fresh, &mut sum)?;
            self.clock.observe(page.max_hlc, zoufang_sync::hlc::now_ms());
        }
        fresh.flush(&tx)?;
        meta::set(&tx, CURSOR, &last.cursor.to_string())?;
        meta::set(&tx, HLC_SEEN, &self.clock.last().0.to_string())?;
        tx.commit()?;
        Ok(sum)
    }

    /// Writes one page's records inside `tx`, leaving alone the fields with unsent local edits
    /// (`pending`).
    fn apply_page(
        upserts: &mut Upserts,
        tx: &rusqlite::Transaction<'_>,
        page: &PreparedPage,
        pending: &HashSet<(Uuid, String)>,
        fresh: &mut Fresh,
        sum: &mut PullSummary,
    ) -> Result<()> {
        // Records with the same kind and the same set of fields, one after another in the page (a first
        // sync is almost all of them), go into one multi-row statement: an insert when all are new.
        let bytes = page.bytes.as_slice();
        let mut run: Option<Run<'_>> = None;
        for r in &page.rows {
            let fields = &page.fields[r.first as usize..(r.first + r.len) as usize];
            let kept = |f: &PreparedField| {
                !take_pulled(!pending.is_empty() && pending.contains(&(r.row, column_name(r.entity, f.column).into())))
            };
            if fields.iter().any(kept) {
                // Some fields stay as this device has them: the others, and their versions, on their own,
                // in the page's order.
                if let Some(done) = run.take() {
                    Self::write_run(upserts, tx, done, fresh)?;
                }
                let taken: Vec<PreparedField> = fields.iter().filter(|f| !kept(f)).copied().collect();
                sum.kept_local += fields.len() - taken.len();
                if taken.is_empty() {
                    continue;
                }
                let mut own = Vec::new();
                let clock = write_clock(taken.iter(), &mut own);
                let mask = taken.iter().fold(0u64, |m, f| m | 1 << f.column);
                let mut one = Run::new((r.entity, mask, false));
                one.push(r.row, &taken, bytes, Slot::Blob(clock).value(&own), Slot::Blob(r.id).value(bytes));
                Self::write_run(upserts, tx, one, fresh)?;
                sum.rows += 1;
                sum.fields += taken.len();
                continue;
            }
            sum.rows += 1;
            sum.fields += fields.len();
            let key = (r.entity, r.mask, fresh.is_new(tx, r.entity, r.row)?);
            if run.as_ref().is_some_and(|run| !run.takes(key, r.row)) {
                Self::write_run(upserts, tx, run.take().expect("a run"), fresh)?;
            }
            run.get_or_insert_with(|| Run::new(key)).push(
                r.row,
                fields,
                bytes,
                Slot::Blob(r.clock).value(bytes),
                Slot::Blob(r.id).value(bytes),
            );
        }
        if let Some(r) = run.take() {
            Self::write_run(upserts, tx, r, fresh)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use zoufang_sync::RowDelta;

    const FIELDS: [&str; 4] = ["name", "code", "township", "county"];

    /// Village records pulled in pages: each delta names a record (0..4) and some of its fields; a
    /// record's first delta carries every field (as the server sends a new record).
    fn deltas() -> impl Strategy<Value = Vec<(u8, u8, u8)>> {
        proptest::collection::vec((0u8..4, 1u8..16, 0u8..3), 1..60)
    }

    fn pages(ops: &[(u8, u8, u8)], cuts: &[usize]) -> Vec<PullResponse> {
        let mut seen = HashSet::new();
        let rows: Vec<RowDelta> = ops
            .iter()
            .enumerate()
            .map(|(seq, &(row, mask, value))| {
                let mask = if seen.insert(row) { 0b1111 } else { mask };
                let fields = FIELDS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, f)| {
                        FieldValue(f.to_string(), serde_json::json!(format!("{f}{value}-{seq}")), seq as u64 + 1)
                    })
                    .collect();
                RowDelta { entity: Entity::Village, row: Uuid::from_u128(u128::from(row) + 1), fields }
            })
            .collect();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
        bounds.extend([0, rows.len()]);
        bounds.sort_unstable();
        bounds.dedup();
        bounds
            .windows(2)
            .map(|w| PullResponse {
                rows: rows[w[0]..w[1]].to_vec(),
                cursor: w[1] as u64,
                more: w[1] < rows.len(),
                head: rows.len() as u64,
                max_hlc: Default::default(),
            })
            .collect()
    }

    /// A village's id, name, code, township, county and versions as stored.
    type StoredVillage = (Vec<u8>, String, String, String, String, Vec<u8>);

    /// Every village's fields and versions as stored.
    fn stored(s: &Store) -> Vec<StoredVillage> {
        s.conn
            .prepare("SELECT id, name, code, township, county, _clock FROM village ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// A field this device edited and has not sent keeps its value and version through a pull; the
    /// record's other fields, and records before and after it in the page, are taken as pulled.
    #[test]
    fn an_unsent_edit_is_kept_and_everything_else_taken() {
        let mut s = Store::open_in_memory().unwrap();
        let id = Uuid::from_u128(1);
        let new = |name: &str, code: &str, seq: u64| RowDelta {
            entity: Entity::Village,
            row: id,
            fields: vec![
                FieldValue("name".into(), serde_json::json!(name), seq),
                FieldValue("code".into(), serde_json::json!(code), seq + 1),
            ],
        };
        let other = |n: u128, seq: u64| RowDelta {
            entity: Entity::Village,
            row: Uuid::from_u128(n),
            fields: vec![FieldValue("name".into(), serde_json::json!(format!("村{n}")), seq)],
        };
        let page = |rows: Vec<RowDelta>, cursor: u64| PullResponse {
            rows,
            cursor,
            more: false,
            head: cursor,
            max_hlc: Default::default(),
        };
        s.apply_pull(&page(vec![new("甲村", "001", 1)], 2)).unwrap();
        let mut patch = serde_json::Map::new();
        patch.insert("name".into(), serde_json::json!("甲村（本机）"));
        s.update(Entity::Village, id, &patch).unwrap();

        // The same record twice in the page, with others around it in one run.
        let sum = s
            .apply_pull(&page(vec![other(2, 3), new("乙村", "002", 4), other(3, 6), new("丙村", "003", 7)], 8))
            .unwrap();
        assert_eq!(sum, PullSummary { rows: 4, fields: 4, kept_local: 2 });
        let (name, code, clock): (String, String, Vec<u8>) = s
            .conn
            .query_row("SELECT name, code, _clock FROM village WHERE id = ?1", [sql::uuid_blob(id)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), code.as_str()), ("甲村（本机）", "003"));
        let clock = versions::decode(Entity::Village, ValueRef::Blob(&clock)).unwrap();
        assert_eq!(clock["code"], Version::Seq(8));
        assert!(matches!(clock["name"], Version::Local(_)), "{clock:?}");
        let others: Vec<String> = s
            .conn
            .prepare("SELECT name FROM village WHERE id <> ?1 ORDER BY id")
            .unwrap()
            .query_map([sql::uuid_blob(id)], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(others, ["村2", "村3"]);
    }

    /// Versions stored as JSON by an earlier build are read, pulled over and edited over: the record
    /// ends with the right versions, in the compact form.
    #[test]
    fn versions_stored_as_json_by_an_earlier_build_are_merged() {
        let mut s = Store::open_in_memory().unwrap();
        let id = Uuid::from_u128(1);
        let delta = |fields: Vec<FieldValue>| PullResponse {
            rows: vec![RowDelta { entity: Entity::Village, row: id, fields }],
            cursor: 9,
            more: false,
            head: 9,
            max_hlc: Default::default(),
        };
        s.apply_pull(&delta(vec![
            FieldValue("name".into(), serde_json::json!("甲村"), 1),
            FieldValue("code".into(), serde_json::json!("001"), 2),
        ]))
        .unwrap();
        s.conn
            .execute(r#"UPDATE village SET _clock = '{"code":2,"name":1}' WHERE id = ?1"#, [sql::uuid_blob(id)])
            .unwrap();
        s.apply_pull(&delta(vec![FieldValue("code".into(), serde_json::json!("002"), 5)])).unwrap();
        let stored = |s: &Store| -> sql::FieldClock {
            let b: Vec<u8> = s
                .conn
                .query_row("SELECT _clock FROM village WHERE id = ?1", [sql::uuid_blob(id)], |r| r.get(0))
                .unwrap();
            versions::decode(Entity::Village, ValueRef::Blob(&b)).unwrap()
        };
        assert_eq!(stored(&s), BTreeMap::from([("code".into(), Version::Seq(5)), ("name".into(), Version::Seq(1))]));

        s.conn
            .execute(r#"UPDATE village SET _clock = '{"code":5,"name":1}' WHERE id = ?1"#, [sql::uuid_blob(id)])
            .unwrap();
        let mut patch = serde_json::Map::new();
        patch.insert("name".into(), serde_json::json!("甲村（本机）"));
        s.update(Entity::Village, id, &patch).unwrap();
        let clock = stored(&s);
        assert_eq!(clock["code"], Version::Seq(5));
        assert!(matches!(clock["name"], Version::Local(_)), "{clock:?}");
    }

    proptest! {
        /// Pages applied one transaction each, all in one transaction, or as one page end the same,
        /// and each field holds the last value pulled for it (records repeated within one multi-row
        /// statement included).
        #[test]
        fn pages_applied_together_or_one_by_one_end_the_same(
            ops in deltas(),
            cuts in proptest::collection::vec(0usize..64, 0..6),
        ) {
            let paged = pages(&ops, &cuts);
            let mut one_by_one = Store::open_in_memory().unwrap();
            for p in &paged {
                one_by_one.apply_pull(p).unwrap();
            }
            let mut together = Store::open_in_memory().unwrap();
            together.apply_pulls(&paged).unwrap();
            let mut single = Store::open_in_memory().unwrap();
            single.apply_pull(&pages(&ops, &[])[0]).unwrap();
            prop_assert_eq!(stored(&one_by_one), stored(&together));
            prop_assert_eq!(stored(&one_by_one), stored(&single));
            prop_assert_eq!(together.cursor().unwrap(), ops.len() as u64);

            // The expected last value of every field.
            let mut expected: BTreeMap<(Uuid, &str), String> = BTreeMap::new();
            for p in &paged {
                for r in &p.rows {
                    for FieldValue(f, v, _) in &r.fields {
                        let f = FIELDS.iter().find(|x| *x == f).unwrap();
                        expected.insert((r.row, f), v.as_str().unwrap().to_string());
                    }
                }
            }
            for (id, name, code, township, county, _) in stored(&together) {
                let id = sql::blob_uuid(&id).unwrap();
                for (f, got) in FIELDS.iter().zip([name, code, township, county]) {
                    prop_assert_eq!(&expected[&(id, *f)], &got);
                }
            }
        }
    }
}
