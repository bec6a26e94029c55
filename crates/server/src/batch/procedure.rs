//! 户状态 through procedures only, on the server (`zoufang_model::procedure`). Two checks, both on what
//! the server holds (stored, or taken earlier in the same batch, which is the order a device writes:
//! the record's fields, then the household naming it):
//! - a `StatusChange` record's new status (`to_status`, its last deciding field) is taken only when the
//!   record follows its procedure: a role that records it, the household's current status as its
//!   starting point, the transition and the reason and evidence it needs, and for 脱贫退出 a passed 销号
//!   decision of the same household after every earlier step passed in order;
//! - a household's `status` or `status_change` is taken only when it names such a record of its own,
//!   complete, whose new status is the one pushed. A household's first status (when it is registered)
//!   needs none.
//!
//! The device store holds the same rules; this is what a hand-made push meets.

use super::BatchBackend;
use crate::storage::DeviceAuth;
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::exit_procedure::{current_round, progress, ExitDecision};
use zoufang_model::procedure::{check_transition, may_record};
use zoufang_model::{Entity, ExitOutcome, ExitStep, HouseholdStatus, StatusChange, StatusProcedure};
use zoufang_sync::Change;

/// Records this batch has placed so far (created or looked up): kind and village.
pub(super) type Placed = HashMap<Uuid, (Entity, Uuid)>;

pub(super) fn text<B: BatchBackend>(b: &mut B, row: Uuid, field: &str) -> Result<Option<String>, B::Error> {
    Ok(b.current(row, field)?.and_then(|s| s.value.as_str().map(str::to_string)))
}

pub(super) fn id<B: BatchBackend>(b: &mut B, row: Uuid, field: &str) -> Result<Option<Uuid>, B::Error> {
    Ok(text(b, row, field)?.and_then(|s| Uuid::parse_str(&s).ok()))
}

fn refuse(why: &str) -> Result<(), String> {
    Err(format!("户状态只能通过程序变更（脱贫退出、登记返贫或县级纠错）：{why}"))
}

