//! A village device never receives another village's records and cannot write them.

use serde_json::json;
use uuid::Uuid;
use zoufang_model::{Entity, Role, Scope};
use zoufang_scenarios::{RawDevice, Scenario, TestServer};
use zoufang_store::HouseholdQuery;
use zoufang_sync::Status;

#[test]
fn village_devices_see_and_write_only_their_village() {
    let sc = Scenario::start();
    let mut a = sc.device(&sc.dir().join("a.db"), "甲村平板", Scope::Village(sc.villages[0]));
    let mut b = sc.device(&sc.dir().join("b.db"), "乙村平板", Scope::Village(sc.villages[1]));
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    let ha = a.households(&HouseholdQuery::default()).unwrap();
    let hb = b.households(&HouseholdQuery::default()).unwrap();
    assert_eq!((ha.len(), hb.len()), (30, 30));
    assert!(ha.iter().all(|h| h.village_id == Some(sc.villages[0])));
    assert!(hb.iter().all(|h| h.village_id == Some(sc.villages[1])));
    assert_eq!(a.villages().unwrap().len(), 1);
    let members: i64 = a
        .conn()
        .query_row(
            "SELECT count(*) FROM member m JOIN household h ON h.id = m.household_id WHERE h.village_id <> ?1",
            [sc.villages[0].as_bytes().to_vec()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(members, 0);

    // A crafted push from a device of A at B's household is refused, and B never sees it.
    let mut raw = RawDevice::enrol(&sc, "甲村改装平板", &Scope::Village(sc.villages[0]), Role::WorkTeam);
    let c = raw.change(Entity::Household, hb[0].id, "notes", json!("越权修改"), None);
    let r = raw.push(vec![c]).unwrap();
    assert_eq!(r.results[0].status, Status::Rejected);
    assert!(r.results[0].rejection.as_ref().unwrap().message.contains("不在本机的工作范围"));
    zoufang_client::sync(&mut b).unwrap();
    assert_ne!(b.household(hb[0].id).unwrap().unwrap().notes.as_deref(), Some("越权修改"));

    // A device pretending to be another device is refused too.
    let mut c = raw.change(Entity::Household, ha[0].id, "notes", json!("冒名修改"), None);
    c.device = b.device_id();
    let r = raw.push(vec![c]).unwrap();
    assert_eq!(r.results[0].status, Status::Rejected);

    // A revoked device is refused outright.
    assert!(sc.storage.revoke(a.device_id(), zoufang_server::RevokeMode::Lost).unwrap());
    let err = zoufang_client::sync(&mut a).unwrap_err();
    assert!(err.to_string().contains("停用"), "{err}");
    assert!(!err.is_retryable());
}

#[test]
fn a_county_device_sees_every_village() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    server.seed_small();
    let mut c = server.device(&dir.path().join("c.db"), "县扶贫办", Scope::County("522630".into()));
    zoufang_client::sync(&mut c).unwrap();
    assert_eq!(c.households(&HouseholdQuery::default()).unwrap().len(), 60);
    let mut other = server.device(&dir.path().join("o.db"), "外县", Scope::County("520102".into()));
    zoufang_client::sync(&mut other).unwrap();
    assert!(other.households(&HouseholdQuery::default()).unwrap().is_empty());
}

#[test]
fn guessing_enrolment_codes_is_cut_short() {
    let sc = Scenario::start();
    let good = sc.storage.create_enrol_code("平板", &Scope::Village(sc.villages[0]), 1).unwrap();
    let client = zoufang_client::Client::new(&sc.url);
    for i in 0..zoufang_server::api::ENROL_FAILURES_ALLOWED {
        let err = client.enrol(&format!("AAAA-{i:04}"), Uuid::now_v7(), "猜码").unwrap_err();
        assert!(err.to_string().contains("注册码无效"), "{err}");
    }
    // Now even the right code waits: the address is slowed down, not the code burnt.
    let err = client.enrol(&good, Uuid::now_v7(), "平板").unwrap_err();
    match err {
        zoufang_client::SyncError::Server { status, ref code, .. } => {
            assert_eq!((status, code.as_str()), (429, "too_many_attempts"))
        }
        other => panic!("{other}"),
    }
    assert!(err.is_retryable());
}
