//! One roster row: the cells of a member, read into typed values with the words registers use
//! (之子, 低保户, 因病致贫 …). Each problem names its column, in Chinese.

use crate::columns::{Column, Header};
use crate::plan::RowError;
use crate::vocabulary::{self, Vocabulary};
use chrono::NaiveDate;
use serde_json::Value;
use zoufang_model::schema::validate_field;
use zoufang_model::{
    Attribute, Education, Entity, Health, HouseholdStatus, IdNumber, Labor, PovertyCause, Relation, Schooling, Sex,
};

/// A member row as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub head_name: Option<String>,
    pub name: String,
    pub relation: Relation,
    pub id_number: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub health: Option<Health>,
    pub labor: Option<Labor>,
    pub education: Option<Education>,
    pub schooling: Option<Schooling>,
    pub attribute: Option<Attribute>,
    pub status: Option<HouseholdStatus>,
    pub causes: Vec<PovertyCause>,
    pub exit_year: Option<i64>,
    pub group: Option<String>,
    pub phone: Option<String>,
}

/// A row with what places it in its household, kept even when the row has errors: a household is
/// imported whole or not at all, and a 身份证号 is compared with every other row's.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    /// The spreadsheet's own row number (1-based), for the rejection report.
    pub row: usize,
    /// 户编号 and 村 as written ("" when missing).
    pub household_no: String,
    pub village: String,
    /// 与户主关系 reads as 户主.
    pub is_head: bool,
    /// A well-formed 身份证号 (check digit right), even when another cell of the row is wrong.
    pub id_number: Option<String>,
    pub read: Result<RosterRow, Vec<RowError>>,
}

