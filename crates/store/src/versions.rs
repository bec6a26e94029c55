//! A record's versions, kept in its `_clock` column: for each field, the log position of the value the
//! device holds (`Version::Seq`) or the id of this device's change not yet acknowledged
//! (`Version::Local`). Sync reads them for an edit's base and to keep unsent edits over pulled values.
//!
//! Stored compactly, because a county office's device holds 3.75 M of them: as JSON by field name they
//! took 78 MB of the 189 MB of its four big tables, and writing them was a third of an initial sync.
//! The blob is a format byte ([`FORMAT`]), then one entry per field, in column order:
//! - a byte: the field's column, its position in the schema's list (`Entity::fields`; the tombstone
//!   is 63), with the top bit set for a change id;
//! - for a log position: a varint of its difference from the entry's previous log position (zigzag, so
//!   a record whose fields were logged one after another takes a byte a field); for a change id: its
//!   16 bytes.
//!
//! Columns make a stored blob depend on the schema's field order, so fields are only ever added at the
//! end of an entity's list: `tests::field_positions_only_grow` pins the order.
//! Clocks written before this form are JSON objects by field name. They are read as they are and
//! written in this form when their record is next written or pulled.
//!
//! Pulls merge versions inside SQLite (`clock_merge`, registered on every connection), so an upsert of
//! many records needs no read first.

use crate::error::{Result, StoreError};
use crate::sql::FieldClock;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use uuid::Uuid;
use zoufang_model::{Entity, FieldDef, DELETED};
use zoufang_sync::{Seq, Version};

/// The first byte of a stored blob: this form.
pub const FORMAT: u8 = 1;
/// The tombstone's column.
pub const TOMBSTONE: u8 = 63;
const LOCAL: u8 = 0x80;

/// A field's column: its position in the schema's list, the tombstone 63.
pub fn column(entity: Entity, field: &str) -> Option<(u8, &'static FieldDef)> {
    if field == DELETED {
        return Some((TOMBSTONE, entity.field(DELETED)?));
    }
    entity.fields().iter().position(|d| d.name == field).map(|i| (i as u8, &entity.fields()[i]))
}

/// The field at a column, if the entity has one there.
pub fn column_name(entity: Entity, column: u8) -> Option<&'static str> {
    if column == TOMBSTONE {
        Some(DELETED)
    } else {
        entity.fields().get(usize::from(column)).map(|d| d.name)
    }
}

/// Writes a clock in the stored form. `entries` must come in column order.
pub fn write(out: &mut Vec<u8>, entries: impl IntoIterator<Item = (u8, Version)>) {
    out.push(FORMAT);
    let mut prev: Seq = 0;
    for (column, version) in entries {
        match version {
            Version::Seq(seq) => {
                out.push(column);
                let d = seq.wrapping_sub(prev) as i64;
                varint(out, ((d << 1) ^ (d >> 63)) as u64);
                prev = seq;
            }
            Version::Local(id) => {
                out.push(column | LOCAL);
                out.extend_from_slice(id.as_bytes());
            }
        }
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("_clock: {what}"))
}

/// The entries of a stored clock, in the order stored (column order for this form).
fn entries(entity: Entity, stored: ValueRef<'_>) -> Result<Vec<(u8, Version)>> {
    match stored {
        ValueRef::Blob(b) => read(b),
        // The JSON form of earlier versions.
        ValueRef::Text(t) => {
            let by_name: FieldClock = serde_json::from_slice(t).map_err(|e| corrupt(&e.to_string()))?;
            let mut out = by_name
                .into_iter()
                .map(|(name, v)| column(entity, &name).map(|(c, _)| (c, v)).ok_or_else(|| corrupt(&name)))
                .collect::<Result<Vec<_>>>()?;
            out.sort_unstable_by_key(|e| e.0);
            Ok(out)
        }
        _ => Err(corrupt("neither a blob nor text")),
    }
}

