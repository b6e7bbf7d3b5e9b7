//! The calibration method's schedule: paired rounds in randomised ABBA order and the
//! rule that decides when enough rounds were run. Pure: the harness measures, this
//! module says in which order and until when.
//!
//! ABBA: every pair of rounds runs the sides in the orders AB then BA or BA then AB, a
//! fair coin choosing which, so that a linear drift within a pair cancels and the order
//! cannot favour one side over many pairs (Box, Hunter & Hunter, *Statistics for
//! Experimenters*, 2nd ed., §4.2 on randomised paired designs).

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which side runs first in each round.
#[derive(Debug, Clone)]
pub struct AbbaOrder {
    rng: ChaCha8Rng,
    round: usize,
    a_first: bool,
}

impl AbbaOrder {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            round: 0,
            a_first: true,
        }
    }

    /// Whether side A runs first in the next round.
    pub fn next_a_first(&mut self) -> bool {
        self.a_first = if self.round.is_multiple_of(2) {
            self.rng.random_bool(0.5)
        } else {
            !self.a_first
        };
        self.round += 1;
        self.a_first
    }
}

/// Why the rounds stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The interval reached the target half-width.
    #[serde(rename = "target")]
    Target,
    /// The time budget (or the hard deadline) was used up.
    #[serde(rename = "time")]
    Time,
    /// The round cap was reached.
    #[serde(rename = "round cap")]
    RoundCap,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Target => "target",
            StopReason::Time => "time",
            StopReason::RoundCap => "round cap",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// When to stop adding rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoppingRule {
    /// Stop once the interval's half-width is at most this (percentage points).
    pub target_half_width_pp: f64,
    /// No interval is judged before this many rounds.
    pub min_rounds: usize,
    pub max_rounds: usize,
}

/// What the schedule knows after a round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub rounds: usize,
    /// Half-width of the interim interval (percentage points), when one was computed.
    pub half_width_pp: Option<f64>,
    /// The probe's own share of the time is spent.
    pub budget_spent: bool,
    /// The whole calibration's deadline has passed.
    pub past_deadline: bool,
}

impl StoppingRule {
    /// Whether the interim interval is needed after `rounds` rounds.
    pub fn wants_interval(&self, rounds: usize) -> bool {
        rounds >= self.min_rounds
    }

    /// `Some(reason)` when the rounds should stop.
    pub fn decide(&self, p: Progress) -> Option<StopReason> {
        if p.rounds >= 2 && p.past_deadline {
            return Some(StopReason::Time);
        }
        if p.rounds >= self.max_rounds {
            return Some(StopReason::RoundCap);
        }
        if p.rounds < self.min_rounds {
            return None;
        }
        if p.half_width_pp
            .is_some_and(|h| h <= self.target_half_width_pp)
        {
            return Some(StopReason::Target);
        }
        p.budget_spent.then_some(StopReason::Time)
    }

    /// Whether `rounds` rounds are enough for an interval to be reported as one:
    /// below the minimum the expanded interval degenerates to the range of a handful of
    /// values, whose coverage is far below the nominal level.
    pub fn enough(&self, rounds: usize) -> bool {
        rounds >= self.min_rounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abba_pairs_reverse_and_both_orders_occur() {
        let mut order = AbbaOrder::new(7);
        let firsts: Vec<bool> = (0..200).map(|_| order.next_a_first()).collect();
        for pair in firsts.chunks(2) {
            assert_ne!(
                pair[0], pair[1],
                "the second round of a pair reverses the first"
            );
        }
        let a_first_pairs = firsts.chunks(2).filter(|p| p[0]).count();
        assert!((30..=70).contains(&a_first_pairs), "{a_first_pairs} of 100");
        // Balanced overall: every pair runs A first once.
        assert_eq!(firsts.iter().filter(|f| **f).count(), 100);
        // Seeded: the same seed gives the same order.
        let mut again = AbbaOrder::new(7);
        assert!(firsts.iter().all(|f| *f == again.next_a_first()));
    }

    fn rule() -> StoppingRule {
        StoppingRule {
            target_half_width_pp: 0.5,
            min_rounds: 10,
            max_rounds: 50,
        }
    }

    fn at(rounds: usize, half: Option<f64>, budget: bool, deadline: bool) -> Progress {
        Progress {
            rounds,
            half_width_pp: half,
            budget_spent: budget,
            past_deadline: deadline,
        }
    }

    #[test]
    fn stopping_rule() {
        let r = rule();
        assert_eq!(
            r.decide(at(5, Some(0.1), true, false)),
            None,
            "below the minimum"
        );
        assert_eq!(
            r.decide(at(10, Some(0.4), false, false)),
            Some(StopReason::Target)
        );
        assert_eq!(r.decide(at(10, Some(0.6), false, false)), None);
        assert_eq!(
            r.decide(at(12, Some(0.6), true, false)),
            Some(StopReason::Time)
        );
        assert_eq!(
            r.decide(at(50, Some(0.6), false, false)),
            Some(StopReason::RoundCap)
        );
        assert_eq!(r.decide(at(2, None, false, true)), Some(StopReason::Time));
        assert!(!r.enough(9) && r.enough(10));
    }

    #[test]
    fn stop_reasons_serialize_as_before() {
        let text = serde_json::to_string(&StopReason::RoundCap).unwrap_or_default();
        assert_eq!(text, "\"round cap\"");
    }
}
