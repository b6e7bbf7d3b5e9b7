//! `calibench calibrate --check`: does the stored profile still hold? A brief fresh
//! calibration of the stored profile's dimensions is tested against the overhead that
//! adjusts results (pooled over calibrations where there were several) with a test of
//! their difference (`calibench_calibrator::drift`).

use calibench_calibrator::{drift, CONFIDENCE};
use calibench_results::{now, CalibrationProfile, Dimension, SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One dimension: stored against now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionCheck {
    pub dimension: Dimension,
    pub probe: String,
    /// The overhead that adjusts results (percent), with its 95 % interval.
    pub stored_pct: f64,
    pub stored_ci_low_pct: f64,
    pub stored_ci_high_pct: f64,
    /// Calibrations behind the stored figure (1, or the pooled count).
    pub stored_calibrations: usize,
    /// The fresh calibration's overhead, with its 95 % interval; absent when it ran too
    /// few rounds to give one.
    pub now_pct: Option<f64>,
    pub now_ci_low_pct: Option<f64>,
    pub now_ci_high_pct: Option<f64>,
    /// (1 + now)/(1 + stored) − 1 with its 95 % interval and the test's p-value.
    pub difference_pct: Option<f64>,
    pub difference_ci_low_pct: Option<f64>,
    pub difference_ci_high_pct: Option<f64>,
    pub p_value: Option<f64>,
    /// `holds`, `drifted` or `not measured`.
    pub outcome: &'static str,
}

/// What `--check` prints (`--json`: this document).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub checked_at: DateTime<Utc>,
    /// The stored profile checked, and the fresh (unstored) calibration's id.
    pub profile_id: String,
    pub check_id: String,
    pub dimensions: Vec<DimensionCheck>,
    /// Every measured dimension holds (and at least one was measured).
    pub holds: bool,
}

/// The dimensions a check re-measures: those the stored profile adjusts.
pub fn checked_dimensions(stored: &CalibrationProfile) -> Vec<Dimension> {
    stored
        .dimensions
        .iter()
        .filter(|d| stored.adjusting(d.dimension).is_some())
        .map(|d| d.dimension)
        .collect()
}

/// Tests each adjusting dimension of `stored` against the fresh calibration `now`.
pub fn check(stored: &CalibrationProfile, fresh: &CalibrationProfile) -> CheckReport {
    let mut dimensions = Vec::new();
    for dim in checked_dimensions(stored) {
        let Some(s) = stored.adjusting(dim) else {
            continue;
        };
        let calibrations = stored
            .pooled
            .iter()
            .find(|p| p.dimension == dim)
            .map_or(1, |p| p.calibrations);
        let own = fresh.dimension(dim).filter(|d| d.probe == s.probe);
        let test = match (stored.adjusting_estimate(dim), fresh.log_estimate(dim), own) {
            (Some(a), Some(b), Some(_)) => drift(a, b, CONFIDENCE).ok(),
            _ => None,
        };
        let fresh_own = own.filter(|_| test.is_some());
        dimensions.push(DimensionCheck {
            dimension: dim,
            probe: s.probe.clone(),
            stored_pct: s.overhead_pct,
            stored_ci_low_pct: s.ci_low_pct,
            stored_ci_high_pct: s.ci_high_pct,
            stored_calibrations: calibrations,
            now_pct: fresh_own.map(|d| d.overhead_pct),
            now_ci_low_pct: fresh_own.map(|d| d.ci_low_pct),
            now_ci_high_pct: fresh_own.map(|d| d.ci_high_pct),
            difference_pct: test.map(|t| t.difference * 100.0),
            difference_ci_low_pct: test.map(|t| t.low * 100.0),
            difference_ci_high_pct: test.map(|t| t.high * 100.0),
            p_value: test.map(|t| t.p_value),
            outcome: match test {
                Some(t) if t.drifted => "drifted",
                Some(_) => "holds",
                None => "not measured",
            },
        });
    }
    let measured = dimensions.iter().filter(|d| d.outcome != "not measured");
    let holds = measured.clone().count() > 0 && measured.clone().all(|d| d.outcome == "holds");
    CheckReport {
        schema_version: SCHEMA_VERSION,
        checked_at: now(),
        profile_id: stored.profile_id.clone(),
        check_id: fresh.profile_id.clone(),
        dimensions,
        holds,
    }
}

#[cfg(test)]
mod tests {
    use calibench_results::testing::fixture_profile;
    use calibench_results::PooledOverhead;

    use super::*;
    use calibench_calibrator::Verdict;

    fn profile(pct: f64, low: f64, high: f64) -> CalibrationProfile {
        let mut p = fixture_profile(Dimension::Cpu, pct, low, high, Verdict::Overhead);
        p.dimensions[0].rounds = 40;
        p
    }

    #[test]
    fn a_fresh_figure_inside_the_noise_holds() {
        let r = check(&profile(2.0, 1.5, 2.5), &profile(2.2, 1.7, 2.7));
        assert!(r.holds, "{r:?}");
        assert_eq!(r.dimensions[0].outcome, "holds");
    }

    #[test]
    fn a_fresh_figure_far_outside_drifts() {
        let r = check(&profile(2.0, 1.5, 2.5), &profile(6.0, 5.5, 6.5));
        assert!(!r.holds);
        let d = &r.dimensions[0];
        assert_eq!(d.outcome, "drifted");
        assert!(d.difference_ci_low_pct.expect("a value") > 3.0, "{d:?}");
    }

    #[test]
    fn the_pooled_figure_is_what_is_checked() {
        // Own interval narrow and far, pooled interval wide around the fresh figure.
        let mut stored = profile(0.0, -0.3, 0.3);
        stored.pooled.push(PooledOverhead {
            dimension: Dimension::Cpu,
            probe: stored.dimensions[0].probe.clone(),
            overhead_pct: 3.0,
            ci_low_pct: 0.0,
            ci_high_pct: 6.0,
            calibrations: 4,
            between_sd_pct: 2.5,
            profile_ids: vec![],
        });
        let r = check(&stored, &profile(3.5, 3.0, 4.0));
        assert!(r.holds, "{r:?}");
        assert_eq!(r.dimensions[0].stored_calibrations, 4);
    }

    #[test]
    fn a_dimension_the_fresh_run_could_not_measure_is_not_a_pass() {
        let mut fresh = profile(2.0, 1.5, 2.5);
        fresh.dimensions[0].verdict = Verdict::TooFewRounds;
        let r = check(&profile(2.0, 1.5, 2.5), &fresh);
        assert_eq!(r.dimensions[0].outcome, "not measured");
        assert!(!r.holds);
    }
}
