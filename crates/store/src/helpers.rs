//! The 帮扶责任人 register on the device and the helpers' visit frequency (`zoufang_model::helpers`).
//!
//! - A helper is a record of the village (`Helper`); a household names one (`helper_id`), and its
//!   typed `helper_name`/`helper_phone` are copied from the register in the same transaction, so the
//!   handbook, exports and older screens show the same person.
//! - Households imported or registered before the register existed carry only a typed name:
//!   `link_helpers` builds the register from those names (one helper per name and phone in a village)
//!   and links them, in one transaction.
//! - A visit names the helper who made it (`Visit::helper_id`); only those count for the frequency,
//!   and only on the household that names that helper.

use crate::error::{Result, StoreError};
use crate::sql;
use crate::write::WriteOp;
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::helpers::{frequency, next_due, overdue, Frequency};
use zoufang_model::{Entity, Helper, Household, Record};

/// A helper to add to a village's register, as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewHelper {
    pub village_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub unit: Option<String>,
    pub post: Option<String>,
}

/// What `link_helpers` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HelpersLinked {
    /// Helpers added to the register from typed names.
    pub created: u32,
    /// Households now naming a helper of the register.
    pub linked: u32,
}

/// A household as the frequency report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HelperHousehold {
    pub household_id: Uuid,
    pub household_no: String,
    pub head_name: String,
    pub village_name: String,
    /// The helper's last visit to it.
    pub last_visit: Option<NaiveDate>,
    /// When the next is due (none: never visited, due now).
    pub due_on: Option<NaiveDate>,
}

/// One helper with their figures and the households they are late for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HelperLine {
    pub helper: Helper,
    pub village_name: String,
    pub frequency: Frequency,
    pub overdue: Vec<HelperHousehold>,
}

/// The helpers' visit frequency over a village (or every village on the device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HelperReport {
    /// The county's interval (setting `helper_visit_days`).
    pub every_days: u32,
    pub today: NaiveDate,
    pub helpers: Vec<HelperLine>,
    /// All helpers together.
    pub total: Frequency,
    /// Households that name no helper of the register (a typed name at most).
    pub unlinked: Vec<HelperHousehold>,
}

fn text(v: &Option<String>) -> Option<Value> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| json!(s))
}

/// The register's name and phone, copied onto the household with the link.
fn link_fields(helper: &Helper) -> Map<String, Value> {
    let mut patch = Map::new();
    patch.insert("helper_id".into(), json!(helper.id));
    patch.insert("helper_name".into(), json!(helper.name));
    patch.insert("helper_phone".into(), helper.phone.as_ref().map_or(Value::Null, |p| json!(p)));
    patch
}

impl Store {
    /// Adds a helper to a village's register; returns its id.
    pub fn add_helper(&mut self, h: &NewHelper) -> Result<Uuid> {
        self.get::<zoufang_model::Village>(h.village_id)?
            .ok_or(StoreError::NotFound { entity: Entity::Village.label(), id: h.village_id })?;
        let mut fields = Map::new();
        fields.insert("village_id".into(), json!(h.village_id));
        fields.insert("name".into(), json!(h.name));
        for (k, v) in [("phone", &h.phone), ("unit", &h.unit), ("post", &h.post)] {
            if let Some(v) = text(v) {
                fields.insert(k.into(), v);
            }
        }
        let id = Uuid::now_v7();
        self.create_fields(Entity::Helper, id, &fields)?;
        Ok(id)
    }

    /// The register of a village (or of every village on the device), by village and name.
    pub fn helpers(&self, village: Option<Uuid>) -> Result<Vec<Helper>> {
        match village {
            Some(v) => self.list("village_id = ?1", "name, id", &[&sql::uuid_blob(v)]),
            None => self.list("1", "village_id, name, id", &[]),
        }
    }

