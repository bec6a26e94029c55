use super::*;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use zoufang_model::*;
use zoufang_sync::memory::{CountingMinter, MemoryLedger};
use zoufang_sync::{apply, ChangeResult, Outcome, PullResponse, PushResponse, Status};

fn village() -> Village {
    Village {
        id: Uuid::now_v7(),
        name: "花桥村".into(),
        code: "520102001001".into(),
        township: "花桥镇".into(),
        county: "南明区".into(),
        poor_village: None,
        lat: None,
        lon: None,
        radius_m: None,
    }
}

fn household(village: Uuid, no: u32, head: &str) -> Household {
    Household {
        id: Uuid::now_v7(),
        village_id: village,
        household_no: format!("52010200100100{no:02}"),
        head_name: head.into(),
        head_id_number: Some(IdNumber::compose(520102, NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(), no as u16)),
        phone: None,
        group_name: Some("一组".into()),
        address: None,
        attribute: Attribute::General,
        status_change: None,
        status: HouseholdStatus::Poor,
        poverty_causes: vec![PovertyCause::Illness],
        helper_name: Some("张伟".into()),
        helper_phone: None,
        helper_id: None,
        registered_population: Some(3),
        card_population: None,
        exit_year: None,
        notes: None,
    }
}

fn visit(household: Uuid, on: NaiveDate) -> Visit {
    Visit {
        id: Uuid::now_v7(),
        household_id: household,
        kind: VisitKind::Routine,
        visited_on: on,
        visitor: "张伟".into(),
        helper_id: None,
        basic_needs: BasicNeeds::default(),
        satisfaction: Some(Satisfaction::Satisfied),
        actual_population: Some(3),
        notes: None,
        lat: None,
        lon: None,
    }
}

fn changes(s: &Store) -> i64 {
    s.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get(0)).unwrap()
}

fn patch(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
fn every_schema_field_has_a_column() {
    let s = Store::open_in_memory().unwrap();
    for e in Entity::ALL {
        let mut stmt = s.conn().prepare(&format!("SELECT name FROM pragma_table_info('{}')", e.ident())).unwrap();
        let cols: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(|c| c.unwrap()).collect();
        for d in e.fields() {
            assert!(cols.contains(&d.name.to_string()), "{}.{} has no column", e.ident(), d.name);
        }
        for extra in ["id", "deleted", "_clock"] {
            assert!(cols.contains(&extra.to_string()));
        }
        assert_eq!(cols.len(), e.fields().len() + 3, "{} has columns the schema does not know", e.ident());
    }
}

#[test]
fn writes_and_their_changes_commit_together() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    assert_eq!(changes(&s), 4);
    let h = household(v.id, 1, "王秀英");
    s.create(&h).unwrap();
    let logged = changes(&s);
    assert_eq!(logged, 4 + h.to_fields().values().filter(|v| !v.is_null()).count() as i64);
    // The parent link is logged first.
    let first: String = s.conn().query_row("SELECT field FROM change_log WHERE seq = 5", [], |r| r.get(0)).unwrap();
    assert_eq!(first, "village_id");

    // One change per changed field; unchanged fields log nothing.
    let n = s
        .update(Entity::Household, h.id, &patch(&[("phone", json!("13808511234")), ("status", json!("poor"))]))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(changes(&s), logged + 1);
    let (field, value, prev): (String, String, Option<String>) = s
        .conn()
        .query_row("SELECT field, value, prev FROM change_log ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((field.as_str(), value.as_str(), prev), ("phone", "\"13808511234\"", None));
    assert_eq!(s.household(h.id).unwrap().unwrap().phone.unwrap().as_str(), "13808511234");
}

#[test]
fn bad_input_changes_nothing() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "王秀英");
    s.create(&h).unwrap();
    let before = changes(&s);
    let e =
        s.update(Entity::Household, h.id, &patch(&[("phone", json!("12345")), ("notes", json!("ok"))])).unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(v) if v.field == "phone"), "{e}");
    assert!(e.to_string().contains("手机号"));
    let e = s.update(Entity::Household, h.id, &patch(&[("head_id_number", json!("110105194912310021"))])).unwrap_err();
    assert_eq!(e.to_string(), "head_id_number：身份证号校验位错误：应为 X，实际为 1");
    let e =
        s.update(Entity::Household, h.id, &patch(&[("village_id", json!(Uuid::now_v7().to_string()))])).unwrap_err();
    assert!(e.to_string().contains("不能修改"));
    let e = s.update(Entity::Household, h.id, &patch(&[("no_such_field", json!(1))])).unwrap_err();
    assert!(e.to_string().contains("未知字段"));
    let long = "很".repeat(10_000);
    assert!(s.update(Entity::Household, h.id, &patch(&[("notes", json!(long))])).is_err());
    // A foreign-key failure rolls back the record and its change-log entries.
    let orphan = household(Uuid::now_v7(), 2, "李四");
    assert!(s.create(&orphan).is_err());
    assert!(s.household(orphan.id).unwrap().is_none());
    assert!(s.create(&h).is_err(), "creating twice is refused");
    assert_eq!(changes(&s), before);
    assert_eq!(s.household(h.id).unwrap().unwrap(), h);
}

#[test]
fn tombstones_hide_and_restore() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "王秀英");
    s.create(&h).unwrap();
    s.delete(Entity::Household, h.id).unwrap();
    assert!(s.household(h.id).unwrap().is_none());
    assert!(s.households(&HouseholdQuery::default()).unwrap().is_empty());
    assert!(matches!(
        s.update(Entity::Household, h.id, &patch(&[("notes", json!("x"))])),
        Err(StoreError::Deleted { .. })
    ));
    let seen: String =
        s.conn().query_row("SELECT seen FROM change_log ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert!(seen.contains("head_name"));
    s.restore(Entity::Household, h.id).unwrap();
    assert_eq!(s.household(h.id).unwrap().unwrap(), h);
}

#[test]
fn household_search_and_filters() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let a = household(v.id, 1, "王秀英");
    let mut b = household(v.id, 2, "李建国");
    b.status = HouseholdStatus::Exited;
    s.create(&a).unwrap();
    s.create(&b).unwrap();
    let child = Member {
        id: Uuid::now_v7(),
        household_id: b.id,
        name: "李小明".into(),
        id_number: Some(IdNumber::compose(520102, NaiveDate::from_ymd_opt(2012, 5, 1).unwrap(), 31)),
        relation: Relation::Child,
        sex: Some(Sex::Male),
        birth_date: NaiveDate::from_ymd_opt(2012, 5, 1),
        health: Some(Health::Healthy),
        labor: None,
        education: Some(Education::Primary),
        schooling: Some(Schooling::Junior),
        phone: None,
        member_change: None,
        left_on: None,
    };
    s.create(&child).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    s.create(&visit(a.id, today)).unwrap();
    s.create(&visit(b.id, NaiveDate::from_ymd_opt(2026, 10, 3).unwrap())).unwrap();

    let find = |text: &str| -> Vec<String> {
        s.households(&HouseholdQuery { text: Some(text.into()), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|h| h.head_name.unwrap())
            .collect()
    };
    assert_eq!(find("秀英"), vec!["王秀英"]);
    assert_eq!(find("小明"), vec!["李建国"], "a member's name finds the household");
    assert_eq!(find(&b.household_no), vec!["李建国"]);
    assert_eq!(find(&child.id_number.as_ref().unwrap().as_str()[..14]), vec!["李建国"]);
    assert_eq!(find("5201020010010"), vec!["王秀英", "李建国"]);
    assert!(find("%").is_empty(), "wildcards are literal");
    let exited = s.households(&HouseholdQuery { status: Some(HouseholdStatus::Exited), ..Default::default() }).unwrap();
    assert_eq!(exited.len(), 1);
    assert_eq!(exited[0].members, 1);
    assert_eq!(exited[0].last_visit.as_deref(), Some("2026-10-03"));
    let due = s.households(&HouseholdQuery::not_visited_this_month(v.id, today)).unwrap();
    assert_eq!(due.into_iter().map(|h| h.id).collect::<Vec<_>>(), vec![b.id]);
}

mod search_table {
    //! The list's own table (`household_search`, kept by triggers) against the records it stands for:
    //! after any writes, in any order — a member before its household, as a pull may bring them;
    //! edits, moves, deletions and restorations by update or upsert — a search finds exactly the live
    //! households whose 户编号, head or live members contain the text, as a scan of the records does.
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const NAMES: [&str; 4] = ["王秀英", "李秀兰", "张建国", "秀"];
    const IDS: [Option<&str>; 3] = [Some("52010219900101002X"), Some("520102198501010031"), None];
    const NOS: [&str; 3] = ["5201020010010001", "5201020010010002", "5201020020010003"];
    const NEEDLES: [&str; 9] = ["秀英", "秀", "002X", "002x", "0031", "52010200100100", "建国", "0003", "王秀英"];

