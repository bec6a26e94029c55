//! Every command, called through Tauri's IPC layer (mock runtime: the real command handlers, argument
//! parsing and error serialisation, without a window), over a real device database in a temp directory
//! and a real server on loopback.

mod common;

use common::App;
use serde_json::{json, Value};
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::TestServer;

#[test]
fn the_app_opens_its_data_only_with_the_unlock_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    let app = App::locked(&data);
    assert_eq!(app.ok("lock_state", json!({})), json!({ "unlocked": false, "exists": false, "min_secret_chars": 6 }));
    let (_, msg) = app.err("app_info", json!({}));
    assert!(msg.contains("尚未解锁"), "{msg}");
    let (field, msg) = app.err("unlock", json!({ "secret": "12345" }));
    assert_eq!((field.as_deref(), msg.as_str()), (Some("secret"), "解锁密码至少需要 6 个字符"));
    assert_eq!(app.ok("lock_state", json!({}))["exists"], false, "a refused secret creates nothing");
    let info = app.ok("unlock", json!({ "secret": "花桥村2026" }));
    assert_eq!(info["enrolled"], false);
    app.ok("set_operator", json!({ "name": "李娟" }));
    drop(app);

    // The next start: the database exists; a wrong secret is refused, the right one opens it.
    let app = App::locked(&data);
    assert_eq!(app.ok("lock_state", json!({}))["exists"], true);
    let (field, msg) = app.err("unlock", json!({ "secret": "花桥村2025" }));
    assert_eq!((field.as_deref(), msg.as_str()), (Some("secret"), "解锁密码不正确，请重新输入"));
    assert_eq!(app.ok("lock_state", json!({}))["unlocked"], false);
    assert_eq!(app.ok("unlock", json!({ "secret": "花桥村2026" }))["operator"], "李娟");
    let head = std::fs::read(data.join("zoufang.db")).unwrap();
    assert_ne!(&head[..16], b"SQLite format 3\0", "the file is encrypted");
    // Locked again (idle, or 锁定): nothing is readable until the secret is given once more.
    assert_eq!(app.ok("lock_now", json!({}))["unlocked"], false);
    let (_, msg) = app.err("app_info", json!({}));
    assert!(msg.contains("尚未解锁"), "{msg}");
    let (field, _) = app.err("unlock", json!({ "secret": "花桥村2025" }));
    assert_eq!(field.as_deref(), Some("secret"));
    assert_eq!(app.ok("unlock", json!({ "secret": "花桥村2026" }))["operator"], "李娟");
}

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

