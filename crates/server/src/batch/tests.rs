//! The push rules on their own, over an in-memory backend (the merge rules' reference ledger plus the
//! look-ups a push needs): every rule a hostile or broken device runs into, without HTTP or SQL. The
//! HTTP scenarios (`tests/scenarios/hostile.rs`) prove the same rules through both real backends.

use super::*;
use serde_json::json;
use zoufang_model::Role;
use zoufang_sync::chain::{link_all, to_hex};
use zoufang_sync::memory::MemoryLedger;
use zoufang_sync::{FieldState, Place, Seq};

const SERVER: Uuid = Uuid::from_u128(0x5e);
const VILLAGE: Uuid = Uuid::from_u128(0x10);
const OTHER_VILLAGE: Uuid = Uuid::from_u128(0x20);
const HOUSEHOLD: Uuid = Uuid::from_u128(0x11);

/// The reference ledger and what the server keeps beside its log.
#[derive(Default)]
struct Memory {
    ledger: MemoryLedger,
    heads: HashMap<Uuid, ChainHead>,
    refused: HashMap<Uuid, (String, String)>,
    places: HashMap<Uuid, (Entity, Uuid)>,
    codes: HashMap<Uuid, String>,
    files: Vec<(String, Uuid, Entity, u64)>,
}

fn never(e: std::convert::Infallible) -> ServerError {
    match e {}
}

impl Ledger for Memory {
    type Error = ServerError;
    fn known(&mut self, change: Uuid) -> Result<Option<Seq>, ServerError> {
        self.ledger.known(change).map_err(never)
    }
    fn current(&mut self, row: Uuid, field: &str) -> Result<Option<FieldState>, ServerError> {
        self.ledger.current(row, field).map_err(never)
    }
    fn row_state(&mut self, row: Uuid) -> Result<Vec<(String, FieldState)>, ServerError> {
        self.ledger.row_state(row).map_err(never)
    }
    fn open_conflict(&mut self, row: Uuid, field: &str) -> Result<Option<Uuid>, ServerError> {
        self.ledger.open_conflict(row, field).map_err(never)
    }
    fn set_open_conflict(&mut self, row: Uuid, field: &str, c: Option<Uuid>) -> Result<(), ServerError> {
        self.ledger.set_open_conflict(row, field, c).map_err(never)
    }
    fn author(&mut self, device: Uuid) -> Result<String, ServerError> {
        self.ledger.author(device).map_err(never)
    }
    fn append(&mut self, change: &Change, place: Place, applied: bool) -> Result<Seq, ServerError> {
        self.ledger.append(change, place, applied).map_err(never)
    }
}

impl BatchBackend for Memory {
    fn chain_head(&mut self, device: Uuid) -> Result<Option<ChainHead>, ServerError> {
        Ok(self.heads.get(&device).copied())
    }
    fn stored_link(&mut self, id: Uuid) -> Result<Option<Vec<u8>>, ServerError> {
        let entry = self.ledger.log.iter().find(|e| e.change.id == id);
        Ok(entry.and_then(|e| e.change.chain.as_deref().and_then(from_hex)).map(|l| l.to_vec()))
    }
    fn refused_before(&mut self, id: Uuid) -> Result<Option<(String, String)>, ServerError> {
        Ok(self.refused.get(&id).cloned())
    }
    fn keep_refused(&mut self, c: &Change, reason: &str, _now: i64) -> Result<(), ServerError> {
        self.refused.insert(c.id, (serde_json::to_string(c).unwrap(), reason.to_string()));
        Ok(())
    }
    fn stored_place(&mut self, row: Uuid) -> Result<Option<(Entity, Uuid)>, ServerError> {
        Ok(self.places.get(&row).copied())
    }
    fn stored_code(&mut self, village: Uuid) -> Result<Option<String>, ServerError> {
        Ok(self.codes.get(&village).cloned())
    }
    fn stored_rows(&mut self, entity: Entity, village: Uuid) -> Result<Vec<Uuid>, ServerError> {
        Ok(self.places.iter().filter(|(_, p)| **p == (entity, village)).map(|(r, _)| *r).collect())
    }
    fn mark_new(&mut self, _row: Uuid) {}
    fn scope_row(&mut self, row: Uuid, entity: Entity, village: Uuid) -> Result<(), ServerError> {
        self.places.insert(row, (entity, village));
        Ok(())
    }
    fn set_code(&mut self, village: Uuid, code: &str) -> Result<(), ServerError> {
        self.codes.insert(village, code.to_string());
        Ok(())
    }
    fn name_file(&mut self, hash: &str, village: Uuid, entity: Entity, seq: u64) -> Result<(), ServerError> {
        self.files.push((hash.to_string(), village, entity, seq));
        Ok(())
    }
}

/// One change as a device (or the trusted source) writes it, dated `at` ms from now.
fn change(device: Uuid, entity: Entity, row: Uuid, field: &str, value: Value, at: i64) -> Change {
    let wall = (chrono::Utc::now().timestamp_millis() + at) as u64;
    Change {
        id: Uuid::now_v7(),
        entity,
        row,
        field: field.into(),
        value,
        hlc: Hlc::new(wall, 0),
        device,
        base: None,
        seen: None,
        chain: None,
    }
}

