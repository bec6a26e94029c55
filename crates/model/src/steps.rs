//! Procedures as data, written once: a procedure is its steps in order, and each step says who records
//! it, what its evidence is, and how many working days it has once the step before it passed (a county
//! setting, `crate::settings`). The 脱贫退出 procedure is the first put on it (`crate::exit_procedure`);
//! 防返贫监测's identification and 风险消除 will be the next (`MONITORING.md`).
//!
//! Each decision at a step is its own record, never edited, so two devices deciding offline both keep
//! theirs; where a household stands is computed from all its decisions by [`walk`]:
//! - decisions count in the order they were decided (date, then when recorded, then id);
//! - a decision counts only at the step due next; others are kept and shown, without effect;
//! - a step passed moves on; a step sent back returns to the step before it (an application sent back
//!   starts over);
//! - once every step has passed, a decision at the first step starts the procedure again (a household
//!   that fell back applies to exit again).

use crate::calendar::WorkCalendar;
use crate::roles::Role;
use crate::settings::CountySettings;
use chrono::NaiveDate;
use uuid::Uuid;

/// One step of a procedure.
#[derive(Debug, Clone, Copy)]
pub struct StepDef<S: 'static> {
    pub step: S,
    /// The roles whose devices record it.
    pub by: &'static [Role],
    /// What its evidence records (the form's hint).
    pub evidence: &'static str,
    /// The setting holding its working days once the step before it passed; `None`: no deadline.
    pub deadline: Option<&'static str>,
}

/// A decision at a step, as the walk reads it.
pub trait Decided {
    /// The step's position in its procedure.
    fn index(&self) -> usize;
    fn passed(&self) -> bool;
    fn decided_on(&self) -> NaiveDate;
    fn recorded_at(&self) -> &str;
    fn id(&self) -> Uuid;
}

/// Where a walk through the decisions ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// How many steps have passed (all of them: the procedure is complete).
    pub passed: usize,
    /// The decision that sent it back, when that is the latest that counted.
    pub sent_back: Option<Uuid>,
    /// Decisions that did not fit the procedure when they came.
    pub ignored: Vec<Uuid>,
    /// When the latest counted step passed (deadlines count from it).
    pub since: Option<NaiveDate>,
}

/// Walks `decisions` (any order) through a procedure of `steps` steps.
pub fn walk<D: Decided>(steps: usize, decisions: &[D]) -> Walk {
    let mut sorted: Vec<&D> = decisions.iter().collect();
    sorted.sort_by(|a, b| (a.decided_on(), a.recorded_at(), a.id()).cmp(&(b.decided_on(), b.recorded_at(), b.id())));
    let mut w = Walk { passed: 0, sent_back: None, ignored: Vec::new(), since: None };
    for d in sorted {
        let i = d.index();
        if w.passed == steps && i == 0 {
            // A new round after a completed one.
            w.passed = 0;
        }
        if i != w.passed {
            w.ignored.push(d.id());
            continue;
        }
        if d.passed() {
            w.passed = i + 1;
            w.sent_back = None;
            w.since = Some(d.decided_on());
        } else {
            w.passed = i.saturating_sub(1);
            w.sent_back = Some(d.id());
            w.since = Some(d.decided_on());
        }
    }
    w
}

/// Whether devices of `role` record `step`.
pub fn may_record<S: PartialEq + Copy>(defs: &[StepDef<S>], step: S, role: Role) -> bool {
    defs.iter().any(|d| d.step == step && d.by.contains(&role))
}

/// Who records `step`, as people call them (乡镇干部, 县扶贫办 …).
pub fn recorded_by<S: PartialEq + Copy>(defs: &[StepDef<S>], step: S) -> String {
    let by = defs.iter().find(|d| d.step == step).map_or(&[][..], |d| d.by);
    by.iter().map(|r| r.label()).collect::<Vec<_>>().join("或")
}

/// The last day for `step`, counted in working days from `since` by the county's setting; `None` when
/// the step has no deadline.
pub fn due_on<S: PartialEq + Copy>(
    defs: &[StepDef<S>],
    step: S,
    since: NaiveDate,
    settings: &CountySettings,
    calendar: &WorkCalendar,
) -> Option<NaiveDate> {
    let key = defs.iter().find(|d| d.step == step)?.deadline?;
    Some(calendar.add_working_days(since, settings.get(key).max(0) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct D(usize, bool, u32, u128);
    impl Decided for D {
        fn index(&self) -> usize {
            self.0
        }
        fn passed(&self) -> bool {
            self.1
        }
        fn decided_on(&self) -> NaiveDate {
            NaiveDate::from_ymd_opt(2026, 3, self.2).unwrap()
        }
        fn recorded_at(&self) -> &str {
            ""
        }
        fn id(&self) -> Uuid {
            Uuid::from_u128(self.3)
        }
    }

    #[test]
    fn a_completed_procedure_starts_again_at_its_first_step() {
        let done: Vec<D> = (0..3).map(|i| D(i, true, 1 + i as u32, i as u128)).collect();
        assert_eq!(walk(3, &done).passed, 3);
        let mut again = done;
        again.push(D(0, true, 10, 10));
        let w = walk(3, &again);
        assert_eq!((w.passed, w.since), (1, NaiveDate::from_ymd_opt(2026, 3, 10)));
        again.push(D(2, true, 11, 11));
        assert_eq!(walk(3, &again).ignored, vec![Uuid::from_u128(11)], "a step out of turn counts for nothing");
    }

    proptest! {
        /// Whatever decisions arrive, in whatever order, the walk is the same and within the procedure.
        #[test]
        fn the_walk_is_order_independent(raw in proptest::collection::vec((0usize..8, any::<bool>(), 1u32..28), 0..24)) {
            let ds: Vec<D> = raw.iter().enumerate().map(|(n, (s, p, d))| D(*s, *p, *d, n as u128)).collect();
            let a = walk(8, &ds);
            let rev: Vec<D> = ds.iter().rev().map(|d| D(d.0, d.1, d.2, d.3)).collect();
            prop_assert_eq!(&a, &walk(8, &rev));
            prop_assert!(a.passed <= 8);
        }
    }
}
