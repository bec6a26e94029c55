//! Generated pushes from a hand-made device of every role (work team, first secretary, township,
//! inspector, county office, administrator), mixing record kinds, row ids of every kind and scope,
//! fields of the right kind and of others, values, bases, clocks (now, past, a little and far ahead,
//! extreme) and history links (right, missing, forged, repeated), plus new records placed under
//! parents of every kind. After each batch, against the server's own tables and a fresh pull by the
//! county office:
//! - nothing outside a device's role and scope was taken, and no entry is dated far ahead or unlinked;
//! - no row changed kind, and every conflict is readable exactly by those who read its record;
//! - every role's pull holds only what it may read;
//! - real devices of four roles, syncing after every batch, hold exactly what the county office's
//!   pull says they may read;
//! - every device's history chain is whole.

use super::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use zoufang_store::Store;
use zoufang_sync::chain::next_link;
use zoufang_sync::{Change, PullResponse};

/// A row: one the device's role may write inside its scope (most of the time), or any row at all.
#[derive(Debug, Clone)]
enum RowPick {
    Writable(Index),
    Any(Index),
}

/// The kind a change claims: the row's own (most of the time), or any.
#[derive(Debug, Clone)]
enum KindPick {
    OfRow,
    Any(Index),
}

#[derive(Debug, Clone)]
enum FieldPick {
    Own(Index),
    Deleted,
    Other(Index, Index),
    Nonsense,
}

#[derive(Debug, Clone)]
enum ValuePick {
    Stored,
    /// The same field's value on another record.
    Borrowed(Index),
    RowId(Index),
    Bool(bool),
    Text,
    Null,
    Huge,
}

#[derive(Debug, Clone)]
enum BasePick {
    None,
    Current,
    Stale(u8),
    Local,
}

#[derive(Debug, Clone)]
enum HlcPick {
    Now,
    BackHours(u16),
    AheadMinutes(u8),
    AheadDays(u16),
    Max,
    Zero,
}

#[derive(Debug, Clone)]
enum LinkPick {
    Right,
    Missing,
    Forged,
    Repeated,
}

#[derive(Debug, Clone)]
enum Op {
    Edit {
        kind: KindPick,
        row: RowPick,
        field: FieldPick,
        value: ValuePick,
        base: BasePick,
        hlc: HlcPick,
        link: LinkPick,
    },
    /// A new record of `entity` copied from an existing one, placed under a parent: a row of the kind
    /// the record hangs from, inside the device's scope (most of the time), or any row.
    Create { entity: Index, template: Index, parent: RowPick, hlc: HlcPick },
}

#[derive(Debug, Clone)]
struct Batch {
    actor: Index,
    ops: Vec<Op>,
}

fn hlc_pick() -> impl Strategy<Value = HlcPick> {
    prop_oneof![
        40 => Just(HlcPick::Now),
        2 => (1u16..72).prop_map(HlcPick::BackHours),
        2 => (1u8..50).prop_map(HlcPick::AheadMinutes),
        1 => (1u16..2000).prop_map(HlcPick::AheadDays),
        1 => Just(HlcPick::Max),
        1 => Just(HlcPick::Zero),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let field = prop_oneof![
        6 => any::<Index>().prop_map(FieldPick::Own),
        3 => Just(FieldPick::Deleted),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(e, f)| FieldPick::Other(e, f)),
        1 => Just(FieldPick::Nonsense),
    ];
    let value = prop_oneof![
        4 => Just(ValuePick::Stored),
        4 => any::<Index>().prop_map(ValuePick::Borrowed),
        2 => any::<Index>().prop_map(ValuePick::RowId),
        1 => any::<bool>().prop_map(ValuePick::Bool),
        1 => Just(ValuePick::Text),
        1 => Just(ValuePick::Null),
        1 => Just(ValuePick::Huge),
    ];
    let base = prop_oneof![
        3 => Just(BasePick::None),
        4 => Just(BasePick::Current),
        1 => any::<u8>().prop_map(BasePick::Stale),
        1 => Just(BasePick::Local),
    ];
    let link = prop_oneof![
        40 => Just(LinkPick::Right),
        1 => Just(LinkPick::Missing),
        1 => Just(LinkPick::Forged),
        1 => Just(LinkPick::Repeated),
    ];
    let kind = prop_oneof![6 => Just(KindPick::OfRow), 1 => any::<Index>().prop_map(KindPick::Any)];
    let row =
        || prop_oneof![3 => any::<Index>().prop_map(RowPick::Writable), 1 => any::<Index>().prop_map(RowPick::Any)];
    let edit = (kind, row(), field, value, base, hlc_pick(), link)
        .prop_map(|(kind, row, field, value, base, hlc, link)| Op::Edit { kind, row, field, value, base, hlc, link });
    let create = (any::<Index>(), any::<Index>(), row(), hlc_pick())
        .prop_map(|(entity, template, parent, hlc)| Op::Create { entity, template, parent, hlc });
    prop_oneof![4 => edit, 1 => create]
}