#[test]
fn every_command_over_a_real_store_and_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let village = villages[0];
    let app = App::new(&dir.path().join("device"));

    // app_info before enrolment.
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["enrolled"], false);
    assert_eq!(info["villages"], json!([]));

    // enrol: empty fields and a wrong code are refused, in Chinese, at the field.
    let (field, msg) = app.err("enrol", json!({"serverUrl": " ", "code": "x", "deviceName": "平板"}));
    assert_eq!(field.as_deref(), Some("server_url"));
    assert!(msg.contains("服务器地址"), "{msg}");
    let (_, msg) = app.err("enrol", json!({"serverUrl": server.url, "code": "WRONG-CODE", "deviceName": "平板"}));
    assert!(!msg.is_empty());
    let code = server.storage.create_enrol_code("花桥村平板", &Scope::Village(village), 1).unwrap();
    let info = app.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": "花桥村平板"}));
    assert_eq!(info["enrolled"], true);
    assert_eq!(info["role"], "驻村工作队员");
    assert!(info["expires_at"].is_string());
    assert_eq!(info["villages"].as_array().unwrap().len(), 1, "only the enrolled village arrives");
    let (_, msg) = app.err("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": "x"}));
    assert!(msg.contains("已注册"), "{msg}");
    // The background sync starts with a sync of its own; once it has run, what is written next stays
    // pending until the next interval or 立即同步.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.ok("sync_status", json!({}))["last_report"].is_null() {
        assert!(std::time::Instant::now() < deadline, "the background sync's first run did not finish");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // set_operator: a name with digits is refused at the field.
    let (field, _) = app.err("set_operator", json!({"name": "张三3"}));
    assert_eq!(field.as_deref(), Some("operator"));
    assert_eq!(app.ok("set_operator", json!({"name": " 李娟 "})), json!("李娟"));

    // village_overview and households.
    let ov = app.ok("village_overview", json!({"village": village}));
    assert_eq!(ov["households"], 30);
    let all = app.ok("households", json!({"query": {"village": village}}));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 30);
    // A household still in poverty (the exit procedure below starts from one).
    let first = all.iter().find(|x| x["status"] == "poor").expect("a poor household");
    let h = first["id"].as_str().unwrap().to_string();
    let head = first["head_name"].as_str().unwrap().to_string();
    let found = app.ok("households", json!({"query": {"village": village, "text": &head[..head.len().min(6)]}}));
    assert!(found.as_array().unwrap().iter().any(|r| r["id"] == h.as_str()));

    // household_detail.
    let d = app.ok("household_detail", json!({"id": h}));
    assert_eq!(d["household"]["id"], h.as_str());
    assert!(!d["members"].as_array().unwrap().is_empty());

    // update_record: bad phone at the field, nothing changed; a good one is stored.
    let (field, msg) = app.err("update_record", json!({"kind": "household", "id": h, "patch": {"phone": "12345"}}));
    assert_eq!(field.as_deref(), Some("phone"));
    assert!(msg.contains("手机号"), "{msg}");
    assert_eq!(app.ok("update_record", json!({"kind": "household", "id": h, "patch": {"phone": "13800001111"}})), 1);
    // Only the kinds the app edits.
    let (_, msg) = app.err("update_record", json!({"kind": "conflict", "id": h, "patch": {}}));
    assert!(msg.contains("不能"), "{msg}");

    // create_record: a member with a wrong check digit is refused at the field; a valid one is created.
    let (field, msg) = app.err(
        "create_record",
        json!({"kind": "member", "fields": {"household_id": h, "name": "王小明", "relation": "child", "id_number": "522624201001010011"}}),
    );
    assert_eq!(field.as_deref(), Some("id_number"));
    assert!(msg.contains("校验位"), "{msg}");
    let m = app.ok(
        "create_record",
        json!({"kind": "member", "fields": {"household_id": h, "name": "王小明", "relation": "child"}}),
    );
    assert!(m.as_str().is_some());

    // record_visit: a future date is refused at the field; an unmet item becomes a rectification item.
    let needs = json!({"food": {"state": "met"}, "clothing": {"state": "met"}, "education": {"state": "not_applicable"},
        "medical": {"state": "met"}, "housing": {"state": "unmet", "note": "房屋墙体开裂"}, "water": {"state": "met"}});
    let visit = |date: &str| {
        json!({"visit": {"household_id": h, "kind": "routine", "visited_on": date, "visitor": "李娟", "basic_needs": needs,
            "satisfaction": "satisfied", "actual_population": 3, "notes": "家中三人在家", "lat": null, "lon": null,
            "problems": [{"problem": "厨房漏雨", "deadline": null, "responsible": "王强"}]}})
    };
    let (field, msg) = app.err("record_visit", visit("2999-01-01"));
    assert_eq!(field.as_deref(), Some("visited_on"));
    assert_eq!(msg, "日期不能晚于今天");
    app.ok("record_visit", visit(&today()));
    let d = app.ok("household_detail", json!({"id": h}));
    assert_eq!(d["latest_needs"]["housing"]["state"], "unmet");
    let problems: Vec<&Value> = d["problems"].as_array().unwrap().iter().filter(|p| p["status"] == "open").collect();
    assert!(problems.iter().any(|p| p["problem"].as_str().unwrap().contains("房屋墙体开裂")));
    assert!(problems.iter().any(|p| p["problem"] == "厨房漏雨"));

    // income_summary: pure calculation.
    let s = app.ok(
        "income_summary",
        json!({"calc": {"year": 2020, "household_size": 4, "wage_fen": 1600000, "business_fen": 0, "property_fen": 0,
            "transfer_fen": 0, "production_cost_fen": 0}}),
    );
    assert_eq!(s["per_capita_fen"], 400000);
    assert_eq!(s["above_line"], true);

    // check_in and presence_month: one check-in a day.
    let p = app.ok("check_in", json!({"village": village, "lat": 26.5, "lon": 106.7}));
    assert_eq!(p["days_present"].as_array().unwrap().len(), 1);
    assert_eq!(p["checked_in_today"], true);
    let (_, msg) = app.err("check_in", json!({"village": village, "lat": null, "lon": null}));
    assert!(msg.contains("今天已签到"), "{msg}");
    let now = chrono::Local::now().date_naive();
    use chrono::Datelike;
    let p = app.ok("presence_month", json!({"village": village, "year": now.year(), "month": now.month()}));
    assert_eq!(p["staff_name"], "李娟");
    assert!(p["working_days"].as_u64().unwrap() >= 20);

    // problems and review_problem: the village closes what its visit found (the issuer is the village),
    // with what was done; a proposal is for other issuers' items.
    let list = app.ok("problems", json!({"village": village, "openOnly": true}));
    let leak = list.as_array().unwrap().iter().find(|p| p["item"]["problem"] == "厨房漏雨").unwrap();
    assert_eq!((leak["issuer"].as_str(), leak["actions"].clone()), (Some("village"), json!(["confirm"])));
    let leak = leak["item"]["id"].clone();
    let (_, msg) = app.err("review_problem", json!({"id": leak, "action": "confirm", "note": "  "}));
    assert!(msg.contains("整改情况"), "{msg}");
    let (_, msg) = app.err("review_problem", json!({"id": leak, "action": "propose", "note": "已维修"}));
    assert!(msg.contains("直接销号"), "{msg}");
    app.ok("review_problem", json!({"id": leak, "action": "confirm", "note": "已维修屋顶"}));
    let list = app.ok("problems", json!({"village": village, "openOnly": true}));
    assert!(!list.as_array().unwrap().iter().any(|p| p["item"]["id"] == leak));

    // record_exit_decision: steps in order; verification refuses while housing is unmet.
    let decision = |step: &str, outcome: &str| {
        json!({"decision": {"household_id": h, "step": step, "outcome": outcome, "decided_on": today(), "actor": "李娟",
            "evidence": "户主书面申请", "reason": null, "publicity_start": null, "publicity_end": null}})
    };
    // 户状态 is not a field a form edits: only procedures change it.
    let refused = app.call("update_record", json!({"kind": "household", "id": h, "patch": {"status": "exited"}}));
    assert_eq!(refused.expect_err("a direct status edit")["code"], "status_by_procedure");
    // A 返贫 is registered by its procedure, and only for a household that had exited.
    let relapse = json!({"change": {"household_id": h, "procedure": "relapse", "to_status": "returned",
        "decided_on": today(), "actor": "李娟", "reason": "因病", "evidence": "入户核实"}});
    let refused = app.call("record_status_change", relapse).expect_err("a poor household cannot relapse");
    assert_eq!(refused["code"], "status_transition", "{refused}");
    // Sending the status back unchanged (a whole record) is no edit.
    app.ok("update_record", json!({"kind": "household", "id": h, "patch": {"status": "poor"}}));
    let (_, msg) = app.err("record_exit_decision", decision("review", "passed"));
    assert!(msg.contains("申请"), "{msg}");
    let d = app.ok("record_exit_decision", decision("application", "passed"));
    assert_eq!(d["exit"]["progress"]["next"], "verification");
    let (_, msg) = app.err("record_exit_decision", decision("verification", "passed"));
    assert!(msg.contains("房屋墙体开裂"), "{msg}");
    let (_, msg) = app.err("record_exit_decision", decision("verification", "returned"));
    assert!(msg.contains("原因"), "{msg}");

    // dashboard: the reports see the visit just recorded.
    let dash = app.ok("dashboard", json!({}));
    assert!(dash["needs"]["gaps"].as_array().unwrap().iter().any(|g| g["household"]["id"] == h.as_str()));
    assert_eq!(dash["presence"]["lines"][0]["staff_name"], "李娟");
    assert_eq!(dash["coverage"]["households"], 30);

    // import_roster: a CSV roster as the raw body; one household in, one refused; the same file again
    // changes nothing. The refused rows wait in memory; they and the reports are written only where
    // the person chose (never into the data directory).
    let village_name = info["villages"][0]["name"].as_str().unwrap().to_string();
    let csv = format!(
        "户编号,村,姓名,与户主关系\n8001,{village_name},欧阳明,户主\n8001,{village_name},龙秀英,配偶\n8002,不存在村,李四,户主\n"
    );
    let name = "%E8%8A%B1%E5%90%8D%E5%86%8C.csv"; // 花名册.csv
    let r = app.call_raw("import_roster", csv.clone().into_bytes(), &[("x-file-name", name)]).expect("import");
    assert_eq!(r["summary"]["households_created"], 1);
    assert_eq!(r["summary"]["rows_rejected"], 1);
    assert_eq!(r["summary"]["rejected"][0]["column"], "村");
    assert_eq!(r["rejections_name"], "花名册-未导入的行.xlsx");
    assert_eq!(app.ok("export_file_name", json!({"kind": "rejections"})), "花名册-未导入的行.xlsx");
    let chosen = tempfile::tempdir().unwrap();
    let inside = dir.path().join("device").join("花名册-未导入的行.xlsx");
    let (field, msg) = app.err("save_rejections", json!({"path": inside, "fullIds": false}));
    assert_eq!(field.as_deref(), Some("path"));
    assert!(msg.contains("数据目录"), "{msg}");
    let (field, _) = app.err("save_rejections", json!({"path": chosen.path(), "fullIds": false}));
    assert_eq!(field.as_deref(), Some("path"), "a folder is not a file name");
    let report = app.ok("save_rejections", json!({"path": chosen.path().join("未导入.xlsx"), "fullIds": false}));
    assert!(std::fs::read(report.as_str().unwrap()).unwrap().starts_with(b"PK"));
    let again = app.call_raw("import_roster", csv.into_bytes(), &[("x-file-name", name)]).expect("import");
    assert_eq!(again["summary"]["households_created"], 0);
    assert_eq!(again["summary"]["members_created"], 0);
    let e = app.call_raw("import_roster", b"%PDF-1.4".to_vec(), &[("x-file-name", "a.xlsx")]).expect_err("a PDF");
    assert!(e["message"].as_str().unwrap().contains("Excel"), "{e}");
    let e = app.call_raw("import_roster", Vec::new(), &[]).expect_err("empty");
    assert!(e["message"].as_str().unwrap().contains("空"), "{e}");
    let (_, msg) = app.err("save_rejections", json!({"path": chosen.path().join("x.xlsx"), "fullIds": true}));
    assert!(msg.contains("没有未导入的行"), "a failed import drops the last one's rows: {msg}");
    for kind in ["monthly", "ledger"] {
        let file = app.ok("export_file_name", json!({"kind": kind}));
        let path = app.ok("export_report", json!({"kind": kind, "path": chosen.path().join(file.as_str().unwrap())}));
        assert!(std::fs::read(path.as_str().unwrap()).unwrap().starts_with(b"PK"));
    }
    // The village's 公示名单, as a printable PDF and as a workbook, only where the person chose.
    for pdf in [true, false] {
        let file = app.ok("publicity_file_name", json!({"village": village, "pdf": pdf}));
        let file = file.as_str().unwrap();
        assert!(file.contains("拟退出户公示名单") && file.ends_with(if pdf { ".pdf" } else { ".xlsx" }), "{file}");
        let path = app.ok("export_publicity", json!({"village": village, "path": chosen.path().join(file)}));
        let bytes = std::fs::read(path.as_str().unwrap()).unwrap();
        assert!(bytes.starts_with(if pdf { b"%PDF" } else { b"PK\x03\x04" }));
    }
    let inside = dir.path().join("device").join("公示名单.pdf");
    let (field, _) = app.err("export_publicity", json!({"village": village, "path": inside}));
    assert_eq!(field.as_deref(), Some("path"));
    let (_, msg) = app.err("export_report", json!({"kind": "weekly", "path": chosen.path().join("w.xlsx")}));
    assert!(msg.contains("未知"), "{msg}");
    let (field, _) = app.err("export_report", json!({"kind": "monthly", "path": " "}));
    assert_eq!(field.as_deref(), Some("path"));
    assert!(!dir.path().join("device").join("exports").exists(), "nothing written into the data directory");

    // sync_status / sync_now: local changes are pending until the background sync sends them.
    let st = app.ok("sync_status", json!({}));
    assert_eq!(st["enrolled"], true);
    assert!(st["pending"].as_i64().unwrap() > 0);
    app.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let st = app.ok("sync_status", json!({}));
        if st["pending"] == 0 && st["last_sync"].is_string() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "background sync did not finish: {st}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // conflicts / resolve_conflict: another device edits the same phone offline.
    let mut other = server.device(&dir.path().join("other.db"), "李书记的平板", Scope::Village(village));
    zoufang_client::sync(&mut other).unwrap();
    let hid = uuid::Uuid::parse_str(&h).unwrap();
    let mut patch = serde_json::Map::new();
    patch.insert("phone".into(), json!("13900002222"));
    // Both edit from the same version: the app's edit is not yet pushed when the other pushes.
    app.ok("update_record", json!({"kind": "household", "id": h, "patch": {"phone": "13700003333"}}));
    other.update(Entity::Household, hid, &patch).unwrap();
    zoufang_client::sync(&mut other).unwrap();
    app.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let conflict = loop {
        let list = app.ok("conflicts", json!({"openOnly": true}));
        if let Some(c) = list.as_array().unwrap().first() {
            break c.clone();
        }
        assert!(std::time::Instant::now() < deadline, "conflict did not arrive");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(conflict["field_label"], "联系电话");
    assert_eq!(conflict["conflict"]["candidates"].as_array().unwrap().len(), 2);
    let (field, _) = app.err("resolve_conflict", json!({"id": conflict["conflict"]["id"], "value": "123"}));
    assert_eq!(field.as_deref(), Some("phone"));
    app.ok("resolve_conflict", json!({"id": conflict["conflict"]["id"], "value": "13900002222"}));
    assert_eq!(app.ok("conflicts", json!({"openOnly": true})), json!([]));
    let all = app.ok("conflicts", json!({"openOnly": false}));
    assert_eq!(all[0]["conflict"]["resolved_by"], "李娟", "a resolved conflict keeps its trace");
    let d = app.ok("household_detail", json!({"id": h}));
    assert_eq!(d["household"]["phone"], "13900002222");
}

