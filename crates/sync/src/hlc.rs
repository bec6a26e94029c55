//! Hybrid logical clock: wall-clock milliseconds in the high 48 bits, a counter in the low 16.
//!
//! Every change carries one. It orders a device's own writes strictly, moves forward past anything the
//! device has seen from others, and stays close to real time so a conflict can say when each side wrote.

use serde::{Deserialize, Serialize};

/// A timestamp of the hybrid logical clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Hlc(pub u64);

/// How far ahead of our own wall clock a remote timestamp may be before we stop following it. A tablet
/// whose clock is set to next year must not drag every other clock with it.
pub const MAX_DRIFT_MS: u64 = 24 * 3600 * 1000;

/// How far ahead of the server's clock a pushed change may be dated. A change dated later would win
/// every concurrent edit of its field until that time came (a clock set to 2099 would win forever), so
/// the server refuses it and the device sets its clock by the server's. An hour covers a tablet whose
/// clock runs a little fast; a wrong time zone or a wrong year is refused.
pub const MAX_AHEAD_MS: u64 = 3600 * 1000;

impl Hlc {
    pub fn new(wall_ms: u64, counter: u16) -> Self {
        Hlc((wall_ms << 16) | u64::from(counter))
    }

    pub fn wall_ms(self) -> u64 {
        self.0 >> 16
    }

    pub fn counter(self) -> u16 {
        (self.0 & 0xffff) as u16
    }

    /// The wall-clock part as RFC 3339 in China Standard Time, for people.
    pub fn to_rfc3339(self) -> String {
        let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
        chrono::DateTime::from_timestamp_millis(self.wall_ms() as i64)
            .map(|t| t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .unwrap_or_default()
    }
}

/// A device's (or the server's) clock state.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    last: Hlc,
}

impl Clock {
    /// Resumes from the last timestamp issued (e.g. read back from the change log on open).
    pub fn resume(last: Hlc) -> Self {
        Clock { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A new timestamp for a local event, strictly greater than every one issued or observed.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let wall = self.last.wall_ms();
        self.last = if now_ms > wall {
            Hlc::new(now_ms, 0)
        } else if self.last.counter() == u16::MAX {
            Hlc::new(wall + 1, 0)
        } else {
            Hlc(self.last.0 + 1)
        };
        self.last
    }

    /// Moves past a timestamp seen from elsewhere, unless it is implausibly far ahead of `now_ms`.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) {
        if remote > self.last && remote.wall_ms() <= now_ms.saturating_add(MAX_DRIFT_MS) {
            self.last = remote;
        }
    }
}

/// Milliseconds since the Unix epoch from the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_clock_goes_back() {
        let mut c = Clock::default();
        let a = c.tick(1000);
        let b = c.tick(900);
        let d = c.tick(1000);
        assert!(a < b && b < d);
        assert_eq!(a.wall_ms(), 1000);
    }

    #[test]
    fn observe_follows_remote_but_not_a_runaway_clock() {
        let mut c = Clock::default();
        c.observe(Hlc::new(5000, 3), 1000);
        assert!(c.tick(1000) > Hlc::new(5000, 3));
        let far = Hlc::new(1000 + MAX_DRIFT_MS + 1, 0);
        c.observe(far, 1000);
        assert!(c.tick(1000) < far);
    }

    #[test]
    fn counter_overflow_moves_the_wall_part() {
        let mut c = Clock::resume(Hlc::new(10, u16::MAX));
        assert_eq!(c.tick(5), Hlc::new(11, 0));
    }

    #[test]
    fn readable_time() {
        assert_eq!(Hlc::new(1_700_000_000_000, 0).to_rfc3339(), "2023-11-15T06:13:20+08:00");
    }

    proptest! {
        #[test]
        fn monotonic_under_any_clock(steps in proptest::collection::vec((0u64..10_000, any::<bool>(), 0u64..20_000), 1..200)) {
            let mut c = Clock::default();
            let mut prev = Hlc::default();
            for (now, is_observe, remote) in steps {
                if is_observe {
                    c.observe(Hlc::new(remote, 0), now);
                    prop_assert!(c.last() >= prev);
                    prev = c.last();
                } else {
                    let t = c.tick(now);
                    prop_assert!(t > prev);
                    prev = t;
                }
            }
        }
    }
}
