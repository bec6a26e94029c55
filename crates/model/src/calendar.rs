//! Working days: Monday to Friday, minus the national public holidays, plus the weekend days worked in
//! exchange (调休), as the State Council's yearly notice sets them. The notices of the years the app knows
//! are built in; an office can load a newer one (`WorkCalendar::with_year`) without a new release.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One year's arrangement: days off on weekdays and weekend days worked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearArrangement {
    pub holidays: BTreeSet<NaiveDate>,
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

/// One day as the 签到 calendar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub working: bool,
    /// A weekday off by the State Council's notice (法定节假日).
    pub holiday: bool,
    /// A weekend day worked in exchange (调休上班).
    pub makeup: bool,
}

/// The national holiday calendar, by year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    pub years: BTreeMap<i32, YearArrangement>,
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid built-in date")
}

fn span(y: i32, (m1, d1): (u32, u32), (m2, d2): (u32, u32)) -> impl Iterator<Item = NaiveDate> {
    let end = d(y, m2, d2);
    d(y, m1, d1).iter_days().take_while(move |x| *x <= end)
}

impl WorkCalendar {
    /// The arrangements of 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号).
    pub fn national() -> WorkCalendar {
        let mut years = BTreeMap::new();
        let y2025 = YearArrangement {
            holidays: [
                span(2025, (1, 1), (1, 1)).collect::<Vec<_>>(),
                span(2025, (1, 28), (2, 4)).collect(),
                span(2025, (4, 4), (4, 6)).collect(),
                span(2025, (5, 1), (5, 5)).collect(),
                span(2025, (5, 31), (6, 2)).collect(),
                span(2025, (10, 1), (10, 8)).collect(),
            ]
            .concat()
            .into_iter()
            .collect(),
            makeup_workdays: [d(2025, 1, 26), d(2025, 2, 8), d(2025, 4, 27), d(2025, 9, 28), d(2025, 10, 11)]
                .into_iter()
                .collect(),
        };
        let y2026 = YearArrangement {
            holidays: [
                span(2026, (1, 1), (1, 3)).collect::<Vec<_>>(),
                span(2026, (2, 15), (2, 23)).collect(),
                span(2026, (4, 4), (4, 6)).collect(),
                span(2026, (5, 1), (5, 5)).collect(),
                span(2026, (6, 19), (6, 21)).collect(),
                span(2026, (9, 25), (9, 27)).collect(),
                span(2026, (10, 1), (10, 7)).collect(),
            ]
            .concat()
            .into_iter()
            .collect(),
            makeup_workdays: [
                d(2026, 1, 4),
                d(2026, 2, 14),
                d(2026, 2, 28),
                d(2026, 5, 9),
                d(2026, 9, 20),
                d(2026, 10, 10),
            ]
            .into_iter()
            .collect(),
        };
        years.insert(2025, y2025);
        years.insert(2026, y2026);
        WorkCalendar { years }
    }

    /// Adds or replaces one year's arrangement (a newer notice).
    pub fn with_year(mut self, year: i32, arrangement: YearArrangement) -> WorkCalendar {
        self.years.insert(year, arrangement);
        self
    }

    /// Whether the calendar knows the year's holidays (otherwise only weekends are off).
    pub fn knows(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        let a = self.years.get(&day.year());
        if a.is_some_and(|a| a.makeup_workdays.contains(&day)) {
            return true;
        }
        if a.is_some_and(|a| a.holidays.contains(&day)) {
            return false;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day `n` working days after `from` (a deadline counted in working days: the day itself does not
    /// count, weekends and holidays are skipped, 调休 Saturdays count).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Every day of a month, marked.
    pub fn month(&self, year: i32, month: u32) -> Vec<CalendarDay> {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else { return Vec::new() };
        let a = self.years.get(&year);
        first
            .iter_days()
            .take_while(|x| x.month() == month)
            .map(|date| CalendarDay {
                date,
                working: self.is_working_day(date),
                holiday: a.is_some_and(|a| a.holidays.contains(&date)),
                makeup: a.is_some_and(|a| a.makeup_workdays.contains(&date)),
            })
            .collect()
    }

    /// Working days of a month.
    pub fn working_days(&self, year: i32, month: u32) -> u32 {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else { return 0 };
        first.iter_days().take_while(|x| x.month() == month).filter(|x| self.is_working_day(*x)).count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_with_holidays_and_makeup_days() {
        let c = WorkCalendar::national();
        // October 2026: 22 weekdays − 5 holiday weekdays (1, 2, 5, 6, 7) + Saturday the 10th = 18.
        assert_eq!(c.working_days(2026, 10), 18);
        // February 2026: 20 weekdays − 6 holiday weekdays (16–20, 23) + Saturdays the 14th and 28th = 16.
        assert_eq!(c.working_days(2026, 2), 16);
        // November 2026 has no holiday: its 21 weekdays.
        assert_eq!(c.working_days(2026, 11), 21);
        // A year the calendar does not know: weekdays only.
        assert!(!c.knows(2031));
        assert_eq!(c.working_days(2031, 1), 23);
        assert!(c.is_working_day(d(2026, 1, 4)), "Sunday 4 January 2026 is worked");
        assert!(!c.is_working_day(d(2026, 1, 2)));
        let oct = c.month(2026, 10);
        assert_eq!(oct.len(), 31);
        assert!(oct[0].holiday && !oct[0].working, "1 October");
        assert!(oct[9].makeup && oct[9].working, "Saturday 10 October is worked");
        assert_eq!(oct.iter().filter(|d| d.working).count(), 18);
    }

    #[test]
    fn deadlines_in_working_days_skip_holidays() {
        let c = WorkCalendar::national();
        // Friday 25 September 2026 is 中秋节 (25–27 off), then 国庆 1–7 October, Saturday 10 October worked.
        assert_eq!(c.add_working_days(d(2026, 9, 24), 1), d(2026, 9, 28));
        assert_eq!(c.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        assert_eq!(c.add_working_days(d(2026, 10, 9), 1), d(2026, 10, 10), "a 调休 Saturday counts");
        assert_eq!(c.add_working_days(d(2026, 11, 27), 5), d(2026, 12, 4));
        assert_eq!(c.add_working_days(d(2026, 11, 27), 0), d(2026, 11, 27));
    }
}
