//! Property tests of the merge rules: replicas with random offline edits and random sync orders always
//! converge, every concurrent edit of a field yields exactly one conflict, and any batch applied twice
//! changes nothing.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;
use zoufang_model::{Entity, DELETED};
use zoufang_sync::memory::{CountingMinter, MemoryLedger};
use zoufang_sync::replica::{take_pulled, take_push_result};
use zoufang_sync::*;

const FIELDS: [&str; 3] = ["head_name", "phone", "status"];

struct Replica {
    device: Uuid,
    clock: Clock,
    now: u64,
    n: u128,
    fields: BTreeMap<(Uuid, String), (Value, Version)>,
    outbox: Vec<Change>,
    cursor: Seq,
}

impl Replica {
    fn new(i: u8) -> Self {
        Replica {
            device: Uuid::from_u128(u128::from(i) + 1),
            clock: Clock::default(),
            now: 1000,
            n: 0,
            fields: BTreeMap::new(),
            outbox: vec![],
            cursor: 0,
        }
    }

    fn change(&mut self, row: Uuid, field: &str, value: Value) -> Change {
        self.n += 1;
        self.now += 1;
        let id = Uuid::from_u128((self.device.as_u128() << 64) | self.n);
        let base = self.fields.get(&(row, field.to_string())).map(|x| x.1);
        Change {
            id,
            entity: Entity::Household,
            row,
            field: field.into(),
            value,
            hlc: self.clock.tick(self.now),
            device: self.device,
            base,
            seen: None,
            chain: None,
        }
    }

    fn deleted(&self, row: Uuid) -> bool {
        self.fields.get(&(row, DELETED.to_string())).is_some_and(|x| x.0 == json!(true))
    }

    fn edit(&mut self, row: Uuid, field: &str, value: Value) -> bool {
        if self.deleted(row) || self.fields.get(&(row, field.to_string())).is_some_and(|x| x.0 == value) {
            return false;
        }
        let c = self.change(row, field, value.clone());
        self.fields.insert((row, field.to_string()), (value, Version::Local(c.id)));
        self.outbox.push(c);
        true
    }

    fn set_deleted(&mut self, row: Uuid, deleted: bool) {
        if self.deleted(row) == deleted || !self.fields.keys().any(|(r, _)| *r == row) {
            return;
        }
        let mut c = self.change(row, DELETED, json!(deleted));
        if deleted {
            c.seen = Some(
                self.fields
                    .iter()
                    .filter(|((r, f), _)| *r == row && f != DELETED)
                    .map(|((_, f), (_, v))| (f.clone(), *v))
                    .collect(),
            );
        }
        self.fields.insert((row, DELETED.to_string()), (json!(deleted), Version::Local(c.id)));
        self.outbox.push(c);
    }

    /// Resolves the first open conflict this replica sees by keeping the candidate at `pick`.
    fn resolve_one(&mut self, pick: usize) {
        let open: Vec<Uuid> = self
            .fields
            .iter()
            .filter(|((_, f), (v, _))| f == "status" && *v == json!("open"))
            .map(|((r, _), _)| *r)
            .collect();
        let Some(cid) = open.first().copied() else {
            return;
        };
        let get = |f: &str| self.fields.get(&(cid, f.to_string())).map(|x| x.0.clone());
        let (Some(row), Some(field), Some(cands)) = (get("row_id"), get("field"), get("candidates")) else {
            return;
        };
        let row = Uuid::parse_str(row.as_str().unwrap()).unwrap();
        let field = field.as_str().unwrap().to_string();
        let cands = cands.as_array().unwrap().clone();
        let chosen = cands[pick % cands.len()]["value"].clone();
        let c = self.change(cid, "status", json!("resolved"));
        let c = Change { entity: Entity::Conflict, ..c };
        self.fields.insert((cid, "status".into()), (json!("resolved"), Version::Local(c.id)));
        self.outbox.push(c);
        if field == DELETED {
            self.set_deleted(row, chosen == json!(true));
        } else if chosen.is_string() {
            self.edit(row, &field, chosen);
        }
    }

    /// Pushes the outbox; `lose_response` drops the answer as a cut connection would.
    fn push(&mut self, hub: &mut MemoryLedger, minter: &mut CountingMinter, lose_response: bool) {
        let batch = self.outbox.clone();
        let mut results = Vec::new();
        for c in &batch {
            let r = apply(hub, minter, c, Place::of(c.entity, Uuid::nil())).unwrap();
            results.push((c.id, r));
        }
        if lose_response {
            return;
        }
        self.outbox.clear();
        for (c, (id, r)) in batch.iter().zip(results) {
            let cur = match r.outcome {
                Outcome::Applied { seq } => Some((c.value.clone(), seq)),
                Outcome::Superseded { current, .. } => Some((current.value, current.seq)),
                Outcome::Duplicate { current, .. } => current.map(|s| (s.value, s.seq)),
            };
            let key = (c.row, c.field.clone());
            if let Some((value, seq)) = cur {
                if take_push_result(self.fields.get(&key).map(|x| &x.1), id) {
                    self.fields.insert(key, (value, Version::Seq(seq)));
                }
            }
        }
    }

