//! 销号 of rectification items (问题整改台账) belongs to whoever issued the item. Seed 000 (三十二) sets
//! the 销号制 with deadlines for what 督查 finds; seed 003 (26) asks the issuer to re-check (复核) at least
//! 15% of what it followed up. So:
//!
//! - the issuer follows from the item's source: the county office for 督查暗访, 审计 and 考核评估, the
//!   township for its own 乡镇督查, the village itself for what its visits and 自查 found;
//! - the village marks an item 整改中 and proposes 销号 with what was done (and photos); the issuer
//!   confirms it or sends it back with a reason; the village closes its own items itself;
//! - the county office re-checks a share of closed items (a setting, default 15% from seed 003): passed,
//!   or reopened with a reason;
//! - only the issuer changes what the item asks (problem, deadline) or withdraws it.
//!
//! Each step is a `RectificationReview` record, never edited; the item's `review`, `status` and
//! `closed_on` are written only together with one (the device's store and the server both check it, so a
//! village tablet cannot close a county's item by a hand-made change). Pure rules, no IO.

use crate::enums::{RectificationAction, RectificationSource, RectificationStatus};
use crate::roles::Role;
use crate::schema::{Entity, DELETED};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The share of closed items the county office re-checks unless it sets another (seed 003, 26:
/// "复核比例不低于督导督查事项的15%").
pub const DEFAULT_RECHECK_PERCENT: u32 = 15;

/// One step of an item's 销号.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RectificationReview {
    pub id: Uuid,
    pub village_id: Uuid,
    pub rectification_id: Uuid,
    pub action: RectificationAction,
    pub decided_on: NaiveDate,
    /// Who decided or recorded it.
    pub actor: String,
    /// What was done (a proposal), or why it was sent back or reopened.
    pub note: Option<String>,
    /// When it was recorded (RFC 3339); orders steps taken on the same day.
    pub recorded_at: String,
}

impl crate::entities::Record for RectificationReview {
    const ENTITY: Entity = Entity::RectificationReview;
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Who issued an item, and so closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    County,
    Township,
    Village,
}

impl Issuer {
    pub fn of(source: RectificationSource) -> Issuer {
        match source {
            RectificationSource::Inspection | RectificationSource::Audit | RectificationSource::Assessment => {
                Issuer::County
            }
            RectificationSource::Township => Issuer::Township,
            RectificationSource::Visit | RectificationSource::SelfCheck => Issuer::Village,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Issuer::County => "县扶贫办",
            Issuer::Township => "乡镇",
            Issuer::Village => "本村",
        }
    }

    /// Whether devices of `role` act for this issuer.
    pub fn is(self, role: Role) -> bool {
        match self {
            Issuer::County => role == Role::County,
            Issuer::Township => role == Role::Township,
            Issuer::Village => is_village(role),
        }
    }
}

fn is_village(role: Role) -> bool {
    matches!(role, Role::WorkTeam | Role::FirstSecretary)
}

/// Whether devices of `role` create items of this source.
pub fn may_issue(role: Role, source: RectificationSource) -> bool {
    Issuer::of(source).is(role)
}

/// Whether devices of `role` may change `field` of an item from `source` directly (not `status`,
/// `review`, `closed_on`: see [`direct_status`] and [`is_procedural`]). What the item asks and its
/// withdrawal are the issuer's; what was done is the village's; the 责任人 anyone who works on it.
pub fn may_edit(role: Role, source: RectificationSource, field: &str) -> bool {
    match field {
        "problem" | "deadline" | DELETED => Issuer::of(source).is(role),
        "evidence" => is_village(role),
        _ => role.can_write(Entity::Rectification),
    }
}

/// The fields of an item written only together with a `RectificationReview`.
pub fn is_procedural(entity: Entity, field: &str) -> bool {
    entity == Entity::Rectification && matches!(field, "review" | "closed_on")
}

/// Whether the status may change from `from` to `to` without a review: the village marks an item 整改中
/// or back to 待整改.
pub fn direct_status(role: Role, from: RectificationStatus, to: RectificationStatus) -> bool {
    use RectificationStatus::{InProgress, Open};
    is_village(role) && matches!(from, Open | InProgress) && matches!(to, Open | InProgress)
}

/// Whether devices of `role` take `action` on an item from `source`.
pub fn may_act(role: Role, source: RectificationSource, action: RectificationAction) -> bool {
    match action {
        RectificationAction::Propose => is_village(role),
        RectificationAction::Confirm | RectificationAction::SendBack => Issuer::of(source).is(role),
        RectificationAction::RecheckPassed | RectificationAction::Reopened => role == Role::County,
    }
}

