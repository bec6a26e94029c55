//! A push cut off mid-response and retried loses nothing and duplicates nothing; a sync process killed
//! at random moments finishes on the next run.

use serde_json::json;
use std::time::Duration;
use zoufang_client::{sync_client, Client, SyncError, SyncOptions};
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::{cli_on, open_device, Cut, CuttingProxy, TestServer};
use zoufang_store::HouseholdQuery;

#[test]
fn push_cut_off_before_and_after_the_server_acts() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let mut a = server.device(&dir.path().join("a.db"), "平板甲", Scope::Village(villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    let hs = a.households(&HouseholdQuery::default()).unwrap();
    for (i, h) in hs.iter().take(12).enumerate() {
        let patch = [("notes".to_string(), json!(format!("第{i}次走访后更新")))].into_iter().collect();
        a.update(Entity::Household, h.id, &patch).unwrap();
    }
    let before = server.log_len();
    let token = a.enrolment().unwrap().unwrap().token;
    // Batches of 5: the first push never reaches the server, the second is applied but its answer is
    // lost, the third is lost again on resend, then the connection recovers.
    let proxy = CuttingProxy::start(server.addr, vec![Cut::BeforeRequest, Cut::BeforeResponse, Cut::BeforeResponse]);
    let client = Client::new(&proxy.url).with_token(&token);
    let opts = SyncOptions { batch: 5, page: 100 };
    let mut failures = 0;
    loop {
        match sync_client(&client, &mut a, opts, &mut |_| {}) {
            Ok(_) => break,
            Err(e @ SyncError::Unreachable { .. }) => {
                failures += 1;
                assert!(e.is_retryable());
                assert!(failures < 10, "{e}");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(failures, 3);
    assert_eq!(server.log_len() - before, 12, "each change stored exactly once");
    assert_eq!(a.pending_changes().unwrap(), 0);
    // What the server holds is what the device holds.
    let mut fresh = server.device(&dir.path().join("fresh.db"), "新平板", Scope::Village(villages[0]));
    zoufang_client::sync(&mut fresh).unwrap();
    for h in hs.iter().take(12) {
        assert_eq!(fresh.household(h.id).unwrap(), a.household(h.id).unwrap());
    }
}

#[test]
fn sync_killed_at_random_moments_finishes_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let db = dir.path().join("killed.db");
    let mut store = server.device(&db, "平板丙", Scope::Village(villages[0]));
    // Work done offline: many edits and new visits.
    zoufang_client::sync(&mut store).unwrap();
    let hs = store.households(&HouseholdQuery::default()).unwrap();
    for round in 0..20 {
        for h in &hs {
            let patch = [("notes".to_string(), json!(format!("第{round}轮核实")))].into_iter().collect();
            store.update(Entity::Household, h.id, &patch).unwrap();
        }
    }
    let expected_changes = store.pending_changes().unwrap();
    drop(store);
    let before = server.log_len();
    let mut kills = 0;
    for i in 0..12u64 {
        let mut child = cli_on(&db)
            .arg("sync")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + (i * 37) % 60));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
    }
    let status = cli_on(&db).arg("sync").output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(kills > 0, "no sync was interrupted; the test proves nothing");
    let store = open_device(&db);
    assert_eq!(store.pending_changes().unwrap(), 0);
    assert_eq!(server.log_len() - before, expected_changes, "no change lost, none stored twice");
    for h in &hs {
        assert_eq!(store.household(h.id).unwrap().unwrap().notes.as_deref(), Some("第19轮核实"));
    }
}
