//! Paired, interleaved rounds for one probe: each round runs the probe once per side in
//! randomised ABBA order (a coin decides AB or BA for each pair of rounds, the second
//! round of the pair reverses it), until the overhead interval is narrow enough, the
//! probe's time is used up, or the round cap is reached. The overhead is the ratio of
//! the two sides' medians with a bootstrap interval over ABBA cycles
//! (`calibench_calibrator::median_ratio` says why not a mean of per-round ratios).

use std::time::{Duration, Instant};

pub use calibench_calibrator::StopReason;
use calibench_calibrator::{
    paired_median_overhead, AbbaOrder, Overhead, Progress, StoppingRule, CONFIDENCE,
    DEFAULT_RESAMPLES,
};
use calibench_suites::ProbeReport;

use super::error::CalibrationError;
use super::probes::CalibrationProbe;

/// One side of the comparison (host, container, or host again for A/A).
pub trait Side {
    fn measure(&mut self, probe: &CalibrationProbe) -> Result<ProbeReport, CalibrationError>;
}

/// When to stop: the calibrator's rule plus this probe's share of the time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub rule: StoppingRule,
    /// Stop once this much time is spent on the probe (at least `rule.min_rounds` still
    /// run unless `hard_deadline` passes).
    pub budget: Duration,
    pub hard_deadline: Instant,
}

/// The rounds of one probe.
#[derive(Debug, Clone)]
pub struct Rounds {
    pub host: Vec<f64>,
    pub container: Vec<f64>,
    pub container_reports: Vec<ProbeReport>,
    pub stopped_by: StopReason,
    pub seconds: f64,
    pub overhead: Overhead,
}

/// Resamples of the interval that decides, after each round, whether to stop (the
/// reported interval uses `DEFAULT_RESAMPLES`).
const STOPPING_RESAMPLES: usize = 1000;

/// Runs rounds of `probe` on `host` and `container` within `limits`.
pub fn run_rounds(
    probe: &CalibrationProbe,
    host: &mut dyn Side,
    container: &mut dyn Side,
    limits: Limits,
    seed: u64,
) -> Result<Rounds, CalibrationError> {
    let mut order = AbbaOrder::new(seed);
    let start = Instant::now();
    let (mut h, mut c, mut reports) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_round = Duration::ZERO;
    let stopped_by = loop {
        // Never start a round that cannot finish before the deadline.
        if h.len() >= 2 && Instant::now() + last_round >= limits.hard_deadline {
            break StopReason::Time;
        }
        let round_start = Instant::now();
        let (hv, cr) = if order.next_a_first() {
            let hv = host.measure(probe)?;
            (hv, container.measure(probe)?)
        } else {
            let cr = container.measure(probe)?;
            (host.measure(probe)?, cr)
        };
        h.push(hv.value);
        c.push(cr.value);
        reports.push(cr);
        last_round = round_start.elapsed();
        let n = h.len();
        let half_width_pp = if limits.rule.wants_interval(n) {
            Some(
                paired_median_overhead(&h, &c, CONFIDENCE, STOPPING_RESAMPLES, seed)?
                    .half_width_pp(),
            )
        } else {
            None
        };
        // The budget counts the time in hand after one more round like the last.
        let progress = Progress {
            rounds: n,
            half_width_pp,
            budget_spent: start.elapsed() + last_round >= limits.budget,
            past_deadline: Instant::now() >= limits.hard_deadline,
        };
        if let Some(reason) = limits.rule.decide(progress) {
            break reason;
        }
    };
    let overhead = paired_median_overhead(&h, &c, CONFIDENCE, DEFAULT_RESAMPLES, seed)?;
    Ok(Rounds {
        host: h,
        container: c,
        container_reports: reports,
        stopped_by,
        seconds: start.elapsed().as_secs_f64(),
        overhead,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use calibench_suites::ProbeKind;

    use super::*;
    use crate::calibrate::probes::Variant;

    /// A side whose figures are `base · ratio` with a deterministic wobble.
    struct Fake {
        ratio: f64,
        calls: usize,
    }

    impl Side for Fake {
        fn measure(&mut self, _: &CalibrationProbe) -> Result<ProbeReport, CalibrationError> {
            self.calls += 1;
            let wobble = 1.0 + 0.01 * ((self.calls * 7919 % 13) as f64 / 13.0 - 0.5);
            Ok(ProbeReport {
                probe: "cpu".into(),
                value: 0.05 * self.ratio * wobble,
                unit: "s".into(),
                work: 1,
                extra: BTreeMap::new(),
            })
        }
    }

    /// A host side and a container side `ratio` times slower, its wobble `offset` calls
    /// ahead.
    fn sides(ratio: f64, offset: usize) -> (Fake, Fake) {
        (
            Fake {
                ratio: 1.0,
                calls: 0,
            },
            Fake {
                ratio,
                calls: offset,
            },
        )
    }

    fn probe() -> CalibrationProbe {
        CalibrationProbe::new(ProbeKind::Cpu, Variant::Default, None)
    }

    fn limits(max_rounds: usize, target: f64) -> Limits {
        Limits {
            rule: StoppingRule {
                target_half_width_pp: target,
                min_rounds: 6,
                max_rounds,
            },
            budget: Duration::from_secs(60),
            hard_deadline: Instant::now() + Duration::from_secs(60),
        }
    }

    #[test]
    fn stops_at_the_target_and_recovers_the_ratio() -> Result<(), CalibrationError> {
        let (mut h, mut c) = sides(1.2, 3);
        let r = run_rounds(&probe(), &mut h, &mut c, limits(200, 1.0), 1)?;
        assert_eq!(r.stopped_by, StopReason::Target);
        assert!(
            r.overhead.ci_low <= 0.2 && 0.2 <= r.overhead.ci_high + 0.01,
            "{:?}",
            r.overhead
        );
        assert_eq!(h.calls, c.calls - 3);
        Ok(())
    }

    #[test]
    fn the_round_cap_stops_an_unreachable_target() -> Result<(), CalibrationError> {
        let (mut h, mut c) = sides(1.0, 5);
        let r = run_rounds(&probe(), &mut h, &mut c, limits(10, 0.0), 1)?;
        assert_eq!(r.stopped_by, StopReason::RoundCap);
        assert_eq!(r.host.len(), 10);
        Ok(())
    }

    #[test]
    fn a_passed_deadline_stops_after_two_rounds() -> Result<(), CalibrationError> {
        let (mut h, mut c) = sides(1.0, 1);
        let mut l = limits(100, 0.0);
        l.hard_deadline = Instant::now();
        let r = run_rounds(&probe(), &mut h, &mut c, l, 1)?;
        assert_eq!((r.stopped_by, r.host.len()), (StopReason::Time, 2));
        Ok(())
    }
}
