//! Importing a roster into the device store in three steps: read and check every row as the file is
//! streamed, check across rows (households whole, duplicates, villages), and only then create or
//! bring up to date the households and members in batches (each batch one transaction with its
//! change-log entries). A household is matched by village and 户编号, a member by 身份证号 (or name
//! when it has none), and only fields that differ are written, so importing the same file again
//! changes nothing.
//!
//! Rules, and why:
//! - Nothing is written before the whole file has been read and checked: a file that turns out to be
//!   unreadable, too wide or too long half-way leaves the device as it was.
//! - What is kept while checking is the typed rows, so memory follows the rows with content, never the
//!   sheet's claimed size. The refused rows' cells for the report are read again from the file (which
//!   is in memory anyway) once the refusals are known, rather than every row's cells kept.

use crate::columns::{find_header, Header};
use crate::plan::{household_fields, plan, PlannedHousehold, RowError};
use crate::read::for_each_row;
use crate::rows::{parse_row, ParsedRow, RosterRow};
use crate::{OfficeError, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Instant;
use uuid::Uuid;
use zoufang_model::{Entity, Record};
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
    /// 0 while reading: how many rows a file holds is known only at its end.
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
    /// Households refused whole (one of their rows was wrong).
    pub households_rejected: usize,
    pub households: usize,
    pub households_created: usize,
    pub households_updated: usize,
    pub members_created: usize,
    pub members_updated: usize,
    /// 帮扶责任人 added to the register from the file's names (households are linked to them).
    #[serde(default)]
    pub helpers_created: usize,
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

/// Rows looked at for the header: it may sit under a title and rows of merged group headers.
const HEADER_ROWS: usize = 15;

/// The file as it is being read: the first rows until the header is found, then every data row
/// checked as it arrives.
struct Reading<'p> {
    today: NaiveDate,
    first: Vec<(usize, Vec<String>)>,
    header: Option<(Header, Vec<String>)>,
    parsed: Vec<ParsedRow>,
    progress: &'p mut dyn FnMut(ImportProgress),
}

impl Reading<'_> {
    fn push(&mut self, row: usize, cells: Vec<String>) -> Result<()> {
        if self.header.is_none() {
            self.first.push((row, cells));
            if self.first.len() == HEADER_ROWS {
                self.settle()?;
            }
            return Ok(());
        }
        self.check(row, cells);
        Ok(())
    }

    /// Finds the header among the first rows and checks the rows after it.
    fn settle(&mut self) -> Result<()> {
        let first = std::mem::take(&mut self.first);
        let texts: Vec<Vec<String>> = first.iter().map(|(_, c)| c.clone()).collect();
        let header = find_header(&texts).ok_or(OfficeError::NoHeader)?;
        let at = header.row;
        let mut rows = first.into_iter().skip(at);
        let (_, header_cells) = rows.next().expect("the header is among the first rows");
        self.header = Some((header, header_cells));
        for (row, cells) in rows {
            self.check(row, cells);
        }
        Ok(())
    }

    fn check(&mut self, row: usize, cells: Vec<String>) {
        let (header, _) = self.header.as_ref().expect("checked after the header");
        self.parsed.push(parse_row(header, &cells, row, self.today));
        if self.parsed.len().is_multiple_of(2000) {
            (self.progress)(ImportProgress { phase: 1, done: self.parsed.len(), total: 0 });
        }
    }
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

