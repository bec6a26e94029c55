//! Members join and leave by a procedure (`zoufang_model::members`), on the server: a device never
//! deletes a member; a member's `member_change` names a `MemberChange` of its own, and its `left_on` is
//! taken only with the leaving change it names, on that change's date. The device's store holds the
//! same rules; this is what a hand-made push meets.

use super::procedure::{id, text};
use super::BatchBackend;
use uuid::Uuid;
use zoufang_model::MemberChangeKind;
use zoufang_sync::Change;

fn refuse<T>(why: &str) -> Result<T, String> {
    Err(format!("家庭成员只能通过成员变动加入或离开：{why}"))
}

/// A change to a member's `deleted`, `member_change` or `left_on` pushed by a device.
pub(super) fn check_member<B: BatchBackend>(b: &mut B, c: &Change) -> Result<Result<(), String>, B::Error> {
    Ok(match c.field.as_str() {
        zoufang_model::DELETED if c.value.as_bool() == Some(true) => refuse("不能删除成员"),
        zoufang_model::DELETED => Ok(()),
        "member_change" => {
            let named = c.value.as_str().and_then(|s| Uuid::parse_str(s).ok());
            match named {
                Some(mc) if id(b, mc, "member_id")? == Some(c.row) => Ok(()),
                _ => refuse("成员变动记录不属于该成员"),
            }
        }
        "left_on" => {
            let Some(mc) = id(b, c.row, "member_change")? else {
                return Ok(refuse("没有对应的成员变动记录"));
            };
            let kind = text(b, mc, "kind")?.as_deref().and_then(MemberChangeKind::parse);
            let on = text(b, mc, "changed_on")?;
            match kind {
                Some(k)
                    if !k.joins() && on.as_deref() == c.value.as_str() && id(b, mc, "member_id")? == Some(c.row) =>
                {
                    Ok(())
                }
                _ => refuse("离开日期须与该成员的离开记录一致"),
            }
        }
        _ => Ok(()),
    })
}
