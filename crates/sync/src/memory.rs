//! An in-memory `Ledger`: the reference the property tests run the merge rules against, and a model of
//! what the SQL stores must do.

use crate::hlc::{Clock, Hlc};
use crate::merge::{FieldState, Ledger, Minter, Place};
use crate::protocol::{Change, FieldValue, RowDelta, Seq};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Entry {
    pub change: Change,
    pub place: Place,
    pub applied: bool,
    /// Still the current value of its field (served to pulls).
    pub live: bool,
}

#[derive(Debug, Default, Clone)]
pub struct MemoryLedger {
    pub log: Vec<Entry>,
    by_id: HashMap<Uuid, Seq>,
    current: BTreeMap<(Uuid, String), Seq>,
    open: BTreeMap<(Uuid, String), Uuid>,
}

impl MemoryLedger {
    fn state(&self, seq: Seq) -> FieldState {
        let c = &self.log[(seq - 1) as usize].change;
        FieldState { seq, change: c.id, value: c.value.clone(), hlc: c.hlc, device: c.device }
    }

    /// Live entries after `after`, grouped by consecutive record like the SQL stores serve them.
    pub fn pull(&self, after: Seq, limit: usize) -> (Vec<RowDelta>, Seq, bool) {
        let mut rows: Vec<RowDelta> = Vec::new();
        let mut cursor = after;
        let mut n = 0;
        for (i, e) in self.log.iter().enumerate().skip(after as usize) {
            let seq = i as Seq + 1;
            if n == limit {
                return (rows, cursor, true);
            }
            cursor = seq;
            if !e.live {
                continue;
            }
            n += 1;
            let fv = FieldValue(e.change.field.clone(), e.change.value.clone(), seq);
            match rows.last_mut() {
                Some(r) if r.row == e.change.row => r.fields.push(fv),
                _ => rows.push(RowDelta { entity: e.change.entity, row: e.change.row, fields: vec![fv] }),
            }
        }
        (rows, cursor, false)
    }

    /// The current value of every field: what every replica must converge to.
    pub fn snapshot(&self) -> BTreeMap<(Uuid, String), serde_json::Value> {
        self.current.iter().map(|(k, s)| (k.clone(), self.log[(*s - 1) as usize].change.value.clone())).collect()
    }
}

impl Ledger for MemoryLedger {
    type Error = Infallible;

    fn known(&mut self, change: Uuid) -> Result<Option<Seq>, Infallible> {
        Ok(self.by_id.get(&change).copied())
    }

    fn current(&mut self, row: Uuid, field: &str) -> Result<Option<FieldState>, Infallible> {
        Ok(self.current.get(&(row, field.to_string())).map(|s| self.state(*s)))
    }

    fn row_state(&mut self, row: Uuid) -> Result<Vec<(String, FieldState)>, Infallible> {
        let lo = (row, String::new());
        Ok(self
            .current
            .range(lo..)
            .take_while(|((r, _), _)| *r == row)
            .map(|((_, f), s)| (f.clone(), self.state(*s)))
            .collect())
    }

    fn open_conflict(&mut self, row: Uuid, field: &str) -> Result<Option<Uuid>, Infallible> {
        Ok(self.open.get(&(row, field.to_string())).copied())
    }

    fn set_open_conflict(&mut self, row: Uuid, field: &str, conflict: Option<Uuid>) -> Result<(), Infallible> {
        match conflict {
            Some(c) => self.open.insert((row, field.to_string()), c),
            None => self.open.remove(&(row, field.to_string())),
        };
        Ok(())
    }

    fn author(&mut self, device: Uuid) -> Result<String, Infallible> {
        Ok(format!("设备{}", &device.simple().to_string()[..6]))
    }

    fn append(&mut self, change: &Change, place: Place, applied: bool) -> Result<Seq, Infallible> {
        let seq = self.log.len() as Seq + 1;
        if applied {
            if let Some(old) = self.current.insert((change.row, change.field.clone()), seq) {
                self.log[(old - 1) as usize].live = false;
            }
        }
        self.log.push(Entry { change: change.clone(), place, applied, live: applied });
        self.by_id.insert(change.id, seq);
        Ok(seq)
    }
}

/// Deterministic ids and clock for tests and the reference.
#[derive(Debug, Default)]
pub struct CountingMinter {
    pub server: Uuid,
    n: u128,
    clock: Clock,
}

impl CountingMinter {
    pub fn new(server: Uuid) -> Self {
        CountingMinter { server, ..Default::default() }
    }
}

impl Minter for CountingMinter {
    fn server_device(&self) -> Uuid {
        self.server
    }

    fn next_id(&mut self) -> Uuid {
        self.n += 1;
        Uuid::from_u128((0xffff_u128 << 112) | self.n)
    }

    fn tick(&mut self) -> Hlc {
        self.clock.tick(0)
    }
}