/// The status `action` leads to from `from` on an item from `source`, or why it cannot be taken there.
pub fn transition(
    source: RectificationSource,
    action: RectificationAction,
    from: RectificationStatus,
) -> Result<RectificationStatus, String> {
    use RectificationAction as A;
    use RectificationStatus as S;
    let open = matches!(from, S::Open | S::InProgress);
    let own = Issuer::of(source) == Issuer::Village;
    match action {
        A::Propose if open && !own => Ok(S::Proposed),
        A::Propose if open => Err("本村发现的问题由本村直接销号，无需申请".into()),
        A::Confirm if from == S::Proposed || (open && own) => Ok(S::Closed),
        A::SendBack if from == S::Proposed => Ok(S::InProgress),
        A::RecheckPassed if from == S::Closed => Ok(S::Closed),
        A::Reopened if from == S::Closed => Ok(S::InProgress),
        _ => Err(format!("该问题当前为「{}」，不能{}", from.label(), action.label())),
    }
}

/// Checks a step someone wants to take; the new status, or why not (Chinese, for display).
pub fn check(
    role: Role,
    source: RectificationSource,
    action: RectificationAction,
    from: RectificationStatus,
    note: Option<&str>,
) -> Result<RectificationStatus, String> {
    if !may_act(role, source, action) {
        let issuer = Issuer::of(source);
        return Err(match action {
            RectificationAction::Propose => format!("{}账号不能申请销号，由村里申请", role.label()),
            RectificationAction::Confirm | RectificationAction::SendBack => format!(
                "该问题来源为「{}」，由{}确认销号或退回，{}账号不能{}",
                source.label(),
                issuer.label(),
                role.label(),
                action.label()
            ),
            _ => format!("抽查复核由县扶贫办办理，{}账号不能{}", role.label(), action.label()),
        });
    }
    let to = transition(source, action, from)?;
    let stated = note.is_some_and(|n| !n.trim().is_empty());
    if !stated {
        match action {
            RectificationAction::Propose | RectificationAction::Confirm if from != RectificationStatus::Proposed => {
                return Err("销号须写明整改情况（采取的措施和结果）".into())
            }
            RectificationAction::SendBack | RectificationAction::Reopened => {
                return Err(format!("{}须写明原因", action.label()))
            }
            _ => {}
        }
    }
    Ok(to)
}

/// Whether an item not closed by `today` is past its deadline (marked 逾期 on every level).
pub fn overdue(status: RectificationStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    status != RectificationStatus::Closed && deadline < today
}

