//! Typed records of the domain model (DESIGN.md). Field names equal the schema's; a test keeps them in step.

use crate::enums::*;
use crate::error::{Problem, ValidationError};
use crate::id_number::IdNumber;
use crate::income::IncomeCalc;
use crate::phone::Phone;
use crate::schema::Entity;
use chrono::NaiveDate;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A typed record that maps to one schema entity.
pub trait Record: Serialize + DeserializeOwned {
    const ENTITY: Entity;
    fn id(&self) -> Uuid;

    /// The record's fields as a JSON map (without `id`), the shape the store and sync work with.
    fn to_fields(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => {
                m.remove("id");
                m
            }
            _ => Map::new(),
        }
    }
}

macro_rules! record {
    ($t:ty, $e:expr) => {
        impl Record for $t {
            const ENTITY: Entity = $e;
            fn id(&self) -> Uuid {
                self.id
            }
        }
    };
}

/// 行政村.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Village {
    pub id: Uuid,
    pub name: String,
    /// 12-digit 统计用区划代码: the first 6 digits are the county, the first 9 the township.
    pub code: String,
    pub township: String,
    pub county: String,
    /// A 贫困村 (registered poor village); inspections must cover every one. `None`: not flagged.
    #[serde(default)]
    pub poor_village: Option<bool>,
    /// Where the village committee is and how far from it a check-in counts as in the village (set by
    /// the county office; `crate::presence`).
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub radius_m: Option<i64>,
}
record!(Village, Entity::Village);

/// 建档立卡户 (also 边缘户 / 监测户).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Household {
    pub id: Uuid,
    pub village_id: Uuid,
    pub household_no: String,
    pub head_name: String,
    pub head_id_number: Option<IdNumber>,
    pub phone: Option<Phone>,
    pub group_name: Option<String>,
    pub address: Option<String>,
    pub attribute: Attribute,
    /// The procedure record that last changed the status (`crate::procedure`); none for a household
    /// whose status is still the one it was registered with.
    #[serde(default)]
    pub status_change: Option<Uuid>,
    pub status: HouseholdStatus,
    #[serde(default)]
    pub poverty_causes: Vec<PovertyCause>,
    pub helper_name: Option<String>,
    pub helper_phone: Option<Phone>,
    /// The 帮扶责任人 in the village's register (`crate::helpers`); name and phone are copied from it.
    #[serde(default)]
    pub helper_id: Option<Uuid>,
    /// 系统人口: the population in the national register.
    pub registered_population: Option<i64>,
    /// 明白卡人口: the number on the household's card, where the county still uses the card.
    #[serde(default)]
    pub card_population: Option<i64>,
    pub exit_year: Option<i64>,
    pub notes: Option<String>,
}
record!(Household, Entity::Household);

/// 家庭成员.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    pub id: Uuid,
    pub household_id: Uuid,
    pub name: String,
    pub id_number: Option<IdNumber>,
    pub relation: Relation,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub health: Option<Health>,
    pub labor: Option<Labor>,
    /// 文化程度; absent in records written before it was kept.
    #[serde(default)]
    pub education: Option<Education>,
    pub schooling: Option<Schooling>,
    pub phone: Option<Phone>,
    /// The change that last moved the member (`crate::members`).
    #[serde(default)]
    pub member_change: Option<Uuid>,
    /// When the member left (died, married out, moved out); `None` while in the household.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}
record!(Member, Entity::Member);

/// The state of one 两不愁三保障 item as seen on a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NeedState {
    #[default]
    Met,
    Unmet,
    /// E.g. education for a household with no school-age children.
    NotApplicable,
}

/// One checklist item: its state and, for a problem, what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NeedCheck {
    pub state: NeedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The 两不愁三保障 + 饮水安全 checklist of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct BasicNeeds {
    pub food: NeedCheck,
    pub clothing: NeedCheck,
    pub education: NeedCheck,
    pub medical: NeedCheck,
    pub housing: NeedCheck,
    pub water: NeedCheck,
}