/// The 一户一档 commands: status, new document, photos as raw bodies (good, duplicate, bad), thumbnails
/// and full images as data URLs, upload by the background sync, the list filter and the overview count.
#[test]
fn archive_and_photo_commands() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let village = villages[0];
    let app = App::new(&dir.path().join("device"));
    let code = server.storage.create_enrol_code("平板", &Scope::Village(village), 1).unwrap();
    app.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": "平板"}));
    app.ok("set_operator", json!({"name": "李娟"}));
    let all = app.ok("households", json!({"query": {"village": village}}));
    let h = all[0]["id"].as_str().unwrap().to_string();

    // archive_status: nothing photographed yet, every required document missing.
    let st = app.ok("archive_status", json!({"household": h}));
    assert_eq!(st["complete"], false);
    let items = st["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["required"] == true && i["state"] == "missing"));
    assert_eq!(st["missing"].as_u64().unwrap() as usize, items.len());
    let ov = app.ok("village_overview", json!({"village": village}));
    assert_eq!(ov["archive_incomplete"], 30);

    // create_document: an unknown kind is refused; a known one gives the id.
    assert!(app
        .call("create_document", json!({"document": {"household_id": h, "kind": "diary", "title": null, "note": null}}))
        .is_err());
    let doc = app.ok(
        "create_document",
        json!({"document": {"household_id": h, "kind": "application", "title": "入户申请书", "note": null}}),
    );
    let doc = doc.as_str().unwrap().to_string();

    // import_photo: the file as the raw body, the target in headers.
    let jpeg = zoufang_media::sample::camera_jpeg(
        3000,
        4000,
        3,
        90,
        &zoufang_media::sample::CameraExif { orientation: 1, taken_at: Some("2026:10:01 10:00:00".into()), gps: None },
    );
    let headers = [("x-target-kind", "archive_document"), ("x-target-id", doc.as_str())];
    let p = app.call_raw("import_photo", jpeg.clone(), &headers).expect("import");
    assert_eq!(p["duplicate"], false);
    assert_eq!(p["photo"]["page"], 1);
    assert_eq!(p["photo"]["height"], 2400);
    assert_eq!(p["photo"]["added_by"], "李娟");
    let again = app.call_raw("import_photo", jpeg, &headers).expect("import again");
    assert_eq!(again["duplicate"], true);
    let e = app.call_raw("import_photo", b"%PDF-1.7\n".to_vec(), &headers).expect_err("a PDF");
    assert!(e["message"].as_str().unwrap().contains("PDF"), "{e}");
    let e = app.call_raw("import_photo", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], &headers).expect_err("corrupt");
    assert!(e["message"].as_str().unwrap().contains("损坏"), "{e}");
    let e =
        app.call_raw("import_photo", vec![1, 2, 3], &[("x-target-kind", "archive_document")]).expect_err("no target");
    assert!(e["message"].as_str().unwrap().contains("哪条记录"), "{e}");
    assert_eq!(e["code"], "no_photo_owner");
    let e = app.call("import_photo", json!({"target": {"kind": "visit", "id": doc}})).expect_err("not a file");
    assert!(e["message"].as_str().unwrap().contains("照片"), "{e}");
    assert_eq!(e["code"], "no_photo");
    let hash = p["photo"]["hash"].as_str().unwrap().to_string();
    let thumb_hash = p["photo"]["thumb_hash"].as_str().unwrap().to_string();

    // photo_data: thumbnail and full image as data URLs; a file this device lacks has no thumbnail.
    let thumb = app.ok("photo_data", json!({"hash": thumb_hash, "full": false}));
    assert!(thumb.as_str().unwrap().starts_with("data:image/jpeg;base64,/9j/"));
    assert!(
        app.ok("photo_data", json!({"hash": hash, "full": true})).as_str().unwrap().len()
            > thumb.as_str().unwrap().len()
    );
    let (_, msg) = app.err("photo_data", json!({"hash": "ab".repeat(32), "full": false}));
    assert!(msg.contains("缩略图"), "{msg}");
    let (_, msg) = app.err("photo_data", json!({"hash": "../../etc/passwd", "full": true}));
    assert!(msg.contains("无效"), "{msg}");

    let st = app.ok("archive_status", json!({"household": h}));
    let application = st["items"].as_array().unwrap().iter().find(|i| i["kind"] == "application").unwrap().clone();
    assert_eq!(application["state"], "not_uploaded");
    let listed = app.ok("households", json!({"query": {"village": village, "missing_archive": true}}));
    assert!(listed.as_array().unwrap().iter().any(|r| r["id"] == h.as_str()));

    // The background sync uploads the photo; the document is then complete.
    app.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let st = app.ok("archive_status", json!({"household": h}));
        let item = st["items"].as_array().unwrap().iter().find(|i| i["kind"] == "application").unwrap().clone();
        if item["state"] == "complete" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "photo not uploaded: {item}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // A second device: the thumbnail arrives with sync; the full image is fetched on demand.
    let other = App::new(&dir.path().join("other"));
    let code = server.storage.create_enrol_code("平板二", &Scope::Village(village), 1).unwrap();
    other.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": "平板二"}));
    other.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if other.call("photo_data", json!({"hash": thumb_hash, "full": false})).is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "thumbnail did not arrive");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let full = other.ok("photo_data", json!({"hash": hash, "full": true}));
    assert!(full.as_str().unwrap().starts_with("data:image/jpeg;base64,"));

    // photos_of: evidence of a visit, and a document's pages in order.
    let d = app.ok("household_detail", json!({"id": h}));
    let visit = d["visits"][0]["id"].as_str().unwrap().to_string();
    let evidence = zoufang_media::sample::camera_jpeg(800, 600, 11, 85, &Default::default());
    let r = app
        .call_raw("import_photo", evidence, &[("x-target-kind", "visit"), ("x-target-id", visit.as_str())])
        .expect("visit photo");
    assert_eq!(r["photo"]["owner_kind"], "visit");
    assert_eq!(r["photo"]["page"], Value::Null);
    let listed = app.ok("photos_of", json!({"owner": visit}));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["pending_upload"], true);
    let pages = app.ok("photos_of", json!({"owner": doc}));
    assert_eq!(pages[0]["photo"]["page"], 1);
    assert_eq!(pages[0]["pending_upload"], false);
}