    #[derive(Debug, Clone)]
    enum Op {
        Household { h: u8, no: u8, head: u8, id: u8, deleted: bool },
        Member { m: u8, h: u8, name: u8, id: u8, deleted: bool },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3, 0u8..3, 0u8..4, 0u8..3, any::<bool>()).prop_map(|(h, no, head, id, deleted)| Op::Household {
                h,
                no,
                head,
                id,
                deleted
            }),
            (0u8..5, 0u8..3, 0u8..4, 0u8..3, any::<bool>()).prop_map(|(m, h, name, id, deleted)| Op::Member {
                m,
                h,
                name,
                id,
                deleted
            }),
        ]
    }

    fn id(kind: u128, n: u8) -> Vec<u8> {
        Uuid::from_u128(kind << 64 | u128::from(n)).as_bytes().to_vec()
    }

    /// Writes one record as a pull does: inserted when new (its derived rows added after it, as the
    /// store does), its fields set when not.
    fn apply(s: &Store, village: Uuid, op: &Op) {
        let c = s.conn();
        let entity = match op {
            Op::Household { .. } => Entity::Household,
            Op::Member { .. } => Entity::Member,
        };
        crate::derived::inserting(c, entity, || {
            Ok(match *op {
            Op::Household { h, no, head, id: i, deleted } => c.execute(
                "INSERT INTO household(id, village_id, household_no, head_name, head_id_number, deleted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET household_no = excluded.household_no,
                   head_name = excluded.head_name, head_id_number = excluded.head_id_number, deleted = excluded.deleted",
                rusqlite::params![id(1, h), village.as_bytes().to_vec(), NOS[no as usize], NAMES[head as usize], IDS[i as usize], deleted],
            ),
            Op::Member { m, h, name, id: i, deleted } => c.execute(
                "INSERT INTO member(id, household_id, name, id_number, deleted) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET household_id = excluded.household_id, name = excluded.name,
                   id_number = excluded.id_number, deleted = excluded.deleted",
                rusqlite::params![id(2, m), id(1, h), NAMES[name as usize], IDS[i as usize], deleted],
            ),
            }?)
        })
        .unwrap();
    }

    /// The households a scan of the records finds (LIKE: ASCII case-insensitive, as the search is).
    fn scanned(s: &Store, text: &str) -> BTreeSet<Vec<u8>> {
        let mut stmt = s
            .conn()
            .prepare(
                "SELECT h.id FROM household h WHERE h.deleted = 0
                   AND (h.household_no LIKE ?1 OR h.head_name LIKE ?1 OR h.head_id_number LIKE ?1
                        OR h.id IN (SELECT m.household_id FROM member m WHERE m.deleted = 0
                                    AND (m.name LIKE ?1 OR m.id_number LIKE ?1)))",
            )
            .unwrap();
        stmt.query_map([format!("%{text}%")], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    }

    fn found(s: &Store, text: &str) -> BTreeSet<Vec<u8>> {
        let q = HouseholdQuery { text: Some(text.into()), ..Default::default() };
        s.households(&q).unwrap().into_iter().map(|h| h.id.as_bytes().to_vec()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn a_search_finds_what_a_scan_of_the_records_finds(ops in proptest::collection::vec(op(), 1..30)) {
            let mut s = Store::open_in_memory().unwrap();
            let v = village();
            s.create(&v).unwrap();
            // A member before its household: the tables' own rule refuses it, the triggers must not care.
            s.conn().pragma_update(None, "foreign_keys", "OFF").unwrap();
            for op in &ops {
                apply(&s, v.id, op);
            }
            for text in NEEDLES {
                prop_assert_eq!(found(&s, text), scanned(&s, text), "searching {}", text);
            }
            let all = s.households(&HouseholdQuery::default()).unwrap().len();
            prop_assert_eq!(all, scanned(&s, "").len());
        }
    }
}

#[test]
fn an_older_database_opens_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(include_str!("../tests/fixtures/device-v1.sql")).unwrap();
    drop(c);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert_eq!(s.device_id().to_string(), "0192f3a0-0000-7000-8000-000000000001");
    let h = s.household(Uuid::parse_str("0192f3a0-0000-7000-8000-000000000020").unwrap()).unwrap().unwrap();
    assert_eq!(h.head_name, "王秀英");
    assert_eq!(s.members_of(h.id).unwrap().len(), 1);
    assert_eq!(s.pending_changes().unwrap(), 1);
    let found = s.households(&HouseholdQuery { text: Some("022X".into()), ..Default::default() }).unwrap();
    assert_eq!(found.len(), 1);
}

/// A push to the in-memory reference ledger, answered the way the server answers.
fn push(s: &mut Store, hub: &mut MemoryLedger, minter: &mut CountingMinter) -> PushSummary {
    let mut total = PushSummary::default();
    while let Some(batch) = s.next_batch(50).unwrap() {
        let results = batch
            .changes
            .iter()
            .map(|c| {
                let r = apply(hub, minter, c, zoufang_sync::Place::of(c.entity, Uuid::nil())).unwrap();
                let (status, seq, current) = match r.outcome {
                    Outcome::Applied { seq } => {
                        (Status::Applied, seq, Some(zoufang_sync::Current { value: c.value.clone(), seq }))
                    }
                    Outcome::Superseded { seq, current } => (Status::Superseded, seq, Some(current.current())),
                    Outcome::Duplicate { seq, current } => (Status::Duplicate, seq, current.map(|c| c.current())),
                };
                ChangeResult { id: c.id, status, seq: Some(seq), current, conflict: r.conflict, rejection: None }
            })
            .collect();
        let sum =
            s.record_push(&batch, &PushResponse { results, replay: false, server_hlc: Default::default() }).unwrap();
        total.add(&sum);
    }
    total
}

fn pull(s: &mut Store, hub: &MemoryLedger) {
    loop {
        let (rows, cursor, more) = hub.pull(s.cursor().unwrap(), 7);
        s.apply_pull(&PullResponse { rows, cursor, more, head: cursor, max_hlc: Default::default() }).unwrap();
        if !more {
            break;
        }
    }
}

#[test]
fn two_stores_sync_through_the_reference_ledger_and_resolve_a_conflict() {
    let mut hub = MemoryLedger::default();
    let mut minter = CountingMinter::new(Uuid::from_u128(9));
    let mut a = Store::open_in_memory().unwrap();
    let mut b = Store::open_in_memory().unwrap();
    let v = village();
    a.create(&v).unwrap();
    let h = household(v.id, 1, "王秀英");
    a.create(&h).unwrap();
    push(&mut a, &mut hub, &mut minter);
    pull(&mut b, &hub);
    assert_eq!(b.household(h.id).unwrap().unwrap(), h);

    // Both edit the phone offline.
    a.update(Entity::Household, h.id, &patch(&[("phone", json!("13800000001"))])).unwrap();
    b.update(Entity::Household, h.id, &patch(&[("phone", json!("13900000002"))])).unwrap();
    push(&mut a, &mut hub, &mut minter);
    let sum = push(&mut b, &mut hub, &mut minter);
    assert_eq!(sum.conflicts, 1);
    pull(&mut a, &hub);
    pull(&mut b, &hub);
    let pa = a.household(h.id).unwrap().unwrap().phone;
    let pb = b.household(h.id).unwrap().unwrap().phone;
    assert_eq!(pa, pb, "both show the same winner");
    let ca = a.conflicts(Some(ConflictStatus::Open)).unwrap();
    assert_eq!(ca, b.conflicts(Some(ConflictStatus::Open)).unwrap());
    assert_eq!(ca.len(), 1);
    assert_eq!(ca[0].candidates.len(), 2);

    // B resolves it with A's number; both end resolved, with that value.
    b.resolve_conflict(ca[0].id, &json!("13800000001"), "李书记").unwrap();
    assert!(matches!(b.resolve_conflict(ca[0].id, &json!("x"), "李书记"), Err(StoreError::AlreadyResolved)));
    push(&mut b, &mut hub, &mut minter);
    pull(&mut a, &hub);
    pull(&mut b, &hub);
    for s in [&a, &b] {
        assert!(s.conflicts(Some(ConflictStatus::Open)).unwrap().is_empty());
        let c = &s.conflicts(None).unwrap()[0];
        assert_eq!(c.status, ConflictStatus::Resolved);
        assert_eq!(c.resolved_by.as_deref(), Some("李书记"));
        assert_eq!(s.household(h.id).unwrap().unwrap().phone.unwrap().as_str(), "13800000001");
    }
    assert_eq!(a.pending_changes().unwrap(), 0);
}

#[test]
fn a_lost_push_answer_resends_the_same_batch() {
    let mut hub = MemoryLedger::default();
    let mut minter = CountingMinter::new(Uuid::from_u128(9));
    let mut a = Store::open_in_memory().unwrap();
    a.create(&village()).unwrap();
    let first = a.next_batch(100).unwrap().unwrap();
    for c in &first.changes {
        apply(&mut hub, &mut minter, c, zoufang_sync::Place::of(c.entity, Uuid::nil())).unwrap();
    }
    // The answer never arrives; the device asks again and gets the same batch.
    let again = a.next_batch(100).unwrap().unwrap();
    assert_eq!(again.no, first.no);
    assert_eq!(again.changes, first.changes);
    let sum = push(&mut a, &mut hub, &mut minter);
    assert_eq!(sum.duplicate, 4);
    assert_eq!(hub.log.len(), 4);
    assert!(a.next_batch(100).unwrap().is_none());
}

