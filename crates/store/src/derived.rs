//! What new records add to the derived tables: `household_digest` (each household's latest visit,
//! latest income calculation and member count, read by the office reports) and `household_search`
//! (the household list's text, schema/device/0017).
//!
//! Rules:
//! - Whoever inserts records of a kind notes the table's largest rowid first ([`mark`]) and calls
//!   [`add_new`] with it after, in the same transaction: a pull after each statement (or several) of
//!   new records, a local write after the one record it inserts. Records are never deleted from a
//!   device (only marked deleted; a wipe empties the derived tables too), so a new record's rowid is
//!   larger than any before it, and "rowid above the mark" is exactly "inserted since".
//! - A record inserted and then changed before [`add_new`] runs would be counted twice (the update
//!   triggers make its household's rows again from the records, then [`add_new`] adds it): the pull
//!   never writes a record twice between a mark and its [`add_new`].
//! - The statements give what the former insert triggers gave record by record: a later visit wins by
//!   date, then id (visits and calculations go through the new records in insertion order, one
//!   household row at a time); members are counted and their text appended in the order they arrived
//!   (new members are gathered by household first, their text in arrival order, and each household's
//!   rows are written once: 3.5 members a household on a county's first sync, a third less time).
//!   Gathering visits the same way (the newest first, by a window) took as long as the upserts.
//!
//! Why here and not in insert triggers (schema/device/0018): a trigger on a table makes SQLite keep a
//! statement journal for every multi-row insert into it and run the trigger's program once a record;
//! a county's initial sync spent a third of its writing thread there.

use crate::error::Result;
use rusqlite::Connection;
use zoufang_model::Entity;

/// The largest rowid of `entity`'s table now (0 when empty): [`add_new`] takes the records above it.
pub(crate) fn mark(conn: &Connection, entity: Entity) -> Result<i64> {
    let sql = format!("SELECT coalesce(max(rowid), 0) FROM {}", entity.ident());
    Ok(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0))?)
}

/// Runs `insert` (statements that may insert records of `entity`), then adds what the records it
/// inserted contribute: [`mark`] before, [`add_new`] after.
pub(crate) fn inserting<T>(conn: &Connection, entity: Entity, insert: impl FnOnce() -> Result<T>) -> Result<T> {
    if !derives(entity) {
        return insert();
    }
    let before = mark(conn, entity)?;
    let out = insert()?;
    add_new(conn, entity, before)?;
    Ok(out)
}

/// Whether records of `entity` contribute to a derived table (whether [`add_new`] does anything).
pub(crate) fn derives(entity: Entity) -> bool {
    !statements(entity).is_empty()
}

/// Adds what the records of `entity` inserted after `mark` (their rowid is larger) contribute.
pub(crate) fn add_new(conn: &Connection, entity: Entity, mark: i64) -> Result<()> {
    for sql in statements(entity) {
        conn.prepare_cached(sql)?.execute([mark])?;
    }
    Ok(())
}

/// The statements for the new records of a kind; `?1` is the mark.
fn statements(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Household => &[HOUSEHOLD_SEARCH],
        Entity::Member => &[MEMBER_SEARCH, MEMBER_DIGEST],
        Entity::Visit => &[VISIT_DIGEST],
        Entity::HandbookEntry => &[CALC_DIGEST],
        _ => &[],
    }
}

/// A new household's row in the list: its own values (a member that came first made the row, marked
/// deleted, with the member's text; that text stays).
const HOUSEHOLD_SEARCH: &str =
    "INSERT INTO household_search(household_id, village_id, household_no, status, deleted, head)
     SELECT id, village_id, household_no, status, deleted,
            upper(coalesce(household_no, '') || char(31) || coalesce(head_name, '') || char(31)
                  || coalesce(head_id_number, '') || char(31))
     FROM household WHERE rowid > ?1 ORDER BY rowid
     ON CONFLICT(household_id) DO UPDATE SET
       village_id = excluded.village_id, household_no = excluded.household_no, status = excluded.status,
       deleted = excluded.deleted, head = excluded.head";

/// New live members' text (name and 身份证号, each followed by char(31)), appended to their household's
/// in the order they arrived: one append a household.
const MEMBER_SEARCH: &str = "INSERT INTO household_search(household_id, members)
     SELECT household_id,
            group_concat(upper(coalesce(name, '') || char(31) || coalesce(id_number, '') || char(31)), ''
                         ORDER BY rowid)
     FROM member NOT INDEXED WHERE rowid > ?1 AND deleted = 0 AND household_id IS NOT NULL GROUP BY household_id
     ON CONFLICT(household_id) DO UPDATE SET members = members || excluded.members";

