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
    let mut bytes = Vec::new();
    let slot = to_slot(def, v, &mut bytes)?;
    let at = |(from, to): Span| bytes[from as usize..to as usize].to_vec();
    Ok(match slot {
        Slot::Null => SqlValue::Null,
        Slot::Integer(i) => SqlValue::Integer(i),
        Slot::Real(f) => SqlValue::Real(f),
        Slot::Text(s) => SqlValue::Text(String::from_utf8(at(s)).expect("a JSON string is UTF-8")),
        Slot::Blob(s) => SqlValue::Blob(at(s)),
    })
}

/// Where a value's bytes lie in a buffer of texts and blobs.
pub type Span = (u32, u32);

/// An SQL value whose text or blob lies in a buffer beside it: many values converted without one
/// allocation each (a pulled page holds hundreds of thousands).
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    Null,
    Integer(i64),
    Real(f64),
    Text(Span),
    Blob(Span),
}

impl Slot {
    pub fn value(self, bytes: &[u8]) -> ValueRef<'_> {
        let at = |(from, to): Span| &bytes[from as usize..to as usize];
        match self {
            Slot::Null => ValueRef::Null,
            Slot::Integer(i) => ValueRef::Integer(i),
            Slot::Real(f) => ValueRef::Real(f),
            Slot::Text(s) => ValueRef::Text(at(s)),
            Slot::Blob(s) => ValueRef::Blob(at(s)),
        }
    }
}

/// Appends `f`'s output to `bytes`; where it lies.
pub fn append(bytes: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) -> Span {
    let from = bytes.len() as u32;
    f(bytes);
    (from, bytes.len() as u32)
}

/// JSON → SQLite for one field, its text or blob appended to `bytes`: the schema's storage class says
/// which JSON a field takes, and a value of another type is refused.
pub fn to_slot(def: &FieldDef, v: &Value, bytes: &mut Vec<u8>) -> Result<Slot> {
    if v.is_null() {
        return Ok(Slot::Null);
    }
    let bad = || StoreError::Corrupt(format!("字段 {} 的值类型不对", def.name));
    Ok(match def.kind.storage() {
        Storage::Text => {
            let s = v.as_str().ok_or_else(bad)?;
            Slot::Text(append(bytes, |b| b.extend_from_slice(s.as_bytes())))
        }
        Storage::Integer => match def.kind {
            FieldKind::Bool => Slot::Integer(i64::from(v.as_bool().ok_or_else(bad)?)),
            _ => Slot::Integer(v.as_i64().ok_or_else(bad)?),
        },
        Storage::Real => Slot::Real(v.as_f64().ok_or_else(bad)?),
        Storage::Blob => {
            let id = Uuid::parse_str(v.as_str().ok_or_else(bad)?).map_err(|_| bad())?;
            Slot::Blob(append(bytes, |b| b.extend_from_slice(id.as_bytes())))
        }
        Storage::Json => Slot::Text(append(bytes, |b| serde_json::to_writer(b, v).expect("JSON to memory"))),
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

/// A record's versions by field name (stored compactly: `crate::versions`).
pub type FieldClock = BTreeMap<String, Version>;

/// Versions as JSON by field name: what a delete sends as the versions it had seen.
pub fn clock_json(c: &FieldClock) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".into())
}