impl BasicNeeds {
    pub fn items(&self) -> [(BasicNeed, &NeedCheck); 6] {
        [
            (BasicNeed::Food, &self.food),
            (BasicNeed::Clothing, &self.clothing),
            (BasicNeed::Education, &self.education),
            (BasicNeed::Medical, &self.medical),
            (BasicNeed::Housing, &self.housing),
            (BasicNeed::Water, &self.water),
        ]
    }

    /// One item's check, mutable, by the item.
    pub fn get_mut(&mut self, need: BasicNeed) -> &mut NeedCheck {
        match need {
            BasicNeed::Food => &mut self.food,
            BasicNeed::Clothing => &mut self.clothing,
            BasicNeed::Education => &mut self.education,
            BasicNeed::Medical => &mut self.medical,
            BasicNeed::Housing => &mut self.housing,
            BasicNeed::Water => &mut self.water,
        }
    }

    /// Marks an item unmet with what was found.
    pub fn set_unmet(&mut self, need: BasicNeed, note: &str) {
        *self.get_mut(need) = NeedCheck { state: NeedState::Unmet, note: Some(note.to_string()) };
    }

    /// The items found unmet.
    pub fn unmet(&self) -> Vec<BasicNeed> {
        self.items().into_iter().filter(|(_, c)| c.state == NeedState::Unmet).map(|(n, _)| n).collect()
    }

    /// Every unmet item must say what was found; notes are bounded.
    pub fn validate(&self) -> Result<(), Problem> {
        for (need, c) in self.items() {
            let note = c.note.as_deref().map(str::trim).unwrap_or("");
            if c.state == NeedState::Unmet && note.is_empty() {
                return Err(Problem::Invalid {
                    detail: format!("「{}」未达标，请写明具体问题", need.label())
                });
            }
            if note.chars().count() > 500 {
                return Err(Problem::Invalid { detail: format!("「{}」说明最多 500 字", need.label()) });
            }
        }
        Ok(())
    }
}

/// 入户走访.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Visit {
    pub id: Uuid,
    pub household_id: Uuid,
    pub kind: VisitKind,
    pub visited_on: NaiveDate,
    pub visitor: String,
    /// The register's 帮扶责任人 who made the visit, when it was one (`crate::helpers`).
    #[serde(default)]
    pub helper_id: Option<Uuid>,
    pub basic_needs: BasicNeeds,
    pub satisfaction: Option<Satisfaction>,
    /// 实际人口 counted on the visit.
    pub actual_population: Option<i64>,
    pub notes: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}
record!(Visit, Entity::Visit);

/// An entry of the 扶贫手册.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HandbookEntry {
    pub id: Uuid,
    pub household_id: Uuid,
    pub section: HandbookSection,
    pub entry_date: NaiveDate,
    pub title: String,
    pub content: Option<String>,
    pub measure: Option<MeasureKind>,
    pub amount_fen: Option<i64>,
    pub income_calc: Option<IncomeCalc>,
    pub recorded_by: Option<String>,
}
record!(HandbookEntry, Entity::HandbookEntry);

/// A daily 在村 check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Presence {
    pub id: Uuid,
    pub village_id: Uuid,
    pub staff_name: String,
    pub checked_at: chrono::DateTime<chrono::FixedOffset>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: Option<String>,
    /// Whether the position was within the village's radius (`None`: no position, or the village has
    /// no location set).
    #[serde(default)]
    pub inside: Option<bool>,
    /// The device's clock against the server's at the first sync after the check-in (server − device,
    /// ms); `None` until then.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
}
record!(Presence, Entity::Presence);

/// An item of the 问题整改台账, closed by sign-off (销号).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rectification {
    pub id: Uuid,
    pub village_id: Uuid,
    pub household_id: Option<Uuid>,
    pub source: RectificationSource,
    pub problem: String,
    pub deadline: NaiveDate,
    /// The 销号 step that last changed the status (`crate::rectification`).
    #[serde(default)]
    pub review: Option<Uuid>,
    pub status: RectificationStatus,
    pub responsible: Option<String>,
    pub evidence: Option<String>,
    pub closed_on: Option<NaiveDate>,
}
record!(Rectification, Entity::Rectification);

