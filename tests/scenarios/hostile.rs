//! A hostile or broken device against a real server: hand-made requests from a village tablet, a
//! township device, an inspector's and the county office's, each trying what its role forbids. One
//! test per class of hole (each failed on the code before the class was closed), then generated pushes
//! from every role with the invariants checked after each batch (`generated`).

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;
use zoufang_client::{Client, SyncError};
use zoufang_model::{Entity, InspectionFindings, Role, Scope};
use zoufang_scenarios::world::{field_work, inspections, seed, World};
use zoufang_scenarios::{ForwardingProxy, RawDevice, Scenario, Sql, TestServer};
use zoufang_server::RevokeMode;
use zoufang_store::{HouseholdQuery, NewDocument, OpeningKey, PhotoTarget};
use zoufang_sync::chain::{to_hex, GENESIS};
use zoufang_sync::{Hlc, Status, Version};

mod generated;

const COUNTY: &str = "522630";
const TOWNSHIP_OF_A: &str = "522630101";

/// The server's current value and log position of a field.
fn current(server: &TestServer, row: Uuid, field: &str) -> Option<(Value, u64)> {
    server
        .sql(
            "SELECT value, seq FROM change_log WHERE row_id = $1 AND field = $2 AND live",
            &[Sql::Id(row), Sql::Text(field.into())],
        )
        .first()
        .map(|r| (serde_json::from_str(r[0].text()).unwrap(), r[1].int() as u64))
}

/// Rows of a kind in a village, as the server placed them.
fn rows_of(server: &TestServer, entity: Entity, village: Uuid) -> Vec<Uuid> {
    server
        .sql(
            "SELECT row_id FROM row_scope WHERE entity = $1 AND village_id = $2 ORDER BY row_id",
            &[Sql::Text(entity.ident().into()), Sql::Id(village)],
        )
        .into_iter()
        .map(|r| r[0].id())
        .collect()
}

/// Every row id a device receives, following pages to the end.
fn pulled_rows(client: &Client) -> BTreeSet<Uuid> {
    let mut seen = BTreeSet::new();
    let mut after = 0;
    loop {
        let (page, _) = client.pull(after, 5000).unwrap();
        seen.extend(page.rows.iter().map(|r| r.row));
        if !page.more {
            return seen;
        }
        after = page.cursor;
    }
}

fn refused(r: &zoufang_sync::PushResponse, i: usize, why: &str) {
    let res = &r.results[i];
    assert_eq!(res.status, Status::Rejected, "{res:?}");
    let msg = &res.rejection.as_ref().unwrap().message;
    assert!(msg.contains(why), "expected a refusal mentioning {why}: {msg}");
}

fn server_error(e: SyncError) -> (u16, String, String) {
    match e {
        SyncError::Server { status, code, message } => (status, code, message),
        other => panic!("expected an answer from the server: {other}"),
    }
}

/// Class 1: a conflict over a 暗访 inspection (another inspector's device withdrawing it) reaches the
/// county office and no one else; conflicts over records a role reads still reach it.
#[test]
fn a_conflict_is_read_only_by_those_who_may_read_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    field_work(&server, dir.path(), w.a, "a");
    inspections(&server, dir.path(), COUNTY, &[w.a]);
    let inspection = rows_of(&server, Entity::Inspection, w.a)[0];
    let mut other = RawDevice::enrol(&server, "另一督查组", &Scope::County(COUNTY.into()), Role::Inspector);
    let withdraw = other.change(Entity::Inspection, inspection, "deleted", json!(true), None);
    let r = other.push(vec![withdraw]).unwrap();
    assert_eq!(r.results[0].status, Status::Applied);
    let conflict = r.results[0].conflict.expect("a withdrawal made without seeing the fields opens a conflict");

    let village = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);
    let township = RawDevice::enrol(&server, "乡镇", &Scope::Township(TOWNSHIP_OF_A.into()), Role::Township);
    let county = RawDevice::enrol(&server, "县扶贫办", &Scope::County(COUNTY.into()), Role::County);
    let household_conflicts: Vec<Uuid> =
        rows_of(&server, Entity::Conflict, w.a).into_iter().filter(|c| *c != conflict).collect();
    assert!(!household_conflicts.is_empty(), "the field work made a conflict over a household");
    for (who, dev) in [("village", &village), ("township", &township)] {
        let rows = pulled_rows(&dev.client);
        assert!(!rows.contains(&conflict), "{who} received the conflict over an inspection");
        assert!(!rows.contains(&inspection), "{who} received the inspection");
        assert!(household_conflicts.iter().all(|c| rows.contains(c)), "{who} still receives household conflicts");
    }
    assert!(pulled_rows(&county.client).contains(&conflict), "the county office resolves it");

    // Nor can a township device write to it (it may write conflicts, not this one).
    let mut township = township;
    let resolve = township.change(Entity::Conflict, conflict, "resolved_by", json!("乡镇干部"), None);
    let r = township.push(vec![resolve]).unwrap();
    refused(&r, 0, "不在本机的工作范围");
    // No device makes conflict records: the server does.
    let mut village = village;
    let fake = village.change(Entity::Conflict, Uuid::now_v7(), "village_id", json!(w.a.to_string()), None);
    assert_eq!(village.push(vec![fake]).unwrap().results[0].status, Status::Rejected);
}

/// Class 2: a row's kind is fixed when it is created; a change naming another kind is refused, and so
/// is a reference to a record of the wrong kind.
#[test]
fn a_record_keeps_the_kind_it_was_created_as() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    field_work(&server, dir.path(), w.a, "a");
    let mut team = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);
    let (name, seq) = current(&server, w.a, "name").unwrap();

    // The village's name through a change claiming the row is a member.
    let c = team.change(Entity::Member, w.a, "name", json!("张三"), Some(Version::Seq(seq)));
    refused(&team.push(vec![c]).unwrap(), 0, "这条记录是村记录");
    // Deleting the village as if it were a household.
    let c = team.change(Entity::Household, w.a, "deleted", json!(true), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不能作为");
    // A township writing a household's status as if it were a conflict.
    let mut township = RawDevice::enrol(&server, "乡镇", &Scope::Township(TOWNSHIP_OF_A.into()), Role::Township);
    let h = rows_of(&server, Entity::Household, w.a)[0];
    let c = township.change(Entity::Conflict, h, "status", json!("resolved"), None);
    refused(&township.push(vec![c]).unwrap(), 0, "不能作为");
    // A new member whose household is the village, and a photo naming a household of another village.
    let member = Uuid::now_v7();
    let c = team.change(Entity::Member, member, "household_id", json!(w.a.to_string()), None);
    refused(&team.push(vec![c]).unwrap(), 0, "所属贫困户不存在");
    let hb = rows_of(&server, Entity::Household, w.b)[0];
    let photo = rows_of(&server, Entity::Photo, w.a)[0];
    let c = team.change(Entity::Photo, photo, "household_id", json!(hb.to_string()), None);
    assert_eq!(team.push(vec![c]).unwrap().results[0].status, Status::Rejected);

    assert_eq!(current(&server, w.a, "name").unwrap().0, name, "the village keeps its name");
    assert_eq!(current(&server, w.a, "deleted"), None);
    assert_eq!(
        server.sql_int(
            "SELECT count(*) FROM change_log c JOIN row_scope r ON r.row_id = c.row_id WHERE c.entity <> r.entity",
            &[]
        ),
        0,
        "every log entry names its row's kind"
    );
    // A new device of the village still lists it.
    let mut fresh = server.device(&dir.path().join("fresh.db"), "新平板", Scope::Village(w.a));
    zoufang_client::sync(&mut fresh).unwrap();
    assert_eq!(fresh.villages().unwrap().len(), 1);
    assert_eq!(fresh.household(h).unwrap().unwrap().id, h);
}

