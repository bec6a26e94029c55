//! 收支测算: per-capita net income against the year's poverty line. Integer fen throughout.

use crate::error::Problem;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// One household's income/expense calculation for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct IncomeCalc {
    pub year: i32,
    /// Persons sharing the income (家庭人口).
    pub household_size: u32,
    /// 工资性收入.
    #[serde(default)]
    pub wage_fen: i64,
    /// 生产经营性收入.
    #[serde(default)]
    pub business_fen: i64,
    /// 财产性收入.
    #[serde(default)]
    pub property_fen: i64,
    /// 转移性收入 (pensions, 低保, subsidies).
    #[serde(default)]
    pub transfer_fen: i64,
    /// 生产经营性支出, deducted.
    #[serde(default)]
    pub production_cost_fen: i64,
}

/// The national poverty line in yuan per person per year (现行标准, current prices). Later years keep the
/// 2020 line, which the 巩固衔接 monitoring continues to use unless a province sets its own.
pub fn poverty_line(year: i32) -> Fen {
    let yuan = match year {
        ..=2014 => 2800,
        2015 => 2855,
        2016 => 2952,
        2017 => 2952,
        2018 => 2995,
        2019 => 3218,
        _ => 4000,
    };
    Fen::from_yuan(yuan)
}

/// The figures the income form shows as you type and the household screen shows for the latest calculation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncomeSummary {
    pub year: i32,
    pub total_income_fen: i64,
    pub net_income_fen: i64,
    pub per_capita_fen: Option<i64>,
    pub poverty_line_fen: i64,
    pub above_line: bool,
    /// The Chinese message of a calculation that cannot be stored as it is.
    pub problem: Option<String>,
}

impl IncomeCalc {
    /// Everything the form needs in one value, including why the calculation would be refused.
    pub fn summary(&self) -> IncomeSummary {
        IncomeSummary {
            year: self.year,
            total_income_fen: self.total_income().0,
            net_income_fen: self.net_income().0,
            per_capita_fen: self.net_income_per_capita().map(|f| f.0),
            poverty_line_fen: poverty_line(self.year).0,
            above_line: self.above_line(),
            problem: self.validate().err().map(|p| p.to_string()),
        }
    }

    pub fn total_income(&self) -> Fen {
        [self.wage_fen, self.business_fen, self.property_fen, self.transfer_fen].into_iter().map(Fen).sum()
    }

    /// 家庭纯收入 = income − production costs (may be negative).
    pub fn net_income(&self) -> Fen {
        self.total_income() - Fen(self.production_cost_fen)
    }

    /// 人均纯收入, rounded down to the fen. `None` for an empty household.
    pub fn net_income_per_capita(&self) -> Option<Fen> {
        (self.household_size > 0).then(|| Fen(self.net_income().0.div_euclid(i64::from(self.household_size))))
    }

    /// Whether per-capita net income reaches the year's line (the 核查测算 condition for exit).
    pub fn above_line(&self) -> bool {
        self.net_income_per_capita().is_some_and(|p| p >= poverty_line(self.year))
    }

    pub fn validate(&self) -> Result<(), Problem> {
        if !(2013..=2035).contains(&self.year) {
            return Err(Problem::Invalid { detail: "测算年度应在 2013 到 2035 之间".into() });
        }
        if self.household_size == 0 || self.household_size > 30 {
            return Err(Problem::Invalid { detail: "家庭人口应在 1 到 30 之间".into() });
        }
        let amounts =
            [self.wage_fen, self.business_fen, self.property_fen, self.transfer_fen, self.production_cost_fen];
        if amounts.iter().any(|a| *a < 0 || *a > 10_000_000_000) {
            return Err(Problem::Invalid { detail: "金额不能为负数，且不超过一亿元".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example() {
        let c = IncomeCalc {
            year: 2020,
            household_size: 4,
            wage_fen: 1_200_000,
            business_fen: 560_000,
            property_fen: 0,
            transfer_fen: 240_000,
            production_cost_fen: 180_001,
        };
        assert_eq!(c.net_income(), Fen(1_819_999));
        assert_eq!(c.net_income_per_capita(), Some(Fen(454_999)));
        assert!(c.above_line());
        let poor = IncomeCalc { wage_fen: 1_500_000, ..c.clone() };
        let poor = IncomeCalc { business_fen: 0, transfer_fen: 0, ..poor };
        assert_eq!(poor.net_income_per_capita(), Some(Fen(329_999)));
        assert!(!poor.above_line());
        assert_eq!(IncomeCalc { household_size: 0, ..c }.net_income_per_capita(), None);
    }

    #[test]
    fn validation_messages() {
        let c = IncomeCalc { year: 2020, household_size: 3, wage_fen: -1, ..Default::default() };
        assert!(c.validate().unwrap_err().to_string().contains("负数"));
        assert!(IncomeCalc { year: 2020, household_size: 0, ..Default::default() }.validate().is_err());
    }

    proptest! {
        #[test]
        fn per_capita_times_size_never_exceeds_net(size in 1u32..20, w in 0i64..10_000_000, cost in 0i64..10_000_000) {
            let c = IncomeCalc { year: 2020, household_size: size, wage_fen: w, production_cost_fen: cost, ..Default::default() };
            let p = c.net_income_per_capita().unwrap();
            prop_assert!(p.0 * i64::from(size) <= c.net_income().0);
            prop_assert!((p.0 + 1) * i64::from(size) > c.net_income().0);
        }
    }
}