fn batches() -> impl Strategy<Value = Vec<Batch>> {
    let batch = (any::<Index>(), proptest::collection::vec(op(), 1..9)).prop_map(|(actor, ops)| Batch { actor, ops });
    proptest::collection::vec(batch, 1..4)
}

/// A hand-made device and what its role and scope allow.
struct Actor {
    role: Role,
    scope: Scope,
    device: RawDevice,
}

/// A real device that only syncs: it must end up holding exactly what it may read.
struct Reader {
    role: Role,
    scope: Scope,
    store: Store,
}

/// What the server holds, read back after each batch.
struct Snapshot {
    /// Row → (kind, village), from the server's own placement.
    places: HashMap<Uuid, (Entity, Uuid)>,
    /// Every row, in a fixed order (plus a few new ids each batch).
    pool: Vec<(Entity, Uuid)>,
    /// (row, field) → (value, log position) of live fields.
    live: HashMap<(Uuid, String), (Value, u64)>,
    /// Field → values it holds somewhere, for borrowing.
    values: HashMap<String, Vec<Value>>,
    codes: HashMap<Uuid, String>,
}

fn snapshot(server: &TestServer) -> Snapshot {
    let mut places = HashMap::new();
    let mut pool = Vec::new();
    for r in server.sql("SELECT row_id, entity, village_id FROM row_scope ORDER BY row_id", &[]) {
        let e = Entity::parse(r[1].text()).expect("stored kind");
        places.insert(r[0].id(), (e, r[2].id()));
        pool.push((e, r[0].id()));
    }
    for e in [Entity::Household, Entity::Member, Entity::Photo] {
        pool.push((e, Uuid::now_v7()));
    }
    let mut live = HashMap::new();
    let mut values: HashMap<String, Vec<Value>> = HashMap::new();
    for r in server.sql("SELECT row_id, field, value, seq FROM change_log WHERE live ORDER BY seq", &[]) {
        let v: Value = serde_json::from_str(r[2].text()).expect("stored JSON");
        values.entry(r[1].text().to_string()).or_default().push(v.clone());
        live.insert((r[0].id(), r[1].text().to_string()), (v, r[3].int() as u64));
    }
    let codes = server.sql("SELECT village_id, code FROM village_scope", &[]);
    let codes = codes.into_iter().map(|r| (r[0].id(), r[1].text().to_string())).collect();
    Snapshot { places, pool, live, values, codes }
}

impl Snapshot {
    fn inside(&self, scope: &Scope, village: Uuid) -> bool {
        scope.contains(village, self.codes.get(&village).map_or("", String::as_str))
    }

    /// The kind a conflict is about, as the server wrote it.
    fn subject(&self, conflict: Uuid) -> Option<Entity> {
        self.live.get(&(conflict, "entity".into())).and_then(|(v, _)| v.as_str().and_then(Entity::parse))
    }

    /// Whether a role in a scope may read this row (for a conflict, also the record it is about).
    fn readable(&self, role: Role, scope: &Scope, row: Uuid) -> bool {
        let Some((entity, village)) = self.places.get(&row) else { return false };
        role.can_read(*entity)
            && self.inside(scope, *village)
            && (*entity != Entity::Conflict || self.subject(row).is_some_and(|s| role.can_read(s)))
    }
}

fn dated(c: &mut Change, pick: &HlcPick) {
    let now = zoufang_sync::hlc::now_ms();
    c.hlc = match pick {
        HlcPick::Now => c.hlc,
        HlcPick::BackHours(h) => Hlc::new(now - u64::from(*h) * 3_600_000, 0),
        HlcPick::AheadMinutes(m) => Hlc::new(now + u64::from(*m) * 60_000, 0),
        HlcPick::AheadDays(d) => Hlc::new(now + u64::from(*d) * 86_400_000, 0),
        HlcPick::Max => Hlc(u64::MAX),
        HlcPick::Zero => Hlc(0),
    };
}

