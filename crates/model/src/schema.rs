//! The one description of every synced record kind: its table, fields, their kinds and rules.
//!
//! The device store builds its SQL from it, the server validates every pushed change against it, and the
//! sync rules use it to know which fields are immutable or written by the server only. A field that is not
//! here cannot be stored or synced.
//!
//! A new field goes at the end of its kind's list: devices store each record's versions by field
//! position (`zoufang_store`'s `versions`), so a field moved or removed would shift them.

use crate::enums::*;
use crate::error::{Problem, ValidationError};
use crate::id_number::IdNumber;
use crate::phone::Phone;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A kind of synced record.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Village,
    Household,
    Member,
    Visit,
    HandbookEntry,
    Presence,
    Rectification,
    Conflict,
    ExitDecision,
    ArchiveDocument,
    Photo,
    Inspection,
    StatusChange,
    RectificationReview,
    MemberChange,
    Helper,
    VillageDocument,
}

/// How a record finds the village that scopes it (who may see and write it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeVia {
    /// The record is a village: it scopes itself.
    Itself,
    /// A field holding the village id.
    Village(&'static str),
    /// A field holding the household id; the household's village scopes it.
    Household(&'static str),
}

/// What a field holds; decides validation and the SQLite storage class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    /// Free text up to `max` characters.
    Text(usize),
    /// A person's name.
    PersonName,
    IdNumber,
    Phone,
    /// `YYYY-MM-DD`; `past_only` refuses dates after today.
    Date {
        past_only: bool,
    },
    /// RFC 3339 timestamp, not in the future beyond a small clock allowance.
    DateTime,
    /// One of the identifiers.
    Enum(&'static [&'static str]),
    /// A JSON array of distinct identifiers.
    EnumSet(&'static [&'static str]),
    Int {
        min: i64,
        max: i64,
    },
    /// Integer fen, ≥ 0.
    Fen,
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    /// The id of another record.
    Ref(Entity),
    /// Any UUID.
    Uuid,
    /// 12-digit 统计用区划代码.
    DivisionCode,
    /// A SHA-256 as 64 lowercase hex digits (a photo's name).
    Sha256,
    /// A JSON array of at most this many distinct SHA-256 names (a 暗访 inspection's sealed photos).
    Sha256List(usize),
    /// The 两不愁三保障 checklist of a visit.
    BasicNeeds,
    /// An income/expense calculation.
    IncomeCalc,
    /// Conflict candidates (server-written).
    Candidates,
    /// Any JSON value (a conflict's chosen resolution).
    AnyJson,
    /// Ciphertext sealed to the county office's key, base64 (a 暗访 inspection's findings). Only its
    /// form is checked: no one but the county office can see inside.
    Sealed,
}

/// How SQLite stores a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Text,
    Integer,
    Real,
    /// UUID as 16 bytes.
    Blob,
    /// JSON as text.
    Json,
}

impl FieldKind {
    pub fn storage(self) -> Storage {
        match self {
            FieldKind::Int { .. } | FieldKind::Fen | FieldKind::Bool => Storage::Integer,
            FieldKind::Float { .. } => Storage::Real,
            FieldKind::Ref(_) | FieldKind::Uuid => Storage::Blob,
            FieldKind::EnumSet(_)
            | FieldKind::Sha256List(_)
            | FieldKind::BasicNeeds
            | FieldKind::IncomeCalc
            | FieldKind::Candidates
            | FieldKind::AnyJson => Storage::Json,
            _ => Storage::Text,
        }
    }
}

/// One field of a record kind.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    /// The Chinese label for messages and forms.
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Set once at creation (parent links): keeps scope and foreign keys stable across sync.
    pub immutable: bool,
    /// Written by the server only (conflict bookkeeping).
    pub server_only: bool,
}

const fn f(name: &'static str, label: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { name, label, kind, required: false, immutable: false, server_only: false }
}
const fn req(name: &'static str, label: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { name, label, kind, required: true, immutable: false, server_only: false }
}
const fn parent(name: &'static str, label: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { name, label, kind, required: true, immutable: true, server_only: false }
}
const fn server(name: &'static str, label: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { name, label, kind, required: false, immutable: false, server_only: true }
}

/// The tombstone field every record has; `true` hides the record, `false` restores it.
pub const DELETED: &str = "deleted";
const DELETED_DEF: FieldDef = f(DELETED, "已删除", FieldKind::Bool);