/// A server holding two villages (trusted load) and one household in the first.
fn server() -> Memory {
    let mut m = Memory::default();
    let source = Uuid::from_u128(0xdead);
    let mut changes = Vec::new();
    for (v, code) in [(VILLAGE, "522630101201"), (OTHER_VILLAGE, "522630102202")] {
        changes.push(change(source, Entity::Village, v, "code", json!(code), -60_000));
        changes.push(change(source, Entity::Village, v, "name", json!("花桥村"), -60_000));
    }
    changes.push(change(source, Entity::Household, HOUSEHOLD, "village_id", json!(VILLAGE), -60_000));
    changes.push(change(source, Entity::Household, HOUSEHOLD, "head_name", json!("王大山"), -60_000));
    let done = push(&mut m, None, &mut changes, false).unwrap();
    assert!(done.results.iter().all(|r| r.status == Status::Applied), "{:?}", done.results);
    m
}

fn work_team(village: Uuid) -> DeviceAuth {
    DeviceAuth::new(Uuid::from_u128(0xd1), "平板", Scope::Village(village), Role::WorkTeam)
}

/// Pushes `changes` for `device`, chained on from its head when `chain`; keeps the new head.
fn push(
    m: &mut Memory,
    device: Option<&DeviceAuth>,
    changes: &mut [Change],
    chain: bool,
) -> Result<Applied, ServerError> {
    if chain {
        let head = device.and_then(|d| m.heads.get(&d.id)).map_or(GENESIS, |h| h.link);
        link_all(head, changes);
    }
    let mut clock = Clock::default();
    let done = apply_batch(m, &mut clock, SERVER, device, changes)?;
    if let (Some(d), Some(h)) = (device, done.head) {
        m.heads.insert(d.id, h);
    }
    Ok(done)
}

#[test]
fn a_chained_change_in_the_devices_village_is_applied_and_the_head_moves_on() {
    let mut m = server();
    let d = work_team(VILLAGE);
    let mut batch = [change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("已走访"), 0)];
    let done = push(&mut m, Some(&d), &mut batch, true).unwrap();
    assert_eq!(done.results[0].status, Status::Applied);
    let head = done.head.expect("a head after a chained change");
    assert_eq!(Some(to_hex(&head.link)), batch[0].chain, "the head is the last link sent");
    assert_eq!(head.hlc, batch[0].hlc);
    // The same batch again (a resend after a lost answer) is a duplicate, not a broken history.
    m.heads.remove(&d.id);
    let again = push(&mut m, Some(&d), &mut batch, false).unwrap();
    assert_eq!(again.results[0].status, Status::Duplicate);
}

#[test]
fn a_missing_or_wrong_link_refuses_the_whole_batch() {
    let mut m = server();
    let d = work_team(VILLAGE);
    let mut unchained = [change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("甲"), 0)];
    let err = push(&mut m, Some(&d), &mut unchained, false).unwrap_err();
    assert_eq!((err.kind, err.code), (ErrorKind::Conflict, "history_mismatch"));
    assert!(err.message.contains("缺少历史链接"), "{}", err.message);
    let mut good = [
        change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("乙"), 0),
        change(d.id, Entity::Household, HOUSEHOLD, "phone", json!("13800000000"), 1),
    ];
    link_all(GENESIS, &mut good);
    good[1].value = json!("13900000000"); // altered after it was linked
    let err = push(&mut m, Some(&d), &mut good, false).unwrap_err();
    assert_eq!(err.code, "history_mismatch");
    // (The backend then rolls its transaction back: the scenarios in tests/scenarios/hostile.rs show
    // nothing of a refused batch is kept, on both databases.)
}

#[test]
fn a_clock_set_back_or_far_ahead_refuses_the_whole_batch() {
    let mut m = server();
    let d = work_team(VILLAGE);
    push(&mut m, Some(&d), &mut [change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("甲"), 0)], true).unwrap();
    let mut earlier = [change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("乙"), -3_600_000)];
    let err = push(&mut m, Some(&d), &mut earlier, true).unwrap_err();
    assert_eq!(err.code, "clock_backwards");
    let ahead_ms = MAX_AHEAD_MS as i64 + 3 * 24 * 3_600_000;
    let mut ahead = [change(d.id, Entity::Household, HOUSEHOLD, "notes", json!("丙"), ahead_ms)];
    let err = push(&mut m, Some(&d), &mut ahead, true).unwrap_err();
    assert_eq!(err.code, zoufang_sync::refusal::CLOCK_AHEAD);
    assert!(err.message.contains("约 3 天"), "{}", err.message);
}

