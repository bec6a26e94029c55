//! 脱贫退出程序: 申请 → 核查测算 → 民主评议 → 公示 → 乡镇审核 → 县级审定 → 告知 → 销号, on the
//! procedure mechanism of `crate::steps`. Seed 001 asks for 申请、核查测算、公示、告知 in every exit
//! ("必须完备申请、核查测算、公示、告知等痕迹管理"); the township's review and the county's decision come
//! between 公示 and 告知 as in the identification procedure `MONITORING.md` cites (乡级审核 → 县级审批).
//!
//! The village records its steps (驻村工作队, 第一书记), the township office 乡镇审核 and the county
//! office 县级审定, each within the county's working-day deadline; 公示 lasts at least the county's
//! `publicity_days`. Each decision is its own record (`ExitDecision`), never edited: two devices deciding
//! offline both keep theirs, and the household's position is computed from every decision by
//! [`progress`]. A step is passed or sent back with a reason; sending back returns the household to the
//! step before it (an application sent back starts over).

use crate::entities::{BasicNeeds, NeedState};
use crate::enums::{BasicNeed, ExitOutcome, ExitStep};
use crate::income::{poverty_line, IncomeCalc};
use crate::roles::Role;
use crate::settings::{COUNTY_DECISION_DAYS, TOWNSHIP_REVIEW_DAYS};
use crate::steps::{self, Decided, StepDef};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const VILLAGE: &[Role] = &[Role::WorkTeam, Role::FirstSecretary];

/// The steps, who records each, what each rests on, and each deadline's setting.
pub const EXIT_STEPS: &[StepDef<ExitStep>] = &[
    StepDef {
        step: ExitStep::Application,
        by: VILLAGE,
        evidence: "户主申请情况，如：户主本人提出书面申请",
        deadline: None,
    },
    StepDef {
        step: ExitStep::Verification,
        by: VILLAGE,
        evidence: "核查情况，如：入户核实收入、两不愁三保障",
        deadline: None,
    },
    StepDef {
        step: ExitStep::Review,
        by: VILLAGE,
        evidence: "评议结果，如：村民代表大会 32 人参加，全票通过",
        deadline: None,
    },
    StepDef {
        step: ExitStep::Publicity, by: VILLAGE, evidence: "公示地点，如：村委会公示栏", deadline: None
    },
    StepDef {
        step: ExitStep::TownshipReview,
        by: &[Role::Township],
        evidence: "乡镇审核意见，如：经乡镇扶贫工作站审核，同意退出",
        deadline: Some(TOWNSHIP_REVIEW_DAYS),
    },
    StepDef {
        step: ExitStep::CountyDecision,
        by: &[Role::County],
        evidence: "县级审定，如：县扶贫开发领导小组审定文号",
        deadline: Some(COUNTY_DECISION_DAYS),
    },
    StepDef {
        step: ExitStep::Notice,
        by: VILLAGE,
        evidence: "告知方式，如：入户送达退出告知书，户主签字",
        deadline: None,
    },
    StepDef {
        step: ExitStep::Closed,
        by: VILLAGE,
        evidence: "销号依据，如：县级审定文号、系统标注日期",
        deadline: None,
    },
];

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
    /// When the latest counted decision was made (the next step's deadline counts from it).
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentBack {
    pub step: ExitStep,
    pub reason: String,
    pub by: String,
    pub on: NaiveDate,
}

impl Decided for ExitDecision {
    fn index(&self) -> usize {
        ExitStep::ALL.iter().position(|s| *s == self.step).unwrap_or(0)
    }
    fn passed(&self) -> bool {
        self.outcome == ExitOutcome::Passed
    }
    fn decided_on(&self) -> NaiveDate {
        self.decided_on
    }
    fn recorded_at(&self) -> &str {
        &self.recorded_at
    }
    fn id(&self) -> Uuid {
        self.id
    }
}

/// The household's position, from all its decisions in any order (`steps::walk`).
pub fn progress(decisions: &[ExitDecision]) -> ExitProgress {
    let w = steps::walk(ExitStep::ALL.len(), decisions);
    let sent_back = w.sent_back.and_then(|id| decisions.iter().find(|d| d.id == id)).map(|d| SentBack {
        step: d.step,
        reason: d.reason.clone().unwrap_or_default(),
        by: d.actor.clone(),
        on: d.decided_on,
    });
    ExitProgress {
        passed: ExitStep::ALL[..w.passed].to_vec(),
        next: ExitStep::ALL.get(w.passed).copied(),
        sent_back,
        ignored: w.ignored,
        since: w.since,
    }
}

