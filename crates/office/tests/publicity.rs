//! The 公示名单 as the village prints it: the households whose exit procedure reached 公示, nothing a
//! public notice may not show, as .xlsx (read back with calamine) and as a PDF whose text a real PDF
//! tool (poppler's pdftotext, installed by scripts/setup.sh) reads back.

use calamine::Reader;
use chrono::NaiveDate;
use std::io::Cursor;
use uuid::Uuid;
use zoufang_model::*;
use zoufang_store::{NewExitDecision, Store};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// A household of `size` members, met on a visit and with income above the line; `steps` of its exit
/// procedure passed.
fn household(s: &mut Store, village: Uuid, no: u32, head: &str, size: usize, steps: &[ExitStep]) -> Uuid {
    let h = Household {
        id: Uuid::now_v7(),
        village_id: village,
        household_no: format!("52263010100100{no:02}"),
        head_name: head.into(),
        head_id_number: Some(IdNumber::compose(522630, NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), no as u16)),
        phone: Some(Phone::parse("13800138000").unwrap()),
        group_name: Some(format!("{}组", ["一", "二", "三"][no as usize % 3])),
        address: None,
        attribute: Attribute::General,
        status_change: None,
        status: HouseholdStatus::Poor,
        poverty_causes: vec![PovertyCause::Illness],
        helper_name: None,
        helper_phone: None,
        helper_id: None,
        registered_population: Some(size as i64),
        card_population: None,
        exit_year: None,
        notes: None,
    };
    s.create(&h).unwrap();
    for i in 0..size {
        s.create(&Member {
            id: Uuid::now_v7(),
            household_id: h.id,
            name: if i == 0 { head.into() } else { ["", "刘建国", "刘秀兰", "刘小明", "刘小红"][i].into() },
            id_number: None,
            relation: if i == 0 { Relation::Head } else { Relation::Child },
            sex: None,
            birth_date: None,
            health: Some(Health::Chronic),
            labor: None,
            education: None,
            schooling: None,
            phone: None,
            member_change: None,
            left_on: None,
        })
        .unwrap();
    }
    s.create(&Visit {
        id: Uuid::now_v7(),
        household_id: h.id,
        kind: VisitKind::Routine,
        visited_on: day(2),
        visitor: "李娟".into(),
        helper_id: None,
        basic_needs: BasicNeeds::default(),
        satisfaction: None,
        actual_population: Some(size as i64),
        notes: None,
        lat: None,
        lon: None,
    })
    .unwrap();
    s.create(&HandbookEntry {
        id: Uuid::now_v7(),
        household_id: h.id,
        section: HandbookSection::Result,
        entry_date: day(2),
        title: "2025 年收支测算".into(),
        content: None,
        measure: None,
        amount_fen: None,
        income_calc: Some(IncomeCalc {
            year: 2025,
            household_size: size as u32,
            wage_fen: 2_400_000 * size as i64,
            ..Default::default()
        }),
        recorded_by: None,
    })
    .unwrap();
    for (n, step) in steps.iter().enumerate() {
        let d = NewExitDecision {
            household_id: h.id,
            step: *step,
            outcome: ExitOutcome::Passed,
            decided_on: day(3 + n as u32).to_string(),
            actor: "李娟".into(),
            evidence: Some(if *step == ExitStep::Review {
                "村民代表 32 人参加，全票通过".into()
            } else {
                "依据".into()
            }),
            reason: None,
            publicity_start: None,
            publicity_end: None,
        };
        s.record_exit_decision(&d, day(20)).unwrap();
    }
    h.id
}

#[test]
fn the_publicity_list_holds_who_reached_publicity_and_nothing_private() {
    let mut s = Store::open_in_memory().unwrap();
    let v = Village {
        id: Uuid::now_v7(),
        name: "红阳村".into(),
        code: "522630101001".into(),
        township: "台拱镇".into(),
        county: "台江县".into(),
        poor_village: Some(true),
        lat: None,
        lon: None,
        radius_m: None,
    };
    s.create(&v).unwrap();
    use ExitStep::*;
    let through_review = [Application, Verification, Review];
    household(&mut s, v.id, 1, "王秀英", 3, &through_review);
    household(&mut s, v.id, 2, "张国富", 5, &through_review);
    household(&mut s, v.id, 3, "李未评", 2, &[Application, Verification]);
    household(&mut s, v.id, 4, "赵未申", 4, &[]);
    let list = s.publicity_list(v.id, day(20)).unwrap();
    let heads: Vec<&str> = list.lines.iter().map(|l| l.head_name.as_str()).collect();
    assert_eq!(heads, ["王秀英", "张国富"], "only households whose 民主评议 passed, by 户编号");
    assert_eq!((list.lines[0].population, list.lines[0].income_per_capita_fen), (3, Some(2_400_000)));
    assert_eq!(list.publicity_days, 7);

    // The workbook: the table, then the notice's text.
    let xlsx = zoufang_office::publicity::publicity_xlsx(&list).unwrap();
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("公示名单").unwrap();
    let cells: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    for want in ["户主姓名", "王秀英", "张国富", "24000", "村民代表 32 人参加，全票通过"] {
        assert!(cells.iter().any(|c| c.contains(want)), "{want} in {cells:?}");
    }
    assert!(cells.iter().any(|c| c.contains("公示期不少于 7 天")));

    // The PDF, read back by poppler.
    let pdf = zoufang_office::publicity::publicity_pdf(&list);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("公示名单.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is needed: scripts/setup.sh installs it");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "红阳村拟退出贫困户公示名单",
        "王秀英",
        "张国富",
        "24000.00",
        "不少于 7 天",
        "红阳村村民委员会",
        "2026年11月20日",
    ] {
        assert!(text.contains(want), "{want} in the printed list:\n{text}");
    }
    // Nothing a public notice may not show: 身份证号, phone numbers, health.
    for secret in ["522630", "13800138000", "慢性病", "李未评", "赵未申"] {
        assert!(!text.contains(secret), "{secret} must not be printed:\n{text}");
        assert!(!cells.iter().any(|c| c.contains(secret)), "{secret} must not be in the workbook");
    }
    if let Ok(dir) = std::env::var("ZOUFANG_PUBLICITY_PDF") {
        std::fs::write(std::path::Path::new(&dir).join("公示名单.pdf"), &pdf).unwrap();
    }
}
