//! Money as integer fen (分). Never floats: income calculations must add up to the fen.

use crate::error::Problem;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// An amount in fen; may be negative only as the result of arithmetic (net income), never as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Self {
        Fen(yuan * 100)
    }

    /// Parses a user-typed yuan amount: "3200", "3200.5", "3,200.50", "¥3200". Rejects negatives and
    /// more than two decimals.
    pub fn parse_yuan(raw: &str) -> Result<Self, Problem> {
        let t: String =
            raw.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',' && *c != '，').collect();
        let t = t.trim_end_matches('元');
        if t.is_empty() {
            return Err(Problem::Required);
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty()
            || !int.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(Problem::Money);
        }
        let whole: i64 = int.parse().map_err(|_| Problem::Money)?;
        let mut cents: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| Problem::Money)? };
        if frac.len() == 1 {
            cents *= 10;
        }
        whole.checked_mul(100).and_then(|w| w.checked_add(cents)).map(Fen).ok_or(Problem::Money)
    }

    /// Whole yuan, rounded towards zero.
    pub fn yuan(self) -> i64 {
        self.0 / 100
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(it: I) -> Fen {
        it.fold(Fen::ZERO, Add::add)
    }
}

impl fmt::Display for Fen {
    /// 3200.50 元 style, with a sign for negatives.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("3200").unwrap(), Fen(320_000));
        assert_eq!(Fen::parse_yuan("3,200.5").unwrap(), Fen(320_050));
        assert_eq!(Fen::parse_yuan("¥0.07").unwrap(), Fen(7));
        assert_eq!(Fen::parse_yuan("4000元").unwrap(), Fen(400_000));
        assert_eq!(Fen::parse_yuan(""), Err(Problem::Required));
        for bad in ["-5", "1.234", "abc", "1e5", ".5", "99999999999999999999"] {
            assert_eq!(Fen::parse_yuan(bad), Err(Problem::Money), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(f in 0i64..10_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(f).to_string()).unwrap(), Fen(f));
        }
    }
}
