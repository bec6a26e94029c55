//! 身份证号 (resident ID number, GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence
//! (odd = male), 1 check character computed with ISO 7064 MOD 11-2.

use crate::error::Problem;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A validated 18-character ID number (upper-case X).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8; 17]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK[(sum % 11) as usize]
}

impl IdNumber {
    /// Parses and validates: length, digits, check character, and a real birth date not after `today`.
    pub fn parse_at(raw: &str, today: NaiveDate) -> Result<Self, Problem> {
        let s = raw.trim().to_ascii_uppercase();
        let len = s.chars().count();
        if len != 18 {
            return Err(Problem::IdNumberLength { actual: len });
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
            return Err(Problem::IdNumberChars);
        }
        let mut first = [0u8; 17];
        first.copy_from_slice(&bytes[..17]);
        let expected = check_char(&first);
        let actual = bytes[17] as char;
        if expected != actual {
            return Err(Problem::IdNumberCheckDigit { expected, actual });
        }
        let date_str = &s[6..14];
        let birth = NaiveDate::parse_from_str(date_str, "%Y%m%d")
            .map_err(|_| Problem::IdNumberBirthDate { date: date_str.to_string() })?;
        let earliest = NaiveDate::from_ymd_opt(1890, 1, 1).expect("valid constant date");
        if birth > today || birth < earliest {
            return Err(Problem::IdNumberBirthDate { date: date_str.to_string() });
        }
        Ok(Self(s))
    }

    /// Parses against today's date.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        Self::parse_at(raw, chrono::Local::now().date_naive())
    }

    /// Builds a valid number from region code, birth date and 3-digit sequence (demo data, tests).
    pub fn compose(region: u32, birth: NaiveDate, seq: u16) -> Self {
        let body = format!("{:06}{}{:03}", region % 1_000_000, birth.format("%Y%m%d"), seq % 1000);
        let mut first = [0u8; 17];
        first.copy_from_slice(body.as_bytes());
        let c = check_char(&first);
        Self(format!("{body}{c}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in the number.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("validated on construction")
    }

    /// 男 when the 17th digit is odd, 女 when even.
    pub fn sex(&self) -> crate::enums::Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            crate::enums::Sex::Male
        } else {
            crate::enums::Sex::Female
        }
    }

    /// The number with the middle masked, for lists and logs: 520102********123X.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

/// `text` with every 身份证号-like run masked the way [`IdNumber::masked`] does: any run of 15 or more
/// digits (the last may be X), valid or not, keeps its first six and last four characters. For files
/// that leave the device (an import's rejection report), where a number may sit in any cell and may be
/// the very mistake that got its row refused.
pub fn mask_id_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || (j > i && matches!(chars[j], 'X' | 'x'))) {
            if !chars[j].is_ascii_digit() {
                j += 1;
                break;
            }
            j += 1;
        }
        if j - i >= 15 {
            out.extend(&chars[i..i + 6]);
            out.extend(std::iter::repeat_n('*', j - i - 10));
            out.extend(&chars[j - 4..j]);
            i = j;
        } else if j > i {
            out.extend(&chars[i..j]);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

impl TryFrom<String> for IdNumber {
    type Error = Problem;
    fn try_from(s: String) -> Result<Self, Problem> {
        Self::parse(&s)
    }
}

impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn id_like_runs_are_masked_anywhere_in_a_text() {
        assert_eq!(mask_id_numbers("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_numbers("号码 110105194912310021 与第 3 行重复"), "号码 110105********0021 与第 3 行重复");
        assert_eq!(mask_id_numbers("110105491231002"), "110105*****1002", "15-digit numbers too");
        assert_eq!(mask_id_numbers("13800001111"), "13800001111", "phone numbers are not 身份证号");
        assert_eq!(mask_id_numbers("第 12 行"), "第 12 行");
    }

    proptest! {
        #[test]
        fn no_run_of_15_digits_survives_masking(s in "[0-9Xx龙 ,]{0,60}") {
            let m = mask_id_numbers(&s);
            prop_assert_eq!(m.chars().count(), s.chars().count(), "masking keeps the length");
            let mut run = 0;
            for c in m.chars() {
                run = if c.is_ascii_digit() { run + 1 } else { 0 };
                prop_assert!(run < 15, "{} → {}", s, m);
            }
        }
    }

    #[test]
    fn known_valid_number() {
        // The GB 11643 worked example.
        let id = IdNumber::parse_at("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), crate::enums::Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_is_accepted_and_normalised() {
        assert_eq!(IdNumber::parse_at("11010519491231002x", today()).unwrap().as_str(), "11010519491231002X");
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        assert_eq!(
            IdNumber::parse_at("110105194912310021", today()),
            Err(Problem::IdNumberCheckDigit { expected: 'X', actual: '1' })
        );
    }

    #[test]
    fn bad_length_chars_and_dates() {
        assert_eq!(IdNumber::parse_at("1101051949", today()), Err(Problem::IdNumberLength { actual: 10 }));
        assert_eq!(IdNumber::parse_at("11010519491231002Y", today()), Err(Problem::IdNumberChars));
        let feb30 = IdNumber::compose(110105, NaiveDate::from_ymd_opt(2000, 2, 28).unwrap(), 1);
        let broken = feb30.as_str().replace("20000228", "20000230");
        let mut first = [0u8; 17];
        first.copy_from_slice(&broken.as_bytes()[..17]);
        let fixed = format!("{}{}", &broken[..17], check_char(&first));
        assert!(matches!(IdNumber::parse_at(&fixed, today()), Err(Problem::IdNumberBirthDate { .. })));
        let future = IdNumber::compose(110105, NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), 1);
        assert!(matches!(IdNumber::parse_at(future.as_str(), today()), Err(Problem::IdNumberBirthDate { .. })));
    }

    proptest! {
        #[test]
        fn composed_numbers_round_trip(region in 110000u32..660000, days in 0i64..30000, seq in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = IdNumber::compose(region, birth, seq);
            let parsed = IdNumber::parse_at(id.as_str(), today()).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed, id);
        }

        #[test]
        fn any_single_digit_change_is_caught(region in 110000u32..660000, days in 0i64..30000, pos in 0usize..17, delta in 1u8..10) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = IdNumber::compose(region, birth, 7);
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(IdNumber::parse_at(&changed, today()).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = IdNumber::parse_at(&s, today());
        }
    }
}
