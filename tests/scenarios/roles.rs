//! Roles and scopes as the server enforces them: every role × every record kind × read and write, inside
//! and outside the device's scope, against a real server. Then the life of a token: sign-in, expiry,
//! revocation for handover (upload, then wipe) and as lost (wipe at once).

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;
use zoufang_client::{Client, SyncError};
use zoufang_model::exit_procedure::may_withdraw;
use zoufang_model::{Entity, Role, Scope};
use zoufang_scenarios::world::{field_work, inspections, rows_by_village, seed, World};
use zoufang_scenarios::{open_device, Scenario, Sql, TestServer};
use zoufang_server::RevokeMode;
use zoufang_store::{HouseholdQuery, Store};
use zoufang_sync::{Change, PushRequest, Status, Version, PROTOCOL};

/// A field of `row` a device could change, with its current value and log position.
fn editable_field(server: &TestServer, entity: Entity, row: Uuid) -> (String, Value, u64) {
    let last = || server.sql_int("SELECT max(seq) FROM change_log WHERE row_id = $1", &[Sql::Id(row)]) as u64;
    if entity == Entity::Conflict {
        // Writing a conflict is resolving it; who resolved it is the field every resolution sets.
        return ("resolved_by".into(), json!("李娜"), last());
    }
    if entity == Entity::Rectification {
        // What the item asks is its issuer's, what was done the village's (`rectification`); the 责任人
        // anyone's who works on it.
        return ("responsible".into(), json!("王强"), last());
    }
    let fixed = [
        Entity::Inspection,
        Entity::StatusChange,
        Entity::RectificationReview,
        Entity::ExitDecision,
        Entity::MemberChange,
    ];
    if fixed.contains(&entity) {
        // Nothing of a sealed inspection, a status change, a 销号 step, an exit decision or a member's
        // change changes; writing one is withdrawing it.
        return ("deleted".into(), json!(true), last());
    }
    let fields =
        server.sql("SELECT field, value, seq FROM change_log WHERE row_id = $1 AND live ORDER BY seq", &[Sql::Id(row)]);
    for r in fields {
        let f = r[0].text();
        if entity.field(f).is_some_and(|d| !d.immutable && !d.server_only) {
            return (f.to_string(), serde_json::from_str(r[1].text()).unwrap(), r[2].int() as u64);
        }
    }
    panic!("no editable field on {entity:?} {row}");
}

/// Every (kind, village) a device receives, following pages to the end; the status if refused.
fn pulled(client: &Client, villages: &HashMap<Uuid, Uuid>) -> Result<BTreeSet<(Entity, Uuid)>, u16> {
    let mut seen = BTreeSet::new();
    let mut after = 0;
    loop {
        let (page, _) = match client.pull(after, 5000) {
            Ok(p) => p,
            Err(SyncError::Server { status, .. }) => return Err(status),
            Err(e) => panic!("{e}"),
        };
        for r in &page.rows {
            let v = villages.get(&r.row).unwrap_or_else(|| panic!("{:?} {} is in no village", r.entity, r.row));
            seen.insert((r.entity, *v));
        }
        if !page.more {
            return Ok(seen);
        }
        after = page.cursor;
    }
}