    /// Names `helper` (or no one) as a household's 帮扶责任人, copying the register's name and phone.
    pub fn assign_helper(&mut self, household: Uuid, helper: Option<Uuid>) -> Result<()> {
        let h = self
            .household(household)?
            .ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: household })?;
        let patch = match helper {
            Some(id) => {
                let helper: Helper =
                    self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::Helper.label(), id })?;
                if helper.village_id != h.village_id {
                    return Err(StoreError::refused("helper_village", "帮扶责任人不在该户所在村的名册中"));
                }
                link_fields(&helper)
            }
            None => [("helper_id".to_string(), Value::Null)].into_iter().collect(),
        };
        self.update(Entity::Household, household, &patch)?;
        Ok(())
    }

    /// Builds the register from the names typed on households that name no helper yet (one helper per
    /// village, name and phone; an existing helper of that name and phone is reused) and links them, in
    /// one transaction.
    pub fn link_helpers(&mut self, village: Option<Uuid>) -> Result<HelpersLinked> {
        let households: Vec<Household> = match village {
            Some(v) => self.list(
                "village_id = ?1 AND helper_id IS NULL AND helper_name IS NOT NULL",
                "household_no",
                &[&sql::uuid_blob(v)],
            )?,
            None => self.list("helper_id IS NULL AND helper_name IS NOT NULL", "village_id, household_no", &[])?,
        };
        let mut known: HashMap<(Uuid, String, Option<String>), Helper> = HashMap::new();
        for h in self.helpers(village)? {
            let phone = h.phone.as_ref().map(|p| p.as_str().to_string());
            known.entry((h.village_id, h.name.clone(), phone)).or_insert(h);
        }
        let mut ops = Vec::new();
        let mut out = HelpersLinked::default();
        for hh in households {
            let Some(name) = hh.helper_name.clone() else { continue };
            let phone = hh.helper_phone.as_ref().map(|p| p.as_str().to_string());
            let key = (hh.village_id, name.clone(), phone.clone());
            let helper = match known.get(&key) {
                Some(h) => h.clone(),
                None => {
                    let helper = Helper {
                        id: Uuid::now_v7(),
                        village_id: hh.village_id,
                        name,
                        phone: hh.helper_phone.clone(),
                        unit: None,
                        post: None,
                    };
                    ops.push(WriteOp::Create(Entity::Helper, helper.id, helper.to_fields()));
                    out.created += 1;
                    known.insert(key, helper.clone());
                    helper
                }
            };
            ops.push(WriteOp::Update(Entity::Household, hh.id, link_fields(&helper)));
            out.linked += 1;
        }
        self.write_all(&ops)?;
        Ok(out)
    }

    /// The helpers' visit frequency on `today` by the county's interval, over a village or every village
    /// on the device, in three queries whatever their number. The visits are read from their household
    /// index, which holds the helper and the date (`+helper_id`: not by the helper's index, which would
    /// fetch every visit's row).
    pub fn helper_report(&self, village: Option<Uuid>, today: NaiveDate) -> Result<HelperReport> {
        let every_days = self.county_settings()?.helper_visit_days();
        let v = village.map(sql::uuid_blob).unwrap_or(rusqlite::types::Value::Null);
        let names: HashMap<Uuid, String> = self.villages()?.into_iter().map(|v| (v.id, v.name)).collect();
        // Each household with its helper and the helper's last visit to it.
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.id, h.household_no, h.head_name, h.village_id, h.helper_id,
                    (SELECT max(x.visited_on) FROM visit x
                     WHERE x.household_id = h.id AND +x.helper_id = h.helper_id AND x.deleted = 0)
             FROM household h WHERE h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1)
             ORDER BY h.household_no",
        )?;
        let mut rows = stmt.query([&v])?;
        let mut by_helper: HashMap<Uuid, Vec<HelperHousehold>> = HashMap::new();
        let mut unlinked = Vec::new();
        while let Some(r) = rows.next()? {
            let village = sql::blob_uuid(&r.get::<_, Vec<u8>>(3)?)?;
            let last_visit =
                r.get::<_, Option<String>>(5)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            let line = HelperHousehold {
                household_id: sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?,
                household_no: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                head_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                village_name: names.get(&village).cloned().unwrap_or_default(),
                last_visit,
                due_on: next_due(last_visit, every_days),
            };
            match r.get::<_, Option<Vec<u8>>>(4)? {
                Some(helper) => by_helper.entry(sql::blob_uuid(&helper)?).or_default().push(line),
                None => unlinked.push(line),
            }
        }
        // The helpers' visits within the interval.
        let since = (today - chrono::Duration::days(i64::from(every_days))).to_string();
        let mut stmt = self.conn.prepare_cached(
            "SELECT x.helper_id, x.visited_on FROM visit x JOIN household h ON h.id = x.household_id
             WHERE x.deleted = 0 AND +x.helper_id IS NOT NULL AND x.visited_on >= ?2
               AND h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1)",
        )?;
        let mut rows = stmt.query(rusqlite::params![&v, since])?;
        let mut visits: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
        while let Some(r) = rows.next()? {
            if let Ok(d) = NaiveDate::parse_from_str(&r.get::<_, String>(1)?, "%Y-%m-%d") {
                visits.entry(sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?).or_default().push(d);
            }
        }
        let mut helpers = Vec::new();
        let mut total = Frequency::default();
        for helper in self.helpers(village)? {
            let households = by_helper.remove(&helper.id).unwrap_or_default();
            let last: Vec<Option<NaiveDate>> = households.iter().map(|h| h.last_visit).collect();
            let f = frequency(&last, visits.get(&helper.id).map_or(&[][..], Vec::as_slice), every_days, today);
            total.households += f.households;
            total.visited += f.visited;
            total.visits += f.visits;
            let late = households.into_iter().filter(|h| overdue(h.last_visit, every_days, today)).collect();
            let village_name = names.get(&helper.village_id).cloned().unwrap_or_default();
            helpers.push(HelperLine { helper, village_name, frequency: f, overdue: late });
        }
        // Households naming a helper since removed from the register.
        unlinked.extend(by_helper.into_values().flatten());
        unlinked.sort_by(|a, b| a.household_no.cmp(&b.household_no));
        // Most households overdue first: whom the office calls.
        helpers
            .sort_by(|a, b| b.frequency.overdue().cmp(&a.frequency.overdue()).then(a.helper.name.cmp(&b.helper.name)));
        Ok(HelperReport { every_days, today, helpers, total, unlinked })
    }
}
