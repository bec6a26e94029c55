//! Moving field values between JSON (the shape of changes and records) and SQLite columns, guided by the
//! schema's storage class for each field.

use crate::error::{Result, StoreError};
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;
use zoufang_model::{Entity, FieldDef, FieldKind, Storage};
use zoufang_sync::Version;

pub fn uuid_blob(id: Uuid) -> SqlValue {
    SqlValue::Blob(id.as_bytes().to_vec())
}

pub fn blob_uuid(b: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(b).map_err(|e| StoreError::Corrupt(format!("UUID: {e}")))
}

/// JSON → SQLite for one field.
pub fn to_sql(def: &FieldDef, v: &Value) -> Result<SqlValue> {
    if v.is_null() {
        return Ok(SqlValue::Null);
    }
    let bad = || StoreError::Corrupt(format!("字段 {} 的值类型不对", def.name));
    Ok(match def.kind.storage() {
        Storage::Text => SqlValue::Text(v.as_str().ok_or_else(bad)?.to_string()),
        Storage::Integer => match def.kind {
            FieldKind::Bool => SqlValue::Integer(i64::from(v.as_bool().ok_or_else(bad)?)),
            _ => SqlValue::Integer(v.as_i64().ok_or_else(bad)?),
        },
        Storage::Real => SqlValue::Real(v.as_f64().ok_or_else(bad)?),
        Storage::Blob => uuid_blob(Uuid::parse_str(v.as_str().ok_or_else(bad)?).map_err(|_| bad())?),
        Storage::Json => SqlValue::Text(v.to_string()),
    })
}

/// SQLite → JSON for one field.
pub fn from_sql(def: &FieldDef, v: ValueRef<'_>) -> Result<Value> {
    let bad = |what: &str| StoreError::Corrupt(format!("字段 {}：{what}", def.name));
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => match def.kind {
            FieldKind::Bool => Value::Bool(i != 0),
            _ => Value::from(i),
        },
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|_| bad("不是 UTF-8"))?;
            if def.kind.storage() == Storage::Json {
                serde_json::from_str(s).map_err(|_| bad("JSON 无效"))?
            } else {
                Value::String(s.to_string())
            }
        }
        ValueRef::Blob(b) => Value::String(blob_uuid(b)?.to_string()),
    })
}

/// Every column of a record table, in schema order, tombstone last.
pub fn columns(entity: Entity) -> impl Iterator<Item = &'static FieldDef> {
    entity
        .fields()
        .iter()
        .chain(std::iter::once(entity.field(zoufang_model::DELETED).expect("every entity has a tombstone")))
}

/// A field's definition, for a name known to be in the schema.
pub fn def(entity: Entity, field: &str) -> Result<&'static FieldDef> {
    entity.field(field).ok_or_else(|| StoreError::Corrupt(format!("未知字段 {}.{field}", entity.ident())))
}

pub type FieldClock = BTreeMap<String, Version>;

pub fn parse_clock(s: &str) -> Result<FieldClock> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("_clock: {e}")))
}

pub fn clock_json(c: &FieldClock) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".into())
}
