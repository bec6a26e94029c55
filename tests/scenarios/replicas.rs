//! The convergence property again, now with real device databases and a real server over HTTP:
//! three devices with random offline edits, deletes, restores and conflict resolutions, synced in a
//! random order, always end identical to each other and to a fresh device pulling from the server.

use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;
use zoufang_model::{ConflictStatus, Entity, Scope};
use zoufang_scenarios::{open_device, TestServer};
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
    ("attribute", ["general", "dibao", "tekun"]),
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
        let village = zoufang_model::Village { id: Uuid::now_v7(), name: "花桥村".into(), code: "522630101201".into(), township: "台拱镇".into(), county: "台江县".into(), poor_village: None, lat: None, lon: None, radius_m: None };
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
                status_change: None,
                status: zoufang_model::HouseholdStatus::Poor, poverty_causes: vec![], helper_name: None, helper_phone: None, helper_id: None,
                registered_population: None, exit_year: None, notes: None,
                card_population: None,
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

/// Two server replicas over one database at the same time: tablets push to either, county offices pull
/// from either while they do. There is one log: gap-free, every accepted change in it once, and a pull
/// never sees a change before an earlier one commits (an office syncing incrementally throughout ends
/// with exactly what a fresh device pulls at the end).
#[test]
fn two_replicas_over_one_database_keep_one_log() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use zoufang_model::Role;
    use zoufang_scenarios::FieldWork;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (TestServer::start(dir.path()), TestServer::start(dir.path()));
    let size = zoufang_demo::Size {
        townships: 1,
        villages_per_township: 4,
        households_per_village: 20,
        visits_per_household: 2,
        today: chrono::Local::now().date_naive(),
    };
    let county = zoufang_demo::county(5, size);
    a.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed))).unwrap();
    let before = a.log_len();
    let replicas = [&a, &b];
    let offices: Vec<Store> = replicas
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let path = dir.path().join(format!("office{i}.db"));
            r.device_as(&path, &format!("县扶贫办{i}"), Scope::County(county.code.clone()), Role::County)
        })
        .collect();
    const TABLETS: usize = 12;
    const PUSHES: usize = 8;
    let done = AtomicBool::new(false);
    let (pushed, offices) = std::thread::scope(|s| {
        let office_threads: Vec<_> = offices
            .into_iter()
            .map(|mut o| {
                let done = &done;
                s.spawn(move || {
                    while !done.load(Ordering::SeqCst) {
                        zoufang_client::sync(&mut o).unwrap();
                    }
                    zoufang_client::sync(&mut o).unwrap();
                    o
                })
            })
            .collect();
        let tablets: Vec<_> = (0..TABLETS)
            .map(|i| {
                let (county, replicas) = (&county, replicas);
                s.spawn(move || {
                    let village = county.villages[i % county.villages.len()].id;
                    let name = format!("平板{i}");
                    let code = replicas[0]
                        .storage
                        .create_enrol_code_for(&name, &Scope::Village(village), Role::WorkTeam, 1, 30)
                        .unwrap();
                    let id = Uuid::now_v7();
                    let token =
                        zoufang_client::Client::new(&replicas[i % 2].url).enrol(&code, id, &name).unwrap().token;
                    let mut work = FieldWork::new(id, county, village);
                    let mut visits = Vec::new();
                    for k in 0..PUSHES {
                        // Each push to the other replica than the last.
                        let client = zoufang_client::Client::new(&replicas[(i + k) % 2].url).with_token(&token);
                        let (req, visit) = work.next_push();
                        let r = client.push(&req).unwrap();
                        assert!(r.results.iter().all(|x| x.status == zoufang_sync::Status::Applied), "{r:?}");
                        work.observe(r.server_hlc);
                        visits.push(visit);
                    }
                    visits
                })
            })
            .collect();
        // The offices stop pulling once every tablet is done, however it ended (a failed tablet must not
        // leave them pulling forever).
        let joined: Vec<_> = tablets.into_iter().map(|t| t.join()).collect();
        done.store(true, Ordering::SeqCst);
        let pushed: Vec<Uuid> = joined.into_iter().flat_map(|t| t.unwrap()).collect();
        let offices: Vec<Store> = office_threads.into_iter().map(|t| t.join().unwrap()).collect();
        (pushed, offices)
    });
    assert_eq!(pushed.len(), TABLETS * PUSHES);
    // Every accepted change is in the log once, and the log has no gap.
    let log = &a.sql("SELECT count(*), min(seq), max(seq) FROM change_log", &[])[0];
    let (n, lo, hi) = (log[0].int(), log[1].int(), log[2].int());
    assert_eq!(n - before, (TABLETS * PUSHES * 17) as i64, "accepted changes, each once");
    assert_eq!(hi - lo + 1, n, "one gap-free sequence across both replicas");
    // Offices that pulled throughout hold what a fresh device pulls now, which is every pushed visit.
    let visits = |s: &Store| -> std::collections::BTreeSet<Vec<u8>> {
        let mut stmt = s.conn().prepare("SELECT id FROM visit WHERE deleted = 0").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(|x| x.unwrap()).collect()
    };
    let mut fresh =
        b.device_as(&dir.path().join("fresh.db"), "新平板", Scope::County(county.code.clone()), Role::County);
    zoufang_client::sync(&mut fresh).unwrap();
    let all = visits(&fresh);
    for v in &pushed {
        assert!(all.contains(v.as_bytes().as_slice()), "a pushed visit is missing");
    }
    for o in &offices {
        assert_eq!(visits(o), all, "an office that pulled during the pushes missed or doubled nothing");
    }
}
