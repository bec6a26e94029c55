//! One roster row: the cells of a member, read into typed values with the words registers use
//! (之子, 低保户, 因病致贫 …). Each problem names its column, in Chinese.

use crate::columns::{Column, Header};
use crate::plan::RowError;
use chrono::NaiveDate;
use serde_json::Value;
use zoufang_model::schema::validate_field;
use zoufang_model::{
    Attribute, Entity, Health, HouseholdStatus, IdNumber, Labor, PovertyCause, Relation, Schooling, Sex,
};

/// A member row as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    /// The spreadsheet's own row number (1-based), for the rejection report.
    pub row: usize,
    pub household_no: String,
    pub head_name: Option<String>,
    pub name: String,
    pub relation: Relation,
    pub id_number: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub health: Option<Health>,
    pub labor: Option<Labor>,
    pub schooling: Option<Schooling>,
    pub attribute: Option<Attribute>,
    pub status: Option<HouseholdStatus>,
    pub causes: Vec<PovertyCause>,
    pub exit_year: Option<i64>,
    pub village: String,
    pub group: Option<String>,
    pub phone: Option<String>,
}

fn relation(s: &str) -> Option<Relation> {
    let s = s.trim().trim_start_matches('之');
    Relation::parse(s).or_else(|| synonym(s))
}

fn synonym(s: &str) -> Option<Relation> {
    Some(match s {
        "本人" | "户主本人" => Relation::Head,
        "妻" | "妻子" | "夫" | "丈夫" | "配偶" => Relation::Spouse,
        "子" | "女" | "儿子" | "女儿" | "长子" | "次子" | "三子" | "长女" | "次女" | "三女" | "养子" | "养女"
        | "继子" | "继女" => Relation::Child,
        "父" | "母" | "父亲" | "母亲" | "公公" | "婆婆" | "岳父" | "岳母" => Relation::Parent,
        "孙子" | "孙女" | "外孙" | "外孙子" | "外孙女" | "孙" => Relation::Grandchild,
        "祖父" | "祖母" | "外祖父" | "外祖母" => Relation::Grandparent,
        "兄" | "弟" | "姐" | "妹" | "兄弟" | "姐妹" | "哥哥" | "弟弟" | "姐姐" | "妹妹" => {
            Relation::Sibling
        }
        "儿媳" | "女婿" => Relation::ChildInLaw,
        "侄子" | "侄女" | "外甥" | "外甥女" | "其它" => Relation::Other,
        _ => return None,
    })
}

fn health(s: &str) -> Option<Health> {
    Health::parse(s).or(match s {
        "慢性病" => Some(Health::Chronic),
        "大病" | "重病" => Some(Health::Serious),
        _ => None,
    })
}

fn labor(s: &str) -> Option<Labor> {
    Labor::parse(s).or(match s {
        "弱劳动力" | "半劳动力" => Some(Labor::Weak),
        "技能劳动力(有技能)" | "有技能" => Some(Labor::Skilled),
        _ => None,
    })
}

fn schooling(s: &str) -> Option<Schooling> {
    Schooling::parse(s).or(match s {
        "不在校" | "否" | "无" => Some(Schooling::NotInSchool),
        "学龄前" | "学龄前儿童" | "幼儿园" => Some(Schooling::Preschool),
        "中专" | "职高" | "技校" => Some(Schooling::Vocational),
        "大专" | "本科" | "大学" | "研究生" => Some(Schooling::Higher),
        _ => None,
    })
}

/// 贫困户属性 as registers and the provinces' exports write it: the national register's own
/// 「特困供养贫困户」 and the older 扶贫户 / 五保 forms among them.
fn attribute(s: &str) -> Option<Attribute> {
    Attribute::parse(s).or(match s {
        "一般户" | "一般扶贫户" => Some(Attribute::General),
        "低保户" | "低保" | "低保扶贫户" | "低保贫困户" => Some(Attribute::Dibao),
        "特困户"
        | "特困"
        | "特困供养"
        | "特困供养贫困户"
        | "特困供养扶贫户"
        | "五保户"
        | "五保贫困户"
        | "五保扶贫户" => Some(Attribute::Tekun),
        _ => None,
    })
}

/// The words a vocabulary accepts, for the message that refuses another one.
fn allowed<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> String {
    all.iter().map(|v| label(*v)).collect::<Vec<_>>().join("、")
}

fn status(s: &str) -> Option<HouseholdStatus> {
    HouseholdStatus::parse(s).or(match s {
        "脱贫" | "已脱贫户" | "脱贫户" => Some(HouseholdStatus::Exited),
        "贫困" | "贫困户" | "未脱贫户" => Some(HouseholdStatus::Poor),
        "边缘易致贫户" => Some(HouseholdStatus::Marginal),
        "监测户" | "脱贫不稳定户" => Some(HouseholdStatus::Monitored),
        _ => None,
    })
}

fn cause(s: &str) -> Option<PovertyCause> {
    let s = s.trim().trim_end_matches("致贫");
    PovertyCause::parse(s).or(match s {
        "病" => Some(PovertyCause::Illness),
        "残" => Some(PovertyCause::Disability),
        "学" => Some(PovertyCause::Schooling),
        "灾" => Some(PovertyCause::Disaster),
        "缺乏劳力" | "缺劳动力" => Some(PovertyCause::NoLabor),
        "交通落后" | "交通条件" => Some(PovertyCause::PoorTransport),
        "内生动力不足" | "自身发展动力不足" => Some(PovertyCause::LowMotivation),
        _ => None,
    })
}