#[test]
fn refused_changes_are_quarantined_and_can_be_discarded() {
    let mut a = Store::open_in_memory().unwrap();
    let v = village();
    a.create(&v).unwrap();
    let batch = a.next_batch(100).unwrap().unwrap();
    let results = batch
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| ChangeResult {
            id: c.id,
            status: if i == 0 { Status::Rejected } else { Status::Applied },
            seq: Some(i as u64 + 1),
            current: (i != 0).then(|| zoufang_sync::Current { value: c.value.clone(), seq: i as u64 + 1 }),
            conflict: None,
            rejection: (i == 0)
                .then(|| zoufang_sync::Rejection { field: c.field.clone(), message: "超出本机范围".into() }),
        })
        .collect();
    let sum = a.record_push(&batch, &PushResponse { results, replay: false, server_hlc: Default::default() }).unwrap();
    assert_eq!((sum.applied, sum.rejected), (3, 1));
    let q = a.quarantined().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].reason, "超出本机范围");
    assert_eq!(a.pending_changes().unwrap(), 0, "the rest of the queue moved on");
    a.discard_quarantined(q[0].change).unwrap();
    assert!(a.quarantined().unwrap().is_empty());
    let row = a.row(Entity::Village, v.id).unwrap().unwrap();
    assert!(!row.fields.contains_key(q[0].field.as_str()));
}

mod reports {
    use super::*;
    use zoufang_model::calendar::WorkCalendar;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn calc(s: &mut Store, h: Uuid, size: u32, wage_fen: i64) {
        s.create(&HandbookEntry {
            id: Uuid::now_v7(),
            household_id: h,
            section: HandbookSection::Result,
            entry_date: day(1, 15),
            title: "2025 年收支测算".into(),
            content: None,
            measure: None,
            amount_fen: None,
            income_calc: Some(IncomeCalc { year: 2025, household_size: size, wage_fen, ..Default::default() }),
            recorded_by: None,
        })
        .unwrap();
    }

    /// A: poor, housing unmet on the latest visit (water on an older one), income exactly at the line.
    /// B: exited, 3 registered but 2 counted, income one fen per head below the line.
    /// C: exited, never visited. D: visited exactly on the first day of the 30-day window. E: the day before.
    #[test]
    fn each_report_against_hand_computed_figures() {
        let mut s = Store::open_in_memory().unwrap();
        let v = village();
        s.create(&v).unwrap();
        let mk = |no, head: &str, status| Household { status, ..household(v.id, no, head) };
        let [a, b, c, d, e] = [
            mk(1, "张甲", HouseholdStatus::Poor),
            mk(2, "李乙", HouseholdStatus::Exited),
            mk(3, "王丙", HouseholdStatus::Exited),
            mk(4, "赵丁", HouseholdStatus::Monitored),
            mk(5, "钱戊", HouseholdStatus::Stable),
        ];
        for h in [&a, &b, &c, &d, &e] {
            s.create(h).unwrap();
        }
        let mut old = visit(a.id, day(1, 5));
        old.basic_needs.set_unmet(BasicNeed::Water, "自来水未通");
        s.create(&old).unwrap();
        let mut latest = visit(a.id, day(3, 10));
        latest.basic_needs.set_unmet(BasicNeed::Housing, "危房");
        s.create(&latest).unwrap();
        s.create(&Visit { actual_population: Some(2), ..visit(b.id, day(3, 1)) }).unwrap();
        s.create(&visit(d.id, day(2, 19))).unwrap();
        s.create(&visit(e.id, day(2, 18))).unwrap();
        calc(&mut s, a.id, 3, 1_200_000); // 4,000.00 per head: at the line
        calc(&mut s, b.id, 3, 1_199_997); // 3,999.99 per head: below it

        let needs = s.report_needs().unwrap();
        assert_eq!(needs.gaps.len(), 1, "only the latest visit counts: A's water was fixed");
        assert_eq!(needs.gaps[0].household.head_name, "张甲");
        assert_eq!(needs.gaps[0].unmet, vec![BasicNeed::Housing]);
        assert_eq!(needs.gaps[0].notes, vec!["住房安全有保障：危房".to_string()]);
        assert_eq!((needs.villages[0].households, needs.villages[0].with_gap), (5, 1));
        assert!(needs.villages[0].by_item.contains(&(BasicNeed::Housing, 1)));
        assert!(needs.villages[0].by_item.contains(&(BasicNeed::Water, 0)));

        let cov = s.report_coverage(day(3, 20), 30).unwrap();
        assert_eq!(cov.since, day(2, 19));
        let missing: Vec<&str> = cov.not_visited.iter().map(|(h, _)| h.head_name.as_str()).collect();
        assert_eq!(missing, vec!["王丙", "钱戊"], "D on the window's first day counts, E the day before does not");
        assert_eq!((cov.households, cov.visited), (5, 3));

        let pop = s.report_population().unwrap();
        assert_eq!(pop.len(), 1);
        assert_eq!(
            (pop[0].household.head_name.as_str(), pop[0].system, pop[0].handbook, pop[0].actual),
            ("李乙", Some(3), Some(3), Some(2))
        );

        let income = s.report_income().unwrap();
        let lines: Vec<(&str, IncomeIssue)> =
            income.iter().map(|l| (l.household.head_name.as_str(), l.issue)).collect();
        assert_eq!(lines, vec![("张甲", IncomeIssue::PoorAboveLine), ("李乙", IncomeIssue::ExitedBelowLine)]);
        assert_eq!(income[1].per_capita_fen, 399_999);

        // Presence in October 2026: 18 working days → 12 required. 李娟 12 days (twice on the 9th), 王强 11.
        let cal = WorkCalendar::national();
        let check = |s: &mut Store, who: &str, d: u32, h: u32| {
            let at = format!("2026-10-{d:02}T{h:02}:00:00+08:00");
            s.create_fields(
                Entity::Presence,
                Uuid::now_v7(),
                &patch(&[("village_id", json!(v.id)), ("staff_name", json!(who)), ("checked_at", json!(at))]),
            )
            .unwrap();
        };
        for d in [8, 9, 12, 13, 14, 15, 16, 19, 20, 21, 22, 23] {
            check(&mut s, "李娟", d, 9);
        }
        check(&mut s, "李娟", 9, 15);
        for d in [8, 9, 12, 13, 14, 15, 16, 19, 20, 21, 22] {
            check(&mut s, "王强", d, 9);
        }
        let p = s.report_presence(2026, 10, &cal).unwrap();
        assert!(p.calendar_known);
        let lines: Vec<(&str, u32, u32, bool)> =
            p.lines.iter().map(|l| (l.staff_name.as_str(), l.days_present, l.required_days, l.meets)).collect();
        assert_eq!(lines, vec![("李娟", 12, 12, true), ("王强", 11, 12, false)]);

        // Ledger: one overdue, one open in time, one closed, all from visits.
        let item = |deadline: NaiveDate, status| Rectification {
            id: Uuid::now_v7(),
            village_id: v.id,
            household_id: Some(a.id),
            source: RectificationSource::Visit,
            problem: "危房".into(),
            deadline,
            review: None,
            status,
            responsible: None,
            evidence: None,
            closed_on: None,
        };
        s.create(&item(day(3, 1), RectificationStatus::Open)).unwrap();
        s.create(&item(day(4, 1), RectificationStatus::InProgress)).unwrap();
        let done = item(day(2, 1), RectificationStatus::Open);
        s.create(&done).unwrap();
        let close = crate::NewReview {
            rectification_id: done.id,
            action: zoufang_model::RectificationAction::Confirm,
            decided_on: day(2, 1).to_string(),
            actor: "李娟".into(),
            note: Some("已改造".into()),
        };
        s.review_problem(&close).unwrap();
        let ledger = s.report_ledger(day(3, 20)).unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!((ledger[0].open, ledger[0].overdue, ledger[0].closed), (2, 1, 1));

        // The digest follows deletes, restores and edits: with A's latest visit deleted, the older one
        // (water unmet) is A's latest; restored, housing again; moved before the older one, water again.
        s.delete(Entity::Visit, latest.id).unwrap();
        let gaps = s.report_needs().unwrap().gaps;
        assert_eq!(gaps[0].unmet, vec![BasicNeed::Water]);
        s.restore(Entity::Visit, latest.id).unwrap();
        assert_eq!(s.report_needs().unwrap().gaps[0].unmet, vec![BasicNeed::Housing]);
        s.update(Entity::Visit, latest.id, &patch(&[("visited_on", json!("2026-01-01"))])).unwrap();
        assert_eq!(s.report_needs().unwrap().gaps[0].unmet, vec![BasicNeed::Water]);
        // Members counted as they come and go (B: 3 registered, 2 counted on the visit, members on record).
        let m = |name: &str| Member {
            id: Uuid::now_v7(),
            household_id: b.id,
            name: name.into(),
            id_number: None,
            relation: Relation::Child,
            sex: None,
            birth_date: None,
            health: None,
            labor: None,
            education: None,
            schooling: None,
            phone: None,
            member_change: None,
            left_on: None,
        };
        let (m1, m2) = (m("李一"), m("李二"));
        s.create(&m1).unwrap();
        s.create(&m2).unwrap();
        // A member is never deleted: it leaves by a change (here, moving out), and no longer counts.
        assert_eq!(s.delete(Entity::Member, m1.id).unwrap_err().code(), "member_by_procedure");
        let out = NewMemberChange {
            household_id: b.id,
            kind: MemberChangeKind::MoveOut,
            changed_on: day(2, 1).to_string(),
            actor: "李娟".into(),
            evidence: Some("户口迁移证明".into()),
            member_id: Some(m1.id),
            member: None,
        };
        s.record_member_change(&out).unwrap();
        assert_eq!(s.report_population().unwrap()[0].members, 1);
        // A newer calculation replaces the older one in the income report.
        let older = s.handbook_of(b.id).unwrap()[0].clone();
        s.create(&HandbookEntry {
            id: Uuid::now_v7(),
            entry_date: day(2, 1),
            income_calc: Some(IncomeCalc { year: 2025, household_size: 3, wage_fen: 2_000_000, ..Default::default() }),
            ..older
        })
        .unwrap();
        assert!(s.report_income().unwrap().iter().all(|l| l.household.id != b.id), "B is now above the line");
    }
}

