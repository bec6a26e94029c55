//! The questions the app asks most: which households, which of them need a visit, what happened in each.

use crate::error::Result;
use crate::sql;
use crate::Store;
use chrono::{Datelike, NaiveDate};
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::{
    Conflict, ConflictStatus, HandbookEntry, Household, HouseholdStatus, Member, Presence, Rectification,
    RectificationStatus, Village, Visit,
};

/// Filters for the household list. Empty fields do not filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdQuery {
    pub village: Option<Uuid>,
    /// Part of a name (head or member), a 户编号 or a 身份证号.
    pub text: Option<String>,
    pub status: Option<HouseholdStatus>,
    /// Only households with no visit on or after this date (e.g. the first of this month).
    pub not_visited_since: Option<NaiveDate>,
    /// Only households with an open rectification item.
    #[serde(default)]
    pub open_problems: bool,
    /// Only households whose 一户一档 lacks a required document or has pages not yet uploaded.
    #[serde(default)]
    pub missing_archive: bool,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl HouseholdQuery {
    /// Households of a village not visited this month.
    pub fn not_visited_this_month(village: Uuid, today: NaiveDate) -> Self {
        HouseholdQuery { village: Some(village), not_visited_since: today.with_day(1), ..Default::default() }
    }
}

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdSummary {
    pub id: Uuid,
    pub village_id: Option<Uuid>,
    pub household_no: Option<String>,
    pub head_name: Option<String>,
    pub head_id_number: Option<String>,
    pub status: Option<HouseholdStatus>,
    pub group_name: Option<String>,
    pub members: i64,
    pub last_visit: Option<String>,
    pub open_problems: i64,
}

/// The search text as the list's table holds its values: trimmed, ASCII upper-cased (a 身份证号's x).
fn needle(text: &str) -> String {
    text.trim().to_ascii_uppercase()
}

/// Matching households are found and paged first, in the list's own narrow table (`household_search`,
/// kept by triggers: schema/device/0017); the per-household figures (members, last visit, open
/// problems) are computed only for the page.
const HOUSEHOLD_LIST: &str = "
WITH hits AS (
  SELECT s.household_id AS id, s.household_no FROM household_search s
  WHERE s.deleted = 0
    AND (?1 IS NULL OR s.village_id = ?1)
    AND (?2 IS NULL OR s.status = ?2)
    AND (?3 IS NULL OR instr(s.head, ?3) > 0 OR instr(s.members, ?3) > 0)
    AND (?4 IS NULL OR NOT EXISTS (SELECT 1 FROM visit v WHERE v.household_id = s.household_id AND v.deleted = 0
                                   AND v.visited_on >= ?4))
    AND (?7 = 0 OR EXISTS (SELECT 1 FROM rectification r WHERE r.household_id = s.household_id AND r.deleted = 0
                           AND r.status <> 'closed'))
    AND (?8 IS NULL OR lower(hex(s.household_id)) IN (SELECT value FROM json_each(?8)))
  ORDER BY s.household_no
  LIMIT ?5 OFFSET ?6
)
SELECT h.id, h.village_id, h.household_no, h.head_name, h.head_id_number, h.status, h.group_name,
  (SELECT count(*) FROM member m WHERE m.household_id = h.id AND m.deleted = 0),
  (SELECT max(v.visited_on) FROM visit v WHERE v.household_id = h.id AND v.deleted = 0),
  (SELECT count(*) FROM rectification r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status <> 'closed')
FROM hits JOIN household h ON h.id = hits.id
ORDER BY hits.household_no";

