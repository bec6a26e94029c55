//! End-to-end: the built app in a real window (WebKitGTK under Xvfb), driven through tauri-driver and
//! WebKitWebDriver, against a real server on loopback. Enrol, record a visit with the server down, add an
//! income calculation, sync, see a conflict made by a second device and resolve it; a screenshot of each
//! main screen goes to `target/e2e-screenshots/`. Then the cold start with 5,000 households is timed.
//!
//! Needs Xvfb, WebKitWebDriver and tauri-driver (`scripts/setup.sh` installs them); fails, never skips,
//! without them.

mod desktop;
mod webdriver;

use desktop::{driver, driver_logged, tool, xvfb, Display, ONE_AT_A_TIME};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use webdriver::Session;
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::TestServer;

const LONG: Duration = Duration::from_secs(60);
/// How often a timed wait looks: fine enough not to add to the figure it takes.
const FINE: Duration = Duration::from_millis(5);

fn app_binary() -> String {
    env!("CARGO_BIN_EXE_zoufang-app").to_string()
}

fn shots() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    std::fs::create_dir_all(&d).expect("screenshot dir");
    d
}

/// A PNG of the whole X display: the app window as a person sees it. (WebKitWebDriver's own screenshot
/// endpoint hangs under Xvfb without a GPU.)
fn shot(d: &Display, name: &str) {
    std::thread::sleep(Duration::from_millis(500)); // let transitions settle
    let path = shots().join(format!("{name}.png"));
    let st = Command::new(tool("import"))
        .args(["-display", &d.name, "-window", "root"])
        .arg(&path)
        .status()
        .expect("run import (ImageMagick)");
    assert!(st.success(), "screenshot {name} failed");
}

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_app_end_to_end() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = TestServer::start(&server_dir);
    let addr = server.addr;
    let villages = server.seed_small();
    let village = villages[0];
    let code = server.storage.create_enrol_code("花桥村工作队平板", &Scope::Village(village), 1).unwrap();
    let display = xvfb();
    // The app's whole footprint lands in directories of this test: its home (the WebView's and the
    // platform's per-user directories under it) and its temporary directory, for the scan at the end.
    let home = dir.path().join("home");
    let tmp = dir.path().join("tmp");
    let chosen = dir.path().join("chosen");
    for d in [&home, &tmp, &chosen] {
        std::fs::create_dir_all(d).unwrap();
    }
    let log = dir.path().join("app.log");
    let data = dir.path().join("device");
    let (_driver, url) = driver_logged(
        &display,
        &[
            ("ZOUFANG_DATA_DIR", data.display().to_string()),
            ("ZOUFANG_SERVER", server.url.clone()),
            ("ZOUFANG_ENROL_CODE", code),
            ("HOME", home.display().to_string()),
            ("XDG_DATA_HOME", home.join(".local/share").display().to_string()),
            ("XDG_CACHE_HOME", home.join(".cache").display().to_string()),
            ("XDG_CONFIG_HOME", home.join(".config").display().to_string()),
            ("TMPDIR", tmp.display().to_string()),
        ],
        Some(&log),
    );
    let s = ok(Session::start(&url, &app_binary()));

    // 0. First start: choose the unlock secret that encrypts the device's data (a mismatch is caught).
    ok(s.wait("[data-testid=unlock-submit]", LONG));
    ok(s.fill("input[name=secret]", "花桥村2026"));
    ok(s.fill("input[name=again]", "花桥村2027"));
    ok(s.click("[data-testid=unlock-submit]"));
    ok(s.wait_text("两次输入的解锁密码不一致", LONG));
    ok(s.fill("input[name=again]", "花桥村2026"));
    shot(&display, "00-unlock");
    ok(s.click("[data-testid=unlock-submit]"));

    // 1. Enrol (server and code prefilled, as `make run` does), then say who uses the device.
    ok(s.wait("[data-testid=enrol-submit]", LONG));
    ok(s.fill("input[name=device_name]", "花桥村工作队平板"));
    shot(&display, "01-enrol");
    ok(s.click("[data-testid=enrol-submit]"));
    ok(s.fill("input[name=operator]", "李娟"));
    ok(s.click("[data-testid=operator-save]"));

    // 2. Village home with its households.
    ok(s.wait("[data-household]", LONG));
    ok(s.wait_text("全部农户", LONG));
    shot(&display, "02-home");
    // 锁定: the unlock screen again (a wrong secret is refused), then back where the user was.
    ok(s.click("[data-testid=lock-now]"));
    ok(s.wait("[data-testid=unlock-submit]", LONG));
    ok(s.fill("input[name=secret]", "花桥村2025"));
    ok(s.click("[data-testid=unlock-submit]"));
    ok(s.wait_text("解锁密码不正确", LONG));
    ok(s.fill("input[name=secret]", "花桥村2026"));
    ok(s.click("[data-testid=unlock-submit]"));
    ok(s.wait("[data-household]", LONG));
    // A household still in poverty (it can start the exit procedure later).
    let poor = ok(s.text("[data-testid=stat-poor] .n"));
    ok(s.click("[data-testid=stat-poor]"));
    ok(s.wait_text(&format!("共 {poor} 户"), LONG));
    let first_no = ok(s.script("return document.querySelector('[data-household]').dataset.household"))
        .as_str()
        .unwrap()
        .to_string();
    ok(s.fill("[data-testid=search] input", &first_no));
    ok(s.wait_text("共 1 户", LONG));
    ok(s.click("[data-household]"));

    // 3. Household screen.
    ok(s.wait("[data-testid=new-visit]", LONG));
    // 户状态 changes only by procedures: the card says so, and a household in poverty offers no 返贫.
    ok(s.wait("[data-testid=status-history]", LONG));
    assert!(ok(s.find_all("[data-testid=register-relapse]")).is_empty(), "a poor household cannot fall back");
    shot(&display, "03-household");
    let hid = ok(s.script("return location.hash.split('/')[2]")).as_str().unwrap().to_string();

    // Add a member: an empty name and a 身份证号 with a wrong check digit are refused at their fields.
    ok(s.click(".van-tab:nth-child(2)"));
    ok(s.click("[data-testid=add-member]"));
    ok(s.wait(".van-popup input[name=id_number]", LONG));
    let good = zoufang_model::IdNumber::compose(522630, chrono::NaiveDate::from_ymd_opt(2010, 6, 1).unwrap(), 27);
    let last = if good.as_str().ends_with('0') { '1' } else { '0' };
    let bad = format!("{}{last}", &good.as_str()[..17]);
    ok(s.fill(".van-popup input[name=id_number]", &bad));
    ok(s.click("[data-testid=record-save]"));
    ok(s.wait_text("身份证号校验位错误", LONG));
    ok(s.fill(".van-popup input[name=id_number]", good.as_str()));
    ok(s.click("[data-testid=record-save]"));
    ok(s.wait_text("必填，不能为空", LONG));
    ok(s.fill(".van-popup input[name=name]", "龙小凤"));
    ok(s.script("const s = document.querySelector('.van-popup select[name=relation]'); s.value = 'child'; s.dispatchEvent(new Event('change'));"));
    ok(s.click("[data-testid=record-save]"));
    ok(s.wait_text("龙小凤", LONG));
    // A member leaves by a change, with its evidence, and stays on record; never a delete.
    ok(s.click("tr[data-member='龙小凤'] [data-testid=member-leave]"));
    ok(s.wait("[data-testid=leave-save]", LONG));
    ok(s.click("[data-testid=leave-save]"));
    ok(s.wait_text("须写明依据", LONG));
    ok(s.fill(".van-popup textarea[name=evidence]", "户口迁移证明"));
    ok(s.click("[data-testid=leave-save]"));
    ok(s.wait("tr.left[data-member='龙小凤']", LONG));
    ok(s.wait_text("迁出", LONG));
    shot(&display, "05b-member-left");
    // The household's history from the server (痕迹管理).
    ok(s.click(".van-tab:nth-child(7)"));
    ok(s.wait("[data-testid=history] table", LONG));
    shot(&display, "05c-history");
    ok(s.click(".van-tab:nth-child(1)"));

    // 4. The server goes away (the village has no signal); a visit is recorded anyway.
    drop(server);
    ok(s.click("[data-testid=new-visit]"));
    ok(s.wait("[data-testid=visit-save]", LONG));
    // Bad input first: a future date and an unmet item without a note are refused at their fields.
    ok(s.fill("input[name=visited_on]", "2999-01-01"));
    ok(s.click("[data-need=housing] input[type=radio][value=unmet], [data-need=housing] .van-radio:nth-child(2)"));
    ok(s.click("[data-testid=visit-save]"));
    ok(s.wait_text("日期不能晚于今天", LONG));
    ok(s.wait_text("未达标，请写明具体问题", LONG));
    ok(s.script("const t = document.querySelector('textarea[name=notes]'); t.value = '记'.repeat(10000); t.dispatchEvent(new Event('input', {bubbles: true}));"));
    ok(s.click("[data-testid=visit-save]"));
    ok(s.wait_text("太长：最多 5000 个字，实际 10000 个字", LONG));
    let today = chrono::Local::now().date_naive().to_string();
    ok(s.fill("input[name=visited_on]", &today));
    ok(s.fill("input[name=need-housing]", "房屋墙体开裂，需危房改造"));
    ok(s.fill("textarea[name=notes]", "户主在家，反映冬季取暖困难。"));
    shot(&display, "04-visit");
    ok(s.click("[data-testid=visit-save]"));
    ok(s.wait("[data-testid=new-visit]", LONG));
    ok(s.wait_text("有 1 项未达标", LONG));

    // 5. Income calculation in the handbook, computed as typed.
    ok(s.click("[data-testid=open-handbook]"));
    ok(s.fill("input[name=wage_fen]", "-10"));
    ok(s.wait_text("金额不能为负数", LONG));
    ok(s.fill("input[name=household_size]", "4"));
    ok(s.fill("input[name=wage_fen]", "18000"));
    ok(s.fill("input[name=transfer_fen]", "2400.50"));
    ok(s.fill("input[name=production_cost_fen]", "1200"));
    ok(s.wait_text("4800.12", LONG)); // (18000 + 2400.50 − 1200) / 4
    shot(&display, "05-income");
    ok(s.click("[data-testid=income-save]"));
    ok(s.wait("[data-testid=new-visit]", LONG));

    // 6. Sync while the server is down: an offline message, nothing lost.
    ok(s.navigate_hash("#/sync"));
    ok(s.click("[data-testid=sync-now]"));
    ok(s.wait("[data-testid=sync-error]", LONG));
    ok(s.wait_text("记录都已安全保存在本机", LONG));
    shot(&display, "06-sync-offline");

    // 7. Back at the township: the server returns on the same address; sync sends everything.
    let server = TestServer::start_at(&server_dir, addr);
    ok(s.click("[data-testid=sync-now]"));
    let end = Instant::now() + LONG;
    while ok(s.text("[data-testid=pending]")) != "0" {
        assert!(Instant::now() < end, "pending changes were not sent");
        std::thread::sleep(Duration::from_millis(200));
    }
    ok(s.wait_text("已同步", LONG));
    shot(&display, "07-sync");
    // A second device of the same village receives what was recorded offline.
    let mut other = server.device(&dir.path().join("other.db"), "李书记的平板", Scope::Village(village));
    zoufang_client::sync(&mut other).unwrap();
    let h = uuid::Uuid::parse_str(&hid).unwrap();
    let visits = other.visits_of(h).unwrap();
    assert!(visits.iter().any(|v| v.basic_needs.housing.note.as_deref() == Some("房屋墙体开裂，需危房改造")));
    let calc = other.handbook_of(h).unwrap().into_iter().find_map(|e| e.income_calc).expect("income calculation");
    assert_eq!((calc.wage_fen, calc.transfer_fen, calc.household_size), (1_800_000, 240_050, 4));

    // 8. The second device changes the household's phone; so does this one.
    let mut patch = serde_json::Map::new();
    patch.insert("phone".into(), serde_json::json!("13900002222"));
    other.update(Entity::Household, h, &patch).unwrap();
    ok(s.navigate_hash(&format!("#/household/{hid}")));
    ok(s.click("[data-testid=edit-household]"));
    ok(s.wait(".van-popup input[name=phone]", LONG));
    assert!(ok(s.find_all(".van-popup select[name=status]")).is_empty(), "户状态 is not a field the form edits");
    ok(s.fill(".van-popup input[name=phone]", "1380000"));
    ok(s.click("[data-testid=record-save]"));
    ok(s.wait_text("手机号应为 11 位", LONG));
    ok(s.fill(".van-popup input[name=phone]", "13700003333"));
    ok(s.click("[data-testid=record-save]"));
    ok(s.wait_text("13700003333", LONG));
    zoufang_client::sync(&mut other).unwrap();
    ok(s.navigate_hash("#/sync"));
    ok(s.click("[data-testid=sync-now]"));
    ok(s.navigate_hash("#/conflicts"));
    let end = Instant::now() + LONG;
    while ok(s.find_all("[data-testid=conflict]")).is_empty() {
        assert!(Instant::now() < end, "the conflict did not arrive");
        std::thread::sleep(Duration::from_millis(300));
        ok(s.navigate_hash("#/"));
        ok(s.navigate_hash("#/conflicts"));
    }
    ok(s.wait_text("13900002222", LONG));
    ok(s.wait_text("13700003333", LONG));
    ok(s.wait_text("李书记的平板", LONG));
    shot(&display, "08-conflicts");
    // Take the other device's value.
    ok(s.script(
        "const b = [...document.querySelectorAll('.side')].find(x => x.textContent.includes('13900002222')).querySelector('[data-testid=choose]'); b.click();",
    ));
    ok(s.wait_text("没有待处理的冲突", LONG));
    ok(s.click("[data-nav='/sync']"));
    ok(s.click("[data-testid=sync-now]"));
    let end = Instant::now() + LONG;
    loop {
        zoufang_client::sync(&mut other).unwrap();
        let rec = other.household(h).unwrap().unwrap();
        let open = other.conflicts(Some(zoufang_model::ConflictStatus::Open)).unwrap();
        if rec.phone.as_ref().map(|p| p.as_str()) == Some("13900002222") && open.is_empty() {
            break;
        }
        assert!(Instant::now() < end, "the resolution did not reach the other device");
        std::thread::sleep(Duration::from_millis(300));
    }

    // 9. The other main screens.
    ok(s.navigate_hash("#/presence"));
    ok(s.click("[data-testid=check-in]"));
    ok(s.wait_text("今日已签到", LONG));
    shot(&display, "09-presence");
    ok(s.navigate_hash("#/problems"));
    ok(s.wait_text("房屋墙体开裂", LONG));
    shot(&display, "10-problems");
    ok(s.navigate_hash("#/reports"));
    ok(s.wait("[data-testid=gap-count]", LONG));
    ok(s.wait_text("未达标户数", LONG));
    shot(&display, "12-reports");
    // Exports leave through the save dialog, after the personal-data warning (the platform's dialog
    // answered here with a place outside the data directory, as the person would choose).
    ok(s.click("[data-testid=export-monthly]"));
    ok(s.wait_text("个人信息", LONG));
    shot(&display, "12b-export-warning");
    ok(s.click(".van-dialog__confirm"));
    answer_save_dialog(&display, &chosen.join("monthly-report.xlsx"));
    ok(s.wait_text("已导出", LONG));
    ok(s.wait_text("monthly-report.xlsx", LONG));
    assert!(std::fs::read(chosen.join("monthly-report.xlsx")).unwrap().starts_with(b"PK"));

    // Import a roster chosen in the file picker (set here as the picker would), with one bad row.
    ok(s.click("[data-testid=open-import]"));
    ok(s.wait("[data-testid=import-run]", LONG));
    ok(s.script(
        "const csv = '户编号,村,姓名,与户主关系,身份证号码\\n7001,红阳村,欧阳明,户主,\\n7001,红阳村,龙秀英,配偶,\\n7002,红阳村,李四,之子,\\n7002,红阳村,李五,配偶,\\n'; \
         const dt = new DataTransfer(); dt.items.add(new File([csv], '花名册.csv', {type: 'text/csv'})); \
         const input = document.querySelector('[data-testid=import-file]'); input.files = dt.files; \
         input.dispatchEvent(new Event('change', {bubbles: true}));",
    ));
    ok(s.wait_text("花名册.csv", LONG));
    ok(s.click("[data-testid=import-run]"));
    ok(s.wait("[data-testid=import-result]", LONG));
    ok(s.wait_text("没有户主行", LONG));
    ok(s.wait("[data-testid=whole-households]", LONG));
    shot(&display, "13-import");
    ok(s.click("[data-testid=save-rejections]"));
    ok(s.wait(".van-dialog__confirm", LONG));
    ok(s.click(".van-dialog__confirm"));
    answer_save_dialog(&display, &chosen.join("rejected-rows.xlsx"));
    ok(s.wait("[data-testid=rejections-saved]", LONG));
    assert!(chosen.join("rejected-rows.xlsx").exists());

    // 一户一档: photograph a page (a JPEG drawn here, set in the picker as the camera would), then a PDF
    // the same way, which is refused with a reason; the page shows as waiting for upload or uploaded.
    ok(s.navigate_hash(&format!("#/household/{hid}")));
    ok(s.wait("[data-testid=new-visit]", LONG));
    ok(s.click(".van-tab:nth-child(5)"));
    ok(s.wait("[data-testid=archive-summary]", LONG));
    ok(s.wait_text("材料不齐全", LONG));
    let pick = |name: &str, make: &str| pick_into("[data-testid=archive-file-application]", name, make);
    let page_jpeg = PAGE_JPEG;
    ok(s.script(&pick("申请书.jpg", page_jpeg)));
    ok(s.wait_text("第 1 页", LONG));
    ok(s.script(&pick("材料.jpg", "const bytes = new TextEncoder().encode('%PDF-1.7 fake');")));
    ok(s.wait("[data-testid=archive-problem]", LONG));
    ok(s.wait_text("PDF", LONG));
    shot(&display, "14-archive");
    // Evidence photo on a visit.
    ok(s.click(".van-tab:nth-child(3)"));
    ok(s.wait(".strip .van-button", LONG));
    ok(s.script(&pick_into("[data-testid=photo-file]", "现场.jpg", page_jpeg)));
    ok(s.wait(".strip .thumb img", LONG));
    shot(&display, "15-visit-photo");
    ok(s.navigate_hash(&format!("#/household/{hid}/exit")));
    ok(s.wait("[data-testid=exit-pass]", LONG));
    ok(s.click("[data-testid=exit-pass]"));
    ok(s.wait_text("核查测算", LONG));
    ok(s.wait("[data-testid=blockers]", LONG));
    ok(s.click("[data-testid=exit-pass]"));
    ok(s.wait_text("不符合退出标准", LONG));
    shot(&display, "11-exit");

    // 村务: the 帮扶责任人 register with its visit frequency; a helper added (a missing name refused) and
    // named for the household from the register; a page of the village's own archive (村级档案).
    ok(s.navigate_hash("#/village"));
    ok(s.wait("[data-testid=helper-total]", LONG));
    ok(s.click("[data-testid=helper-add]"));
    ok(s.click("[data-testid=helper-save]"));
    ok(s.wait("[data-testid=helper-error]", LONG));
    ok(s.wait_text("必填", LONG));
    ok(s.fill("[data-testid=helper-name] input", "杨光"));
    ok(s.click("[data-testid=helper-save]"));
    ok(s.wait_text("杨光", LONG));
    shot(&display, "16-helpers");
    ok(s.navigate_hash(&format!("#/household/{hid}")));
    ok(s.click("[data-testid=choose-helper]"));
    ok(s.wait(".van-action-sheet__item", LONG));
    ok(s.script(
        "[...document.querySelectorAll('.van-action-sheet__item')].find((e) => e.textContent.includes('杨光')).click()",
    ));
    let end = Instant::now() + LONG;
    while !ok(s.text("[data-testid=household-helper]")).contains("杨光") {
        assert!(Instant::now() < end, "the household did not take the register's helper");
        std::thread::sleep(Duration::from_millis(200));
    }
    ok(s.navigate_hash("#/village"));
    ok(s.click("[data-testid=village-tabs] .van-tab:nth-child(2)"));
    ok(s.wait("[data-testid=archive-summary]", LONG));
    ok(s.wait_text("村级专项工作档案", LONG));
    ok(s.script(&pick_into("[data-testid=archive-file-policy_documents]", "政策文件.jpg", page_jpeg)));
    ok(s.wait_text("第 1 页", LONG));
    shot(&display, "17-village-archive");

    // 10. Nothing personal in clear anywhere the app wrote: its data directory (the WebView's storage
    // inside it), its home and temporary directories, its log.
    let head = other.household(h).unwrap().unwrap();
    let mut texts = vec![head.head_name.clone(), "龙小凤".to_string(), good.as_str().to_string(), "欧阳明".into()];
    texts.extend(head.head_id_number.as_ref().map(|i| i.as_str().to_string()));
    texts.push("户主在家，反映冬季取暖困难".into());
    let needles = zoufang_scenarios::leaks::Needles::new(&texts);
    let scanned = [data.as_path(), home.as_path(), tmp.as_path(), log.as_path()];
    assert!(
        zoufang_scenarios::leaks::files_under(&data.join("webview")).len() > 1,
        "the WebView keeps its files in the data directory"
    );
    let hits: Vec<String> = needles.scan(&scanned).iter().map(|h| h.to_string()).collect();
    assert_eq!(hits, Vec::<String>::new(), "personal data in clear");
    needles.control(&dir.path().join("control"));
    assert_eq!(needles.missed(&[dir.path().join("control").as_path()]), Vec::<String>::new());

    // 11. The tablet is lost: revoked, its next sync erases it and the app is back at enrolment.
    let device = server.storage.devices().unwrap().into_iter().find(|d| d.name == "花桥村工作队平板").unwrap().id;
    assert!(server.storage.revoke(device, zoufang_server::RevokeMode::Lost).unwrap());
    ok(s.navigate_hash("#/sync"));
    ok(s.click("[data-testid=sync-now]"));
    ok(s.wait("[data-testid=enrol-submit]", LONG));
    ok(s.wait_text("已清除本机其余", LONG));
    ok(s.wait("[data-testid=wiped-notice]", LONG)); // shown because the sync's error code is `wiped`
    shot(&display, "20-wiped");
    s.quit();
    drop(_driver);
    std::thread::sleep(Duration::from_millis(500));
    // Besides the emptied database, only what the WebView wrote for the enrolment screen after the wipe.
    let left: Vec<String> = zoufang_scenarios::leaks::files_under(&data)
        .iter()
        .map(|p| p.strip_prefix(&data).unwrap().display().to_string())
        .filter(|f| !f.starts_with("zoufang.db"))
        .collect();
    assert!(left.iter().all(|f| f.starts_with(zoufang_app::WEBVIEW_DIR)), "{left:?}");
    // The platform's directories for the app's identifier hold nothing either.
    for d in [home.join(".local/share/cn.zoufang.app"), home.join(".cache/cn.zoufang.app")] {
        let files = zoufang_scenarios::leaks::files_under(&d);
        assert!(files.is_empty(), "{files:?}");
    }
    let hits: Vec<String> = needles.scan(&scanned).iter().map(|h| h.to_string()).collect();
    assert_eq!(hits, Vec::<String>::new(), "personal data left after the wipe");
    drop(server);
}

