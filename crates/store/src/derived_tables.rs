//! The derived tables (`household_digest`, `household_search`, kept in the same transaction as every
//! write and pull: new records by `crate::derived`, edits by triggers) against what computing them from the records gives, after any
//! mix of pulls (pages cut anywhere, several in one transaction or one each) and local writes: records
//! arriving a few fields at a time, members and visits before their household, deletions and
//! restorations, edits in the same transaction as the insert, the same record twice in a row (one
//! statement), records older than others already written (an upsert rather than a plain insert). A record's household never changes (the
//! schema makes it immutable), and a new record comes with its required household and date.

use crate::Store;
use proptest::prelude::*;
use rusqlite::types::Value as SqlValue;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;
use zoufang_model::Entity;
use zoufang_sync::{FieldValue, PullResponse, RowDelta};

#[derive(Debug, Clone)]
enum Op {
    /// A pulled delta: a record (kind, number) and some of its fields (by index, with a value
    /// choice); `twice` sends the same fields again right after, with other values (the record twice
    /// in one statement); `cut` ends the page, `commit` the transaction, after it.
    Pull { kind: u8, n: u8, fields: Vec<(u8, u8)>, twice: bool, cut: bool, commit: bool },
    /// A local write to a member (as the app's own writes: the triggers, no pull).
    Local { n: u8, deleted: bool },
}

const KINDS: [Entity; 4] = [Entity::Household, Entity::Member, Entity::Visit, Entity::HandbookEntry];

fn id(kind: u8, n: u8) -> Uuid {
    Uuid::from_u128(u128::from(kind + 1) << 64 | u128::from(n))
}

/// A field of record `n` of `kind` and a value for it: few values, so that households share them.
/// A record's household never changes (the schema makes it immutable), but it may arrive after
/// the record's other fields.
fn field(kind: Entity, n: u8, f: u8, v: u8) -> (&'static str, Value) {
    let household = json!(id(0, n % 3).to_string());
    let date = json!(["2026-03-01", "2026-05-09", "2026-05-10"][usize::from(v % 3)]);
    let names = ["王秀英", "李秀兰", "张建国"];
    let pick = |of: &[&'static str]| of[usize::from(f) % of.len()];
    match kind {
        Entity::Household => match pick(&["household_no", "head_name", "head_id_number", "status", "deleted"]) {
            "household_no" => ("household_no", json!(format!("52010200100100{v}"))),
            "head_name" => ("head_name", json!(names[usize::from(v % 3)])),
            "head_id_number" => {
                ("head_id_number", json!(["52010219900101002X", "520102198501010031"][usize::from(v % 2)]))
            }
            "status" => ("status", json!(["poor", "exited"][usize::from(v % 2)])),
            _ => ("deleted", json!(v.is_multiple_of(4))),
        },
        Entity::Member => match pick(&["household_id", "name", "id_number", "deleted", "left_on"]) {
            "household_id" => ("household_id", household),
            "name" => ("name", json!(names[usize::from(v % 3)])),
            "id_number" => ("id_number", if v.is_multiple_of(3) { Value::Null } else { json!("52010219900101002X") }),
            "deleted" => ("deleted", json!(v.is_multiple_of(4))),
            _ => ("left_on", if v.is_multiple_of(2) { Value::Null } else { date }),
        },
        Entity::Visit => match pick(&["household_id", "visited_on", "basic_needs", "actual_population", "deleted"]) {
            "household_id" => ("household_id", household),
            "visited_on" => ("visited_on", date),
            "basic_needs" => ("basic_needs", json!({"food": v.is_multiple_of(2)})),
            "actual_population" => ("actual_population", json!(v)),
            _ => ("deleted", json!(v.is_multiple_of(4))),
        },
        _ => match pick(&["household_id", "entry_date", "income_calc", "deleted"]) {
            "household_id" => ("household_id", household),
            "entry_date" => ("entry_date", date),
            "income_calc" => ("income_calc", json!({"year": 2025 + u32::from(v % 2), "net": v})),
            _ => ("deleted", json!(v.is_multiple_of(4))),
        },
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            0u8..4,
            0u8..4,
            proptest::collection::vec((0u8..5, 0u8..6), 1..6),
            proptest::bool::weighted(0.2),
            any::<bool>(),
            proptest::bool::weighted(0.2)
        )
            .prop_map(|(kind, n, fields, twice, cut, commit)| Op::Pull { kind, n, fields, twice, cut, commit }),
        1 => (0u8..4, any::<bool>()).prop_map(|(n, deleted)| Op::Local { n, deleted }),
    ]
}

