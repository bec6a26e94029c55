//! 户状态 changes only through a procedure, never by editing the field: 脱贫退出 (the exit procedure's
//! 销号), 返贫 (a household falling back, with its reason and evidence) and a correction by the county
//! office with a stated reason (the 错评/错退 figures count those). Each change is a `StatusChange`
//! record, never edited; the household's `status` and `status_change` fields are written together with
//! it and name it. The device store refuses a direct edit of the status, and the server refuses a pushed
//! status that no valid procedure record stands behind (a tablet's own build cannot bypass it).
//!
//! Pure rules: which transitions each procedure allows, what it must state, and which roles record it.

use crate::enums::{HouseholdStatus, StatusProcedure};
use crate::roles::Role;
use crate::schema::Entity;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One change of a household's status by a procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusChange {
    pub id: Uuid,
    pub household_id: Uuid,
    pub procedure: StatusProcedure,
    pub from_status: HouseholdStatus,
    pub to_status: HouseholdStatus,
    pub decided_on: NaiveDate,
    /// Who decided or recorded it.
    pub actor: String,
    /// Why (返贫原因; the correction's reason).
    pub reason: Option<String>,
    /// What it rests on (核实材料, 评议结果 …).
    pub evidence: Option<String>,
    /// 脱贫退出 only: the 销号 decision it follows.
    pub exit_decision: Option<Uuid>,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
}

