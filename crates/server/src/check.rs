//! Checks on each pushed change before the merge rules see it: the device writes only its own changes,
//! only fields it may write, only valid values. Scope is checked by the storage, which knows the records.

use serde_json::Value;
use uuid::Uuid;
use zoufang_model::schema::validate_field;
use zoufang_model::{ConflictStatus, Entity, Problem, ValidationError};
use zoufang_sync::{Change, Rejection};

/// A refusal with the field and a Chinese reason.
pub fn reject(field: &str, message: impl Into<String>) -> Rejection {
    Rejection { field: field.to_string(), message: message.into() }
}

fn from_validation(entity: Entity, e: ValidationError) -> Rejection {
    let label = entity.field(&e.field).map(|d| d.label).unwrap_or("");
    reject(&e.field, format!("{label}（{}）：{}", e.field, e.problem))
}

/// Validates one change from `device`; returns its value normalised.
pub fn check_change(c: &Change, device: Uuid, today: chrono::NaiveDate) -> Result<Value, Rejection> {
    if c.device != device {
        return Err(reject(&c.field, "修改记录的设备编号与本机不符"));
    }
    let Some(def) = c.entity.field(&c.field) else {
        return Err(from_validation(c.entity, ValidationError::new(c.field.clone(), Problem::UnknownField)));
    };
    if def.server_only {
        return Err(from_validation(c.entity, ValidationError::new(c.field.clone(), Problem::ServerOnly)));
    }
    if c.entity == Entity::Conflict && c.field == "status" && c.value != ConflictStatus::Resolved.ident() {
        return Err(reject(&c.field, "冲突只能标记为已处理"));
    }
    if c.seen.is_some() && c.field != zoufang_model::DELETED {
        return Err(reject(&c.field, "只有删除操作可以附带已见版本"));
    }
    validate_field(c.entity, &c.field, &c.value, today).map_err(|e| from_validation(c.entity, e))
}