/// Applies the ops: pulled deltas in pages, pages in transactions, local writes between them.
/// The fields a record's first delta always carries (those a new record cannot lack: its household and
/// its date), as indexes for [`field`].
fn required(kind: Entity) -> &'static [u8] {
    match kind {
        Entity::Member => &[0],
        Entity::Visit => &[0, 1],
        Entity::HandbookEntry => &[0, 1],
        _ => &[],
    }
}

fn run(s: &mut Store, ops: &[Op]) {
    let (mut pages, mut rows, mut seq): (Vec<PullResponse>, Vec<RowDelta>, u64) = (vec![], vec![], 0);
    let mut seen = std::collections::HashSet::new();
    let flush_page = |pages: &mut Vec<PullResponse>, rows: &mut Vec<RowDelta>, seq: u64| {
        if !rows.is_empty() {
            let rows = std::mem::take(rows);
            pages.push(PullResponse { rows, cursor: seq, more: true, head: seq, max_hlc: Default::default() });
        }
    };
    for op in ops {
        match op {
            Op::Pull { kind, n, fields, twice, cut, commit } => {
                let entity = KINDS[usize::from(*kind)];
                let first = if seen.insert((*kind, *n)) { required(entity) } else { &[] };
                for other in [0, 1].into_iter().take(if *twice { 2 } else { 1 }) {
                    let fields = first
                        .iter()
                        .map(|&f| (f, 0))
                        .chain(fields.iter().copied())
                        .map(|(f, v)| {
                            seq += 1;
                            let (name, value) = field(entity, *n, f, v + other);
                            FieldValue(name.into(), value, seq)
                        })
                        .collect();
                    rows.push(RowDelta { entity, row: id(*kind, *n), fields });
                }
                if *cut || *commit {
                    flush_page(&mut pages, &mut rows, seq);
                }
                if *commit {
                    s.apply_pulls(&std::mem::take(&mut pages)).unwrap();
                }
            }
            Op::Local { n, deleted } => {
                flush_page(&mut pages, &mut rows, seq);
                s.apply_pulls(&std::mem::take(&mut pages)).unwrap();
                // As the store writes a record: a new one's derived rows added after it (`crate::derived`).
                crate::derived::inserting(s.conn(), Entity::Member, || {
                    Ok(s.conn().execute(
                        "INSERT INTO member(id, household_id, name, deleted) VALUES (?1, ?2, '本机', ?3)
                         ON CONFLICT(id) DO UPDATE SET household_id = excluded.household_id, deleted = excluded.deleted",
                        rusqlite::params![id(1, *n).as_bytes().to_vec(), id(0, *n % 3).as_bytes().to_vec(), deleted],
                    )?)
                })
                .unwrap();
            }
        }
    }
    flush_page(&mut pages, &mut rows, seq);
    s.apply_pulls(&pages).unwrap();
}

type Rows = BTreeMap<Vec<u8>, Vec<SqlValue>>;

/// Rows by household, leaving out those that say nothing (a row with nothing in it reads as none).
fn rows(s: &Store, sql: &str, empty: &[SqlValue]) -> Rows {
    let mut stmt = s.conn().prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, (1..n).map(|i| r.get(i)).collect::<rusqlite::Result<Vec<SqlValue>>>()?))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .filter(|(_, v)| v != empty)
    .collect()
}

