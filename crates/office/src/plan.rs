//! From read rows to households: rows grouped by 户编号, checks across rows (one 户主 per household, no
//! 身份证号 twice in the file or already on the device, a village this device holds, the household's
//! own fields valid), and the field values the store will hold. Pure: no IO.
//!
//! Rules, and why:
//! - A household is imported whole or not at all. A household written without a refused member would
//!   have a wrong 系统人口 from its first day, and nobody would notice. Every reason of every row of a
//!   refused household is reported; a row refused only because of another row says which one.
//! - Every well-formed 身份证号 is compared with every other row's, whether or not its row was refused
//!   for another reason: a duplicate is a duplicate.
//! - Rows are grouped by 户编号. Where a file numbers households per village (001 in every village),
//!   the same number in several villages, each part with its own 户主, is several households; a
//!   household whose members name different villages otherwise is refused, not split.

use crate::columns::Column;
use crate::rows::{ParsedRow, RosterRow};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::schema::validate_new;
use zoufang_model::{Attribute, Entity, HouseholdStatus, Relation};

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

/// A household that passed every check: its village, its 户编号 and its rows (indices into the rows
/// given to [`plan`], 户主 first).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedHousehold {
    pub village_id: Uuid,
    pub household_no: String,
    pub rows: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub households: Vec<PlannedHousehold>,
    pub rejected: Vec<RowError>,
    pub households_rejected: usize,
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

