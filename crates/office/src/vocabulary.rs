//! The words office files use for each vocabulary, in one table per vocabulary: the national register's
//! (全国扶贫开发信息系统) export words, the older 扶贫户 / 五保 forms, the police household register's
//! kinship words (本人, 长子 …) and what provinces' own exports write. The app's own label and
//! identifier are always accepted; the table adds the other spellings.
//!
//! Rules, and why:
//! - One mechanism for every vocabulary and every file (the roster now, the departments' lists for
//!   防返贫 monitoring later), so a spelling learnt once is understood everywhere.
//! - A word is matched after trimming, removing spaces and unifying full-width brackets, never by
//!   guessing (a substring or edit distance could turn 低保 into 五保); a word not in the table is
//!   refused with the words allowed, so the office can correct the file or ask for the word to be added.
//! - A word that names something this column does not hold (突发严重困难户 is a 监测对象 type, not a
//!   户状态) is refused with where it belongs, instead of being forced into the nearest value.

use zoufang_model::{Attribute, Education, Health, HouseholdStatus, Labor, PovertyCause, Relation, Schooling, Sex};

/// One vocabulary: its column's name, the app's values, and the other words each value is written with.
pub struct Vocabulary<T: 'static> {
    /// The column's name, for the message that refuses a word.
    pub name: &'static str,
    all: &'static [T],
    label: fn(T) -> &'static str,
    parse: fn(&str) -> Option<T>,
    /// Trimmed off before matching (之子 → 子, 因病致贫 → 因病).
    prefix: &'static str,
    suffix: &'static str,
    words: &'static [(T, &'static [&'static str])],
    /// Words this column is known to carry that name no value of it, each with the reason shown.
    elsewhere: &'static [(&'static str, &'static str)],
}

/// Spaces removed, full-width brackets and commas as half-width.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '，' => ',',
            other => other,
        })
        .collect()
}

impl<T: Copy + PartialEq + 'static> Vocabulary<T> {
    /// The value a word names, or the reason (in Chinese, with the words allowed) it names none.
    pub fn read(&self, raw: &str) -> Result<T, String> {
        let word = normalise(raw);
        let find =
            |w: &str| (self.parse)(w).or_else(|| self.words.iter().find(|(_, ws)| ws.contains(&w)).map(|(v, _)| *v));
        let trimmed = word.strip_prefix(self.prefix).unwrap_or(&word);
        let trimmed = trimmed.strip_suffix(self.suffix).filter(|t| !t.is_empty()).unwrap_or(trimmed);
        if let Some((_, reason)) = self.elsewhere.iter().find(|(w, _)| *w == word) {
            return Err((*reason).to_string());
        }
        find(&word)
            .or_else(|| find(trimmed))
            .ok_or_else(|| format!("无法识别的{}「{}」，应为：{}", self.name, raw.trim(), self.allowed()))
    }

    /// The app's words for every value, as the refusal lists them.
    pub fn allowed(&self) -> String {
        self.all.iter().map(|v| (self.label)(*v)).collect::<Vec<_>>().join("、")
    }

    /// Every spelling the table knows for `value` (its label first), for documentation and tests.
    pub fn spellings(&self, value: T) -> Vec<&'static str> {
        let mut out = vec![(self.label)(value)];
        for (v, ws) in self.words {
            if *v == value {
                out.extend(ws.iter());
            }
        }
        out
    }
}

pub const RELATION: Vocabulary<Relation> = Vocabulary {
    name: "与户主关系",
    all: Relation::ALL,
    label: Relation::label,
    parse: Relation::parse,
    prefix: "之",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Relation::Head, &["本人", "户主本人"]),
        (Relation::Spouse, &["妻", "妻子", "夫", "丈夫"]),
        (
            Relation::Child,
            &[
                "子",
                "女",
                "儿子",
                "女儿",
                "长子",
                "次子",
                "三子",
                "四子",
                "五子",
                "长女",
                "次女",
                "三女",
                "四女",
                "五女",
                "独生子",
                "独生女",
                "养子",
                "养女",
                "继子",
                "继女",
            ],
        ),
        (Relation::Parent, &["父", "母", "父亲", "母亲", "公公", "婆婆", "岳父", "岳母", "继父", "继母"]),
        (Relation::Grandchild, &["孙", "孙子", "孙女", "外孙", "外孙子", "外孙女", "曾孙子", "曾孙女", "外孙子女"]),
        (Relation::Grandparent, &["祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "外公", "外婆"]),
        (Relation::Sibling, &["兄", "弟", "姐", "妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹"]),
        (Relation::ChildInLaw, &["儿媳", "女婿", "儿媳妇"]),
        (
            Relation::Other,
            &["其它", "其他亲属", "侄子", "侄女", "外甥", "外甥女", "兄嫂", "弟媳", "姐夫", "妹夫", "伯父", "叔父"],
        ),
    ],
};