/// A vocabulary cell read, its refusal added to `errors`.
fn word<T: Copy + PartialEq>(
    v: &Vocabulary<T>,
    raw: Option<String>,
    column: Column,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<T> {
    v.read(&raw?).map_err(|reason| errors.push(RowError { row, column: column.label().into(), reason })).ok()
}

/// `1980-01-01`, `1980/1/1`, `19800101`, `1980年1月1日`, `1980.01.01`.
fn date(s: &str) -> Option<NaiveDate> {
    let t: String = s.trim().replace(['年', '月', '/', '.'], "-").trim_end_matches('日').to_string();
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok().or_else(|| NaiveDate::parse_from_str(&t, "%Y%m%d").ok())
}

/// Reads one data row. `today` bounds dates. Every problem of the row is returned, not just the first.
pub fn parse_row(header: &Header, cells: &[String], row: usize, today: NaiveDate) -> ParsedRow {
    let mut errors = Vec::new();
    let cell = |c: Column| -> Option<String> {
        header
            .columns
            .iter()
            .position(|h| *h == Some(c))
            .and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut err = |c: Column, reason: String| errors.push(RowError { row, column: c.label().to_string(), reason });

    let mut required = |c: Column| -> String {
        cell(c).unwrap_or_else(|| {
            err(c, "必填，不能为空".into());
            String::new()
        })
    };
    let household_no = required(Column::HouseholdNo);
    let name_raw = required(Column::Name);
    let relation_raw = required(Column::Relation);
    let (mut village, mut group) = (cell(Column::Village), cell(Column::Group));
    if let Some(vg) = cell(Column::VillageAndGroup) {
        let mut parts = vg.split(['/', ' ', '-', '·']).filter(|p| !p.is_empty());
        village = village.or(parts.next().map(str::to_string));
        group = group.or(parts.next().map(str::to_string));
    }
    if village.is_none() {
        err(Column::Village, "必填，不能为空".into());
    }

    let mut check = |c: Column, entity: Entity, field: &str, raw: Option<String>| -> Option<String> {
        let raw = raw?;
        match validate_field(entity, field, &Value::from(raw.as_str()), today) {
            Ok(v) => v.as_str().map(str::to_string),
            Err(e) => {
                err(c, e.message());
                None
            }
        }
    };
    let name = if name_raw.is_empty() { None } else { check(Column::Name, Entity::Member, "name", Some(name_raw)) };
    let id_number = check(Column::IdNumber, Entity::Member, "id_number", cell(Column::IdNumber));
    let phone = check(Column::Phone, Entity::Member, "phone", cell(Column::Phone));
    let head_name = check(Column::HeadName, Entity::Household, "head_name", cell(Column::HeadName));
    let relation = match relation_raw.as_str() {
        "" => None,
        r => vocabulary::RELATION.read(r).map_err(|reason| err(Column::Relation, reason)).ok(),
    };
    let sex = word(&vocabulary::SEX, cell(Column::Sex), Column::Sex, row, &mut errors);
    let health = word(&vocabulary::HEALTH, cell(Column::Health), Column::Health, row, &mut errors);
    let labor = word(&vocabulary::LABOR, cell(Column::Labor), Column::Labor, row, &mut errors);
    let education = word(&vocabulary::EDUCATION, cell(Column::Education), Column::Education, row, &mut errors);
    let schooling = word(&vocabulary::SCHOOLING, cell(Column::Schooling), Column::Schooling, row, &mut errors);
    let attribute = word(&vocabulary::ATTRIBUTE, cell(Column::Attribute), Column::Attribute, row, &mut errors);
    let status = word(&vocabulary::STATUS, cell(Column::Status), Column::Status, row, &mut errors);
    let mut causes = Vec::new();
    if let Some(v) = cell(Column::Causes) {
        for part in v.split([',', '，', '、', '/', ';', '；', ' ']).filter(|p| !p.trim().is_empty()) {
            match vocabulary::CAUSE.read(part) {
                Ok(c) if !causes.contains(&c) => causes.push(c),
                Ok(_) => {}
                Err(reason) => errors.push(RowError { row, column: Column::Causes.label().into(), reason }),
            }
        }
    }
    let id = id_number.as_deref().and_then(|s| IdNumber::parse_at(s, today).ok());
    let birth_date = match cell(Column::BirthDate) {
        Some(raw) => match date(&raw) {
            Some(d) if d > today => {
                errors.push(RowError {
                    row,
                    column: Column::BirthDate.label().into(),
                    reason: "日期不能晚于今天".into(),
                });
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(RowError {
                    row,
                    column: Column::BirthDate.label().into(),
                    reason: format!("无法识别的日期「{raw}」，应如 1980-01-31"),
                });
                None
            }
        },
        None => id.as_ref().map(|i| i.birth_date()),
    };
    let exit_year = match cell(Column::ExitYear) {
        Some(raw) => match raw.trim_end_matches('年').split('.').next().and_then(|y| y.parse::<i64>().ok()) {
            Some(y) if (2013..=2035).contains(&y) => Some(y),
            _ => {
                errors.push(RowError {
                    row,
                    column: Column::ExitYear.label().into(),
                    reason: format!("脱贫年度应为 2013 到 2035 之间的年份，实际「{raw}」"),
                });
                None
            }
        },
        None => None,
    };
    let parsed = ParsedRow {
        row,
        household_no,
        village: village.unwrap_or_default(),
        is_head: relation == Some(Relation::Head),
        id_number: id_number.clone(),
        read: Err(Vec::new()),
    };
    if !errors.is_empty() {
        return ParsedRow { read: Err(errors), ..parsed };
    }
    ParsedRow {
        read: Ok(RosterRow {
            head_name,
            name: name.unwrap_or_default(),
            relation: relation.unwrap_or(Relation::Other),
            id_number,
            sex: sex.or_else(|| id.as_ref().map(|i| i.sex())),
            birth_date,
            health,
            labor,
            education,
            schooling,
            attribute,
            status,
            causes,
            exit_year,
            group,
            phone,
        }),
        ..parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::find_header;

    fn header() -> Header {
        let names =
            ["户编号", "村/组", "姓名", "与户主关系", "身份证号", "健康状况", "贫困户属性", "致贫原因", "脱贫年度"];
        find_header(&[names.iter().map(|s| s.to_string()).collect()]).unwrap()
    }
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn an_unknown_word_is_refused_with_the_words_allowed() {
        let cells: Vec<String> = ["7001", "红阳村/一组", "龙国富", "户主", "", "很好", "特别户", "因病", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let errors = parse_row(&header(), &cells, 4, today()).read.unwrap_err();
        let health = errors.iter().find(|e| e.column == "健康状况").unwrap();
        assert!(health.reason.contains("「很好」") && health.reason.contains("长期慢性病"), "{}", health.reason);
        let attr = errors.iter().find(|e| e.column == "贫困户属性").unwrap();
        assert!(attr.reason.contains("一般贫困户、低保贫困户、特困供养户"), "{}", attr.reason);
    }
    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn register_words_are_understood() {
        let id = IdNumber::compose(522630, NaiveDate::from_ymd_opt(1968, 3, 9).unwrap(), 12).to_string();
        let p = parse_row(
            &header(),
            &cells(&["001", "红阳村/三组", "张三", "户主", &id, "慢性病", "低保户", "因病致贫、缺技术", "2019年"]),
            7,
            today(),
        );
        assert_eq!((p.household_no.as_str(), p.village.as_str(), p.is_head), ("001", "红阳村", true));
        let r = p.read.unwrap();
        assert_eq!(r.group.as_deref(), Some("三组"));
        assert_eq!(r.relation, Relation::Head);
        assert_eq!(r.health, Some(Health::Chronic));
        assert_eq!(r.attribute, Some(Attribute::Dibao));
        assert_eq!(r.causes, vec![PovertyCause::Illness, PovertyCause::NoSkills]);
        assert_eq!(r.exit_year, Some(2019));
        assert_eq!(r.birth_date, NaiveDate::from_ymd_opt(1968, 3, 9), "birth date from the 身份证号");
        assert_eq!(date("1980年1月2日"), NaiveDate::from_ymd_opt(1980, 1, 2));
        assert_eq!(date("19800102"), NaiveDate::from_ymd_opt(1980, 1, 2));
    }

    #[test]
    fn every_problem_of_a_row_names_its_column() {
        let e = parse_row(
            &header(),
            &cells(&["", "", "张三", "表哥", "522630196803090121", "", "", "因穷", ""]),
            9,
            today(),
        );
        assert_eq!(e.id_number, None, "a 身份证号 with a wrong check digit is not compared with others");
        let e = e.read.unwrap_err();
        let cols: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, vec!["户编号", "村", "身份证号", "与户主关系", "致贫原因"], "{e:?}");
        assert!(e[2].reason.contains("校验位"), "{}", e[2].reason);
        assert!(e.iter().all(|e| e.row == 9));
    }
}
