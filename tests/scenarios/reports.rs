//! The office reports from the command line over a synced village: the same figures as the store's,
//! as text and as JSON.

use zoufang_model::Scope;
use zoufang_scenarios::{cli_binary, cli_on, Scenario, TestServer};

fn cli(db: &std::path::Path, args: &[&str]) -> String {
    let out = cli_on(db).args(args).output().expect("run zoufang-cli");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A server with the small demo county and a device of its first village, synced.
fn synced_device(dir: &std::path::Path) -> (TestServer, std::path::PathBuf, zoufang_store::Store) {
    let server = TestServer::start(dir);
    let villages = server.seed_small();
    let db = dir.join("device.db");
    let mut store = server.device(&db, "红阳村平板", Scope::Village(villages[0]));
    zoufang_client::sync(&mut store).unwrap();
    (server, db, store)
}

#[test]
fn reports_from_the_command_line_match_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, db, store) = synced_device(dir.path());
    let today = chrono::Local::now().date_naive();

    let needs: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "needs"])).unwrap();
    let expected = store.report_needs().unwrap();
    assert_eq!(needs["villages"][0]["households"], 30);
    assert_eq!(needs["gaps"].as_array().unwrap().len(), expected.gaps.len());
    assert!(cli(&db, &["report", "needs"]).contains("户有未达标项"));

    let cov: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "coverage"])).unwrap();
    assert_eq!(
        cov["not_visited"].as_array().unwrap().len(),
        store.report_coverage(today, 30).unwrap().not_visited.len()
    );

    let pop: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "population"])).unwrap();
    assert_eq!(pop.as_array().unwrap().len(), store.report_population().unwrap().len());
    let income: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "income"])).unwrap();
    assert_eq!(income.as_array().unwrap().len(), store.report_income().unwrap().len());
    let ledger: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "ledger"])).unwrap();
    assert_eq!(ledger.as_array().unwrap().len(), store.report_ledger(today).unwrap().len());
    let assessed: serde_json::Value = serde_json::from_str(&cli(&db, &["--json", "report", "assessment"])).unwrap();
    assert_eq!(assessed, serde_json::to_value(store.report_assessment(today).unwrap()).unwrap());
    let text = cli(&db, &["report", "assessment"]);
    assert!(text.contains("满意度（≥90%）") && text.contains("县 "), "{text}");
    let p = cli(&db, &["report", "presence", "--month", "2026-10"]);
    assert!(p.starts_with("2026 年 10 月在村情况"), "{p}");
    let bad = cli_on(&db).args(["report", "presence", "--month", "十月"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"));
}

#[test]
fn roster_import_and_excel_exports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, db, store) = synced_device(dir.path());
    let (village, code) = (store.villages().unwrap()[0].name.clone(), store.villages().unwrap()[0].code.clone());
    drop(store);
    let id = zoufang_model::IdNumber::compose(522630, chrono::NaiveDate::from_ymd_opt(1970, 5, 6).unwrap(), 321);
    let roster = dir.path().join("花名册.csv");
    std::fs::write(
        &roster,
        format!(
            "户编号,村,姓名,与户主关系,身份证号码,贫困户属性\n\
             9001,{village},欧阳明,户主,{id},低保户\n\
             9001,{village},龙秀英,妻,,\n\
             9002,{village},张三,之子,,\n\
             9003,不存在村,李四,户主,,\n"
        ),
    )
    .unwrap();
    let first = cli(&db, &["import", roster.to_str().unwrap()]);
    assert!(first.contains("导入 2 行，拒绝 2 行"), "{first}");
    assert!(first.contains("没有户主行") && first.contains("不存在村"), "{first}");
    let report = dir.path().join("花名册.未导入.xlsx");
    assert!(std::fs::read(&report).unwrap().starts_with(b"PK"), "the rejection report is an xlsx (zip) file");
    let again = cli(&db, &["import", roster.to_str().unwrap()]);
    assert!(again.contains("没有任何修改"), "{again}");
    let found = cli(&db, &["--json", "households", "--search", "欧阳明"]);
    assert!(found.contains("9001"), "{found}");

    for (kind, file) in [("monthly", "月报表.xlsx"), ("ledger", "整改台账.xlsx")] {
        let path = dir.path().join(file);
        cli(&db, &["export", kind, "--out", path.to_str().unwrap()]);
        assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
    }
    // A village's 公示名单: a workbook, or a PDF ready to print (read back by poppler's pdftotext).
    let pdf = dir.path().join("公示名单.pdf");
    cli(&db, &["export", "publicity", "--village", &code, "--out", pdf.to_str().unwrap()]);
    let out = std::process::Command::new("pdftotext").args([pdf.to_str().unwrap(), "-"]).output().expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{village}拟退出贫困户公示名单")) && text.contains("不少于 7 天"), "{text}");
    let xlsx = dir.path().join("公示名单.xlsx");
    cli(&db, &["export", "publicity", "--village", &code, "--out", xlsx.to_str().unwrap()]);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
}

