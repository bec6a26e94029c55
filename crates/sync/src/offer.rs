//! An enrolment offer: everything a new device needs to enrol, as a township or county device (or
//! `zoufang-server admin enrol --qr`) shows it in a QR code, and as it can be pasted as text:
//!
//! ```text
//! zoufang:enrol?v=1&u=https%3A%2F%2F10.0.0.5%3A8470&c=G98S-JVDJ&p=<64 hex>&n=%E8%8A%B1...&r=work_team
//! ```
//!
//! `u` the server's address, `c` the one-time code, `p` the SHA-256 of the server's certificate (absent
//! when its certificate is trusted anyway), `n` the village, township or county the device will work
//! in (for the person to confirm), `r` the role. Unknown keys are ignored (a later version may add
//! some); a different `v` is refused with a message saying to update the app.

use serde::{Deserialize, Serialize};
use zoufang_model::Role;

/// The text every offer starts with.
pub const PREFIX: &str = "zoufang:enrol?";
/// The offer format this build reads and writes.
pub const VERSION: u32 = 1;

/// What a new device needs to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnrolmentOffer {
    /// The server's address, e.g. `https://10.0.0.5:8470`.
    pub server: String,
    /// The one-time enrolment code.
    pub code: String,
    /// The SHA-256 fingerprint of the server's certificate (64 lowercase hex digits), to pin.
    pub pin: Option<String>,
    /// The village, township or county the device will work in.
    pub place: String,
    pub role: Role,
}

/// Why a text is not an offer this device can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    #[error("这不是走访注册二维码（扫到的是：{0}）")]
    NotOurs(String),
    #[error("注册二维码不完整或已损坏（{0}），请重新扫描，或请乡镇管理员重新生成")]
    Damaged(String),
    #[error("这个注册二维码来自更新版本的系统（格式 {0}），请先升级应用")]
    Version(String),
}

impl EnrolmentOffer {
    /// The offer as text (what the QR code holds).
    pub fn to_text(&self) -> String {
        let mut s = format!("{PREFIX}v={VERSION}&u={}&c={}", encode(&self.server), encode(&self.code));
        if let Some(p) = &self.pin {
            s.push_str(&format!("&p={}", encode(p)));
        }
        s.push_str(&format!("&n={}&r={}", encode(&self.place), self.role.ident()));
        s
    }

    /// Reads an offer from text (a decoded QR code or pasted text; surrounding blanks are ignored).
    pub fn parse(text: &str) -> Result<EnrolmentOffer, OfferError> {
        let text = text.trim();
        let Some(query) = text.strip_prefix(PREFIX) else {
            return Err(OfferError::NotOurs(text.chars().take(40).collect()));
        };
        let mut fields = std::collections::HashMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| OfferError::Damaged(format!("「{pair}」")))?;
            let v = decode(v).ok_or_else(|| OfferError::Damaged(format!("{k} 的编码")))?;
            fields.insert(k.to_string(), v);
        }
        let get = |k: &str, what: &str| -> Result<String, OfferError> {
            fields
                .get(k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
                .ok_or_else(|| OfferError::Damaged(format!("缺少{what}")))
        };
        let v = get("v", "格式版本")?;
        if v != VERSION.to_string() {
            return Err(OfferError::Version(v));
        }
        let server = get("u", "服务器地址")?;
        if !(server.starts_with("https://") || server.starts_with("http://")) || server.len() > 300 {
            return Err(OfferError::Damaged(format!("服务器地址「{server}」")));
        }
        let code = get("c", "注册码")?;
        if code.len() > 40 {
            return Err(OfferError::Damaged("注册码过长".into()));
        }
        let pin = match fields.get("p").map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
            Some(p) if p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit()) => Some(p),
            Some(_) => return Err(OfferError::Damaged("证书指纹".into())),
            None => None,
        };
        let role = Role::parse(&get("r", "角色")?).map_err(|_| OfferError::Damaged("角色".into()))?;
        let place = fields.get("n").map(|n| n.trim().chars().take(60).collect()).unwrap_or_default();
        Ok(EnrolmentOffer { server: server.trim_end_matches('/').to_string(), code, pin, place, role })
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn offer() -> EnrolmentOffer {
        EnrolmentOffer {
            server: "https://10.0.0.5:8470".into(),
            code: "G98S-JVDJ".into(),
            pin: Some("ab".repeat(32)),
            place: "红阳村".into(),
            role: Role::WorkTeam,
        }
    }

    #[test]
    fn an_offer_reads_back_and_refuses_what_is_not_one() {
        let o = offer();
        let text = o.to_text();
        assert!(text.starts_with("zoufang:enrol?v=1&u=https%3A%2F%2F10.0.0.5%3A8470&c=G98S-JVDJ&p="), "{text}");
        assert_eq!(EnrolmentOffer::parse(&format!("  {text}\n")).unwrap(), o);
        let plain = EnrolmentOffer { pin: None, ..o.clone() };
        assert_eq!(EnrolmentOffer::parse(&plain.to_text()).unwrap(), plain);
        assert!(matches!(EnrolmentOffer::parse("https://example.com"), Err(OfferError::NotOurs(_))));
        let cut = &text[..text.len() - 20];
        assert!(matches!(EnrolmentOffer::parse(cut), Err(OfferError::Damaged(_))), "{cut}");
        let newer = text.replace("v=1", "v=2");
        let e = EnrolmentOffer::parse(&newer).unwrap_err();
        assert!(e.to_string().contains("升级应用"), "{e}");
        let bad_pin = text.replace(&"ab".repeat(32), "xyz");
        assert!(EnrolmentOffer::parse(&bad_pin).unwrap_err().to_string().contains("证书指纹"));
        let later = format!("{text}&x=later");
        assert_eq!(EnrolmentOffer::parse(&later).unwrap(), o, "unknown keys are ignored");
    }

    proptest! {
        #[test]
        fn any_offer_round_trips(place in "\\PC{0,30}", code in "[A-Z0-9-]{1,20}", port in 1u16..65535) {
            let o = EnrolmentOffer {
                server: format!("https://host-{port}.example:{port}"),
                code,
                pin: None,
                place: place.trim().to_string(),
                role: Role::Township,
            };
            prop_assert_eq!(EnrolmentOffer::parse(&o.to_text()).unwrap(), o);
        }
    }
}