fn read(b: &[u8]) -> Result<Vec<(u8, Version)>> {
    let Some((&FORMAT, mut rest)) = b.split_first() else { return Err(corrupt("unknown form")) };
    let mut out = Vec::new();
    let mut prev: Seq = 0;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        let column = byte & !LOCAL;
        if byte & LOCAL != 0 {
            let id = rest.get(..16).ok_or_else(|| corrupt("cut short"))?;
            out.push((column, Version::Local(Uuid::from_slice(id).expect("16 bytes"))));
            rest = &rest[16..];
        } else {
            let mut z: u64 = 0;
            let mut shift = 0;
            loop {
                let (&b, tail) = rest.split_first().ok_or_else(|| corrupt("cut short"))?;
                rest = tail;
                if shift > 63 {
                    return Err(corrupt("varint too long"));
                }
                z |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            let d = (z >> 1) as i64 ^ -((z & 1) as i64);
            prev = prev.wrapping_add(d as u64);
            out.push((column, Version::Seq(prev)));
        }
    }
    Ok(out)
}

/// A stored clock by field name.
pub fn decode(entity: Entity, stored: ValueRef<'_>) -> Result<FieldClock> {
    entries(entity, stored)?
        .into_iter()
        .map(|(c, v)| Ok((column_name(entity, c).ok_or_else(|| corrupt("unknown column"))?.to_string(), v)))
        .collect()
}

/// A clock by field name in the stored form.
pub fn encode(entity: Entity, clock: &FieldClock) -> Result<Vec<u8>> {
    let mut entries = clock
        .iter()
        .map(|(name, v)| column(entity, name).map(|(c, _)| (c, *v)).ok_or_else(|| corrupt(name)))
        .collect::<Result<Vec<_>>>()?;
    entries.sort_unstable_by_key(|e| e.0);
    let mut out = Vec::with_capacity(1 + 3 * entries.len());
    write(&mut out, entries);
    Ok(out)
}

/// `old`'s versions with `new`'s over them: what a record's clock becomes when pulled fields are taken.
pub fn merge(entity: Entity, old: ValueRef<'_>, new: ValueRef<'_>) -> Result<Vec<u8>> {
    let (old, new) = (entries(entity, old)?, entries(entity, new)?);
    let mut merged = Vec::with_capacity(old.len().max(new.len()));
    let (mut a, mut b) = (old.into_iter().peekable(), new.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.0 < y.0 => a.next(),
            (Some(x), Some(y)) if x.0 == y.0 => {
                a.next();
                b.next()
            }
            (_, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => break,
        };
        merged.extend(next);
    }
    let mut out = Vec::with_capacity(1 + 3 * merged.len());
    write(&mut out, merged);
    Ok(out)
}

