//! The device's side of the rules. The server decides; a device follows it without losing its own
//! unsent edits.

use crate::protocol::Version;
use uuid::Uuid;

/// Whether a pulled value replaces the device's: not while the device holds an unsent edit of that field
/// (the server will judge that edit against the pulled value when it arrives).
pub fn take_pulled(has_pending_edit: bool) -> bool {
    !has_pending_edit
}

/// Whether the server's current value, returned for a pushed change, replaces the device's: only if the
/// field still holds that very change (no newer local edit was made while the push was in flight).
pub fn take_push_result(local: Option<&Version>, pushed: Uuid) -> bool {
    local == Some(&Version::Local(pushed))
}