pub const SEX: Vocabulary<Sex> = Vocabulary {
    name: "性别",
    all: Sex::ALL,
    label: Sex::label,
    parse: Sex::parse,
    prefix: "",
    suffix: "",
    // GB/T 2261.1 codes: 1 男, 2 女.
    elsewhere: &[],
    words: &[(Sex::Male, &["男性", "1"]), (Sex::Female, &["女性", "2"])],
};

pub const HEALTH: Vocabulary<Health> = Vocabulary {
    name: "健康状况",
    all: Health::ALL,
    label: Health::label,
    parse: Health::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Health::Healthy, &["良好", "健康良好"]),
        (Health::Chronic, &["慢性病", "长期慢性疾病", "患有长期慢性病", "慢病"]),
        (Health::Serious, &["大病", "重病", "重大疾病", "患大病", "大病患者"]),
        (
            Health::Disabled,
            &["残疾人", "有残疾", "肢体残疾", "视力残疾", "听力残疾", "智力残疾", "精神残疾", "言语残疾"],
        ),
    ],
};

pub const LABOR: Vocabulary<Labor> = Vocabulary {
    name: "劳动技能",
    all: Labor::ALL,
    label: Labor::label,
    parse: Labor::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Labor::Ordinary, &["普通劳力", "一般劳动力"]),
        (Labor::Skilled, &["技能劳力", "技能劳动力(有技能)", "有技能", "有技能劳动力"]),
        (Labor::Weak, &["弱劳动力", "半劳动力", "弱劳力", "半劳力", "弱劳动力/半劳动力"]),
        (Labor::Lost, &["丧失劳动能力", "丧失劳力"]),
        (Labor::None, &["无劳动能力", "无劳力", "无"]),
    ],
};

pub const SCHOOLING: Vocabulary<Schooling> = Vocabulary {
    name: "在校生状况",
    all: Schooling::ALL,
    label: Schooling::label,
    parse: Schooling::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Schooling::NotInSchool, &["不在校", "非在校", "否", "无", "未在校"]),
        (Schooling::Preschool, &["学龄前", "学龄前儿童", "幼儿园", "学前班", "学前"]),
        (
            Schooling::Primary,
            &["小学一年级", "小学二年级", "小学三年级", "小学四年级", "小学五年级", "小学六年级", "小学生"],
        ),
        (Schooling::Junior, &["七年级", "八年级", "九年级", "初一", "初二", "初三", "初中生"]),
        (Schooling::Senior, &["高一", "高二", "高三", "高中一年级", "高中二年级", "高中三年级", "普通高中", "高中生"]),
        (
            Schooling::Vocational,
            &["中专", "职高", "技校", "中职一年级", "中职二年级", "中职三年级", "中等职业教育", "技工学校"],
        ),
        (
            Schooling::Higher,
            &[
                "大专",
                "本科",
                "大学",
                "研究生",
                "硕士",
                "博士",
                "高职",
                "高职高专",
                "高职一年级",
                "高职二年级",
                "高职三年级",
                "大专及以上学历",
                "本科及以上",
                "硕士及以上",
            ],
        ),
    ],
};