impl crate::entities::Record for StatusChange {
    const ENTITY: Entity = Entity::StatusChange;
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Whether a field is written only by procedure steps (never by a form, an import's update or a
/// hand-made change).
pub fn is_procedural(entity: Entity, field: &str) -> bool {
    entity == Entity::Household && matches!(field, "status" | "status_change")
}

/// The records of `changes` that are not in effect. The household's status follows its records in
/// order up to the one it names (`named`): a record counts when it starts from the status the ones
/// before it left; records after the named one, and any whose starting status did not hold when it
/// was made, are not in effect (a valid one pushed by hand that no household change followed, say).
/// They are kept and shown, marked.
pub fn not_in_effect(changes: &[StatusChange], named: Option<Uuid>) -> Vec<Uuid> {
    let mut sorted: Vec<&StatusChange> = changes.iter().collect();
    sorted.sort_by(|a, b| (a.decided_on, &a.recorded_at, a.id).cmp(&(b.decided_on, &b.recorded_at, b.id)));
    let end = named.and_then(|n| sorted.iter().position(|c| c.id == n));
    let mut out = Vec::new();
    let mut current = None;
    for (i, c) in sorted.iter().enumerate() {
        let counts = end.is_some_and(|e| i <= e) && current.is_none_or(|s| s == c.from_status);
        if counts {
            current = Some(c.to_status);
        } else {
            out.push(c.id);
        }
    }
    out
}

/// The statuses a household falls back (返贫) from: it had exited.
const RELAPSE_FROM: &[HouseholdStatus] =
    &[HouseholdStatus::Exited, HouseholdStatus::Stable, HouseholdStatus::Monitored];

/// Why `procedure` may not move a household from `from` to `to` with this reason and evidence; `None`
/// when it may. Texts are for display.
pub fn check_transition(
    procedure: StatusProcedure,
    from: HouseholdStatus,
    to: HouseholdStatus,
    reason: Option<&str>,
    evidence: Option<&str>,
) -> Option<String> {
    let stated = |s: Option<&str>| s.is_some_and(|t| !t.trim().is_empty());
    match procedure {
        StatusProcedure::Exit => {
            if !matches!(from, HouseholdStatus::Poor | HouseholdStatus::Returned) || to != HouseholdStatus::Exited {
                return Some(format!(
                    "脱贫退出只能把未脱贫或返贫户变为已脱贫，不能从「{}」变为「{}」",
                    from.label(),
                    to.label()
                ));
            }
        }
        StatusProcedure::Relapse => {
            if !RELAPSE_FROM.contains(&from) || to != HouseholdStatus::Returned {
                return Some(format!("只有已脱贫、稳定脱贫或脱贫监测户可以登记返贫（该户为「{}」）", from.label()));
            }
            if !stated(reason) {
                return Some("登记返贫须写明返贫原因".into());
            }
            if !stated(evidence) {
                return Some("登记返贫须写明核实依据（如入户核实情况、收入测算）".into());
            }
        }
        StatusProcedure::Correction => {
            if from == to {
                return Some("纠错后的状态与原状态相同".into());
            }
            if !stated(reason) {
                return Some("县级纠错须写明理由".into());
            }
        }
    }
    None
}

/// Whether devices of `role` record changes by `procedure`: the village's work team and first
/// secretary carry out the exit procedure and register a 返贫; corrections are the county office's.
pub fn may_record(role: Role, procedure: StatusProcedure) -> bool {
    match procedure {
        StatusProcedure::Exit | StatusProcedure::Relapse => matches!(role, Role::WorkTeam | Role::FirstSecretary),
        StatusProcedure::Correction => role == Role::County,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HouseholdStatus::*;
    use StatusProcedure::*;

    #[test]
    fn each_procedure_allows_its_own_transitions_only() {
        let ok = |p, f, t| check_transition(p, f, t, Some("因病"), Some("入户核实")).is_none();
        assert!(ok(Exit, Poor, Exited) && ok(Exit, Returned, Exited));
        assert!(!ok(Exit, Marginal, Exited) && !ok(Exit, Poor, Stable) && !ok(Exit, Exited, Exited));
        assert!(ok(Relapse, Exited, Returned) && ok(Relapse, Stable, Returned) && ok(Relapse, Monitored, Returned));
        assert!(!ok(Relapse, Poor, Returned) && !ok(Relapse, Exited, Poor) && !ok(Relapse, Marginal, Returned));
        for from in HouseholdStatus::ALL {
            for to in HouseholdStatus::ALL {
                assert_eq!(ok(Correction, *from, *to), from != to, "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn the_chain_in_effect_runs_back_from_the_named_record() {
        let c = |n: u128, day: u32, procedure, from, to| StatusChange {
            id: Uuid::from_u128(n),
            household_id: Uuid::nil(),
            procedure,
            from_status: from,
            to_status: to,
            decided_on: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            actor: "张三".into(),
            reason: None,
            evidence: None,
            exit_decision: None,
            recorded_at: String::new(),
        };
        let exit = c(1, 1, Exit, Poor, Exited);
        let relapse = c(2, 5, Relapse, Exited, Returned);
        let orphan = c(3, 6, Relapse, Exited, Returned);
        let again = c(4, 9, Exit, Returned, Exited);
        let all = [exit.clone(), relapse.clone(), orphan.clone(), again.clone()];
        assert_eq!(not_in_effect(&all, Some(again.id)), vec![orphan.id], "the later 返贫 no change followed");
        assert_eq!(not_in_effect(&all[..2], Some(relapse.id)), Vec::<Uuid>::new());
        assert_eq!(not_in_effect(&all[..1], None), vec![exit.id], "a household naming no record");
    }

    #[test]
    fn a_relapse_and_a_correction_state_why() {
        let why = |p, r, e| check_transition(p, Exited, Returned, r, e);
        assert!(why(Relapse, None, Some("核实")).unwrap().contains("返贫原因"));
        assert!(why(Relapse, Some("  "), Some("核实")).unwrap().contains("返贫原因"));
        assert!(why(Relapse, Some("因病"), None).unwrap().contains("依据"));
        assert!(why(Relapse, Some("因病"), Some("入户核实")).is_none());
        assert!(why(Correction, None, None).unwrap().contains("理由"));
        assert!(why(Correction, Some("错评"), None).is_none());
        assert!(
            check_transition(Exit, Poor, Exited, None, None).is_none(),
            "the exit procedure's steps hold its evidence"
        );
    }

    #[test]
    fn the_village_exits_and_relapses_and_the_county_corrects() {
        for role in Role::ALL {
            assert_eq!(may_record(*role, Exit), matches!(role, Role::WorkTeam | Role::FirstSecretary));
            assert_eq!(may_record(*role, Relapse), may_record(*role, Exit));
            assert_eq!(may_record(*role, Correction), *role == Role::County);
        }
        assert!(is_procedural(Entity::Household, "status") && is_procedural(Entity::Household, "status_change"));
        assert!(!is_procedural(Entity::Household, "notes") && !is_procedural(Entity::Member, "status"));
    }
}