/// Class 3: after a revocation for handover, a change dated back before what the device already sent
/// is refused (the server does not take the device's word for when it was made), what was genuinely
/// made before the revocation still goes up, and the device reads no photo, not even its village's.
#[test]
fn a_revoked_device_can_neither_backdate_nor_read() {
    let sc = Scenario::start();
    let (_, page) = village_photo(&sc, sc.dir(), sc.villages[0]);
    let mut team = RawDevice::enrol(&sc, "村平板", &Scope::Village(sc.villages[0]), Role::WorkTeam);
    assert!(team.client.blob_get(&page).unwrap().is_some(), "before: the village's photo reads");
    let h = rows_of(&sc, Entity::Household, sc.villages[0])[0];
    let c = team.change(Entity::Household, h, "notes", json!("停用前上传"), None);
    assert_eq!(team.push(vec![c]).unwrap().results[0].status, Status::Applied);
    let offline = team.change(Entity::Household, h, "phone", json!("13800001111"), None);

    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(sc.storage.revoke(team.id, RevokeMode::Handover).unwrap());
    // Dated a day back: before what the device already sent.
    let mut back = team.change(Entity::Household, h, "notes", json!("停用后倒填日期"), None);
    back.hlc = Hlc::new(zoufang_sync::hlc::now_ms() - 24 * 3600 * 1000, 0);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let after = team.change(Entity::Household, h, "group_name", json!("三组"), None);
    let (status, code, _) = server_error(team.push(vec![back]).unwrap_err());
    assert_eq!((status, code.as_str()), (409, "clock_backwards"));
    let r = team.push(vec![offline, after]).unwrap();
    assert_eq!(r.results[0].status, Status::Applied, "made offline before the revocation: taken");
    refused(&r, 1, "停用之后");
    assert_eq!(current(&sc, h, "notes").unwrap().0, json!("停用前上传"));
    // It reads nothing: no pull, no photo.
    assert_eq!(server_error(team.client.pull(0, 10).unwrap_err()).1, "handover");
    let (status, code, _) = server_error(team.client.blob_get(&page).unwrap_err());
    assert_eq!((status, code.as_str()), (404, "blob_unknown"));
}

/// A photo taken and uploaded by a tablet of `village`: the tablet and the file's name.
fn village_photo(server: &TestServer, dir: &std::path::Path, village: Uuid) -> (zoufang_store::Store, String) {
    let mut a = server.device(&dir.join(format!("photo-{village}.db")), "拍照平板", Scope::Village(village));
    zoufang_client::sync(&mut a).unwrap();
    let h = a.households(&HouseholdQuery { village: Some(village), ..Default::default() }).unwrap()[0].id;
    let doc = NewDocument { household_id: h, kind: zoufang_model::ArchiveKind::Application, title: None, note: None };
    let doc = a.create_document(&doc, None).unwrap();
    let jpeg = zoufang_media::sample::camera_jpeg(1600, 1200, 7, 85, &Default::default());
    let page = a.import_photo(&jpeg, PhotoTarget::ArchiveDocument(doc), Some("李芳")).unwrap().photo;
    assert_eq!(zoufang_client::sync(&mut a).unwrap().photos.uploaded, 2);
    (a, page.hash)
}

/// Uploads a whole file from where the server stands; the server's last answer.
fn upload(client: &Client, hash: &str, bytes: &[u8]) -> Result<zoufang_sync::BlobStatus, SyncError> {
    let mut status = client.blob_status(hash)?;
    while !status.complete {
        let start = status.received as usize;
        let end = (start + zoufang_sync::BLOB_CHUNK).min(bytes.len());
        status = client.blob_put(hash, bytes.len() as u64, start as u64, &bytes[start..end])?;
    }
    Ok(status)
}

/// Class 4: a change dated far ahead of the server's clock is refused with the batch (nothing taken),
/// and a device whose clock ran fast dates its unsent work again by the server's clock and syncs.
#[test]
fn a_clock_from_the_future_is_refused_and_a_fast_device_catches_up() {
    let sc = Scenario::start();
    let mut raw = RawDevice::enrol(&sc, "改装平板", &Scope::Village(sc.villages[0]), Role::WorkTeam);
    let h = rows_of(&sc, Entity::Household, sc.villages[0])[0];
    let (_, seq) = current(&sc, h, "notes").unwrap_or((Value::Null, 0));
    let before = sc.log_len();
    for far in [Hlc(u64::MAX), Hlc::new(zoufang_sync::hlc::now_ms() + 2 * 3600 * 1000, 0)] {
        let mut c = raw.change(Entity::Household, h, "notes", json!("永远赢"), Some(Version::Seq(seq)));
        c.hlc = far;
        let (status, code, message) = server_error(raw.push(vec![c]).unwrap_err());
        assert_eq!((status, code.as_str()), (409, "clock_ahead"));
        assert!(message.contains("本机时钟比服务器快"), "{message}");
    }
    assert_eq!(sc.log_len(), before, "nothing of those batches was taken");
    // The same device dated right goes on from where its history stands.
    let c = raw.change(Entity::Household, h, "notes", json!("时间正常"), Some(Version::Seq(seq)));
    assert_eq!(raw.push(vec![c]).unwrap().results[0].status, Status::Applied);

    // A real device whose clock ran five hours fast (it followed a wrong date) while it worked offline.
    let mut store = sc.village_device("fast.db", "时钟快的平板", 0);
    let ahead = zoufang_sync::hlc::now_ms() + 5 * 3600 * 1000;
    store
        .conn()
        .execute(
            "INSERT INTO meta(key, value) VALUES ('hlc_seen', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [Hlc::new(ahead, 0).0.to_string()],
        )
        .unwrap();
    let hs = store.households(&HouseholdQuery::default()).unwrap();
    for (i, h) in hs.iter().take(3).enumerate() {
        let patch = [("notes".to_string(), json!(format!("离线走访记录{i}")))].into_iter().collect();
        store.update(Entity::Household, h.id, &patch).unwrap();
    }
    let r = zoufang_client::sync(&mut store).unwrap();
    let fast = r.clock_corrected_ms.expect("the server refused the fast dates and the device corrected them");
    assert!(fast.abs() < 60_000, "the wall clock itself was right: {fast} ms");
    assert_eq!(r.pushed.applied, 3);
    assert_eq!(store.pending_changes().unwrap(), 0);
    let latest = sc.sql_int("SELECT max(hlc) FROM change_log WHERE device = $1", &[Sql::Id(store.device_id())]);
    assert!(Hlc(latest as u64).wall_ms() <= zoufang_sync::hlc::now_ms() + 3600 * 1000);
    // Later work is dated right, and the history chain holds.
    let patch = [("notes".to_string(), json!("校正之后"))].into_iter().collect();
    store.update(Entity::Household, hs[0].id, &patch).unwrap();
    assert_eq!(zoufang_client::sync(&mut store).unwrap().clock_corrected_ms, None);
    assert!(sc.storage.audit().unwrap().iter().all(|a| a.problem.is_none()));
}

