//! 暗访 inspections: sealed on the inspector's device, carried by the server as ciphertext, opened only
//! by the county office, which turns findings into rectification items for the village. Village and
//! township devices never learn that an inspection took place.

use zoufang_client::{Client, SyncError};
use zoufang_media::sample::{camera_jpeg, CameraExif};
use zoufang_model::{BasicNeed, BasicNeeds, Entity, InspectionFindings, Role, Satisfaction, Scope};
use zoufang_scenarios::{cli_on, Scenario};
use zoufang_store::{HouseholdQuery, OpeningKey, Store, StoreError};

/// A phrase found nowhere else, to look for in files.
const MARKER: &str = "灶房墙体开裂暗访核实";

fn client_of(store: &Store) -> Client {
    let e = store.enrolment().unwrap().unwrap();
    Client::new(&e.server_url).with_token(&e.token)
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A file of the server's local photo store.
fn server_file(blobs: &std::path::Path, hash: &str) -> Vec<u8> {
    std::fs::read(blobs.join("photos").join(&hash[..2]).join(hash)).unwrap()
}

#[test]
fn sealed_inspections_reach_the_county_office_and_no_one_else() {
    let sc = Scenario::start();
    let code = sc.storage.village_code(sc.villages[0]).unwrap().unwrap();
    let (county, township) = (code[..6].to_string(), code[..9].to_string());

    // The county office makes its key pair; only the public half goes to the sc.
    let mut office = sc.device_as(&sc.dir().join("office.db"), "县扶贫办", Scope::County(county.clone()), Role::County);
    let key = OpeningKey::generate();
    let info = client_of(&office).set_sealing_key(&key.sealing_key().to_string()).unwrap();
    assert_eq!(
        (info.county.as_str(), info.fingerprint.as_str()),
        (county.as_str(), key.sealing_key().fingerprint().as_str())
    );
    office.set_opening_key(&key).unwrap();

    let mut village = sc.device(&sc.dir().join("village.db"), "村平板", Scope::Village(sc.villages[0]));
    let mut town = sc.device(&sc.dir().join("town.db"), "乡镇平板", Scope::Township(township));
    // Only the county office sets the key; only inspectors and the county office read it.
    for (who, store) in [("village", &village), ("township", &town)] {
        match client_of(store).sealing_key() {
            Err(SyncError::Server { status: 403, .. }) => {}
            other => panic!("{who} read the sealing key: {other:?}"),
        }
        assert!(matches!(
            client_of(store).set_sealing_key(&key.sealing_key().to_string()),
            Err(SyncError::Server { status: 403, .. })
        ));
    }

    // The inspector picks a household of the county (no village staff involved) and records findings.
    let mut inspector =
        sc.device_as(&sc.dir().join("inspector.db"), "督查组", Scope::County(county.clone()), Role::Inspector);
    zoufang_client::sync(&mut inspector).unwrap();
    assert_eq!(inspector.sealing_key().unwrap(), Some(key.sealing_key()), "the key came with the sync");
    let h =
        inspector.households(&HouseholdQuery { village: Some(sc.villages[0]), ..Default::default() }).unwrap()[0].id;
    let mut needs = BasicNeeds::default();
    needs.set_unmet(BasicNeed::Housing, MARKER);
    // Two photos, sealed as they are taken: the device keeps only their ciphertext.
    let exif =
        CameraExif { taken_at: Some("2026:11:03 10:12:00".into()), gps: Some((26.58, 106.71)), ..Default::default() };
    let shots = [camera_jpeg(4000, 3000, 11, 90, &exif), camera_jpeg(1200, 900, 12, 90, &CameraExif::default())];
    let photos: Vec<_> = shots.iter().map(|b| inspector.seal_inspection_photo(b).unwrap()).collect();
    assert_eq!(photos[0].taken_at.as_deref(), Some("2026-11-03T10:12:00"));
    assert_eq!((photos[0].width, photos[0].height), (2400, 1800));
    for p in &photos {
        let held = inspector.blob(&p.hash).unwrap().unwrap();
        let image = key.open(&held).unwrap();
        assert!(image.starts_with(&[0xff, 0xd8]), "a JPEG inside");
        assert!(!held.windows(16).any(|w| w == &image[..16]), "no JPEG on the inspector's device");
    }
    let findings = InspectionFindings {
        basic_needs: needs,
        satisfaction: Some(Satisfaction::Dissatisfied),
        knows_helper: Some(false),
        notes: Some(format!("户主称帮扶干部半年未来。{MARKER}")),
        problems: vec!["帮扶手册填写与实际不符".into()],
        photos: photos.clone(),
    };
    // A photo this device did not seal is refused.
    let mut foreign = findings.clone();
    foreign.photos[1].hash = "ab".repeat(32);
    assert!(matches!(
        inspector.record_inspection(h, chrono::Local::now().date_naive(), "赵督查", &foreign),
        Err(StoreError::Refused { code: "photo_missing", message: m }) if m.contains("第 2 张")
    ));
    let bad = InspectionFindings { problems: vec!["  ".into()], ..findings.clone() };
    assert!(matches!(
        inspector.record_inspection(h, chrono::Local::now().date_naive(), "赵督查", &bad),
        Err(StoreError::Invalid(_))
    ));
    let id = inspector.record_inspection(h, chrono::Local::now().date_naive(), "赵督查", &findings).unwrap();
    // After sealing, the inspector's device holds only ciphertext and cannot open it again.
    assert_eq!(count(&inspector, "SELECT count(*) FROM inspection WHERE instr(sealed, '灶房') > 0"), 0);
    assert!(inspector.opening_key().unwrap().is_none());
    assert!(matches!(inspector.open_inspection(id, &OpeningKey::generate()), Err(StoreError::Vault(_))));
    let report = zoufang_client::sync(&mut inspector).unwrap();
    assert_eq!(inspector.pending_changes().unwrap(), 0);
    assert_eq!(report.photos.uploaded, 2, "both sealed photos uploaded");
    assert!(inspector.pending_blobs().unwrap().is_empty());
    // The sc's copies are ciphertext too: neither the image's header nor a piece of its middle.
    for (p, shot) in photos.iter().zip(&shots) {
        let stored = server_file(&sc.dir().join("blobs"), &p.hash);
        let image = zoufang_media::process(shot).unwrap().image;
        for piece in [&image[..16], &image[image.len() / 2..image.len() / 2 + 64]] {
            assert!(!stored.windows(piece.len()).any(|w| w == piece), "the image in clear on the server");
        }
    }

    // The sc holds ciphertext: the marker is in none of its database's bytes.
    assert!(!sc.stores_text(MARKER), "plaintext findings on the server");

    // Village and township devices receive nothing of it, not even that it happened.
    for store in [&mut village, &mut town] {
        zoufang_client::sync(store).unwrap();
        assert_eq!(count(store, "SELECT count(*) FROM inspection"), 0);
        let (page, _) = client_of(store).pull(0, 5000).unwrap();
        assert!(page.rows.iter().all(|r| r.entity != Entity::Inspection));
        // Nor its sealed photos, even by name.
        for p in &photos {
            assert!(matches!(client_of(store).blob_get(&p.hash), Err(SyncError::Server { status: 404, .. })));
            assert!(matches!(client_of(store).blob_status(&p.hash), Err(SyncError::Server { status: 404, .. })));
        }
    }
    // A village device cannot write one either.
    village.set_sealing_key(&key.sealing_key()).unwrap();
    let unsealed_photos = InspectionFindings { photos: vec![], ..findings.clone() };
    village.record_inspection(h, chrono::Local::now().date_naive(), "村干部", &unsealed_photos).unwrap();
    let report = zoufang_client::sync(&mut village).unwrap();
    assert!(report.quarantined > 0, "refused by the server");
    for refused in village.quarantined().unwrap() {
        assert!(refused.reason.contains("不能修改暗访记录"), "{}", refused.reason);
    }

    // The county office lists it, opens it, and turns its findings into rectification items.
    zoufang_client::sync(&mut office).unwrap();
    let list = office.inspections().unwrap();
    assert_eq!(list.len(), 1);
    // Rectification items from inspections of this household (the demo county has some already).
    let before = list[0].rectifications;
    assert_eq!((list[0].id, list[0].household_id, list[0].inspector.as_str()), (id, h, "赵督查"));
    assert!(
        matches!(office.open_inspection(id, &OpeningKey::generate()), Err(StoreError::Vault(_))),
        "another key opens nothing"
    );
    assert_eq!(office.open_inspection(id, &key).unwrap(), findings);
    // Its photos: fetched on demand, opened with the key, the very images the inspector took.
    for (p, shot) in photos.iter().zip(&shots) {
        assert_eq!(office.open_inspection_photo(&p.hash, &key).unwrap(), None, "not fetched yet");
        let sealed = client_of(&office).blob_get(&p.hash).unwrap().unwrap();
        office.save_fetched(&p.hash, &sealed).unwrap();
        let image = office.open_inspection_photo(&p.hash, &key).unwrap().unwrap();
        assert_eq!(image, zoufang_media::process(shot).unwrap().image);
        assert!(matches!(office.open_inspection_photo(&p.hash, &OpeningKey::generate()), Err(StoreError::Vault(_))));
    }
    assert!(matches!(
        office.open_inspection_photo(&"cd".repeat(32), &key),
        Err(StoreError::Refused { code: "unknown_photo", .. })
    ));
    let deadline = chrono::Local::now().date_naive() + chrono::Duration::days(30);
    let made = office.rectify_inspection(id, &key, deadline, Some("李村长")).unwrap();
    assert_eq!(made.len(), 2, "the unmet housing item and the other problem");
    assert!(office.rectify_inspection(id, &key, deadline, None).unwrap().is_empty(), "not made twice");
    assert_eq!(office.inspections().unwrap()[0].rectifications, before + 2);
    zoufang_client::sync(&mut office).unwrap();

    // The village gets the rectification items (source 督查暗访) and still no inspection.
    zoufang_client::sync(&mut village).unwrap();
    let items = village.problem_ledger(sc.villages[0], true, chrono::Local::now().date_naive()).unwrap();
    let from_inspection: Vec<_> = items.iter().filter(|p| p.item.problem.starts_with("暗访发现")).collect();
    assert_eq!(from_inspection.len(), 2);
    assert!(from_inspection.iter().any(|p| p.item.problem.contains(MARKER)));
    assert_eq!(count(&village, "SELECT count(*) FROM inspection WHERE deleted = 0 AND inspector <> '村干部'"), 0);
}

/// The county office's private-key backup passphrase in the CLI tests.
const PASSPHRASE: &str = "县扶贫办备份口令";

#[test]
fn the_inspection_commands() {
    let sc = Scenario::start();
    let county = sc.storage.village_code(sc.villages[0]).unwrap().unwrap()[..6].to_string();
    let init = |db: &std::path::Path, role: Role, name: &str| {
        let code = sc.storage.create_enrol_code_for(name, &Scope::County(county.clone()), role, 1, 30).unwrap();
        let out = cli_on(db).args(["init", "--server", &sc.url, "--code", &code, "--name", name]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let run_with = |db: &std::path::Path, args: &[&str], passphrase: &str| {
        let out = cli_on(db).args(args).env("ZOUFANG_BACKUP_PASSPHRASE", passphrase).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let run = |db: &std::path::Path, args: &[&str]| {
        let out = cli_on(db).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let office = sc.dir().join("office.db");
    let inspector = sc.dir().join("inspector.db");
    init(&office, Role::County, "县扶贫办");
    init(&inspector, Role::Inspector, "督查组平板");
    let backup = sc.dir().join("county.key");
    // The backup passphrase is checked before anything is made.
    let (ok, text) = run_with(&office, &["sealing-key-new", "--backup", backup.to_str().unwrap()], "short");
    assert!(!ok && text.contains("至少需要 8"), "{text}");
    assert!(!backup.exists());
    let (ok, text) = run_with(&office, &["sealing-key-new", "--backup", backup.to_str().unwrap()], PASSPHRASE);
    assert!(ok && text.contains("指纹"), "{text}");
    let saved = std::fs::read_to_string(&backup).unwrap();
    assert!(saved.contains("ZOUFANG-KEYBACKUP-1.") && !saved.contains("ZOUFANG-OPEN-"), "no key in clear: {saved}");
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&backup).unwrap().permissions()) & 0o777,
        0o600
    );
    let (ok, text) =
        run_with(&office, &["sealing-key-new", "--backup", sc.dir().join("again.key").to_str().unwrap()], PASSPHRASE);
    assert!(!ok && text.contains("已有"), "a second key is not made over the first: {text}");

    // Before its first sync the inspector has no key: it says what to do.
    let h = {
        let (ok, text) = run(&inspector, &["--json", "households", "--limit", "1"]);
        assert!(ok, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v[0]["household_no"].as_str().unwrap_or_default().to_string()
    };
    assert!(h.is_empty(), "nothing before the first sync");
    let (ok, text) = run(&inspector, &["sync"]);
    assert!(ok, "{text}");
    let (_, text) = run(&inspector, &["--json", "households", "--limit", "1"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let h = v[0]["household_no"].as_str().unwrap().to_string();
    let shot = sc.dir().join("house.jpg");
    std::fs::write(&shot, camera_jpeg(1600, 1200, 21, 90, &CameraExif::default())).unwrap();
    let (ok, text) = run(
        &inspector,
        &[
            "inspect",
            &h,
            "--inspector",
            "赵督查",
            "--unmet",
            "water:饮水需走两公里",
            "--satisfaction",
            "dissatisfied",
            "--notes",
            MARKER,
            "--photo",
            shot.to_str().unwrap(),
        ],
    );
    assert!(ok && text.contains("已密封"), "{text}");
    let (ok, text) = run(&inspector, &["inspect", &h, "--inspector", "赵督查", "--unmet", "water"]);
    assert!(!ok && text.contains("项目:情况"), "{text}");
    let (ok, text) = run(&inspector, &["sync"]);
    assert!(ok, "{text}");

    let (ok, text) = run(&office, &["sync"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&office, &["--json", "inspections"]);
    assert!(ok, "{text}");
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert!(!text.contains(MARKER), "the list shows metadata only");
    let (ok, text) = run(&office, &["inspection-open", &id, "--rectify", "--responsible", "李村长"]);
    assert!(
        ok && text.contains(MARKER) && text.contains("饮水安全有保障：未达标") && text.contains("已生成整改问题 1 项"),
        "{text}"
    );

    // 销号 of that item from the command line: the village proposes (it cannot confirm a county's
    // item), the county office confirms, then its re-check share lists it.
    let (_, text) = run(&office, &["--json", "problems"]);
    let items: serde_json::Value = serde_json::from_str(&text).unwrap();
    let item =
        items.as_array().unwrap().iter().find(|p| p["item"]["problem"].as_str().unwrap().contains("饮水")).unwrap();
    let (item_id, item_village) =
        (item["item"]["id"].as_str().unwrap()[..8].to_string(), item["item"]["village_id"].clone());
    let village_of_item = uuid::Uuid::parse_str(item_village.as_str().unwrap()).unwrap();
    let team = sc.dir().join("team.db");
    let team_code = sc.storage.create_enrol_code("村平板", &Scope::Village(village_of_item), 1).unwrap();
    let out =
        cli_on(&team).args(["init", "--server", &sc.url, "--code", &team_code, "--name", "村平板"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run(&office, &["sync"]);
    run(&team, &["sync"]);
    let (ok, text) = run(&team, &["problem-review", &item_id, "confirm", "--by", "李娟"]);
    assert!(!ok && text.contains("由县扶贫办确认销号"), "{text}");
    let (ok, text) = run(&team, &["problem-review", &item_id, "propose", "--by", "李娟"]);
    assert!(!ok && text.contains("整改情况"), "{text}");
    let (ok, text) = run(&team, &["problem-review", &item_id, "propose", "--note", "已通自来水", "--by", "李娟"]);
    assert!(ok && text.contains("已办理「申请销号」"), "{text}");
    let (ok, text) = run(&team, &["sync"]);
    assert!(ok && text.contains("拒收 0"), "{text}");
    run(&office, &["sync"]);
    let (_, text) = run(&office, &["report", "ledger"]);
    assert!(text.contains("待确认销号"), "{text}");
    let (ok, text) = run(&office, &["problems"]);
    assert!(ok && text.contains("申请销号：已通自来水") && text.contains("本机可办理：confirm, send_back"), "{text}");
    let (ok, text) = run(&office, &["problem-review", &item_id, "confirm", "--by", "王主任"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&office, &["recheck"]);
    assert!(ok && text.contains("复核比例 15%：已销号 1 项，已复核 0 项，还需复核 1 项"), "{text}");
    // The share is the county's setting: the county office sets it on the server, and every device of
    // the county has it after its next sync; out of bounds is refused.
    let (ok, text) = run(&office, &["setting", "recheck_percent", "101"]);
    assert!(!ok && text.contains("0 到 100"), "{text}");
    let (ok, text) = run(&team, &["setting", "recheck_percent", "0"]);
    assert!(!ok && text.contains("不能修改县里的设置"), "{text}");
    let (ok, text) = run(&office, &["setting", "recheck_percent", "0"]);
    assert!(ok && text.contains("recheck_percent  0 %（县里设定"), "{text}");
    let (ok, text) = run(&office, &["recheck"]);
    assert!(ok && text.contains("还需复核 0 项"), "{text}");
    run(&team, &["sync"]);
    let (ok, text) = run(&team, &["settings"]);
    assert!(
        ok && text.contains("recheck_percent  0 %（县里设定") && text.contains("publicity_days  7 天（默认"),
        "{text}"
    );
    let (ok, text) = run(&office, &["sync"]);
    assert!(ok, "{text}");
    run(&team, &["sync"]);
    let (_, text) = run(&team, &["--json", "problems", "--all"]);
    let items: serde_json::Value = serde_json::from_str(&text).unwrap();
    let closed = items.as_array().unwrap().iter().find(|p| p["item"]["id"].as_str().unwrap().starts_with(&item_id));
    assert_eq!(closed.unwrap()["item"]["status"], "closed", "{text}");

    // The county office flags a village as a 贫困村: the coverage then requires it, whatever its size;
    // a village tablet cannot set it (the server refuses the change).
    let code = sc.storage.village_code(sc.villages[1]).unwrap().unwrap();
    let (ok, text) = run(&office, &["poor-village", &code]);
    assert!(ok && text.contains("已标为贫困村"), "{text}");
    let (ok, text) = run(&office, &["sync"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&office, &["--json", "report", "inspections"]);
    assert!(ok, "{text}");
    let cover: serde_json::Value = serde_json::from_str(&text).unwrap();
    let flagged: Vec<&serde_json::Value> =
        cover["villages"].as_array().unwrap().iter().filter(|v| v["poor_village"] == true).collect();
    assert!(!flagged.is_empty() && flagged.iter().all(|v| v["must_cover"] == true), "{cover}");
    let tablet = sc.dir().join("tablet.db");
    let tablet_code = sc.storage.create_enrol_code("村平板", &Scope::Village(sc.villages[1]), 1).unwrap();
    let out = cli_on(&tablet)
        .args(["init", "--server", &sc.url, "--code", &tablet_code, "--name", "村平板"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run(&tablet, &["sync"]);
    let (ok, text) = run(&tablet, &["poor-village", &code, "--off"]);
    assert!(ok, "{text}");
    let (_, text) = run(&tablet, &["sync"]);
    assert!(text.contains("拒"), "the server refuses a village tablet's change to a village: {text}");
    run(&office, &["sync"]);
    let (_, text) = run(&office, &["--json", "report", "inspections"]);
    let cover: serde_json::Value = serde_json::from_str(&text).unwrap();
    let still = cover["villages"].as_array().unwrap().iter().filter(|v| v["poor_village"] == true).count();
    assert_eq!(still, flagged.len(), "the flag stays: {cover}");
    // The county office sets where the village committee is and the check-in radius; every device of
    // the village has it after a sync, and a village tablet cannot move it.
    let (ok, text) =
        run(&office, &["village-location", &code, "--lat", "26.668", "--lon", "108.321", "--radius", "800"]);
    assert!(ok && text.contains("签到范围 800 米"), "{text}");
    let (ok, text) = run(&office, &["village-location", &code, "--lat", "26.668", "--lon", "108.321", "--radius", "5"]);
    assert!(!ok && text.contains("radius_m"), "{text}");
    run(&office, &["sync"]);
    run(&tablet, &["sync"]);
    let (ok, text) = run(&tablet, &["village-location", &code, "--lat", "0", "--lon", "0", "--radius", "20000"]);
    assert!(ok, "{text}");
    let (_, text) = run(&tablet, &["sync"]);
    assert!(text.contains("拒"), "the server refuses a village tablet's change to a village: {text}");
    run(&office, &["sync"]);
    let (_, text) = run(&office, &["--json", "villages"]);
    let villages: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = villages.as_array().unwrap().iter().find(|v| v["code"] == code.as_str()).unwrap();
    assert_eq!((v["lat"].as_f64(), v["radius_m"].as_i64()), (Some(26.668), Some(800)), "{v}");

    // Another county-office device opens inspections only with the backup imported.
    let second = sc.dir().join("second.db");
    init(&second, Role::County, "县扶贫办备用机");
    run(&second, &["sync"]);
    let (ok, text) = run(&second, &["inspection-open", &id]);
    assert!(!ok && text.contains("sealing-key-import"), "{text}");
    let (ok, text) = run_with(&second, &["sealing-key-import", backup.to_str().unwrap()], "县扶贫办备份口令错");
    assert!(!ok && text.contains("备份口令不正确"), "a wrong passphrase imports nothing: {text}");
    let (ok, text) = run(&second, &["inspection-open", &id]);
    assert!(!ok && text.contains("sealing-key-import"), "{text}");
    let (ok, text) = run_with(&second, &["sealing-key-import", backup.to_str().unwrap()], PASSPHRASE);
    assert!(ok, "{text}");
    let opened = sc.dir().join("opened");
    let (ok, text) = run(&second, &["inspection-open", &id, "--photos", opened.to_str().unwrap()]);
    assert!(ok && text.contains(MARKER) && text.contains("照片 1：1600×1200"), "{text}");
    let image = std::fs::read(opened.join(format!("{id}-1.jpg"))).unwrap();
    assert_eq!(image, zoufang_media::process(&std::fs::read(&shot).unwrap()).unwrap().image);

    // The spare device is lost: its next sync empties its database and erases its own files, and only
    // those (the directory holds other devices' databases too).
    assert!(sc.dir().join("second.photos").exists(), "the sealed photo was fetched");
    let spare = sc.storage.devices().unwrap().into_iter().find(|d| d.name == "县扶贫办备用机").unwrap().id;
    assert!(sc.storage.revoke(spare, zoufang_server::RevokeMode::Lost).unwrap());
    let (ok, text) = run(&second, &["sync"]);
    assert!(!ok && text.contains("已清除本机其余"), "{text}");
    assert!(!sc.dir().join("second.photos").exists());
    assert!(sc.dir().join("second.db").exists() && office.exists() && inspector.exists());
    let (_, text) = run(&second, &["--json", "households", "--limit", "1"]);
    assert_eq!(text.trim(), "[]");
}