/// The changes of one batch, linked as each op says; the link the history reaches if all is taken.
fn build(actor: &mut Actor, snap: &mut Snapshot, ops: &[Op]) -> (Vec<Change>, zoufang_sync::chain::Link) {
    let mut changes: Vec<(Change, LinkPick)> = Vec::new();
    for op in ops {
        match op {
            Op::Edit { kind, row, field, value, base, hlc, link } => {
                let writable: Vec<(Entity, Uuid)> = snap
                    .pool
                    .iter()
                    .filter(|(e, r)| actor.role.can_write(*e) && snap.readable(actor.role, &actor.scope, *r))
                    .copied()
                    .collect();
                let (of_row, row) = match row {
                    RowPick::Writable(i) if !writable.is_empty() => *i.get(&writable),
                    RowPick::Writable(i) | RowPick::Any(i) => *i.get(&snap.pool),
                };
                let entity = match kind {
                    KindPick::OfRow => of_row,
                    KindPick::Any(i) => *i.get(Entity::ALL),
                };
                let field = match field {
                    FieldPick::Own(i) => i.get(entity.fields()).name.to_string(),
                    FieldPick::Deleted => "deleted".to_string(),
                    FieldPick::Other(e, i) => i.get(e.get(Entity::ALL).fields()).name.to_string(),
                    FieldPick::Nonsense => "no_such_field".to_string(),
                };
                let stored = snap.live.get(&(row, field.clone())).cloned();
                let value = match value {
                    // The tombstone: delete a live record, restore a deleted one.
                    ValuePick::Stored | ValuePick::Borrowed(_) if field == "deleted" => {
                        json!(stored.as_ref().is_none_or(|s| s.0 != json!(true)))
                    }
                    ValuePick::Stored => stored.as_ref().map_or(Value::Null, |s| s.0.clone()),
                    ValuePick::Borrowed(i) => snap.values.get(&field).map_or(Value::Null, |vs| i.get(vs).clone()),
                    ValuePick::RowId(i) => json!(i.get(&snap.pool).1.to_string()),
                    ValuePick::Bool(b) => json!(b),
                    ValuePick::Text => json!("生成的修改"),
                    ValuePick::Null => Value::Null,
                    ValuePick::Huge => json!("长".repeat(6000)),
                };
                let base = match base {
                    BasePick::None => None,
                    BasePick::Current => stored.map(|s| Version::Seq(s.1)),
                    BasePick::Stale(n) => Some(Version::Seq(u64::from(*n) + 1)),
                    BasePick::Local => Some(Version::Local(Uuid::now_v7())),
                };
                let mut c = actor.device.change(entity, row, &field, value, base);
                dated(&mut c, hlc);
                changes.push((c, link.clone()));
            }
            Op::Create { entity, template, parent, hlc } => {
                let entity = *entity.get(Entity::ALL);
                let templates: Vec<Uuid> = snap.pool.iter().filter(|(e, _)| *e == entity).map(|r| r.1).collect();
                if templates.is_empty() {
                    continue;
                }
                let template = *template.get(&templates);
                let parent_kind = match entity.scope_via() {
                    zoufang_model::ScopeVia::Household(_) => Entity::Household,
                    _ => Entity::Village,
                };
                let fitting: Vec<Uuid> = snap
                    .pool
                    .iter()
                    .filter(|(e, r)| *e == parent_kind && snap.readable(actor.role, &actor.scope, *r))
                    .map(|r| r.1)
                    .collect();
                let parent = match parent {
                    RowPick::Writable(i) if !fitting.is_empty() => *i.get(&fitting),
                    RowPick::Writable(i) | RowPick::Any(i) => i.get(&snap.pool).1,
                };
                let mut fields = serde_json::Map::new();
                for def in entity.fields() {
                    if let Some((v, _)) = snap.live.get(&(template, def.name.to_string())) {
                        fields.insert(def.name.to_string(), v.clone());
                    }
                }
                let id = Uuid::now_v7();
                for (i, (f, mut v)) in zoufang_model::schema::creation_order(entity, &fields).into_iter().enumerate() {
                    if i == 0 && entity != Entity::Village {
                        v = json!(parent.to_string());
                    }
                    let mut c = actor.device.change(entity, id, f, v, None);
                    if i == 0 {
                        dated(&mut c, hlc);
                    }
                    changes.push((c, LinkPick::Right));
                }
                snap.pool.push((entity, id));
            }
        }
    }
    let mut link = actor.device.link;
    let mut out = Vec::with_capacity(changes.len());
    for (mut c, pick) in changes {
        match pick {
            LinkPick::Right => {
                link = next_link(&link, &c);
                c.chain = Some(to_hex(&link));
            }
            LinkPick::Missing => c.chain = None,
            LinkPick::Forged => c.chain = Some(to_hex(&[0x5a; 32])),
            LinkPick::Repeated => c.chain = Some(to_hex(&link)),
        }
        out.push(c);
    }
    (out, link)
}

