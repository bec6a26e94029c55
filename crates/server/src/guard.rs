//! The guess guard's rule, the same for every backend: guessing enrolment codes and passwords stays
//! slow, and a burst of honest attempts from one address (a township enrolling a room of tablets behind
//! one NAT) is let through.
//!
//! Each key (a client address, an account) holds `failures`, wrong secrets confirmed within the window,
//! and `pending`, attempts being checked right now. An attempt is counted as pending *before* its
//! secret is checked, so a guesser firing many requests at once cannot have more than `limit`
//! unconfirmed guesses in flight: `failures + pending` never passes `limit`. When a key's failures reach
//! the limit, attempts are refused until the window is over; when only pending attempts fill it, the
//! attempt waits for them to finish (honest ones leave no failure behind).

/// What the guard says to one attempt on one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Check the secret (the attempt is now pending).
    Go,
    /// Attempts in flight fill the limit: try again shortly.
    Wait,
    /// Too many wrong secrets in the window.
    Refuse,
}

/// The rule for one key holding `failures` confirmed wrong secrets and `pending` attempts in flight.
pub fn admit(failures: i64, pending: i64, limit: u32) -> Admit {
    let limit = i64::from(limit);
    if failures >= limit {
        Admit::Refuse
    } else if failures + pending >= limit {
        Admit::Wait
    } else {
        Admit::Go
    }
}

/// The strictest answer over several keys: any `Refuse` refuses, else any `Wait` waits.
pub fn strictest(answers: impl IntoIterator<Item = Admit>) -> Admit {
    answers.into_iter().fold(Admit::Go, |a, b| match (a, b) {
        (Admit::Refuse, _) | (_, Admit::Refuse) => Admit::Refuse,
        (Admit::Wait, _) | (_, Admit::Wait) => Admit::Wait,
        _ => Admit::Go,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn failures_refuse_and_pending_waits() {
        assert_eq!(admit(0, 0, 10), Admit::Go);
        assert_eq!(admit(9, 0, 10), Admit::Go);
        assert_eq!(admit(10, 0, 10), Admit::Refuse);
        assert_eq!(admit(3, 7, 10), Admit::Wait);
        assert_eq!(admit(0, 9, 10), Admit::Go);
        assert_eq!(strictest([Admit::Go, Admit::Wait]), Admit::Wait);
        assert_eq!(strictest([Admit::Wait, Admit::Refuse, Admit::Go]), Admit::Refuse);
        assert_eq!(strictest([]), Admit::Go);
    }

    proptest! {
        /// Whatever order attempts arrive, finish and turn out wrong in, admitted attempts never push
        /// failures + pending past the limit, and at most `limit` wrong secrets are ever checked.
        #[test]
        fn never_more_than_the_limit_in_flight_or_wrong(
            limit in 1u32..12,
            steps in proptest::collection::vec((any::<bool>(), any::<bool>()), 0..200),
        ) {
            let (mut failures, mut pending, mut checked_wrong) = (0i64, 0i64, 0i64);
            for (arrive, wrong) in steps {
                if arrive {
                    if admit(failures, pending, limit) == Admit::Go {
                        pending += 1;
                    }
                } else if pending > 0 {
                    pending -= 1;
                    if wrong {
                        failures += 1;
                        checked_wrong += 1;
                    }
                }
                prop_assert!(failures + pending <= i64::from(limit));
            }
            prop_assert!(checked_wrong <= i64::from(limit));
        }
    }
}