pub const EDUCATION: Vocabulary<Education> = Vocabulary {
    name: "文化程度",
    all: Education::ALL,
    label: Education::label,
    parse: Education::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Education::Illiterate, &["文盲", "半文盲", "文盲半文盲", "文盲/半文盲", "不识字"]),
        (Education::Primary, &["小学文化", "小学毕业", "小学文化程度"]),
        (Education::Junior, &["初中文化", "初中毕业", "初级中学", "初中文化程度"]),
        (
            Education::Senior,
            &[
                "高中(含中专、职高)",
                "高中(含中专,职高)",
                "高中/中专",
                "高中及中专",
                "高中文化",
                "高中毕业",
                "中专",
                "职高",
                "技校",
                "中职",
                "中等专业学校",
                "技工学校",
            ],
        ),
        (
            Education::College,
            &[
                "大专",
                "专科",
                "大学专科",
                "高职",
                "本科",
                "大学本科",
                "大学",
                "本科及以上",
                "大学及以上",
                "大专及以上学历",
                "研究生",
                "研究生及以上",
                "硕士",
                "硕士及以上",
                "博士",
            ],
        ),
        (Education::Preschool, &["学龄前", "学前儿童"]),
    ],
};

pub const ATTRIBUTE: Vocabulary<Attribute> = Vocabulary {
    name: "贫困户属性",
    all: Attribute::ALL,
    label: Attribute::label,
    parse: Attribute::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[],
    words: &[
        (Attribute::General, &["一般户", "一般扶贫户", "一般农户"]),
        (Attribute::Dibao, &["低保户", "低保", "低保扶贫户", "低保对象"]),
        (
            Attribute::Tekun,
            &[
                "特困户",
                "特困",
                "特困供养",
                "特困供养贫困户",
                "特困供养扶贫户",
                "特困供养对象",
                "特困人员",
                "五保户",
                "五保贫困户",
                "五保扶贫户",
                "五保",
            ],
        ),
    ],
};

pub const STATUS: Vocabulary<HouseholdStatus> = Vocabulary {
    name: "户状态",
    all: HouseholdStatus::ALL,
    label: HouseholdStatus::label,
    parse: HouseholdStatus::parse,
    prefix: "",
    suffix: "",
    elsewhere: &[(
        "突发严重困难户",
        "「突发严重困难户」是防返贫监测对象的类型，不是户状态：户状态请填 已脱贫（原脱贫户）或 边缘户（一般农户）",
    )],
    words: &[
        (HouseholdStatus::Exited, &["脱贫", "已脱贫户", "脱贫户", "标注脱贫", "已标注脱贫"]),
        (HouseholdStatus::Poor, &["贫困", "贫困户", "未脱贫户", "贫困人口"]),
        (HouseholdStatus::Returned, &["返贫户", "返贫人口"]),
        (HouseholdStatus::Marginal, &["边缘易致贫户", "边缘贫困户", "边缘易致贫"]),
        (HouseholdStatus::Monitored, &["监测户", "脱贫不稳定户", "脱贫不稳定"]),
        (HouseholdStatus::Stable, &["稳定脱贫户", "已稳定脱贫"]),
    ],
};