fn pull_all(client: &Client) -> Result<Vec<PullResponse>, SyncError> {
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let (page, _) = client.pull(after, 5000)?;
        let more = page.more;
        after = page.cursor;
        pages.push(page);
        if !more {
            return Ok(pages);
        }
    }
}

fn check(server: &TestServer, actors: &[Actor], readers: &mut [Reader]) -> Result<(), TestCaseError> {
    let snap = snapshot(server);
    // No row changes kind; every entry has a place.
    let misplaced = server.sql_int(
        "SELECT count(*) FROM change_log c LEFT JOIN row_scope r ON r.row_id = c.row_id \
         WHERE r.row_id IS NULL OR r.entity <> c.entity",
        &[],
    );
    prop_assert_eq!(misplaced, 0, "log entries whose row has another kind or no place");
    // Conflicts are marked with the kind of their record.
    for r in server.sql("SELECT row_id, about FROM change_log WHERE entity = 'conflict'", &[]) {
        let about = match &r[1] {
            Sql::Text(t) => Entity::parse(t),
            _ => None,
        };
        prop_assert_eq!(about, snap.subject(r[0].id()), "conflict {} marked for the wrong readers", r[0].id());
    }
    // What each hand-made device got taken lies inside its role and scope, dated sanely, linked.
    for a in actors {
        for r in server.sql(
            "SELECT entity, village_id, hlc, received_at, chain IS NULL, row_id FROM change_log WHERE device = $1",
            &[Sql::Id(a.device.id)],
        ) {
            let entity = Entity::parse(r[0].text()).unwrap();
            prop_assert!(a.role.can_write(entity), "{} wrote {:?}", a.role, entity);
            prop_assert!(snap.inside(&a.scope, r[1].id()), "{} wrote outside {}", a.role, a.scope);
            prop_assert!(snap.readable(a.role, &a.scope, r[5].id()), "{} wrote a record it cannot read", a.role);
            prop_assert!(Hlc(r[2].int() as u64).wall_ms() as i64 <= r[3].int() + 3_600_000, "dated ahead");
            prop_assert_eq!(r[4].int(), 0, "an unlinked change was taken");
        }
    }
    // Every role's pull holds only what it may read.
    for a in actors {
        match pull_all(&a.device.client) {
            Ok(pages) => {
                for row in pages.iter().flat_map(|p| &p.rows) {
                    prop_assert_eq!(snap.places.get(&row.row).map(|p| p.0), Some(row.entity));
                    if !snap.readable(a.role, &a.scope, row.row) {
                        let entries = server.sql(
                            "SELECT field, about, device, seq, live FROM change_log WHERE row_id = $1 ORDER BY seq",
                            &[Sql::Id(row.row)],
                        );
                        let served: Vec<(&String, u64)> = row.fields.iter().map(|f| (&f.0, f.2)).collect();
                        return Err(TestCaseError::fail(format!(
                            "{} received {:?} {} (about {:?}, in {:?}): fields {served:?}; entries {entries:?}",
                            a.role,
                            row.entity,
                            row.row,
                            snap.subject(row.row),
                            snap.places.get(&row.row)
                        )));
                    }
                }
            }
            Err(e) => {
                let (status, _, _) = server_error(e);
                prop_assert_eq!((a.role, status), (Role::Admin, 403));
            }
        }
    }
    // Real devices converge on exactly what they may read, as the county office's fresh pull shows it.
    let county = actors.iter().find(|a| a.role == Role::County).expect("a county office");
    let mut truth: HashMap<Uuid, (Entity, HashMap<String, Value>)> = HashMap::new();
    for page in pull_all(&county.device.client).map_err(|e| TestCaseError::fail(e.to_string()))? {
        for row in page.rows {
            let entry = truth.entry(row.row).or_insert_with(|| (row.entity, HashMap::new()));
            for f in row.fields {
                entry.1.insert(f.0, f.1);
            }
        }
    }
    for reader in readers.iter_mut() {
        zoufang_client::sync(&mut reader.store).map_err(|e| TestCaseError::fail(format!("{}: {e}", reader.role)))?;
        let mut expected: HashMap<Entity, usize> = HashMap::new();
        for (row, (entity, fields)) in &truth {
            if !snap.readable(reader.role, &reader.scope, *row) {
                continue;
            }
            *expected.entry(*entity).or_default() += 1;
            let held = reader.store.row(*entity, *row).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let Some(held) = held else {
                return Err(TestCaseError::fail(format!("{} lacks {entity:?} {row}", reader.role)));
            };
            for (field, value) in fields {
                let mine = if field == "deleted" {
                    Value::Bool(held.deleted)
                } else {
                    held.fields.get(field).cloned().unwrap_or(Value::Null)
                };
                let want = if field == "deleted" { Value::Bool(value == &Value::Bool(true)) } else { value.clone() };
                prop_assert_eq!(&mine, &want, "{} holds {:?} {}.{} differently", reader.role, entity, row, field);
            }
        }
        for entity in Entity::ALL {
            let held: i64 = reader
                .store
                .conn()
                .query_row(&format!("SELECT count(*) FROM {}", entity.ident()), [], |r| r.get(0))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let want = expected.get(entity).copied().unwrap_or(0) as i64;
            prop_assert_eq!(held, want, "{} holds {} {:?} records, may read {}", reader.role, held, entity, want);
        }
    }
    // Every history chain is whole.
    for report in server.storage.audit().map_err(|e| TestCaseError::fail(e.to_string()))? {
        prop_assert!(report.problem.is_none(), "{}: {:?}", report.name, report.problem);
    }
    Ok(())
}

