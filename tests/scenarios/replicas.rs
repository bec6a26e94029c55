//! The convergence property again, now with real device databases and a real server over HTTP:
//! three devices with random offline edits, deletes, restores and conflict resolutions, synced in a
//! random order, always end identical to each other and to a fresh device pulling from the server.

use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;
use zoufang_model::{ConflictStatus, Entity, Scope};
use zoufang_scenarios::{open_device, Storage, TestServer};
use zoufang_store::Store;

#[derive(Debug, Clone)]
enum Op {
    Edit { dev: usize, row: usize, field: usize, value: usize },
    Delete { dev: usize, row: usize },
    Restore { dev: usize, row: usize },
    Resolve { dev: usize, pick: usize },
    Sync { dev: usize },
}

const FIELDS: [(&str, [&str; 3]); 3] = [
    ("phone", ["13800000001", "13900000002", "0855-5812345"]),
    ("notes", ["已核实", "需回访", "外出务工"]),
    ("status", ["poor", "exited", "monitored"]),
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..3usize, 0..3usize, 0..3usize, 0..3usize).prop_map(|(dev, row, field, value)| Op::Edit { dev, row, field, value }),
        1 => (0..3usize, 0..3usize).prop_map(|(dev, row)| Op::Delete { dev, row }),
        1 => (0..3usize, 0..3usize).prop_map(|(dev, row)| Op::Restore { dev, row }),
        2 => (0..3usize, 0..3usize).prop_map(|(dev, pick)| Op::Resolve { dev, pick }),
        5 => (0..3usize).prop_map(|dev| Op::Sync { dev }),
    ]
}

/// Everything a device shows: households (live or tombstoned, every field) and conflicts.
fn state(s: &Store, rows: &[Uuid]) -> Vec<(Value, bool)> {
    let mut out: Vec<(Value, bool)> = rows
        .iter()
        .map(|r| {
            let row = s.row(Entity::Household, *r).unwrap().unwrap();
            (Value::Object(row.fields), row.deleted)
        })
        .collect();
    for c in s.conflicts(None).unwrap() {
        out.push((serde_json::to_value(c).unwrap(), false));
    }
    out
}

fn resolve(s: &mut Store, pick: usize) {
    let open = s.conflicts(Some(ConflictStatus::Open)).unwrap();
    let Some(c) = open.first() else { return };
    let cand = &c.candidates[pick % c.candidates.len()];
    let choice = if c.field == "deleted" { json!(cand.value == json!(true)) } else { cand.value.clone() };
    s.resolve_conflict(c.id, &choice, "测试").unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn real_devices_converge(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let server = TestServer::start(dir.path());
        let village = zoufang_model::Village { id: Uuid::now_v7(), name: "花桥村".into(), code: "522630101201".into(), township: "台拱镇".into(), county: "台江县".into() };
        let code = server.storage.create_enrol_code("乡镇", &Scope::County("522630".into()), 1).unwrap();
        let mut admin = open_device(&dir.path().join("admin.db"));
        zoufang_client::enrol(&mut admin, &server.url, &code, "乡镇").unwrap();
        admin.create(&village).unwrap();
        zoufang_client::sync(&mut admin).unwrap();
        // The county sets up the village; its work team enters the households.
        let mut admin = server.device(&dir.path().join("setup.db"), "驻村工作队", Scope::Village(village.id));
        zoufang_client::sync(&mut admin).unwrap();
        let mut rows = Vec::new();
        for i in 0..3 {
            let h = zoufang_model::Household {
                id: Uuid::now_v7(), village_id: village.id, household_no: format!("52263010120100{i:02}"), head_name: format!("户主{}", ["甲", "乙", "丙"][i]),
                head_id_number: None, phone: None, group_name: None, address: None, attribute: zoufang_model::Attribute::General,
                status: zoufang_model::HouseholdStatus::Poor, poverty_causes: vec![], helper_name: None, helper_phone: None,
                registered_population: None, exit_year: None, notes: None,
            };
            admin.create(&h).unwrap();
            rows.push(h.id);
        }
        zoufang_client::sync(&mut admin).unwrap();
        let mut devs: Vec<Store> = (0..3).map(|i| server.device(&dir.path().join(format!("d{i}.db")), &format!("平板{i}"), Scope::Village(village.id))).collect();
        for d in devs.iter_mut() {
            zoufang_client::sync(d).unwrap();
        }
        for o in ops {
            match o {
                Op::Edit { dev, row, field, value } => {
                    let (f, vals) = FIELDS[field];
                    let patch = [(f.to_string(), json!(vals[value]))].into_iter().collect();
                    // Editing a deleted record is refused locally; that is part of the behaviour.
                    let _ = devs[dev].update(Entity::Household, rows[row], &patch);
                }
                Op::Delete { dev, row } => devs[dev].delete(Entity::Household, rows[row]).unwrap(),
                Op::Restore { dev, row } => devs[dev].restore(Entity::Household, rows[row]).unwrap(),
                Op::Resolve { dev, pick } => resolve(&mut devs[dev], pick),
                Op::Sync { dev } => { zoufang_client::sync(&mut devs[dev]).unwrap(); }
            }
        }
        for _ in 0..2 {
            for d in devs.iter_mut() {
                zoufang_client::sync(d).unwrap();
            }
        }
        let mut fresh = server.device(&dir.path().join("fresh.db"), "新平板", Scope::Village(village.id));
        zoufang_client::sync(&mut fresh).unwrap();
        let truth = state(&fresh, &rows);
        for d in &devs {
            prop_assert_eq!(&state(d, &rows), &truth);
            prop_assert_eq!(d.pending_changes().unwrap(), 0);
            prop_assert!(d.quarantined().unwrap().is_empty());
        }
        // At most one open conflict per field.
        let open = fresh.conflicts(Some(ConflictStatus::Open)).unwrap();
        let mut keys: Vec<_> = open.iter().map(|c| (c.row_id, c.field.clone())).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }
}