#[test]
fn a_change_outside_scope_or_role_is_refused_alone_kept_and_refused_again_when_resent() {
    let mut m = server();
    let outsider = work_team(OTHER_VILLAGE);
    let inspector = DeviceAuth::new(Uuid::from_u128(0xd2), "暗访", Scope::County("522630".into()), Role::Inspector);
    let mut batch = [
        change(outsider.id, Entity::Household, HOUSEHOLD, "notes", json!("别村的户"), 0),
        change(outsider.id, Entity::Village, OTHER_VILLAGE, "name", json!("改村名"), 1),
    ];
    let done = push(&mut m, Some(&outsider), &mut batch, true).unwrap();
    let why: Vec<&str> = done.results.iter().map(|r| r.rejection.as_ref().unwrap().message.as_str()).collect();
    assert!(why[0].contains("不在本机的工作范围"), "{}", why[0]);
    assert!(why[1].contains("不能修改村记录"), "{}", why[1]);
    assert_eq!(m.refused.len(), 2, "refused changes are kept: they are part of the history");
    assert!(done.head.is_some(), "the chain moves past refused changes");
    // Sent again as it was: refused again for the same reason, the history still whole.
    m.heads.remove(&outsider.id);
    let again = push(&mut m, Some(&outsider), &mut batch, false).unwrap();
    assert!(again.results.iter().all(|r| r.status == Status::Rejected));
    assert_eq!(again.results[0].rejection.as_ref().unwrap().message, why[0]);
    // Sent again altered: that is a forged history.
    m.heads.remove(&outsider.id);
    let mut altered = batch.clone();
    altered[0].value = json!("改过的");
    assert_eq!(push(&mut m, Some(&outsider), &mut altered, false).unwrap_err().code, "history_mismatch");
    // An inspector writes inspections only.
    let mut note = [change(inspector.id, Entity::Household, HOUSEHOLD, "notes", json!("暗访"), 0)];
    let done = push(&mut m, Some(&inspector), &mut note, true).unwrap();
    assert_eq!(done.results[0].status, Status::Rejected);
}

#[test]
fn a_record_keeps_its_kind_and_a_new_one_must_first_say_where_it_belongs() {
    let mut m = server();
    let d = work_team(VILLAGE);
    let member = Uuid::from_u128(0x12);
    let mut batch = [
        // The household's id reused as a member.
        change(d.id, Entity::Member, HOUSEHOLD, "name", json!("王小山"), 0),
        // A new member whose first change is not its household.
        change(d.id, Entity::Member, member, "name", json!("王小山"), 1),
        // A new member placed in a household that is not one.
        change(d.id, Entity::Member, member, "household_id", json!(VILLAGE), 2),
        // A conflict record made by a device.
        change(d.id, Entity::Conflict, Uuid::from_u128(0x13), "village_id", json!(VILLAGE), 3),
        // Properly: placed first, then named.
        change(d.id, Entity::Member, member, "household_id", json!(HOUSEHOLD), 4),
        change(d.id, Entity::Member, member, "name", json!("王小山"), 5),
    ];
    let done = push(&mut m, Some(&d), &mut batch, true).unwrap();
    let message = |i: usize| done.results[i].rejection.as_ref().map(|r| r.message.clone()).unwrap_or_default();
    assert!(message(0).contains("不能作为"), "{}", message(0));
    assert!(message(1).contains("新记录须先写所属村/户"), "{}", message(1));
    assert!(message(2).contains("不存在"), "{}", message(2));
    assert!(message(3).contains("服务器"), "conflict records are the server's: {}", message(3));
    assert_eq!(done.results[4].status, Status::Applied);
    assert_eq!(done.results[5].status, Status::Applied);
    assert_eq!(m.places.get(&member), Some(&(Entity::Member, VILLAGE)), "placed in its household's village");
}

#[test]
fn a_village_code_is_fixed_once_created() {
    let mut m = server();
    let county = DeviceAuth::new(Uuid::from_u128(0xd3), "县办", Scope::County("522630".into()), Role::County);
    let mut batch = [change(county.id, Entity::Village, VILLAGE, "code", json!("522630101299"), 0)];
    let done = push(&mut m, Some(&county), &mut batch, true).unwrap();
    assert!(done.results[0].rejection.as_ref().unwrap().message.contains("创建后不能修改"));
    assert_eq!(m.codes.get(&VILLAGE).map(String::as_str), Some("522630101201"));
}

#[test]
fn a_request_of_another_protocol_or_too_many_changes_is_refused_before_any_work() {
    let req = |protocol, n| zoufang_sync::PushRequest {
        protocol,
        batch: 1,
        changes: vec![change(SERVER, Entity::Household, HOUSEHOLD, "notes", json!(""), 0); n],
    };
    assert_eq!(check_request(&req(zoufang_sync::PROTOCOL + 1, 1)).unwrap_err().code, "unsupported_protocol");
    let err = check_request(&req(zoufang_sync::PROTOCOL, zoufang_sync::MAX_BATCH + 1)).unwrap_err();
    assert_eq!((err.kind, err.code), (ErrorKind::TooLarge, "batch_too_large"));
    assert!(check_request(&req(zoufang_sync::PROTOCOL, zoufang_sync::MAX_BATCH)).is_ok());
}
