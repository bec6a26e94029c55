//! A small world for role and hostile-device tests: four villages (A and B in township 522630101, T in
//! township 522630102 of the same county, C in another county), each holding a record of every kind,
//! made the way the app makes them.

use crate::TestServer;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::{Entity, ExitOutcome, ExitStep, Role, Scope};
use zoufang_store::{HouseholdQuery, NewExitDecision, NewProblem, NewVisit};

/// The four villages.
pub struct World {
    pub a: Uuid,
    pub b: Uuid,
    pub t: Uuid,
    pub c: Uuid,
}

pub fn seed(server: &TestServer) -> World {
    let today = chrono::Local::now().date_naive();
    let size = |townships| zoufang_demo::Size {
        townships,
        villages_per_township: 2,
        households_per_village: 4,
        visits_per_household: 1,
        today,
    };
    let mut home = zoufang_demo::county(21, size(2));
    let mut away = zoufang_demo::county(22, size(1));
    for v in &mut away.villages {
        v.code = v.code.replacen("522630", "520102", 1);
        v.county = "云岩区".into();
    }
    // In every village the first household is still in poverty and the second has exited (the field
    // work applies to exit with one; status procedures need both), whatever the generator drew.
    for county in [&mut home, &mut away] {
        for v in county.villages.clone() {
            let mut of_village = county.households.iter_mut().filter(|h| h.village_id == v.id);
            if let Some(h) = of_village.next() {
                h.status = zoufang_model::HouseholdStatus::Poor;
                h.exit_year = None;
            }
            if let Some(h) = of_village.next() {
                h.status = zoufang_model::HouseholdStatus::Exited;
                h.exit_year = Some(2020);
            }
        }
    }
    // 一户一档 documents and pages in every village.
    for county in [&mut home, &mut away] {
        let villages = county.villages.clone();
        for v in villages {
            county.villages.retain(|x| x.id != v.id);
            county.villages.insert(0, v);
            zoufang_demo::archive::add_archive(county, 1);
        }
    }
    // Two imports, two source ids: change ids are made from the source id and a counter.
    for (county, source) in [(&home, 0x5eed_u128 << 112), (&away, 0x5eee_u128 << 112)] {
        server.storage.ingest_trusted("导入", &county.to_changes(Uuid::from_u128(source))).expect("seed");
    }
    let by_code =
        |code: &str| home.villages.iter().chain(&away.villages).find(|v| v.code == code).map(|v| v.id).expect(code);
    World {
        a: by_code("522630101201"),
        b: by_code("522630101202"),
        t: by_code("522630102201"),
        c: by_code("520102101201"),
    }
}

