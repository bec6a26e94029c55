//! The county office's settings: figures the rules use that the source documents do not fix, or that
//! differ by province and year (`MONITORING.md`: "make them per-region, per-year settings, never
//! constants"). The county office sets them; the server keeps one value per county and key and every
//! device of the county receives them at sync, so a village tablet applies the county's figures offline.
//!
//! One table (`SETTINGS`) holds each key with its label, bounds, default and where the default comes
//! from; validation, the CLI's list and the app's labels all read it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One setting: its key, what people call it, its unit, bounds, default and the default's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingDef {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub min: i64,
    pub max: i64,
    pub default: i64,
    pub source: &'static str,
}

pub const PUBLICITY_DAYS: &str = "publicity_days";
pub const RECHECK_PERCENT: &str = "recheck_percent";
pub const TOWNSHIP_REVIEW_DAYS: &str = "township_review_days";
pub const COUNTY_DECISION_DAYS: &str = "county_decision_days";
pub const RECHECK_VISIT_DAYS: &str = "recheck_visit_days";
pub const CARD_IN_USE: &str = "card_in_use";
pub const CLOCK_TOLERANCE_MINUTES: &str = "clock_tolerance_minutes";
pub const HELPER_VISIT_DAYS: &str = "helper_visit_days";

pub const SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: PUBLICITY_DAYS,
        label: "退出公示天数",
        unit: "天",
        min: 5,
        max: 30,
        default: 7,
        source: "公示不少于 5 天（MONITORING.md 第 5 节，各地 5–7 天，湖南华容 7 天）；默认 7 天",
    },
    SettingDef {
        key: TOWNSHIP_REVIEW_DAYS,
        label: "乡镇审核时限",
        unit: "个工作日",
        min: 1,
        max: 60,
        default: 5,
        source: "种子文件未规定；参照 MONITORING.md 第 5 节各省核查 2–5 个工作日",
    },
    SettingDef {
        key: COUNTY_DECISION_DAYS,
        label: "县级审定时限",
        unit: "个工作日",
        min: 1,
        max: 60,
        default: 10,
        source: "种子文件未规定；参照 MONITORING.md 第 5 节全程 15–25 个工作日，扣除乡镇审核后取 10 个工作日",
    },
    SettingDef {
        key: RECHECK_PERCENT,
        label: "整改销号复核比例",
        unit: "%",
        min: 0,
        max: 100,
        default: 15,
        source: "《西安市2020年脱贫攻坚工作要点》第 26 条：复核比例不低于督导督查事项的 15%",
    },
    SettingDef {
        key: RECHECK_VISIT_DAYS,
        label: "回头看周期",
        unit: "天",
        min: 30,
        max: 730,
        default: 365,
        source: "种子文件要求对已脱贫、稳定脱贫户开展回头看（001），未规定频次；默认每年一次",
    },
    SettingDef {
        key: CARD_IN_USE,
        label: "人口核对含明白卡（1 是，0 否）",
        unit: "",
        min: 0,
        max: 1,
        default: 1,
        source: "种子文件 000 要求系统、手册、明白卡、实际人口一致；001 取消了明白卡，取消的县设为 0",
    },
    SettingDef {
        key: CLOCK_TOLERANCE_MINUTES,
        label: "签到时钟允许偏差",
        unit: "分钟",
        min: 1,
        max: 120,
        default: 10,
        source: "种子文件未规定；签到按日计，设备时钟与服务器相差 10 分钟以内视为可信",
    },
    SettingDef {
        key: HELPER_VISIT_DAYS,
        label: "帮扶责任人走访周期",
        unit: "天",
        min: 7,
        max: 180,
        default: 30,
        source: "种子文件要求干部包户（004）、确定帮扶责任人（001），未规定走访频次；默认按各地通行的每月至少入户一次",
    },
];

pub fn def(key: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.key == key)
}

/// Why `value` cannot be the setting `key` (Chinese, for display); `None` when it can.
pub fn check(key: &str, value: i64) -> Option<String> {
    match def(key) {
        None => Some(format!("没有名为 {key} 的设置")),
        Some(d) if value < d.min || value > d.max => {
            Some(format!("{}应在 {} 到 {} {}之间", d.label, d.min, d.max, d.unit))
        }
        Some(_) => None,
    }
}

/// A county's settings as set; anything not set (or unknown to this version) takes its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CountySettings {
    pub values: BTreeMap<String, i64>,
}

impl CountySettings {
    /// The value of `key`: as set when valid, else its default (0 for a key this version lacks).
    pub fn get(&self, key: &str) -> i64 {
        let Some(d) = def(key) else { return 0 };
        self.values.get(key).copied().filter(|v| check(key, *v).is_none()).unwrap_or(d.default)
    }

    pub fn publicity_days(&self) -> i64 {
        self.get(PUBLICITY_DAYS)
    }

    pub fn recheck_percent(&self) -> u32 {
        self.get(RECHECK_PERCENT) as u32
    }

    pub fn helper_visit_days(&self) -> u32 {
        self.get(HELPER_VISIT_DAYS) as u32
    }
}

/// One setting as a screen or the CLI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingView {
    pub key: String,
    pub label: String,
    pub unit: String,
    pub min: i64,
    pub max: i64,
    pub default: i64,
    /// Where the default comes from.
    pub source: String,
    /// The value in force: as the county set it, or the default.
    pub value: i64,
    /// Whether the county set it.
    pub set: bool,
}

/// Every setting with its value in force.
pub fn views(s: &CountySettings) -> Vec<SettingView> {
    SETTINGS
        .iter()
        .map(|d| SettingView {
            key: d.key.into(),
            label: d.label.into(),
            unit: d.unit.into(),
            min: d.min,
            max: d.max,
            default: d.default,
            source: d.source.into(),
            value: s.get(d.key),
            set: s.values.contains_key(d.key),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_set_values() {
        let mut s = CountySettings::default();
        assert_eq!((s.publicity_days(), s.recheck_percent()), (7, 15));
        assert_eq!(check(PUBLICITY_DAYS, 4).unwrap(), "退出公示天数应在 5 到 30 天之间");
        assert!(check(PUBLICITY_DAYS, 5).is_none() && check(PUBLICITY_DAYS, 30).is_none());
        assert!(check(RECHECK_PERCENT, 101).is_some() && check(RECHECK_PERCENT, 0).is_none());
        assert!(check("quota", 1).unwrap().contains("quota"));
        s.values.insert(PUBLICITY_DAYS.into(), 10);
        s.values.insert(RECHECK_PERCENT.into(), 500);
        assert_eq!((s.publicity_days(), s.recheck_percent()), (10, 15), "an out-of-range value keeps the default");
        for d in SETTINGS {
            assert!(check(d.key, d.default).is_none(), "{}: its default is valid", d.key);
            assert!(!d.source.is_empty());
        }
    }
}