/// Class 5: a device that sends no history link is refused, not left unchained; the audit then checks
/// every device that ever pushed.
#[test]
fn every_change_carries_its_history_link() {
    let sc = Scenario::start();
    let mut raw = RawDevice::enrol(&sc, "不留痕的平板", &Scope::Village(sc.villages[0]), Role::WorkTeam);
    let h = rows_of(&sc, Entity::Household, sc.villages[0])[0];
    let before = sc.log_len();
    let c = raw.change(Entity::Household, h, "notes", json!("没有链接"), None);
    let (status, code, message) = server_error(raw.push_as_is(vec![c], GENESIS).unwrap_err());
    assert_eq!((status, code.as_str()), (409, "history_mismatch"));
    assert!(message.contains("缺少历史链接"), "{message}");
    // A forged link is no better.
    let mut c = raw.change(Entity::Household, h, "notes", json!("伪造链接"), None);
    c.chain = Some(to_hex(&[7; 32]));
    assert_eq!(server_error(raw.push_as_is(vec![c], GENESIS).unwrap_err()).1, "history_mismatch");
    assert_eq!(sc.log_len(), before);
    let c = raw.change(Entity::Household, h, "notes", json!("有链接"), None);
    let r = raw.push(vec![c]).unwrap();
    assert_eq!(r.results[0].status, Status::Applied, "{:?}", r.results[0]);
    let audit = sc.storage.audit().unwrap();
    let mine = audit.iter().find(|a| a.device == raw.id).expect("the device is audited");
    assert_eq!((mine.checked, &mine.problem), (1, &None));
    assert_eq!(
        sc.sql_int("SELECT count(*) FROM change_log WHERE device = $1 AND chain IS NULL", &[Sql::Id(raw.id)]),
        0
    );
}