/// One side of a concurrent edit: what a device wrote, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Candidate {
    /// The change that wrote this value.
    pub change: Uuid,
    pub value: Value,
    pub device: Uuid,
    /// The enrolled name of the device (who).
    pub author: String,
    /// Wall-clock time of the edit, from its hybrid logical clock, RFC 3339 (when).
    pub at: String,
}

/// A concurrent edit detected by the server; a person resolves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    pub id: Uuid,
    pub village_id: Uuid,
    pub entity: String,
    pub row_id: Uuid,
    pub field: String,
    pub candidates: Vec<Candidate>,
    /// The change whose value the record holds now (deterministic: higher clock, then device id).
    pub winner: Uuid,
    pub opened_at: String,
    pub status: ConflictStatus,
    pub resolution: Option<Value>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}
record!(Conflict, Entity::Conflict);

/// An item of 一户一档: one document of a household, photographed page by page. Its pages are the
/// `Photo` records that point at it (`owner_kind = archive_document`), ordered by `page`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArchiveDocument {
    pub id: Uuid,
    pub household_id: Uuid,
    pub kind: ArchiveKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}
record!(ArchiveDocument, Entity::ArchiveDocument);

impl ArchiveDocument {
    pub fn section(&self) -> ArchiveSection {
        self.kind.section()
    }
}

/// A 帮扶责任人 in a village's register: households name one (`Household::helper_id`), and the visits
/// they make name them (`Visit::helper_id`), so visit frequency is counted per person, not per typed name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Helper {
    pub id: Uuid,
    pub village_id: Uuid,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
}
record!(Helper, Entity::Helper);

/// A document of the village's 村级档案 (seed 001: policy files, ledgers, project and fund records,
/// review minutes, notices… are kept by the village, never filed per household). Its pages are the
/// `Photo` records that point at it (`owner_kind = village_document`), ordered by `page`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageDocument {
    pub id: Uuid,
    pub village_id: Uuid,
    pub kind: VillageArchiveKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}
record!(VillageDocument, Entity::VillageDocument);

/// A photo: a page of a document, or evidence for a visit or a rectification. The record carries the
/// hashes only; the bytes travel separately (chunked, resumable) and are fetched on demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Photo {
    pub id: Uuid,
    pub village_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<Uuid>,
    pub owner_kind: PhotoOwner,
    pub owner_id: Uuid,
    /// SHA-256 of the archive JPEG.
    pub hash: String,
    pub thumb_hash: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Camera time from EXIF, `YYYY-MM-DDTHH:MM:SS` (camera local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}
record!(Photo, Entity::Photo);

/// A 暗访 inspection as synced: plain metadata for coverage figures, the findings sealed (base64) to the
/// county office's key. See [`InspectionFindings`] for what is inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Inspection {
    pub id: Uuid,
    pub household_id: Uuid,
    pub inspected_on: NaiveDate,
    pub inspector: String,
    /// Base64 of the sealed [`InspectionFindings`] (never plaintext).
    pub sealed: String,
    /// Names (SHA-256 of the ciphertext) of the inspection's photo files, each sealed on its own to the
    /// county office: listed in clear so the server lets only who may read inspections fetch them.
    #[serde(default)]
    pub photos: Vec<String>,
}
record!(Inspection, Entity::Inspection);

/// What an inspector found at a household: sealed whole to the county office on the inspector's
/// device, opened only there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct InspectionFindings {
    /// The 两不愁三保障 checklist as the inspector found it.
    pub basic_needs: BasicNeeds,
    pub satisfaction: Option<Satisfaction>,
    /// Whether the family knows its 帮扶责任人 (a usual 暗访 question).
    pub knows_helper: Option<bool>,
    pub notes: Option<String>,
    /// Other problems found, one per item.
    pub problems: Vec<String>,
    /// The photos taken, in order (their files are sealed separately; see [`InspectionPhoto`]).
    #[serde(default)]
    pub photos: Vec<InspectionPhoto>,
}