/// Answers the platform's save dialog (GTK's file chooser, found by its title) with `path`, as a person
/// typing it would.
fn answer_save_dialog(d: &Display, path: &Path) {
    let run = |args: &[&str]| {
        Command::new(tool("xdotool"))
            .args(args)
            .env("DISPLAY", &d.name)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run xdotool")
    };
    let xdo = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let name = |w: &str| String::from_utf8_lossy(&run(&["getwindowname", w]).stdout).trim().to_string();
    // Matched by name in Rust: xdotool's own search does not match non-ASCII titles.
    let end = Instant::now() + LONG;
    loop {
        let all = xdo(&["search", "--name", ".*"]);
        if all.lines().any(|w| name(w) == "选择保存位置") {
            break;
        }
        assert!(Instant::now() < end, "the save dialog did not open");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Without a window manager the dialog opens at the top left and is focused by clicking into its
    // name field (X refuses to give it the focus directly).
    std::thread::sleep(Duration::from_millis(1000));
    xdo(&["mousemove", "--sync", "570", "27", "click", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    // Typed into the focused dialog through the X test extension (GTK ignores synthetic events).
    xdo(&["key", "ctrl+a"]);
    xdo(&["type", "--delay", "20", &path.display().to_string()]);
    xdo(&["key", "Return"]);
}

/// Script that sets a file built by `make` (which defines `bytes`) in a file input, as a camera or a
/// file picker would.
fn pick_into(selector: &str, name: &str, make: &str) -> String {
    format!(
        "{make} const dt = new DataTransfer(); dt.items.add(new File([bytes], '{name}')); \
         const input = document.querySelector('{selector}'); input.files = dt.files; \
         input.dispatchEvent(new Event('change', {{bubbles: true}}));"
    )
}

/// Script that draws a photographed form page and leaves its JPEG in `bytes`.
const PAGE_JPEG: &str =
    "const c = document.createElement('canvas'); c.width = 1200; c.height = 1600; const g = c.getContext('2d'); \
     g.fillStyle = '#f4f1e8'; g.fillRect(0, 0, 1200, 1600); g.fillStyle = '#222'; g.font = '64px sans-serif'; \
     g.fillText('建档立卡贫困户申请书', 220, 200); g.font = '36px sans-serif'; \
     for (let i = 0; i < 24; i++) g.fillText('申请人家庭基本情况、致贫原因及帮扶需求说明 ' + i, 120, 320 + i * 50); \
     const b64 = c.toDataURL('image/jpeg', 0.9).split(',')[1]; const bin = atob(b64); \
     const bytes = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);";

/// Cold start to an interactive household list: from asking the driver for a new app window, through
/// typing the unlock secret (argon2id, opening the encrypted database), to the first household row on
/// screen. Prints the figure (median of three) for a village tablet with 5,000 households and, when
/// `ZOUFANG_COLD_START` lists more sizes (`make bench BENCH=cold-start` asks for `5000,30000`), for a
/// county office's device holding a county of that many.
#[test]
fn cold_start_with_5000_households() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sizes = std::env::var("ZOUFANG_COLD_START").unwrap_or_else(|_| "5000".into());
    let mut lines = String::new();
    for n in sizes.split(',').map(|n| n.trim().parse::<usize>().expect("ZOUFANG_COLD_START: sizes such as 5000,30000"))
    {
        lines += &cold_start(n);
    }
    std::fs::write(shots().join("figures.txt"), lines).expect("write figures");
}

/// One cold-start figure: `households` in one village on a village tablet up to 5,000, beyond that a
/// county of 100-household villages on the county office's device (whose list shows one village at a
/// time, over a database holding all of them).
fn cold_start(households: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("."));
    let today = chrono::Local::now().date_naive();
    let county_device = households > 5000;
    let size = match county_device {
        false => zoufang_demo::Size {
            townships: 1,
            villages_per_township: 1,
            households_per_village: households,
            visits_per_household: 1,
            today,
        },
        true => zoufang_demo::Size {
            townships: households.div_ceil(3000),
            villages_per_township: 30,
            households_per_village: 100,
            visits_per_household: 1,
            today,
        },
    };
    // The list shows one village at a time: the only one, or the county device's first.
    let shown = size.households_per_village;
    let county = zoufang_demo::county(7, size);
    let total = county.households.len();
    server.storage.ingest_trusted("演示数据导入", &county.to_changes(uuid::Uuid::from_u128(7))).expect("seed");
    let data = dir.path().join("device");
    std::fs::create_dir_all(&data).unwrap();
    {
        let mut store = match county_device {
            false => server.device(&data.join("zoufang.db"), "大村平板", Scope::Village(county.villages[0].id)),
            true => server.device_as(
                &data.join("zoufang.db"),
                "县扶贫办",
                Scope::County(county.code.clone()),
                zoufang_model::Role::County,
            ),
        };
        zoufang_client::sync(&mut store).unwrap();
        store.set_operator("李娟").unwrap();
        let listed = store.households(&Default::default()).unwrap().len();
        assert_eq!(listed, total);
    }
    let display = xvfb();
    let (_driver, url) = driver(&display, &[("ZOUFANG_DATA_DIR", data.display().to_string())]);
    let mut times = Vec::new();
    let mut splits = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let s = ok(Session::start(&url, &app_binary()));
        ok(s.wait_every("[data-testid=unlock-submit]", LONG, FINE));
        let shown_at = t.elapsed();
        ok(s.fill("input[name=secret]", zoufang_scenarios::UNLOCK));
        ok(s.click("[data-testid=unlock-submit]"));
        ok(s.wait_every("[data-household]", LONG, FINE));
        times.push(t.elapsed());
        splits.push((shown_at.as_millis(), (t.elapsed() - shown_at).as_millis()));
        let n = ok(s.script("return document.querySelectorAll('[data-household]').length")).as_u64().unwrap_or(0);
        assert!(n > 0 && n < 200, "only the visible rows are rendered ({n})");
        assert_eq!(ok(s.text("[data-testid=count-all]")), shown.to_string());
        s.quit();
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let median = order[1];
    let line = format!(
        "cold start to interactive household list ({total} households on the device): median {} ms \
         (start to unlock screen {} ms, unlock to first row {} ms; runs: {:?} ms)\n",
        times[median].as_millis(),
        splits[median].0,
        splits[median].1,
        order.iter().map(|&i| times[i].as_millis()).collect::<Vec<_>>()
    );
    print!("{line}");
    line
}

/// The 暗访 modes in the real window: an inspector's tablet seals an inspection, the county office's
/// opens it and turns it into rectification items for the village; the village proposes their 销号 and
/// the county office confirms one and sends the other back (销号 across devices).
#[test]
fn inspector_and_county_office_in_the_app() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = TestServer::start(&server_dir);
    let villages = server.seed_small();
    let county = server.storage.village_code(villages[0]).unwrap().unwrap()[..6].to_string();
    // Both tablets enrolled and synced; the county office has made its key pair.
    let office_dir = dir.path().join("office");
    let inspector_dir = dir.path().join("inspector");
    for (d, role, who) in [
        (&office_dir, zoufang_model::Role::County, "王主任"),
        (&inspector_dir, zoufang_model::Role::Inspector, "赵督查"),
    ] {
        std::fs::create_dir_all(d).unwrap();
        let mut store = server.device_as(&d.join("zoufang.db"), who, Scope::County(county.clone()), role);
        zoufang_client::sync(&mut store).unwrap();
        store.set_operator(who).unwrap();
    }
    let display = xvfb();
    let unlock = |s: &Session| {
        ok(s.wait("[data-testid=unlock-submit]", LONG));
        ok(s.fill("input[name=secret]", zoufang_scenarios::UNLOCK));
        ok(s.click("[data-testid=unlock-submit]"));
    };

    // The county office makes its key pair: the backup passphrase twice (a mismatch refused), the
    // personal-data warning, then the backup saved through the platform's dialog onto "its USB stick".
    let usb = dir.path().join("usb");
    std::fs::create_dir_all(&usb).unwrap();
    let (driver_proc, url) = driver(&display, &[("ZOUFANG_DATA_DIR", office_dir.display().to_string())]);
    let s = ok(Session::start(&url, &app_binary()));
    unlock(&s);
    ok(s.wait("[data-nav='/inspections']", LONG));
    ok(s.click("[data-nav='/inspections']"));
    ok(s.wait("[data-testid=key-panel]", LONG));
    ok(s.fill("input[name=passphrase]", "县扶贫办备份口令"));
    ok(s.fill("input[name=again]", "县扶贫办备份口令二"));
    ok(s.click("[data-testid=key-generate]"));
    ok(s.wait_text("两次输入的备份口令不一致", LONG));
    ok(s.fill("input[name=again]", "县扶贫办备份口令"));
    shot(&display, "16a-county-key");
    ok(s.click("[data-testid=key-generate]"));
    ok(s.wait(".van-dialog__confirm", LONG));
    ok(s.wait_text("全县所有暗访记录", LONG));
    ok(s.click(".van-dialog__confirm"));
    answer_save_dialog(&display, &usb.join("county-key.zfkey"));
    ok(s.wait("[data-testid=backup-path]", LONG));
    shot(&display, "16b-county-key-saved");
    let backup = std::fs::read_to_string(usb.join("county-key.zfkey")).unwrap();
    assert!(backup.contains("ZOUFANG-KEYBACKUP-1.") && !backup.contains("ZOUFANG-OPEN-"));
    s.quit();
    drop(driver_proc);
    let mut inspector = zoufang_scenarios::open_device(&inspector_dir.join("zoufang.db"));
    zoufang_client::sync(&mut inspector).unwrap();
    assert!(inspector.sealing_key().unwrap().is_some(), "the inspector has the county's public key");
    drop(inspector);

    // The inspector: households only, a hint, no village screens.
    let (driver_proc, url) = driver(&display, &[("ZOUFANG_DATA_DIR", inspector_dir.display().to_string())]);
    let s = ok(Session::start(&url, &app_binary()));
    unlock(&s);
    ok(s.wait("[data-testid=inspector-hint]", LONG));
    assert!(ok(s.find_all("[data-nav='/presence']")).is_empty(), "no check-in screen in 暗访 mode");
    shot(&display, "16-inspector-home");
    ok(s.click("[data-household]"));
    ok(s.wait("[data-testid=inspection-seal]", LONG));
    ok(s.wait_text("密封公钥", LONG));
    ok(s.click("[data-need=housing] .van-radio:nth-child(2)"));
    ok(s.click("[data-testid=add-finding]"));
    ok(s.click("[data-testid=inspection-seal]"));
    ok(s.wait_text("未达标，请写明具体问题", LONG));
    ok(s.wait_text("必填，不能为空", LONG));
    ok(s.fill("input[name=need-housing]", "厨房墙体开裂未修缮"));
    ok(s.fill("input[name=finding-0]", "帮扶手册收入与实际不符"));
    ok(s.fill("textarea[name=notes]", "户主称帮扶干部三个月未入户。"));
    ok(s.script(&pick_into("[data-testid=inspection-photo-file]", "墙体.jpg", PAGE_JPEG)));
    ok(s.wait("[data-sealed-photo] img", LONG));
    shot(&display, "17-inspection");
    ok(s.click("[data-testid=inspection-seal]"));
    ok(s.wait(".van-dialog__confirm", LONG));
    ok(s.click(".van-dialog__confirm"));
    ok(s.wait("[data-inspection]", LONG));
    shot(&display, "18-inspections-sealed");
    s.quit();
    drop(driver_proc);
    {
        let mut inspector = zoufang_scenarios::open_device(&inspector_dir.join("zoufang.db"));
        assert_eq!(inspector.inspections().unwrap().len(), 1);
        let report = zoufang_client::sync(&mut inspector).unwrap();
        assert_eq!(inspector.pending_changes().unwrap(), 0);
        assert_eq!(report.photos.uploaded, 1, "the sealed photo went up");
    }
    {
        let mut office = zoufang_scenarios::open_device(&office_dir.join("zoufang.db"));
        zoufang_client::sync(&mut office).unwrap();
    }

    // The county office opens it and sends the problems to the village.
    let (_driver, url) = driver(&display, &[("ZOUFANG_DATA_DIR", office_dir.display().to_string())]);
    let s = ok(Session::start(&url, &app_binary()));
    unlock(&s);
    ok(s.wait("[data-nav='/inspections']", LONG));
    ok(s.click("[data-nav='/inspections']"));
    ok(s.wait("[data-testid=key-ready]", LONG));
    ok(s.click("[data-inspection]"));
    ok(s.wait("[data-testid=inspection-opened]", LONG));
    ok(s.wait_text("厨房墙体开裂未修缮", LONG));
    ok(s.wait_text("户主称帮扶干部三个月未入户", LONG));
    ok(s.wait("[data-testid=inspection-photos] img", LONG));
    shot(&display, "19-county-inspection");
    ok(s.click("[data-testid=inspection-rectify]"));
    ok(s.wait_text("已生成 2 项整改问题", LONG));
    s.quit();
    drop(_driver);
    {
        let mut office = zoufang_scenarios::open_device(&office_dir.join("zoufang.db"));
        zoufang_client::sync(&mut office).unwrap();
    }
    let village_dir = dir.path().join("village");
    std::fs::create_dir_all(&village_dir).unwrap();
    {
        let db = village_dir.join("zoufang.db");
        let mut village = server.device_as(&db, "村平板", Scope::Village(villages[0]), zoufang_model::Role::WorkTeam);
        zoufang_client::sync(&mut village).unwrap();
        village.set_operator("李娟").unwrap();
        let today = chrono::Local::now().date_naive();
        let items = village.problem_ledger(villages[0], true, today).unwrap();
        assert_eq!(items.iter().filter(|p| p.item.problem.starts_with("暗访发现")).count(), 2);
        assert_eq!(village.inspections().unwrap().len(), 0);
    }
    // How many rows of the ledger are in `status`, once the window shows `n` of them.
    let rows_in = |s: &Session, status: &str, n: usize| {
        let css = format!("tr[data-problem^='暗访发现'][data-status={status}]");
        let start = std::time::Instant::now();
        while ok(s.find_all(&css)).len() != n {
            if start.elapsed() > LONG {
                shot(&display, "failed-problems");
                panic!("{n} rows {status}: {:?}", s.find_all(&css));
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };

    // 销号 across devices: the village proposes both items with what was done; it cannot confirm them.
    let (driver_proc, url) = driver(&display, &[("ZOUFANG_DATA_DIR", village_dir.display().to_string())]);
    let s = ok(Session::start(&url, &app_binary()));
    unlock(&s);
    ok(s.wait("[data-nav='/problems']", LONG));
    ok(s.click("[data-nav='/problems']"));
    ok(s.wait("[data-testid=problem-list]", LONG));
    ok(s.wait_text("由县扶贫办确认销号", LONG));
    let county_items = "tr[data-problem^='暗访发现'] [data-action=confirm]";
    assert!(ok(s.find_all(county_items)).is_empty(), "the village cannot confirm a county's item");
    for n in 1..=2 {
        ok(s.click("tr[data-problem^='暗访发现'][data-status=open] [data-action=propose]"));
        ok(s.wait("textarea[name=review-note]", LONG));
        ok(s.click(".van-dialog__confirm"));
        ok(s.wait_text("销号须写明整改情况", LONG));
        ok(s.fill("textarea[name=review-note]", &format!("已整改第{n}项，照片见附件")));
        ok(s.click(".van-dialog__confirm"));
        rows_in(&s, "proposed", n);
    }
    shot(&display, "20-village-proposes");
    s.quit();
    drop(driver_proc);
    let sync_dir = |d: &std::path::Path| {
        let mut store = zoufang_scenarios::open_device(&d.join("zoufang.db"));
        let report = zoufang_client::sync(&mut store).unwrap();
        assert_eq!(report.pushed.rejected, 0, "{:?}", report.pushed);
    };
    sync_dir(&village_dir);
    sync_dir(&office_dir);

    // The county office confirms one and sends the other back with a reason; then its re-check share.
    let (driver_proc, url) = driver(&display, &[("ZOUFANG_DATA_DIR", office_dir.display().to_string())]);
    let s = ok(Session::start(&url, &app_binary()));
    unlock(&s);
    ok(s.wait("[data-nav='/problems']", LONG));
    ok(s.click("[data-nav='/problems']"));
    rows_in(&s, "proposed", 2);
    ok(s.wait_text("已整改第1项", LONG));
    ok(s.click("tr[data-problem^='暗访发现'][data-status=proposed] [data-action=confirm]"));
    ok(s.wait("textarea[name=review-note]", LONG));
    ok(s.click(".van-dialog__confirm"));
    rows_in(&s, "proposed", 1);
    ok(s.click("tr[data-problem^='暗访发现'][data-status=proposed] [data-action=send_back]"));
    ok(s.wait("textarea[name=review-note]", LONG));
    ok(s.click(".van-dialog__confirm"));
    ok(s.wait_text("退回整改须写明原因", LONG));
    ok(s.fill("textarea[name=review-note]", "缺少整改前后对比照片"));
    ok(s.click(".van-dialog__confirm"));
    rows_in(&s, "in_progress", 1);
    ok(s.wait_text("退回整改：缺少整改前后对比照片", LONG));
    ok(s.wait_text("还需复核 1 项", LONG));
    shot(&display, "21-county-confirms");
    s.quit();
    drop(driver_proc);
    sync_dir(&office_dir);
    sync_dir(&village_dir);
    let village = zoufang_scenarios::open_device(&village_dir.join("zoufang.db"));
    let today = chrono::Local::now().date_naive();
    let mut statuses: Vec<_> = village
        .problem_ledger(villages[0], false, today)
        .unwrap()
        .into_iter()
        .filter(|p| p.item.problem.starts_with("暗访发现"))
        .map(|p| (p.item.status, p.reviews.len()))
        .collect();
    statuses.sort();
    use zoufang_model::RectificationStatus::{Closed, InProgress};
    assert_eq!(statuses, [(InProgress, 2), (Closed, 2)]);
}