#[test]
fn sign_in_and_a_revocation_that_erases_the_tablet() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let scope = Scope::Village(villages[0]);
    server
        .storage
        .create_user("lina", "李娜", zoufang_model::Role::FirstSecretary, &scope, "驻村第一书记2026")
        .unwrap();
    let app = App::new(&dir.path().join("device"));
    let (field, _) = app.err(
        "enrol",
        json!({"serverUrl": server.url, "code": "", "deviceName": "平板", "login": "lina", "password": ""}),
    );
    assert_eq!(field.as_deref(), Some("password"));
    let (_, msg) = app.err(
        "enrol",
        json!({"serverUrl": server.url, "code": "", "deviceName": "平板", "login": "lina", "password": "错误的密码啊"}),
    );
    assert!(msg.contains("用户名或密码错误"), "{msg}");
    let info = app.ok(
        "enrol",
        json!({"serverUrl": server.url, "code": "", "deviceName": "李娜的平板", "login": "lina", "password": "驻村第一书记2026"}),
    );
    assert_eq!((info["enrolled"].as_bool(), info["role"].as_str()), (Some(true), Some("第一书记")));
    let device: uuid::Uuid = info["device_id"].as_str().unwrap().parse().unwrap();

    // What earlier versions left in the data directory, and the WebView's storage.
    let data = dir.path().join("device");
    for f in ["exports/月报表-2026-10.xlsx", "keys/县扶贫办暗访私钥-0123.txt", "webview/localstorage/x.localstorage"]
    {
        std::fs::create_dir_all(data.join(f).parent().unwrap()).unwrap();
        std::fs::write(data.join(f), "龙国富 522630198001010011").unwrap();
    }

    // Revoked for handover: the next sync hands in and erases; the app is back at enrolment and says why.
    assert!(server.storage.revoke(device, zoufang_server::RevokeMode::Handover).unwrap());
    app.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let st = app.ok("sync_status", json!({}));
        if !st["running"].as_bool().unwrap_or(false) && st["last_error"].is_string() {
            assert!(st["last_error"].as_str().unwrap().contains("已清除"), "{st}");
            assert!(st["last_error"].as_str().unwrap().contains("已清除本机其余 3 个文件"), "{st}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "sync did not finish: {st}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["enrolled"], false);
    assert!(info["villages"].as_array().unwrap().is_empty());
    assert_ne!(info["device_id"].as_str().unwrap(), device.to_string());
    let left: Vec<String> = zoufang_scenarios::leaks::files_under(&data)
        .iter()
        .map(|p| p.strip_prefix(&data).unwrap().display().to_string())
        .collect();
    assert!(left.iter().all(|f| f.starts_with("zoufang.db")), "only the empty database remains: {left:?}");
}