const LAT: FieldKind = FieldKind::Float { min: -90.0, max: 90.0 };
const LON: FieldKind = FieldKind::Float { min: -180.0, max: 180.0 };
const NOTE: FieldKind = FieldKind::Text(5000);

/// A village's division code decides whose scope it is in, so it is fixed once set: devices that
/// pulled the village by it keep it, others never got it. A village set up under a wrong code is set up
/// again.
const VILLAGE: &[FieldDef] = &[
    req("name", "村名", FieldKind::Text(50)),
    fixed("code", "行政区划代码", FieldKind::DivisionCode, true),
    req("township", "乡镇", FieldKind::Text(50)),
    req("county", "县(市、区)", FieldKind::Text(50)),
    // 贫困村: inspections must cover every one in the year, whatever its number of poor households.
    f("poor_village", "贫困村", FieldKind::Bool),
    // Where the village committee is, and the radius a check-in counts as in the village.
    f("lat", "村委会纬度", LAT),
    f("lon", "村委会经度", LON),
    f("radius_m", "签到范围(米)", FieldKind::Int { min: 50, max: 20_000 }),
];

const HOUSEHOLD: &[FieldDef] = &[
    parent("village_id", "所属村", FieldKind::Ref(Entity::Village)),
    req("household_no", "户编号", FieldKind::Text(30)),
    req("head_name", "户主姓名", FieldKind::PersonName),
    f("head_id_number", "户主身份证号", FieldKind::IdNumber),
    f("phone", "联系电话", FieldKind::Phone),
    f("group_name", "村民小组", FieldKind::Text(50)),
    f("address", "住址", FieldKind::Text(200)),
    req("attribute", "贫困户属性", FieldKind::Enum(Attribute::IDENTS)),
    // The procedure step that last changed the status (`status_change`), written with it: 户状态 changes
    // only through a procedure (`crate::procedure`).
    f("status_change", "状态变更记录", FieldKind::Ref(Entity::StatusChange)),
    req("status", "户状态", FieldKind::Enum(HouseholdStatus::IDENTS)),
    f("poverty_causes", "致贫原因", FieldKind::EnumSet(PovertyCause::IDENTS)),
    f("helper_name", "帮扶责任人", FieldKind::PersonName),
    f("helper_phone", "帮扶责任人电话", FieldKind::Phone),
    // The 帮扶责任人 in the village's register (`Helper`); name and phone above are copied from it when
    // linked, and stay typed where no register entry exists yet (`crate::helpers`).
    f("helper_id", "帮扶责任人名册", FieldKind::Ref(Entity::Helper)),
    f("registered_population", "系统人口", FieldKind::Int { min: 1, max: 30 }),
    // 明白卡 (the card each household holds); some counties abolished it (seed 001): a county setting.
    f("card_population", "明白卡人口", FieldKind::Int { min: 1, max: 30 }),
    f("exit_year", "脱贫年度", FieldKind::Int { min: 2013, max: 2035 }),
    f("notes", "备注", NOTE),
];

const MEMBER: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    req("name", "姓名", FieldKind::PersonName),
    f("id_number", "身份证号", FieldKind::IdNumber),
    req("relation", "与户主关系", FieldKind::Enum(Relation::IDENTS)),
    f("sex", "性别", FieldKind::Enum(Sex::IDENTS)),
    f("birth_date", "出生日期", FieldKind::Date { past_only: true }),
    f("health", "健康状况", FieldKind::Enum(Health::IDENTS)),
    f("labor", "劳动技能", FieldKind::Enum(Labor::IDENTS)),
    f("education", "文化程度", FieldKind::Enum(Education::IDENTS)),
    f("schooling", "在校生状况", FieldKind::Enum(Schooling::IDENTS)),
    f("phone", "联系电话", FieldKind::Phone),
    // Members leave by a procedure, never a delete (`crate::members`): the change that last moved the
    // member, written before the date it left.
    f("member_change", "成员变动记录", FieldKind::Ref(Entity::MemberChange)),
    f("left_on", "离开日期", FieldKind::Date { past_only: true }),
];

/// One member joining or leaving a household, never edited (`crate::members`).
const MEMBER_CHANGE: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    fixed("member_id", "成员", FieldKind::Ref(Entity::Member), true),
    fixed("changed_on", "变动日期", FieldKind::Date { past_only: true }, true),
    fixed("actor", "经办人", FieldKind::PersonName, true),
    fixed("evidence", "依据", FieldKind::Text(500), false),
    // After what it rests on: the server checks the change when its kind arrives.
    fixed("kind", "变动原因", FieldKind::Enum(MemberChangeKind::IDENTS), true),
    fixed("recorded_at", "记录时间", FieldKind::DateTime, true),
];