mod at_rest {
    use super::*;
    use crate::{NewDocument, PhotoTarget};
    use zoufang_media::sample::{camera_jpeg, CameraExif};

    const SECRET: &str = "花桥村2026";
    const HEADS: [&str; 3] = ["龙国富", "杨秀英", "吴老三"];

    /// A device with households, members' 身份证号, a visit and one photo, all committed.
    fn fill(s: &mut Store) -> (Vec<String>, Vec<u8>) {
        let v = village();
        s.create(&v).unwrap();
        let mut ids = Vec::new();
        let mut first = None;
        for (i, head) in HEADS.iter().enumerate() {
            let h = household(v.id, i as u32 + 1, head);
            ids.push(h.head_id_number.clone().unwrap().as_str().to_string());
            s.create(&h).unwrap();
            s.create(&visit(h.id, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())).unwrap();
            first.get_or_insert(h.id);
        }
        let doc = s
            .create_document(
                &NewDocument { household_id: first.unwrap(), kind: ArchiveKind::Application, title: None, note: None },
                Some("李芳"),
            )
            .unwrap();
        let jpeg = camera_jpeg(800, 600, 3, 90, &CameraExif::default());
        let p = s.import_photo(&jpeg, PhotoTarget::ArchiveDocument(doc), Some("李芳")).unwrap();
        let stored = s.blob(&p.photo.hash).unwrap().unwrap();
        (ids, stored)
    }

    /// Every file the device keeps: the database, its WAL and shared memory, the photo files.
    fn files_of(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// Names and 身份证号 in any file of `dir`, as UTF-8 or UTF-16 (either byte order).
    fn plaintext_in(dir: &std::path::Path, ids: &[String], photo: &[u8]) -> Vec<String> {
        let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
        for t in HEADS.iter().map(|s| s.to_string()).chain(ids.iter().cloned()) {
            needles.push((t.clone(), t.as_bytes().to_vec()));
            needles.push((t.clone(), t.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()));
            needles.push((t.clone(), t.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()));
        }
        needles.push(("photo bytes".into(), photo[photo.len() / 2..photo.len() / 2 + 64].to_vec()));
        // The file's first 16 bytes (JPEG signature and header): long enough that ciphertext never
        // matches by chance, as a bare 3-byte signature would in about one run in twenty.
        needles.push(("JPEG header".into(), photo[..16].to_vec()));
        let mut found = Vec::new();
        for (path, bytes) in files_of(dir) {
            for (what, n) in &needles {
                if contains(&bytes, n) {
                    found.push(format!("{what} in {}", path.display()));
                }
            }
        }
        found
    }

    #[test]
    fn no_name_id_number_or_photo_is_readable_in_the_device_files() {
        let dir = tempfile::tempdir().unwrap();
        // Control: the same data unencrypted is found by the scan, so the scan can see what it looks for.
        let plain_dir = dir.path().join("plain");
        std::fs::create_dir_all(&plain_dir).unwrap();
        let mut plain = Store::open(plain_dir.join("zoufang.db")).unwrap();
        let (ids, photo) = fill(&mut plain);
        let found = plaintext_in(&plain_dir, &ids, &photo);
        assert!(found.iter().any(|f| f.starts_with("龙国富")), "{found:?}");
        assert!(found.iter().any(|f| f.starts_with(&ids[0])), "{found:?}");
        assert!(found.iter().any(|f| f.starts_with("JPEG")), "{found:?}");

        let enc_dir = dir.path().join("encrypted");
        std::fs::create_dir_all(&enc_dir).unwrap();
        let mut s = Store::open_encrypted(enc_dir.join("zoufang.db"), SECRET).unwrap();
        assert!(s.is_encrypted());
        let (ids, photo) = fill(&mut s);
        // While open (WAL not checkpointed) and after closing.
        assert_eq!(plaintext_in(&enc_dir, &ids, &photo), Vec::<String>::new());
        drop(s);
        assert_eq!(plaintext_in(&enc_dir, &ids, &photo), Vec::<String>::new());

        let s = Store::open_encrypted(enc_dir.join("zoufang.db"), SECRET).unwrap();
        assert_eq!(s.households(&Default::default()).unwrap().len(), 3);
        let hash = zoufang_media::sha256_hex(&photo);
        assert_eq!(s.blob(&hash).unwrap().unwrap(), photo);
    }

    #[test]
    fn a_wrong_secret_is_told_as_such_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("zoufang.db");
        assert!(!crate::database_exists(&db));
        assert!(matches!(Store::open_encrypted(&db, "12345"), Err(StoreError::Vault(_))), "too short for a new device");
        assert!(!crate::database_exists(&db));
        {
            let mut s = Store::open_encrypted(&db, SECRET).unwrap();
            fill(&mut s);
        }
        assert!(crate::database_exists(&db));
        let before = std::fs::read(&db).unwrap();
        for wrong in ["花桥村2025", "", "x"] {
            assert!(matches!(Store::open_encrypted(&db, wrong), Err(StoreError::WrongSecret)), "{wrong}");
        }
        assert!(matches!(Store::open(&db), Err(StoreError::Sqlite(_))), "without a key it is no database");
        assert_eq!(std::fs::read(&db).unwrap(), before);
        let s = Store::open_encrypted(&db, SECRET).unwrap();
        assert!(changes(&s) > 0);
        // The header is our salt, not SQLite's magic: the salt travels with the file.
        assert_ne!(&before[..16], b"SQLite format 3\0");
    }

    #[test]
    fn a_plain_database_from_an_older_version_is_encrypted_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("zoufang.db");
        let (ids, photo, n) = {
            let mut s = Store::open(&db).unwrap();
            let (ids, photo) = fill(&mut s);
            (ids, photo, changes(&s))
        };
        let s = Store::open_encrypted(&db, SECRET).unwrap();
        assert_eq!(changes(&s), n, "every change kept");
        assert_eq!(s.schema_version().unwrap() as usize, crate::MIGRATIONS.len());
        assert_eq!(s.blob(&zoufang_media::sha256_hex(&photo)).unwrap().unwrap(), photo);
        drop(s);
        assert_eq!(plaintext_in(dir.path(), &ids, &photo), Vec::<String>::new());
        assert!(matches!(Store::open_encrypted(&db, "另一个密码呀"), Err(StoreError::WrongSecret)));
    }

    #[test]
    fn a_damaged_photo_file_is_reported_not_shown() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_encrypted(dir.path().join("zoufang.db"), SECRET).unwrap();
        let (_, photo) = fill(&mut s);
        let hash = zoufang_media::sha256_hex(&photo);
        let path = s.blob_path(&hash).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(s.blob(&hash), Err(StoreError::Corrupt(_))));
    }
}

#[test]
fn inspection_coverage_against_the_60_percent_and_village_rules() {
    let mut s = Store::open_in_memory().unwrap();
    let (a, mut b) = (village(), village());
    b.code = "520102001002".into();
    b.name = "石桥村".into();
    s.create(&a).unwrap();
    s.create(&b).unwrap();
    let add = |s: &mut Store, v: Uuid, n: u32, status: HouseholdStatus| -> Vec<Uuid> {
        (0..n)
            .map(|i| {
                let mut h = household(v, i + if status == HouseholdStatus::Exited { 50 } else { 0 }, "龙国富");
                h.household_no = format!("{}-{i}-{}", &v.simple().to_string()[24..], status.ident());
                h.status = status;
                s.create(&h).unwrap();
                h.id
            })
            .collect()
    };
    let poor_a = add(&mut s, a.id, 10, HouseholdStatus::Poor);
    let exited_a = add(&mut s, a.id, 3, HouseholdStatus::Exited);
    let poor_b = add(&mut s, b.id, 20, HouseholdStatus::Poor);
    let inspect = |s: &mut Store, h: Uuid, on: &str| {
        let i = Inspection {
            id: Uuid::now_v7(),
            household_id: h,
            inspected_on: NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap(),
            inspector: "赵督查".into(),
            sealed: "A".repeat(64),
            photos: vec![],
        };
        s.create(&i).unwrap();
    };
    // Village A: six poor households this year (one twice), an exited one, a seventh last year.
    for h in &poor_a[..6] {
        inspect(&mut s, *h, "2026-03-02");
    }
    inspect(&mut s, poor_a[0], "2026-09-10");
    inspect(&mut s, exited_a[0], "2026-03-02");
    inspect(&mut s, poor_a[6], "2025-12-30");
    let r = s.report_inspection_coverage(2026).unwrap();
    assert_eq!((r.poor_households, r.inspected, r.required), (30, 6, 18));
    assert!(!r.meets_share);
    assert_eq!(r.villages_missing, 1, "石桥村 has 20 poor households and no inspection");
    let vb = r.villages.iter().find(|v| v.village == "石桥村").unwrap();
    assert!(vb.must_cover && vb.inspections == 0);
    assert!(!r.villages.iter().find(|v| v.village == "花桥村").unwrap().must_cover, "10 poor households");

    // Eleven in B: 17 of 30, one short of ⌈60%⌉ = 18; the eighteenth meets the rule.
    for h in &poor_b[..11] {
        inspect(&mut s, *h, "2026-05-20");
    }
    let r = s.report_inspection_coverage(2026).unwrap();
    assert_eq!((r.inspected, r.meets_share, r.villages_missing), (17, false, 0));
    inspect(&mut s, poor_b[11], "2026-11-01");
    let r = s.report_inspection_coverage(2026).unwrap();
    assert_eq!((r.inspected, r.meets_share), (18, true));
    // Last year: only the one inspection of that year counts.
    assert_eq!(s.report_inspection_coverage(2025).unwrap().inspected, 1);
    // A 贫困村 must be covered whatever its size: two poor households, none inspected yet.
    let c = Village { code: "520102001003".into(), name: "岩寨村".into(), poor_village: Some(true), ..village() };
    s.create(&c).unwrap();
    let poor_c = add(&mut s, c.id, 2, HouseholdStatus::Poor);
    let r = s.report_inspection_coverage(2026).unwrap();
    let vc = r.villages.iter().find(|v| v.village == "岩寨村").unwrap();
    assert!(vc.poor_village && vc.must_cover, "{vc:?}");
    assert_eq!(r.villages_missing, 1);
    inspect(&mut s, poor_c[0], "2026-11-02");
    assert_eq!(s.report_inspection_coverage(2026).unwrap().villages_missing, 0);
}

