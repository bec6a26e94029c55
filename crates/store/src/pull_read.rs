//! Reading a pulled page's JSON straight into a [`PreparedPage`], without building the page's
//! `PullResponse` first.
//!
//! A county's first sync reads 4 M field values. Parsed the ordinary way, each becomes a
//! `FieldValue` (its name a `String`, its value a `serde_json::Value`), only to be copied into the
//! page's buffer and freed again: about a third of the reading thread went to allocating and freeing.
//! Here the parser hands each field's name to the schema (a lookup, no copy) and its value to
//! [`SlotSeed`], which appends it to the page's buffer. The rules are the ones of
//! [`Store::prepare_pull`], by the same code: a field this build does not know is skipped, a value of
//! the wrong type refuses the whole page, the same field twice in a record keeps the later value.
//!
//! The page's keys may come in any order. A record whose fields come before its kind (`"f"` before
//! `"e"`, which our server never writes) is read the ordinary way and converted after.

use crate::error::{Result, StoreError};
use crate::pull::{PreparedField, PreparedPage};
use crate::sql::SlotSeed;
use crate::versions;
use crate::Store;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use uuid::Uuid;
use zoufang_model::{Entity, FieldDef};
use zoufang_sync::{FieldValue, Hlc, Seq};

impl Store {
    /// Reads a pull page's JSON (the body of `GET /v1/pull`) into a page ready to write. Pure: the
    /// sync runs it on its reading thread. A page that is not a pull response, or holds a value of
    /// the wrong type, is refused (`protocol`), and nothing of it is written.
    pub fn read_pull(json: &[u8]) -> Result<PreparedPage> {
        // About 54 bytes of JSON a field value, 8 fields a record, half the text kept.
        let mut page = PreparedPage::new(json.len() / 400, json.len() / 48, json.len() / 2);
        let mut de = serde_json::Deserializer::from_slice(json);
        PageSeed(&mut page)
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| StoreError::Protocol(e.to_string()))?;
        Ok(page)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PageKey {
    Rows,
    Cursor,
    More,
    Head,
    MaxHlc,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum RowKey {
    #[serde(rename = "e")]
    Entity,
    #[serde(rename = "r")]
    Row,
    #[serde(rename = "f")]
    Fields,
    #[serde(other)]
    Other,
}

/// The whole page: `{"rows": [...], "cursor": …, "more": …, "head": …, "max_hlc": …}`.
struct PageSeed<'p>(&'p mut PreparedPage);

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// Sets `slot` from the map's next value, refusing a key given twice.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> std::result::Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for PageSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pull page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let page = self.0;
        let (mut rows, mut cursor, mut more, mut head, mut max_hlc) = (false, None::<Seq>, None, None, None::<Hlc>);
        while let Some(key) = map.next_key()? {
            match key {
                PageKey::Rows if rows => return Err(de::Error::duplicate_field("rows")),
                PageKey::Rows => {
                    map.next_value_seed(RowsSeed(page))?;
                    rows = true;
                }
                PageKey::Cursor => once(&mut map, &mut cursor, "cursor")?,
                PageKey::More => once(&mut map, &mut more, "more")?,
                PageKey::Head => once(&mut map, &mut head, "head")?,
                PageKey::MaxHlc => once(&mut map, &mut max_hlc, "max_hlc")?,
                PageKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !rows {
            return Err(de::Error::missing_field("rows"));
        }
        page.cursor = cursor.ok_or_else(|| de::Error::missing_field("cursor"))?;
        page.more = more.ok_or_else(|| de::Error::missing_field("more"))?;
        page.max_hlc = max_hlc.ok_or_else(|| de::Error::missing_field("max_hlc"))?;
        page.head = head.unwrap_or_default();
        Ok(())
    }
}

/// The page's records, each read into the page as it comes.
struct RowsSeed<'p>(&'p mut PreparedPage);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One record: `{"e": kind, "r": id, "f": [[field, value, seq], …]}`.
struct RowSeed<'p>(&'p mut PreparedPage);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record's changes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let page = self.0;
        let first = page.fields.len();
        let (mut entity, mut row, mut fields) = (None::<Entity>, None::<Uuid>, false);
        // Fields read before the record's kind was known, converted at the end.
        let mut early: Option<Vec<FieldValue>> = None;
        while let Some(key) = map.next_key()? {
            match key {
                RowKey::Entity => once(&mut map, &mut entity, "e")?,
                RowKey::Row => once(&mut map, &mut row, "r")?,
                RowKey::Fields if fields => return Err(de::Error::duplicate_field("f")),
                RowKey::Fields => {
                    match entity {
                        Some(entity) => map.next_value_seed(FieldsSeed { page: &mut *page, entity, first })?,
                        None => early = Some(map.next_value()?),
                    }
                    fields = true;
                }
                RowKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let entity = entity.ok_or_else(|| de::Error::missing_field("e"))?;
        let row = row.ok_or_else(|| de::Error::missing_field("r"))?;
        if !fields {
            return Err(de::Error::missing_field("f"));
        }
        if let Some(values) = early {
            page.push_values(entity, first, &values).map_err(de::Error::custom)?;
        }
        page.end_row(entity, row, first);
        Ok(())
    }
}