const VISIT: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    req("kind", "走访类型", FieldKind::Enum(VisitKind::IDENTS)),
    req("visited_on", "走访日期", FieldKind::Date { past_only: true }),
    req("visitor", "走访人", FieldKind::PersonName),
    // Set when the visitor is a 帮扶责任人 of the register: the visit then counts for the helper's
    // visit frequency (`crate::helpers`).
    f("helper_id", "帮扶责任人", FieldKind::Ref(Entity::Helper)),
    req("basic_needs", "两不愁三保障", FieldKind::BasicNeeds),
    f("satisfaction", "群众满意度", FieldKind::Enum(Satisfaction::IDENTS)),
    f("actual_population", "实际人口", FieldKind::Int { min: 0, max: 30 }),
    f("notes", "走访记录", NOTE),
    f("lat", "纬度", LAT),
    f("lon", "经度", LON),
];

const HANDBOOK_ENTRY: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    req("section", "手册栏目", FieldKind::Enum(HandbookSection::IDENTS)),
    req("entry_date", "日期", FieldKind::Date { past_only: true }),
    req("title", "标题", FieldKind::Text(100)),
    f("content", "内容", NOTE),
    f("measure", "帮扶措施", FieldKind::Enum(MeasureKind::IDENTS)),
    f("amount_fen", "金额(分)", FieldKind::Fen),
    f("income_calc", "收支测算", FieldKind::IncomeCalc),
    f("recorded_by", "填写人", FieldKind::PersonName),
];

const PRESENCE: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    req("staff_name", "驻村人员", FieldKind::PersonName),
    req("checked_at", "签到时间", FieldKind::DateTime),
    f("lat", "纬度", LAT),
    f("lon", "经度", LON),
    f("note", "备注", FieldKind::Text(500)),
    f("inside", "在村范围内", FieldKind::Bool),
    // Written by the device at its first sync after the check-in: how far its clock was off.
    f("clock_offset_ms", "时钟偏差(毫秒)", FieldKind::Int { min: -10_000_000_000, max: 10_000_000_000 }),
];

const RECTIFICATION: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    FieldDef {
        name: "household_id",
        label: "涉及户",
        kind: FieldKind::Ref(Entity::Household),
        required: false,
        immutable: true,
        server_only: false,
    },
    // Who issued the item follows from where it came from, and the issuer closes it (`crate::rectification`).
    fixed("source", "问题来源", FieldKind::Enum(RectificationSource::IDENTS), true),
    req("problem", "问题描述", FieldKind::Text(2000)),
    req("deadline", "整改时限", FieldKind::Date { past_only: false }),
    // The 销号 step that last changed the status, written before it and with it.
    f("review", "销号记录", FieldKind::Ref(Entity::RectificationReview)),
    req("status", "整改状态", FieldKind::Enum(RectificationStatus::IDENTS)),
    f("responsible", "责任人", FieldKind::PersonName),
    f("evidence", "整改情况", NOTE),
    f("closed_on", "销号日期", FieldKind::Date { past_only: true }),
];

/// One decision at one step of the exit procedure, never edited (`crate::exit_procedure`).
const EXIT_DECISION: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    fixed("step", "退出步骤", FieldKind::Enum(ExitStep::IDENTS), true),
    fixed("outcome", "结果", FieldKind::Enum(ExitOutcome::IDENTS), true),
    fixed("decided_on", "办理日期", FieldKind::Date { past_only: true }, true),
    fixed("actor", "经办人", FieldKind::PersonName, true),
    fixed("evidence", "依据", FieldKind::Text(2000), false),
    fixed("reason", "退回原因", FieldKind::Text(500), false),
    fixed("publicity_start", "公示开始", FieldKind::Date { past_only: false }, false),
    fixed("publicity_end", "公示结束", FieldKind::Date { past_only: false }, false),
    fixed(
        "income_per_capita_fen",
        "人均纯收入(分)",
        FieldKind::Int { min: -10_000_000_000, max: 10_000_000_000 },
        false,
    ),
    fixed("poverty_line_fen", "贫困线(分)", FieldKind::Fen, false),
    fixed("recorded_at", "记录时间", FieldKind::DateTime, true),
];