/// The server shows the office reports too: the same figures a county office device computes from what
/// it pulled, from a mirror the server refreshes from its own log (only what is new each time), and
/// through `zoufang-server admin report`.
#[test]
fn the_server_shows_the_same_reports() {
    let sc = Scenario::start();
    let code = sc.storage.village_code(sc.villages[0]).unwrap().unwrap();
    let county = Scope::County(code[..6].to_string());
    let mut field = sc.village_device("field.db", "村平板", 0);
    let h = field.households(&Default::default()).unwrap()[0].id;
    let mut needs = zoufang_model::BasicNeeds::default();
    needs.set_unmet(zoufang_model::BasicNeed::Water, "自来水管冬季冻裂");
    let today = chrono::Local::now().date_naive();
    field
        .record_visit(&zoufang_store::NewVisit {
            household_id: h,
            kind: "routine".into(),
            visited_on: today.to_string(),
            visitor: "张伟".into(),
            helper_id: None,
            basic_needs: needs,
            ..Default::default()
        })
        .unwrap();
    zoufang_client::sync(&mut field).unwrap();

    let mut office = sc.device_as(&sc.dir().join("office.db"), "县扶贫办", county, zoufang_model::Role::County);
    zoufang_client::sync(&mut office).unwrap();
    let mirror = zoufang_server::reports::mirror_path(&sc.dir().join("server.db"));
    let store = zoufang_server::reports::refresh_mirror(&sc.storage, &mirror).unwrap();
    for kind in ["needs", "coverage", "presence", "population", "income", "ledger", "inspections", "assessment"] {
        let on_server = zoufang_server::reports::report(&store, kind, today).unwrap();
        let on_device = zoufang_server::reports::report(&office, kind, today).unwrap();
        assert_eq!(on_server, on_device, "{kind}");
    }
    assert!(zoufang_server::reports::report(&store, "nonsense", today).is_err());
    let gaps = zoufang_server::reports::report(&store, "needs", today).unwrap();
    assert!(gaps.to_string().contains("自来水管冬季冻裂"), "{gaps}");
    let cursor = store.cursor().unwrap();
    drop(store);
    // Nothing new: the next refresh reads nothing; the sc binary prints the same JSON.
    let again = zoufang_server::reports::refresh_mirror(&sc.storage, &mirror).unwrap();
    assert_eq!(again.cursor().unwrap(), cursor);
    drop(again);
    let bin = cli_binary().with_file_name(format!("zoufang-server{}", std::env::consts::EXE_SUFFIX));
    let out = std::process::Command::new(bin)
        .arg("--db")
        .arg(sc.db_arg())
        .arg("--reports-db")
        .arg(&mirror)
        .args(["admin", "report", "needs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, gaps);
}

#[test]
fn a_status_changes_by_its_procedure_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (server, db, store) = synced_device(dir.path());
    let query =
        zoufang_store::HouseholdQuery { status: Some(zoufang_model::HouseholdStatus::Exited), ..Default::default() };
    let exited = store.households(&query).unwrap()[0].id.to_string();
    drop(store);
    // `edit` refuses the status; a 返贫 without its evidence is refused; a county correction is not a
    // village tablet's.
    let out = cli_on(&db).args(["edit", &exited, "--set", "status=returned"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("只能通过程序变更"), "{out:?}");
    let base = ["change-status", exited.as_str(), "--actor", "李娟", "--reason", "因病"];
    let out = cli_on(&db).args(base).args(["--procedure", "relapse"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("核实依据"), "{out:?}");
    let out = cli_on(&db).args(base).args(["--procedure", "correction", "--to", "poor"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("不能办理县级纠错"), "{out:?}");
    // Registered with its evidence: the household falls back, and the server takes it.
    let done: serde_json::Value = serde_json::from_str(&cli(
        &db,
        &[
            "--json",
            "change-status",
            &exited,
            "--procedure",
            "relapse",
            "--actor",
            "李娟",
            "--reason",
            "因病",
            "--evidence",
            "入户核实",
        ],
    ))
    .unwrap();
    assert_eq!(done["status"], "returned");
    cli(&db, &["sync"]);
    let status = server.sql(
        "SELECT value FROM change_log WHERE row_id = $1 AND field = 'status' AND live",
        &[zoufang_scenarios::Sql::Id(uuid::Uuid::parse_str(&exited).unwrap())],
    );
    assert_eq!(status[0][0].text(), "\"returned\"");
}