impl Store {
    /// The household list with search and filters.
    pub fn households(&self, q: &HouseholdQuery) -> Result<Vec<HouseholdSummary>> {
        let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(needle);
        let incomplete = match q.missing_archive {
            true => SqlValue::Text(self.incomplete_archive_ids(q.village)?.to_string()),
            false => SqlValue::Null,
        };
        let params: [SqlValue; 8] = [
            q.village.map(sql::uuid_blob).unwrap_or(SqlValue::Null),
            q.status.map(|s| SqlValue::Text(s.ident().into())).unwrap_or(SqlValue::Null),
            text.map(SqlValue::Text).unwrap_or(SqlValue::Null),
            q.not_visited_since.map(|d| SqlValue::Text(d.format("%Y-%m-%d").to_string())).unwrap_or(SqlValue::Null),
            SqlValue::Integer(i64::from(q.limit.unwrap_or(100_000))),
            SqlValue::Integer(i64::from(q.offset.unwrap_or(0))),
            SqlValue::Integer(i64::from(q.open_problems)),
            incomplete,
        ];
        let mut stmt = self.conn.prepare_cached(HOUSEHOLD_LIST)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let uuid = |i: usize| -> Result<Option<Uuid>> {
                Ok(match r.get::<_, Option<Vec<u8>>>(i)? {
                    Some(b) => Some(sql::blob_uuid(&b)?),
                    None => None,
                })
            };
            out.push(HouseholdSummary {
                id: uuid(0)?.unwrap_or_default(),
                village_id: uuid(1)?,
                household_no: r.get(2)?,
                head_name: r.get(3)?,
                head_id_number: r.get(4)?,
                status: r.get::<_, Option<String>>(5)?.and_then(|s| HouseholdStatus::parse(&s)),
                group_name: r.get(6)?,
                members: r.get(7)?,
                last_visit: r.get(8)?,
                open_problems: r.get(9)?,
            });
        }
        Ok(out)
    }

    /// Every live household (imports match against them).
    pub fn all_households(&self) -> Result<Vec<Household>> {
        self.list("1", "village_id, household_no", &[])
    }

    /// Every live member.
    pub fn all_members(&self) -> Result<Vec<Member>> {
        self.list("1", "household_id", &[])
    }

    /// (village, 户编号, id) of every live household: an import matches its rows against them and loads
    /// only the households it names.
    pub fn household_keys(&self) -> Result<Vec<(Uuid, String, Uuid)>> {
        let mut stmt = self.conn().prepare("SELECT village_id, household_no, id FROM household WHERE deleted = 0")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
        rows.map(|r| {
            let (village, no, id) = r?;
            Ok((sql::blob_uuid(&village)?, no, sql::blob_uuid(&id)?))
        })
        .collect()
    }

    /// (身份证号, village, 户编号) of every live member that has one: an import refuses a person
    /// already registered in another household, without loading every member.
    pub fn member_id_numbers(&self) -> Result<Vec<(String, Uuid, String)>> {
        let mut stmt = self.conn().prepare(
            "SELECT m.id_number, h.village_id, h.household_no FROM member m JOIN household h ON h.id = m.household_id
             WHERE m.deleted = 0 AND h.deleted = 0 AND m.id_number IS NOT NULL",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?)))?;
        rows.map(|r| {
            let (id, village, no) = r?;
            Ok((id, sql::blob_uuid(&village)?, no))
        })
        .collect()
    }

    pub fn villages(&self) -> Result<Vec<Village>> {
        self.list("1", "code", &[])
    }

    pub fn household(&self, id: Uuid) -> Result<Option<Household>> {
        self.get(id)
    }

    pub fn members_of(&self, household: Uuid) -> Result<Vec<Member>> {
        self.list("household_id = ?1", "relation = 'head' DESC, birth_date", &[&sql::uuid_blob(household)])
    }

    /// Visits of a household, newest first.
    pub fn visits_of(&self, household: Uuid) -> Result<Vec<Visit>> {
        self.list("household_id = ?1", "visited_on DESC, id DESC", &[&sql::uuid_blob(household)])
    }

    /// The household's 扶贫手册, newest first.
    pub fn handbook_of(&self, household: Uuid) -> Result<Vec<HandbookEntry>> {
        self.list("household_id = ?1", "entry_date DESC, id DESC", &[&sql::uuid_blob(household)])
    }

    /// Rectification items of a village, soonest deadline first; `open_only` leaves out signed-off ones.
    pub fn rectifications(&self, village: Uuid, open_only: bool) -> Result<Vec<Rectification>> {
        let cond = if open_only { "village_id = ?1 AND status <> ?2" } else { "village_id = ?1 AND ?2 IS NOT NULL" };
        self.list(cond, "deadline, id", &[&sql::uuid_blob(village), &RectificationStatus::Closed.ident()])
    }

    /// Check-ins at a village in one month.
    pub fn presence_in_month(&self, village: Uuid, year: i32, month: u32) -> Result<Vec<Presence>> {
        let prefix = format!("{year:04}-{month:02}%");
        self.list("village_id = ?1 AND checked_at LIKE ?2", "checked_at", &[&sql::uuid_blob(village), &prefix])
    }

    /// Conflicts, oldest first; `None` lists every status.
    pub fn conflicts(&self, status: Option<ConflictStatus>) -> Result<Vec<Conflict>> {
        match status {
            Some(s) => self.list("status = ?1", "opened_at, id", &[&s.ident()]),
            None => self.list("1", "opened_at, id", &[]),
        }
    }

    /// Changes made here and not yet acknowledged by the server.
    pub fn pending_changes(&self) -> Result<i64> {
        let acked = crate::meta::get_i64(&self.conn, crate::meta::ACKED)?;
        Ok(self.conn.query_row("SELECT count(*) FROM change_log WHERE seq > ?1", [acked], |r| r.get(0))?)
    }
}
