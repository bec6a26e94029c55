//! The whole-device scan, through the app's commands over real device databases and a real server:
//! a village tablet enrols, imports a roster with a bad row, records a visit with a photo, exports both
//! reports and the rejected rows to a place outside its data directory; the county office makes its key
//! and backs it up; an inspector seals a 暗访 that the office opens. Then every file under the devices'
//! data directories and the temporary directory is searched for the household heads' names and
//! 身份证号 (UTF-8, UTF-16 LE/BE, GB18030), the finding text and the county's private key: nothing. After
//! the village tablet is revoked and wiped, only its empty database remains, and the scan still finds
//! nothing. The control — the same data written in clear — is found, every text in every encoding.
//!
//! A test binary of its own: it points the process's temporary directory at one of its own before
//! anything runs, so what the app's code writes to temporary files is scanned, and no other test's.

mod common;

use common::{wait_for, App};
use serde_json::{json, Value};
use std::path::Path;
use zoufang_model::{IdNumber, Role, Scope};
use zoufang_scenarios::leaks::{files_under, Needles};
use zoufang_scenarios::TestServer;

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

fn id(seq: u16) -> String {
    IdNumber::compose(522630, chrono::NaiveDate::from_ymd_opt(1971, 3, 1 + seq as u32).unwrap(), seq)
        .as_str()
        .to_string()
}

const FINDING: &str = "暗访发现帮扶干部从未入户核实收入";
const PASSPHRASE: &str = "县扶贫办备份口令";