/// New members still in the household count one each.
const MEMBER_DIGEST: &str = "INSERT INTO household_digest(household_id, members)
     SELECT household_id, count(*) FROM member NOT INDEXED
     WHERE rowid > ?1 AND deleted = 0 AND household_id IS NOT NULL AND left_on IS NULL GROUP BY household_id
     ON CONFLICT(household_id) DO UPDATE SET members = members + excluded.members";

/// A new visit becomes its household's latest if it is newer (by date, then id) than the one held.
const VISIT_DIGEST: &str =
    "INSERT INTO household_digest(household_id, visit_id, visited_on, basic_needs, actual_population)
     SELECT household_id, id, visited_on, basic_needs, actual_population FROM visit
     WHERE rowid > ?1 AND deleted = 0 AND visited_on IS NOT NULL AND household_id IS NOT NULL ORDER BY rowid
     ON CONFLICT(household_id) DO UPDATE SET
       visit_id = excluded.visit_id, visited_on = excluded.visited_on,
       basic_needs = excluded.basic_needs, actual_population = excluded.actual_population
     WHERE household_digest.visited_on IS NULL OR excluded.visited_on > household_digest.visited_on
        OR (excluded.visited_on = household_digest.visited_on AND excluded.visit_id > household_digest.visit_id)";

/// A new income calculation becomes its household's latest if its key (year, then entry date) is
/// larger, then by id.
const CALC_DIGEST: &str = "INSERT INTO household_digest(household_id, calc_id, calc_key, income_calc)
     SELECT household_id, id,
            json_extract(income_calc, '$.year') * 100000000 + CAST(replace(entry_date, '-', '') AS INTEGER),
            income_calc
     FROM handbook_entry
     WHERE rowid > ?1 AND deleted = 0 AND income_calc IS NOT NULL AND household_id IS NOT NULL ORDER BY rowid
     ON CONFLICT(household_id) DO UPDATE SET
       calc_id = excluded.calc_id, calc_key = excluded.calc_key, income_calc = excluded.income_calc
     WHERE household_digest.calc_key IS NULL OR excluded.calc_key > household_digest.calc_key
        OR (excluded.calc_key = household_digest.calc_key AND excluded.calc_id > household_digest.calc_id)";

#[cfg(test)]
mod tests {
    use crate::{Store, MIGRATIONS};
    use rusqlite::Connection;
    use serde_json::json;
    use uuid::Uuid;
    use zoufang_model::Entity;
    use zoufang_sync::{FieldValue, PullResponse, RowDelta};

    fn delta(entity: Entity, row: Uuid, fields: &[(&str, serde_json::Value)], seq: u64) -> RowDelta {
        let fields = fields.iter().map(|(f, v)| FieldValue((*f).into(), v.clone(), seq)).collect();
        RowDelta { entity, row, fields }
    }

    fn page(rows: Vec<RowDelta>, cursor: u64) -> PullResponse {
        PullResponse { rows, cursor, more: false, head: cursor, max_hlc: Default::default() }
    }

