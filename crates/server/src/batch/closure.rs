//! 销号 belongs to whoever issued a rectification item (`zoufang_model::rectification`), on the server,
//! over what it holds (stored, or taken earlier in the same batch: a device writes a step's record, then
//! the item's `review`, `status` and `closed_on` in that order):
//! - a new item comes from a source the device's role issues, open, with no step named;
//! - a 销号 step (`RectificationReview`) is taken only from a role that takes it on that item;
//! - an item's `review` names a step of its own that the device's role may take from the status the
//!   item holds; its `status` moves only between 待整改 and 整改中 by the village, or to where the named
//!   step leads; its `closed_on` only with a step that closes it;
//! - what the item asks (problem, deadline) and its withdrawal are the issuer's, what was done the
//!   village's.
//!
//! The device's store holds the same rules; this is what a hand-made push meets (a village tablet's own
//! build cannot close a county's item).

use super::procedure::{id, text};
use super::BatchBackend;
use crate::storage::DeviceAuth;
use uuid::Uuid;
use zoufang_model::rectification::{check, direct_status, may_act, may_edit, may_issue, Issuer};
use zoufang_model::{RectificationAction, RectificationSource, RectificationStatus};
use zoufang_sync::Change;

fn refuse<T>(why: impl std::fmt::Display) -> Result<T, String> {
    Err(format!("销号须由问题下发单位按程序办理：{why}"))
}

fn source<B: BatchBackend>(b: &mut B, item: Uuid) -> Result<Option<RectificationSource>, B::Error> {
    Ok(text(b, item, "source")?.as_deref().and_then(RectificationSource::parse))
}

fn status<B: BatchBackend>(b: &mut B, item: Uuid) -> Result<Option<RectificationStatus>, B::Error> {
    Ok(text(b, item, "status")?.as_deref().and_then(RectificationStatus::parse))
}

/// The step `review` names, if it is one of `item`'s: its action and note.
fn step_of<B: BatchBackend>(
    b: &mut B,
    item: Uuid,
    review: Uuid,
) -> Result<Option<(RectificationAction, Option<String>)>, B::Error> {
    if id(b, review, "rectification_id")? != Some(item) {
        return Ok(None);
    }
    let action = text(b, review, "action")?.as_deref().and_then(RectificationAction::parse);
    Ok(match action {
        Some(a) => Some((a, text(b, review, "note")?)),
        None => None,
    })
}

/// Where the step `review` takes `item` from the status it holds, taken by `device`; or why not.
fn step_leads<B: BatchBackend>(
    b: &mut B,
    device: &DeviceAuth,
    item: Uuid,
    review: Option<Uuid>,
) -> Result<Result<(RectificationAction, RectificationStatus), String>, B::Error> {
    let Some(review) = review else { return Ok(refuse("没有对应的销号记录")) };
    let Some((action, note)) = step_of(b, item, review)? else {
        return Ok(refuse("销号记录不属于该问题或不完整"));
    };
    let (Some(src), Some(from)) = (source(b, item)?, status(b, item)?) else {
        return Ok(refuse("整改问题记录不完整"));
    };
    Ok(check(device.role, src, action, from, note.as_deref()).map(|to| (action, to)).or_else(refuse))
}

/// A change to a rectification item pushed by `device`; `new` when the item is created by this batch.
pub(super) fn check_item<B: BatchBackend>(
    b: &mut B,
    device: &DeviceAuth,
    c: &Change,
    new: bool,
) -> Result<Result<(), String>, B::Error> {
    let value = c.value.as_str();
    // An item without a source is still being created (its place comes first, then its source).
    let src = source(b, c.row)?;
    if new || src.is_none() {
        return Ok(match c.field.as_str() {
            "source" => match value.and_then(RectificationSource::parse) {
                Some(s) if !may_issue(device.role, s) => refuse(format!(
                    "来源为「{}」的问题由{}下发，{}账号不能下发",
                    s.label(),
                    Issuer::of(s).label(),
                    device.role.label()
                )),
                _ => Ok(()),
            },
            "status" => match value.and_then(RectificationStatus::parse) {
                Some(RectificationStatus::Open | RectificationStatus::InProgress) | None => Ok(()),
                Some(_) => refuse("新的整改问题只能是待整改或整改中"),
            },
            "review" | "closed_on" if !c.value.is_null() => refuse("新的整改问题还没有销号记录"),
            _ => Ok(()),
        });
    }
    let Some(src) = src else { return Ok(refuse("整改问题记录不完整")) };
    let verdict = match c.field.as_str() {
        "review" => {
            let named = value.and_then(|s| Uuid::parse_str(s).ok());
            step_leads(b, device, c.row, named)?.map(|_| ())
        }
        "status" => {
            let to = value.and_then(RectificationStatus::parse);
            let from = status(b, c.row)?;
            match (from, to) {
                (Some(f), Some(t)) if direct_status(device.role, f, t) => Ok(()),
                // The step was named just before (`review` comes first) and the item still holds the
                // status the step was taken from.
                _ => {
                    let named = id(b, c.row, "review")?;
                    match step_leads(b, device, c.row, named)? {
                        Ok((_, led)) if Some(led) == to => Ok(()),
                        Ok((a, led)) => refuse(format!("「{}」之后应为「{}」", a.label(), led.label())),
                        Err(why) => Err(why),
                    }
                }
            }
        }
        "closed_on" => {
            let named = id(b, c.row, "review")?;
            let action = match named {
                Some(r) => step_of(b, c.row, r)?.map(|(a, _)| a),
                None => None,
            };
            let closes = matches!(action, Some(RectificationAction::Confirm | RectificationAction::RecheckPassed));
            let reopens = matches!(action, Some(RectificationAction::SendBack | RectificationAction::Reopened));
            if (c.value.is_null() && reopens) || (!c.value.is_null() && closes) {
                Ok(())
            } else {
                refuse("销号日期只随确认销号写入")
            }
        }
        field if !may_edit(device.role, src, field) => Err(format!(
            "该问题由{}下发，{}账号不能修改「{}」",
            Issuer::of(src).label(),
            device.role.label(),
            c.entity.field(field).map_or(field, |d| d.label)
        )),
        _ => Ok(()),
    };
    Ok(verdict)
}

/// A 销号 step's action, pushed by `device`: only from a role that takes it on that item.
pub(super) fn check_step<B: BatchBackend>(
    b: &mut B,
    device: &DeviceAuth,
    c: &Change,
) -> Result<Result<(), String>, B::Error> {
    let Some(action) = c.value.as_str().and_then(RectificationAction::parse) else { return Ok(Ok(())) };
    let Some(item) = id(b, c.row, "rectification_id")? else { return Ok(refuse("销号记录不完整")) };
    let Some(src) = source(b, item)? else { return Ok(refuse("整改问题不存在")) };
    Ok(if may_act(device.role, src, action) {
        Ok(())
    } else {
        refuse(format!(
            "来源为「{}」的问题由{}确认销号，{}账号不能{}",
            src.label(),
            Issuer::of(src).label(),
            device.role.label(),
            action.label()
        ))
    })
}
