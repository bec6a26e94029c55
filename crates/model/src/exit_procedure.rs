//! 脱贫退出程序: 申请 → 核查测算 → 民主评议 → 公示 → 销号.
//!
//! Each decision at a step is its own record (`ExitDecision`), never edited: two devices recording steps
//! offline both keep theirs, and the household's position in the procedure is computed from the whole
//! sequence by [`progress`]. A step is passed or sent back with a reason; sending back returns the
//! household to the step before it (an application sent back starts over).

use crate::entities::{BasicNeeds, NeedState};
use crate::enums::{BasicNeed, ExitOutcome, ExitStep};
use crate::income::{poverty_line, IncomeCalc};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest 公示 (public notice) period, in days, counted inclusive of both ends.
pub const MIN_PUBLICITY_DAYS: i64 = 7;

/// One decision at one step, with who made it, when and on what evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExitDecision {
    pub id: Uuid,
    pub household_id: Uuid,
    pub step: ExitStep,
    pub outcome: ExitOutcome,
    pub decided_on: NaiveDate,
    /// Who decided or recorded it.
    pub actor: String,
    /// What it rests on: 评议结果, 核查说明, 公示地点…
    pub evidence: Option<String>,
    /// Why a step was sent back.
    pub reason: Option<String>,
    pub publicity_start: Option<NaiveDate>,
    pub publicity_end: Option<NaiveDate>,
    /// 核查测算 only: the per-capita net income and the line it was held against, as verified.
    pub income_per_capita_fen: Option<i64>,
    pub poverty_line_fen: Option<i64>,
    /// When it was recorded (RFC 3339); orders decisions made on the same day.
    pub recorded_at: String,
}

impl crate::entities::Record for ExitDecision {
    const ENTITY: crate::schema::Entity = crate::schema::Entity::ExitDecision;
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Where a household stands in the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExitProgress {
    /// The steps passed, in order.
    pub passed: Vec<ExitStep>,
    /// The step to decide next; `None` once 销号 is passed.
    pub next: Option<ExitStep>,
    /// The last decision that sent the household back, if it is the latest decision that counted.
    pub sent_back: Option<SentBack>,
    /// Decisions that did not fit the procedure when they arrived (e.g. two devices both passing the same
    /// step offline); kept and shown, without effect.
    pub ignored: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentBack {
    pub step: ExitStep,
    pub reason: String,
    pub by: String,
    pub on: NaiveDate,
}

fn index(step: ExitStep) -> usize {
    ExitStep::ALL.iter().position(|s| *s == step).unwrap_or(0)
}

/// The household's position, from all its decisions in any order.
pub fn progress(decisions: &[ExitDecision]) -> ExitProgress {
    let mut sorted: Vec<&ExitDecision> = decisions.iter().collect();
    sorted.sort_by(|a, b| (a.decided_on, &a.recorded_at, a.id).cmp(&(b.decided_on, &b.recorded_at, b.id)));
    let mut next = 0usize;
    let mut sent_back = None;
    let mut ignored = Vec::new();
    for d in sorted {
        let i = index(d.step);
        if i != next {
            ignored.push(d.id);
            continue;
        }
        match d.outcome {
            ExitOutcome::Passed => {
                next = i + 1;
                sent_back = None;
            }
            ExitOutcome::Returned => {
                next = i.saturating_sub(1);
                sent_back = Some(SentBack {
                    step: d.step,
                    reason: d.reason.clone().unwrap_or_default(),
                    by: d.actor.clone(),
                    on: d.decided_on,
                });
            }
        }
    }
    ExitProgress { passed: ExitStep::ALL[..next].to_vec(), next: ExitStep::ALL.get(next).copied(), sent_back, ignored }
}

/// What 核查测算 rests on: the latest visit's checklist and the latest income calculation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerificationCheck {
    /// Reasons the household may not pass verification (empty: it may).
    pub blockers: Vec<String>,
    pub income_per_capita_fen: Option<i64>,
    pub poverty_line_fen: i64,
    pub year: i32,
}

/// Whether a household meets the exit standard: every 两不愁三保障 item and safe water met (or not
/// applicable) on the latest visit, and per-capita net income at or above the year's line.
pub fn verify(needs: Option<&BasicNeeds>, calc: Option<&IncomeCalc>, year: i32) -> VerificationCheck {
    let mut blockers = Vec::new();
    match needs {
        None => blockers.push("尚无走访记录，无法核实两不愁三保障，请先入户走访".to_string()),
        Some(n) => {
            for (need, check) in n.items() {
                if check.state == NeedState::Unmet {
                    let note = check.note.as_deref().unwrap_or("").trim();
                    blockers.push(format!("「{}」未达标：{}", need_title(need), note));
                }
            }
        }
    }
    let line = calc.map(|c| poverty_line(c.year)).unwrap_or_else(|| poverty_line(year));
    let per_capita = calc.and_then(IncomeCalc::net_income_per_capita);
    match (calc, per_capita) {
        (None, _) => blockers.push("尚无收支测算，请先在扶贫手册中添加收支测算".to_string()),
        (Some(c), Some(p)) if p < line => {
            blockers.push(format!("{} 年人均纯收入 {} 元，低于当年标准 {} 元", c.year, p, line))
        }
        _ => {}
    }
    VerificationCheck {
        blockers,
        income_per_capita_fen: per_capita.map(|p| p.0),
        poverty_line_fen: line.0,
        year: calc.map(|c| c.year).unwrap_or(year),
    }
}

fn need_title(need: BasicNeed) -> &'static str {
    need.label()
}