#[test]
fn files_no_record_names_are_discarded_after_a_while() {
    use zoufang_media::sample::{camera_jpeg, CameraExif};
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("zoufang.db")).unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "龙国富");
    s.create(&h).unwrap();
    let county = zoufang_vault::OpeningKey::generate();
    s.set_sealing_key(&county.sealing_key()).unwrap();
    let shot = |seed| camera_jpeg(640, 480, seed, 85, &CameraExif::default());
    // Two photos sealed for an inspection that is saved, one for a draft that never is.
    let kept = [s.seal_inspection_photo(&shot(1)).unwrap(), s.seal_inspection_photo(&shot(2)).unwrap()];
    let dropped = s.seal_inspection_photo(&shot(3)).unwrap();
    let findings = InspectionFindings { photos: kept.to_vec(), ..Default::default() };
    s.record_inspection(h.id, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(), "赵督查", &findings).unwrap();
    // And an ordinary visit photo, deleted afterwards: its record still names the file.
    let visit = visit(h.id, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
    s.create(&visit).unwrap();
    let p = s.import_photo(&shot(4), crate::PhotoTarget::Visit(visit.id), None).unwrap();
    s.delete(Entity::Photo, p.photo.id).unwrap();

    assert_eq!(s.discard_unreferenced_files(chrono::Duration::days(7)).unwrap(), 0, "too recent");
    assert!(s.blob(&dropped.hash).unwrap().is_some());
    assert_eq!(s.discard_unreferenced_files(chrono::Duration::seconds(-5)).unwrap(), 1);
    assert!(s.blob(&dropped.hash).unwrap().is_none());
    assert!(!s.blob_path(&dropped.hash).unwrap().exists());
    for k in &kept {
        assert_eq!(
            s.open_inspection_photo(&k.hash, &county).unwrap().map(|b| b.starts_with(&[0xff, 0xd8])),
            Some(true)
        );
    }
    assert!(s.blob(&p.photo.hash).unwrap().is_some() && s.blob(&p.photo.thumb_hash).unwrap().is_some());
    assert_eq!(s.discard_unreferenced_files(chrono::Duration::seconds(-5)).unwrap(), 0, "nothing more");
}