/// One change of a household's 户状态 by a procedure, never edited (`crate::procedure`).
const STATUS_CHANGE: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    fixed("procedure", "变更程序", FieldKind::Enum(StatusProcedure::IDENTS), true),
    fixed("from_status", "原状态", FieldKind::Enum(HouseholdStatus::IDENTS), true),
    fixed("decided_on", "办理日期", FieldKind::Date { past_only: true }, true),
    fixed("actor", "经办人", FieldKind::PersonName, true),
    fixed("reason", "原因", FieldKind::Text(500), false),
    fixed("evidence", "依据", FieldKind::Text(2000), false),
    fixed("exit_decision", "销号决定", FieldKind::Ref(Entity::ExitDecision), false),
    // After everything it is decided on: the server checks the record when its new status arrives.
    fixed("to_status", "新状态", FieldKind::Enum(HouseholdStatus::IDENTS), true),
    fixed("recorded_at", "记录时间", FieldKind::DateTime, true),
];

/// One step of a rectification item's 销号, never edited (`crate::rectification`).
const RECTIFICATION_REVIEW: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    fixed("rectification_id", "整改问题", FieldKind::Ref(Entity::Rectification), true),
    fixed("decided_on", "办理日期", FieldKind::Date { past_only: true }, true),
    fixed("actor", "经办人", FieldKind::PersonName, true),
    fixed("note", "整改情况或原因", FieldKind::Text(2000), false),
    // After what it rests on: the server checks the step when its action arrives.
    fixed("action", "销号步骤", FieldKind::Enum(RectificationAction::IDENTS), true),
    fixed("recorded_at", "记录时间", FieldKind::DateTime, true),
];

const ARCHIVE_DOCUMENT: &[FieldDef] = &[
    parent("household_id", "所属户", FieldKind::Ref(Entity::Household)),
    FieldDef {
        name: "kind",
        label: "材料类别",
        kind: FieldKind::Enum(ArchiveKind::IDENTS),
        required: true,
        immutable: true,
        server_only: false,
    },
    f("title", "材料名称", FieldKind::Text(100)),
    f("note", "备注", FieldKind::Text(500)),
    f("recorded_by", "整理人", FieldKind::PersonName),
];

/// A 帮扶责任人 (the cadre responsible for households) in a village's register.
const HELPER: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    req("name", "姓名", FieldKind::PersonName),
    f("phone", "联系电话", FieldKind::Phone),
    f("unit", "工作单位", FieldKind::Text(60)),
    f("post", "职务", FieldKind::Text(30)),
];

/// A document of the village's 村级档案, photographed page by page like 一户一档 (its pages are the
/// `Photo` records with `owner_kind = village_document`).
const VILLAGE_DOCUMENT: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    fixed("kind", "档案类别", FieldKind::Enum(VillageArchiveKind::IDENTS), true),
    f("year", "年度", FieldKind::Int { min: 2013, max: 2035 }),
    f("title", "材料名称", FieldKind::Text(100)),
    f("note", "备注", FieldKind::Text(500)),
    f("recorded_by", "整理人", FieldKind::PersonName),
];

/// Set once: a photo's bytes, owner and place never change (a retake is a new photo).
const fn fixed(name: &'static str, label: &'static str, kind: FieldKind, required: bool) -> FieldDef {
    FieldDef { name, label, kind, required, immutable: true, server_only: false }
}

const PHOTO: &[FieldDef] = &[
    parent("village_id", "所在村", FieldKind::Ref(Entity::Village)),
    fixed("household_id", "所属户", FieldKind::Ref(Entity::Household), false),
    fixed("owner_kind", "照片用途", FieldKind::Enum(PhotoOwner::IDENTS), true),
    fixed("owner_id", "所属记录", FieldKind::Uuid, true),
    fixed("hash", "照片", FieldKind::Sha256, true),
    fixed("thumb_hash", "缩略图", FieldKind::Sha256, true),
    fixed("width", "宽(像素)", FieldKind::Int { min: 1, max: 16_384 }, true),
    fixed("height", "高(像素)", FieldKind::Int { min: 1, max: 16_384 }, true),
    fixed("bytes", "大小(字节)", FieldKind::Int { min: 1, max: 64 * 1024 * 1024 }, true),
    f("page", "页码", FieldKind::Int { min: 1, max: 999 }),
    fixed("taken_at", "拍摄时间", FieldKind::Text(19), false),
    fixed("lat", "纬度", LAT, false),
    fixed("lon", "经度", LON, false),
    f("added_by", "拍摄人", FieldKind::PersonName),
    f("caption", "说明", FieldKind::Text(200)),
];

