//! Conflicts as a person reads them: which record, which field (in Chinese), each side's value with who
//! wrote it and when.

use crate::error::Result;
use crate::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zoufang_model::{Conflict, ConflictStatus, Entity};

/// One conflict with the labels the conflicts screen needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictView {
    pub conflict: Conflict,
    /// 贫困户, 家庭成员…
    pub entity_label: String,
    /// The field's Chinese label, e.g. 联系电话.
    pub field_label: String,
    /// A title for the record: the household's 户主 and 户编号, or the member's name.
    pub record_title: String,
    /// Whether the value is text a person can merge by typing (otherwise one side must be picked).
    pub typable: bool,
    /// The value the record holds now.
    pub current: Option<Value>,
}

impl Store {
    /// Conflicts to show: open ones, or every one (resolved ones keep their trace).
    pub fn conflict_views(&self, open_only: bool) -> Result<Vec<ConflictView>> {
        let list = self.conflicts(open_only.then_some(ConflictStatus::Open))?;
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            let entity = Entity::parse(&c.entity);
            let def = entity.and_then(|e| e.field(&c.field));
            let row = match entity {
                Some(e) => self.row(e, c.row_id)?,
                None => None,
            };
            let get = |f: &str| row.as_ref().and_then(|r| r.fields.get(f)).and_then(Value::as_str).map(str::to_string);
            let record_title = match entity {
                Some(Entity::Household) => {
                    format!("{}户（{}）", get("head_name").unwrap_or_default(), get("household_no").unwrap_or_default())
                }
                Some(Entity::Member) => get("name").unwrap_or_default(),
                Some(Entity::Visit) => format!("{} 的走访", get("visited_on").unwrap_or_default()),
                Some(Entity::HandbookEntry) => get("title").unwrap_or_default(),
                Some(Entity::Rectification) => get("problem").unwrap_or_default(),
                _ => String::new(),
            };
            let current = row.as_ref().and_then(|r| {
                if c.field == zoufang_model::DELETED {
                    Some(Value::Bool(r.deleted))
                } else {
                    r.fields.get(&c.field).cloned()
                }
            });
            out.push(ConflictView {
                entity_label: entity.map(|e| e.label()).unwrap_or("记录").to_string(),
                field_label: def.map(|d| d.label).unwrap_or(c.field.as_str()).to_string(),
                typable: def.is_some_and(|d| {
                    matches!(
                        d.kind,
                        zoufang_model::FieldKind::Text(_)
                            | zoufang_model::FieldKind::PersonName
                            | zoufang_model::FieldKind::Phone
                            | zoufang_model::FieldKind::IdNumber
                    )
                }),
                record_title,
                current,
                conflict: c,
            });
        }
        Ok(out)
    }
}