#[test]
fn generated_pushes_from_every_role_never_break_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let w: World = seed(&server);
    field_work(&server, dir.path(), w.a, "a");
    field_work(&server, dir.path(), w.t, "t");
    inspections(&server, dir.path(), COUNTY, &[w.a, w.b, w.t]);
    let roles = [
        (Role::WorkTeam, Scope::Village(w.a)),
        (Role::FirstSecretary, Scope::Village(w.a)),
        (Role::Township, Scope::Township(TOWNSHIP_OF_A.into())),
        (Role::Inspector, Scope::County(COUNTY.into())),
        (Role::County, Scope::County(COUNTY.into())),
        (Role::Admin, Scope::County(COUNTY.into())),
    ];
    let actors: Vec<Actor> = roles
        .iter()
        .map(|(role, scope)| Actor {
            role: *role,
            scope: scope.clone(),
            device: RawDevice::enrol(&server, role.label(), scope, *role),
        })
        .collect();
    let mut readers: Vec<Reader> = roles[..5]
        .iter()
        .filter(|(role, _)| *role != Role::FirstSecretary)
        .map(|(role, scope)| {
            let path = dir.path().join(format!("reader-{}.db", role.ident()));
            let store = server.device_as(&path, "同步平板", scope.clone(), *role);
            Reader { role: *role, scope: scope.clone(), store }
        })
        .collect();
    check(&server, &actors, &mut readers).expect("the world starts sound");

    let cases = std::env::var("ZOUFANG_HOSTILE_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 32, ..Config::default() };
    let mut runner = TestRunner::new(config);
    // (changes taken, changes refused one by one, batches refused whole)
    let tally = std::cell::Cell::new((0usize, 0usize, 0usize));
    let state = std::cell::RefCell::new((actors, readers));
    let outcome = runner.run(&batches(), |batches| {
        let mut guard = state.borrow_mut();
        let (actors, readers) = &mut *guard;
        for batch in batches {
            let actor = batch.actor.index(actors.len());
            let mut snap = snapshot(&server);
            let (changes, link) = build(&mut actors[actor], &mut snap, &batch.ops);
            let before = server.log_len();
            let (mut taken, mut one_by_one, mut whole) = tally.get();
            match actors[actor].device.push_as_is(changes, link) {
                Ok(r) => {
                    taken += r.results.iter().filter(|x| x.status != Status::Rejected).count();
                    one_by_one += r.results.iter().filter(|x| x.status == Status::Rejected).count();
                }
                Err(e) => {
                    let (status, code, message) = server_error(e);
                    prop_assert!(
                        matches!(
                            (status, code.as_str()),
                            (409, "history_mismatch" | "clock_ahead" | "clock_backwards")
                        ),
                        "{} {}: {}",
                        status,
                        code,
                        message
                    );
                    prop_assert_eq!(server.log_len(), before, "a refused batch left entries");
                    whole += 1;
                }
            }
            tally.set((taken, one_by_one, whole));
            check(&server, actors, readers)?;
        }
        Ok(())
    });
    let (taken, one_by_one, whole) = tally.get();
    let over_inspections =
        server.sql_int("SELECT count(DISTINCT row_id) FROM change_log WHERE about = 'inspection'", &[]);
    eprintln!(
        "generated pushes: {taken} changes taken, {one_by_one} refused one by one, {whole} batches refused whole; \
         {over_inspections} conflicts over inspections"
    );
    if let Err(e) = outcome {
        panic!("{e}");
    }
    assert!(taken > 0 && one_by_one > 0 && whole > 0, "the generator exercised every outcome");
}
