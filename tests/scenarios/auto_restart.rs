//! Sync restarts by itself when the server becomes reachable again.

use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use zoufang_client::{run_auto, AutoEvent, AutoOptions, SyncOptions};
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::{open_device, TestServer};
use zoufang_store::HouseholdQuery;

#[test]
fn background_sync_waits_out_an_outage() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = TestServer::start(&server_dir);
    let villages = server.seed_small();
    let db = dir.path().join("a.db");
    let mut a = server.device(&db, "平板甲", Scope::Village(villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    let addr = server.addr;
    drop(server); // the township office's server goes down

    // Its address is held meanwhile, connections closed unanswered as a dead server's are refused: a
    // server another test starts at the same time could otherwise be given the freed port, and this
    // device would sync with it.
    let down = std::sync::Arc::new(AtomicBool::new(true));
    let holder = {
        let listener = std::net::TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let down = down.clone();
        std::thread::spawn(move || {
            while down.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => drop(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        })
    };

    a.update(Entity::Household, h, &[("notes".to_string(), json!("停电期间记录"))].into_iter().collect()).unwrap();
    drop(a);

    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<String>();
    let (stop2, db2) = (stop.clone(), db.clone());
    let worker = std::thread::spawn(move || {
        let opts = AutoOptions {
            interval: Duration::from_secs(30),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            sync: SyncOptions::default(),
        };
        let key = zoufang_store::Store::unlock_key(&db2, zoufang_scenarios::UNLOCK).unwrap();
        run_auto(&db2, Some(&key), opts, &stop2, &mut |ev| {
            let tag = match ev {
                AutoEvent::Retrying { .. } => "retrying",
                AutoEvent::Synced(_) => "synced",
                AutoEvent::Stopped(_) => "stopped",
                AutoEvent::Progress(_) => return,
            };
            let _ = tx.send(tag.to_string());
        });
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "retrying");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "retrying");

    // The server comes back on the same address.
    down.store(false, Ordering::Relaxed);
    holder.join().unwrap();
    let server = TestServer::start_at(&server_dir, addr);
    let mut got = String::new();
    for _ in 0..50 {
        got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        if got != "retrying" {
            break;
        }
    }
    assert_eq!(got, "synced");
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    let a = open_device(&db);
    assert_eq!(a.pending_changes().unwrap(), 0);
    let mut fresh = server.device(&dir.path().join("fresh.db"), "新平板", Scope::Village(villages[0]));
    zoufang_client::sync(&mut fresh).unwrap();
    assert_eq!(fresh.household(h).unwrap().unwrap().notes.as_deref(), Some("停电期间记录"));
}
