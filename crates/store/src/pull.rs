//! Applying pulled pages: the server's current values for records in this device's scope.

use crate::error::Result;
use crate::meta::{self, ACKED, CURSOR, HLC_SEEN};
use crate::sql;
use crate::Store;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;
use zoufang_sync::replica::take_pulled;
use zoufang_sync::{FieldValue, PullResponse, Version};

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

/// Prepared upsert statements' text by kind of record, set of fields (a bit mask) and number of records.
pub(crate) type Upserts = std::collections::HashMap<(zoufang_model::Entity, u64, usize), String>;

/// Consecutive pulled records of one kind with the same fields, written by one statement.
struct Run {
    key: (zoufang_model::Entity, u64),
    cols: Vec<&'static str>,
    vals: Vec<SqlValue>,
    rows: usize,
    /// Most records one statement takes (SQLite binds at most 32,766 parameters).
    max: usize,
}

impl Run {
    fn new(key: (zoufang_model::Entity, u64), cols: Vec<&'static str>) -> Run {
        let max = (32_766 / (cols.len() + 2)).clamp(1, 256);
        Run { key, cols, vals: Vec::new(), rows: 0, max }
    }
}

impl Store {
    /// Writes a run of pulled records: inserted when new, otherwise their fields set and their
    /// versions merged into the stored ones, inside SQLite. Records follow one another in the
    /// statement as they did in the page, so a record twice in a run ends as its last delta says.
    fn upsert(upserts: &mut Upserts, tx: &rusqlite::Transaction<'_>, run: Run) -> Result<()> {
        let (entity, mask) = run.key;
        let table = entity.ident();
        let n = run.cols.len() + 2;
        let mut vals = run.vals.into_iter();
        let mut left = run.rows;
        while left > 0 {
            // Statements for runs of 1, 2, 4 … records only, so that a few are prepared and kept.
            let rows = 1usize << (usize::BITS - 1 - left.leading_zeros());
            let sql = upserts.entry((entity, mask, rows)).or_insert_with(|| {
                let one = format!("({})", vec!["?"; n].join(", "));
                let sets: Vec<String> = run.cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                format!(
                    "INSERT INTO {table} ({}, _clock, id) VALUES {} ON CONFLICT(id) DO UPDATE SET {}, \
                     _clock = json_patch({table}._clock, excluded._clock)",
                    run.cols.join(", "),
                    vec![one.as_str(); rows].join(", "),
                    sets.join(", ")
                )
            });
            tx.prepare_cached(sql)?.execute(rusqlite::params_from_iter(vals.by_ref().take(rows * n)))?;
            left -= rows;
        }
        Ok(())
    }

    /// Applies one pulled page and moves the cursor past it, in one transaction: a kill leaves either
    /// the whole page applied or none of it, and the next pull starts from the right place.
    pub fn apply_pull(&mut self, page: &PullResponse) -> Result<PullSummary> {
        self.apply_pulls(std::slice::from_ref(page))
    }

    /// Applies consecutive pulled pages, in order, and moves the cursor past the last, in one
    /// transaction: a kill leaves all of them applied or none. A sync that has several pages in hand
    /// (an initial sync: the next pages arrive while one is written) writes them together, so the
    /// indexes' pages are written out once rather than once a page.
    pub fn apply_pulls(&mut self, pages: &[PullResponse]) -> Result<PullSummary> {
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
        for page in pages {
            Self::apply_page(&mut self.upserts, &tx, page, &pending, &mut sum)?;
            self.clock.observe(page.max_hlc, zoufang_sync::hlc::now_ms());
        }
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
        page: &PullResponse,
        pending: &HashSet<(Uuid, String)>,
        sum: &mut PullSummary,
    ) -> Result<()> {
        // Records with the same kind and the same set of fields, one after another in the page (a first
        // sync is almost all of them), go into one multi-row upsert.
        let mut run: Option<Run> = None;
        for delta in &page.rows {
            let mut clock = sql::FieldClock::new();
            let mut cols: Vec<&'static str> = Vec::with_capacity(delta.fields.len());
            let mut vals: Vec<SqlValue> = Vec::with_capacity(delta.fields.len() + 2);
            for FieldValue(field, value, seq) in &delta.fields {
                // A field this build does not know (a newer server) is skipped, not fatal.
                let Some(def) = delta.entity.field(field) else { continue };
                if !take_pulled(!pending.is_empty() && pending.contains(&(delta.row, field.clone()))) {
                    sum.kept_local += 1;
                    continue;
                }
                if let Some(i) = cols.iter().position(|c| *c == def.name) {
                    cols.remove(i);
                    vals.remove(i);
                }
                cols.push(def.name);
                vals.push(sql::to_sql(def, value)?);
                clock.insert(def.name.to_string(), Version::Seq(*seq));
                sum.fields += 1;
            }
            if cols.is_empty() {
                continue;
            }
            sum.rows += 1;
            // Canonical column order (schema order), so one statement serves every record with these columns.
            let index = |c: &str| delta.entity.fields().iter().position(|d| d.name == c).unwrap_or(63);
            let mut pairs: Vec<(&'static str, SqlValue)> = cols.into_iter().zip(vals).collect();
            pairs.sort_by_key(|(c, _)| index(c));
            let (cols, mut vals): (Vec<&'static str>, Vec<SqlValue>) = pairs.into_iter().unzip();
            vals.push(SqlValue::Text(sql::clock_json(&clock)));
            vals.push(sql::uuid_blob(delta.row));
            let mask = cols.iter().fold(0u64, |m, c| m | 1 << index(c));
            let key = (delta.entity, mask);
            if run.as_ref().is_some_and(|r| r.key != key || r.rows == r.max) {
                Self::upsert(upserts, tx, run.take().expect("a run"))?;
            }
            let r = run.get_or_insert_with(|| Run::new(key, cols.clone()));
            r.vals.extend(vals);
            r.rows += 1;
        }
        if let Some(r) = run.take() {
            Self::upsert(upserts, tx, r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use zoufang_model::Entity;
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

    /// Every village's fields and versions as stored.
    fn stored(s: &Store) -> Vec<(Vec<u8>, String, String, String, String, String)> {
        s.conn
            .prepare("SELECT id, name, code, township, county, _clock FROM village ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
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