/// A photo of a 暗访 inspection: the image is sealed to the county office the moment it is taken
/// (the inspector's device never keeps it in clear); this description travels inside the sealed
/// findings, so when and where it was taken is hidden too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct InspectionPhoto {
    /// SHA-256 of the sealed file: its name on the device and the server.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    /// Size of the image inside, in bytes.
    pub bytes: u32,
    /// From the camera's EXIF, `YYYY-MM-DD HH:MM:SS`.
    pub taken_at: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl InspectionFindings {
    /// Checks the findings before they are sealed (once sealed, no one but the county can check them).
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.basic_needs.validate().map_err(|p| ValidationError::new("basic_needs", p))?;
        let notes = self.notes.as_deref().unwrap_or("").chars().count();
        if notes > 5000 {
            return Err(ValidationError::new("notes", Problem::TooLong { max: 5000, actual: notes }));
        }
        for (i, p) in self.problems.iter().enumerate() {
            let n = p.trim().chars().count();
            if n == 0 {
                return Err(ValidationError::new(format!("problems.{i}"), Problem::Required));
            }
            if n > 2000 {
                return Err(ValidationError::new(format!("problems.{i}"), Problem::TooLong { max: 2000, actual: n }));
            }
        }
        Ok(())
    }

    /// The problems the county office turns into rectification items: each unmet checklist item with
    /// its note, then each other problem.
    pub fn problems_to_rectify(&self) -> Vec<String> {
        let unmet =
            self.basic_needs.items().into_iter().filter(|(_, c)| c.state == NeedState::Unmet).map(|(need, c)| {
                format!("暗访发现「{}」未达标：{}", need.label(), c.note.as_deref().unwrap_or("").trim())
            });
        let other = self.problems.iter().map(|p| format!("暗访发现：{}", p.trim()));
        unmet.chain(other).collect()
    }
}

/// Where a user or device may read and write: a village, a township (9-digit code prefix) or a county (6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Village(Uuid),
    Township(String),
    County(String),
}

impl Scope {
    /// Parses `village:<uuid>`, `township:<9 digits>`, `county:<6 digits>`.
    pub fn parse(s: &str) -> Result<Scope, Problem> {
        let (k, v) = s.split_once(':').ok_or(Problem::Invalid {
            detail: "范围应写作 village:<村id>、township:<9位代码> 或 county:<6位代码>".into(),
        })?;
        let digits = |n: usize| v.len() == n && v.chars().all(|c| c.is_ascii_digit());
        match k {
            "village" => Uuid::parse_str(v).map(Scope::Village).map_err(|_| Problem::Uuid),
            "township" if digits(9) => Ok(Scope::Township(v.into())),
            "county" if digits(6) => Ok(Scope::County(v.into())),
            _ => Err(Problem::Invalid { detail: format!("无法识别的范围：{s}") }),
        }
    }

    /// Refuses a township or county scope whose code is not 9 or 6 digits (a scope arriving as JSON is
    /// not parsed from text, so it is checked here before it is stored or compared).
    pub fn check(&self) -> Result<(), Problem> {
        let ok = match self {
            Scope::Village(_) => true,
            Scope::Township(t) => t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()),
            Scope::County(c) => c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()),
        };
        if ok {
            Ok(())
        } else {
            Err(Problem::Invalid {
                detail: format!("无法识别的范围：{self}（乡镇应为 9 位区划代码，县应为 6 位区划代码）"),
            })
        }
    }

    /// Whether a village (id and division code) lies inside this scope.
    pub fn contains(&self, village_id: Uuid, village_code: &str) -> bool {
        match self {
            Scope::Village(v) => *v == village_id,
            Scope::Township(t) => village_code.starts_with(t.as_str()),
            Scope::County(c) => village_code.starts_with(c.as_str()),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Village(v) => write!(f, "village:{v}"),
            Scope::Township(t) => write!(f, "township:{t}"),
            Scope::County(c) => write!(f, "county:{c}"),
        }
    }
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<Phone>,
}

/// An enrolled tablet or laptop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub revoked: bool,
}

