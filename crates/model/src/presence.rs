//! 驻村 attendance rule: staff must be in the village at least 2/3 of the month's working days.
//!
//! A day counts as claimed with any check-in; it counts as verified when a check-in of that day was
//! inside the village's radius (the county sets where the village committee is and the radius) and the
//! device's clock, compared with the server's at the next sync, was within the county's tolerance. The
//! 2/3 report shows both counts.

/// Days present needed for a month with `working_days` working days: ⌈2/3 × working days⌉.
pub fn required_days(working_days: u32) -> u32 {
    (working_days * 2).div_ceil(3)
}

/// Whether `present` days meet the 2/3 rule.
pub fn meets_requirement(present: u32, working_days: u32) -> bool {
    present >= required_days(working_days)
}

/// Metres between two points on the Earth (haversine, mean radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// Whether a check-in at `at` was within `radius_m` of the village committee at `village`; `None` when
/// either is unknown.
pub fn inside(village: Option<(f64, f64)>, radius_m: Option<i64>, at: Option<(f64, f64)>) -> Option<bool> {
    Some(distance_m(village?, at?) <= radius_m? as f64)
}

/// Whether a check-in is verified: inside the radius, and the device's clock known to be within
/// `tolerance_ms` of the server's.
pub fn verified(inside: Option<bool>, clock_offset_ms: Option<i64>, tolerance_ms: i64) -> bool {
    inside == Some(true) && clock_offset_ms.is_some_and(|o| o.abs() <= tolerance_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_radius_and_a_clock_that_was_right() {
        // 台江县 village committee, and points about 300 m and 2 km north of it.
        let committee = (26.6680, 108.3210);
        let near = (26.6707, 108.3210);
        let far = (26.6860, 108.3210);
        assert!((distance_m(committee, near) - 300.0).abs() < 5.0, "{}", distance_m(committee, near));
        assert_eq!(inside(Some(committee), Some(500), Some(near)), Some(true));
        assert_eq!(inside(Some(committee), Some(500), Some(far)), Some(false));
        assert_eq!(inside(Some(committee), Some(500), None), None, "no position");
        assert_eq!(inside(None, Some(500), Some(near)), None, "no village location");
        assert!(verified(Some(true), Some(-60_000), 600_000));
        assert!(!verified(Some(true), Some(3_600_000), 600_000), "clock an hour off");
        assert!(!verified(Some(true), None, 600_000), "not yet compared");
        assert!(!verified(Some(false), Some(0), 600_000) && !verified(None, Some(0), 600_000));
    }

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