#[test]
fn the_status_changes_only_through_a_procedure() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = Household { status: HouseholdStatus::Exited, exit_year: Some(2020), ..household(v.id, 1, "王秀英") };
    s.create(&h).unwrap();
    let code = |e: StoreError| e.code().to_string();
    // A direct edit is refused; sending the current value back is no edit.
    let e = s.update(Entity::Household, h.id, &patch(&[("status", json!("returned"))])).unwrap_err();
    assert_eq!(code(e), "status_by_procedure");
    let e = s.update(Entity::Household, h.id, &patch(&[("status_change", json!(Uuid::now_v7().to_string()))]));
    assert_eq!(code(e.unwrap_err()), "status_by_procedure");
    assert_eq!(s.update(Entity::Household, h.id, &patch(&[("status", json!("exited"))])).unwrap(), 0);
    let fresh = Household { status_change: Some(Uuid::now_v7()), ..household(v.id, 2, "李四") };
    assert_eq!(code(s.create(&fresh).unwrap_err()), "status_by_procedure", "a new household names no change");

    let relapse = |reason: Option<&str>, procedure| NewStatusChange {
        household_id: h.id,
        procedure,
        to_status: HouseholdStatus::Returned,
        decided_on: "2026-11-20".into(),
        actor: "李娟".into(),
        reason: reason.map(str::to_string),
        evidence: Some("入户核实".into()),
    };
    let before = s.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get::<_, i64>(0)).unwrap();
    let e = s.record_status_change(&relapse(None, StatusProcedure::Relapse)).unwrap_err();
    assert_eq!(code(e), "status_transition");
    // An unenrolled device works as a village tablet: no county correction, no exit outside its procedure.
    let e = s.record_status_change(&relapse(Some("错评"), StatusProcedure::Correction)).unwrap_err();
    assert_eq!(code(e), "procedure_role");
    let e = s.record_status_change(&relapse(Some("因病"), StatusProcedure::Exit)).unwrap_err();
    assert_eq!(code(e), "exit_by_procedure");
    let after = s.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(before, after, "a refused procedure writes nothing");

    let id = s.record_status_change(&relapse(Some("因病：户主重病"), StatusProcedure::Relapse)).unwrap();
    let d = s.household_detail(h.id, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!((d.household.status, d.household.status_change), (HouseholdStatus::Returned, Some(id)));
    assert_eq!(d.status_changes.len(), 1);
    let c = &d.status_changes[0];
    assert_eq!(
        (c.procedure, c.from_status, c.to_status),
        (StatusProcedure::Relapse, HouseholdStatus::Exited, HouseholdStatus::Returned)
    );
    // The record and the household's two fields went into the log together, record first.
    let fields: Vec<String> = s
        .conn()
        .prepare("SELECT field FROM change_log WHERE seq > ?1 ORDER BY seq")
        .unwrap()
        .query_map([after], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(fields.first().map(String::as_str), Some("household_id"));
    assert_eq!(&fields[fields.len() - 2..], ["status_change", "status"]);
    // Registered twice: it has already fallen back.
    assert_eq!(
        code(s.record_status_change(&relapse(Some("因病"), StatusProcedure::Relapse)).unwrap_err()),
        "status_transition"
    );
}

/// Acts as a device of `role` (the role the server gave it at enrolment).
fn act_as(s: &mut Store, role: Role) {
    let e = Enrolment {
        server_url: "https://127.0.0.1:1".into(),
        server_id: Uuid::nil(),
        device_name: role.label().into(),
        token: "t".into(),
        scope: Scope::County("520102".into()),
        role,
        expires_at: None,
        cert_pin: None,
    };
    s.set_enrolment(&e).unwrap();
}

#[test]
fn only_the_issuer_closes_a_rectification_item() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let code = |e: StoreError| e.code().to_string();
    let item = |source: RectificationSource| Rectification {
        id: Uuid::now_v7(),
        village_id: v.id,
        household_id: None,
        source,
        problem: "村道破损".into(),
        deadline: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        review: None,
        status: RectificationStatus::Open,
        responsible: None,
        evidence: None,
        closed_on: None,
    };
    let step = |id, action, note: Option<&str>| NewReview {
        rectification_id: id,
        action,
        decided_on: "2026-11-20".into(),
        actor: "李娟".into(),
        note: note.map(str::to_string),
    };
    use RectificationAction::*;
    // The county office issues a 督查暗访 item; a village tablet cannot issue one, nor create it closed.
    act_as(&mut s, Role::WorkTeam);
    assert_eq!(code(s.create(&item(RectificationSource::Inspection)).unwrap_err()), "closure_by_issuer");
    act_as(&mut s, Role::County);
    let closed = Rectification { status: RectificationStatus::Closed, ..item(RectificationSource::Inspection) };
    assert_eq!(code(s.create(&closed).unwrap_err()), "closure_by_issuer");
    let county = item(RectificationSource::Inspection);
    s.create(&county).unwrap();

    // The village: 整改中, then a proposal with what was done; it cannot close it itself, neither by a
    // step nor by a direct edit, nor change what the item asks, nor withdraw it.
    act_as(&mut s, Role::WorkTeam);
    assert_eq!(s.update(Entity::Rectification, county.id, &patch(&[("status", json!("in_progress"))])).unwrap(), 1);
    let before = changes(&s);
    for (field, value) in [
        ("status", json!("closed")),
        ("closed_on", json!("2026-11-20")),
        ("review", json!(Uuid::now_v7().to_string())),
        ("deadline", json!("2027-06-30")),
    ] {
        let e = s.update(Entity::Rectification, county.id, &patch(&[(field, value)])).unwrap_err();
        assert_eq!(code(e), "closure_by_issuer", "{field}");
    }
    assert_eq!(code(s.delete(Entity::Rectification, county.id).unwrap_err()), "closure_by_issuer");
    assert_eq!(code(s.review_problem(&step(county.id, Confirm, Some("已修"))).unwrap_err()), "closure_by_issuer");
    assert_eq!(code(s.review_problem(&step(county.id, Propose, Some("  "))).unwrap_err()), "closure_by_issuer");
    assert_eq!(before, changes(&s), "refusals write nothing");
    let ledger = |s: &Store| s.problem_ledger(v.id, false, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!(ledger(&s)[0].actions, vec![Propose]);
    let proposed = s.review_problem(&step(county.id, Propose, Some("已硬化路面 200 米"))).unwrap();
    let p = &ledger(&s)[0];
    assert_eq!(
        (p.item.status, p.item.review, p.item.evidence.as_deref()),
        (RectificationStatus::Proposed, Some(proposed), Some("已硬化路面 200 米"))
    );
    assert!(p.actions.is_empty() && !p.may_mark, "waiting for the county");

    // The county sends it back with a reason, then confirms the second proposal.
    act_as(&mut s, Role::County);
    assert_eq!(ledger(&s)[0].actions, vec![Confirm, SendBack]);
    assert_eq!(code(s.review_problem(&step(county.id, SendBack, None)).unwrap_err()), "closure_by_issuer");
    s.review_problem(&step(county.id, SendBack, Some("缺少施工照片"))).unwrap();
    assert_eq!(ledger(&s)[0].item.status, RectificationStatus::InProgress);
    act_as(&mut s, Role::WorkTeam);
    s.review_problem(&step(county.id, Propose, Some("已补照片"))).unwrap();
    act_as(&mut s, Role::County);
    s.review_problem(&step(county.id, Confirm, None)).unwrap();
    let p = &ledger(&s)[0];
    assert_eq!((p.item.status, p.item.closed_on), (RectificationStatus::Closed, NaiveDate::from_ymd_opt(2026, 11, 20)));
    let steps: Vec<_> = p.reviews.iter().map(|r| r.action).collect();
    assert_eq!(steps, vec![Propose, SendBack, Propose, Confirm]);
    assert!(!p.overdue);

    // A township cannot confirm the county's item, only its own; the village closes its own finds.
    act_as(&mut s, Role::Township);
    let own = item(RectificationSource::Township);
    s.create(&own).unwrap();
    act_as(&mut s, Role::FirstSecretary);
    s.review_problem(&step(own.id, Propose, Some("已整改"))).unwrap();
    act_as(&mut s, Role::County);
    assert_eq!(code(s.review_problem(&step(own.id, Confirm, None)).unwrap_err()), "closure_by_issuer");
    act_as(&mut s, Role::Township);
    s.review_problem(&step(own.id, Confirm, None)).unwrap();
    act_as(&mut s, Role::WorkTeam);
    let found = item(RectificationSource::SelfCheck);
    s.create(&found).unwrap();
    assert_eq!(code(s.review_problem(&step(found.id, Propose, Some("已修"))).unwrap_err()), "closure_by_issuer");
    s.review_problem(&step(found.id, Confirm, Some("已修"))).unwrap();

    // The county re-checks 15% of the three closed items: one; a passed re-check meets the share, a
    // failed one reopens the item with its reason.
    act_as(&mut s, Role::County);
    let plan = s.recheck_plan(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!((plan.percent, plan.closed, plan.rechecked, plan.due.len()), (15, 3, 0, 1));
    let first = plan.due[0].item.id;
    s.review_problem(&step(first, RecheckPassed, None)).unwrap();
    let plan = s.recheck_plan(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!((plan.rechecked, plan.due.len()), (1, 0));
    // The share is the county's setting, as last synced.
    let share = |p| zoufang_model::settings::CountySettings { values: [("recheck_percent".to_string(), p)].into() };
    s.set_county_settings(&share(100)).unwrap();
    let plan = s.recheck_plan(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!(plan.due.len(), 2);
    let again = plan.due[0].item.id;
    assert_eq!(code(s.review_problem(&step(again, Reopened, None)).unwrap_err()), "closure_by_issuer");
    s.review_problem(&step(again, Reopened, Some("现场仍未整改"))).unwrap();
    let reopened: Rectification = s.get(again).unwrap().unwrap();
    assert_eq!((reopened.status, reopened.closed_on), (RectificationStatus::InProgress, None));
}

#[test]
fn the_exit_procedure_runs_through_every_office_and_again_after_a_relapse() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "王秀英");
    s.create(&h).unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    s.create(&visit(h.id, day(2))).unwrap();
    s.create(&HandbookEntry {
        id: Uuid::now_v7(),
        household_id: h.id,
        section: HandbookSection::Result,
        entry_date: day(2),
        title: "2025 年收支测算".into(),
        content: None,
        measure: None,
        amount_fen: None,
        income_calc: Some(IncomeCalc { year: 2025, household_size: 1, wage_fen: 10_000_000, ..Default::default() }),
        recorded_by: None,
    })
    .unwrap();
    let code = |e: StoreError| (e.code().to_string(), e.to_string());
    let decide = |s: &mut Store, step: ExitStep, on: u32, publicity: Option<(u32, u32)>| {
        let d = NewExitDecision {
            household_id: h.id,
            step,
            outcome: ExitOutcome::Passed,
            decided_on: day(on).to_string(),
            actor: "李娟".into(),
            evidence: Some("依据".into()),
            reason: None,
            publicity_start: publicity.map(|p| day(p.0).to_string()),
            publicity_end: publicity.map(|p| day(p.1).to_string()),
        };
        s.record_exit_decision(&d, day(20))
    };
    act_as(&mut s, Role::WorkTeam);
    decide(&mut s, ExitStep::Application, 2, None).unwrap();
    decide(&mut s, ExitStep::Verification, 2, None).unwrap();
    decide(&mut s, ExitStep::Review, 3, None).unwrap();
    // 公示 lasts the county's days: 7 by default, 10 where the county set it.
    let e = decide(&mut s, ExitStep::Publicity, 10, Some((4, 9))).unwrap_err();
    assert_eq!(code(e).0, "exit_step");
    let ten = zoufang_model::settings::CountySettings { values: [("publicity_days".to_string(), 10)].into() };
    s.set_county_settings(&ten).unwrap();
    assert!(code(decide(&mut s, ExitStep::Publicity, 13, Some((4, 12))).unwrap_err()).1.contains("不少于 10 天"));
    decide(&mut s, ExitStep::Publicity, 13, Some((4, 13))).unwrap();

    // The township's step, within its working days (5 from Friday the 13th: Friday the 20th).
    let detail = s.household_detail(h.id, day(23)).unwrap();
    let exit = &detail.exit;
    assert_eq!(exit.progress.next, Some(ExitStep::TownshipReview));
    assert_eq!((exit.next_by.as_deref(), exit.may_record_next), (Some("乡镇干部"), false));
    assert_eq!((exit.due_on, exit.overdue), (Some(day(20)), true));
    let (c, why) = code(decide(&mut s, ExitStep::TownshipReview, 16, None).unwrap_err());
    assert_eq!((c.as_str(), why.as_str()), ("exit_step", "「乡镇审核」由乡镇干部办理，驻村工作队员账号不能办理"));
    act_as(&mut s, Role::Township);
    assert!(s.household_detail(h.id, day(16)).unwrap().exit.may_record_next);
    decide(&mut s, ExitStep::TownshipReview, 16, None).unwrap();
    assert!(decide(&mut s, ExitStep::CountyDecision, 17, None).is_err(), "the county's step");
    act_as(&mut s, Role::County);
    let decision = decide(&mut s, ExitStep::CountyDecision, 17, None).unwrap();
    act_as(&mut s, Role::FirstSecretary);
    // The village cannot withdraw the county's decision: only the office that records a step may.
    let (c, why) = code(s.delete(Entity::ExitDecision, decision).unwrap_err());
    assert_eq!(
        (c.as_str(), why.as_str()),
        ("step_by_office", "「县级审定」的记录只能由县扶贫办撤销，第一书记账号不能撤销")
    );
    assert!(code(decide(&mut s, ExitStep::Closed, 18, None).unwrap_err()).1.contains("告知"));
    decide(&mut s, ExitStep::Notice, 18, None).unwrap();
    decide(&mut s, ExitStep::Closed, 18, None).unwrap();
    let detail = s.household_detail(h.id, day(20)).unwrap();
    assert_eq!((detail.household.status, detail.exit.progress.next), (HouseholdStatus::Exited, None));

    // It falls back, and applies to exit again: a new round of the same procedure.
    let relapse = NewStatusChange {
        household_id: h.id,
        procedure: StatusProcedure::Relapse,
        to_status: HouseholdStatus::Returned,
        decided_on: day(25).to_string(),
        actor: "李娟".into(),
        reason: Some("因病".into()),
        evidence: Some("入户核实".into()),
    };
    s.record_status_change(&relapse).unwrap();
    decide(&mut s, ExitStep::Application, 26, None).unwrap();
    let again = s.household_detail(h.id, day(26)).unwrap().exit;
    assert_eq!((again.progress.next, again.progress.passed.len()), (Some(ExitStep::Verification), 1));
}

#[test]
fn the_assessed_rates_against_hand_computed_figures() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let today = chrono::Local::now().date_naive();
    let ago = |d: i64| today - chrono::Duration::days(d);
    let mk = |s: &mut Store, no, head: &str, status| {
        let h = Household { status, exit_year: Some(2020), ..household(v.id, no, head) };
        s.create(&h).unwrap();
        h.id
    };
    use HouseholdStatus::*;
    let a = mk(&mut s, 1, "王一", Poor);
    let b = mk(&mut s, 2, "王二", Poor);
    let c = mk(&mut s, 3, "王三", Exited);
    let d = mk(&mut s, 4, "王四", Exited);
    let e = mk(&mut s, 5, "王五", Poor);
    let f = mk(&mut s, 6, "王六", Exited);
    let g = mk(&mut s, 7, "王七", Marginal);
    let visit_of = |h, kind, on, satisfaction| Visit { kind, satisfaction, ..visit(h, on) };
    s.create(&visit_of(a, VisitKind::SecretaryTour, today, Some(Satisfaction::Satisfied))).unwrap();
    s.create(&visit_of(b, VisitKind::Routine, today, Some(Satisfaction::Dissatisfied))).unwrap();
    s.create(&visit_of(c, VisitKind::Recheck, ago(400), None)).unwrap();
    s.create(&visit_of(d, VisitKind::Recheck, ago(10), None)).unwrap();
    // The county office corrects three households: 错评, 错退, 漏评.
    act_as(&mut s, Role::County);
    for (h, to, why) in [(e, Marginal, "错评：收入高于标准"), (f, Poor, "错退：未达退出标准"), (g, Poor, "漏评")]
    {
        let c = NewStatusChange {
            household_id: h,
            procedure: StatusProcedure::Correction,
            to_status: to,
            decided_on: today.to_string(),
            actor: "王主任".into(),
            reason: Some(why.into()),
            evidence: None,
        };
        s.record_status_change(&c).unwrap();
    }
    let r = s.report_assessment(today).unwrap();
    let village_line = &r.lines[0];
    assert_eq!((village_line.level.as_str(), village_line.name.as_str()), ("村", v.name.as_str()));
    let rate = |count, of| zoufang_model::assessment::Rate { count, of };
    assert_eq!(village_line.satisfaction, rate(1, 2));
    assert_eq!(village_line.wrong_entry, rate(1, 7), "six registered households and the one corrected out");
    assert_eq!(village_line.missed, rate(1, 6));
    assert_eq!(village_line.wrong_exit, rate(1, 3), "two exited and the one put back");
    assert_eq!(village_line.secretary_tour, rate(1, 4), "A toured; B, F and G not");
    assert_eq!(village_line.recheck_overdue, 1, "C's last 回头看 is 400 days old; D's 10");
    // The township and the county add up the one village.
    assert_eq!(r.lines.len(), 3);
    assert_eq!((r.lines[2].level.as_str(), r.lines[2].wrong_exit), ("县", rate(1, 3)));
    // The households behind the figures.
    let behind =
        |id| r.households.iter().filter(|x| x.household.id == id).map(|x| x.finding.clone()).collect::<Vec<_>>();
    assert!(matches!(
        behind(e)[..],
        [Finding::Corrected { correction: zoufang_model::assessment::CorrectionKind::WrongEntry, .. }]
    ));
    assert!(matches!(behind(b)[..], [Finding::Dissatisfied { .. }, Finding::NoSecretaryTour]));
    assert!(matches!(behind(c)[..], [Finding::RecheckDue { overdue: true, .. }]));
    assert!(behind(d).is_empty() && behind(a).is_empty());
}

#[test]
fn the_card_counts_in_the_population_check_only_where_the_county_uses_it() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = Household { card_population: Some(4), ..household(v.id, 1, "王秀英") };
    s.create(&h).unwrap();
    s.create(&visit(h.id, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())).unwrap();
    // 系统 3, 实际 3, 明白卡 4: listed, with the card's figure.
    let found = s.report_population().unwrap();
    assert_eq!((found.len(), found[0].card, found[0].system, found[0].actual), (1, Some(4), Some(3), Some(3)));
    // A county that abolished the card (seed 001): the card is not compared, nothing differs.
    let off = zoufang_model::settings::CountySettings { values: [("card_in_use".to_string(), 0)].into() };
    s.set_county_settings(&off).unwrap();
    assert!(s.report_population().unwrap().is_empty());
}