/// Class 6: naming a photo hash seen elsewhere gives nothing: a village-B record naming village A's
/// 一户一档 page or a sealed 暗访 photo does not let B's devices fetch it. A device that really holds
/// the bytes shows it by uploading them, and its village may then read the file.
#[test]
fn naming_a_hash_seen_elsewhere_gives_nothing() {
    let sc = Scenario::start();
    let (va, vb) = (sc.villages[0], sc.villages[1]);
    let (a, page) = village_photo(&sc, sc.dir(), va);
    let page_bytes = a.blob(&page).unwrap().unwrap();
    let thumb = sc.sql("SELECT value FROM change_log WHERE field = 'thumb_hash' ORDER BY seq LIMIT 1", &[])[0][0]
        .text()
        .to_string();
    let thumb: String = serde_json::from_str(&thumb).unwrap();

    // A sealed 暗访 photo of a household of village A.
    let office = OpeningKey::generate();
    sc.storage.set_sealing_key(COUNTY, &office.sealing_key().to_string(), Uuid::nil()).unwrap();
    let mut inspector = sc.device_as(&sc.dir().join("i.db"), "督查组", Scope::County(COUNTY.into()), Role::Inspector);
    zoufang_client::sync(&mut inspector).unwrap();
    let ha = rows_of(&sc, Entity::Household, va)[0];
    let jpeg = zoufang_media::sample::camera_jpeg(1200, 900, 9, 85, &Default::default());
    let sealed = inspector.seal_inspection_photo(&jpeg).unwrap();
    let findings =
        InspectionFindings { notes: Some("暗访".into()), photos: vec![sealed.clone()], ..Default::default() };
    inspector.record_inspection(ha, chrono::Local::now().date_naive(), "赵督查", &findings).unwrap();
    zoufang_client::sync(&mut inspector).unwrap();

    // Village B's device names both files on photo records of its own village.
    let mut b = RawDevice::enrol(&sc, "乙村改装平板", &Scope::Village(vb), Role::WorkTeam);
    let hb = rows_of(&sc, Entity::Household, vb)[0];
    for hash in [page.clone(), sealed.hash.clone()] {
        let id = Uuid::now_v7();
        let fields = [
            ("village_id", json!(vb.to_string())),
            ("household_id", json!(hb.to_string())),
            ("owner_kind", json!("visit")),
            ("owner_id", json!(Uuid::now_v7().to_string())),
            ("hash", json!(hash)),
            ("thumb_hash", json!(thumb)),
            ("width", json!(1600)),
            ("height", json!(1200)),
            ("bytes", json!(1000)),
        ];
        let changes = fields.into_iter().map(|(f, v)| b.change(Entity::Photo, id, f, v, None)).collect();
        let r = b.push(changes).unwrap();
        assert!(r.results.iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
        let (status, code, _) = server_error(b.client.blob_get(&hash).unwrap_err());
        assert_eq!((status, code.as_str()), (404, "blob_unknown"), "village B read a file it only named");
    }
    // Village A's devices read the page, the county office the sealed photo.
    let a2 = RawDevice::enrol(&sc, "甲村另一台", &Scope::Village(va), Role::WorkTeam);
    assert_eq!(a2.client.blob_get(&page).unwrap().unwrap(), page_bytes);
    let county = RawDevice::enrol(&sc, "县扶贫办", &Scope::County(COUNTY.into()), Role::County);
    assert!(county.client.blob_get(&sealed.hash).unwrap().is_some());

    // A device of B that really holds the page's bytes shows it by uploading them: wrong bytes are
    // refused, the right ones let B's devices read the file.
    let status = b.client.blob_status(&page).unwrap();
    assert_eq!((status.received, status.complete), (0, false), "the server asks B for the bytes");
    let (status, code, _) = server_error(upload(&b.client, &page, &vec![0u8; page_bytes.len()]).unwrap_err());
    assert_eq!((status, code.as_str()), (422, "blob_hash"));
    assert!(upload(&b.client, &page, &page_bytes).unwrap().complete);
    let b2 = RawDevice::enrol(&sc, "乙村另一台", &Scope::Village(vb), Role::WorkTeam);
    assert_eq!(b2.client.blob_get(&page).unwrap().unwrap(), page_bytes);
    // The sealed photo stays out of reach: B's devices learn nothing of it, not even that it is here.
    assert!(b.client.blob_get(&sealed.hash).is_err());
    let status = b.client.blob_status(&sealed.hash).unwrap();
    assert_eq!((status.received, status.complete), (0, false));
}

/// Class 7: wrong passwords and codes are counted per client (the address a trusted proxy forwards)
/// and per account, before they are checked, in the database: 40 concurrent guesses get at most the
/// allowed number of answers, a burst of honest enrolments from one client waits its turn instead of
/// being refused, another client behind the same proxy is not locked out, and a restart
/// does not reset the count.
#[test]
fn guessing_is_counted_per_client_and_account_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = zoufang_server::ApiOptions::with_trusted_proxies("127.0.0.1").unwrap();
    let server = TestServer::start_with_options(dir.path(), options.clone());
    let villages = server.seed_small();
    let scope = Scope::Village(villages[0]);
    server.storage.create_user("zhangwei", "张伟", Role::FirstSecretary, &scope, "花桥村第一书记2026").unwrap();
    server.storage.create_user("wangfang", "王芳", Role::WorkTeam, &scope, "王芳的密码2026").unwrap();
    let guesser = ForwardingProxy::start(server.addr, "203.0.113.7".parse().unwrap());
    let honest = ForwardingProxy::start(server.addr, "198.51.100.2".parse().unwrap());

    // A township enrolling a room of tablets at once from one address: attempts in flight are waited
    // out, not refused.
    let codes: Vec<String> =
        (0..25).map(|i| server.storage.create_enrol_code(&format!("平板{i}"), &scope, 1).unwrap()).collect();
    std::thread::scope(|s| {
        for (i, code) in codes.iter().enumerate() {
            let url = honest.url.clone();
            s.spawn(move || Client::new(&url).enrol(code, Uuid::now_v7(), &format!("平板{i}")).unwrap());
        }
    });

    let answers: Vec<u16> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..40)
            .map(|i| {
                let url = guesser.url.clone();
                s.spawn(move || {
                    let e = Client::new(&url)
                        .login("zhangwei", &format!("猜的密码{i:04}"), Uuid::now_v7(), "猜")
                        .unwrap_err();
                    server_error(e).0
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let wrong = answers.iter().filter(|s| **s == 403).count();
    let slowed = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(wrong + slowed, 40, "{answers:?}");
    assert_eq!(wrong, zoufang_server::api::ENROL_FAILURES_ALLOWED as usize, "{answers:?}");

    // Another client behind the same proxy enrols and signs in to its own account.
    let code = server.storage.create_enrol_code("新平板", &scope, 1).unwrap();
    Client::new(&honest.url).enrol(&code, Uuid::now_v7(), "新平板").unwrap();
    Client::new(&honest.url).login("wangfang", "王芳的密码2026", Uuid::now_v7(), "王芳的平板").unwrap();
    // The attacked account waits out the window, from anywhere (the right password too).
    let e = Client::new(&honest.url).login("zhangwei", "花桥村第一书记2026", Uuid::now_v7(), "张伟").unwrap_err();
    assert_eq!(server_error(e).0, 429);
    // The guesser cannot enrol by code either.
    let code = server.storage.create_enrol_code("另一台", &scope, 1).unwrap();
    assert_eq!(server_error(Client::new(&guesser.url).enrol(&code, Uuid::now_v7(), "猜").unwrap_err()).0, 429);
    // A client writing its own X-Forwarded-For to the proxy gains nothing: the proxy's entry is last.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = json!({"protocol": 1, "code": code, "device_id": Uuid::now_v7(), "device_name": "猜"});
    let resp = agent
        .post(format!("{}/v1/enrol", guesser.url))
        .header("X-Forwarded-For", "192.0.2.99")
        .send_json(&body)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);

    // A restart keeps the count.
    drop(server);
    let server = TestServer::start_with_options(dir.path(), options);
    let e = Client::new(&server.url).login("zhangwei", "花桥村第一书记2026", Uuid::now_v7(), "张伟").unwrap_err();
    assert_eq!(server_error(e).0, 429);
}

/// Class 8: enrolling under a registered device's id takes it over only with proof (its old token or
/// its history's last link); the real device re-enrols and uploads its unsent work.
#[test]
fn enrolling_again_under_a_device_id_needs_proof() {
    let sc = Scenario::start();
    let scope = Scope::Village(sc.villages[0]);
    let mut tablet = sc.device(&sc.dir().join("t.db"), "张伟的平板", scope.clone());
    zoufang_client::sync(&mut tablet).unwrap();
    let h = tablet.households(&HouseholdQuery::default()).unwrap()[0].id;
    let patch = [("notes".to_string(), json!("已同步"))].into_iter().collect();
    tablet.update(Entity::Household, h, &patch).unwrap();
    zoufang_client::sync(&mut tablet).unwrap();
    let patch = [("notes".to_string(), json!("过期后才上传"))].into_iter().collect();
    tablet.update(Entity::Household, h, &patch).unwrap();
    sc.sql("UPDATE device SET expires_at = '2020-01-01T00:00:00+08:00' WHERE id = $1", &[Sql::Id(tablet.device_id())]);

    // Someone who learnt the id enrols under it with a fresh code: refused.
    let code = sc.storage.create_enrol_code("冒充", &scope, 1).unwrap();
    let (status, code_name, _) =
        server_error(Client::new(&sc.url).enrol(&code, tablet.device_id(), "冒充").unwrap_err());
    assert_eq!((status, code_name.as_str()), (409, "device_exists"));
    let wrong_proof =
        Client::new(&sc.url).enrol_proving(&code, tablet.device_id(), "冒充", Some("zf_guess")).unwrap_err();
    assert_eq!(server_error(wrong_proof).1, "device_exists");
    // The tablet itself proves it with its old token and carries on.
    let code = sc.storage.create_enrol_code("张伟的平板", &scope, 1).unwrap();
    zoufang_client::enrol(&mut tablet, &sc.url, &code, "张伟的平板").unwrap();
    zoufang_client::sync(&mut tablet).unwrap();
    assert_eq!(current(&sc, h, "notes").unwrap().0, json!("过期后才上传"));

    // The last link of its history proves it too (a device that lost its token but not its data).
    sc.sql("UPDATE device SET expires_at = '2020-01-01T00:00:00+08:00' WHERE id = $1", &[Sql::Id(tablet.device_id())]);
    let link: Vec<u8> =
        tablet.conn().query_row("SELECT chain FROM change_log ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    let code = sc.storage.create_enrol_code("张伟的平板", &scope, 1).unwrap();
    let hex: String = link.iter().map(|b| format!("{b:02x}")).collect();
    Client::new(&sc.url).enrol_proving(&code, tablet.device_id(), "张伟的平板", Some(&hex)).unwrap();
}

/// Class 9: malformed scopes, offsets and cursors are refused at the door with 400 and nothing stored;
/// unknown paths, wrong methods and oversized requests get the JSON error body too.
#[test]
fn inputs_are_checked_at_the_door() {
    use zoufang_sync::{CodeRequest, UserRequest};
    let sc = Scenario::start();
    let county = RawDevice::enrol(&sc, "县扶贫办", &Scope::County(COUNTY.into()), Role::County);
    let bad_county = Scope::County("522630abc".into());
    let user = UserRequest {
        login: "lisi".into(),
        name: "李四".into(),
        role: Role::County,
        scope: bad_county.clone(),
        password: "县扶贫办的密码2026".into(),
    };
    let (status, _, message) = server_error(county.client.add_user(&user).unwrap_err());
    assert_eq!(status, 400);
    assert!(message.contains("无法识别的范围"), "{message}");
    sc.storage.users().expect("the user list still reads");
    let req = CodeRequest {
        scope: Scope::Township(COUNTY.into()),
        role: Role::Township,
        device_name: "乡镇".into(),
        ttl_hours: 24,
    };
    assert_eq!(server_error(county.client.issue_code(&req).unwrap_err()).0, 400);
    assert!(sc.storage.create_enrol_code_for("乡镇", &Scope::Township(COUNTY.into()), Role::Township, 1, 30).is_err());

    // A village device with a photo record naming a file it has not uploaded yet.
    let mut team = RawDevice::enrol(&sc, "平板", &Scope::Village(sc.villages[0]), Role::WorkTeam);
    let hash = "ab".repeat(32);
    let h = rows_of(&sc, Entity::Household, sc.villages[0])[0];
    let photo = Uuid::now_v7();
    let fields = [
        ("village_id", json!(sc.villages[0].to_string())),
        ("household_id", json!(h.to_string())),
        ("owner_kind", json!("visit")),
        ("owner_id", json!(Uuid::now_v7().to_string())),
        ("hash", json!(hash)),
        ("thumb_hash", json!("cd".repeat(32))),
        ("width", json!(10)),
        ("height", json!(10)),
        ("bytes", json!(10)),
    ];
    let changes = fields.into_iter().map(|(f, v)| team.change(Entity::Photo, photo, f, v, None)).collect();
    assert!(team.push(changes).unwrap().results.iter().all(|r| r.status == Status::Applied));
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let auth = format!("Bearer {}", team.token);
    let answer = |resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>| -> (u16, Value) {
        let mut resp = resp.unwrap();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (resp.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let get = |path: &str, headers: &[(String, String)]| {
        let mut req = agent.get(format!("{}{path}", sc.url)).header("Authorization", &auth);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        answer(req.call())
    };
    let url = format!("{}/v1/blobs/{hash}/upload?offset=18446744073709551615&size=10", sc.url);
    let (s, v) = answer(agent.put(url).header("Authorization", &auth).send(&[1u8, 2, 3][..]));
    assert_eq!((s, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    let (s, v) = get("/v1/pull?after=18446744073709551615", &[]);
    assert_eq!((s, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    let (s, v) = get("/v1/nowhere", &[]);
    assert_eq!((s, v["error"].as_str()), (404, Some("not_found")), "{v}");
    let (s, v) = answer(agent.delete(format!("{}/v1/push", sc.url)).call());
    assert_eq!((s, v["error"].as_str()), (405, Some("method_not_allowed")), "{v}");
    let (s, v) = get(&format!("/v1/pull?after=0&x={}", "a".repeat(10_000)), &[]);
    assert_eq!((s, v["error"].as_str()), (414, Some("uri_too_long")), "{v}");
    let many: Vec<(String, String)> = (0..70).map(|i| (format!("x-filler-{i}"), "1".into())).collect();
    let (s, v) = get("/v1/health", &many);
    assert_eq!((s, v["error"].as_str()), (431, Some("headers_too_large")), "{v}");
    assert_eq!(get("/v1/health", &[]).0, 200);
}

/// A `StatusChange` record's fields for a hand-made push.
fn status_change(
    dev: &mut RawDevice,
    household: Uuid,
    procedure: &str,
    from: &str,
    to: &str,
    reason: Option<&str>,
    exit_decision: Option<Uuid>,
) -> (Uuid, Vec<zoufang_sync::Change>) {
    let id = Uuid::now_v7();
    // In the order a device writes them: the new status after everything it rests on.
    let mut fields = vec![
        ("household_id", json!(household.to_string())),
        ("procedure", json!(procedure)),
        ("from_status", json!(from)),
        ("decided_on", json!(chrono::Local::now().date_naive().to_string())),
        ("actor", json!("王五")),
    ];
    if let Some(r) = reason {
        fields.push(("reason", json!(r)));
        fields.push(("evidence", json!("入户核实")));
    }
    if let Some(d) = exit_decision {
        fields.push(("exit_decision", json!(d.to_string())));
    }
    fields.push(("to_status", json!(to)));
    fields.push(("recorded_at", json!(chrono::Local::now().to_rfc3339())));
    let changes = fields.into_iter().map(|(f, v)| dev.change(Entity::StatusChange, id, f, v, None)).collect();
    (id, changes)
}

/// An exit decision passing `step`, for a hand-made push; `n` orders decisions made the same day.
fn exit_decision(dev: &mut RawDevice, household: Uuid, step: &str, n: u32) -> (Uuid, Vec<zoufang_sync::Change>) {
    let id = Uuid::now_v7();
    let today = chrono::Local::now().date_naive();
    let fields = [
        ("household_id", json!(household.to_string())),
        ("step", json!(step)),
        ("outcome", json!("passed")),
        ("decided_on", json!(today.to_string())),
        ("actor", json!("王五")),
        ("recorded_at", json!(format!("{today}T08:00:{n:02}+08:00"))),
    ];
    (id, fields.into_iter().map(|(f, v)| dev.change(Entity::ExitDecision, id, f, v, None)).collect())
}

/// Class 9: 户状态 changes only through a procedure. A tablet's hand-made push that sets the status,
/// names no procedure record, names one of another household or one that does not fit, or records a
/// procedure its role may not, or withdraws another office's step, is refused; a 返贫 registered on a real device and the county office's
/// correction go through, and every device ends with the same status and its history.
#[test]
fn a_household_status_changes_only_through_a_procedure() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    let status_of = |h: Uuid| current(&server, h, "status").map(|(v, _)| v.as_str().unwrap().to_string());
    let households = rows_of(&server, Entity::Household, w.a);
    let poor = *households.iter().find(|h| status_of(**h).as_deref() == Some("poor")).expect("a poor household");
    let exited = *households.iter().find(|h| status_of(**h).as_deref() == Some("exited")).expect("an exited household");
    let mut team = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);

    // Setting the status directly, with or without naming a change record.
    let c = team.change(Entity::Household, poor, "status", json!("exited"), None);
    refused(&team.push(vec![c]).unwrap(), 0, "户状态只能通过程序变更");
    // A record of another household named for this one (itself refused: a 返贫 states its reason).
    let (sc, mut batch) = status_change(&mut team, exited, "relapse", "exited", "returned", None, None);
    batch.push(team.change(Entity::Household, poor, "status_change", json!(sc.to_string()), None));
    batch.push(team.change(Entity::Household, poor, "status", json!("returned"), None));
    let r = team.push(batch).unwrap();
    refused(&r, 5, "返贫原因");
    refused(&r, 7, "不属于该户");
    refused(&r, 8, "户状态只能通过程序变更");
    // A 返贫 of a household still in poverty; an exit with no 销号 decision behind it: the record's new
    // status is refused, and so is the household's.
    for (procedure, to, why) in [("relapse", "returned", "返贫"), ("exit", "exited", "销号")] {
        let (sc, mut batch) = status_change(&mut team, poor, procedure, "poor", to, Some("因病"), None);
        batch.push(team.change(Entity::Household, poor, "status_change", json!(sc.to_string()), None));
        batch.push(team.change(Entity::Household, poor, "status", json!(to), None));
        let r = team.push(batch).unwrap();
        refused(&r, 7, why);
        refused(&r, 9, "未被接收");
        refused(&r, 10, "户状态只能通过程序变更");
    }
    // A 销号 decision with no earlier step behind it.
    let (d, mut batch) = exit_decision(&mut team, poor, "closed", 0);
    let (_, record) = status_change(&mut team, poor, "exit", "poor", "exited", None, Some(d));
    batch.extend(record);
    let r = team.push(batch).unwrap();
    assert!(r.results[..12].iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    refused(&r, 12, "尚未依次办完");
    // A work team's "correction".
    let (_, batch) = status_change(&mut team, poor, "correction", "poor", "marginal", Some("错评"), None);
    let r = team.push(batch).unwrap();
    refused(&r, 1, "不能办理县级纠错");
    refused(&r, 7, "不完整");
    assert_eq!(status_of(poor).as_deref(), Some("poor"));
    assert_eq!(status_of(exited).as_deref(), Some("exited"));

    // A real tablet registers a 返贫 by its procedure: accepted, with its history.
    let mut tablet = server.device(&dir.path().join("tablet.db"), "甲平板", Scope::Village(w.a));
    zoufang_client::sync(&mut tablet).unwrap();
    let relapse = zoufang_store::NewStatusChange {
        household_id: exited,
        procedure: zoufang_model::StatusProcedure::Relapse,
        to_status: zoufang_model::HouseholdStatus::Returned,
        decided_on: chrono::Local::now().date_naive().to_string(),
        actor: "李娟".into(),
        reason: Some("因病：户主突发重病，医疗支出超过家庭收入".into()),
        evidence: Some("入户核实，医院收费单据".into()),
    };
    tablet.record_status_change(&relapse).unwrap();
    let sent = zoufang_client::sync(&mut tablet).unwrap();
    assert_eq!(sent.pushed.rejected, 0, "{:?}", sent.pushed);
    assert_eq!(status_of(exited).as_deref(), Some("returned"));

    // The county office corrects a status with a reason; it may write nothing else of a household.
    let mut county = RawDevice::enrol(&server, "县扶贫办", &Scope::County(COUNTY.into()), Role::County);
    let (sc, mut batch) =
        status_change(&mut county, poor, "correction", "poor", "marginal", Some("错评：收入核实高于标准"), None);
    batch.push(county.change(Entity::Household, poor, "status_change", json!(sc.to_string()), None));
    batch.push(county.change(Entity::Household, poor, "status", json!("marginal"), None));
    batch.push(county.change(Entity::Household, poor, "notes", json!("县里改的备注"), None));
    let r = county.push(batch).unwrap();
    assert!(r.results[..11].iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    refused(&r, 11, "不能修改贫困户记录");
    assert_eq!(status_of(poor).as_deref(), Some("marginal"));

    // Every village device converges on both, with the procedure records behind them.
    zoufang_client::sync(&mut tablet).unwrap();
    let detail = tablet.household_detail(poor, chrono::Local::now().date_naive()).unwrap();
    assert_eq!(detail.household.status, zoufang_model::HouseholdStatus::Marginal);
    assert_eq!(detail.status_changes.len(), 1);
    assert_eq!(detail.status_changes[0].procedure, zoufang_model::StatusProcedure::Correction);
    let back = tablet.household_detail(exited, chrono::Local::now().date_naive()).unwrap();
    assert_eq!(back.status_changes.len(), 1);
    assert_eq!(back.household.status_change, Some(back.status_changes[0].id));

    // The household that fell back exits again by the whole procedure, step by step, each office
    // recording its own step: taken. A village tablet recording the township's or the county's step is
    // refused.
    let mut batch = Vec::new();
    for (n, step) in ["application", "verification", "review", "publicity"].into_iter().enumerate() {
        batch.extend(exit_decision(&mut team, exited, step, n as u32).1);
    }
    let (_, forged) = exit_decision(&mut team, exited, "township_review", 4);
    batch.extend(forged);
    let r = team.push(batch).unwrap();
    assert!(r.results[..24].iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    refused(&r, 25, "「乡镇审核」由乡镇干部办理，驻村工作队员账号不能办理");
    let mut township = RawDevice::enrol(&server, "乡镇", &Scope::Township(TOWNSHIP_OF_A.into()), Role::Township);
    let (review, batch) = exit_decision(&mut township, exited, "township_review", 5);
    assert!(township.push(batch).unwrap().results.iter().all(|x| x.status == Status::Applied));
    // Nor may the village withdraw the township's step: only the office that records a step does.
    let c = team.change(Entity::ExitDecision, review, "deleted", json!(true), None);
    refused(&team.push(vec![c]).unwrap(), 0, "「乡镇审核」的记录只能由乡镇干部撤销");
    assert_ne!(current(&server, review, "deleted").map(|(v, _)| v), Some(json!(true)));
    let (_, batch) = exit_decision(&mut county, exited, "county_decision", 6);
    assert!(county.push(batch).unwrap().results.iter().all(|x| x.status == Status::Applied));
    let mut batch = exit_decision(&mut team, exited, "notice", 7).1;
    let (closed, fields) = exit_decision(&mut team, exited, "closed", 8);
    batch.extend(fields);
    let (sc, record) = status_change(&mut team, exited, "exit", "returned", "exited", None, Some(closed));
    batch.extend(record);
    batch.push(team.change(Entity::Household, exited, "status_change", json!(sc.to_string()), None));
    batch.push(team.change(Entity::Household, exited, "status", json!("exited"), None));
    let r = team.push(batch).unwrap();
    assert!(r.results.iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    assert_eq!(status_of(exited).as_deref(), Some("exited"));
    zoufang_client::sync(&mut tablet).unwrap();
    let again = tablet.household_detail(exited, chrono::Local::now().date_naive()).unwrap();
    let procedures: Vec<_> = again.status_changes.iter().map(|c| c.procedure).collect();
    assert_eq!(procedures, [zoufang_model::StatusProcedure::Relapse, zoufang_model::StatusProcedure::Exit]);
    assert!(again.status_changes_not_in_effect.is_empty());

    // A hand-made 返贫 record that follows its procedure but that no household change follows: kept and
    // shown, marked as not in effect; the household keeps its status.
    let (orphan, batch) = status_change(&mut team, exited, "relapse", "exited", "returned", Some("因病"), None);
    let r = team.push(batch).unwrap();
    assert!(r.results.iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    zoufang_client::sync(&mut tablet).unwrap();
    let shown = tablet.household_detail(exited, chrono::Local::now().date_naive()).unwrap();
    assert_eq!(shown.household.status, zoufang_model::HouseholdStatus::Exited);
    assert!(shown.status_changes.iter().any(|c| c.id == orphan));
    assert_eq!(shown.status_changes_not_in_effect, [orphan]);
}

/// A 销号 step's fields for a hand-made push, in the order a device writes them.
fn review_step(
    dev: &mut RawDevice,
    village: Uuid,
    item: Uuid,
    action: &str,
    note: Option<&str>,
) -> (Uuid, Vec<zoufang_sync::Change>) {
    let id = Uuid::now_v7();
    let mut fields = vec![
        ("village_id", json!(village.to_string())),
        ("rectification_id", json!(item.to_string())),
        ("decided_on", json!(chrono::Local::now().date_naive().to_string())),
        ("actor", json!("王五")),
    ];
    if let Some(n) = note {
        fields.push(("note", json!(n)));
    }
    fields.push(("action", json!(action)));
    fields.push(("recorded_at", json!(chrono::Local::now().to_rfc3339())));
    (id, fields.into_iter().map(|(f, v)| dev.change(Entity::RectificationReview, id, f, v, None)).collect())
}

/// A rectification item's fields for a hand-made push.
fn rectification_item(
    dev: &mut RawDevice,
    village: Uuid,
    source: &str,
    status: &str,
) -> (Uuid, Vec<zoufang_sync::Change>) {
    let id = Uuid::now_v7();
    let fields = [
        ("village_id", json!(village.to_string())),
        ("source", json!(source)),
        ("problem", json!("村道破损未修复")),
        ("deadline", json!("2027-01-31")),
        ("status", json!(status)),
    ];
    (id, fields.into_iter().map(|(f, v)| dev.change(Entity::Rectification, id, f, v, None)).collect())
}

/// Class 10: 销号 belongs to whoever issued the item. A village tablet's hand-made push cannot issue a
/// county item, create one closed, close a county item by a field, a step of its own or a step it
/// names, change what the item asks or withdraw it; a township cannot confirm the county's item. The
/// village's proposal and the county's confirmation go through and reach every device.
#[test]
fn only_the_issuer_closes_a_rectification_item() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    let value = |row: Uuid, field: &str| current(&server, row, field).map(|(v, _)| v);
    let mut county = RawDevice::enrol(&server, "县扶贫办", &Scope::County(COUNTY.into()), Role::County);
    let mut team = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);
    let mut township = RawDevice::enrol(&server, "乡镇", &Scope::Township(TOWNSHIP_OF_A.into()), Role::Township);
    let (item, batch) = rectification_item(&mut county, w.a, "inspection", "open");
    let r = county.push(batch).unwrap();
    assert!(r.results.iter().all(|x| x.status == Status::Applied), "{:?}", r.results);

    // Issuing a county item, or creating one closed.
    let (_, batch) = rectification_item(&mut team, w.a, "inspection", "open");
    refused(&team.push(batch).unwrap(), 1, "县扶贫办下发");
    let (_, batch) = rectification_item(&mut team, w.a, "self_check", "closed");
    refused(&team.push(batch).unwrap(), 4, "待整改或整改中");
    // Closing the county's item by its fields, changing what it asks, withdrawing it.
    for (field, v, why) in [
        ("status", json!("closed"), "没有对应的销号记录"),
        ("closed_on", json!("2026-11-20"), "销号日期"),
        ("deadline", json!("2027-12-31"), "不能修改「整改时限」"),
        ("deleted", json!(true), "不能修改「已删除」"),
    ] {
        let c = team.change(Entity::Rectification, item, field, v, None);
        refused(&team.push(vec![c]).unwrap(), 0, why);
    }
    // A confirmation of its own, named by the item.
    let (step, mut batch) = review_step(&mut team, w.a, item, "confirm", None);
    batch.push(team.change(Entity::Rectification, item, "review", json!(step.to_string()), None));
    batch.push(team.change(Entity::Rectification, item, "status", json!("closed"), None));
    let r = team.push(batch).unwrap();
    refused(&r, 4, "由县扶贫办确认销号");
    refused(&r, 6, "不属于该问题或不完整");
    refused(&r, 7, "没有对应的销号记录");
    assert_eq!(value(item, "status"), Some(json!("open")));

    // The village proposes with what was done: taken.
    let (step, mut batch) = review_step(&mut team, w.a, item, "propose", Some("已硬化路面 200 米"));
    batch.push(team.change(Entity::Rectification, item, "review", json!(step.to_string()), None));
    batch.push(team.change(Entity::Rectification, item, "status", json!("proposed"), None));
    batch.push(team.change(Entity::Rectification, item, "evidence", json!("已硬化路面 200 米"), None));
    let r = team.push(batch).unwrap();
    assert!(r.results.iter().all(|x| x.status == Status::Applied), "{:?}", r.results);
    assert_eq!(value(item, "status"), Some(json!("proposed")));
    // The village names its proposal again as if it closed the item; the township confirms it.
    let c = team.change(Entity::Rectification, item, "status", json!("closed"), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不能申请销号");
    let (step, mut batch) = review_step(&mut township, w.a, item, "confirm", None);
    batch.push(township.change(Entity::Rectification, item, "review", json!(step.to_string()), None));
    batch.push(township.change(Entity::Rectification, item, "status", json!("closed"), None));
    let r = township.push(batch).unwrap();
    refused(&r, 4, "乡镇干部账号不能确认销号");
    refused(&r, 6, "不属于该问题或不完整");
    assert_eq!(value(item, "status"), Some(json!("proposed")));

    // The county confirms, on its real device: taken, and every village device has it with its steps.
    let mut office =
        server.device_as(&dir.path().join("office.db"), "县扶贫办", Scope::County(COUNTY.into()), Role::County);
    zoufang_client::sync(&mut office).unwrap();
    let close = zoufang_store::NewReview {
        rectification_id: item,
        action: zoufang_model::RectificationAction::Confirm,
        decided_on: chrono::Local::now().date_naive().to_string(),
        actor: "王主任".into(),
        note: None,
    };
    office.review_problem(&close).unwrap();
    let sent = zoufang_client::sync(&mut office).unwrap();
    assert_eq!(sent.pushed.rejected, 0, "{:?}", sent.pushed);
    assert_eq!(value(item, "status"), Some(json!("closed")));
    let mut tablet = server.device(&dir.path().join("tablet.db"), "甲平板", Scope::Village(w.a));
    zoufang_client::sync(&mut tablet).unwrap();
    let today = chrono::Local::now().date_naive();
    let p = tablet.problem_ledger(w.a, false, today).unwrap().into_iter().find(|p| p.item.id == item).unwrap();
    assert_eq!(p.item.status, zoufang_model::RectificationStatus::Closed);
    assert_eq!(p.item.closed_on, Some(today));
    let steps: Vec<_> = p.reviews.iter().map(|r| r.action).collect();
    use zoufang_model::RectificationAction::{Confirm, Propose};
    assert_eq!(steps, [Propose, Confirm], "refused steps arrive incomplete and are not shown");
}

/// Class 11: members leave by a change, never a delete. A village tablet's hand-made push that deletes
/// a member, sets its leaving date with no change behind it, or names another member's change, is
/// refused; a real tablet's recorded move-out is taken, and the member stays on record everywhere.
#[test]
fn members_leave_by_a_change_never_a_delete() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    let members = rows_of(&server, Entity::Member, w.a);
    let (m, other) = (members[0], members[1]);
    let mut team = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);
    let c = team.change(Entity::Member, m, "deleted", json!(true), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不能删除成员");
    let c = team.change(Entity::Member, m, "left_on", json!("2026-11-01"), None);
    refused(&team.push(vec![c]).unwrap(), 0, "没有对应的成员变动记录");
    assert_ne!(current(&server, m, "deleted").map(|(v, _)| v), Some(json!(true)));

    // A real tablet records a move-out; a forged push naming that change for another member is refused.
    let mut tablet = server.device(&dir.path().join("tablet.db"), "甲平板", Scope::Village(w.a));
    zoufang_client::sync(&mut tablet).unwrap();
    let household = tablet.get::<zoufang_model::Member>(m).unwrap().unwrap().household_id;
    let out = zoufang_store::NewMemberChange {
        household_id: household,
        kind: zoufang_model::MemberChangeKind::MoveOut,
        changed_on: chrono::Local::now().date_naive().to_string(),
        actor: "李娟".into(),
        evidence: Some("户口迁移证明".into()),
        member_id: Some(m),
        member: None,
    };
    let change = tablet.record_member_change(&out).unwrap();
    let sent = zoufang_client::sync(&mut tablet).unwrap();
    assert_eq!(sent.pushed.rejected, 0, "{:?}", sent.pushed);
    assert_eq!(current(&server, m, "left_on").map(|(v, _)| v), Some(json!(out.changed_on)));
    let c = team.change(Entity::Member, other, "member_change", json!(change.to_string()), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不属于该成员");
    let mut second = server.device(&dir.path().join("other.db"), "乙平板", Scope::Village(w.a));
    zoufang_client::sync(&mut second).unwrap();
    let moved = second.get::<zoufang_model::Member>(m).unwrap().unwrap();
    assert_eq!(
        (moved.member_change, moved.left_on.map(|d| d.to_string())),
        (Some(change), Some(out.changed_on.clone()))
    );
}

/// Class 12: the 帮扶责任人 register and the 村级档案 belong to their village. A village tablet's
/// hand-made push cannot link its household, or a visit, to another village's helper, nor place a
/// village document in another village; the township, which reads them, cannot write them.
#[test]
fn helpers_and_village_documents_stay_in_their_village() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    let household = rows_of(&server, Entity::Household, w.a)[0];
    let (ours, theirs) = (rows_of(&server, Entity::Helper, w.a)[0], rows_of(&server, Entity::Helper, w.b)[0]);
    let mut team = RawDevice::enrol(&server, "村平板", &Scope::Village(w.a), Role::WorkTeam);
    let c = team.change(Entity::Household, household, "helper_id", json!(theirs.to_string()), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不在同一个村");
    let visit = rows_of(&server, Entity::Visit, w.a)[0];
    let c = team.change(Entity::Visit, visit, "helper_id", json!(theirs.to_string()), None);
    refused(&team.push(vec![c]).unwrap(), 0, "不在同一个村");
    let c = team.change(Entity::Household, household, "helper_id", json!(ours.to_string()), None);
    assert_ne!(team.push(vec![c]).unwrap().results[0].status, Status::Rejected, "a helper of its own village");

    let doc = Uuid::now_v7();
    let c = team.change(Entity::VillageDocument, doc, "village_id", json!(w.b.to_string()), None);
    refused(&team.push(vec![c]).unwrap(), 0, "工作范围");
    let mut township = RawDevice::enrol(&server, "乡镇", &Scope::Township(TOWNSHIP_OF_A.into()), Role::Township);
    let c = township.change(Entity::Helper, ours, "phone", json!("13800001111"), None);
    refused(&township.push(vec![c]).unwrap(), 0, "不能修改帮扶责任人记录");
    assert_ne!(current(&server, household, "helper_id").map(|(v, _)| v), Some(json!(theirs.to_string())));
    assert_eq!(current(&server, doc, "village_id"), None, "nothing of the refused document is kept");
}
