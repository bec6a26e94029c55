//! The history chain: a push whose changes were altered, a device restored from an old copy (a fork),
//! and entries rewritten in the server database are all caught; honest resends are not.

use serde_json::json;
use zoufang_client::{Client, SyncError};
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::{open_device, Backend, Scenario, Sql, Storage, TestServer};
use zoufang_store::{HouseholdQuery, Store};
use zoufang_sync::{PushRequest, Status, PROTOCOL};

fn note(s: &mut Store, h: uuid::Uuid, text: &str) {
    s.update(Entity::Household, h, &[("notes".to_string(), json!(text))].into_iter().collect()).unwrap();
}

#[test]
fn honest_history_passes_the_audit_and_altered_history_is_refused() {
    let sc = Scenario::start();
    let mut a = sc.village_device("a.db", "平板甲", 0);
    let hs = a.households(&HouseholdQuery::default()).unwrap();
    for (i, h) in hs.iter().take(5).enumerate() {
        note(&mut a, h.id, &format!("第{i}户已核实"));
    }
    zoufang_client::sync(&mut a).unwrap();
    let audit = sc.storage.audit().unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].checked, audit[0].problem.as_deref()), (5, None));

    // A change altered on the way (or by a tampered app): the whole batch is refused.
    note(&mut a, hs[5].id, "原始记录");
    note(&mut a, hs[6].id, "另一条");
    let mut batch = a.next_batch(100).unwrap().unwrap();
    batch.changes[0].value = json!("篡改后的记录");
    let client = Client::new(&sc.url).with_token(&a.enrolment().unwrap().unwrap().token);
    let before = sc.log_len();
    let err =
        client.push(&PushRequest { protocol: PROTOCOL, batch: batch.no, changes: batch.changes.clone() }).unwrap_err();
    match &err {
        SyncError::Server { status, code, message } => {
            assert_eq!((*status, code.as_str()), (409, "history_mismatch"));
            assert!(message.contains("历史不一致"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(sc.log_len(), before, "nothing of the batch was stored");
    // The honest batch still goes through.
    let r = zoufang_client::sync(&mut a).unwrap();
    assert_eq!(r.pushed.applied, 2);
    assert!(sc.storage.audit().unwrap()[0].problem.is_none());
}

#[test]
fn a_device_restored_from_an_old_copy_cannot_fork_its_history() {
    let sc = Scenario::start();
    let path = sc.dir().join("a.db");
    let mut a = sc.device(&path, "平板甲", Scope::Village(sc.villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    note(&mut a, h, "备份前");
    zoufang_client::sync(&mut a).unwrap();
    drop(a);
    // Someone keeps a copy of the tablet's database …
    let copy = sc.dir().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    // … the tablet goes on working …
    let mut a = open_device(&path);
    note(&mut a, h, "之后的真实记录");
    zoufang_client::sync(&mut a).unwrap();
    // … and later the old copy is put back and used to write something else.
    let mut old = open_device(&copy);
    note(&mut old, h, "用旧备份写的记录");
    let before = sc.log_len();
    let err = zoufang_client::sync(&mut old).unwrap_err();
    assert!(err.to_string().contains("历史不一致"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(sc.log_len(), before);
    assert!(sc.storage.audit().unwrap()[0].problem.is_none());
}

#[test]
fn the_audit_finds_entries_rewritten_in_the_server_database() {
    let sc = Scenario::start();
    let mut a = sc.village_device("a.db", "平板甲", 0);
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    note(&mut a, h, "户主外出务工");
    zoufang_client::sync(&mut a).unwrap();
    let n = sc.sql_int(
        "UPDATE change_log SET value = '\"户主在家\"' WHERE device = $1 AND field = 'notes'",
        &[Sql::Id(a.device_id())],
    );
    assert_eq!(n, 1);
    let audit = sc.storage.audit().unwrap();
    assert!(audit[0].problem.as_deref().unwrap().contains("被改动"), "{audit:?}");
}

#[test]
fn a_refused_change_sent_again_is_refused_again_not_taken_for_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    server.seed_small();
    let mut t = server.device(&dir.path().join("t.db"), "县扶贫办", Scope::County("522630".into()));
    zoufang_client::sync(&mut t).unwrap();
    let wrong = zoufang_model::Village {
        id: uuid::Uuid::now_v7(),
        name: "新建村".into(),
        code: "520102102201".into(),
        township: "施洞镇".into(),
        county: "台江县".into(),
        poor_village: None,
        lat: None,
        lon: None,
        radius_m: None,
    };
    t.create(&wrong).unwrap();
    let batch = t.next_batch(100).unwrap().unwrap();
    let client = Client::new(&server.url).with_token(&t.enrolment().unwrap().unwrap().token);
    let req = PushRequest { protocol: PROTOCOL, batch: batch.no, changes: batch.changes.clone() };
    let first = client.push(&req).unwrap();
    let again = client.push(&req).unwrap(); // the first answer was "lost"
    assert!(again.replay);
    for (a, b) in first.results.iter().zip(&again.results) {
        assert_eq!((a.status, b.status), (Status::Rejected, Status::Rejected));
        assert_eq!(a.rejection, b.rejection);
    }
    t.record_push(&batch, &again).unwrap();
    assert_eq!(t.quarantined().unwrap().len(), 4);
    assert!(server.storage.audit().unwrap()[0].problem.is_none());
}

#[test]
fn a_backup_taken_while_serving_is_whole_and_passes_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    // File backups are the SQLite backend's own (PostgreSQL is backed up with its own tools).
    let blobs = zoufang_server::BlobStore::local(&dir.path().join("blobs")).unwrap();
    let server = TestServer::start_on(Backend::Sqlite, dir.path(), "127.0.0.1:0".parse().unwrap(), blobs);
    let villages = server.seed_small();
    let mut a = server.device(&dir.path().join("a.db"), "平板甲", Scope::Village(villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    let hs = a.households(&HouseholdQuery::default()).unwrap();
    // The device keeps pushing while the backup is taken.
    let backup = dir.path().join("backup").join("server-2026-11-23.db");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for (i, h) in hs.iter().take(20).enumerate() {
                note(&mut a, h.id, &format!("第{i}户已核实"));
                zoufang_client::sync(&mut a).unwrap();
            }
        });
        server.sqlite().backup_to(&backup).unwrap();
    });
    let err = server.sqlite().backup_to(&backup).unwrap_err();
    assert!(err.to_string().contains("不会覆盖"), "{err}");
    // The copy opens as a server database: whole, with every chain intact, at a point of the log.
    let copy = Storage::from(zoufang_server::SqliteStorage::open(&backup).unwrap());
    let (now, then) = (server.storage.stats().unwrap(), copy.stats().unwrap());
    assert!(then.changes <= now.changes && then.households == now.households, "{then:?} vs {now:?}");
    assert!(copy.audit().unwrap().iter().all(|r| r.problem.is_none()));
    let partial = backup.with_file_name(".server-2026-11-23.db.partial");
    assert!(!partial.exists(), "no partial file left beside the backup");
}

/// A household's history (痕迹管理) from the server: every change to it and its records, who made it,
/// when and from which device, old → new, the value a concurrent edit superseded and the conflict with
/// its resolution; only inside the device's scope, and never a kind its role does not read.
#[test]
fn a_households_history_shows_every_change_and_stays_in_scope() {
    let sc = Scenario::start();
    let mut a = sc.village_device("a.db", "平板甲", 0);
    let mut b = sc.village_device("b.db", "平板乙", 0);
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    zoufang_client::sync(&mut b).unwrap();
    note(&mut a, h, "甲写的备注");
    note(&mut b, h, "乙写的备注");
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    zoufang_client::sync(&mut a).unwrap();
    // One of them resolves the conflict.
    let conflict = a.conflicts(None).unwrap().into_iter().next().expect("a conflict over the notes");
    a.resolve_conflict(conflict.id, &json!("合并后的备注"), "李娟").unwrap();
    zoufang_client::sync(&mut a).unwrap();

    let history = zoufang_client::household_history(&a, h).unwrap();
    let notes: Vec<_> =
        history.entries.iter().filter(|e| e.entity == Entity::Household && e.field == "notes").collect();
    assert_eq!(notes.len(), 3, "both edits and the resolution: {notes:?}");
    assert!(notes.iter().any(|e| e.new == json!("甲写的备注") && e.device == "平板甲"));
    assert!(notes.iter().any(|e| e.new == json!("乙写的备注") && e.device == "平板乙"));
    let last = notes.last().unwrap();
    assert!(last.live && last.new == json!("合并后的备注") && last.old.is_some(), "{last:?}");
    assert_eq!(notes.iter().filter(|e| e.live).count(), 1, "the others are superseded");
    assert!(history.entries.iter().any(|e| e.entity == Entity::Conflict && e.field == "resolved_by"));
    assert!(history.entries.iter().any(|e| e.entity == Entity::Member), "its members' records too");
    assert!(history.entries.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");

    // Another village's tablet is refused; so is a household the server does not hold.
    let other = sc.village_device("c.db", "别村平板", 1);
    match zoufang_client::household_history(&other, h) {
        Err(SyncError::Server { status: 403, .. }) => {}
        r => panic!("another village reads nothing: {r:?}"),
    }
    match zoufang_client::household_history(&a, uuid::Uuid::now_v7()) {
        Err(SyncError::Server { status: 404, .. }) => {}
        r => panic!("{r:?}"),
    }
}