pub const CAUSE: Vocabulary<PovertyCause> = Vocabulary {
    name: "致贫原因",
    all: PovertyCause::ALL,
    label: PovertyCause::label,
    parse: PovertyCause::parse,
    prefix: "",
    suffix: "致贫",
    elsewhere: &[],
    words: &[
        (PovertyCause::Illness, &["病", "疾病", "因病返贫"]),
        (PovertyCause::Disability, &["残", "残疾"]),
        (PovertyCause::Schooling, &["学", "上学"]),
        (PovertyCause::Disaster, &["灾", "自然灾害", "因灾返贫"]),
        (PovertyCause::NoLand, &["缺地", "土地少"]),
        (PovertyCause::NoWater, &["缺水源"]),
        (PovertyCause::NoSkills, &["缺技能", "无技术"]),
        (PovertyCause::NoLabor, &["缺乏劳力", "缺劳动力", "缺乏劳动力", "缺劳"]),
        (PovertyCause::NoCapital, &["缺乏资金", "缺钱"]),
        (PovertyCause::PoorTransport, &["交通落后", "交通条件", "交通不便"]),
        (PovertyCause::LowMotivation, &["内生动力不足", "发展动力不足", "缺乏内生动力"]),
        (PovertyCause::Marriage, &["婚", "婚姻"]),
        (PovertyCause::Funeral, &["丧", "丧葬", "因丧葬"]),
        (PovertyCause::Other, &["其它", "其他原因", "其它原因"]),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of every table reads as the value it is listed under, and no word is listed twice.
    #[test]
    fn every_listed_word_reads_as_its_value() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(v: &Vocabulary<T>) {
            let mut seen = std::collections::HashSet::new();
            for value in v.all {
                for word in v.spellings(*value) {
                    assert!(seen.insert(word), "{}: 「{word}」 listed twice", v.name);
                    assert_eq!(v.read(word), Ok(*value), "{}: 「{word}」", v.name);
                }
            }
        }
        check(&RELATION);
        check(&SEX);
        check(&HEALTH);
        check(&LABOR);
        check(&EDUCATION);
        check(&SCHOOLING);
        check(&ATTRIBUTE);
        check(&STATUS);
        check(&CAUSE);
    }

    #[test]
    fn the_registers_own_forms() {
        for (word, want) in [
            ("一般贫困户", Attribute::General),
            ("一般扶贫户", Attribute::General),
            ("低保贫困户", Attribute::Dibao),
            ("低保扶贫户", Attribute::Dibao),
            ("特困供养贫困户", Attribute::Tekun),
            ("特困供养户", Attribute::Tekun),
            ("五保贫困户", Attribute::Tekun),
        ] {
            assert_eq!(ATTRIBUTE.read(word), Ok(want), "{word}");
        }
        assert_eq!(RELATION.read("之子"), Ok(Relation::Child));
        assert_eq!(RELATION.read("之外孙女"), Ok(Relation::Grandchild));
        assert_eq!(RELATION.read("之兄弟姐妹"), Ok(Relation::Sibling));
        assert_eq!(RELATION.read(" 之儿媳 "), Ok(Relation::ChildInLaw));
        assert_eq!(CAUSE.read("因病致贫"), Ok(PovertyCause::Illness));
        assert_eq!(CAUSE.read("缺劳力"), Ok(PovertyCause::NoLabor));
        assert_eq!(SCHOOLING.read("九年级"), Ok(Schooling::Junior));
        assert_eq!(EDUCATION.read("文盲或半文盲"), Ok(Education::Illiterate));
        assert_eq!(EDUCATION.read("高中（含中专、职高）"), Ok(Education::Senior));
        assert_eq!(EDUCATION.read("本科及以上"), Ok(Education::College));
        assert_eq!(CAUSE.read("因婚致贫"), Ok(PovertyCause::Marriage));
        assert_eq!(CAUSE.read("因丧"), Ok(PovertyCause::Funeral));
        assert_eq!(SCHOOLING.read("学前教育"), Ok(Schooling::Preschool));
        assert_eq!(LABOR.read("弱劳动力或半劳动力"), Ok(Labor::Weak));
        assert_eq!(HEALTH.read("患有大病"), Ok(Health::Serious));
        assert_eq!(STATUS.read("脱贫不稳定户"), Ok(HouseholdStatus::Monitored));
        assert_eq!(SEX.read("1"), Ok(Sex::Male));
        assert_eq!(LABOR.read("技能劳动力（有技能）"), Ok(Labor::Skilled), "full-width brackets");
    }

    #[test]
    fn an_unknown_word_names_itself_and_the_words_allowed() {
        let e = ATTRIBUTE.read("贫困户").unwrap_err();
        assert_eq!(e, "无法识别的贫困户属性「贫困户」，应为：一般贫困户、低保贫困户、特困供养户");
        assert!(HEALTH.read("很好").unwrap_err().contains("健康、长期慢性病、患有大病、残疾"));
        assert!(RELATION.read("之").is_err());
        assert!(CAUSE.read("致贫").is_err(), "the suffix alone is no cause");
        assert!(EDUCATION
            .read("小学及以下")
            .unwrap_err()
            .contains("文盲或半文盲、小学、初中、高中、大专及以上、学龄前儿童"));
    }

    #[test]
    fn a_word_of_another_column_says_where_it_belongs() {
        let e = STATUS.read(" 突发严重困难户 ").unwrap_err();
        assert!(e.contains("监测对象") && e.contains("已脱贫") && e.contains("边缘户"), "{e}");
    }
}