/// A user's role within a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub user: Uuid,
    pub role: Role,
    pub scope: Scope,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::validate_new;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn check<R: Record>(r: &R) {
        let fields = r.to_fields();
        for k in fields.keys() {
            assert!(R::ENTITY.field(k).is_some(), "{:?} has no schema field {k}", R::ENTITY);
        }
        for def in R::ENTITY.fields() {
            if !def.server_only {
                assert!(fields.contains_key(def.name), "{:?} struct lacks {}", R::ENTITY, def.name);
            }
        }
        validate_new(R::ENTITY, &fields, today()).unwrap();
    }

    #[test]
    fn typed_records_match_the_schema() {
        let v = Uuid::now_v7();
        let h = Uuid::now_v7();
        check(&Village {
            id: v,
            name: "花桥村".into(),
            code: "520102001001".into(),
            township: "花桥镇".into(),
            county: "南明区".into(),
            poor_village: None,
            lat: None,
            lon: None,
            radius_m: None,
        });
        check(&Household {
            id: h,
            village_id: v,
            household_no: "5201020010010001".into(),
            head_name: "王秀英".into(),
            head_id_number: Some(IdNumber::compose(520102, NaiveDate::from_ymd_opt(1962, 3, 4).unwrap(), 22)),
            phone: Some(Phone::parse("13808511234").unwrap()),
            group_name: Some("一组".into()),
            address: None,
            attribute: Attribute::Dibao,
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
        });
        check(&Member {
            id: Uuid::now_v7(),
            household_id: h,
            name: "李明".into(),
            id_number: None,
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
        });
        let needs = BasicNeeds {
            housing: NeedCheck { state: NeedState::Unmet, note: Some("屋顶漏雨".into()) },
            ..Default::default()
        };
        check(&Visit {
            id: Uuid::now_v7(),
            household_id: h,
            kind: VisitKind::Routine,
            visited_on: today(),
            visitor: "张伟".into(),
            helper_id: None,
            basic_needs: needs,
            satisfaction: Some(Satisfaction::Basic),
            actual_population: Some(3),
            notes: None,
            lat: Some(26.5),
            lon: Some(106.7),
        });
        check(&HandbookEntry {
            id: Uuid::now_v7(),
            household_id: h,
            section: HandbookSection::IncomeCalc,
            entry_date: today(),
            title: "2026 年收支测算".into(),
            content: None,
            measure: None,
            amount_fen: None,
            income_calc: Some(IncomeCalc { year: 2026, household_size: 3, wage_fen: 1_200_000, ..Default::default() }),
            recorded_by: None,
        });
        check(&Presence {
            id: Uuid::now_v7(),
            village_id: v,
            staff_name: "张伟".into(),
            checked_at: chrono::DateTime::parse_from_rfc3339("2026-11-20T08:30:00+08:00").unwrap(),
            lat: None,
            lon: None,
            note: None,
            inside: None,
            clock_offset_ms: None,
        });
        check(&Rectification {
            id: Uuid::now_v7(),
            village_id: v,
            household_id: Some(h),
            source: RectificationSource::Visit,
            problem: "住房漏雨".into(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            review: None,
            status: RectificationStatus::Open,
            responsible: None,
            evidence: None,
            closed_on: None,
        });
    }

    #[test]
    fn unmet_needs_must_say_why() {
        let needs = BasicNeeds { water: NeedCheck { state: NeedState::Unmet, note: None }, ..Default::default() };
        assert!(needs.validate().unwrap_err().to_string().contains("饮水安全有保障"));
        assert_eq!(needs.unmet(), vec![BasicNeed::Water]);
    }

    #[test]
    fn scopes() {
        let v = Uuid::now_v7();
        assert!(Scope::parse("township:520102001").unwrap().contains(v, "520102001001"));
        assert!(!Scope::parse("county:520103").unwrap().contains(v, "520102001001"));
        assert!(Scope::parse(&format!("village:{v}")).unwrap().contains(v, "x"));
        assert!(Scope::parse("township:12").is_err());
    }
}