/// Registers `clock_merge(entity, old, new)`, [`merge`] for SQL, on a connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "clock_merge",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let entity = Entity::parse(ctx.get_raw(0).as_str()?)
                .ok_or_else(|| rusqlite::Error::UserFunctionError("clock_merge: unknown entity".into()))?;
            merge(entity, ctx.get_raw(1), ctx.get_raw(2)).map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn version() -> impl Strategy<Value = Version> {
        prop_oneof![
            4 => any::<u64>().prop_map(Version::Seq),
            1 => any::<u128>().prop_map(|n| Version::Local(Uuid::from_u128(n))),
        ]
    }

    /// Any clock of an entity: any of its fields, the tombstone included, each with any version.
    fn clock() -> impl Strategy<Value = (Entity, FieldClock)> {
        (0..Entity::ALL.len()).prop_flat_map(|i| {
            let entity = Entity::ALL[i];
            let names: Vec<&str> = crate::sql::columns(entity).map(|d| d.name).collect();
            proptest::collection::btree_map(proptest::sample::select(names), version(), 0..12)
                .prop_map(move |m| (entity, m.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<FieldClock>()))
        })
    }

    proptest! {
        #[test]
        fn a_clock_reads_back_as_written((entity, c) in clock()) {
            let stored = encode(entity, &c).unwrap();
            prop_assert_eq!(decode(entity, ValueRef::Blob(&stored)).unwrap(), c.clone());
            // The JSON form of earlier versions reads the same.
            let json = crate::sql::clock_json(&c);
            prop_assert_eq!(decode(entity, ValueRef::Text(json.as_bytes())).unwrap(), c);
        }

        #[test]
        fn merging_takes_the_new_versions_over_the_old((entity, old) in clock(), new in proptest::collection::vec(any::<proptest::sample::Index>(), 0..6), vs in proptest::collection::vec(version(), 6)) {
            let names: Vec<&str> = crate::sql::columns(entity).map(|d| d.name).collect();
            let new: FieldClock = new.iter().zip(vs).map(|(i, v)| (i.get(&names).to_string(), v)).collect();
            let mut want = old.clone();
            want.extend(new.clone());
            let old_json = crate::sql::clock_json(&old);
            for stored_old in [encode(entity, &old).unwrap(), old_json.into_bytes()] {
                let old_ref = if stored_old.first() == Some(&FORMAT) { ValueRef::Blob(&stored_old) } else { ValueRef::Text(&stored_old) };
                let merged = merge(entity, old_ref, ValueRef::Blob(&encode(entity, &new).unwrap())).unwrap();
                prop_assert_eq!(decode(entity, ValueRef::Blob(&merged)).unwrap(), want.clone());
            }
        }

        #[test]
        fn any_bytes_are_read_or_refused_without_a_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(Entity::Household, ValueRef::Blob(&b));
        }
    }

    #[test]
    fn a_record_logged_field_after_field_takes_two_bytes_a_field() {
        let c: FieldClock = crate::sql::columns(Entity::Household)
            .enumerate()
            .map(|(i, d)| (d.name.to_string(), Version::Seq(3_000_000 + i as u64)))
            .collect();
        let n = c.len();
        assert_eq!(encode(Entity::Household, &c).unwrap().len(), 1 + 2 * n + 3);
        assert!(crate::sql::clock_json(&c).len() > 8 * n);
    }

    #[test]
    fn clock_merge_works_in_sql() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let old: FieldClock = BTreeMap::from([("name".into(), Version::Seq(5)), ("code".into(), Version::Seq(6))]);
        let new: FieldClock = BTreeMap::from([("code".into(), Version::Seq(9))]);
        let merged: Vec<u8> = conn
            .query_row(
                "SELECT clock_merge('village', ?1, ?2)",
                [encode(Entity::Village, &old).unwrap(), encode(Entity::Village, &new).unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        let want: FieldClock = BTreeMap::from([("name".into(), Version::Seq(5)), ("code".into(), Version::Seq(9))]);
        assert_eq!(decode(Entity::Village, ValueRef::Blob(&merged)).unwrap(), want);
        let bad = conn.query_row("SELECT clock_merge('village', x'02', x'01')", [], |r| r.get::<_, Vec<u8>>(0));
        assert!(bad.is_err(), "a blob of an unknown form is refused");
    }

    /// Stored blobs name fields by position: a field moved, renamed or removed would make every stored
    /// clock point at the wrong field. New fields go at the end of their entity's list, and at the end
    /// of its line here.
    #[test]
    fn field_positions_only_grow() {
        let pinned = include_str!("versions_fields.txt");
        let mut seen = 0;
        for line in pinned.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (ident, names) = line.split_once(':').expect("entity: fields");
            let entity = Entity::parse(ident.trim()).unwrap_or_else(|| panic!("{ident} is no longer an entity"));
            let now: Vec<&str> = entity.fields().iter().map(|d| d.name).collect();
            let then: Vec<&str> = names.split_whitespace().collect();
            assert_eq!(now, then, "{ident}: fields may only be added at the end (and to the end of its line here)");
            assert!(now.len() < usize::from(TOMBSTONE), "{ident}: at most 63 fields");
            seen += 1;
        }
        assert_eq!(seen, Entity::ALL.len(), "every entity is pinned in versions_fields.txt");
    }
}