/// Imports a roster file. Returns what was done and, when rows were refused, the refused rows for the
/// rejection report.
pub fn import_roster(
    store: &mut Store,
    file_name: &str,
    bytes: Vec<u8>,
    today: NaiveDate,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<(ImportSummary, Option<Rejections>)> {
    let started = Instant::now();
    let mut reading = Reading { today, first: Vec::new(), header: None, parsed: Vec::new(), progress };
    for_each_row(file_name, &bytes, &mut |row, cells| reading.push(row, cells))?;
    if reading.header.is_none() {
        if reading.first.is_empty() {
            return Err(OfficeError::Empty);
        }
        reading.settle()?;
    }
    let Reading { header, parsed, progress, .. } = reading;
    let header_cells = header.map(|(_, cells)| cells).unwrap_or_default();
    if parsed.is_empty() {
        return Err(OfficeError::Empty);
    }

    let villages: HashMap<String, Uuid> = store.villages()?.into_iter().map(|v| (v.name, v.id)).collect();
    let known_ids: HashMap<String, (Uuid, String)> =
        store.member_id_numbers()?.into_iter().map(|(id, v, no)| (id, (v, no))).collect();
    let p = plan(&parsed, &villages, &known_ids, today);
    drop(known_ids);
    // The households already here, by village and 户编号; each is loaded when the file names it.
    let existing: HashMap<(Uuid, String), Uuid> =
        store.household_keys()?.into_iter().map(|(village, no, id)| ((village, no), id)).collect();

    let mut s = ImportSummary { rows: p.rows, households_rejected: p.households_rejected, ..Default::default() };
    let mut ops: Vec<WriteOp> = Vec::new();
    let count = p.households.len();
    for (n, h) in p.households.iter().enumerate() {
        let PlannedHousehold { village_id, household_no, rows } = h;
        let read: Vec<&RosterRow> = rows.iter().filter_map(|&i| parsed[i].read.as_ref().ok()).collect();
        let (fields, members) = household_fields(*village_id, household_no, &read);
        let current = match existing.get(&(*village_id, household_no.clone())) {
            Some(id) => store.household(*id)?,
            None => None,
        };
        match current {
            Some(current) => {
                let mut patch = diff(&fields, &current.to_fields());
                // Another helper named in the file: the household leaves the register's helper and is
                // linked again, by the new name, below.
                if current.helper_id.is_some()
                    && (patch.contains_key("helper_name") || patch.contains_key("helper_phone"))
                {
                    patch.insert("helper_id".into(), Value::Null);
                }
                if !patch.is_empty() {
                    ops.push(WriteOp::Update(Entity::Household, current.id, patch));
                    s.households_updated += 1;
                }
                let stored = store.members_of(current.id)?;
                for m in members {
                    let id = m.get("id_number").and_then(Value::as_str);
                    let name = m.get("name").and_then(Value::as_str);
                    let found = stored.iter().find(|x| match id {
                        Some(id) => x.id_number.as_ref().map(|i| i.as_str()) == Some(id),
                        None => x.id_number.is_none() && Some(x.name.as_str()) == name,
                    });
                    match found {
                        Some(x) => {
                            let patch = diff(&m, &x.to_fields());
                            if !patch.is_empty() {
                                ops.push(WriteOp::Update(Entity::Member, x.id, patch));
                                s.members_updated += 1;
                            }
                        }
                        None => {
                            let mut f = m;
                            f.insert("household_id".into(), Value::from(current.id.to_string()));
                            ops.push(WriteOp::Create(Entity::Member, Uuid::now_v7(), f));
                            s.members_created += 1;
                        }
                    }
                }
            }
            None => {
                let hid = Uuid::now_v7();
                ops.push(WriteOp::Create(Entity::Household, hid, fields));
                s.households_created += 1;
                for mut f in members {
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
    // The helpers the file names join the register, and their households are linked to them.
    s.helpers_created = store.link_helpers(None)?.created as usize;
    progress(ImportProgress { phase: 2, done: count, total: count });
    s.rows_rejected = p.rejected_rows();
    s.rows_imported = s.rows - s.rows_rejected;
    let report = if p.rejected.is_empty() {
        None
    } else {
        let refused: std::collections::HashSet<usize> = p.rejected.iter().map(|e| e.row).collect();
        let mut originals = HashMap::new();
        for_each_row(file_name, &bytes, &mut |row, cells| {
            if refused.contains(&row) {
                originals.insert(row, cells);
            }
            Ok(())
        })?;
        Some(Rejections { header: header_cells, rejected: p.rejected.clone(), originals })
    };
    s.rejected = p.rejected;
    s.millis = started.elapsed().as_millis() as u64;
    Ok((s, report))
}
