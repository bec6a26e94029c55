//! 户状态 through procedures only (`zoufang_model::procedure`): 返贫 and the county's correction are
//! recorded here, the exit procedure's 销号 in `workflows.rs`; each writes a `StatusChange` and the
//! household's `status` and `status_change` in one transaction. A direct edit of the status (the
//! generic update path every form, the CLI and an import's update use) is refused.

use crate::error::{Result, StoreError};
use crate::write::WriteOp;
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::procedure::{check_transition, is_procedural, may_record};
use zoufang_model::{Entity, HouseholdStatus, Problem, StatusChange, StatusProcedure, ValidationError};

/// A 返贫 or a correction, as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewStatusChange {
    pub household_id: Uuid,
    pub procedure: StatusProcedure,
    pub to_status: HouseholdStatus,
    pub decided_on: String,
    pub actor: String,
    pub reason: Option<String>,
    pub evidence: Option<String>,
}

/// The refusal of a direct edit of a field only procedures write: a patch may repeat its current value
/// (a whole record sent back unchanged), never change it.
pub(crate) fn refuse_procedural(
    conn: &rusqlite::Connection,
    entity: Entity,
    id: Uuid,
    patch: &Map<String, Value>,
) -> Result<()> {
    let touched: Vec<&String> = patch.keys().filter(|k| is_procedural(entity, k)).collect();
    if touched.is_empty() {
        return Ok(());
    }
    let current = crate::rows::read_row(conn, entity, id)?;
    for field in touched {
        let now = current.as_ref().and_then(|r| r.fields.get(field.as_str())).unwrap_or(&Value::Null);
        if now != &patch[field.as_str()] {
            return Err(refusal(entity, field));
        }
    }
    Ok(())
}

/// Why a procedural field cannot be written directly.
pub(crate) fn refusal(entity: Entity, field: &str) -> StoreError {
    StoreError::refused(
        "status_by_procedure",
        format!(
            "{}只能通过程序变更（脱贫退出、登记返贫或县级纠错），不能直接修改",
            entity.field(field).map_or("户状态", |d| d.label)
        ),
    )
}

/// The writes of one status change: the record, then the household naming it with its new status.
pub(crate) fn status_ops(change: &StatusChange, extra: Map<String, Value>) -> Vec<WriteOp> {
    let mut fields = match serde_json::to_value(change) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    fields.remove("id");
    let mut household = extra;
    household.insert("status_change".into(), json!(change.id.to_string()));
    household.insert("status".into(), json!(change.to_status.ident()));
    vec![
        WriteOp::Create(Entity::StatusChange, change.id, fields),
        WriteOp::Update(Entity::Household, change.household_id, household),
    ]
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Store {
    /// Records a 返贫 or a county correction after checking it against the procedure's rules; the
    /// household takes the new status in the same transaction.
    pub fn record_status_change(&mut self, c: &NewStatusChange) -> Result<Uuid> {
        if c.procedure == StatusProcedure::Exit {
            return Err(StoreError::refused(
                "exit_by_procedure",
                "脱贫退出须按退出程序逐步办理，在最后一步销号时变更状态",
            ));
        }
        let role = self.role()?;
        if !may_record(role, c.procedure) {
            return Err(StoreError::refused(
                "procedure_role",
                format!("{}账号不能办理{}", role.label(), c.procedure.label()),
            ));
        }
        let household = self
            .household(c.household_id)?
            .ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: c.household_id })?;
        let decided_on = NaiveDate::parse_from_str(c.decided_on.trim(), "%Y-%m-%d").map_err(|_| {
            ValidationError::new("decided_on", Problem::Invalid { detail: "日期格式应为 YYYY-MM-DD".into() })
        })?;
        let (reason, evidence) = (text(&c.reason), text(&c.evidence));
        if let Some(why) =
            check_transition(c.procedure, household.status, c.to_status, reason.as_deref(), evidence.as_deref())
        {
            return Err(StoreError::refused("status_transition", why));
        }
        let change = StatusChange {
            id: Uuid::now_v7(),
            household_id: c.household_id,
            procedure: c.procedure,
            from_status: household.status,
            to_status: c.to_status,
            decided_on,
            actor: c.actor.trim().to_string(),
            reason,
            evidence,
            exit_decision: None,
            recorded_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        };
        self.write_all(&status_ops(&change, Map::new()))?;
        Ok(change.id)
    }

    /// A household's status changes, oldest first. A record the server refused in part (a hand-made
    /// one that did not follow its procedure) arrives incomplete and is not shown.
    pub fn status_changes_of(&self, household: Uuid) -> Result<Vec<StatusChange>> {
        self.list(
            "household_id = ?1 AND procedure IS NOT NULL AND from_status IS NOT NULL AND to_status IS NOT NULL \
             AND decided_on IS NOT NULL AND actor IS NOT NULL AND recorded_at IS NOT NULL",
            "decided_on, recorded_at, id",
            &[&crate::sql::uuid_blob(household)],
        )
    }
}
