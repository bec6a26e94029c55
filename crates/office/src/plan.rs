//! From checked rows to households: rows grouped by village and 户编号, checks across rows (one 户主 per
//! household, no 身份证号 twice, a known village), and the field values the store will hold.

use crate::columns::Column;
use crate::rows::RosterRow;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::{Attribute, HouseholdStatus, Relation};

/// A row the import refused: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowError {
    /// The spreadsheet's row number, as Excel shows it.
    pub row: usize,
    /// The column's name, as in the roster.
    pub column: String,
    pub reason: String,
}

/// A member to create or bring up to date.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMember {
    pub row: usize,
    /// Member fields without `household_id`.
    pub fields: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedHousehold {
    pub village_id: Uuid,
    pub household_no: String,
    /// Household fields without `village_id`.
    pub fields: Map<String, Value>,
    pub members: Vec<PlannedMember>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub households: Vec<PlannedHousehold>,
    pub rejected: Vec<RowError>,
    /// Data rows read.
    pub rows: usize,
}

impl Plan {
    /// Distinct rows refused.
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.rejected.iter().map(|e| e.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }
}

fn drop_nulls(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

/// Builds the plan. `villages`: village name → id of the villages this device holds; `known_ids`:
/// 身份证号 → (village, 户编号) of members already stored, so that a person is not registered twice.
pub fn plan(
    rows: Vec<Result<RosterRow, Vec<RowError>>>,
    villages: &HashMap<String, Uuid>,
    known_ids: &HashMap<String, (Uuid, String)>,
) -> Plan {
    let total = rows.len();
    let mut rejected = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<((Uuid, String), Vec<RosterRow>)> = Vec::new();
    let mut index: HashMap<(Uuid, String), usize> = HashMap::new();
    for r in rows {
        let r = match r {
            Ok(r) => r,
            Err(errs) => {
                rejected.extend(errs);
                continue;
            }
        };
        let Some(&village) = villages.get(&r.village) else {
            rejected.push(RowError {
                row: r.row,
                column: Column::Village.label().into(),
                reason: format!("本机没有「{}」的数据：只能导入本机所属的村", r.village),
            });
            continue;
        };
        if let Some(id) = &r.id_number {
            if let Some(first) = seen_ids.get(id) {
                rejected.push(RowError {
                    row: r.row,
                    column: Column::IdNumber.label().into(),
                    reason: format!("身份证号与第 {first} 行重复"),
                });
                continue;
            }
            if let Some((v, no)) = known_ids.get(id) {
                if (*v, no.as_str()) != (village, r.household_no.as_str()) {
                    rejected.push(RowError {
                        row: r.row,
                        column: Column::IdNumber.label().into(),
                        reason: format!("该身份证号已登记在户 {no}"),
                    });
                    continue;
                }
            }
            seen_ids.insert(id.clone(), r.row);
        }
        let key = (village, r.household_no.clone());
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(r);
    }

    let mut households = Vec::with_capacity(groups.len());
    for ((village_id, household_no), mut members) in groups {
        let heads: Vec<usize> = members.iter().filter(|m| m.relation == Relation::Head).map(|m| m.row).collect();
        if heads.is_empty() {
            for m in &members {
                rejected.push(RowError {
                    row: m.row,
                    column: Column::Relation.label().into(),
                    reason: format!("户编号 {household_no} 没有户主行（与户主关系为「户主」的一行）"),
                });
            }
            continue;
        }
        for extra in &heads[1..] {
            rejected.push(RowError {
                row: *extra,
                column: Column::Relation.label().into(),
                reason: format!("户编号 {household_no} 已有户主（第 {} 行）", heads[0]),
            });
        }
        members.retain(|m| m.relation != Relation::Head || m.row == heads[0]);
        let head = members.iter().find(|m| m.row == heads[0]).cloned().expect("head is among the members");
        let status = head.status.unwrap_or(if head.exit_year.is_some() {
            HouseholdStatus::Exited
        } else {
            HouseholdStatus::Poor
        });
        // The vocabulary's order, as the store keeps sets: a re-import then compares equal.
        let mut causes = head.causes.clone();
        causes.sort();
        let causes: Vec<&str> = causes.iter().map(|c| c.ident()).collect();
        let fields = drop_nulls(json!({
            "household_no": household_no,
            "head_name": head.name,
            "head_id_number": head.id_number,
            "phone": head.phone,
            "group_name": head.group,
            "attribute": head.attribute.unwrap_or(Attribute::General).ident(),
            "status": status.ident(),
            "poverty_causes": causes,
            "registered_population": members.len() as i64,
            "exit_year": head.exit_year,
        }));
        let members = members
            .into_iter()
            .map(|m| PlannedMember {
                row: m.row,
                fields: drop_nulls(json!({
                    "name": m.name,
                    "id_number": m.id_number,
                    "relation": m.relation.ident(),
                    "sex": m.sex.map(|s| s.ident()),
                    "birth_date": m.birth_date.map(|d| d.to_string()),
                    "health": m.health.map(|h| h.ident()),
                    "labor": m.labor.map(|l| l.ident()),
                    "schooling": m.schooling.map(|s| s.ident()),
                    "phone": m.phone,
                })),
            })
            .collect();
        households.push(PlannedHousehold { village_id, household_no, fields, members });
    }
    rejected.sort_by_key(|e| e.row);
    Plan { households, rejected, rows: total }
}
