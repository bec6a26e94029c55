//! What belongs to a village rather than to a household, from the command line against a real server:
//! the 帮扶责任人 register and visit frequency (visits counted per helper of the register), and the
//! village's own archive (村级档案), photographed and uploaded, reaching the village's other device.

use serde_json::Value;
use zoufang_model::Scope;
use zoufang_scenarios::{cli_on, Scenario};

fn run(db: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = cli_on(db).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn json(db: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (ok, text) = run(db, &all);
    assert!(ok, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn helpers_and_the_village_archive_from_the_command_line() {
    let sc = Scenario::start();
    let village = sc.villages[0].to_string();
    let init = |db: &std::path::Path, name: &str| {
        let code = sc.storage.create_enrol_code(name, &Scope::Village(sc.villages[0]), 1).unwrap();
        let out = cli_on(db).args(["init", "--server", &sc.url, "--code", &code, "--name", name]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (ok, text) = run(db, &["sync"]);
        assert!(ok, "{text}");
    };
    let team = sc.dir().join("team.db");
    init(&team, "村平板");

    // The village's register came with the sync, with each helper's figures over 30 days by default.
    let (ok, text) = run(&team, &["helpers", "--village", &village]);
    assert!(ok && text.contains("帮扶责任人走访（每 30 天至少一次"), "{text}");
    let before = json(&team, &["helpers", "--village", &village]);
    assert!(!before["helpers"].as_array().unwrap().is_empty(), "{before}");

    // A helper added by hand (a bad phone number refused with its reason), named for a household,
    // who then visits it: their visit counts for them.
    let (ok, text) = run(&team, &["helper-add", "--village", &village, "--name", "杨光", "--phone", "12345"]);
    assert!(!ok && text.contains("错误"), "{text}");
    let (ok, text) = run(
        &team,
        &["helper-add", "--village", &village, "--name", "杨光", "--phone", "13800001111", "--unit", "县教育局"],
    );
    assert!(ok && text.contains("已将 杨光 加入"), "{text}");
    let households = json(&team, &["households"]);
    let no = households[0]["household_no"].as_str().unwrap().to_string();
    let (ok, text) = run(&team, &["visit", &no, "--helper"]);
    assert!(ok, "{text}"); // the household's own helper from the demo register
    let (ok, text) = run(&team, &["helper-assign", &no, "杨光"]);
    assert!(ok && text.contains("帮扶责任人：杨光"), "{text}");
    let (ok, text) = run(&team, &["visit", &no, "--helper", "--satisfaction", "satisfied"]);
    assert!(ok, "{text}");
    let report = json(&team, &["helpers", "--village", &village]);
    let yang = report["helpers"].as_array().unwrap().iter().find(|l| l["helper"]["name"] == "杨光").unwrap();
    assert_eq!(yang["frequency"], serde_json::json!({ "households": 1, "visited": 1, "visits": 1 }));
    assert_eq!(yang["helper"]["unit"], "县教育局");
    let (ok, text) = run(&team, &["helper-assign", &no, "不存在的人"]);
    assert!(!ok && text.contains("名册中没有帮扶责任人"), "{text}");

    // A 村级档案 document with a photographed page: not uploaded until the sync, then complete.
    let doc = json(&team, &["village-document", "--village", &village, "--kind", "公示公告", "--year", "2026"]);
    let doc = doc["document_id"].as_str().unwrap().to_string();
    let page = sc.dir().join("公示.jpg");
    let jpeg = zoufang_media::sample::camera_jpeg(1200, 1600, 5, 85, &zoufang_media::sample::CameraExif::default());
    std::fs::write(&page, jpeg).unwrap();
    let (ok, text) = run(&team, &["photo", page.to_str().unwrap(), "--village-document", &doc]);
    assert!(ok && text.contains("第 1 页"), "{text}");
    let (ok, text) = run(&team, &["village-archive", "--village", &village]);
    assert!(ok && text.contains("公示公告：未上传（1 页，1 页未上传）") && text.contains("政策文件：缺失"), "{text}");
    let (ok, text) = run(&team, &["village-document", "--village", &village, "--kind", "会议纪要"]);
    assert!(!ok && text.contains("未知的村级档案类别"), "{text}");
    let (ok, text) = run(&team, &["sync"]);
    assert!(ok, "{text}");
    let (_, text) = run(&team, &["village-archive", "--village", &village]);
    assert!(text.contains("公示公告：齐全（1 页）"), "{text}");

    // The village's other device receives the register, the link and the archive.
    let other = sc.dir().join("other.db");
    init(&other, "第一书记平板");
    let (ok, text) = run(&other, &["helpers", "--village", &village]);
    assert!(ok && text.contains("杨光（"), "{text}");
    let (_, text) = run(&other, &["village-archive", "--village", &village]);
    assert!(text.contains("公示公告：齐全（1 页）"), "{text}");
}