/// The decisions of the household's current round: those decided on or after its latest 返贫 or
/// correction (a household that fell back starts the procedure again; its earlier rounds stay on record).
pub fn current_round(decisions: &[ExitDecision], changes: &[crate::procedure::StatusChange]) -> Vec<ExitDecision> {
    let since =
        changes.iter().filter(|c| c.procedure != crate::enums::StatusProcedure::Exit).map(|c| c.decided_on).max();
    decisions.iter().filter(|d| since.is_none_or(|s| d.decided_on >= s)).cloned().collect()
}

/// Whether devices of `role` record `step`.
pub fn may_record(role: Role, step: ExitStep) -> bool {
    steps::may_record(EXIT_STEPS, step, role)
}

/// Whether `role` may withdraw (delete) or restore a recorded decision of `step`: only the office that
/// records the step, so a village cannot erase the township's review or the county's decision, and
/// the offices cannot erase the village's own record of its meeting.
pub fn may_withdraw(role: Role, step: ExitStep) -> bool {
    may_record(role, step)
}

/// Why `role` may not withdraw a decision of `step`, in Chinese.
pub fn withdraw_refusal(role: Role, step: ExitStep) -> String {
    format!(
        "「{}」的记录只能由{}撤销，{}账号不能撤销",
        step.label(),
        steps::recorded_by(EXIT_STEPS, step),
        role.label()
    )
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
    /// The role of the device recording it.
    pub role: Role,
    /// The county's shortest 公示, in days counted inclusive of both ends.
    pub publicity_days: i64,
}

/// Why a new decision cannot be recorded now (Chinese, for the form), or `None` if it can.
pub fn check_decision(
    current: &ExitProgress,
    proposal: &Proposal<'_>,
    verification: &VerificationCheck,
    last_publicity_end: Option<NaiveDate>,
) -> Option<String> {
    let Proposal { step, outcome, decided_on, reason, publicity, role, publicity_days } = *proposal;
    if !may_record(role, step) {
        let by = steps::recorded_by(EXIT_STEPS, step);
        return Some(format!("「{}」由{by}办理，{}账号不能办理", step.label(), role.label()));
    }
    match current.next {
        // A household that exited and fell back applies again: a new round.
        None if step == ExitStep::Application => {}
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
                } else if (end - start).num_days() + 1 < publicity_days {
                    Some(format!("公示期不少于 {publicity_days} 天"))
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
    fn only_the_recording_office_withdraws_a_decision() {
        assert!(may_withdraw(Role::WorkTeam, Application));
        assert!(!may_withdraw(Role::Township, Application));
        assert!(may_withdraw(Role::Township, TownshipReview));
        assert!(!may_withdraw(Role::FirstSecretary, TownshipReview));
        assert!(!may_withdraw(Role::WorkTeam, CountyDecision));
        assert!(may_withdraw(Role::County, CountyDecision));
        let why = withdraw_refusal(Role::WorkTeam, CountyDecision);
        assert!(why.contains("县级审定") && why.contains("撤销"), "{why}");
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
        let prop = |step, outcome, on, reason, publicity| Proposal {
            step,
            outcome,
            decided_on: day(on),
            reason,
            publicity,
            role: Role::WorkTeam,
            publicity_days: 7,
        };
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
        // A county's longer 公示.
        let longer = Proposal { publicity_days: 10, ..prop(Publicity, Passed, 20, None, publicity(4, 10)) };
        assert_eq!(check_decision(&p, &longer, &ok, None).unwrap(), "公示期不少于 10 天");
        // After 公示 the township reviews and the county decides; a village tablet records neither.
        let mut seq = vec![
            d(Application, Passed, 1, 1),
            d(Verification, Passed, 2, 2),
            d(Review, Passed, 3, 3),
            d(Publicity, Passed, 12, 4),
        ];
        let p = progress(&seq);
        assert_eq!(p.next, Some(TownshipReview));
        let refused = check_decision(&p, &prop(TownshipReview, Passed, 13, None, none), &ok, Some(day(10))).unwrap();
        assert_eq!(refused, "「乡镇审核」由乡镇干部办理，驻村工作队员账号不能办理");
        let township = Proposal { role: Role::Township, ..prop(TownshipReview, Passed, 13, None, none) };
        assert_eq!(check_decision(&p, &township, &ok, Some(day(10))), None);
        seq.push(d(TownshipReview, Passed, 13, 5));
        let county = Proposal { role: Role::County, ..prop(CountyDecision, Passed, 14, None, none) };
        assert_eq!(check_decision(&progress(&seq), &county, &ok, Some(day(10))), None);
        seq.push(d(CountyDecision, Passed, 14, 6));
        seq.push(d(Notice, Passed, 15, 7));
        let p = progress(&seq);
        assert_eq!(p.next, Some(Closed));
        assert_eq!(check_decision(&p, &prop(Closed, Passed, 15, None, none), &ok, Some(day(10))), None);
        seq.push(d(Closed, Passed, 15, 8));
        assert_eq!(progress(&seq).next, None);
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
