//! Members join and leave by a procedure (`zoufang_model::members`): each change writes a
//! `MemberChange` and the member's `member_change` (and, leaving, `left_on`) in one transaction; a
//! joining member is created in the same transaction. Deleting a member, or editing those fields
//! directly, is refused.

use crate::error::{Result, StoreError};
use crate::write::WriteOp;
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::members::{check, is_procedural};
use zoufang_model::{Entity, Member, MemberChange, MemberChangeKind, Problem, ValidationError};

/// A member joining or leaving, as the form sends it: `member_id` names who leaves; `member` holds a
/// joining member's fields (name, relation …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewMemberChange {
    pub household_id: Uuid,
    pub kind: MemberChangeKind,
    pub changed_on: String,
    pub actor: String,
    pub evidence: Option<String>,
    pub member_id: Option<Uuid>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub member: Option<Map<String, Value>>,
}

/// The refusal of a member's delete or a direct edit of what only a change writes.
pub(crate) fn refuse_direct(
    entity: Entity,
    current: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
) -> Result<()> {
    for (field, value) in patch {
        if !is_procedural(entity, field) {
            continue;
        }
        let now = current.and_then(|c| c.get(field.as_str())).unwrap_or(&Value::Null);
        let unset = |v: &Value| v.is_null() || v == &Value::Bool(false);
        if now != value && !(unset(now) && unset(value)) {
            return Err(refusal());
        }
    }
    Ok(())
}

pub(crate) fn refusal() -> StoreError {
    StoreError::refused(
        "member_by_procedure",
        "家庭成员只能通过成员变动（出生、婚入、迁入、死亡、婚出、迁出）加入或离开，不能直接删除或修改离开日期",
    )
}

impl Store {
    /// Records a member joining (creating the member) or leaving, after the rules; returns the change's id.
    pub fn record_member_change(&mut self, c: &NewMemberChange) -> Result<Uuid> {
        let changed_on = NaiveDate::parse_from_str(c.changed_on.trim(), "%Y-%m-%d")
            .map_err(|_| ValidationError::new("changed_on", Problem::DateFormat))?;
        let evidence = c.evidence.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
        self.household(c.household_id)?
            .ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: c.household_id })?;
        let mut ops = Vec::new();
        let member_id = if c.kind.joins() {
            let mut fields = c.member.clone().unwrap_or_default();
            fields.insert("household_id".into(), json!(c.household_id.to_string()));
            for f in ["member_change", "left_on", "deleted"] {
                fields.remove(f);
            }
            let id = Uuid::now_v7();
            ops.push(WriteOp::Create(Entity::Member, id, fields));
            id
        } else {
            let id = c.member_id.ok_or_else(|| ValidationError::new("member_id", Problem::Required))?;
            let m: Member = self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::Member.label(), id })?;
            if m.household_id != c.household_id {
                return Err(StoreError::refused("member_change", "该成员不属于这一户"));
            }
            if let Some(why) = check(c.kind, m.left_on.is_some(), evidence.as_deref()) {
                return Err(StoreError::refused("member_change", why));
            }
            id
        };
        let change = MemberChange {
            id: Uuid::now_v7(),
            household_id: c.household_id,
            member_id,
            kind: c.kind,
            changed_on,
            actor: c.actor.trim().to_string(),
            evidence,
            recorded_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        };
        let mut fields = match serde_json::to_value(&change) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        fields.remove("id");
        ops.push(WriteOp::Create(Entity::MemberChange, change.id, fields));
        let mut patch = Map::new();
        patch.insert("member_change".into(), json!(change.id.to_string()));
        if !c.kind.joins() {
            patch.insert("left_on".into(), json!(changed_on.to_string()));
        }
        ops.push(WriteOp::Update(Entity::Member, member_id, patch));
        self.write_all(&ops)?;
        Ok(change.id)
    }

    /// A household's member changes, oldest first.
    pub fn member_changes_of(&self, household: Uuid) -> Result<Vec<MemberChange>> {
        self.list(
            "household_id = ?1 AND kind IS NOT NULL AND member_id IS NOT NULL AND changed_on IS NOT NULL",
            "changed_on, recorded_at, id",
            &[&crate::sql::uuid_blob(household)],
        )
    }
}
