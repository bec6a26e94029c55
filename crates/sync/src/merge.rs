//! The server's merge rules, written once against the `Ledger` trait so that the SQLite and PostgreSQL
//! stores and the in-memory reference all decide exactly alike.
//!
//! - A change based on the field's current version fast-forwards.
//! - A change based on an older version with a different value is a concurrent edit: the higher
//!   (clock, device) wins deterministically, and a Conflict record keeps every side for a person to decide.
//!   All concurrent edits of one field join the one open conflict of that field.
//! - The same value written concurrently is no conflict.
//! - A delete made without having seen every edit of the record, or an edit of a deleted record, opens a
//!   conflict on the record's `deleted` field; the tombstone stands and the edit is kept, so nothing is lost.
//! - A change seen before (same id) changes nothing.
//! - Conflict bookkeeping itself never conflicts (last writer wins); the data field carries the conflict.

use crate::hlc::Hlc;
use crate::protocol::{Change, Current, Seq, Version};
use serde_json::Value;
use uuid::Uuid;
use zoufang_model::{Candidate, ConflictStatus, Entity, DELETED};

/// The current value of a field on the server.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub seq: Seq,
    /// The change that wrote it.
    pub change: Uuid,
    pub value: Value,
    pub hlc: Hlc,
    pub device: Uuid,
}

impl FieldState {
    /// Whether an edit based on `v` was made on this value.
    pub fn matches(&self, v: &Version) -> bool {
        match v {
            Version::Seq(s) => *s == self.seq,
            Version::Local(id) => *id == self.change,
        }
    }

    fn rank(&self) -> (Hlc, Uuid) {
        (self.hlc, self.device)
    }

    pub fn current(&self) -> Current {
        Current { value: self.value.clone(), seq: self.seq }
    }
}

/// Where a log entry belongs: the village that scopes it, and the kind of record whose readers may
/// read it (the record's own kind; for a conflict, the kind of the record the conflict is about, so that
/// a conflict over a 暗访 inspection reaches no one who may not read the inspection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub village: Uuid,
    pub about: Entity,
}

impl Place {
    /// An entry about the record it is written to.
    pub fn of(entity: Entity, village: Uuid) -> Place {
        Place { village, about: entity }
    }
}

/// Server state the merge rules read and write. Implementations do the IO; the rules stay pure.
pub trait Ledger {
    type Error;
    /// The log position of a change already recorded.
    fn known(&mut self, change: Uuid) -> Result<Option<Seq>, Self::Error>;
    fn current(&mut self, row: Uuid, field: &str) -> Result<Option<FieldState>, Self::Error>;
    /// Every current field of a record.
    fn row_state(&mut self, row: Uuid) -> Result<Vec<(String, FieldState)>, Self::Error>;
    fn open_conflict(&mut self, row: Uuid, field: &str) -> Result<Option<Uuid>, Self::Error>;
    fn set_open_conflict(&mut self, row: Uuid, field: &str, conflict: Option<Uuid>) -> Result<(), Self::Error>;
    /// The enrolled name of a device, for conflict records.
    fn author(&mut self, device: Uuid) -> Result<String, Self::Error>;
    /// Records a change in the log where `place` says. When `applied`, it becomes the field's current
    /// value and the previous current entry stops being served to pulls.
    fn append(&mut self, change: &Change, place: Place, applied: bool) -> Result<Seq, Self::Error>;
}

/// Ids and clock readings for the records the server writes itself.
pub trait Minter {
    fn server_device(&self) -> Uuid;
    fn next_id(&mut self) -> Uuid;
    fn tick(&mut self) -> Hlc;
}

/// What applying one change did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Applied { seq: Seq },
    Superseded { seq: Seq, current: FieldState },
    Duplicate { seq: Seq, current: Option<FieldState> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub outcome: Outcome,
    /// The conflict this change opened or joined.
    pub conflict: Option<Uuid>,
}

fn candidate<L: Ledger>(
    ledger: &mut L,
    change: Uuid,
    value: &Value,
    device: Uuid,
    hlc: Hlc,
) -> Result<Candidate, L::Error> {
    Ok(Candidate { change, value: value.clone(), device, author: ledger.author(device)?, at: hlc.to_rfc3339() })
}

