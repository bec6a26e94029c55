//! Members join and leave a household by a procedure, never a delete: a birth, a marriage in or a
//! move in adds a member; a death, a marriage out or a move out ends its membership on a date, with who
//! recorded it and on what evidence. Each is a `MemberChange` record, never edited; the member names the
//! one that last moved it (`member_change`) and, when it left, the date (`left_on`). Population figures
//! count the members present on a date (`present_on`). The device store refuses deleting a member and a
//! direct edit of those two fields; the server refuses them from a hand-made push.

use crate::entities::Member;
use crate::enums::MemberChangeKind;
use crate::schema::Entity;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One member joining or leaving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberChange {
    pub id: Uuid,
    pub household_id: Uuid,
    pub member_id: Uuid,
    pub kind: MemberChangeKind,
    pub changed_on: NaiveDate,
    pub actor: String,
    pub evidence: Option<String>,
    pub recorded_at: String,
}

impl crate::entities::Record for MemberChange {
    const ENTITY: Entity = Entity::MemberChange;
    fn id(&self) -> Uuid {
        self.id
    }
}

impl MemberChangeKind {
    /// Whether the change brings a member in (出生, 婚入, 迁入) rather than out.
    pub fn joins(self) -> bool {
        matches!(self, MemberChangeKind::Birth | MemberChangeKind::MarriageIn | MemberChangeKind::MoveIn)
    }
}

/// The member fields only a `MemberChange` writes, and the member's tombstone (a member never is deleted).
pub fn is_procedural(entity: Entity, field: &str) -> bool {
    entity == Entity::Member && matches!(field, "member_change" | "left_on" | crate::schema::DELETED)
}

/// Why `kind` cannot be recorded for a member who has (`left`) or has not left; `None` when it can.
pub fn check(kind: MemberChangeKind, left: bool, evidence: Option<&str>) -> Option<String> {
    if kind.joins() {
        return None;
    }
    if left {
        return Some("该成员已经离开本户".into());
    }
    if evidence.is_none_or(|e| e.trim().is_empty()) {
        return Some(format!("{}须写明依据（如死亡证明、结婚证、户口迁移证明）", kind.label()));
    }
    None
}

/// Whether `m` was a member on `day`: not left by then (a member who joined later was created later).
pub fn present_on(m: &Member, day: NaiveDate) -> bool {
    m.left_on.is_none_or(|left| left > day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberChangeKind::*;

    #[test]
    fn leaving_needs_evidence_and_happens_once() {
        assert!(Birth.joins() && MarriageIn.joins() && MoveIn.joins());
        assert!(!Death.joins() && !MarriageOut.joins() && !MoveOut.joins());
        assert!(check(Death, false, None).unwrap().contains("依据"));
        assert!(check(Death, false, Some("  ")).is_some());
        assert!(check(Death, false, Some("死亡证明")).is_none());
        assert!(check(MoveOut, true, Some("迁移证明")).unwrap().contains("已经离开"));
        assert!(check(Birth, false, None).is_none(), "a birth needs no certificate to be recorded");
        assert!(is_procedural(Entity::Member, "left_on") && is_procedural(Entity::Member, "deleted"));
        assert!(!is_procedural(Entity::Member, "name") && !is_procedural(Entity::Household, "left_on"));
    }
}