    /// A household's searched member text and its member count.
    fn members_of(s: &Store, household: Uuid) -> (String, i64) {
        s.conn()
            .query_row(
                "SELECT s.members, d.members FROM household_search s JOIN household_digest d USING (household_id)
                 WHERE household_id = ?1",
                [household.as_bytes()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    /// References are still checked, when the transaction commits: a pulled member whose household
    /// is on neither the device nor the page refuses the page whole (the cursor does not move).
    #[test]
    fn a_reference_to_nothing_refuses_the_page_whole() {
        let mut s = Store::open_in_memory().unwrap();
        let (household, lost) = (Uuid::now_v7(), Uuid::now_v7());
        let rows = vec![
            delta(Entity::Household, household, &[("household_no", json!("520102001001001"))], 1),
            delta(Entity::Member, Uuid::now_v7(), &[("household_id", json!(household)), ("name", json!("王秀英"))], 2),
            delta(Entity::Member, Uuid::now_v7(), &[("household_id", json!(lost)), ("name", json!("李秀兰"))], 3),
        ];
        let err = s.apply_pull(&page(rows, 3)).unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        let count = |t: &str| s.conn().query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
        assert_eq!((count("household").unwrap(), count("member").unwrap()), (0, 0));
        assert_eq!((count("household_search").unwrap(), count("household_digest").unwrap()), (0, 0));
        assert_eq!(s.cursor().unwrap(), 0);
    }

    /// Several new members of households that already have rows, in one page among other households'
    /// members: each household's count grows by its live members still in it, and their text is
    /// appended in the order they arrived.
    #[test]
    fn new_members_add_to_their_households_in_arrival_order() {
        let mut s = Store::open_in_memory().unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let member = |household: Uuid, name: &str, extra: &[(&str, serde_json::Value)], seq: u64| {
            let mut fields = vec![("household_id", json!(household)), ("name", json!(name))];
            fields.extend_from_slice(extra);
            delta(Entity::Member, Uuid::now_v7(), &fields, seq)
        };
        let first = vec![
            delta(Entity::Household, a, &[("household_no", json!("520102001001001"))], 1),
            delta(Entity::Household, b, &[("household_no", json!("520102001001002"))], 2),
            member(a, "甲", &[], 3),
        ];
        s.apply_pull(&page(first, 3)).unwrap();
        let rows = vec![
            member(b, "乙", &[], 4),
            member(a, "丙", &[], 5),
            member(a, "丁", &[("deleted", json!(true))], 6),
            member(b, "戊", &[("left_on", json!("2026-03-01"))], 7),
            member(a, "己", &[], 8),
        ];
        s.apply_pull(&page(rows, 8)).unwrap();
        let text = |names: &[&str]| names.iter().map(|n| format!("{n}\u{1f}\u{1f}")).collect::<String>();
        assert_eq!(members_of(&s, a), (text(&["甲", "丙", "己"]), 3));
        // One who has left the household is still found by the search, but not counted.
        assert_eq!(members_of(&s, b), (text(&["乙", "戊"]), 1));
    }

    /// A database of version 17 (insert triggers, immediate references) with records in it is brought
    /// to version 18: the tables' text names deferred references and nothing else changed, the insert
    /// triggers are gone, the derived rows are still there, and new records keep adding to them.
    #[test]
    fn version_17_databases_are_brought_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v17.db");
        let household = Uuid::now_v7();
        {
            let mut c = Connection::open(&path).unwrap();
            zoufang_migrate::migrate(&mut c, &MIGRATIONS[..17]).unwrap();
            c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
            c.execute(
                "INSERT INTO household(id, household_no, head_name, deleted) VALUES (?1, '520102001001001', '王建国', 0)",
                [household.as_bytes().to_vec()],
            )
            .unwrap();
            c.execute(
                "INSERT INTO member(id, household_id, name, deleted) VALUES (?1, ?2, '王秀英', 0)",
                [Uuid::now_v7().as_bytes().to_vec(), household.as_bytes().to_vec()],
            )
            .unwrap();
        }
        let before: Vec<String> = {
            let c = Connection::open(&path).unwrap();
            let mut q = c.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' ORDER BY name").unwrap();
            q.query_map([], |r| r.get::<_, Option<String>>(0))
                .unwrap()
                .map(|r| r.unwrap().unwrap_or_default())
                .collect()
        };
        let mut s = Store::open(&path).unwrap();
        let after: Vec<String> = {
            let mut q = s.conn().prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' ORDER BY name").unwrap();
            q.query_map([], |r| r.get::<_, Option<String>>(0))
                .unwrap()
                .map(|r| r.unwrap().unwrap_or_default())
                .collect()
        };
        assert_eq!(before.len(), after.len());
        let mut deferred = 0;
        for (b, a) in before.iter().zip(&after) {
            deferred += a.matches("DEFERRABLE INITIALLY DEFERRED").count();
            assert_eq!(*b, a.replace(" DEFERRABLE INITIALLY DEFERRED", ""), "only the references' timing changes");
        }
        assert_eq!(deferred, before.iter().map(|b| b.matches(" REFERENCES ").count()).sum::<usize>());
        assert!(deferred >= 15, "{deferred}");
        let triggers: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%AFTER INSERT%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 0);
        let ok: String = s.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
        assert_eq!(members_of(&s, household), ("王秀英\u{1f}\u{1f}".to_string(), 1));
        let more =
            delta(Entity::Member, Uuid::now_v7(), &[("household_id", json!(household)), ("name", json!("王小兰"))], 1);
        s.apply_pull(&page(vec![more], 1)).unwrap();
        assert_eq!(members_of(&s, household), ("王秀英\u{1f}\u{1f}王小兰\u{1f}\u{1f}".to_string(), 2));
    }
}
