//! Moving field values between JSON (the shape of changes and records) and SQLite columns, guided by the
//! schema's storage class for each field.

use crate::error::{Result, StoreError};
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::Deserialize;
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
/// which JSON a field takes, and a value of another type is refused ([`SlotSeed`] holds the rule).
pub fn to_slot(def: &FieldDef, v: &Value, bytes: &mut Vec<u8>) -> Result<Slot> {
    SlotSeed { def, bytes }.deserialize(v).map_err(|_| wrong_type(def))
}

fn wrong_type(def: &FieldDef) -> StoreError {
    StoreError::Corrupt(format!("字段 {} 的值类型不对", def.name))
}

/// One field's JSON read into a [`Slot`], from a parsed `Value` or straight from a pulled page's text
/// (a county's first sync reads 4 M values: none of them is made a `Value` first). The rule, by the
/// schema's storage class: null is null for every field; a text field takes a string, a UUID field a
/// string that parses as one, a yes/no field `true`/`false`, an integer field an integer that fits
/// in 64 bits, a real field any number, a JSON field any JSON (stored as its text). Anything else is
/// refused.
pub struct SlotSeed<'a> {
    pub def: &'a FieldDef,
    pub bytes: &'a mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for SlotSeed<'_> {
    type Value = Slot;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Slot, D::Error> {
        if self.def.kind.storage() != Storage::Json {
            return d.deserialize_any(self);
        }
        Ok(match Value::deserialize(d)? {
            Value::Null => Slot::Null,
            v => Slot::Text(append(self.bytes, |b| serde_json::to_writer(b, &v).expect("JSON to memory"))),
        })
    }
}

impl<'de> Visitor<'de> for SlotSeed<'_> {
    type Value = Slot;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "字段 {} 的值", self.def.name)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Slot, E> {
        Ok(Slot::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Slot, E> {
        Ok(Slot::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Slot, E> {
        match self.def.kind {
            FieldKind::Bool => Ok(Slot::Integer(i64::from(b))),
            _ => Err(self.wrong()),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<Slot, E> {
        match (self.def.kind.storage(), self.def.kind) {
            (_, FieldKind::Bool) => Err(self.wrong()),
            (Storage::Integer, _) => Ok(Slot::Integer(i)),
            (Storage::Real, _) => Ok(Slot::Real(i as f64)),
            _ => Err(self.wrong()),
        }
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<Slot, E> {
        match (self.def.kind.storage(), i64::try_from(u)) {
            (Storage::Real, _) => Ok(Slot::Real(u as f64)),
            (_, Ok(i)) => self.visit_i64(i),
            _ => Err(self.wrong()),
        }
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> std::result::Result<Slot, E> {
        match self.def.kind.storage() {
            Storage::Real => Ok(Slot::Real(f)),
            _ => Err(self.wrong()),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Slot, E> {
        match self.def.kind.storage() {
            Storage::Text => Ok(Slot::Text(append(self.bytes, |b| b.extend_from_slice(s.as_bytes())))),
            Storage::Blob => {
                let id = Uuid::parse_str(s).map_err(|_| self.wrong())?;
                Ok(Slot::Blob(append(self.bytes, |b| b.extend_from_slice(id.as_bytes()))))
            }
            _ => Err(self.wrong()),
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> std::result::Result<Slot, A::Error> {
        Err(self.wrong())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<Slot, A::Error> {
        Err(self.wrong())
    }
}

impl SlotSeed<'_> {
    fn wrong<E: de::Error>(&self) -> E {
        E::custom(format_args!("字段 {} 的值类型不对", self.def.name))
    }
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
