//! A push cut off mid-response and retried loses nothing and duplicates nothing; a sync process killed
//! at random moments finishes on the next run.

use serde_json::json;
use std::time::Duration;
use zoufang_client::{sync_client, Client, SyncError, SyncOptions};
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::{open_device, sync_killed_then_finished, Cut, CuttingProxy, Scenario};
use zoufang_store::HouseholdQuery;

#[test]
fn push_cut_off_before_and_after_the_server_acts() {
    let sc = Scenario::start();
    let mut a = sc.village_device("a.db", "平板甲", 0);
    let hs = a.households(&HouseholdQuery::default()).unwrap();
    for (i, h) in hs.iter().take(12).enumerate() {
        let patch = [("notes".to_string(), json!(format!("第{i}次走访后更新")))].into_iter().collect();
        a.update(Entity::Household, h.id, &patch).unwrap();
    }
    let before = sc.log_len();
    let token = a.enrolment().unwrap().unwrap().token;
    // Batches of 5: the first push never reaches the sc, the second is applied but its answer is
    // lost, the third is lost again on resend, then the connection recovers.
    let proxy = CuttingProxy::start(sc.addr, vec![Cut::BeforeRequest, Cut::BeforeResponse, Cut::BeforeResponse]);
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
    assert_eq!(sc.log_len() - before, 12, "each change stored exactly once");
    assert_eq!(a.pending_changes().unwrap(), 0);
    // What the sc holds is what the device holds.
    let fresh = sc.village_device("fresh.db", "新平板", 0);
    for h in hs.iter().take(12) {
        assert_eq!(fresh.household(h.id).unwrap(), a.household(h.id).unwrap());
    }
}

#[test]
fn sync_killed_at_random_moments_finishes_on_rerun() {
    let sc = Scenario::start();
    let db = sc.dir().join("killed.db");
    let mut store = sc.device(&db, "平板丙", Scope::Village(sc.villages[0]));
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
    let before = sc.log_len();
    sync_killed_then_finished(&db, 12, |i| Duration::from_millis(5 + (i * 37) % 60));
    let store = open_device(&db);
    assert_eq!(store.pending_changes().unwrap(), 0);
    assert_eq!(sc.log_len() - before, expected_changes, "no change lost, none stored twice");
    for h in &hs {
        assert_eq!(store.household(h.id).unwrap().unwrap().notes.as_deref(), Some("第19轮核实"));
    }
}
