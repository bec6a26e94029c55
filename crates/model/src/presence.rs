//! 驻村 attendance rule: staff must be in the village at least 2/3 of the month's working days.

/// Days present needed for a month with `working_days` working days: ⌈2/3 × working days⌉.
pub fn required_days(working_days: u32) -> u32 {
    (working_days * 2).div_ceil(3)
}

/// Whether `present` days meet the 2/3 rule.
pub fn meets_requirement(present: u32, working_days: u32) -> bool {
    present >= required_days(working_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_thirds_boundary() {
        assert_eq!(required_days(21), 14);
        assert!(meets_requirement(14, 21));
        assert!(!meets_requirement(13, 21));
        assert_eq!(required_days(22), 15); // 14.67 rounds up
        assert!(!meets_requirement(14, 22));
        assert_eq!(required_days(0), 0);
    }
}