/// What the field adds to a village beyond the import: a check-in, an exit application, a 返贫, visits that
/// find problems (rectification items, one closed by a 销号 step), a birth, the helper register, a village
/// archive document and an edit conflict (two tablets changing one field), each made the way the app makes them.
pub fn field_work(server: &TestServer, dir: &std::path::Path, village: Uuid, tag: &str) {
    let mut x = server.device(&dir.join(format!("{tag}-x.db")), "甲平板", Scope::Village(village));
    let mut y = server.device(&dir.join(format!("{tag}-y.db")), "乙平板", Scope::Village(village));
    zoufang_client::sync(&mut x).unwrap();
    zoufang_client::sync(&mut y).unwrap();
    let today = chrono::Local::now().date_naive();
    x.check_in(village, "张伟", None, None).unwrap();
    // Only a household still in poverty may apply to exit (its status changes only by procedures).
    let poor = HouseholdQuery { status: Some(zoufang_model::HouseholdStatus::Poor), ..Default::default() };
    let h = x.households(&poor).unwrap()[0].id;
    let apply = NewExitDecision {
        household_id: h,
        step: ExitStep::Application,
        outcome: ExitOutcome::Passed,
        decided_on: today.to_string(),
        actor: "户主".into(),
        evidence: None,
        reason: None,
        publicity_start: None,
        publicity_end: None,
    };
    x.record_exit_decision(&apply, today).unwrap();
    // A household that had exited falls back: a 返贫 registered by its procedure.
    let exited = HouseholdQuery { status: Some(zoufang_model::HouseholdStatus::Exited), ..Default::default() };
    let back = x.households(&exited).unwrap()[0].id;
    let relapse = zoufang_store::NewStatusChange {
        household_id: back,
        procedure: zoufang_model::StatusProcedure::Relapse,
        to_status: zoufang_model::HouseholdStatus::Returned,
        decided_on: today.to_string(),
        actor: "张伟".into(),
        reason: Some("因病：户主住院，医疗支出大".into()),
        evidence: Some("入户核实，住院收费单据".into()),
    };
    x.record_status_change(&relapse).unwrap();
    let visit = NewVisit {
        household_id: h,
        kind: "routine".into(),
        visited_on: today.to_string(),
        visitor: "张伟".into(),
        helper_id: None,
        problems: vec![NewProblem { problem: "屋顶漏雨".into(), deadline: None, responsible: None }],
        ..Default::default()
    };
    x.record_visit(&visit).unwrap();
    // A problem the village found itself, closed by the village with what was done (a 销号 step).
    let found = NewProblem { problem: "自查：公示栏破损".into(), deadline: None, responsible: None };
    let visit = NewVisit { problems: vec![found], ..visit };
    x.record_visit(&visit).unwrap();
    let item = x.problem_ledger(village, true, today).unwrap().into_iter().find(|p| p.item.problem.starts_with("自查"));
    let close = zoufang_store::NewReview {
        rectification_id: item.expect("the problem found").item.id,
        action: zoufang_model::RectificationAction::Confirm,
        decided_on: today.to_string(),
        actor: "张伟".into(),
        note: Some("已更换公示栏".into()),
    };
    x.review_problem(&close).unwrap();
    // A child is born into the household: a member joins by its change.
    let birth = zoufang_store::NewMemberChange {
        household_id: h,
        kind: zoufang_model::MemberChangeKind::Birth,
        changed_on: today.to_string(),
        actor: "张伟".into(),
        evidence: None,
        member_id: None,
        member: Some(
            [("name".to_string(), json!("王小满")), ("relation".to_string(), json!("grandchild"))]
                .into_iter()
                .collect(),
        ),
    };
    x.record_member_change(&birth).unwrap();
    // Households left with a typed 帮扶责任人 only join the register; a 村级档案 document.
    x.link_helpers(Some(village)).unwrap();
    let notice = zoufang_store::NewVillageDocument {
        village_id: village,
        kind: zoufang_model::VillageArchiveKind::Notices,
        year: Some(2026),
        title: Some("脱贫户退出公示".into()),
        note: None,
    };
    x.create_village_document(&notice, Some("张伟")).unwrap();
    let notes = |s: &str| [("notes".to_string(), json!(s))].into_iter().collect();
    x.update(Entity::Household, h, &notes("甲的备注")).unwrap();
    y.update(Entity::Household, h, &notes("乙的备注")).unwrap();
    zoufang_client::sync(&mut x).unwrap();
    zoufang_client::sync(&mut y).unwrap();
}

/// A 暗访 inspection of one household in each of `villages` (all in `county`), by an inspector's device
/// sealing to the county office's key.
pub fn inspections(server: &TestServer, dir: &std::path::Path, county: &str, villages: &[Uuid]) {
    let office = zoufang_store::OpeningKey::generate();
    server.storage.set_sealing_key(county, &office.sealing_key().to_string(), Uuid::nil()).unwrap();
    let path = dir.join(format!("inspector-{county}.db"));
    let mut inspector = server.device_as(&path, "督查组", Scope::County(county.into()), Role::Inspector);
    zoufang_client::sync(&mut inspector).unwrap();
    let today = chrono::Local::now().date_naive();
    for v in villages {
        let q = HouseholdQuery { village: Some(*v), ..Default::default() };
        let h = inspector.households(&q).unwrap()[0].id;
        let findings = zoufang_model::InspectionFindings { notes: Some("家中无人".into()), ..Default::default() };
        inspector.record_inspection(h, today, "赵督查", &findings).unwrap();
    }
    zoufang_client::sync(&mut inspector).unwrap();
}

/// The server's own record of where every row belongs, read from its database.
pub fn rows_by_village(server: &TestServer) -> HashMap<(Entity, Uuid), Vec<Uuid>> {
    let mut out: HashMap<(Entity, Uuid), Vec<Uuid>> = HashMap::new();
    for r in server.sql("SELECT entity, row_id, village_id FROM row_scope ORDER BY row_id", &[]) {
        let e = Entity::parse(r[0].text()).unwrap();
        out.entry((e, r[2].id())).or_default().push(r[1].id());
    }
    out
}