/// The closed items to re-check now so that at least `percent`% of `closed` (each with whether it was
/// re-checked already) is: ⌈percent × closed / 100⌉ minus those already re-checked, chosen from the rest
/// in an order fixed by their ids (spread across villages and dates, the same on every device).
pub fn recheck_sample(closed: &[(Uuid, bool)], percent: u32) -> Vec<Uuid> {
    let need = (closed.len() as u64 * u64::from(percent.min(100))).div_ceil(100) as usize;
    let done = closed.iter().filter(|(_, r)| *r).count();
    let mut rest: Vec<Uuid> = closed.iter().filter(|(_, r)| !*r).map(|(id, _)| *id).collect();
    rest.sort_by_key(|id| id.as_u128().wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835).rotate_left(64));
    rest.truncate(need.saturating_sub(done));
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use RectificationAction::*;
    use RectificationSource as Src;
    use RectificationStatus::*;

    #[test]
    fn the_issuer_closes_and_the_village_proposes() {
        let note = Some("已修缮屋顶");
        // A county item: the village proposes, only the county confirms or sends back.
        assert_eq!(check(Role::WorkTeam, Src::Inspection, Propose, InProgress, note), Ok(Proposed));
        assert_eq!(check(Role::WorkTeam, Src::Inspection, Propose, Open, note), Ok(Proposed));
        let refused = check(Role::WorkTeam, Src::Inspection, Confirm, Proposed, None).unwrap_err();
        assert!(refused.contains("县扶贫办") && refused.contains("督查暗访"), "{refused}");
        assert!(check(Role::Township, Src::Inspection, Confirm, Proposed, None).is_err());
        assert_eq!(check(Role::County, Src::Inspection, Confirm, Proposed, None), Ok(Closed));
        assert_eq!(check(Role::County, Src::Audit, SendBack, Proposed, Some("照片不清")), Ok(InProgress));
        assert!(check(Role::County, Src::Audit, SendBack, Proposed, Some(" ")).unwrap_err().contains("原因"));
        // Not before the village asked, and not twice.
        assert!(check(Role::County, Src::Inspection, Confirm, InProgress, None).is_err());
        assert!(check(Role::County, Src::Inspection, Confirm, Closed, None).is_err());
        assert!(check(Role::WorkTeam, Src::Inspection, Propose, Proposed, note).is_err());
        assert!(check(Role::WorkTeam, Src::Inspection, Propose, Open, None).unwrap_err().contains("整改情况"));
        // A township's item is the township's.
        assert_eq!(check(Role::Township, Src::Township, Confirm, Proposed, None), Ok(Closed));
        assert!(check(Role::County, Src::Township, Confirm, Proposed, None).is_err());
        // The village closes what it found itself, with what was done.
        assert_eq!(check(Role::FirstSecretary, Src::Visit, Confirm, Open, note), Ok(Closed));
        assert!(check(Role::FirstSecretary, Src::SelfCheck, Confirm, Open, None).is_err());
        assert!(check(Role::WorkTeam, Src::Visit, Propose, Open, note).is_err());
        assert!(check(Role::County, Src::Visit, Confirm, Open, note).is_err());
    }

    #[test]
    fn the_county_rechecks_closed_items() {
        assert_eq!(check(Role::County, Src::Visit, RecheckPassed, Closed, None), Ok(Closed));
        assert_eq!(check(Role::County, Src::Township, Reopened, Closed, Some("屋顶仍漏雨")), Ok(InProgress));
        assert!(check(Role::County, Src::Township, Reopened, Closed, None).is_err());
        assert!(check(Role::County, Src::Visit, RecheckPassed, Proposed, None).is_err());
        assert!(check(Role::Township, Src::Township, RecheckPassed, Closed, None).unwrap_err().contains("县扶贫办"));
    }

    #[test]
    fn who_edits_what() {
        for role in Role::ALL {
            for source in Src::ALL {
                let issuer = Issuer::of(*source).is(*role);
                assert_eq!(may_edit(*role, *source, "deadline"), issuer);
                assert_eq!(may_edit(*role, *source, DELETED), issuer);
                assert_eq!(may_issue(*role, *source), issuer);
                assert_eq!(may_edit(*role, *source, "evidence"), matches!(role, Role::WorkTeam | Role::FirstSecretary));
            }
        }
        assert!(direct_status(Role::WorkTeam, Open, InProgress) && direct_status(Role::WorkTeam, InProgress, Open));
        assert!(!direct_status(Role::WorkTeam, InProgress, Closed) && !direct_status(Role::WorkTeam, Proposed, Open));
        assert!(!direct_status(Role::County, Open, InProgress));
        assert!(is_procedural(Entity::Rectification, "review") && is_procedural(Entity::Rectification, "closed_on"));
        assert!(!is_procedural(Entity::Rectification, "status"));
    }

    #[test]
    fn overdue_until_closed() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert!(!overdue(Open, day(10), day(10)), "the deadline day itself is in time");
        assert!(overdue(Open, day(10), day(11)) && overdue(Proposed, day(10), day(11)));
        assert!(!overdue(Closed, day(10), day(11)));
    }

    #[test]
    fn recheck_sample_boundaries() {
        let ids = |n: u128| (1..=n).map(|i| (Uuid::from_u128(i), false)).collect::<Vec<_>>();
        assert!(recheck_sample(&[], 15).is_empty());
        assert_eq!(recheck_sample(&ids(1), 15).len(), 1, "one closed item: it is re-checked");
        assert_eq!(recheck_sample(&ids(20), 15).len(), 3);
        assert_eq!(recheck_sample(&ids(21), 15).len(), 4, "15% of 21 is 3.15: four");
        assert_eq!(recheck_sample(&ids(20), 0).len(), 0);
        assert_eq!(recheck_sample(&ids(20), 100).len(), 20);
        let mut some = ids(20);
        some[0].1 = true;
        some[1].1 = true;
        assert_eq!(recheck_sample(&some, 15).len(), 1, "two of three already re-checked");
        some[2].1 = true;
        some[3].1 = true;
        assert!(recheck_sample(&some, 15).is_empty());
    }

    proptest! {
        /// The sample never repeats an item already re-checked, reaches the share exactly when enough
        /// items are left, and does not depend on the order items are listed in.
        #[test]
        fn recheck_sample_reaches_the_share(flags in proptest::collection::vec(any::<bool>(), 0..60), percent in 0u32..=100) {
            let closed: Vec<(Uuid, bool)> = flags.iter().enumerate().map(|(i, r)| (Uuid::from_u128(i as u128 * 7919 + 1), *r)).collect();
            let sample = recheck_sample(&closed, percent);
            let done = flags.iter().filter(|r| **r).count();
            let need = (closed.len() * percent as usize).div_ceil(100);
            prop_assert_eq!(sample.len(), need.saturating_sub(done));
            prop_assert!(sample.iter().all(|id| closed.iter().any(|(c, r)| c == id && !r)));
            let mut rev = closed.clone();
            rev.reverse();
            prop_assert_eq!(&sample, &recheck_sample(&rev, percent));
        }
    }
}