/// A record's fields, each added to the record being read.
struct FieldsSeed<'p> {
    page: &'p mut PreparedPage,
    entity: Entity,
    first: usize,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of [field, value, seq]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let FieldsSeed { page, entity, first } = self;
        while seq.next_element_seed(FieldSeed { page: &mut *page, entity, first })?.is_some() {}
        Ok(())
    }
}

/// One `[field, value, seq]`.
struct FieldSeed<'p> {
    page: &'p mut PreparedPage,
    entity: Entity,
    first: usize,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[field, value, seq]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let length = |n| de::Error::invalid_length(n, &"[field, value, seq]");
        let column = seq.next_element_seed(ColumnSeed(self.entity))?.ok_or_else(|| length(0))?;
        let value = match column {
            Some((_, def)) => {
                Some(seq.next_element_seed(SlotSeed { def, bytes: &mut self.page.bytes })?.ok_or_else(|| length(1))?)
            }
            None => {
                seq.next_element::<IgnoredAny>()?.ok_or_else(|| length(1))?;
                None
            }
        };
        let at: Seq = seq.next_element()?.ok_or_else(|| length(2))?;
        if let (Some((column, _)), Some(value)) = (column, value) {
            self.page.push_field(self.first, PreparedField { column, seq: at, value });
        }
        Ok(())
    }
}

/// A field's name, looked up in the record kind's schema: its column, or none for a field this build
/// does not know.
struct ColumnSeed(Entity);

