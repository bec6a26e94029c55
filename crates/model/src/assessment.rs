//! The rates the offices are assessed on, and what counts in each (pure):
//! - 群众满意度: answers of 满意 or 基本满意 over all answers given on visits this year; seed 000
//!   (三十七) holds leaders to account below 90%;
//! - 错评率 / 漏评率 / 错退率: the county office's corrections of a household's status (`StatusChange`
//!   with procedure correction) classified by what they undid, over the households they are counted
//!   against; seed 000 (十三) "确保错评、漏评率不超过2%" and (三十七) "漏评率或错退率超过2%" set 2%;
//! - 书记遍访: every household in poverty visited by the 第一书记 this year (seed 003, 2);
//! - 回头看: every exited household looked at again within the county's period (seed 001: "对已脱贫、
//!   稳定脱贫户开展回头看"; the seeds set no frequency, so it is a setting).
//!
//! The two goals are the seeds' own figures, so they stay constants here.

use crate::enums::{HouseholdStatus, Satisfaction};
use serde::{Deserialize, Serialize};

/// The least 群众满意度 (seed 000, 三十七).
pub const SATISFACTION_GOAL: f64 = 0.90;
/// The most 错评率, 漏评率 or 错退率 (seed 000, 十三 and 三十七).
pub const ERROR_RATE_LIMIT: f64 = 0.02;

/// A count out of a total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rate {
    pub count: u32,
    pub of: u32,
}

impl Rate {
    /// The share, or `None` when there is nothing to count against.
    pub fn value(self) -> Option<f64> {
        (self.of > 0).then(|| f64::from(self.count) / f64::from(self.of))
    }

    pub fn add(&mut self, other: Rate) {
        self.count += other.count;
        self.of += other.of;
    }
}

/// What a county correction undid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    /// 错评: a registered household that should not have been (taken out of the register).
    WrongEntry,
    /// 漏评: a household that should have been registered (put into poverty).
    Missed,
    /// 错退: an exited household that should not have exited (put back into poverty).
    WrongExit,
    /// Any other correction (a status among the registered ones put right).
    Other,
}

/// Whether a status is one of the register's (建档立卡): everything but 边缘户.
pub fn registered(s: HouseholdStatus) -> bool {
    s != HouseholdStatus::Marginal
}

/// Whether a status is one of having exited.
pub fn exited(s: HouseholdStatus) -> bool {
    matches!(s, HouseholdStatus::Exited | HouseholdStatus::Stable | HouseholdStatus::Monitored)
}

fn in_poverty(s: HouseholdStatus) -> bool {
    matches!(s, HouseholdStatus::Poor | HouseholdStatus::Returned)
}

/// What a correction from `from` to `to` undid.
pub fn classify(from: HouseholdStatus, to: HouseholdStatus) -> CorrectionKind {
    if registered(from) && !registered(to) {
        CorrectionKind::WrongEntry
    } else if !registered(from) && registered(to) {
        CorrectionKind::Missed
    } else if exited(from) && in_poverty(to) {
        CorrectionKind::WrongExit
    } else {
        CorrectionKind::Other
    }
}

/// Whether an answer counts as satisfied.
pub fn satisfied(s: Satisfaction) -> bool {
    matches!(s, Satisfaction::Satisfied | Satisfaction::Basic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HouseholdStatus::*;

    #[test]
    fn corrections_are_classified_by_what_they_undid() {
        assert_eq!(classify(Poor, Marginal), CorrectionKind::WrongEntry);
        assert_eq!(classify(Exited, Marginal), CorrectionKind::WrongEntry);
        assert_eq!(classify(Marginal, Poor), CorrectionKind::Missed);
        assert_eq!(classify(Exited, Poor), CorrectionKind::WrongExit);
        assert_eq!(classify(Stable, Returned), CorrectionKind::WrongExit);
        assert_eq!(classify(Poor, Exited), CorrectionKind::Other);
        assert_eq!(classify(Exited, Stable), CorrectionKind::Other);
    }

    #[test]
    fn rates_and_their_goals() {
        assert_eq!(Rate { count: 0, of: 0 }.value(), None);
        let r = Rate { count: 2, of: 100 };
        assert!(r.value().unwrap() <= ERROR_RATE_LIMIT, "2% is within the limit");
        assert!(Rate { count: 3, of: 100 }.value().unwrap() > ERROR_RATE_LIMIT);
        assert!(Rate { count: 9, of: 10 }.value().unwrap() >= SATISFACTION_GOAL);
        assert!(satisfied(Satisfaction::Basic) && !satisfied(Satisfaction::Dissatisfied));
        let mut t = Rate::default();
        t.add(r);
        t.add(Rate { count: 1, of: 50 });
        assert_eq!(t, Rate { count: 3, of: 150 });
    }
}