/// The two 暗访 modes through the commands: an inspector's app seals, the county office's app makes its
/// key, opens the inspection and turns it into rectification items; a village app never sees it.
#[test]
fn inspector_and_county_office_modes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let county = server.storage.village_code(villages[0]).unwrap().unwrap()[..6].to_string();
    let enrol = |name: &str, scope: Scope, role: zoufang_model::Role| {
        let app = App::new(&dir.path().join(name));
        let code = server.storage.create_enrol_code_for(name, &scope, role, 1, 30).unwrap();
        let info = app.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": name}));
        assert_eq!(info["role_id"], json!(role.ident()));
        app.ok("set_operator", json!({ "name": "赵督查" }));
        app
    };
    let office = enrol("县扶贫办", Scope::County(county.clone()), zoufang_model::Role::County);
    let inspector = enrol("督查组", Scope::County(county.clone()), zoufang_model::Role::Inspector);
    let village = enrol("村平板", Scope::Village(villages[0]), zoufang_model::Role::WorkTeam);

    // The county office: no key yet; it makes one, and cannot make a second over it.
    let st = office.ok("sealing_status", json!({}));
    assert_eq!((st["can_seal"].clone(), st["can_open"].clone()), (json!(false), json!(false)));
    let (_, msg) = office.err("open_inspection", json!({ "id": uuid::Uuid::now_v7() }));
    assert!(msg.contains("没有县扶贫办的私钥"), "{msg}");
    // Its backup goes where the office chose, protected by a passphrase typed twice; a mismatch or a
    // short one is refused before any key is made.
    let media = tempfile::tempdir().unwrap();
    let backup = media.path().join("县扶贫办私钥备份.zfkey");
    let gen = |who: &App, pass: &str, again: &str, path: &std::path::Path| {
        who.call("sealing_key_generate", json!({ "passphrase": pass, "again": again, "path": path }))
    };
    let (field, _) = office.err("check_backup_passphrase", json!({ "passphrase": "县扶贫办备份口令", "again": "x" }));
    assert_eq!(field.as_deref(), Some("again"));
    assert_eq!(
        office.ok("check_backup_passphrase", json!({ "passphrase": "县扶贫办备份口令", "again": "县扶贫办备份口令" })),
        Value::Null
    );
    let e = gen(&office, "县扶贫办备份口令", "县扶贫办备份口令二", &backup).unwrap_err();
    assert_eq!(e["field"], "again");
    let e = gen(&office, "短口令", "短口令", &backup).unwrap_err();
    assert_eq!(e["field"], "passphrase");
    assert!(!backup.exists());
    assert_eq!(office.ok("sealing_status", json!({}))["can_open"], false, "no key made");
    let made = gen(&office, "县扶贫办备份口令", "县扶贫办备份口令", &backup).unwrap();
    assert_eq!(made["backup_path"].as_str(), Some(backup.to_str().unwrap()));
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(!text.contains("ZOUFANG-OPEN-"), "the backup holds no key in clear");
    assert!(text.contains(made["fingerprint"].as_str().unwrap()));
    let e = gen(&office, "县扶贫办备份口令", "县扶贫办备份口令", &media.path().join("second.zfkey")).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("已有"), "{e}");
    assert_eq!(e["code"], "opening_key_exists", "the UI decides on the code, not the words");
    assert!(!media.path().join("second.zfkey").exists(), "a refused key leaves no file behind");
    // A second backup of the key held; never over an existing file.
    let again = media.path().join("第二份.zfkey");
    office.ok(
        "sealing_key_backup",
        json!({ "passphrase": "另一份私钥的备份口令", "again": "另一份私钥的备份口令", "path": again }),
    );
    let e = office
        .call(
            "sealing_key_backup",
            json!({ "passphrase": "另一份私钥的备份口令", "again": "另一份私钥的备份口令", "path": again }),
        )
        .unwrap_err();
    assert_eq!(e["field"], "path");
    // An inspector cannot make the county's key; a bad import is refused at its field.
    let e = gen(&inspector, "县扶贫办备份口令", "县扶贫办备份口令", &media.path().join("i.zfkey")).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("只有县扶贫办"), "{e}");
    assert_eq!(e["code"], "not_county");
    let (field, _) = office.err("sealing_key_import", json!({ "path": media.path().join("none"), "passphrase": "x" }));
    assert_eq!(field.as_deref(), Some("path"));

    // A second county-office device imports the backup: a wrong passphrase changes nothing.
    let spare = enrol("县扶贫办备用机", Scope::County(county.clone()), zoufang_model::Role::County);
    let (field, msg) = spare.err("sealing_key_import", json!({ "path": backup, "passphrase": "县扶贫办备份口令错" }));
    assert_eq!((field.as_deref(), msg.as_str()), (Some("passphrase"), "备份口令不正确，私钥未导入"));
    assert_eq!(spare.ok("sealing_status", json!({}))["can_open"], false);
    let st = spare.ok("sealing_key_import", json!({ "path": backup, "passphrase": "县扶贫办备份口令" }));
    assert_eq!(st["can_open"], true);
    assert_eq!(st["opening_fingerprint"], made["fingerprint"]);

    // A private key an earlier version left in clear in the data directory: found at unlock, protected
    // with a passphrase, the clear file erased.
    let keys = dir.path().join("县扶贫办").join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let old = zoufang_store::OpeningKey::generate();
    std::fs::write(keys.join("县扶贫办暗访私钥-old.txt"), format!("{old}\n")).unwrap();
    let clear = office.ok("clear_key_backups", json!({}));
    assert_eq!(clear.as_array().unwrap().len(), 1);
    let (field, _) = office.err("protect_key_backups", json!({ "passphrase": "县扶贫办备份口令", "again": "x" }));
    assert_eq!(field.as_deref(), Some("again"));
    let protected =
        office.ok("protect_key_backups", json!({ "passphrase": "县扶贫办备份口令", "again": "县扶贫办备份口令" }));
    assert_eq!(office.ok("clear_key_backups", json!({})), json!([]));
    assert!(!keys.join("县扶贫办暗访私钥-old.txt").exists());
    let p = std::path::PathBuf::from(protected[0].as_str().unwrap());
    assert_eq!(zoufang_client::read_key_backup(&p, "县扶贫办备份口令").unwrap().to_string(), old.to_string());

    // The inspector syncs (gets the key), then seals findings about a household.
    inspector.ok("sync_now", json!({}));
    let mut tries = 0;
    while inspector.ok("sealing_status", json!({}))["can_seal"] != json!(true) {
        tries += 1;
        assert!(tries < 200, "the inspector never got the key");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let hs = inspector.ok("households", json!({ "query": { "village": villages[0] } }));
    let h = hs[0]["id"].as_str().unwrap().to_string();
    let findings = json!({
        "basic_needs": {
            "food": { "state": "met" }, "clothing": { "state": "met" }, "education": { "state": "not_applicable" },
            "medical": { "state": "met" }, "housing": { "state": "unmet", "note": "厨房屋顶漏雨" }, "water": { "state": "met" }
        },
        "satisfaction": "basic", "knows_helper": true, "notes": "户主在家，反映良好", "problems": [], "photos": []
    });
    let bad = json!({ "basic_needs": findings["basic_needs"], "satisfaction": null, "knows_helper": null, "notes": null, "problems": [" "] });
    let (field, _) =
        inspector.err("record_inspection", json!({ "household": h, "inspectedOn": today(), "findings": bad }));
    assert_eq!(field.as_deref(), Some("problems.0"));
    let (field, _) = inspector
        .err("record_inspection", json!({ "household": h, "inspectedOn": "2999-01-01", "findings": findings }));
    assert_eq!(field.as_deref(), Some("inspected_on"));
    let id = inspector.ok("record_inspection", json!({ "household": h, "inspectedOn": today(), "findings": findings }));
    let (_, msg) = inspector.err("open_inspection", json!({ "id": id }));
    assert!(msg.contains("私钥"), "the inspector cannot open it again: {msg}");
    assert_eq!(inspector.ok("inspections", json!({})).as_array().unwrap().len(), 1);
    let mut s = server.device_as(
        &dir.path().join("wait.db"),
        "观察",
        Scope::County(county.clone()),
        zoufang_model::Role::County,
    );
    for _ in 0..200 {
        inspector.ok("sync_now", json!({}));
        zoufang_client::sync(&mut s).unwrap();
        if !s.inspections().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(s.inspections().unwrap().len(), 1, "the inspection reached the server");

    // The county office opens it and makes the rectification item; the village receives that only.
    for _ in 0..200 {
        office.ok("sync_now", json!({}));
        if office.ok("inspections", json!({})).as_array().unwrap().len() == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let opened = office.ok("open_inspection", json!({ "id": id }));
    assert_eq!(opened, findings);
    let n = office.ok("rectify_inspection", json!({ "id": id, "deadline": today(), "responsible": "李村长" }));
    assert_eq!(n, json!(1));
    assert_eq!(
        office.ok("rectify_inspection", json!({ "id": id, "deadline": today(), "responsible": null })),
        json!(0)
    );
    let village_id = villages[0];
    for _ in 0..200 {
        office.ok("sync_now", json!({}));
        village.ok("sync_now", json!({}));
        let items = village.ok("problems", json!({ "village": village_id, "openOnly": true }));
        if items
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["item"]["problem"].as_str().unwrap_or("").contains("厨房屋顶漏雨"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let items = village.ok("problems", json!({ "village": village_id, "openOnly": true }));
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["item"]["problem"].as_str().unwrap_or("").contains("厨房屋顶漏雨")));
    assert_eq!(village.ok("inspections", json!({})), json!([]), "the village never holds an inspection");
}

/// Enrolment by QR code, over HTTPS: a township office's app issues a code and draws its QR code; a new
/// tablet's app reads the code from a photo of it (and from pasted text), shows where it will enrol and
/// the certificate's fingerprint, and enrols trusting exactly that certificate; damaged and foreign
/// codes are explained.
#[test]
fn enrolment_by_qr_code_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pin) = TestServer::start_tls(&dir.path().join("server"), None);
    let villages = server.seed_small();
    let code = server.storage.create_enrol_code("乡镇办公室", &Scope::Township("522630101".into()), 1).unwrap();
    let office = App::new(&dir.path().join("office"));
    office.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": "乡镇办公室", "pin": pin}));
    let info = office.ok("app_info", json!({}));
    assert_eq!((info["plain_http"].as_bool(), info["cert_pin"].as_str()), (Some(false), Some(pin.as_str())));

    let issued = office.ok(
        "issue_enrolment_code",
        json!({"scope": format!("village:{}", villages[0]), "role": "work_team", "deviceName": "花桥村 新平板", "ttlHours": 24}),
    );
    assert!(issued["svg"].as_str().unwrap().contains("<svg"));
    let text = issued["offer"].as_str().unwrap().to_string();
    // A township may not issue codes outside its villages: the server says why.
    let (_, msg) = office.err(
        "issue_enrolment_code",
        json!({"scope": "county:522630", "role": "inspector", "deviceName": "督查", "ttlHours": 24}),
    );
    assert!(msg.contains("不能登记督查组"), "{msg}");

    // The new tablet reads the QR code from a photo of it.
    let tablet = App::new(&dir.path().join("tablet"));
    let png = zoufang_media::qr::png(&text, 6).unwrap();
    let offer = tablet.call_raw("read_offer_image", png, &[]).unwrap();
    assert_eq!(offer["pin"].as_str(), Some(pin.as_str()));
    assert_eq!(offer["role"], "work_team");
    assert_eq!(tablet.ok("read_offer_text", json!({"text": format!("  {text}\n")})), offer);
    // Damaged, foreign and unreadable codes are explained.
    let (field, msg) = tablet.err("read_offer_text", json!({"text": &text[..text.len() - 30]}));
    assert_eq!(field.as_deref(), Some("offer"));
    assert!(msg.contains("不完整或已损坏"), "{msg}");
    let (_, msg) = tablet.err("read_offer_text", json!({"text": "https://weixin.qq.com/x"}));
    assert!(msg.contains("不是走访注册二维码"), "{msg}");
    let e = tablet.call_raw("read_offer_image", b"not an image".to_vec(), &[]).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("图片无法打开"), "{e}");

    // Enrol as the offer says.
    tablet.ok(
        "enrol",
        json!({"serverUrl": offer["server"], "code": offer["code"], "deviceName": "花桥村 新平板", "pin": offer["pin"]}),
    );
    let info = tablet.ok("app_info", json!({}));
    assert_eq!(info["role_id"], "work_team");
    assert_eq!(info["villages"].as_array().unwrap().len(), 1);
}
