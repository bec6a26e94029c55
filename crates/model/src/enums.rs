//! The enumerations of GLOSSARY.md: one English identifier (code, schema, API) and one Chinese label (UI) each.

use serde::{Deserialize, Serialize};

macro_rules! vocab {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $ident:literal : $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every identifier, in display order (the schema's allowed values).
            pub const IDENTS: &'static [&'static str] = &[$($ident),+];

            /// The identifier used in code, schema and API.
            pub fn ident(self) -> &'static str {
                match self { $($name::$variant => $ident),+ }
            }

            /// The Chinese term shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Accepts either the identifier or the Chinese label (rosters and people use the latter).
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                match s { $($ident | $label => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocab!(
    /// 贫困户属性.
    Attribute { General = "general": "一般贫困户", Dibao = "dibao": "低保贫困户", Tekun = "tekun": "特困供养户" }
);

vocab!(
    /// 户状态: the household's lifecycle.
    HouseholdStatus {
        Poor = "poor": "未脱贫",
        Exited = "exited": "已脱贫",
        Returned = "returned": "返贫",
        Marginal = "marginal": "边缘户",
        Monitored = "monitored": "脱贫监测户",
        Stable = "stable": "稳定脱贫",
    }
);

vocab!(
    /// 致贫原因.
    PovertyCause {
        Illness = "illness": "因病",
        Disability = "disability": "因残",
        Schooling = "schooling": "因学",
        Disaster = "disaster": "因灾",
        NoLand = "no_land": "缺土地",
        NoWater = "no_water": "缺水",
        NoSkills = "no_skills": "缺技术",
        NoLabor = "no_labor": "缺劳力",
        NoCapital = "no_capital": "缺资金",
        PoorTransport = "poor_transport": "交通条件落后",
        LowMotivation = "low_motivation": "自身发展动力不足",
        Marriage = "marriage": "因婚",
        Funeral = "funeral": "因丧",
        Other = "other": "其他",
    }
);

vocab!(
    /// 劳动能力 (劳动技能 in the register).
    Labor {
        Ordinary = "ordinary": "普通劳动力",
        Skilled = "skilled": "技能劳动力",
        Weak = "weak": "弱劳动力或半劳动力",
        Lost = "lost": "丧失劳动力",
        None = "none": "无劳动力",
    }
);

vocab!(
    /// 健康状况.
    Health { Healthy = "healthy": "健康", Chronic = "chronic": "长期慢性病", Serious = "serious": "患有大病", Disabled = "disabled": "残疾" }
);

vocab!(
    /// 与户主关系.
    Relation {
        Head = "head": "户主",
        Spouse = "spouse": "配偶",
        Child = "child": "子女",
        Parent = "parent": "父母",
        Grandchild = "grandchild": "孙子女",
        Grandparent = "grandparent": "祖父母",
        Sibling = "sibling": "兄弟姐妹",
        ChildInLaw = "child_in_law": "儿媳女婿",
        Other = "other": "其他",
    }
);

vocab!(
    /// 性别.
    Sex { Male = "male": "男", Female = "female": "女" }
);

vocab!(
    /// 在校生状况.
    Schooling {
        NotInSchool = "not_in_school": "非在校生",
        Preschool = "preschool": "学前教育",
        Primary = "primary": "小学",
        Junior = "junior": "初中",
        Senior = "senior": "高中",
        Vocational = "vocational": "中职",
        Higher = "higher": "大专及以上",
    }
);

vocab!(
    /// 文化程度: the highest schooling a member finished (the register's five levels; a child not yet at
    /// school is 学龄前儿童).
    Education {
        Illiterate = "illiterate": "文盲或半文盲",
        Primary = "primary": "小学",
        Junior = "junior": "初中",
        Senior = "senior": "高中",
        College = "college": "大专及以上",
        Preschool = "preschool": "学龄前儿童",
    }
);

vocab!(
    /// 走访类型.
    VisitKind { Routine = "routine": "日常走访", SecretaryTour = "secretary_tour": "书记遍访", Recheck = "recheck": "回头看" }
);

vocab!(
    /// 两不愁三保障 plus 饮水安全: the exit checklist.
    BasicNeed {
        Food = "food": "不愁吃",
        Clothing = "clothing": "不愁穿",
        Education = "education": "义务教育有保障",
        Medical = "medical": "基本医疗有保障",
        Housing = "housing": "住房安全有保障",
        Water = "water": "饮水安全有保障",
    }
);

vocab!(
    /// 群众满意度.
    Satisfaction { Satisfied = "satisfied": "满意", Basic = "basic": "基本满意", Dissatisfied = "dissatisfied": "不满意" }
);

vocab!(
    /// 扶贫手册 sections.
    HandbookSection {
        Plan = "plan": "帮扶规划",
        Measure = "measure": "帮扶措施",
        VisitRecord = "visit_record": "帮扶走访",
        IncomeCalc = "income_calc": "收支测算",
        Result = "result": "帮扶成效",
    }
);

vocab!(
    /// 帮扶措施.
    MeasureKind {
        Industry = "industry": "产业",
        Employment = "employment": "就业",
        Education = "education": "教育",
        Health = "health": "健康",
        HousingRenovation = "housing_renovation": "危房改造",
        Relocation = "relocation": "易地搬迁",
        Microcredit = "microcredit": "金融(小额信贷)",
        SocialSecurity = "social_security": "社保兜底",
        Solar = "solar": "光伏",
        AssetIncome = "asset_income": "资产收益",
    }
);

vocab!(
    /// 一户一档 sections.
    ArchiveSection { Identification = "identification": "精准识别", Assistance = "assistance": "精准帮扶", Exit = "exit": "精准退出" }
);

vocab!(
    /// 一户一档 document kinds, each in one section.
    ArchiveKind {
        Application = "application": "申请书",
        IntakeForm = "intake_form": "入户信息采集表",
        FiveReviewScore = "five_review_score": "五评量化表",
        ExitPlan = "exit_plan": "脱贫方案",
        ProjectApplication = "project_application": "项目申请",
        RelocationApplication = "relocation_application": "易地搬迁申请",
        ProjectApproval = "project_approval": "项目批复",
        VillageAgreement = "village_agreement": "村户协议",
        IncomeExpenseSheet = "income_expense_sheet": "收支算账表",
        PolicyList = "policy_list": "到户享受政策项目清单",
    }
);

impl ArchiveKind {
    /// The section of 一户一档 each kind of document belongs in.
    pub fn section(self) -> ArchiveSection {
        use ArchiveKind::*;
        match self {
            Application | IntakeForm | FiveReviewScore => ArchiveSection::Identification,
            ExitPlan | ProjectApplication | RelocationApplication | ProjectApproval | VillageAgreement => {
                ArchiveSection::Assistance
            }
            IncomeExpenseSheet | PolicyList => ArchiveSection::Exit,
        }
    }
}

vocab!(
    /// What a photo belongs to: a page of an 一户一档 document or of a 村级档案 document, or evidence of a
    /// visit or a rectification.
    PhotoOwner {
        ArchiveDocument = "archive_document": "一户一档材料",
        Visit = "visit": "走访记录",
        Rectification = "rectification": "整改问题",
        VillageDocument = "village_document": "村级档案材料",
    }
);

vocab!(
    /// The kinds of document of a village's 村级专项工作档案 (seed 001: kept by the village, "不得分户建档"),
    /// in archive order.
    VillageArchiveKind {
        PolicyDocuments = "policy_documents": "政策文件",
        PovertyLedger = "poverty_ledger": "脱贫台账",
        ProjectPlan = "project_plan": "到村项目规划",
        ProjectAcceptance = "project_acceptance": "项目验收",
        FundDisbursement = "fund_disbursement": "资金拨付",
        ReviewRecords = "review_records": "对象识别退出评议记录",
        Notices = "notices": "公示公告",
        SpecialPrograms = "special_programs": "“六个一批”专项资料（易地扶贫搬迁等）",
        Microcredit = "microcredit": "小额信贷",
    }
);

vocab!(
    /// 脱贫退出程序 steps, in order (`crate::exit_procedure`).
    ExitStep {
        Application = "application": "申请",
        Verification = "verification": "核查测算",
        Review = "review": "民主评议",
        Publicity = "publicity": "公示",
        TownshipReview = "township_review": "乡镇审核",
        CountyDecision = "county_decision": "县级审定",
        Notice = "notice": "告知",
        Closed = "closed": "销号",
    }
);

vocab!(
    /// The decision at one step of the exit procedure.
    ExitOutcome { Passed = "passed": "通过", Returned = "returned": "退回" }
);

vocab!(
    /// The procedure that changed a household's 户状态: 脱贫退出, 返贫 (falling back, with its reason and
    /// evidence), or a correction by the county office with a stated reason (counted in 错评/错退).
    StatusProcedure { Exit = "exit": "脱贫退出", Relapse = "relapse": "返贫", Correction = "correction": "县级纠错" }
);

vocab!(
    /// Why a member joins or leaves a household (`crate::members`): never a delete.
    MemberChangeKind {
        Birth = "birth": "出生",
        MarriageIn = "marriage_in": "婚入",
        MoveIn = "move_in": "迁入",
        Death = "death": "死亡",
        MarriageOut = "marriage_out": "婚出",
        MoveOut = "move_out": "迁出",
    }
);

vocab!(
    /// Where a rectification item (问题整改台账) came from.
    RectificationSource {
        Inspection = "inspection": "督查暗访",
        Visit = "visit": "入户走访",
        Audit = "audit": "审计",
        Assessment = "assessment": "考核评估",
        SelfCheck = "self_check": "自查",
        Township = "township": "乡镇督查",
    }
);

vocab!(
    /// Status of a rectification item; `closed` is 销号. `proposed`: the village has asked for 销号 and
    /// waits for the issuer (`crate::rectification`).
    RectificationStatus {
        Open = "open": "待整改",
        InProgress = "in_progress": "整改中",
        Proposed = "proposed": "待确认销号",
        Closed = "closed": "已销号",
    }
);

vocab!(
    /// A step of a rectification item's 销号 (`crate::rectification`): the village proposes, the issuer
    /// confirms or sends it back; the county office re-checks a share of closed items.
    RectificationAction {
        Propose = "propose": "申请销号",
        Confirm = "confirm": "确认销号",
        SendBack = "send_back": "退回整改",
        RecheckPassed = "recheck_passed": "复核通过",
        Reopened = "reopened": "复核不合格",
    }
);

vocab!(
    /// Status of a sync conflict.
    ConflictStatus { Open = "open": "待处理", Resolved = "resolved": "已处理" }
);

vocab!(
    /// Roles (RoleAssignment).
    Role {
        WorkTeam = "work_team": "驻村工作队员",
        FirstSecretary = "first_secretary": "第一书记",
        Township = "township": "乡镇工作人员",
        Inspector = "inspector": "督查组",
        County = "county": "县扶贫办",
        Admin = "admin": "系统管理员",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ident_and_label_both_parse() {
        assert_eq!(PovertyCause::parse("因病"), Some(PovertyCause::Illness));
        assert_eq!(PovertyCause::parse("illness"), Some(PovertyCause::Illness));
        assert_eq!(HouseholdStatus::parse(" 已脱贫 "), Some(HouseholdStatus::Exited));
        assert_eq!(HouseholdStatus::parse("gone"), None);
        assert_eq!(serde_json::to_string(&Labor::Weak).unwrap(), "\"weak\"");
        assert_eq!(BasicNeed::ALL.len(), 6);
        for k in ArchiveKind::ALL {
            assert_eq!(ArchiveKind::parse(k.ident()), Some(*k));
            let _ = k.section();
        }
    }
}