/// A 暗访 inspection: the plain fields are only what coverage figures need (which household — and so
/// which village and county —, when, by whom); the findings are sealed to the county office. Nothing
/// changes after sealing.
const INSPECTION: &[FieldDef] = &[
    parent("household_id", "被暗访户", FieldKind::Ref(Entity::Household)),
    fixed("inspected_on", "暗访日期", FieldKind::Date { past_only: true }, true),
    fixed("inspector", "暗访人", FieldKind::PersonName, true),
    fixed("sealed", "暗访内容（已密封）", FieldKind::Sealed, true),
    fixed("photos", "暗访照片（已密封）", FieldKind::Sha256List(INSPECTION_PHOTOS_MAX), false),
];

/// Most photos one inspection carries.
pub const INSPECTION_PHOTOS_MAX: usize = 20;

/// Longest sealed text accepted (base64 characters): findings and notes, not photos.
pub const SEALED_MAX: usize = 200_000;

const CONFLICT: &[FieldDef] = &[
    FieldDef {
        name: "village_id",
        label: "所在村",
        kind: FieldKind::Ref(Entity::Village),
        required: true,
        immutable: true,
        server_only: true,
    },
    server("entity", "记录类型", FieldKind::Text(40)),
    server("row_id", "记录", FieldKind::Uuid),
    server("field", "字段", FieldKind::Text(60)),
    server("candidates", "各方取值", FieldKind::Candidates),
    server("winner", "当前取值来源", FieldKind::Uuid),
    server("opened_at", "发现时间", FieldKind::DateTime),
    req("status", "状态", FieldKind::Enum(ConflictStatus::IDENTS)),
    f("resolution", "处理结果", FieldKind::AnyJson),
    f("resolved_by", "处理人", FieldKind::Text(60)),
    f("resolved_at", "处理时间", FieldKind::DateTime),
];

