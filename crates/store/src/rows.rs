//! Reading records generically (as JSON field maps) and typed.

use crate::error::{Result, StoreError};
use crate::sql::{self, FieldClock};
use crate::Store;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use uuid::Uuid;
use zoufang_model::{Entity, FieldDef, Record};

/// A record as stored: its fields, tombstone and per-field versions.
#[derive(Debug, Clone, PartialEq)]
pub struct RowState {
    pub fields: Map<String, Value>,
    pub deleted: bool,
    pub clock: FieldClock,
}

/// Reads a record: all its fields, or only `only` (plus tombstone and versions) when given.
pub(crate) fn read_row(conn: &Connection, entity: Entity, id: Uuid) -> Result<Option<RowState>> {
    read_some(conn, entity, id, None)
}

pub(crate) fn read_some(
    conn: &Connection,
    entity: Entity,
    id: Uuid,
    only: Option<&[&'static FieldDef]>,
) -> Result<Option<RowState>> {
    let deleted = entity.field(zoufang_model::DELETED).expect("every entity has a tombstone");
    let defs: Vec<&FieldDef> = match only {
        Some(o) => {
            o.iter().copied().filter(|d| d.name != zoufang_model::DELETED).chain(std::iter::once(deleted)).collect()
        }
        None => sql::columns(entity).collect(),
    };
    let cols: Vec<&str> = defs.iter().map(|d| d.name).collect();
    let q = format!("SELECT {}, _clock FROM {} WHERE id = ?1", cols.join(", "), entity.ident());
    let mut stmt = conn.prepare_cached(&q)?;
    let row = stmt
        .query_row([sql::uuid_blob(id)], |r| {
            let mut fields = Map::new();
            let mut is_deleted = false;
            let mut err = None;
            for (i, def) in defs.iter().enumerate() {
                match sql::from_sql(def, r.get_ref(i)?) {
                    Ok(v) if def.name == zoufang_model::DELETED => is_deleted = v == Value::Bool(true),
                    Ok(Value::Null) => {}
                    Ok(v) => {
                        fields.insert(def.name.to_string(), v);
                    }
                    Err(e) => err = Some(e),
                }
            }
            let clock = crate::versions::decode(entity, r.get_ref(defs.len())?);
            Ok((fields, is_deleted, clock, err))
        })
        .optional()?;
    match row {
        None => Ok(None),
        Some((_, _, _, Some(e))) => Err(e),
        Some((fields, deleted, clock, None)) => Ok(Some(RowState { fields, deleted, clock: clock? })),
    }
}

/// Turns a field map into a typed record.
pub(crate) fn typed<R: Record>(id: Uuid, mut fields: Map<String, Value>) -> Result<R> {
    fields.insert("id".into(), Value::String(id.to_string()));
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| StoreError::Corrupt(format!("{}记录 {id}：{e}", R::ENTITY.label())))
}

impl Store {
    /// A record's stored state, deleted or not.
    pub fn row(&self, entity: Entity, id: Uuid) -> Result<Option<RowState>> {
        read_row(&self.conn, entity, id)
    }

    /// A live (not deleted) typed record.
    pub fn get<R: Record>(&self, id: Uuid) -> Result<Option<R>> {
        match read_row(&self.conn, R::ENTITY, id)? {
            Some(r) if !r.deleted => typed(id, r.fields).map(Some),
            _ => Ok(None),
        }
    }

    /// Live typed records matching a SQL condition on the record's own table (`sql` comes from this
    /// crate, never from input). Records still incomplete mid-sync are left out until they are whole.
    pub(crate) fn list<R: Record>(&self, cond: &str, order: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<R>> {
        let entity = R::ENTITY;
        let cols: Vec<&str> = sql::columns(entity).map(|d| d.name).collect();
        let q = format!(
            "SELECT id, {} FROM {} WHERE deleted = 0 AND ({cond}) ORDER BY {order}",
            cols.join(", "),
            entity.ident()
        );
        let mut stmt = self.conn.prepare_cached(&q)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id = sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?;
            let mut fields = Map::new();
            for (i, def) in sql::columns(entity).enumerate() {
                let v = sql::from_sql(def, r.get_ref(i + 1)?)?;
                if !v.is_null() && def.name != zoufang_model::DELETED {
                    fields.insert(def.name.to_string(), v);
                }
            }
            if let Ok(rec) = typed::<R>(id, fields) {
                out.push(rec);
            }
        }
        Ok(out)
    }
}