/// `1980-01-01`, `1980/1/1`, `19800101`, `1980年1月1日`, `1980.01.01`.
fn date(s: &str) -> Option<NaiveDate> {
    let t: String = s.trim().replace(['年', '月', '/', '.'], "-").trim_end_matches('日').to_string();
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok().or_else(|| NaiveDate::parse_from_str(&t, "%Y%m%d").ok())
}

/// Reads one data row. `today` bounds dates. Every problem of the row is returned, not just the first.
pub fn parse_row(header: &Header, cells: &[String], row: usize, today: NaiveDate) -> Result<RosterRow, Vec<RowError>> {
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
        r => relation(r).or_else(|| {
            let words = allowed(Relation::ALL, Relation::label);
            err(Column::Relation, format!("无法识别的与户主关系「{r}」，应为：{words}"));
            None
        }),
    };
    let mut vocab = |c: Column, f: &dyn Fn(&str) -> Option<()>, words: String| {
        if let Some(v) = cell(c) {
            if f(&v).is_none() {
                err(c, format!("无法识别的取值「{v}」，应为：{words}"));
            }
        }
    };
    vocab(Column::Sex, &|v| Sex::parse(v).map(|_| ()), allowed(Sex::ALL, Sex::label));
    vocab(Column::Health, &|v| health(v).map(|_| ()), allowed(Health::ALL, Health::label));
    vocab(Column::Labor, &|v| labor(v).map(|_| ()), allowed(Labor::ALL, Labor::label));
    vocab(Column::Schooling, &|v| schooling(v).map(|_| ()), allowed(Schooling::ALL, Schooling::label));
    vocab(Column::Attribute, &|v| attribute(v).map(|_| ()), allowed(Attribute::ALL, Attribute::label));
    vocab(Column::Status, &|v| status(v).map(|_| ()), allowed(HouseholdStatus::ALL, HouseholdStatus::label));
    let mut causes = Vec::new();
    if let Some(v) = cell(Column::Causes) {
        for part in v.split([',', '，', '、', '/', ';', '；', ' ']).filter(|p| !p.trim().is_empty()) {
            match cause(part) {
                Some(c) if !causes.contains(&c) => causes.push(c),
                Some(_) => {}
                None => errors.push(RowError {
                    row,
                    column: Column::Causes.label().into(),
                    reason: format!(
                        "无法识别的致贫原因「{part}」，应为：{}",
                        allowed(PovertyCause::ALL, PovertyCause::label)
                    ),
                }),
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
    if !errors.is_empty() {
        return Err(errors);
    }
    let sex = cell(Column::Sex).and_then(|v| Sex::parse(&v)).or_else(|| id.as_ref().map(|i| i.sex()));
    Ok(RosterRow {
        row,
        household_no,
        head_name,
        name: name.unwrap_or_default(),
        relation: relation.unwrap_or(Relation::Other),
        id_number,
        sex,
        birth_date,
        health: cell(Column::Health).and_then(|v| health(&v)),
        labor: cell(Column::Labor).and_then(|v| labor(&v)),
        schooling: cell(Column::Schooling).and_then(|v| schooling(&v)),
        attribute: cell(Column::Attribute).and_then(|v| attribute(&v)),
        status: cell(Column::Status).and_then(|v| status(&v)),
        causes,
        exit_year,
        village: village.unwrap_or_default(),
        group,
        phone,
    })
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
    fn the_registers_words_for_the_household_attribute() {
        for (word, want) in [
            ("一般贫困户", Attribute::General),
            ("一般扶贫户", Attribute::General),
            ("低保贫困户", Attribute::Dibao),
            ("低保扶贫户", Attribute::Dibao),
            ("特困供养贫困户", Attribute::Tekun),
            ("特困供养户", Attribute::Tekun),
            ("五保贫困户", Attribute::Tekun),
        ] {
            assert_eq!(attribute(word), Some(want), "{word}");
        }
        assert_eq!(attribute("贫困户"), None);
    }

    #[test]
    fn an_unknown_word_is_refused_with_the_words_allowed() {
        let cells: Vec<String> = ["7001", "红阳村/一组", "龙国富", "户主", "", "很好", "特别户", "因病", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let errors = parse_row(&header(), &cells, 4, today()).unwrap_err();
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
        let r = parse_row(
            &header(),
            &cells(&["001", "红阳村/三组", "张三", "户主", &id, "慢性病", "低保户", "因病致贫、缺技术", "2019年"]),
            7,
            today(),
        )
        .unwrap();
        assert_eq!((r.village.as_str(), r.group.as_deref()), ("红阳村", Some("三组")));
        assert_eq!(r.relation, Relation::Head);
        assert_eq!(r.health, Some(Health::Chronic));
        assert_eq!(r.attribute, Some(Attribute::Dibao));
        assert_eq!(r.causes, vec![PovertyCause::Illness, PovertyCause::NoSkills]);
        assert_eq!(r.exit_year, Some(2019));
        assert_eq!(r.birth_date, NaiveDate::from_ymd_opt(1968, 3, 9), "birth date from the 身份证号");
        assert_eq!(relation("之子"), Some(Relation::Child));
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
        )
        .unwrap_err();
        let cols: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, vec!["户编号", "村", "身份证号", "与户主关系", "致贫原因"], "{e:?}");
        assert!(e[2].reason.contains("校验位"), "{}", e[2].reason);
        assert!(e.iter().all(|e| e.row == 9));
    }
}