impl Entity {
    pub const ALL: &'static [Entity] = &[
        Entity::Village,
        Entity::Household,
        Entity::Member,
        Entity::Visit,
        Entity::HandbookEntry,
        Entity::Presence,
        Entity::Rectification,
        Entity::Conflict,
        Entity::ExitDecision,
        Entity::ArchiveDocument,
        Entity::Photo,
        Entity::Inspection,
        Entity::StatusChange,
        Entity::RectificationReview,
        Entity::MemberChange,
        Entity::Helper,
        Entity::VillageDocument,
    ];

    /// The identifier, also the table name.
    pub fn ident(self) -> &'static str {
        match self {
            Entity::Village => "village",
            Entity::Household => "household",
            Entity::Member => "member",
            Entity::Visit => "visit",
            Entity::HandbookEntry => "handbook_entry",
            Entity::Presence => "presence",
            Entity::Rectification => "rectification",
            Entity::Conflict => "conflict",
            Entity::ExitDecision => "exit_decision",
            Entity::ArchiveDocument => "archive_document",
            Entity::Photo => "photo",
            Entity::Inspection => "inspection",
            Entity::StatusChange => "status_change",
            Entity::RectificationReview => "rectification_review",
            Entity::MemberChange => "member_change",
            Entity::Helper => "helper",
            Entity::VillageDocument => "village_document",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Entity::Village => "村",
            Entity::Household => "贫困户",
            Entity::Member => "家庭成员",
            Entity::Visit => "走访记录",
            Entity::HandbookEntry => "扶贫手册",
            Entity::Presence => "在村签到",
            Entity::Rectification => "整改问题",
            Entity::Conflict => "编辑冲突",
            Entity::ExitDecision => "退出程序",
            Entity::ArchiveDocument => "一户一档材料",
            Entity::Photo => "照片",
            Entity::Inspection => "暗访记录",
            Entity::StatusChange => "户状态变更",
            Entity::RectificationReview => "整改销号记录",
            Entity::MemberChange => "成员变动",
            Entity::Helper => "帮扶责任人",
            Entity::VillageDocument => "村级档案材料",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.iter().copied().find(|e| e.ident() == s)
    }

    /// The fields, without the tombstone.
    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            Entity::Village => VILLAGE,
            Entity::Household => HOUSEHOLD,
            Entity::Member => MEMBER,
            Entity::Visit => VISIT,
            Entity::HandbookEntry => HANDBOOK_ENTRY,
            Entity::Presence => PRESENCE,
            Entity::Rectification => RECTIFICATION,
            Entity::Conflict => CONFLICT,
            Entity::ExitDecision => EXIT_DECISION,
            Entity::ArchiveDocument => ARCHIVE_DOCUMENT,
            Entity::Photo => PHOTO,
            Entity::Inspection => INSPECTION,
            Entity::StatusChange => STATUS_CHANGE,
            Entity::RectificationReview => RECTIFICATION_REVIEW,
            Entity::MemberChange => MEMBER_CHANGE,
            Entity::Helper => HELPER,
            Entity::VillageDocument => VILLAGE_DOCUMENT,
        }
    }

    /// The names of the files (photos) a field's value refers to: a device that may read the record
    /// may fetch them, no one else.
    pub fn file_names(self, field: &str, value: &Value) -> Vec<String> {
        let Some(def) = self.field(field) else { return Vec::new() };
        let name = |v: &Value| v.as_str().filter(|t| is_sha256(t)).map(str::to_string);
        match def.kind {
            FieldKind::Sha256 => name(value).into_iter().collect(),
            FieldKind::Sha256List(_) => {
                value.as_array().map(|a| a.iter().filter_map(name).collect()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// A field by name, including the tombstone.
    pub fn field(self, name: &str) -> Option<&'static FieldDef> {
        if name == DELETED {
            return Some(&DELETED_DEF);
        }
        self.fields().iter().find(|d| d.name == name)
    }

    pub fn scope_via(self) -> ScopeVia {
        match self {
            Entity::Village => ScopeVia::Itself,
            Entity::Household
            | Entity::Presence
            | Entity::Rectification
            | Entity::RectificationReview
            | Entity::Conflict
            | Entity::Photo
            | Entity::Helper
            | Entity::VillageDocument => ScopeVia::Village("village_id"),
            Entity::Member
            | Entity::Visit
            | Entity::HandbookEntry
            | Entity::ExitDecision
            | Entity::ArchiveDocument
            | Entity::Inspection
            | Entity::StatusChange
            | Entity::MemberChange => ScopeVia::Household("household_id"),
        }
    }
}

/// The order a new record's fields are logged and synced in: the parent link first, so that the server and
/// every pulling device learn a record's scope (and can satisfy its foreign key) before anything else.
/// Null fields are left out.
pub fn creation_order(entity: Entity, fields: &serde_json::Map<String, Value>) -> Vec<(&'static str, Value)> {
    let parent = match entity.scope_via() {
        ScopeVia::Itself => None,
        ScopeVia::Village(f) | ScopeVia::Household(f) => Some(f),
    };
    let mut out: Vec<(&'static str, Value)> = Vec::with_capacity(fields.len());
    for def in entity.fields() {
        if let Some(v) = fields.get(def.name).filter(|v| !v.is_null()) {
            if Some(def.name) == parent {
                out.insert(0, (def.name, v.clone()));
            } else {
                out.push((def.name, v.clone()));
            }
        }
    }
    out
}

/// Validates one field value and returns it normalised (trimmed text, canonical ID number…).
/// `Null` clears an optional field.
pub fn validate_field(entity: Entity, field: &str, value: &Value, today: NaiveDate) -> Result<Value, ValidationError> {
    let def = entity.field(field).ok_or_else(|| ValidationError::new(field, Problem::UnknownField))?;
    validate_def(def, value, today).map_err(|p| ValidationError::new(field, p))
}

/// Validates a whole new record: every field known and valid, every required field present.
pub fn validate_new(
    entity: Entity,
    fields: &serde_json::Map<String, Value>,
    today: NaiveDate,
) -> Result<serde_json::Map<String, Value>, ValidationError> {
    let mut out = serde_json::Map::new();
    for (k, v) in fields {
        out.insert(k.clone(), validate_field(entity, k, v, today)?);
    }
    for def in entity.fields() {
        if def.required && !def.server_only && out.get(def.name).is_none_or(Value::is_null) {
            return Err(ValidationError::new(def.name, Problem::Required));
        }
    }
    Ok(out)
}

fn validate_def(def: &FieldDef, value: &Value, today: NaiveDate) -> Result<Value, Problem> {
    if value.is_null() {
        return if def.required || def.name == DELETED { Err(Problem::Required) } else { Ok(Value::Null) };
    }
    let text = || value.as_str().ok_or(Problem::WrongType { expected: "文本" });
    match def.kind {
        FieldKind::Text(max) => {
            let t = text()?.trim();
            if t.is_empty() {
                return if def.required { Err(Problem::Required) } else { Ok(Value::Null) };
            }
            let n = t.chars().count();
            if n > max {
                return Err(Problem::TooLong { max, actual: n });
            }
            Ok(Value::String(t.to_string()))
        }
        FieldKind::PersonName => {
            let t = text()?.trim();
            if t.is_empty() {
                return if def.required { Err(Problem::Required) } else { Ok(Value::Null) };
            }
            let n = t.chars().count();
            if n > 30 || t.chars().any(|c| c.is_ascii_digit() || c.is_control()) {
                return Err(Problem::PersonName);
            }
            Ok(Value::String(t.to_string()))
        }
        FieldKind::IdNumber => Ok(Value::String(IdNumber::parse_at(text()?, today)?.into())),
        FieldKind::Phone => Ok(Value::String(Phone::parse(text()?)?.into())),
        FieldKind::Date { past_only } => {
            let d = NaiveDate::parse_from_str(text()?.trim(), "%Y-%m-%d").map_err(|_| Problem::DateFormat)?;
            if past_only && d > today {
                return Err(Problem::FutureDate);
            }
            let min = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date");
            if d < min {
                return Err(Problem::TooEarly { min: min.to_string() });
            }
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        FieldKind::DateTime => {
            let t = chrono::DateTime::parse_from_rfc3339(text()?.trim()).map_err(|_| Problem::DateTimeFormat)?;
            if t.date_naive() > today + chrono::Duration::days(1) {
                return Err(Problem::FutureDate);
            }
            Ok(Value::String(t.to_rfc3339()))
        }
        FieldKind::Enum(allowed) => {
            let t = text()?;
            if allowed.contains(&t) {
                Ok(Value::String(t.to_string()))
            } else {
                Err(Problem::NotAllowed { value: t.chars().take(40).collect(), allowed: allowed.join("、") })
            }
        }
        FieldKind::EnumSet(allowed) => {
            let items = value.as_array().ok_or(Problem::WrongType { expected: "列表" })?;
            let mut out: Vec<&str> = Vec::with_capacity(items.len());
            for it in items {
                let t = it.as_str().ok_or(Problem::WrongType { expected: "文本列表" })?;
                if !allowed.contains(&t) {
                    return Err(Problem::NotAllowed {
                        value: t.chars().take(40).collect(),
                        allowed: allowed.join("、"),
                    });
                }
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            // Canonical order: the vocabulary's, so equal sets compare equal.
            out.sort_by_key(|t| allowed.iter().position(|a| a == t));
            Ok(Value::from(out))
        }
        FieldKind::Int { min, max } => {
            let n = value.as_i64().ok_or(Problem::WrongType { expected: "整数" })?;
            if n < min || n > max {
                return Err(Problem::OutOfRange { min, max });
            }
            Ok(Value::from(n))
        }
        FieldKind::Fen => match value.as_i64() {
            Some(n) if n >= 0 => Ok(Value::from(n)),
            _ => Err(Problem::Money),
        },
        FieldKind::Float { min, max } => {
            let x = value.as_f64().ok_or(Problem::WrongType { expected: "数字" })?;
            if !(min..=max).contains(&x) {
                return Err(Problem::OutOfRange { min: min as i64, max: max as i64 });
            }
            Ok(Value::from(x))
        }
        FieldKind::Bool => value.as_bool().map(Value::Bool).ok_or(Problem::WrongType { expected: "是/否" }),
        FieldKind::Ref(_) | FieldKind::Uuid => {
            let u = uuid::Uuid::parse_str(text()?).map_err(|_| Problem::Uuid)?;
            Ok(Value::String(u.to_string()))
        }
        FieldKind::DivisionCode => {
            let t = text()?.trim();
            if t.len() == 12 && t.chars().all(|c| c.is_ascii_digit()) {
                Ok(Value::String(t.to_string()))
            } else {
                Err(Problem::DivisionCode)
            }
        }
        FieldKind::Sha256 => {
            let t = text()?;
            if is_sha256(t) {
                Ok(Value::String(t.to_string()))
            } else {
                Err(Problem::Sha256)
            }
        }
        FieldKind::Sha256List(max) => {
            let items = value.as_array().ok_or(Problem::WrongType { expected: "列表" })?;
            if items.len() > max {
                return Err(Problem::TooMany { max, actual: items.len() });
            }
            let mut out: Vec<&str> = Vec::with_capacity(items.len());
            for it in items {
                let t = it.as_str().ok_or(Problem::WrongType { expected: "文本列表" })?;
                if !is_sha256(t) {
                    return Err(Problem::Sha256);
                }
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            Ok(Value::from(out))
        }
        FieldKind::BasicNeeds => {
            let b: crate::entities::BasicNeeds =
                serde_json::from_value(value.clone()).map_err(|e| Problem::Invalid { detail: short(&e) })?;
            b.validate()?;
            serde_json::to_value(b).map_err(|e| Problem::Invalid { detail: short(&e) })
        }
        FieldKind::IncomeCalc => {
            let c: crate::income::IncomeCalc =
                serde_json::from_value(value.clone()).map_err(|e| Problem::Invalid { detail: short(&e) })?;
            c.validate()?;
            serde_json::to_value(c).map_err(|e| Problem::Invalid { detail: short(&e) })
        }
        FieldKind::Candidates => {
            let c: Vec<crate::entities::Candidate> =
                serde_json::from_value(value.clone()).map_err(|e| Problem::Invalid { detail: short(&e) })?;
            serde_json::to_value(c).map_err(|e| Problem::Invalid { detail: short(&e) })
        }
        FieldKind::Sealed => {
            let t = text()?;
            let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
            let body = t.trim_end_matches('=');
            // A sealed box is at least 48 bytes (ephemeral key and tag): 64 base64 characters.
            if t.len() > SEALED_MAX {
                Err(Problem::TooLong { max: SEALED_MAX, actual: t.len() })
            } else if t.len() < 64 || t.len() % 4 != 0 || t.len() - body.len() > 2 || !body.bytes().all(b64) {
                Err(Problem::Invalid { detail: "不是密封后的内容（应为 base64 密文）".into() })
            } else {
                Ok(Value::String(t.to_string()))
            }
        }
        FieldKind::AnyJson => {
            if value.to_string().len() > 20_000 {
                return Err(Problem::TooLong { max: 20_000, actual: value.to_string().len() });
            }
            Ok(value.clone())
        }
    }
}

fn is_sha256(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn short(e: &serde_json::Error) -> String {
    e.to_string().chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn errors_name_the_field_and_say_why() {
        let e = validate_field(Entity::Member, "id_number", &json!("110105194912310021"), today()).unwrap_err();
        assert_eq!(e.field, "id_number");
        assert_eq!(e.message(), "身份证号校验位错误：应为 X，实际为 1");
        let e = validate_field(Entity::Household, "status", &json!("rich"), today()).unwrap_err();
        assert!(e.message().contains("未脱贫") || e.message().contains("poor"), "{}", e.message());
        assert_eq!(
            validate_field(Entity::Household, "nope", &json!(1), today()).unwrap_err().problem,
            Problem::UnknownField
        );
        assert_eq!(
            validate_field(Entity::Visit, "visited_on", &json!("2027-01-01"), today()).unwrap_err().problem,
            Problem::FutureDate
        );
        assert_eq!(
            validate_field(Entity::HandbookEntry, "amount_fen", &json!(-1), today()).unwrap_err().problem,
            Problem::Money
        );
        let long = "字".repeat(10_000);
        assert_eq!(
            validate_field(Entity::Visit, "notes", &json!(long), today()).unwrap_err().problem,
            Problem::TooLong { max: 5000, actual: 10_000 }
        );
        assert_eq!(
            validate_field(Entity::Household, "head_name", &json!("  "), today()).unwrap_err().problem,
            Problem::Required
        );
    }

    #[test]
    fn values_are_normalised() {
        assert_eq!(
            validate_field(Entity::Household, "head_name", &json!(" 王秀英 "), today()).unwrap(),
            json!("王秀英")
        );
        assert_eq!(
            validate_field(Entity::Household, "poverty_causes", &json!(["no_capital", "illness", "illness"]), today())
                .unwrap(),
            json!(["illness", "no_capital"])
        );
        assert_eq!(validate_field(Entity::Household, "notes", &json!(""), today()).unwrap(), Value::Null);
    }

    #[test]
    fn new_records_need_their_required_fields() {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), json!("李四"));
        let e = validate_new(Entity::Member, &m, today()).unwrap_err();
        assert_eq!(e.field, "household_id");
    }

    #[test]
    fn every_entity_has_parent_field_in_schema() {
        for e in Entity::ALL {
            match e.scope_via() {
                ScopeVia::Itself => {}
                ScopeVia::Village(f) | ScopeVia::Household(f) => {
                    assert!(e.field(f).unwrap().immutable, "{e:?}.{f}")
                }
            }
        }
    }
}
