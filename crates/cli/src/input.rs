//! What the words typed after a command mean, for the commands of several groups: the household a
//! command names, the village, the `item:情况` of an unmet need, a field's value.
//!
//! Rules, and why:
//! - A household is named by its id or its 户编号 (what office staff have on paper); a 户编号 that two
//!   households share is refused rather than guessed.
//! - A value for a text field is taken as written (a phone number or a 户编号 is not a number); other
//!   fields parse it as JSON, and what is not JSON is text.
//! - Errors are in Chinese and show how to write the argument: they are read by the person typing it.

use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use uuid::Uuid;
use zoufang_model::{BasicNeed, BasicNeeds, Entity, Household, Storage};
use zoufang_store::{HouseholdQuery, Store};

/// The village `key` names: its id, or its 12-digit 区划代码.
pub fn find_village(store: &Store, key: &str) -> Result<zoufang_model::Village> {
    store
        .villages()?
        .into_iter()
        .find(|v| v.id.to_string() == key.trim() || v.code == key.trim())
        .ok_or_else(|| anyhow!("本机没有村 {key}（请用村的编号或 12 位区划代码）"))
}

/// The household `key` names: its id, or its 户编号.
pub fn find_household(store: &Store, key: &str) -> Result<Household> {
    if let Ok(id) = Uuid::parse_str(key) {
        return store.household(id)?.ok_or_else(|| anyhow!("找不到户 {key}"));
    }
    let hits = store.households(&HouseholdQuery { text: Some(key.into()), ..Default::default() })?;
    let exact: Vec<_> = hits.iter().filter(|h| h.household_no.as_deref() == Some(key)).collect();
    match exact.as_slice() {
        [h] => store.household(h.id)?.ok_or_else(|| anyhow!("找不到户 {key}")),
        [] => bail!("找不到户编号为 {key} 的户"),
        _ => bail!("户编号 {key} 对应多户，请用 id"),
    }
}

/// The 两不愁三保障 checklist from `--unmet item:情况` arguments: the items named are unmet, the others met.
pub fn unmet_needs(unmet: &[String]) -> Result<BasicNeeds> {
    let mut needs = BasicNeeds::default();
    for u in unmet {
        let (item, note) = u
            .split_once(':')
            .or_else(|| u.split_once('：'))
            .ok_or_else(|| anyhow!("--unmet 应写作 项目:情况，如 housing:屋顶漏雨"))?;
        needs.set_unmet(BasicNeed::parse(item).ok_or_else(|| anyhow!("未知项目 {item}"))?, note);
    }
    Ok(needs)
}

/// A value typed on the command line: JSON when it parses as JSON, else the text itself.
pub fn parse_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

/// A value typed on the command line for a field: text fields take it as written (a phone number is
/// not a number), the others parse it as JSON (numbers, true/false, lists).
pub fn field_value(entity: Entity, field: &str, raw: &str) -> Value {
    match entity.field(field).map(|d| d.kind.storage()) {
        Some(Storage::Text) if raw != "null" => Value::String(raw.to_string()),
        _ => parse_value(raw),
    }
}