    fn pull(&mut self, hub: &MemoryLedger, page: usize) {
        loop {
            let (rows, cursor, more) = hub.pull(self.cursor, page);
            let pending: BTreeSet<(Uuid, String)> = self.outbox.iter().map(|c| (c.row, c.field.clone())).collect();
            for r in rows {
                for FieldValue(f, v, seq) in r.fields {
                    let key = (r.row, f);
                    if take_pulled(pending.contains(&key)) {
                        self.fields.insert(key, (v, Version::Seq(seq)));
                    }
                }
            }
            self.cursor = cursor;
            if !more {
                break;
            }
        }
    }

    fn values(&self) -> BTreeMap<(Uuid, String), Value> {
        self.fields.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Edit { replica: usize, row: usize, field: usize, value: u8 },
    Delete { replica: usize, row: usize },
    Restore { replica: usize, row: usize },
    Resolve { replica: usize, pick: usize },
    Push { replica: usize, lose_response: bool },
    Pull { replica: usize, page: usize },
}

fn op(replicas: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..replicas, 0..3usize, 0..3usize, 0..4u8).prop_map(|(replica, row, field, value)| Op::Edit { replica, row, field, value }),
        1 => (0..replicas, 0..3usize).prop_map(|(replica, row)| Op::Delete { replica, row }),
        1 => (0..replicas, 0..3usize).prop_map(|(replica, row)| Op::Restore { replica, row }),
        1 => (0..replicas, 0..3usize).prop_map(|(replica, pick)| Op::Resolve { replica, pick }),
        3 => (0..replicas, any::<bool>()).prop_map(|(replica, l)| Op::Push { replica, lose_response: l }),
        3 => (0..replicas, 1..6usize).prop_map(|(replica, page)| Op::Pull { replica, page }),
    ]
}

fn rows() -> Vec<Uuid> {
    (0..3).map(|i| Uuid::from_u128(0xaaaa_0000 + i)).collect()
}

/// A hub and replicas that all hold the same three households.
fn setup(n: u8) -> (MemoryLedger, CountingMinter, Vec<Replica>) {
    let mut hub = MemoryLedger::default();
    let mut minter = CountingMinter::new(Uuid::from_u128(0xfff));
    let mut reps: Vec<Replica> = (0..n).map(Replica::new).collect();
    for row in rows() {
        for f in FIELDS {
            reps[0].edit(row, f, json!(format!("{f}-init")));
        }
    }
    reps[0].push(&mut hub, &mut minter, false);
    for r in &mut reps {
        r.pull(&hub, 100);
    }
    (hub, minter, reps)
}