#[test]
fn every_role_reads_and_writes_exactly_what_it_may() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    for (v, tag) in [(w.a, "a"), (w.b, "b"), (w.t, "t"), (w.c, "c")] {
        field_work(&server, dir.path(), v, tag);
    }
    inspections(&server, dir.path(), "522630", &[w.a, w.b, w.t]);
    inspections(&server, dir.path(), "520102", &[w.c]);
    let rows = rows_by_village(&server);
    for v in [w.a, w.b, w.t, w.c] {
        for e in Entity::ALL {
            assert!(rows.contains_key(&(*e, v)), "the setup holds a {e:?} record in every village");
        }
    }

    let township_of_a = "522630101".to_string();
    let county = "522630".to_string();
    // Each role with its scope, and a village outside that scope.
    let cases = [
        (Role::WorkTeam, Scope::Village(w.a), w.b),
        (Role::FirstSecretary, Scope::Village(w.a), w.b),
        (Role::Township, Scope::Township(township_of_a), w.t),
        (Role::Inspector, Scope::County(county.clone()), w.c),
        (Role::County, Scope::County(county.clone()), w.c),
        (Role::Admin, Scope::County(county), w.c),
    ];
    let mut checked = 0;
    for (role, scope, outside) in cases {
        let code = server.storage.create_enrol_code_for(role.label(), &scope, role, 1, 30).unwrap();
        let device = Uuid::now_v7();
        let enrolled = Client::new(&server.url).enrol(&code, device, role.label()).unwrap();
        assert_eq!(enrolled.role, role);
        let client = Client::new(&server.url).with_token(&enrolled.token);

        // Read. (Where rows belong is read again: an earlier role's write may have opened a conflict.)
        let village_of: HashMap<Uuid, Uuid> =
            rows_by_village(&server).into_iter().flat_map(|((_, v), rs)| rs.into_iter().map(move |r| (r, v))).collect();
        match pulled(&client, &village_of) {
            Ok(seen) => {
                for e in Entity::ALL {
                    assert_eq!(seen.contains(&(*e, w.a)), role.can_read(*e), "{role} reading {e:?} in scope");
                    assert!(!seen.contains(&(*e, outside)), "{role} received {e:?} from outside its scope");
                    checked += 2;
                }
                assert!(seen.iter().all(|(_, v)| scope_holds(&scope, *v, &w)), "{role}: {seen:?}");
            }
            Err(status) => {
                assert_eq!((role, status), (Role::Admin, 403), "only the admin is refused pulls");
                checked += 2 * Entity::ALL.len();
            }
        }

        // Write: change one field of a record of every kind, inside and outside the scope (each change
        // linked into the device's history, as the server requires).
        let mut batch = 0;
        let mut link = zoufang_sync::chain::GENESIS;
        let mut clock = zoufang_sync::Clock::default();
        for e in Entity::ALL {
            for (village, inside) in [(w.a, true), (outside, false)] {
                let row = rows[&(*e, village)][0];
                let (field, value, seq) = editable_field(&server, *e, row);
                let mut change = Change {
                    id: Uuid::now_v7(),
                    entity: *e,
                    row,
                    field,
                    value,
                    hlc: clock.tick(zoufang_sync::hlc::now_ms()),
                    device,
                    base: Some(Version::Seq(seq)),
                    seen: None,
                    chain: None,
                };
                link = zoufang_sync::chain::link_all(link, std::slice::from_mut(&mut change));
                batch += 1;
                let r = client.push(&PushRequest { protocol: PROTOCOL, batch, changes: vec![change] }).unwrap();
                // An exit decision is withdrawn only by the office that records its step.
                let others_step = *e == Entity::ExitDecision && !may_withdraw(role, exit_step(&server, row));
                let allowed = inside && role.can_write(*e) && !others_step;
                let result = &r.results[0];
                assert_eq!(
                    result.status != Status::Rejected,
                    allowed,
                    "{role} writing {e:?} (inside: {inside}): {result:?}"
                );
                if !allowed {
                    let why = &result.rejection.as_ref().unwrap().message;
                    let expected = match (role.can_write(*e), others_step) {
                        (false, _) => "不能修改",
                        (true, true) => "撤销",
                        (true, false) => "范围",
                    };
                    assert!(why.contains(expected), "{role} {e:?}: {why}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * Entity::ALL.len() * 4);
}

/// The step of an exit decision the server holds.
fn exit_step(server: &TestServer, row: Uuid) -> zoufang_model::ExitStep {
    let v = server.sql("SELECT value FROM change_log WHERE row_id = $1 AND field = 'step' AND live", &[Sql::Id(row)]);
    let step: String = serde_json::from_str(v[0][0].text()).unwrap();
    zoufang_model::ExitStep::parse(&step).unwrap()
}

fn scope_holds(scope: &Scope, village: Uuid, w: &World) -> bool {
    match scope {
        Scope::Village(v) => *v == village,
        Scope::Township(_) => village == w.a || village == w.b,
        Scope::County(_) => village != w.c,
    }
}

fn visit_note(store: &mut Store, text: &str) -> Uuid {
    let h = store.households(&HouseholdQuery::default()).unwrap()[0].id;
    let patch = [("notes".to_string(), json!(text))].into_iter().collect();
    store.update(Entity::Household, h, &patch).unwrap();
    h
}

fn logged(server: &TestServer, text: &str) -> bool {
    server.sql_int("SELECT count(*) FROM change_log WHERE value = $1", &[Sql::Text(json!(text).to_string())]) > 0
}

#[test]
fn sign_in_expiry_and_the_two_kinds_of_revocation() {
    let sc = Scenario::start();
    let scope = Scope::Village(sc.villages[0]);
    sc.storage.create_user("zhangwei", "张伟", Role::FirstSecretary, &scope, "花桥村第一书记2026").unwrap();

    // Sign-in: a wrong password and an unknown user get the same answer; the right one enrols.
    let path = sc.dir().join("tablet.db");
    let mut store = open_device(&path);
    for (login, pw) in [("zhangwei", "花桥村第一书记2025"), ("nobody", "花桥村第一书记2026")] {
        match zoufang_client::login(&mut store, &sc.url, login, pw, "张伟的平板").unwrap_err() {
            SyncError::Server { status, code, message } => {
                assert_eq!((status, code.as_str()), (403, "bad_login"));
                assert!(message.contains("用户名或密码错误"), "{message}");
            }
            e => panic!("{e}"),
        }
    }
    let e = zoufang_client::login(&mut store, &sc.url, "zhangwei", "花桥村第一书记2026", "张伟的平板").unwrap();
    assert_eq!((e.role, &e.scope), (Role::FirstSecretary, &scope));
    assert!(e.expires_at.is_some());
    zoufang_client::sync(&mut store).unwrap();
    assert_eq!(store.households(&HouseholdQuery::default()).unwrap().len(), 30);

    // Expiry: refused with its own code, nothing lost; enrolling again (same device) carries on.
    visit_note(&mut store, "过期前写的");
    sc.sql("UPDATE device SET expires_at = '2020-01-01T00:00:00+08:00' WHERE id = $1", &[Sql::Id(store.device_id())]);
    match zoufang_client::sync(&mut store).unwrap_err() {
        SyncError::Server { status, code, message } => {
            assert_eq!((status, code.as_str()), (401, "token_expired"));
            assert!(message.contains("过期"), "{message}");
        }
        e => panic!("{e}"),
    }
    assert_eq!(store.pending_changes().unwrap(), 1, "the unsent change is still on the device");
    let code = sc.storage.create_enrol_code_for("张伟的平板", &scope, Role::FirstSecretary, 1, 30).unwrap();
    zoufang_client::enrol(&mut store, &sc.url, &code, "张伟的平板").unwrap();
    zoufang_client::sync(&mut store).unwrap();
    assert!(logged(&sc, "过期前写的"));

    // Revoked for handover: what was written before the revocation goes up, what was written after
    // does not, and then the device erases itself.
    let old_token = store.enrolment().unwrap().unwrap().token;
    visit_note(&mut store, "停用前写的");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(sc.storage.revoke(store.device_id(), RevokeMode::Handover).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(5));
    visit_note(&mut store, "停用后写的");
    let old_device = store.device_id();
    let names: Vec<String> =
        store.households(&HouseholdQuery::default()).unwrap().into_iter().filter_map(|h| h.head_name).collect();
    match zoufang_client::sync(&mut store).unwrap_err() {
        SyncError::Wiped { handed_in } => assert!(handed_in),
        e => panic!("{e}"),
    }
    assert!(logged(&sc, "停用前写的"));
    assert!(!logged(&sc, "停用后写的"));
    let kept = sc.sql_int("SELECT count(*) FROM rejected_change WHERE change LIKE '%停用后写的%'", &[]);
    assert_eq!(kept, 1, "the refused change is kept on the server as received");
    assert!(store.is_empty().unwrap() && store.enrolment().unwrap().is_none());
    assert_ne!(store.device_id(), old_device, "a wiped device enrols as a new one");
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    for name in &names {
        assert!(!contains(&bytes, name.as_bytes()), "{name} is gone from the database file");
    }
    assert!(!contains(&bytes, "停用前写的".as_bytes()));
    let info = sc.storage.devices().unwrap().into_iter().find(|d| d.id == old_device).unwrap();
    assert!(info.handed_in_at.is_some());
    // The handed-in token is refused from now on.
    let err = Client::new(&sc.url).with_token(&old_token).pull(0, 10).unwrap_err();
    assert!(matches!(&err, SyncError::Server { status: 403, code, .. } if code == "revoked"), "{err}");

    // Revoked as lost: nothing more is taken, the device erases itself at once.
    let mut lost = sc.device(&sc.dir().join("lost.db"), "丢失的平板", scope.clone());
    zoufang_client::sync(&mut lost).unwrap();
    visit_note(&mut lost, "丢失后写的");
    assert!(sc.storage.revoke(lost.device_id(), RevokeMode::Lost).unwrap());
    match zoufang_client::sync(&mut lost).unwrap_err() {
        SyncError::Wiped { handed_in } => assert!(!handed_in),
        e => panic!("{e}"),
    }
    assert!(!logged(&sc, "丢失后写的"));
    assert!(lost.is_empty().unwrap());

    // Disabling a user revokes their devices for handover.
    let mut again = open_device(&sc.dir().join("again.db"));
    zoufang_client::login(&mut again, &sc.url, "zhangwei", "花桥村第一书记2026", "新平板").unwrap();
    assert!(sc.storage.disable_user("zhangwei").unwrap());
    assert!(matches!(zoufang_client::sync(&mut again).unwrap_err(), SyncError::Wiped { handed_in: true }));
    let err = zoufang_client::login(&mut again, &sc.url, "zhangwei", "花桥村第一书记2026", "新平板").unwrap_err();
    assert!(err.to_string().contains("已被停用"), "{err}");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn township_staff_enrol_their_villages_and_no_one_else() {
    use zoufang_sync::{CodeRequest, UserRequest};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w = seed(&server);
    let office = |scope: Scope, role: Role| {
        let code = server.storage.create_enrol_code_for("办公室", &scope, role, 1, 30).unwrap();
        let e = Client::new(&server.url).enrol(&code, Uuid::now_v7(), "办公室").unwrap();
        Client::new(&server.url).with_token(&e.token)
    };
    let township = office(Scope::Township("522630101".into()), Role::Township);
    let county = office(Scope::County("522630".into()), Role::County);
    let team = office(Scope::Village(w.a), Role::WorkTeam);
    let ask = |scope: Scope, role: Role| CodeRequest { scope, role, device_name: "新平板".into(), ttl_hours: 24 };
    let refused = |r: Result<zoufang_sync::CodeResponse, SyncError>, why: &str| match r {
        Err(SyncError::Server { status: 403, message, .. }) => assert!(message.contains(why), "{message}"),
        other => panic!("expected a refusal mentioning {why}: {other:?}"),
    };

    // The township issues a code for a work team in its village; the code enrols a working tablet.
    let issued = township.issue_code(&ask(Scope::Village(w.a), Role::WorkTeam)).unwrap();
    let mut tablet = open_device(&dir.path().join("new.db"));
    let e = zoufang_client::enrol(&mut tablet, &server.url, &issued.code, "新平板").unwrap();
    assert_eq!((e.role, e.scope), (Role::WorkTeam, Scope::Village(w.a)));
    zoufang_client::sync(&mut tablet).unwrap();
    assert_eq!(tablet.villages().unwrap().len(), 1);

    // Not for a village of another township, not for an inspector, and never from a field tablet.
    refused(township.issue_code(&ask(Scope::Village(w.t), Role::WorkTeam)), "不在本机的工作范围");
    refused(township.issue_code(&ask(Scope::Village(Uuid::now_v7()), Role::WorkTeam)), "不在本机的工作范围");
    refused(township.issue_code(&ask(Scope::County("522630".into()), Role::Inspector)), "乡镇干部不能登记督查组");
    refused(team.issue_code(&ask(Scope::Village(w.a), Role::WorkTeam)), "驻村工作队员不能登记");
    // The county enrols inspectors for itself, not for another county, and no administrators.
    county.issue_code(&ask(Scope::County("522630".into()), Role::Inspector)).unwrap();
    refused(county.issue_code(&ask(Scope::County("520102".into()), Role::Inspector)), "不在本机的工作范围");
    refused(county.issue_code(&ask(Scope::County("522630".into()), Role::Admin)), "不能登记系统管理员");
    // A role at the wrong level for its scope is a bad request.
    match township.issue_code(&ask(Scope::Township("522630101".into()), Role::WorkTeam)) {
        Err(SyncError::Server { status: 400, message, .. }) => {
            assert!(message.contains("工作范围应是一个村"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // Users likewise; the new user signs in.
    let user = |login: &str, scope: Scope| UserRequest {
        login: login.into(),
        name: "王芳".into(),
        role: Role::FirstSecretary,
        scope,
        password: "第一书记的密码2026".into(),
    };
    township.add_user(&user("wangfang", Scope::Village(w.b))).unwrap();
    let mut signed = open_device(&dir.path().join("signed.db"));
    let e = zoufang_client::login(&mut signed, &server.url, "wangfang", "第一书记的密码2026", "王芳的平板").unwrap();
    assert_eq!((e.role, e.scope), (Role::FirstSecretary, Scope::Village(w.b)));
    match township.add_user(&user("lisi", Scope::Village(w.c))) {
        Err(SyncError::Server { status: 403, .. }) => {}
        other => panic!("{other:?}"),
    }
    match township.add_user(&user("wangfang", Scope::Village(w.a))) {
        Err(SyncError::Server { status: 409, message, .. }) => assert!(message.contains("已被使用"), "{message}"),
        other => panic!("{other:?}"),
    }
}
