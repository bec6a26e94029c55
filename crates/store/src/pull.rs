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

impl Store {
    /// Applies one pulled page and moves the cursor past it, in one transaction: a kill leaves either
    /// the whole page applied or none of it, and the next pull starts from the right place.
    pub fn apply_pull(&mut self, page: &PullResponse) -> Result<PullSummary> {
        let mut sum = PullSummary::default();
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
        for delta in &page.rows {
            let table = delta.entity.ident();
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
            let n = cols.len();
            vals.push(SqlValue::Text(sql::clock_json(&clock)));
            vals.push(sql::uuid_blob(delta.row));
            // One upsert per record; the versions merge into the stored ones inside SQLite.
            let mask = cols.iter().fold(0u64, |m, c| m | 1 << index(c));
            let q = self.upserts.entry((delta.entity, mask)).or_insert_with(|| {
                let marks: Vec<String> = (1..=n + 2).map(|i| format!("?{i}")).collect();
                let sets: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                format!(
                    "INSERT INTO {table} ({}, _clock, id) VALUES ({}) ON CONFLICT(id) DO UPDATE SET {}, \
                     _clock = json_patch({table}._clock, excluded._clock)",
                    cols.join(", "),
                    marks.join(", "),
                    sets.join(", ")
                )
            });
            tx.prepare_cached(q)?.execute(rusqlite::params_from_iter(vals))?;
        }
        meta::set(&tx, CURSOR, &page.cursor.to_string())?;
        self.clock.observe(page.max_hlc, zoufang_sync::hlc::now_ms());
        meta::set(&tx, HLC_SEEN, &self.clock.last().0.to_string())?;
        tx.commit()?;
        Ok(sum)
    }
}