/// A decision someone wants to record.
#[derive(Debug, Clone, Copy)]
pub struct Proposal<'a> {
    pub step: ExitStep,
    pub outcome: ExitOutcome,
    pub decided_on: NaiveDate,
    pub reason: Option<&'a str>,
    /// 公示 start and end.
    pub publicity: (Option<NaiveDate>, Option<NaiveDate>),
}

/// Why a new decision cannot be recorded now (Chinese, for the form), or `None` if it can.
pub fn check_decision(
    current: &ExitProgress,
    proposal: &Proposal<'_>,
    verification: &VerificationCheck,
    last_publicity_end: Option<NaiveDate>,
) -> Option<String> {
    let Proposal { step, outcome, decided_on, reason, publicity } = *proposal;
    match current.next {
        None => return Some("该户已完成销号，退出程序已结束".into()),
        Some(n) if n != step => {
            return Some(format!("当前应办理「{}」，不能办理「{}」", n.label(), step.label()));
        }
        _ => {}
    }
    if outcome == ExitOutcome::Returned {
        return reason.map(str::trim).filter(|r| !r.is_empty()).is_none().then(|| "退回必须写明原因".into());
    }
    match step {
        ExitStep::Verification if !verification.blockers.is_empty() => {
            Some(format!("不符合退出标准：{}", verification.blockers.join("；")))
        }
        ExitStep::Publicity => match publicity {
            (Some(start), Some(end)) => {
                if end < start {
                    Some("公示结束日期不能早于开始日期".into())
                } else if (end - start).num_days() + 1 < MIN_PUBLICITY_DAYS {
                    Some(format!("公示期不少于 {MIN_PUBLICITY_DAYS} 天"))
                } else if end > decided_on {
                    Some(format!("公示期至 {end} 结束，结束后才能确认公示无异议"))
                } else {
                    None
                }
            }
            _ => Some("请填写公示开始和结束日期".into()),
        },
        ExitStep::Closed => match last_publicity_end {
            Some(end) if decided_on <= end => Some(format!("公示期至 {end} 结束，之后才能销号")),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(step: ExitStep, outcome: ExitOutcome, day: u32, n: u128) -> ExitDecision {
        ExitDecision {
            id: Uuid::from_u128(n),
            household_id: Uuid::nil(),
            step,
            outcome,
            decided_on: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            actor: "张三".into(),
            evidence: None,
            reason: (outcome == ExitOutcome::Returned).then(|| "材料不全".into()),
            publicity_start: None,
            publicity_end: None,
            income_per_capita_fen: None,
            poverty_line_fen: None,
            recorded_at: format!("2026-03-{day:02}T10:00:00+08:00"),
        }
    }

    use ExitOutcome::*;
    use ExitStep::*;

    #[test]
    fn steps_advance_in_order_and_returns_go_back_one() {
        let p = progress(&[]);
        assert_eq!(p.next, Some(Application));
        let seq = vec![
            d(Application, Passed, 1, 1),
            d(Verification, Passed, 2, 2),
            d(Review, Returned, 3, 3),
            d(Verification, Passed, 4, 4),
            d(Review, Passed, 5, 5),
        ];
        let p = progress(&seq);
        assert_eq!(p.passed, vec![Application, Verification, Review]);
        assert_eq!(p.next, Some(Publicity));
        assert_eq!(p.sent_back, None);
        let p = progress(&seq[..3]);
        assert_eq!(p.next, Some(Verification));
        assert_eq!(p.sent_back.as_ref().map(|s| s.step), Some(Review));
    }

    #[test]
    fn a_step_passed_twice_offline_counts_once() {
        let p = progress(&[d(Application, Passed, 1, 1), d(Application, Passed, 1, 2)]);
        assert_eq!(p.next, Some(Verification));
        assert_eq!(p.ignored, vec![Uuid::from_u128(2)]);
    }

    #[test]
    fn verification_refuses_unmet_items_and_low_income() {
        let mut needs = BasicNeeds::default();
        needs.set_unmet(BasicNeed::Housing, "危房未改造");
        let calc = IncomeCalc { year: 2020, household_size: 4, wage_fen: 1_000_000, ..Default::default() };
        let v = verify(Some(&needs), Some(&calc), 2020);
        assert_eq!(v.blockers.len(), 2, "{:?}", v.blockers);
        assert!(v.blockers[0].contains("危房未改造"));
        assert!(v.blockers[1].contains("2500.00") && v.blockers[1].contains("4000.00"), "{}", v.blockers[1]);
        // Exactly at the line passes.
        let calc = IncomeCalc { year: 2020, household_size: 4, wage_fen: 1_600_000, ..Default::default() };
        assert!(verify(Some(&BasicNeeds::default()), Some(&calc), 2020).blockers.is_empty());
        assert_eq!(verify(None, None, 2020).blockers.len(), 2);
    }

    #[test]
    fn decisions_are_checked_against_the_procedure() {
        let ok = VerificationCheck { blockers: vec![], income_per_capita_fen: None, poverty_line_fen: 0, year: 2020 };
        let day = |n| NaiveDate::from_ymd_opt(2026, 3, n).unwrap();
        let prop =
            |step, outcome, on, reason, publicity| Proposal { step, outcome, decided_on: day(on), reason, publicity };
        let p = progress(&[]);
        let none = (None, None);
        assert!(check_decision(&p, &prop(Review, Passed, 1, None, none), &ok, None).unwrap().contains("申请"));
        assert!(check_decision(&p, &prop(Application, Returned, 1, Some(" "), none), &ok, None).is_some());
        let p = progress(&[d(Application, Passed, 1, 1), d(Verification, Passed, 2, 2), d(Review, Passed, 3, 3)]);
        let publicity = |a, b| (Some(day(a)), Some(day(b)));
        assert!(check_decision(&p, &prop(Publicity, Passed, 20, None, publicity(4, 9)), &ok, None).is_some());
        assert_eq!(check_decision(&p, &prop(Publicity, Passed, 20, None, publicity(4, 10)), &ok, None), None);
        assert!(check_decision(&p, &prop(Publicity, Passed, 9, None, publicity(4, 10)), &ok, None).is_some());
        assert!(check_decision(&p, &prop(Publicity, Passed, 20, None, publicity(10, 4)), &ok, None).is_some());
        // 销号 waits for the end of 公示.
        let p = progress(&[
            d(Application, Passed, 1, 1),
            d(Verification, Passed, 2, 2),
            d(Review, Passed, 3, 3),
            d(Publicity, Passed, 12, 4),
        ]);
        assert!(check_decision(&p, &prop(Closed, Passed, 10, None, none), &ok, Some(day(10))).is_some());
        assert_eq!(check_decision(&p, &prop(Closed, Passed, 11, None, none), &ok, Some(day(10))), None);
    }

    proptest! {
        /// Whatever decisions arrive, in whatever order, the result is the same and the passed steps are a
        /// prefix of the procedure.
        #[test]
        fn progress_is_order_independent(raw in proptest::collection::vec((0usize..5, any::<bool>(), 1u32..28), 0..20)) {
            let ds: Vec<ExitDecision> = raw.iter().enumerate().map(|(n, (s, pass, day))| {
                d(ExitStep::ALL[*s], if *pass { Passed } else { Returned }, *day, n as u128)
            }).collect();
            let a = progress(&ds);
            let mut rev = ds.clone();
            rev.reverse();
            prop_assert_eq!(&a, &progress(&rev));
            prop_assert_eq!(&a.passed[..], &ExitStep::ALL[..a.passed.len()]);
        }
    }
}
