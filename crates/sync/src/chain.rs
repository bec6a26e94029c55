//! The device's history as a hash chain (痕迹 that cannot be quietly rewritten): each change's link is
//! SHA-256(previous link ‖ the change's canonical bytes). The server keeps each device's last link and
//! refuses a push whose links do not follow on from it: a change altered after the fact, a history
//! rewritten on the device, or a device restored from an old copy and diverging (a fork).

use crate::protocol::Change;
use sha2::{Digest, Sha256};

/// A chain link.
pub type Link = [u8; 32];

/// The link before a device's first chained change.
pub const GENESIS: Link = [0; 32];

/// The link that follows `prev` for change `c`. Covers every field of the change but the link itself.
pub fn next_link(prev: &Link, c: &Change) -> Link {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(c.id.as_bytes());
    h.update(c.entity.ident().as_bytes());
    h.update([0]);
    h.update(c.row.as_bytes());
    h.update(c.field.as_bytes());
    h.update([0]);
    let _ = serde_json::to_writer(HashWriter(&mut h), &c.value);
    h.update([0]);
    h.update(c.hlc.0.to_be_bytes());
    h.update(c.device.as_bytes());
    if let Some(b) = &c.base {
        let _ = serde_json::to_writer(HashWriter(&mut h), b);
    }
    h.update([0]);
    if let Some(s) = &c.seen {
        let _ = serde_json::to_writer(HashWriter(&mut h), s);
    }
    h.finalize().into()
}

/// Links `changes` into a history one after another, starting after `prev`, as a device does when it
/// writes them (tools and tests that build changes by hand); returns the last link.
pub fn link_all(prev: Link, changes: &mut [Change]) -> Link {
    changes.iter_mut().fold(prev, |link, c| {
        let next = next_link(&link, c);
        c.chain = Some(to_hex(&next));
        next
    })
}

/// Feeds JSON straight into the hash, without building the string first.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn to_hex(l: &Link) -> String {
    l.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(s: &str) -> Option<Link> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = nibble(b[2 * i])? << 4 | nibble(b[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;
    use serde_json::json;
    use uuid::Uuid;
    use zoufang_model::Entity;

    fn change(value: serde_json::Value) -> Change {
        Change {
            id: Uuid::from_u128(1),
            entity: Entity::Household,
            row: Uuid::from_u128(2),
            field: "phone".into(),
            value,
            hlc: Hlc(7),
            device: Uuid::from_u128(3),
            base: None,
            seen: None,
            chain: None,
        }
    }

    #[test]
    fn any_difference_changes_the_link() {
        let a = next_link(&GENESIS, &change(json!("13800000001")));
        assert_eq!(a, next_link(&GENESIS, &change(json!("13800000001"))));
        assert_ne!(a, next_link(&GENESIS, &change(json!("13800000002"))));
        assert_ne!(a, next_link(&a, &change(json!("13800000001"))), "the same change after another link");
        let mut c = change(json!("13800000001"));
        c.base = Some(crate::Version::Seq(4));
        assert_ne!(a, next_link(&GENESIS, &c));
        assert_eq!(from_hex(&to_hex(&a)), Some(a));
        assert_eq!(from_hex("zz"), None);
    }

    proptest::proptest! {
        /// The server recomputes each link from the change it parsed off the wire, so every value must
        /// come back bit for bit: a GPS reading whose last digit the JSON parser rounded differently
        /// would break the chain and get the device's whole batch refused (found by `bench load`;
        /// serde_json's `float_roundtrip` makes parsing exact).
        #[test]
        fn a_link_survives_the_trip_over_the_wire(lat in -90.0f64..90.0, lon in -180.0f64..180.0) {
            let c = change(json!({ "lat": lat, "lon": lon }));
            let sent = serde_json::to_string(&c).unwrap();
            let received: Change = serde_json::from_str(&sent).unwrap();
            proptest::prop_assert_eq!(next_link(&GENESIS, &c), next_link(&GENESIS, &received));
        }
    }
}
