//! 督查 coverage rule (中共中央办公厅、国务院办公厅《脱贫攻坚督查巡查工作办法》 as the seeds quote it):
//! in a year an inspection team visits at least 60% of a county's poor households, and covers every
//! 贫困村 and every other village with 20 or more poor households (seed 000: "一年内将该县市区所有贫困村
//! 及20户以上贫困户的非贫困村全覆盖，走访贫困户不得低于总户数的60%").

/// Share of a county's poor households an inspection team must visit in a year, in percent.
pub const HOUSEHOLD_SHARE_PERCENT: u32 = 60;

/// A village with at least this many poor households must be inspected in the year.
pub const VILLAGE_THRESHOLD: u32 = 20;

/// Households to visit out of `poor`: ⌈60% × poor⌉.
pub fn required_households(poor: u32) -> u32 {
    (poor * HOUSEHOLD_SHARE_PERCENT).div_ceil(100)
}

/// Whether `visited` of `poor` households meets the 60% share.
pub fn meets_household_share(visited: u32, poor: u32) -> bool {
    visited >= required_households(poor)
}

/// Whether a village must be covered in the year: every 贫困村, and any other village with `poor` of
/// at least `VILLAGE_THRESHOLD` poor households.
pub fn village_must_be_covered(poor_village: bool, poor: u32) -> bool {
    poor_village || poor >= VILLAGE_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_percent_boundary() {
        assert_eq!(required_households(10), 6);
        assert!(meets_household_share(6, 10));
        assert!(!meets_household_share(5, 10));
        assert_eq!(required_households(11), 7); // 6.6 rounds up
        assert!(!meets_household_share(6, 11));
        assert!(meets_household_share(0, 0));
        assert!(village_must_be_covered(false, 20) && !village_must_be_covered(false, 19));
        assert!(village_must_be_covered(true, 0) && village_must_be_covered(true, 3), "every 贫困村");
    }
}