#[test]
fn nothing_personal_in_clear_on_the_devices_and_nothing_left_after_a_wipe() {
    let base = tempfile::tempdir().unwrap();
    let tmp = base.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // Before any thread of the app starts: the only test in this binary.
    std::env::set_var("TMPDIR", &tmp);
    let devices = base.path().join("devices");
    let chosen = base.path().join("chosen"); // the person's USB stick
    std::fs::create_dir_all(&chosen).unwrap();
    let server = TestServer::start(&base.path().join("server"));
    let villages = server.seed_small();
    let county = server.storage.village_code(villages[0]).unwrap().unwrap()[..6].to_string();
    let enrol = |name: &str, scope: Scope, role: Role| {
        let app = App::new(&devices.join(name));
        let code = server.storage.create_enrol_code_for(name, &scope, role, 1, 30).unwrap();
        app.ok("enrol", json!({"serverUrl": server.url, "code": code, "deviceName": name}));
        app.ok("set_operator", json!({ "name": "李娟" }));
        app
    };
    let synced = |app: &App| {
        app.ok("sync_now", json!({}));
        std::thread::sleep(std::time::Duration::from_millis(200));
        wait_for(30, "sync did not finish", || {
            let st = app.ok("sync_status", json!({}));
            !st["running"].as_bool().unwrap_or(true) && st["pending"] == 0 && st["last_sync"].is_string()
        });
    };

    // The village tablet: its households, a roster with a bad row, a visit with a photo, exports.
    let village = enrol("village", Scope::Village(villages[0]), Role::WorkTeam);
    synced(&village);
    let info = village.ok("app_info", json!({}));
    let village_name = info["villages"][0]["name"].as_str().unwrap().to_string();
    let listed = village.ok("households", json!({"query": {"village": villages[0]}}));
    let mut texts: Vec<String> = Vec::new();
    for h in listed.as_array().unwrap().iter().take(5) {
        texts.push(h["head_name"].as_str().unwrap().to_string());
        let d = village.ok("household_detail", json!({"id": h["id"]}));
        texts.push(d["household"]["head_id_number"].as_str().unwrap().to_string());
    }
    let good = id(9);
    let bad_id = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' }); // wrong check digit
    let csv = format!(
        "户编号,村,姓名,与户主关系,身份证号码\n9001,{village_name},欧阳明辉,户主,{}\n9001,{village_name},龙秀英兰,配偶,{}\n9002,{village_name},石光荣华,户主,{bad_id}\n",
        id(1),
        id(2)
    );
    texts.extend(["欧阳明辉", "龙秀英兰", "石光荣华"].map(String::from));
    texts.extend([id(1), id(2), bad_id.clone()]);
    let r = village
        .call_raw("import_roster", csv.clone().into_bytes(), &[("x-file-name", "%E8%8A%B1%E5%90%8D%E5%86%8C.csv")])
        .expect("import");
    assert_eq!(r["summary"]["rows_rejected"], 1, "{r}");
    village.ok("save_rejections", json!({"path": chosen.join("未导入的行.xlsx"), "fullIds": false}));
    village.ok("save_rejections", json!({"path": chosen.join("未导入的行-完整号码.xlsx"), "fullIds": true}));
    let h = listed[0]["id"].as_str().unwrap().to_string();
    let needs = json!({"food": {"state": "met"}, "clothing": {"state": "met"}, "education": {"state": "not_applicable"},
        "medical": {"state": "met"}, "housing": {"state": "unmet", "note": "房屋墙体开裂"}, "water": {"state": "met"}});
    village.ok(
        "record_visit",
        json!({"visit": {"household_id": h, "kind": "routine", "visited_on": today(), "visitor": "李娟", "basic_needs": needs,
            "satisfaction": "satisfied", "actual_population": 3, "notes": "户主欧阳明辉在家", "lat": null, "lon": null, "problems": []}}),
    );
    let doc = village.ok(
        "create_document",
        json!({"document": {"household_id": h, "kind": "application", "title": "入户申请书", "note": null}}),
    );
    let jpeg = zoufang_media::sample::camera_jpeg(1200, 1600, 5, 85, &Default::default());
    village
        .call_raw(
            "import_photo",
            jpeg,
            &[("x-target-kind", "archive_document"), ("x-target-id", doc.as_str().unwrap())],
        )
        .expect("photo");
    for kind in ["monthly", "ledger"] {
        let name = village.ok("export_file_name", json!({"kind": kind}));
        village.ok("export_report", json!({"kind": kind, "path": chosen.join(name.as_str().unwrap())}));
    }
    synced(&village);

    // The county office makes its key (backed up to the chosen medium); an inspector seals a 暗访; the
    // office opens it.
    let office = enrol("office", Scope::County(county.clone()), Role::County);
    office.ok(
        "sealing_key_generate",
        json!({"passphrase": PASSPHRASE, "again": PASSPHRASE, "path": chosen.join("私钥备份.zfkey")}),
    );
    let key = zoufang_client::read_key_backup(&chosen.join("私钥备份.zfkey"), PASSPHRASE).unwrap();
    texts.push(key.to_string());
    let inspector = enrol("inspector", Scope::County(county.clone()), Role::Inspector);
    wait_for(30, "the inspector never got the key", || {
        inspector.ok("sync_now", json!({}));
        inspector.ok("sealing_status", json!({}))["can_seal"] == json!(true)
    });
    let findings = json!({"basic_needs": needs, "satisfaction": "basic", "knows_helper": false, "notes": FINDING,
        "problems": ["帮扶手册收入与实际不符"], "photos": []});
    let sealed =
        inspector.ok("record_inspection", json!({"household": h, "inspectedOn": today(), "findings": findings}));
    synced(&inspector);
    wait_for(30, "the inspection did not reach the office", || {
        office.ok("sync_now", json!({}));
        office.ok("inspections", json!({})).as_array().is_some_and(|a| !a.is_empty())
    });
    assert_eq!(office.ok("open_inspection", json!({"id": sealed}))["notes"], FINDING);
    texts.push(FINDING.to_string());

    // Every file the devices and the app's code wrote: nothing in clear.
    let needles = Needles::new(&texts);
    let scanned = [devices.as_path(), tmp.as_path()];
    assert!(files_under(&devices).len() >= 6, "the scan sees the devices' files: {:?}", files_under(&devices));
    let hits: Vec<String> = needles.scan(&scanned).iter().map(|h| h.to_string()).collect();
    assert_eq!(hits, Vec::<String>::new(), "personal data in clear on a device");
    assert!(files_under(&chosen).len() >= 5, "the exports went where the person chose");

    // The control: the same data written in clear is found, every text in every encoding — the roster in a
    // plain database, and each text as an app writing it in any of the four encodings would.
    let control = base.path().join("control");
    std::fs::create_dir_all(&control).unwrap();
    {
        let mut plain = zoufang_store::Store::open(control.join("plain.db")).unwrap();
        let v = zoufang_model::Village {
            id: villages[0],
            name: village_name.clone(),
            code: "522630101001".into(),
            township: "测试镇".into(),
            county: "测试县".into(),
            poor_village: None,
            lat: None,
            lon: None,
            radius_m: None,
        };
        plain.create(&v).unwrap();
        let today = chrono::Local::now().date_naive();
        zoufang_office::import_roster(&mut plain, "花名册.csv", csv.into_bytes(), today, &mut |_| {}).unwrap();
    }
    let plain_hits = needles.scan(&[control.as_path()]);
    for t in ["欧阳明辉", "龙秀英兰", id(1).as_str(), id(2).as_str()] {
        assert!(plain_hits.iter().any(|h| h.text == t && h.encoding == "UTF-8"), "{t} not found in the plain database");
    }
    needles.control(&control.join("clear"));
    assert_eq!(needles.missed(&[control.as_path()]), Vec::<String>::new(), "the scan sees every text");

    // The village tablet is revoked as lost: its next sync erases it. Only the empty database remains.
    let device: uuid::Uuid = info["device_id"].as_str().unwrap().parse().unwrap();
    assert!(server.storage.revoke(device, zoufang_server::RevokeMode::Lost).unwrap());
    village.ok("sync_now", json!({}));
    wait_for(30, "the revoked tablet was not erased", || {
        village.ok("sync_status", json!({}))["last_error"].as_str().is_some_and(|e| e.contains("已清除本机其余"))
    });
    let data = devices.join("village");
    let left: Vec<String> =
        files_under(&data).iter().map(|p| p.strip_prefix(&data).unwrap().display().to_string()).collect();
    assert!(left.iter().all(|f| f.starts_with("zoufang.db")), "only the empty database remains: {left:?}");
    assert_eq!(village.ok("app_info", json!({}))["villages"], json!([]));
    let hits: Vec<String> = needles.scan(&[data.as_path(), tmp.as_path()]).iter().map(|h| h.to_string()).collect();
    assert_eq!(hits, Vec::<String>::new());
    assert_no_temp_files_left(&tmp);
}

/// The app's code leaves nothing in the temporary directory.
fn assert_no_temp_files_left(tmp: &Path) {
    let left: Vec<Value> = files_under(tmp).iter().map(|p| json!(p.display().to_string())).collect();
    assert_eq!(left, Vec::<Value>::new(), "temporary files left behind");
}