impl<'de> DeserializeSeed<'de> for ColumnSeed {
    type Value = Option<(u8, &'static FieldDef)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ColumnSeed {
    type Value = Option<(u8, &'static FieldDef)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> std::result::Result<Self::Value, E> {
        Ok(versions::column(self.0, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rusqlite::types::Value as SqlValue;
    use serde_json::json;
    use zoufang_sync::{PullResponse, RowDelta};

    /// A prepared page as plain values: each record's kind, id, fields (column, log position, value),
    /// versions and id bytes, then the page's cursor, `more`, head and clock.
    type View = (Vec<(Entity, Uuid, Vec<(u8, Seq, SqlValue)>, SqlValue)>, Seq, bool, Seq, Hlc);

    fn owned(v: rusqlite::types::ValueRef<'_>) -> SqlValue {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => SqlValue::Null,
            ValueRef::Integer(i) => SqlValue::Integer(i),
            ValueRef::Real(f) => SqlValue::Real(f),
            ValueRef::Text(t) => SqlValue::Text(String::from_utf8(t.to_vec()).unwrap()),
            ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
        }
    }

    fn view(p: &PreparedPage) -> View {
        let rows = p
            .rows()
            .map(|(entity, row, fields, clock)| {
                let fields = fields.iter().map(|f| (f.column, f.seq, owned(f.value.value(&p.bytes)))).collect();
                (entity, row, fields, owned(clock))
            })
            .collect();
        (rows, p.cursor, p.more, p.head, p.max_hlc)
    }

    /// A record of a generated page: its kind and number, then its fields (which, which value, log
    /// position).
    type Record = (u8, u8, Vec<(u8, u8, u64)>);

    const KINDS: [Entity; 4] = [Entity::Household, Entity::Member, Entity::Visit, Entity::HandbookEntry];

    /// Values of every JSON type, a few of which fit any given field.
    fn sample(i: u8) -> serde_json::Value {
        match i % 12 {
            0 => json!(null),
            1 => json!(true),
            2 => json!(7),
            3 => json!(-3),
            4 => json!(2.5),
            5 => json!(u64::MAX),
            6 => json!("王秀英"),
            7 => json!("引号\"、反斜杠\\、换行\n"),
            8 => json!("0190a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"),
            9 => json!("2026-11-30"),
            10 => json!({"year": 2026, "net": 12000.5, "items": [1, 2]}),
            _ => json!(["a"]),
        }
    }

    /// A value of the field's type.
    fn fitting(def: &FieldDef, i: u8) -> serde_json::Value {
        use zoufang_model::{FieldKind, Storage};
        let pick = |of: &[u8]| sample(of[usize::from(i) % of.len()]);
        match (def.kind.storage(), def.kind) {
            (_, FieldKind::Bool) => [json!(true), json!(false), json!(null)][usize::from(i) % 3].clone(),
            (Storage::Text, _) => pick(&[6, 7, 9, 0]),
            (Storage::Integer, _) => pick(&[2, 3, 0]),
            (Storage::Real, _) => pick(&[4, 2, 5, 3]),
            (Storage::Blob, _) => pick(&[8, 0]),
            (Storage::Json, _) => pick(&[10, 11, 2, 6, 0]),
        }
    }

    /// A page of these records, each field's value one it takes, except the `spoil`th value of the
    /// page, which is any value.
    fn page(records: &[Record], more: bool, spoil: Option<usize>) -> PullResponse {
        let mut n = 0;
        let rows = records
            .iter()
            .map(|(kind, row, fields)| {
                let entity = KINDS[usize::from(*kind) % KINDS.len()];
                let names = entity.fields();
                let fields = fields
                    .iter()
                    .map(|&(f, v, seq)| {
                        let def = match usize::from(f) {
                            f if f < names.len() => Some(&names[f]),
                            f if f % 2 == 0 => entity.field(zoufang_model::DELETED),
                            _ => None,
                        };
                        let name = def.map_or("a_field_of_a_newer_server", |d| d.name);
                        n += 1;
                        let value = match def {
                            Some(d) if spoil != Some(n - 1) => fitting(d, v),
                            _ => sample(v),
                        };
                        FieldValue(name.into(), value, seq)
                    })
                    .collect();
                RowDelta { entity, row: Uuid::from_u128(u128::from(*row) + 1), fields }
            })
            .collect();
        PullResponse { rows, cursor: 99, more, head: 120, max_hlc: Hlc(1 << 20) }
    }

    fn records() -> impl Strategy<Value = Vec<Record>> {
        let field = (0u8..48, 0u8..12, 1u64..1_000_000);
        proptest::collection::vec((0u8..4, 0u8..6, proptest::collection::vec(field, 0..12)), 0..20)
    }

    proptest! {
        /// Read from its JSON, a page is prepared exactly as from its parsed form, or refused when the
        /// parsed form is refused (a value of the wrong type).
        #[test]
        fn reading_the_json_prepares_what_the_parsed_page_prepares(
            recs in records(),
            more: bool,
            spoil in proptest::option::of(0usize..40),
        ) {
            let parsed = page(&recs, more, spoil);
            let json = serde_json::to_vec(&parsed).unwrap();
            match (Store::prepare_pull(&parsed), Store::read_pull(&json)) {
                (Ok(want), Ok(got)) => prop_assert_eq!(view(&want), view(&got)),
                (Err(_), Err(StoreError::Protocol(msg))) => prop_assert!(msg.contains("值类型不对"), "{}", msg),
                (want, got) => prop_assert!(false, "parsed: {:?}, read: {:?}", want.map(|p| view(&p)), got.map(|p| view(&p))),
            }
        }

        /// Any bytes are read or refused, never a panic.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Store::read_pull(&bytes);
        }
    }

    /// Keys in another order than our server writes them: a record's fields before its kind, the
    /// page's records after its cursor, keys this build does not know.
    #[test]
    fn keys_in_any_order_are_read_the_same() {
        let id = "0190a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b";
        let ours = format!(
            r#"{{"rows":[{{"e":"village","r":"{id}","f":[["name","甲村",3],["code","001",4]]}}],"cursor":4,"more":false,"head":4,"max_hlc":7}}"#
        );
        let theirs = format!(
            r#"{{"later":{{"x":[1]}},"max_hlc":7,"cursor":4,"rows":[{{"f":[["name","甲村",3],["code","001",4]],"note":null,"r":"{id}","e":"village"}}],"more":false,"head":4}}"#
        );
        let (a, b) = (Store::read_pull(ours.as_bytes()).unwrap(), Store::read_pull(theirs.as_bytes()).unwrap());
        assert_eq!(view(&a), view(&b));
        assert_eq!(view(&a).0.len(), 1);
        assert_eq!(view(&a).0[0].2.len(), 2);
    }

    /// What is not a pull page is refused with the reason: a missing key, a key twice, a field's
    /// `[field, value, seq]` cut short, text after the page.
    #[test]
    fn a_malformed_page_is_refused() {
        let id = "0190a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b";
        let row = format!(r#"{{"e":"village","r":"{id}","f":[["name","甲村",3]]}}"#);
        for (bad, why) in [
            (format!(r#"{{"rows":[{row}],"more":false,"max_hlc":7}}"#), "cursor"),
            (format!(r#"{{"rows":[{row}],"cursor":1,"cursor":2,"more":false,"max_hlc":7}}"#), "duplicate"),
            (r#"{"rows":[{"e":"village","f":[]}],"cursor":1,"more":false,"max_hlc":7}"#.to_string(), "`r`"),
            (
                format!(
                    r#"{{"rows":[{{"e":"village","r":"{id}","f":[["name","甲村"]]}}],"cursor":1,"more":false,"max_hlc":7}}"#
                ),
                "length",
            ),
            (
                format!(
                    r#"{{"rows":[{{"e":"village","r":"{id}","f":[["name",5,3]]}}],"cursor":1,"more":false,"max_hlc":7}}"#
                ),
                "值类型不对",
            ),
            (r#"{"rows":[],"cursor":1,"more":false,"max_hlc":7} x"#.to_string(), "trailing"),
        ] {
            match Store::read_pull(bad.as_bytes()) {
                Err(StoreError::Protocol(msg)) => assert!(msg.contains(why), "{bad}: {msg}"),
                other => panic!("{bad}: {:?}", other.map(|p| view(&p))),
            }
        }
    }
}