#[test]
fn a_check_in_is_verified_inside_the_radius_with_a_clock_that_was_right() {
    use chrono::Datelike;
    let mut s = Store::open_in_memory().unwrap();
    let v = Village { lat: Some(26.6680), lon: Some(108.3210), radius_m: Some(500), ..village() };
    s.create(&v).unwrap();
    // Three staff check in today: 300 m away, 2 km away, and with no position.
    s.check_in(v.id, "李娟", Some(26.6707), Some(108.3210)).unwrap();
    s.check_in(v.id, "王强", Some(26.6860), Some(108.3210)).unwrap();
    s.check_in(v.id, "张伟", None, None).unwrap();
    let now = chrono::Local::now().date_naive();
    let month = |s: &Store, who: &str| s.presence_month(v.id, who, now.year(), now.month(), now).unwrap();
    assert_eq!(month(&s, "李娟").checkins[0].inside, Some(true));
    assert_eq!(month(&s, "王强").checkins[0].inside, Some(false));
    assert_eq!(month(&s, "张伟").checkins[0].inside, None);
    assert_eq!(month(&s, "李娟").days_verified, 0, "the clock is not compared yet");
    // The next sync finds the clock 2 minutes off: within the county's 10 minutes.
    assert_eq!(s.stamp_presence_clock(120_000).unwrap(), 3);
    assert_eq!(s.stamp_presence_clock(0).unwrap(), 0, "each check-in is compared once");
    let cal = zoufang_model::calendar::WorkCalendar::national();
    let report = s.report_presence(now.year(), now.month(), &cal).unwrap();
    let counts: Vec<(&str, u32, u32)> =
        report.lines.iter().map(|l| (l.staff_name.as_str(), l.days_present, l.days_verified)).collect();
    assert_eq!(counts, vec![("张伟", 1, 0), ("李娟", 1, 1), ("王强", 1, 0)]);
    assert_eq!(month(&s, "李娟").days_verified, 1);
    // A county with a tolerance of one minute: the 2-minute clock no longer counts.
    let strict =
        zoufang_model::settings::CountySettings { values: [("clock_tolerance_minutes".to_string(), 1)].into() };
    s.set_county_settings(&strict).unwrap();
    assert_eq!(s.report_presence(now.year(), now.month(), &cal).unwrap().lines[1].days_verified, 0);
    // The calendar marks the month's days.
    let days_in_month = now.with_day(1).unwrap().iter_days().take_while(|d| d.month() == now.month()).count();
    assert_eq!(month(&s, "李娟").days.len(), days_in_month);
}

#[test]
fn members_join_and_leave_by_a_change_never_a_delete() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "王秀英");
    s.create(&h).unwrap();
    let change = |kind, member_id, member: Option<Map<String, Value>>, evidence: Option<&str>| NewMemberChange {
        household_id: h.id,
        kind,
        changed_on: "2026-11-10".into(),
        actor: "李娟".into(),
        evidence: evidence.map(str::to_string),
        member_id,
        member,
    };
    // A birth brings a member in, created with its change.
    let baby = patch(&[("name", json!("王小宝")), ("relation", json!("grandchild"))]);
    let id = s.record_member_change(&change(MemberChangeKind::Birth, None, Some(baby), None)).unwrap();
    let members = s.members_of(h.id).unwrap();
    assert_eq!((members.len(), members[0].member_change), (1, Some(id)));
    let baby = members[0].id;
    // Leaving needs evidence; a delete, a hand-set date or a second leaving is refused; nothing written.
    let before = changes(&s);
    let code = |e: StoreError| e.code().to_string();
    assert_eq!(code(s.delete(Entity::Member, baby).unwrap_err()), "member_by_procedure");
    let e = s.update(Entity::Member, baby, &patch(&[("left_on", json!("2026-11-11"))])).unwrap_err();
    assert_eq!(code(e), "member_by_procedure");
    let e = s.record_member_change(&change(MemberChangeKind::Death, Some(baby), None, None)).unwrap_err();
    assert!(e.to_string().contains("依据"), "{e}");
    assert_eq!(before, changes(&s));
    s.record_member_change(&change(MemberChangeKind::MoveOut, Some(baby), None, Some("户口迁移证明"))).unwrap();
    let e = s.record_member_change(&change(MemberChangeKind::Death, Some(baby), None, Some("死亡证明"))).unwrap_err();
    assert!(e.to_string().contains("已经离开"), "{e}");
    // Still on record, no longer counted from the day it left.
    let m = &s.members_of(h.id).unwrap()[0];
    assert_eq!(m.left_on, NaiveDate::from_ymd_opt(2026, 11, 10));
    assert!(zoufang_model::members::present_on(m, NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()));
    assert!(!zoufang_model::members::present_on(m, NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()));
    let digest: i64 = s
        .conn()
        .query_row("SELECT members FROM household_digest WHERE household_id = ?1", [crate::sql::uuid_blob(h.id)], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(digest, 0);
    let kinds: Vec<_> = s.member_changes_of(h.id).unwrap().iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [MemberChangeKind::Birth, MemberChangeKind::MoveOut]);
}

