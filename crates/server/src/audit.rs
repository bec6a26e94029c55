//! The audit of devices' history chains, over what either backend stored: each device's chained
//! changes, accepted and refused, recomputed link by link from genesis to the head it last sent.

use zoufang_sync::chain::{from_hex, next_link, GENESIS};
use zoufang_sync::Change;

/// A chained change with the link stored beside it (`None` if it carried none).
pub(crate) type Entry = (Change, Option<Vec<u8>>);

/// A change the server refused, as it was kept (JSON): part of the chain when it carried a link.
/// `Err` when the stored text no longer parses.
pub(crate) fn refused_entry(stored: &str) -> Result<Option<Entry>, ()> {
    match serde_json::from_str::<Change>(stored) {
        Ok(c) if c.chain.is_some() => {
            let link = c.chain.as_deref().and_then(from_hex).map(|l| l.to_vec());
            Ok(Some((Change { chain: None, ..c }, link)))
        }
        Ok(_) => Ok(None),
        Err(_) => Err(()),
    }
}

/// What is wrong with a device's chain, if anything: `entries` are its chained changes with the links
/// stored beside them, in any order; `head` is the last link the server accepted from it.
pub(crate) fn chain_problem(entries: &mut [Entry], head: Option<&[u8]>) -> Option<String> {
    entries.sort_by_key(|(c, _)| c.hlc);
    let mut prev = GENESIS;
    for (c, link) in entries.iter() {
        let expected = next_link(&prev, c);
        if link.as_deref() != Some(&expected[..]) {
            return Some(format!(
                "修改 {}（{}.{}）与历史链接不符：记录在服务器上被改动过",
                c.id,
                c.entity.ident(),
                c.field
            ));
        }
        prev = expected;
    }
    if head != Some(&prev[..]) {
        return Some("最后的历史链接与设备记录不符：有记录缺失".into());
    }
    None
}