/// The household's fields (with `village_id`) and each member's (without `household_id`), 户主 first.
pub fn household_fields(
    village_id: Uuid,
    household_no: &str,
    members: &[&RosterRow],
) -> (Map<String, Value>, Vec<Map<String, Value>>) {
    let head = members.iter().find(|m| m.relation == Relation::Head).unwrap_or(&members[0]);
    let status =
        head.status.unwrap_or(if head.exit_year.is_some() { HouseholdStatus::Exited } else { HouseholdStatus::Poor });
    // The vocabulary's order, as the store keeps sets: a re-import then compares equal.
    let mut causes = head.causes.clone();
    causes.sort();
    let causes: Vec<&str> = causes.iter().map(|c| c.ident()).collect();
    let household = drop_nulls(json!({
        "village_id": village_id.to_string(),
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
        .iter()
        .map(|m| {
            drop_nulls(json!({
                "name": m.name,
                "id_number": m.id_number,
                "relation": m.relation.ident(),
                "sex": m.sex.map(|s| s.ident()),
                "birth_date": m.birth_date.map(|d| d.to_string()),
                "health": m.health.map(|h| h.ident()),
                "labor": m.labor.map(|l| l.ident()),
                "education": m.education.map(|e| e.ident()),
                "schooling": m.schooling.map(|s| s.ident()),
                "phone": m.phone,
            }))
        })
        .collect();
    (household, members)
}

/// Builds the plan. `villages`: village name → id of the villages this device holds; `known_ids`:
/// 身份证号 → (village, 户编号) of members already stored, so that a person is not registered twice.
pub fn plan(
    rows: &[ParsedRow],
    villages: &HashMap<String, Uuid>,
    known_ids: &HashMap<String, (Uuid, String)>,
    today: NaiveDate,
) -> Plan {
    let mut errors: Vec<Vec<RowError>> =
        rows.iter().map(|r| r.read.as_ref().err().cloned().unwrap_or_default()).collect();
    let error = |column: Column, row: usize, reason: String| RowError { row, column: column.label().into(), reason };

    // The same 身份证号 on two rows: the later row is refused, naming the first.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(id) = r.id_number.as_deref() {
            match first.get(id) {
                Some(&f) => errors[i].push(error(Column::IdNumber, r.row, format!("身份证号与第 {f} 行重复"))),
                None => {
                    first.insert(id, r.row);
                }
            }
        }
    }

    // Households: rows by 户编号 in the order they first appear, then split by village only where each
    // village's part has its own 户主.
    let mut order: Vec<&str> = Vec::new();
    let mut by_no: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut alone = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.household_no.is_empty() {
            alone.push(vec![i]);
            continue;
        }
        by_no.entry(r.household_no.as_str()).or_insert_with(|| {
            order.push(r.household_no.as_str());
            Vec::new()
        });
        by_no.get_mut(r.household_no.as_str()).expect("just inserted").push(i);
    }
    let mut households: Vec<Vec<usize>> = Vec::new();
    for no in order {
        let members = by_no.remove(no).unwrap_or_default();
        let mut parts: Vec<(&str, Vec<usize>)> = Vec::new();
        for &i in &members {
            match parts.iter_mut().find(|(v, _)| *v == rows[i].village) {
                Some((_, p)) => p.push(i),
                None => parts.push((rows[i].village.as_str(), vec![i])),
            }
        }
        if parts.len() > 1 && parts.iter().all(|(_, p)| p.iter().any(|&i| rows[i].is_head)) {
            households.extend(parts.into_iter().map(|(_, p)| p));
        } else {
            households.push(members);
        }
    }
    households.extend(alone);

    let mut plan = Plan { rows: rows.len(), ..Default::default() };
    for members in households {
        let heads: Vec<usize> = members.iter().copied().filter(|&i| rows[i].is_head).collect();
        let main = heads.first().copied().unwrap_or(members[0]);
        let no = rows[main].household_no.as_str();
        let village_name = rows[main].village.as_str();
        let village = villages.get(village_name).copied();
        let mut own: Vec<RowError> = Vec::new();
        if !no.is_empty() {
            if heads.is_empty() {
                for &i in &members {
                    own.push(error(
                        Column::Relation,
                        rows[i].row,
                        format!("户编号 {no} 没有户主行（与户主关系为「户主」的一行）"),
                    ));
                }
            }
            for &extra in heads.iter().skip(1) {
                own.push(error(
                    Column::Relation,
                    rows[extra].row,
                    format!("户编号 {no} 已有户主（第 {} 行）", rows[main].row),
                ));
            }
            for &i in &members {
                let r = &rows[i];
                if r.village.is_empty() {
                    continue; // refused as a blank 村 already
                }
                if r.village != village_name {
                    own.push(error(
                        Column::Village,
                        r.row,
                        format!("与同户第 {} 行的村「{village_name}」不同", rows[main].row),
                    ));
                }
                if !villages.contains_key(&r.village) {
                    own.push(error(
                        Column::Village,
                        r.row,
                        format!("本机没有「{}」的数据：只能导入本机所属的村", r.village),
                    ));
                }
                if let (Some(id), Some(v)) = (r.id_number.as_deref(), village) {
                    if let Some((kv, kno)) = known_ids.get(id) {
                        if (*kv, kno.as_str()) != (v, no) {
                            own.push(error(Column::IdNumber, r.row, format!("该身份证号已登记在户 {kno}")));
                        }
                    }
                }
            }
        }
        for e in own {
            let i = members.iter().copied().find(|&i| rows[i].row == e.row).expect("a row of this household");
            errors[i].push(e);
        }
        // The household's own fields, once every row reads.
        let mut order = heads.iter().take(1).copied().collect::<Vec<_>>();
        order.extend(members.iter().copied().filter(|&i| !rows[i].is_head));
        if let (Some(v), true) = (village, members.iter().all(|&i| errors[i].is_empty())) {
            let read: Vec<&RosterRow> = order.iter().filter_map(|&i| rows[i].read.as_ref().ok()).collect();
            let (fields, _) = household_fields(v, no, &read);
            if let Err(e) = validate_new(Entity::Household, &fields, today) {
                let column = Entity::Household.field(&e.field).map(|d| d.label).unwrap_or("户信息");
                errors[main].push(RowError { row: rows[main].row, column: column.into(), reason: e.message() });
            }
        }
        let wrong: Vec<usize> = members.iter().filter(|&&i| !errors[i].is_empty()).map(|&i| rows[i].row).collect();
        match village {
            Some(village_id) if wrong.is_empty() => {
                plan.households.push(PlannedHousehold { village_id, household_no: no.to_string(), rows: order })
            }
            _ => {
                plan.households_rejected += 1;
                let listed = wrong.iter().map(usize::to_string).collect::<Vec<_>>().join("、");
                for &i in &members {
                    if errors[i].is_empty() {
                        errors[i].push(error(
                            Column::HouseholdNo,
                            rows[i].row,
                            format!("同户第 {listed} 行有误，整户未导入：改正后重新导入"),
                        ));
                    }
                }
            }
        }
    }
    plan.rejected = errors.into_iter().flatten().collect();
    plan.rejected.sort_by_key(|e| e.row);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::find_header;
    use crate::rows::parse_row;
    use zoufang_model::IdNumber;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }
    fn id(k: u16) -> String {
        IdNumber::compose(522630, NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), k).to_string()
    }
    /// Rows of (户编号, 村, 姓名, 与户主关系, 身份证号), numbered from spreadsheet row 2.
    fn rows(cells: &[[&str; 5]]) -> Vec<ParsedRow> {
        let names = ["户编号", "村", "姓名", "与户主关系", "身份证号"];
        let header = find_header(&[names.iter().map(|s| s.to_string()).collect()]).unwrap();
        cells.iter().enumerate().map(|(i, c)| parse_row(&header, &c.map(str::to_string), i + 2, today())).collect()
    }
    fn villages() -> HashMap<String, Uuid> {
        HashMap::from([("红阳村".to_string(), Uuid::from_u128(1)), ("展福村".to_string(), Uuid::from_u128(2))])
    }
    fn reasons(p: &Plan, row: usize) -> Vec<String> {
        p.rejected.iter().filter(|e| e.row == row).map(|e| format!("{}:{}", e.column, e.reason)).collect()
    }

    #[test]
    fn one_bad_member_refuses_the_household_with_every_reason() {
        let (a, b, c) = (id(101), id(102), id(103));
        let good = id(104);
        let bad_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
        let r = rows(&[
            ["001", "红阳村", "龙国富", "户主", &a],
            ["001", "红阳村", "", "配偶", &bad_check],
            ["001", "红阳村", "龙小妹", "之女", &b],
            ["002", "红阳村", "欧金花", "户主", &c],
        ]);
        let p = plan(&r, &villages(), &HashMap::new(), today());
        assert_eq!(p.households.len(), 1, "household 002 alone is imported");
        assert_eq!(p.households[0].household_no, "002");
        assert_eq!(p.households_rejected, 1);
        let row3 = reasons(&p, 3);
        assert!(row3.iter().any(|r| r.starts_with("姓名:")), "{row3:?}");
        assert!(row3.iter().any(|r| r.starts_with("身份证号:") && r.contains("校验位")), "both reasons: {row3:?}");
        assert_eq!(reasons(&p, 2), vec!["户编号:同户第 3 行有误，整户未导入：改正后重新导入"]);
        assert_eq!(reasons(&p, 4).len(), 1);
        assert_eq!(p.rejected_rows(), 3);
    }

    #[test]
    fn a_duplicate_is_found_even_when_its_first_row_was_refused() {
        let (a, b, dup) = (id(201), id(202), id(203));
        let r = rows(&[
            ["010", "红阳村", "张三", "户主", &a],
            ["010", "红阳村", "张四", "表亲戚", &dup], // refused: unknown relation word
            ["011", "红阳村", "李五", "户主", &b],
            ["011", "红阳村", "李六", "配偶", &dup],
        ]);
        let p = plan(&r, &villages(), &HashMap::new(), today());
        assert!(p.households.is_empty(), "{:?}", p.households);
        assert_eq!(reasons(&p, 5), vec!["身份证号:身份证号与第 3 行重复"]);
        assert!(reasons(&p, 3)[0].contains("表亲戚"));
    }

    #[test]
    fn a_person_already_on_the_device_in_another_household_is_refused() {
        let a = id(301);
        let known = HashMap::from([(a.clone(), (Uuid::from_u128(1), "999".to_string()))]);
        let p = plan(&rows(&[["020", "红阳村", "王一", "户主", &a]]), &villages(), &known, today());
        assert_eq!(reasons(&p, 2), vec!["身份证号:该身份证号已登记在户 999"]);
        let same = HashMap::from([(a.clone(), (Uuid::from_u128(1), "020".to_string()))]);
        let p = plan(&rows(&[["020", "红阳村", "王一", "户主", &a]]), &villages(), &same, today());
        assert_eq!(p.households.len(), 1, "the same household again is an update");
    }

    #[test]
    fn households_numbered_per_village_and_a_member_in_the_wrong_village() {
        let r = rows(&[
            ["001", "红阳村", "甲", "户主", ""],
            ["001", "展福村", "乙", "户主", ""],
            ["001", "展福村", "丙", "之子", ""],
            ["002", "红阳村", "丁", "户主", ""],
            ["002", "不存在村", "戊", "之子", ""],
            ["003", "红阳村", "己", "之子", ""],
        ]);
        let p = plan(&r, &villages(), &HashMap::new(), today());
        let got: Vec<(Uuid, &str, usize)> =
            p.households.iter().map(|h| (h.village_id, h.household_no.as_str(), h.rows.len())).collect();
        assert_eq!(got, vec![(Uuid::from_u128(1), "001", 1), (Uuid::from_u128(2), "001", 2)]);
        let row6 = reasons(&p, 6);
        assert!(
            row6.iter().any(|r| r.contains("不同")) && row6.iter().any(|r| r.contains("本机没有「不存在村」")),
            "{row6:?}"
        );
        assert!(reasons(&p, 5)[0].contains("同户第 6 行有误"));
        assert!(reasons(&p, 7)[0].contains("没有户主行"));
        assert_eq!(p.households_rejected, 2);
    }
}
