//! Phone numbers as people in villages write them: mainland mobiles (11 digits, 1[3-9]…) or landlines
//! with area code (0851-1234567). Spaces and dashes inside a mobile number are tolerated and removed.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// A validated, normalised phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let t = raw.trim();
        let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() == 11
            && digits.starts_with('1')
            && digits.as_bytes()[1].is_ascii_digit()
            && digits.as_bytes()[1] >= b'3'
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            return Ok(Self(digits));
        }
        // Landline: 0 + 2–3 digit area code, dash, 7–8 digits.
        if let Some((area, local)) = t.split_once('-') {
            let ok_area =
                area.starts_with('0') && (3..=4).contains(&area.len()) && area.chars().all(|c| c.is_ascii_digit());
            let ok_local =
                (7..=8).contains(&local.len()) && local.chars().all(|c| c.is_ascii_digit()) && !local.starts_with('0');
            if ok_area && ok_local {
                return Ok(Self(format!("{area}-{local}")));
            }
        }
        Err(Problem::Phone)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = Problem;
    fn try_from(s: String) -> Result<Self, Problem> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines() {
        assert_eq!(Phone::parse("138 0851 1234").unwrap().as_str(), "13808511234");
        assert_eq!(Phone::parse("0851-5812345").unwrap().as_str(), "0851-5812345");
        assert_eq!(Phone::parse("010-12345678").unwrap().as_str(), "010-12345678");
        for bad in ["", "1234", "12808511234", "1380851123a", "851-5812345", "0851-0123456", "138085112345"] {
            assert_eq!(Phone::parse(bad), Err(Problem::Phone), "{bad}");
        }
    }
}
