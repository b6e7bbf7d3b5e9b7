//! Applying a calibration profile to a run: container results divided by (1 + the
//! overhead of their dimension), intervals widened by the overhead's uncertainty. Raw
//! values are never altered.

use calibench_calibrator::{adjust, verdict, Overhead};
use calibench_results::{CalibrationProfile, RunReport, Runtime, Status};

/// Adds adjusted values to every measured docker result whose dimension the profile
/// covers; returns how many were adjusted.
pub fn apply_profile(run: &mut RunReport, profile: &CalibrationProfile) -> usize {
    let mut adjusted = 0;
    for b in run
        .benchmarks
        .iter_mut()
        .filter(|b| b.runtime == Runtime::Docker && b.status == Status::Ok)
    {
        let Some(d) = profile.dimension(&b.dimension) else {
            continue;
        };
        let o = Overhead {
            rounds: d.rounds,
            overhead: d.overhead_pct / 100.0,
            ci_low: d.ci_low_pct / 100.0,
            ci_high: d.ci_high_pct / 100.0,
            level: 0.95,
            log_ratio_sd: 0.0,
            verdict: verdict(d.ci_low_pct / 100.0, d.ci_high_pct / 100.0),
        };
        let (Some(m), Some(lo), Some(hi)) = (b.median, b.ci_low, b.ci_high) else {
            continue;
        };
        if let Ok(a) = adjust(m, lo, hi, &o) {
            b.adjusted_median = Some(a.median);
            b.adjusted_ci_low = Some(a.ci_low);
            b.adjusted_ci_high = Some(a.ci_high);
            b.execution_environment.overhead_pct = Some(d.overhead_pct);
            adjusted += 1;
        }
    }
    if adjusted > 0 {
        run.calibration_profile_id = Some(profile.profile_id.clone());
    }
    adjusted
}
