//! Importing a roster into the device store: read, check every row, then create or bring up to date the
//! households and members in batches (each batch one transaction with its change-log entries). A
//! household is matched by village and 户编号, a member by 身份证号 (or name when it has none), and only
//! fields that differ are written, so importing the same file again changes nothing.

use crate::columns::find_header;
use crate::plan::{plan, PlannedHousehold, RowError};
use crate::read::{read, Sheet};
use crate::rows::parse_row;
use crate::{OfficeError, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Instant;
use uuid::Uuid;
use zoufang_model::schema::validate_new;
use zoufang_model::{Entity, Household, Member, Record};
use zoufang_store::{Store, WriteOp};

/// Records written per transaction.
const BATCH_OPS: usize = 4000;

/// Where an import is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportProgress {
    /// 1 reading and checking rows, 2 writing households.
    pub phase: u8,
    pub done: usize,
    pub total: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportSummary {
    /// Data rows read (one per member).
    pub rows: usize,
    pub rows_imported: usize,
    pub rows_rejected: usize,
    pub households: usize,
    pub households_created: usize,
    pub households_updated: usize,
    pub members_created: usize,
    pub members_updated: usize,
    pub rejected: Vec<RowError>,
    pub millis: u64,
}

impl ImportSummary {
    /// True when the import wrote nothing (e.g. the same file again).
    pub fn changed_nothing(&self) -> bool {
        self.households_created + self.households_updated + self.members_created + self.members_updated == 0
    }
}

/// The fields of `planned` that differ from `current`.
fn diff(planned: &Map<String, Value>, current: &Map<String, Value>) -> Map<String, Value> {
    planned
        .iter()
        .filter(|(k, v)| {
            let now = current.get(*k).unwrap_or(&Value::Null);
            // An empty list and no list are the same set.
            !(now == *v || (now.is_null() && v.as_array().is_some_and(|a| a.is_empty())))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The sheet's data rows with their spreadsheet row numbers (blank rows left out).
fn data_rows(sheet: &Sheet, header_row: usize) -> Vec<(usize, &Vec<String>)> {
    sheet
        .rows
        .iter()
        .enumerate()
        .skip(header_row + 1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| (sheet.first_row + i, r))
        .collect()
}

/// The rows an import refused, held in memory (never written to the device) until the person saves
/// the report where they choose, or leaves the screen.
#[derive(Debug, Clone)]
pub struct Rejections {
    header: Vec<String>,
    rejected: Vec<RowError>,
    originals: HashMap<usize, Vec<String>>,
}

impl Rejections {
    /// The report as .xlsx: row, column, reason, then the row as it was in the file. 身份证号 are masked
    /// as the app's lists show them unless `full_ids` (the person asked for the full numbers to correct
    /// them).
    pub fn xlsx(&self, full_ids: bool) -> Result<Vec<u8>> {
        crate::export::rejections_xlsx(&self.rejected, &self.header, &self.originals, full_ids)
    }

    /// How many rows were refused.
    pub fn rows(&self) -> usize {
        self.originals.len()
    }
}

/// Imports a roster file. Returns what was done and, when rows were refused, the rejection report as
/// .xlsx bytes (row, column, reason and the row as it was).
pub fn import_roster(
    store: &mut Store,
    file_name: &str,
    bytes: Vec<u8>,
    today: NaiveDate,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<(ImportSummary, Option<Rejections>)> {
    let started = Instant::now();
    let sheet = read(file_name, bytes)?;
    let header = find_header(&sheet.rows).ok_or(OfficeError::NoHeader)?;
    let rows = data_rows(&sheet, header.row);
    if rows.is_empty() {
        return Err(OfficeError::Empty);
    }
    let total = rows.len();
    let mut parsed = Vec::with_capacity(total);
    for (n, (row, cells)) in rows.iter().enumerate() {
        parsed.push(parse_row(&header, cells, *row, today));
        if n % 2000 == 0 {
            progress(ImportProgress { phase: 1, done: n, total });
        }
    }

    let villages: HashMap<String, Uuid> = store.villages()?.into_iter().map(|v| (v.name, v.id)).collect();
    let households: Vec<Household> = store.all_households()?;
    let members: Vec<Member> = store.all_members()?;
    let by_id: HashMap<Uuid, &Household> = households.iter().map(|h| (h.id, h)).collect();
    let mut known_ids = HashMap::new();
    let mut members_of: HashMap<Uuid, Vec<&Member>> = HashMap::new();
    for m in &members {
        members_of.entry(m.household_id).or_default().push(m);
        if let (Some(id), Some(h)) = (&m.id_number, by_id.get(&m.household_id)) {
            known_ids.insert(id.to_string(), (h.village_id, h.household_no.clone()));
        }
    }
    let existing: HashMap<(Uuid, &str), &Household> =
        households.iter().map(|h| ((h.village_id, h.household_no.as_str()), h)).collect();

    let mut p = plan(parsed, &villages, &known_ids);
    let mut s = ImportSummary { rows: p.rows, ..Default::default() };
    let mut ops: Vec<WriteOp> = Vec::new();
    let planned = std::mem::take(&mut p.households);
    let count = planned.len();
    for (n, h) in planned.into_iter().enumerate() {
        let PlannedHousehold { village_id, household_no, mut fields, members } = h;
        match existing.get(&(village_id, household_no.as_str())) {
            Some(current) => {
                let patch = diff(&fields, &current.to_fields());
                if !patch.is_empty() {
                    ops.push(WriteOp::Update(Entity::Household, current.id, patch));
                    s.households_updated += 1;
                }
                let stored = members_of.get(&current.id).map(Vec::as_slice).unwrap_or(&[]);
                for m in members {
                    let id = m.fields.get("id_number").and_then(Value::as_str);
                    let name = m.fields.get("name").and_then(Value::as_str);
                    let found = stored.iter().find(|x| match id {
                        Some(id) => x.id_number.as_ref().map(|i| i.as_str()) == Some(id),
                        None => x.id_number.is_none() && Some(x.name.as_str()) == name,
                    });
                    match found {
                        Some(x) => {
                            let patch = diff(&m.fields, &x.to_fields());
                            if !patch.is_empty() {
                                ops.push(WriteOp::Update(Entity::Member, x.id, patch));
                                s.members_updated += 1;
                            }
                        }
                        None => {
                            let mut f = m.fields;
                            f.insert("household_id".into(), Value::from(current.id.to_string()));
                            ops.push(WriteOp::Create(Entity::Member, Uuid::now_v7(), f));
                            s.members_created += 1;
                        }
                    }
                }
            }
            None => {
                fields.insert("village_id".into(), Value::from(village_id.to_string()));
                if let Err(e) = validate_new(Entity::Household, &fields, today) {
                    let column = Entity::Household.field(&e.field).map(|d| d.label).unwrap_or("户信息");
                    for m in &members {
                        p.rejected.push(RowError { row: m.row, column: column.into(), reason: e.message() });
                    }
                    continue;
                }
                let hid = Uuid::now_v7();
                ops.push(WriteOp::Create(Entity::Household, hid, fields));
                s.households_created += 1;
                for m in members {
                    let mut f = m.fields;
                    f.insert("household_id".into(), Value::from(hid.to_string()));
                    ops.push(WriteOp::Create(Entity::Member, Uuid::now_v7(), f));
                    s.members_created += 1;
                }
            }
        }
        s.households += 1;
        if ops.len() >= BATCH_OPS {
            store.write_all(&ops)?;
            ops.clear();
            progress(ImportProgress { phase: 2, done: n + 1, total: count });
        }
    }
    if !ops.is_empty() {
        store.write_all(&ops)?;
    }
    progress(ImportProgress { phase: 2, done: count, total: count });
    p.rejected.sort_by_key(|e| e.row);
    s.rows_rejected = {
        let mut r: Vec<usize> = p.rejected.iter().map(|e| e.row).collect();
        r.dedup();
        r.len()
    };
    s.rows_imported = s.rows - s.rows_rejected;
    let report = if p.rejected.is_empty() {
        None
    } else {
        let refused: std::collections::HashSet<usize> = p.rejected.iter().map(|e| e.row).collect();
        Some(Rejections {
            header: sheet.rows.get(header.row).cloned().unwrap_or_default(),
            rejected: p.rejected.clone(),
            originals: rows.iter().filter(|(r, _)| refused.contains(r)).map(|(r, c)| (*r, (*c).clone())).collect(),
        })
    };
    s.rejected = p.rejected;
    s.millis = started.elapsed().as_millis() as u64;
    Ok((s, report))
}