/// Applies one validated, in-scope change, logged where `place` says. Any conflict it opens is scoped
/// to the same village and readable by those who read the record it is about.
pub fn apply<L: Ledger, M: Minter>(
    ledger: &mut L,
    minter: &mut M,
    change: &Change,
    place: Place,
) -> Result<Applied, L::Error> {
    let village = place.village;
    if let Some(seq) = ledger.known(change.id)? {
        let current = ledger.current(change.row, &change.field)?;
        return Ok(Applied { outcome: Outcome::Duplicate { seq, current }, conflict: None });
    }
    let cur = ledger.current(change.row, &change.field)?;
    let concurrent = match (&change.base, &cur) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(b), Some(c)) => !c.matches(b),
    };
    let bookkeeping = change.entity == Entity::Conflict;
    let (applied, field_conflict) = match &cur {
        Some(c) if concurrent => {
            if c.value == change.value {
                (false, false)
            } else {
                let wins = (change.hlc, change.device) > c.rank();
                (wins || bookkeeping, !bookkeeping)
            }
        }
        _ => (true, false),
    };

    // Deletes and edits of deleted records.
    let mut delete_conflict: Vec<Candidate> = Vec::new();
    if !bookkeeping {
        if change.field == DELETED {
            if applied && change.value == Value::Bool(true) {
                let seen = change.seen.clone().unwrap_or_default();
                for (field, st) in ledger.row_state(change.row)? {
                    if field == DELETED || st.device == change.device {
                        continue;
                    }
                    if !seen.get(&field).is_some_and(|v| st.matches(v)) {
                        delete_conflict.push(candidate(
                            ledger,
                            st.change,
                            &serde_json::json!({ "field": field, "value": st.value }),
                            st.device,
                            st.hlc,
                        )?);
                    }
                }
                if !delete_conflict.is_empty() {
                    delete_conflict
                        .insert(0, candidate(ledger, change.id, &Value::Bool(true), change.device, change.hlc)?);
                }
            }
        } else if let Some(del) = ledger.current(change.row, DELETED)? {
            if del.value == Value::Bool(true) {
                delete_conflict.push(candidate(ledger, del.change, &Value::Bool(true), del.device, del.hlc)?);
                delete_conflict.push(candidate(
                    ledger,
                    change.id,
                    &serde_json::json!({ "field": change.field, "value": change.value }),
                    change.device,
                    change.hlc,
                )?);
            }
        }
    }

    let seq = ledger.append(change, place, applied)?;

    if bookkeeping && applied && change.field == "status" && change.value == ConflictStatus::Resolved.ident() {
        let row =
            ledger.current(change.row, "row_id")?.and_then(|s| s.value.as_str().and_then(|s| Uuid::parse_str(s).ok()));
        let field = ledger.current(change.row, "field")?.and_then(|s| s.value.as_str().map(str::to_string));
        if let (Some(row), Some(field)) = (row, field) {
            if ledger.open_conflict(row, &field)? == Some(change.row) {
                ledger.set_open_conflict(row, &field, None)?;
            }
        }
    }

    let mut conflict = None;
    if field_conflict {
        let c = cur.as_ref().expect("a concurrent edit has a current value");
        let winner = if applied { change.id } else { c.change };
        let cands = vec![
            candidate(ledger, c.change, &c.value, c.device, c.hlc)?,
            candidate(ledger, change.id, &change.value, change.device, change.hlc)?,
        ];
        conflict =
            Some(open_or_join(ledger, minter, change.entity, change.row, &change.field, cands, winner, village)?);
    }
    if !delete_conflict.is_empty() {
        let winner = ledger.current(change.row, DELETED)?.map(|s| s.change).unwrap_or(change.id);
        conflict =
            Some(open_or_join(ledger, minter, change.entity, change.row, DELETED, delete_conflict, winner, village)?);
    }

    let outcome = if applied {
        Outcome::Applied { seq }
    } else {
        Outcome::Superseded { seq, current: cur.expect("superseded only by a current value") }
    };
    Ok(Applied { outcome, conflict })
}

#[allow(clippy::too_many_arguments)]
fn open_or_join<L: Ledger, M: Minter>(
    ledger: &mut L,
    minter: &mut M,
    entity: Entity,
    row: Uuid,
    field: &str,
    new: Vec<Candidate>,
    winner: Uuid,
    village: Uuid,
) -> Result<Uuid, L::Error> {
    let emit = |ledger: &mut L, minter: &mut M, cid: Uuid, f: &str, value: Value| -> Result<(), L::Error> {
        let base = ledger.current(cid, f)?.map(|s| Version::Seq(s.seq));
        let c = Change {
            id: minter.next_id(),
            entity: Entity::Conflict,
            row: cid,
            field: f.to_string(),
            value,
            hlc: minter.tick(),
            device: minter.server_device(),
            base,
            seen: None,
            chain: None,
        };
        ledger.append(&c, Place { village, about: entity }, true).map(|_| ())
    };
    if let Some(cid) = ledger.open_conflict(row, field)? {
        let mut cands: Vec<Candidate> =
            ledger.current(cid, "candidates")?.and_then(|s| serde_json::from_value(s.value).ok()).unwrap_or_default();
        let before = cands.len();
        for c in new {
            if !cands.iter().any(|x| x.change == c.change) {
                cands.push(c);
            }
        }
        if cands.len() != before {
            emit(ledger, minter, cid, "candidates", serde_json::to_value(&cands).unwrap_or(Value::Null))?;
        }
        if ledger.current(cid, "winner")?.map(|s| s.value) != Some(Value::from(winner.to_string())) {
            emit(ledger, minter, cid, "winner", Value::from(winner.to_string()))?;
        }
        return Ok(cid);
    }
    let cid = minter.next_id();
    let opened = minter.tick();
    let fields: [(&str, Value); 8] = [
        ("village_id", Value::from(village.to_string())),
        ("entity", Value::from(entity.ident())),
        ("row_id", Value::from(row.to_string())),
        ("field", Value::from(field)),
        ("candidates", serde_json::to_value(&new).unwrap_or(Value::Null)),
        ("winner", Value::from(winner.to_string())),
        ("opened_at", Value::from(opened.to_rfc3339())),
        ("status", Value::from(ConflictStatus::Open.ident())),
    ];
    for (f, v) in fields {
        emit(ledger, minter, cid, f, v)?;
    }
    ledger.set_open_conflict(row, field, Some(cid))?;
    Ok(cid)
}