#[test]
fn helpers_come_from_the_register_and_their_visits_are_counted_per_person() {
    let mut s = Store::open_in_memory().unwrap();
    let v = village();
    s.create(&v).unwrap();
    let other = Village { id: Uuid::now_v7(), code: "520102001002".into(), name: "岩寨村".into(), ..village() };
    s.create(&other).unwrap();
    // Three households typed with two helpers (张伟 twice, with the same phone), one with no name.
    let mut hs = Vec::new();
    for (n, helper) in [(1, Some("张伟")), (2, Some("张伟")), (3, Some("李娟")), (4, None)] {
        let h = Household {
            helper_name: helper.map(str::to_string),
            helper_phone: helper.map(|_| Phone::parse("13912345678").unwrap()),
            ..household(v.id, n, "王秀英")
        };
        s.create(&h).unwrap();
        hs.push(h.id);
    }
    // The register is built from the typed names: one helper per name and phone, linked in one go;
    // running it again changes nothing.
    let linked = s.link_helpers(Some(v.id)).unwrap();
    assert_eq!((linked.created, linked.linked), (2, 3));
    assert_eq!(s.link_helpers(None).unwrap(), crate::HelpersLinked::default());
    let register = s.helpers(Some(v.id)).unwrap();
    let names: Vec<&str> = register.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["张伟", "李娟"], "by name");
    let zhang = register.iter().find(|h| h.name == "张伟").unwrap().id;
    let li = register.iter().find(|h| h.name == "李娟").unwrap().id;
    assert_eq!(s.household(hs[0]).unwrap().unwrap().helper_id, Some(zhang));
    assert_eq!(s.household(hs[1]).unwrap().unwrap().helper_id, Some(zhang));

    // A helper added by hand, then named for household 4: the register's name and phone are copied.
    let new = crate::NewHelper {
        village_id: v.id,
        name: "杨光".into(),
        phone: Some("13800001111".into()),
        unit: Some("县教育局".into()),
        post: None,
    };
    let yang = s.add_helper(&new).unwrap();
    s.assign_helper(hs[3], Some(yang)).unwrap();
    let h4 = s.household(hs[3]).unwrap().unwrap();
    assert_eq!((h4.helper_id, h4.helper_name.as_deref()), (Some(yang), Some("杨光")));
    // A helper of another village is refused, and a bad phone number with a Chinese reason.
    let elsewhere = s.add_helper(&crate::NewHelper { village_id: other.id, ..new.clone() }).unwrap();
    assert_eq!(s.assign_helper(hs[3], Some(elsewhere)).unwrap_err().code(), "helper_village");
    let bad = s.add_helper(&crate::NewHelper { phone: Some("12345".into()), ..new.clone() }).unwrap_err();
    assert!(bad.to_string().contains("电话") || bad.to_string().contains("手机"), "{bad}");

    // Visits: 张伟 visits household 1 on the 1st and the 20th, household 2 on the 2nd; 李娟 never
    // visits household 3; someone else visits household 3 without naming a helper. 30 days by default.
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    for (h, on, helper) in [(0, 1, Some(zhang)), (0, 20, Some(zhang)), (1, 2, Some(zhang)), (2, 21, None)] {
        s.create(&Visit { helper_id: helper, ..visit(hs[h], day(on)) }).unwrap();
    }
    let r = s.helper_report(Some(v.id), day(25)).unwrap();
    assert_eq!(r.every_days, 30);
    let line = |id: Uuid| r.helpers.iter().find(|l| l.helper.id == id).unwrap();
    assert_eq!(line(zhang).frequency, zoufang_model::helpers::Frequency { households: 2, visited: 2, visits: 3 });
    assert_eq!(line(li).frequency.visited, 0);
    assert_eq!(line(li).overdue.len(), 1, "a visit that names no helper does not count for 李娟");
    assert_eq!(r.total.households, 4);
    assert!(r.unlinked.is_empty());
    // The county shortens the interval to 14 days: household 2 (last visited on the 2nd) is overdue
    // from the 17th; the one visited on the 20th is due on 3 December.
    let fortnight = zoufang_model::settings::CountySettings { values: [("helper_visit_days".to_string(), 14)].into() };
    s.set_county_settings(&fortnight).unwrap();
    let r = s.helper_report(Some(v.id), day(25)).unwrap();
    let zhang_line = r.helpers.iter().find(|l| l.helper.id == zhang).unwrap();
    assert_eq!((zhang_line.frequency.visited, zhang_line.frequency.visits), (1, 1));
    assert_eq!(zhang_line.overdue.iter().map(|h| h.household_id).collect::<Vec<_>>(), [hs[1]]);
    assert_eq!(zhang_line.overdue[0].due_on, Some(day(16)));
    // A visit naming a helper of another village is refused.
    let nv = NewVisit {
        household_id: hs[0],
        kind: "routine".into(),
        visited_on: day(24).to_string(),
        visitor: "杨光".into(),
        helper_id: Some(elsewhere),
        basic_needs: BasicNeeds::default(),
        satisfaction: None,
        actual_population: None,
        notes: None,
        lat: None,
        lon: None,
        problems: vec![],
    };
    assert_eq!(s.record_visit(&nv).unwrap_err().code(), "helper_village");
    // Unlinking leaves the household among those with no helper of the register.
    s.assign_helper(hs[3], None).unwrap();
    let r = s.helper_report(None, day(25)).unwrap();
    assert_eq!(r.unlinked.iter().map(|h| h.household_id).collect::<Vec<_>>(), [hs[3]]);
}

#[test]
fn a_village_archive_holds_the_villages_documents_with_their_pages() {
    use zoufang_media::sample::{camera_jpeg, CameraExif};
    use zoufang_model::archive::DocState;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("zoufang.db")).unwrap();
    let v = village();
    s.create(&v).unwrap();
    let h = household(v.id, 1, "龙国富");
    s.create(&h).unwrap();
    // No measure yet: the four standing kinds are required, all missing.
    let a = s.village_archive(v.id).unwrap();
    let kinds: Vec<VillageArchiveKind> = a.items.iter().map(|i| i.kind).collect();
    use VillageArchiveKind::*;
    assert_eq!(kinds, [PolicyDocuments, PovertyLedger, ReviewRecords, Notices]);
    assert_eq!((a.missing, a.complete), (4, false));
    // A household gets a solar project: the project's papers become required too.
    s.create(&HandbookEntry {
        id: Uuid::now_v7(),
        household_id: h.id,
        section: HandbookSection::Measure,
        entry_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        title: "光伏".into(),
        content: None,
        measure: Some(MeasureKind::Solar),
        amount_fen: None,
        income_calc: None,
        recorded_by: None,
    })
    .unwrap();
    assert_eq!(s.village_archive(v.id).unwrap().missing, 7);
    // The notices are photographed, two pages; a microcredit file nobody required is kept too.
    let d = NewVillageDocument {
        village_id: v.id,
        kind: Notices,
        year: Some(2026),
        title: Some(" 退出公示 ".into()),
        note: None,
    };
    let notices = s.create_village_document(&d, Some("张伟")).unwrap();
    let shot = |seed| camera_jpeg(800, 600, seed, 85, &CameraExif::default());
    let p1 = s.import_photo(&shot(1), crate::PhotoTarget::VillageDocument(notices), Some("张伟")).unwrap();
    let p2 = s.import_photo(&shot(2), crate::PhotoTarget::VillageDocument(notices), Some("张伟")).unwrap();
    assert_eq!((p1.photo.page, p2.photo.page), (Some(1), Some(2)));
    assert_eq!((p1.photo.household_id, p1.photo.owner_kind), (None, PhotoOwner::VillageDocument));
    assert!(s.import_photo(&shot(1), crate::PhotoTarget::VillageDocument(notices), None).unwrap().duplicate);
    let extra = NewVillageDocument { kind: Microcredit, title: None, ..d.clone() };
    s.create_village_document(&extra, None).unwrap();
    let a = s.village_archive(v.id).unwrap();
    let item = a.items.iter().find(|i| i.kind == Notices).unwrap();
    assert_eq!((item.state, item.pages, item.pages_not_uploaded), (DocState::NotUploaded, 2, 2));
    assert_eq!(item.documents[0].document.title.as_deref(), Some("退出公示"));
    assert_eq!(item.documents[0].document.recorded_by.as_deref(), Some("张伟"));
    let last = a.items.last().unwrap();
    assert_eq!((last.kind, last.required, last.state), (Microcredit, false, DocState::Missing));
    assert_eq!(a.missing, 6);
    // Once the server has the pages, the notices are complete.
    for p in [&p1.photo, &p2.photo] {
        s.mark_uploaded(&p.hash).unwrap();
        s.mark_uploaded(&p.thumb_hash).unwrap();
    }
    let a = s.village_archive(v.id).unwrap();
    assert_eq!(a.items.iter().find(|i| i.kind == Notices).unwrap().state, DocState::Complete);
    assert_eq!(a.pages_not_uploaded, 0);
    // A document of a village that does not exist is refused.
    let nowhere = NewVillageDocument { village_id: Uuid::now_v7(), ..d };
    assert!(matches!(s.create_village_document(&nowhere, None), Err(StoreError::NotFound { .. })));
}