/// The records of `entity` of `household` the server holds or this batch has placed, whole.
fn records_of<B: BatchBackend, T: serde::de::DeserializeOwned>(
    b: &mut B,
    placed: &Placed,
    entity: Entity,
    household: Uuid,
) -> Result<Vec<T>, B::Error> {
    let village = match placed.get(&household).copied() {
        Some(p) => Some(p),
        None => b.stored_place(household)?,
    };
    let Some((_, village)) = village else { return Ok(Vec::new()) };
    let mut rows = b.stored_rows(entity, village)?;
    rows.extend(placed.iter().filter(|(_, p)| **p == (entity, village)).map(|(r, _)| *r));
    rows.sort();
    rows.dedup();
    let mut out = Vec::new();
    for row in rows {
        if id(b, row, "household_id")? != Some(household) {
            continue;
        }
        let mut fields: serde_json::Map<String, serde_json::Value> =
            b.row_state(row)?.into_iter().map(|(f, s)| (f, s.value)).collect();
        if fields.get(zoufang_model::DELETED).and_then(|d| d.as_bool()) == Some(true) {
            continue;
        }
        fields.insert("id".into(), serde_json::json!(row.to_string()));
        if let Ok(r) = serde_json::from_value::<T>(serde_json::Value::Object(fields)) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Whether every step of the household's current exit procedure has passed, in order (`progress`, the
/// rule the device's store applies), over its decisions stored or made earlier in this batch. A round
/// starts after the household's latest 返贫 or correction (`exit_procedure::current_round`).
fn exit_completed<B: BatchBackend>(b: &mut B, placed: &Placed, household: Uuid) -> Result<bool, B::Error> {
    let decisions: Vec<ExitDecision> = records_of(b, placed, Entity::ExitDecision, household)?;
    let changes: Vec<StatusChange> = records_of(b, placed, Entity::StatusChange, household)?;
    Ok(progress(&current_round(&decisions, &changes)).next.is_none())
}

/// Whether the status change record `sc` of `household`, ending at `to`, follows its procedure.
fn follows<B: BatchBackend>(
    b: &mut B,
    placed: &Placed,
    device: &DeviceAuth,
    sc: Uuid,
    household: Uuid,
    to: HouseholdStatus,
) -> Result<Result<(), String>, B::Error> {
    let procedure = text(b, sc, "procedure")?.as_deref().and_then(StatusProcedure::parse);
    let from = text(b, sc, "from_status")?.as_deref().and_then(HouseholdStatus::parse);
    let (Some(procedure), Some(from)) = (procedure, from) else { return Ok(refuse("状态变更记录不完整")) };
    if !may_record(device.role, procedure) {
        return Ok(refuse(&format!("{}账号不能办理{}", device.role.label(), procedure.label())));
    }
    let held = text(b, household, "status")?.as_deref().and_then(HouseholdStatus::parse);
    if held != Some(from) {
        return Ok(refuse("状态变更记录的原状态与服务器上该户的状态不符"));
    }
    let (reason, evidence) = (text(b, sc, "reason")?, text(b, sc, "evidence")?);
    if let Some(why) = check_transition(procedure, from, to, reason.as_deref(), evidence.as_deref()) {
        return Ok(refuse(&why));
    }
    if procedure == StatusProcedure::Exit {
        let Some(d) = id(b, sc, "exit_decision")? else { return Ok(refuse("脱贫退出须有销号决定")) };
        let of_household = id(b, d, "household_id")? == Some(household);
        let closed = text(b, d, "step")?.as_deref() == Some(ExitStep::Closed.ident())
            && text(b, d, "outcome")?.as_deref() == Some(ExitOutcome::Passed.ident());
        if !(of_household && closed) {
            return Ok(refuse("脱贫退出须有该户通过的销号决定"));
        }
        if !exit_completed(b, placed, household)? {
            let steps: Vec<&str> = ExitStep::ALL.iter().map(|s| s.label()).collect();
            return Ok(refuse(&format!("该户的退出程序尚未依次办完（{}）", steps.join("、"))));
        }
    }
    Ok(Ok(()))
}

/// A `StatusChange` record's new status, pushed by `device`.
pub(super) fn check_record<B: BatchBackend>(
    b: &mut B,
    device: &DeviceAuth,
    c: &Change,
    placed: &Placed,
) -> Result<Result<(), String>, B::Error> {
    let Some(to) = c.value.as_str().and_then(HouseholdStatus::parse) else { return Ok(Ok(())) };
    let Some(household) = id(b, c.row, "household_id")? else { return Ok(refuse("状态变更记录不完整")) };
    follows(b, placed, device, c.row, household, to)
}

/// A change to a household's `status` or `status_change`, pushed by `device`. `new` is true when the
/// household is created by this batch.
pub(super) fn check_household<B: BatchBackend>(
    b: &mut B,
    device: &DeviceAuth,
    c: &Change,
    new: bool,
    placed: &Placed,
) -> Result<Result<(), String>, B::Error> {
    if new {
        // A household is registered with its status; it names no change yet.
        return Ok(if c.field == "status" && device.role.can_write(c.entity) {
            Ok(())
        } else {
            refuse("新登记的户没有状态变更记录")
        });
    }
    let named = match c.field.as_str() {
        "status_change" => c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()),
        _ => id(b, c.row, "status_change")?,
    };
    let Some(sc) = named else { return Ok(refuse("没有对应的状态变更记录")) };
    if id(b, sc, "household_id")? != Some(c.row) {
        return Ok(refuse("状态变更记录不属于该户"));
    }
    let Some(to) = text(b, sc, "to_status")?.as_deref().and_then(HouseholdStatus::parse) else {
        return Ok(refuse("状态变更记录不完整或未被接收"));
    };
    if c.field == "status" && c.value.as_str() != Some(to.ident()) {
        return Ok(refuse("与状态变更记录的新状态不符"));
    }
    follows(b, placed, device, sc, c.row, to)
}