/// A digest row that says nothing: no visit, no calculation, no member.
const EMPTY_DIGEST: [SqlValue; 8] = [
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Null,
    SqlValue::Integer(0),
];

/// A search row that says nothing: no household (so deleted), no text.
fn empty_search() -> [SqlValue; 6] {
    let text = || SqlValue::Text(String::new());
    [SqlValue::Null, SqlValue::Null, SqlValue::Null, SqlValue::Integer(1), text(), text()]
}

const MEMBER_TEXT: &str = "upper(coalesce(m.name, '') || char(31) || coalesce(m.id_number, '') || char(31))";

fn digest(s: &Store) -> Rows {
    rows(
        s,
        "SELECT household_id, visit_id, visited_on, basic_needs, actual_population, calc_id, calc_key, income_calc, members
         FROM household_digest",
        &EMPTY_DIGEST,
    )
}

/// The digest as the records say: the latest live visit (by date, then id), the latest live
/// calculation (by year and date, then id), the live members still in the household.
fn digest_of_records(s: &Store) -> Rows {
    rows(
        s,
        "WITH h(id) AS (SELECT household_id FROM member UNION SELECT household_id FROM visit
                        UNION SELECT household_id FROM handbook_entry)
         SELECT h.id, v.id, v.visited_on, v.basic_needs, v.actual_population, c.id, c.k, c.income_calc,
                (SELECT count(*) FROM member WHERE household_id = h.id AND deleted = 0 AND left_on IS NULL)
         FROM h
         LEFT JOIN visit v ON v.id = (SELECT id FROM visit WHERE household_id = h.id AND deleted = 0
                                      AND visited_on IS NOT NULL ORDER BY visited_on DESC, id DESC LIMIT 1)
         LEFT JOIN (SELECT id, income_calc, json_extract(income_calc, '$.year') * 100000000
                           + CAST(replace(entry_date, '-', '') AS INTEGER) AS k FROM handbook_entry) c
           ON c.id = (SELECT id FROM handbook_entry WHERE household_id = h.id AND deleted = 0
                      AND income_calc IS NOT NULL
                      ORDER BY json_extract(income_calc, '$.year') * 100000000
                               + CAST(replace(entry_date, '-', '') AS INTEGER) DESC, id DESC LIMIT 1)
         WHERE h.id IS NOT NULL",
        &EMPTY_DIGEST,
    )
}

fn search(s: &Store) -> Rows {
    rows(
        s,
        "SELECT household_id, village_id, household_no, status, deleted, head, members FROM household_search",
        &empty_search(),
    )
}

/// The search table as the records say: a household's values, its live members' text in the order
/// they were inserted; a household only members name, as deleted.
fn search_of_records(s: &Store) -> Rows {
    let members = format!(
        "(SELECT coalesce(group_concat({MEMBER_TEXT}, '' ORDER BY m.rowid), '') FROM member m
          WHERE m.household_id = x.id AND m.deleted = 0)"
    );
    rows(
        s,
        &format!(
            "SELECT x.id, h.village_id, h.household_no, h.status, coalesce(h.deleted, 1),
                    CASE WHEN h.id IS NULL THEN '' ELSE upper(coalesce(h.household_no, '') || char(31)
                      || coalesce(h.head_name, '') || char(31) || coalesce(h.head_id_number, '') || char(31)) END,
                    {members}
             FROM (SELECT id FROM household UNION SELECT household_id FROM member WHERE household_id IS NOT NULL) x
             LEFT JOIN household h ON h.id = x.id"
        ),
        &empty_search(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn the_derived_tables_are_what_the_records_say(ops in proptest::collection::vec(op(), 1..40)) {
        let mut s = Store::open_in_memory().unwrap();
        // Members and visits before their household, as pages may bring them.
        s.conn().pragma_update(None, "foreign_keys", "OFF").unwrap();
        run(&mut s, &ops);
        prop_assert_eq!(digest(&s), digest_of_records(&s));
        prop_assert_eq!(search(&s), search_of_records(&s));
    }
}
