//! 帮扶责任人 visit frequency: each household names a helper from its village's register
//! (`Household::helper_id`), and a visit the helper made names them (`Visit::helper_id`); a household
//! is overdue when its helper has not visited it within the county's interval (setting
//! `helper_visit_days`). Counted per person, not per typed name, so two cadres of the same name, or a
//! name typed two ways, do not merge or split. Pure rules; the store supplies the dates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// When the helper's next visit to a household is due: `every_days` after the last one. A household
/// its helper never visited is due from the start (`None`).
pub fn next_due(last_visit: Option<NaiveDate>, every_days: u32) -> Option<NaiveDate> {
    last_visit.map(|d| d + chrono::Duration::days(i64::from(every_days)))
}

/// Whether the helper's visit to a household is overdue on `today`.
pub fn overdue(last_visit: Option<NaiveDate>, every_days: u32, today: NaiveDate) -> bool {
    next_due(last_visit, every_days).is_none_or(|due| due < today)
}

/// One helper's figures over the households they look after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Frequency {
    /// Households that name this helper.
    pub households: u32,
    /// Of those, the ones the helper visited within the interval.
    pub visited: u32,
    /// The helper's visits within the interval, to any of them.
    pub visits: u32,
}

impl Frequency {
    /// Share of the helper's households visited within the interval, in per mille (none: 1000).
    pub fn coverage_permille(&self) -> u32 {
        (self.visited * 1000).checked_div(self.households).unwrap_or(1000)
    }

    /// Households not visited within the interval.
    pub fn overdue(&self) -> u32 {
        self.households - self.visited
    }
}

/// The figures of one helper from the last visit they made to each of their households and the dates
/// of all their visits to them.
pub fn frequency(
    last_visits: &[Option<NaiveDate>],
    visit_dates: &[NaiveDate],
    every_days: u32,
    today: NaiveDate,
) -> Frequency {
    let since = today - chrono::Duration::days(i64::from(every_days));
    Frequency {
        households: last_visits.len() as u32,
        visited: last_visits.iter().filter(|l| !overdue(**l, every_days, today)).count() as u32,
        visits: visit_dates.iter().filter(|d| **d >= since && **d <= today).count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn due_after_the_interval_overdue_the_day_after() {
        assert_eq!(next_due(Some(day(1)), 14), Some(day(15)));
        assert!(!overdue(Some(day(1)), 14, day(15)), "due that day, not yet overdue");
        assert!(overdue(Some(day(1)), 14, day(16)));
        assert!(overdue(None, 30, day(1)), "never visited");
    }

    #[test]
    fn a_helpers_figures() {
        let f = frequency(&[Some(day(20)), Some(day(2)), None], &[day(20), day(2), day(19), day(1)], 10, day(25));
        assert_eq!(f, Frequency { households: 3, visited: 1, visits: 2 });
        assert_eq!((f.overdue(), f.coverage_permille()), (2, 333));
        assert_eq!(Frequency::default().coverage_permille(), 1000);
    }

    proptest! {
        /// A household overdue on a day stays overdue later, until a new visit; a longer interval never
        /// makes one overdue that a shorter one did not.
        #[test]
        fn overdue_is_monotone(last in proptest::option::of(0i64..400), days in 1u32..200, t in 0i64..500, more in 0i64..100, longer in 0u32..100) {
            let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            let last = last.map(|l| base + chrono::Duration::days(l));
            let today = base + chrono::Duration::days(t);
            if overdue(last, days, today) {
                prop_assert!(overdue(last, days, today + chrono::Duration::days(more)));
            }
            if overdue(last, days + longer, today) {
                prop_assert!(overdue(last, days, today));
            }
        }
    }
}
