//! Two devices edit the same household offline → sync → both see the same winner and the same open
//! conflict → one resolves it → both see it resolved.

use serde_json::{json, Map};
use zoufang_model::{ConflictStatus, Entity, Scope};
use zoufang_scenarios::Scenario;
use zoufang_store::HouseholdQuery;

#[test]
fn two_devices_edit_the_same_household_offline() {
    let sc = Scenario::start();
    let mut a = sc.device(&sc.dir().join("a.db"), "花桥村 张伟的平板", Scope::Village(sc.villages[0]));
    let mut b = sc.device(&sc.dir().join("b.db"), "花桥村 李书记的平板", Scope::Village(sc.villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    let list = a.households(&HouseholdQuery::default()).unwrap();
    assert_eq!(list.len(), 30);
    let h = list[3].id;

    // Offline: both change the phone; A also fixes the address, B the helper.
    let set = |pairs: &[(&str, serde_json::Value)]| -> Map<String, serde_json::Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    };
    a.update(Entity::Household, h, &set(&[("phone", json!("13800001111")), ("address", json!("红阳村3组12号"))]))
        .unwrap();
    b.update(Entity::Household, h, &set(&[("phone", json!("13900002222")), ("helper_name", json!("王建国"))])).unwrap();

    let ra = zoufang_client::sync(&mut a).unwrap();
    assert_eq!(ra.pushed.applied, 2);
    let rb = zoufang_client::sync(&mut b).unwrap();
    assert_eq!(rb.pushed.conflicts, 1);
    zoufang_client::sync(&mut a).unwrap();

    let ha = a.household(h).unwrap().unwrap();
    let hb = b.household(h).unwrap().unwrap();
    assert_eq!(ha, hb, "both devices show the same record");
    assert_eq!(ha.address.as_deref(), Some("红阳村3组12号"), "non-conflicting edits merge");
    assert_eq!(ha.helper_name.as_deref(), Some("王建国"));
    let winner = ha.phone.clone().unwrap();
    assert_eq!(winner.as_str(), "13900002222", "the later edit (B's) wins");

    let ca = a.conflicts(Some(ConflictStatus::Open)).unwrap();
    let cb = b.conflicts(Some(ConflictStatus::Open)).unwrap();
    assert_eq!(ca.len(), 1);
    assert_eq!(ca, cb, "the same open conflict on both");
    let c = &ca[0];
    assert_eq!((c.entity.as_str(), c.row_id, c.field.as_str()), ("household", h, "phone"));
    let values: Vec<_> = c.candidates.iter().map(|x| x.value.clone()).collect();
    assert_eq!(values, vec![json!("13800001111"), json!("13900002222")]);
    let authors: Vec<_> = c.candidates.iter().map(|x| x.author.as_str()).collect();
    assert_eq!(authors, vec!["花桥村 张伟的平板", "花桥村 李书记的平板"]);
    assert!(c.candidates.iter().all(|x| !x.at.is_empty()));

    // A resolves with its own number.
    a.resolve_conflict(c.id, &json!("13800001111"), "张伟").unwrap();
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    for s in [&a, &b] {
        assert!(s.conflicts(Some(ConflictStatus::Open)).unwrap().is_empty());
        let all = s.conflicts(None).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, ConflictStatus::Resolved);
        assert_eq!(all[0].resolved_by.as_deref(), Some("张伟"));
        assert_eq!(all[0].resolution, Some(json!("13800001111")));
        assert_eq!(s.household(h).unwrap().unwrap().phone.unwrap().as_str(), "13800001111");
    }
    assert_eq!(sc.storage.stats().unwrap().open_conflicts, 0);
}

#[test]
fn delete_on_one_device_while_the_other_edits() {
    let sc = Scenario::start();
    let mut a = sc.device(&sc.dir().join("a.db"), "平板甲", Scope::Village(sc.villages[1]));
    let mut b = sc.device(&sc.dir().join("b.db"), "平板乙", Scope::Village(sc.villages[1]));
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    a.delete(Entity::Household, h).unwrap();
    b.update(Entity::Household, h, &[("notes".to_string(), json!("户主已搬到县城安置点"))].into_iter().collect())
        .unwrap();
    zoufang_client::sync(&mut a).unwrap();
    zoufang_client::sync(&mut b).unwrap();
    zoufang_client::sync(&mut a).unwrap();
    for s in [&a, &b] {
        assert!(s.household(h).unwrap().is_none(), "the tombstone stands");
        let row = s.row(Entity::Household, h).unwrap().unwrap();
        assert_eq!(row.fields["notes"], json!("户主已搬到县城安置点"), "the edit is kept, not lost");
        let open = s.conflicts(Some(ConflictStatus::Open)).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].field, "deleted");
    }
    // B restores the household by resolving the conflict.
    let c = b.conflicts(Some(ConflictStatus::Open)).unwrap().remove(0);
    b.resolve_conflict(c.id, &json!(false), "李书记").unwrap();
    zoufang_client::sync(&mut b).unwrap();
    zoufang_client::sync(&mut a).unwrap();
    for s in [&a, &b] {
        assert!(s.household(h).unwrap().is_some());
        assert!(s.conflicts(Some(ConflictStatus::Open)).unwrap().is_empty());
    }
}