fn settle(hub: &mut MemoryLedger, minter: &mut CountingMinter, reps: &mut [Replica]) {
    for r in reps.iter_mut() {
        r.push(hub, minter, false);
    }
    for r in reps.iter_mut() {
        r.pull(hub, 7);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn replicas_converge_under_any_sync_order(n in 3u8..5, ops in proptest::collection::vec(op(4), 1..80)) {
        let (mut hub, mut minter, mut reps) = setup(n);
        let ids = rows();
        for o in ops {
            match o {
                Op::Edit { replica, row, field, value } => { let r = &mut reps[replica % n as usize]; r.edit(ids[row], FIELDS[field], json!(format!("v{value}"))); }
                Op::Delete { replica, row } => reps[replica % n as usize].set_deleted(ids[row], true),
                Op::Restore { replica, row } => reps[replica % n as usize].set_deleted(ids[row], false),
                Op::Resolve { replica, pick } => reps[replica % n as usize].resolve_one(pick),
                Op::Push { replica, lose_response } => reps[replica % n as usize].push(&mut hub, &mut minter, lose_response),
                Op::Pull { replica, page } => reps[replica % n as usize].pull(&hub, page),
            }
            // Never more than one open conflict per field, on the server.
            let snap = hub.snapshot();
            let mut open = BTreeSet::new();
            for ((cid, f), v) in &snap {
                if f == "status" && *v == json!("open") && snap.contains_key(&(*cid, "row_id".to_string())) {
                    let key = (snap[&(*cid, "row_id".to_string())].to_string(), snap[&(*cid, "field".to_string())].to_string());
                    prop_assert!(open.insert(key), "two open conflicts on one field");
                }
            }
        }
        settle(&mut hub, &mut minter, &mut reps);
        let truth = hub.snapshot();
        for r in &reps {
            prop_assert_eq!(&r.values(), &truth);
        }
    }

    #[test]
    fn each_concurrent_edit_of_a_field_gives_exactly_one_conflict(
        n in 3u8..6,
        writes in proptest::collection::vec((0usize..6, 0usize..3, 0usize..3, 0u8..3), 1..30),
        order in proptest::collection::vec(0usize..6, 6..20),
    ) {
        let (mut hub, mut minter, mut reps) = setup(n);
        let ids = rows();
        // Offline: each device writes each field at most once.
        let mut written: BTreeMap<(usize, usize), BTreeMap<usize, Value>> = BTreeMap::new();
        for (d, row, field, v) in writes {
            let d = d % n as usize;
            let value = json!(format!("d{v}"));
            let slot = written.entry((row, field)).or_default();
            if slot.contains_key(&d) { continue; }
            if reps[d].edit(ids[row], FIELDS[field], value.clone()) {
                slot.insert(d, value);
            }
        }
        // Sync in a random order, then settle.
        for d in order {
            let d = d % n as usize;
            reps[d].push(&mut hub, &mut minter, false);
            reps[d].pull(&hub, 5);
        }
        settle(&mut hub, &mut minter, &mut reps);
        for r in &reps {
            for ((row, field), by_device) in &written {
                let conflicts = r.fields.iter().filter(|((cid, f), (v, _))| {
                    f == "row_id" && *v == json!(ids[*row].to_string())
                        && r.fields.get(&(*cid, "field".to_string())).map(|x| &x.0) == Some(&json!(FIELDS[*field]))
                }).count();
                let distinct: BTreeSet<String> = by_device.values().map(|v| v.to_string()).collect();
                let expected = usize::from(by_device.len() >= 2 && distinct.len() >= 2);
                prop_assert_eq!(conflicts, expected, "field {} of row {}: writers {:?}", FIELDS[*field], row, by_device);
            }
        }
        let truth = hub.snapshot();
        for r in &reps {
            prop_assert_eq!(&r.values(), &truth);
        }
    }

    #[test]
    fn applying_any_batch_twice_changes_nothing(ops in proptest::collection::vec(op(3), 1..60)) {
        let (mut hub, mut minter, mut reps) = setup(3);
        let ids = rows();
        for o in ops {
            if let Op::Edit { replica, row, field, value } = o { reps[replica].edit(ids[row], FIELDS[field], json!(format!("v{value}"))); }
            if let Op::Delete { replica, row } = o { reps[replica].set_deleted(ids[row], true); }
        }
        for r in reps.iter_mut() {
            let batch = r.outbox.clone();
            for c in &batch { apply(&mut hub, &mut minter, c, Place::of(c.entity, Uuid::nil())).unwrap(); }
            let log_len = hub.log.len();
            let snap = hub.snapshot();
            for c in &batch {
                let again = apply(&mut hub, &mut minter, c, Place::of(c.entity, Uuid::nil())).unwrap();
                let dup = matches!(again.outcome, Outcome::Duplicate { .. });
                prop_assert!(dup, "second apply was not a duplicate");
                prop_assert_eq!(again.conflict, None);
            }
            prop_assert_eq!(hub.log.len(), log_len);
            prop_assert_eq!(hub.snapshot(), snap);
        }
    }
}

#[test]
fn delete_while_someone_edits_is_a_conflict_and_keeps_the_edit() {
    let (mut hub, mut minter, mut reps) = setup(3);
    let row = rows()[0];
    reps[1].edit(row, "phone", json!("13800000001"));
    reps[2].set_deleted(row, true);
    reps[1].push(&mut hub, &mut minter, false);
    reps[2].push(&mut hub, &mut minter, false);
    settle(&mut hub, &mut minter, &mut reps);
    for r in &reps {
        assert!(r.deleted(row));
        assert_eq!(r.fields[&(row, "phone".to_string())].0, json!("13800000001"));
        let conflicts: Vec<_> =
            r.fields.iter().filter(|((_, f), (v, _))| f == "field" && *v == json!(DELETED)).collect();
        assert_eq!(conflicts.len(), 1);
    }
    // The other order: the edit arrives after the delete.
    let (mut hub, mut minter, mut reps) = setup(3);
    reps[1].edit(row, "phone", json!("13800000001"));
    reps[2].set_deleted(row, true);
    reps[2].push(&mut hub, &mut minter, false);
    reps[1].push(&mut hub, &mut minter, false);
    settle(&mut hub, &mut minter, &mut reps);
    for r in &reps {
        assert!(r.deleted(row));
        assert_eq!(r.fields[&(row, "phone".to_string())].0, json!("13800000001"));
        assert_eq!(r.fields.iter().filter(|((_, f), (v, _))| f == "field" && *v == json!(DELETED)).count(), 1);
    }
}

#[test]
fn winner_is_higher_clock_then_device() {
    let (mut hub, mut minter, mut reps) = setup(3);
    let row = rows()[1];
    reps[1].edit(row, "head_name", json!("甲"));
    reps[2].now += 10_000; // later edit wins, whatever order the server sees them in
    reps[2].edit(row, "head_name", json!("乙"));
    reps[2].push(&mut hub, &mut minter, false);
    reps[1].push(&mut hub, &mut minter, false);
    settle(&mut hub, &mut minter, &mut reps);
    for r in &reps {
        assert_eq!(r.fields[&(row, "head_name".to_string())].0, json!("乙"));
    }
}
