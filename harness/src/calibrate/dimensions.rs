//! From probes to the overhead that adjusts each dimension.
//!
//! Most dimensions are adjusted by their representative probe. The CPU dimension is
//! measured by three different CPU-bound programs (a single-threaded integer and float
//! kernel timed as a whole process, the kernel on several threads, and a sort of 8 MiB
//! of integers whose branches and memory accesses the kernel lacks), and a command the
//! profile later adjusts is yet another program: its ratio is expected where the
//! random-effects *prediction* over the probes puts it (`calibench_calibrator::predict`),
//! the probes' disagreement (τ) included. One probe's interval says only where that
//! probe's ratio lies; on one machine the single-threaded kernel read the container 3 %
//! slower in every calibration while sysbench and gzip read it as fast as the host. With
//! two probes τ² rests on one degree of freedom: the two kernels agreed within ±0.5 %
//! in an hour when sysbench and gzip, raw, differed by 3.2 points, and three CPU-bound
//! results fell outside their intervals. Three probes agreeing does not show that
//! programs do either, so τ is taken as at least 0.5 % (`MIN_BETWEEN_PROBE_SD`, with
//! the measurements that size it).
//!
//! The IO dimension is predicted the same way over three synced 4 KiB writes in the
//! bind-mounted work directory, one per path the file system takes to commit them:
//! appended to a new file (each fdatasync commits a size change too), written over a
//! laid-out file (data only), and written into a preallocated file (each fdatasync
//! commits an unwritten extent's conversion, as with fio's default `fallocate`). On one
//! machine the first read the container 2 % slower in the hour that fio, writing 16 MiB,
//! ran 5 % faster in it than on the host: what containerisation costs IO depends on the
//! program.

use calibench_calibrator::{
    predict, verdict, LogEstimate, OverheadInterval, Verdict, CONFIDENCE, MIN_BETWEEN_PROBE_SD,
};
use calibench_results::{DimensionOverhead, ProbeOverhead};

use super::probes::{family_member, is_representative, CalibrationProbe};

/// A probe's overhead on the log scale, its standard error read off its interval.
fn log_estimate(r: &ProbeOverhead) -> Option<LogEstimate> {
    let o = OverheadInterval::from_pct(r.overhead_pct, r.ci_low_pct, r.ci_high_pct);
    LogEstimate::from_probe_interval(o, CONFIDENCE)
        .ok()
        .filter(|e| e.se > 0.0)
}

fn own(r: &ProbeOverhead) -> DimensionOverhead {
    DimensionOverhead {
        dimension: r.dimension,
        probe: r.probe.clone(),
        overhead_pct: r.overhead_pct,
        ci_low_pct: r.ci_low_pct,
        ci_high_pct: r.ci_high_pct,
        verdict: r.verdict,
        rounds: r.rounds,
        between_probe_sd_pct: None,
    }
}

/// The overhead per dimension, in the order the representatives were measured. Probes
/// with too few rounds take no part.
pub fn dimension_overheads(
    results: &[(CalibrationProbe, ProbeOverhead)],
) -> Vec<DimensionOverhead> {
    let usable = |r: &ProbeOverhead| r.verdict != Verdict::TooFewRounds;
    let mut out = Vec::new();
    for (p, r) in results
        .iter()
        .filter(|(p, r)| is_representative(p) && usable(r))
    {
        let members: Vec<&ProbeOverhead> = results
            .iter()
            .filter(|(q, m)| q.dimension() == p.dimension() && family_member(q) && usable(m))
            .map(|(_, m)| m)
            .collect();
        let estimates: Option<Vec<LogEstimate>> = members.iter().map(|m| log_estimate(m)).collect();
        let prediction = match (family_member(p), estimates) {
            (true, Some(e)) if e.len() >= 2 => predict(&e, CONFIDENCE, MIN_BETWEEN_PROBE_SD).ok(),
            _ => None,
        };
        out.push(match prediction {
            Some(w) => DimensionOverhead {
                dimension: r.dimension,
                probe: members
                    .iter()
                    .map(|m| m.probe.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
                overhead_pct: w.estimate * 100.0,
                ci_low_pct: w.low * 100.0,
                ci_high_pct: w.high * 100.0,
                verdict: verdict(w.low, w.high),
                rounds: members.iter().map(|m| m.rounds).sum(),
                between_probe_sd_pct: Some(w.tau * 100.0),
            },
            None => own(r),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use calibench_calibrator::StopReason;
    use calibench_suites::{Dimension, ProbeKind};

    use super::super::probes::{catalogue, Variant};
    use super::*;

    fn result(probe: &CalibrationProbe, pct: f64, half: f64, rounds: usize) -> ProbeOverhead {
        ProbeOverhead {
            dimension: probe.dimension(),
            probe: probe.label.clone(),
            host_median: 0.1,
            container_median: 0.1,
            overhead_pct: pct,
            ci_low_pct: pct - half,
            ci_high_pct: pct + half,
            rounds,
            verdict: if rounds >= 10 {
                verdict((pct - half) / 100.0, (pct + half) / 100.0)
            } else {
                Verdict::TooFewRounds
            },
            stopped_by: StopReason::Time,
            seconds: 10.0,
            throttled_periods: None,
            raw_container_median: None,
            pairs_for_1pct: None,
        }
    }

    fn cpu() -> CalibrationProbe {
        catalogue(&[Dimension::Cpu])[0].clone()
    }

    fn threads() -> CalibrationProbe {
        catalogue(&[Dimension::Cpu])[1].clone()
    }

    #[test]
    fn cpu_probes_that_disagree_widen_the_dimension_s_interval_to_cover_both() {
        let (a, b) = (cpu(), threads());
        let rs = vec![
            (a.clone(), result(&a, 3.5, 1.0, 60)),
            (b.clone(), result(&b, 0.2, 1.0, 60)),
        ];
        let d = dimension_overheads(&rs);
        assert_eq!(d.len(), 1);
        let cpu = &d[0];
        assert_eq!(cpu.probe, "cpu+cpu-threads");
        assert_eq!(cpu.rounds, 120);
        let tau = cpu.between_probe_sd_pct.expect("a prediction");
        assert!(tau > 1.0, "τ {tau}");
        assert!(cpu.overhead_pct > 0.2 && cpu.overhead_pct < 3.5);
        assert!(cpu.ci_low_pct < 0.2 && cpu.ci_high_pct > 3.5, "{cpu:?}");
    }

    #[test]
    fn cpu_probes_that_agree_closely_still_predict_a_program_within_the_floor_s_spread() {
        let (a, b) = (cpu(), threads());
        let rs = vec![
            (a.clone(), result(&a, 0.3, 0.1, 60)),
            (b.clone(), result(&b, 0.3, 0.1, 60)),
        ];
        let cpu = &dimension_overheads(&rs)[0];
        assert_eq!(cpu.between_probe_sd_pct, Some(MIN_BETWEEN_PROBE_SD * 100.0));
        // ±1.96 × √(0.5² + 0.07²/2) ≈ ±0.98 points around +0.3 %.
        assert!(cpu.ci_low_pct < -0.6 && cpu.ci_high_pct > 1.2, "{cpu:?}");
    }

    #[test]
    fn one_usable_probe_and_probes_outside_the_family_keep_the_representative_s_interval() {
        let (a, b) = (cpu(), threads());
        let rs = vec![
            (a.clone(), result(&a, 3.5, 1.0, 60)),
            (b.clone(), result(&b, 0.2, 1.0, 6)),
        ];
        let d = dimension_overheads(&rs);
        assert_eq!(d[0].probe, "cpu");
        assert_eq!(d[0].between_probe_sd_pct, None);
        assert!((d[0].ci_high_pct - 4.5).abs() < 1e-12);
        let io = CalibrationProbe::new(ProbeKind::IoFsync, Variant::Default, None);
        let layer = CalibrationProbe::new(ProbeKind::IoFsync, Variant::WritableLayer, None);
        let rs = vec![
            (io.clone(), result(&io, 1.0, 1.0, 40)),
            (layer.clone(), result(&layer, 30.0, 2.0, 40)),
        ];
        let d = dimension_overheads(&rs);
        assert_eq!((d.len(), d[0].probe.as_str()), (1, "io-fsync@bind"));
        assert!((d[0].overhead_pct - 1.0).abs() < 1e-12);
    }

    #[test]
    fn io_is_predicted_over_the_synced_writes_in_the_work_directory_only() {
        let io = catalogue(&[Dimension::Io]);
        let label = |p: &CalibrationProbe| p.label.clone();
        assert_eq!(
            io.iter().take(3).map(label).collect::<Vec<_>>(),
            ["io-fsync@bind", "io-overwrite@bind", "io-prealloc@bind"]
        );
        // Appending reads the container 2 % slower, overwriting 5 % faster; the layer and
        // the sequential probe measure other things and take no part.
        let pct = |p: &CalibrationProbe| match p.label.as_str() {
            "io-fsync@bind" => 2.0,
            "io-overwrite@bind" => -5.0,
            "io-prealloc@bind" => -1.0,
            _ => 40.0,
        };
        let rs: Vec<_> = io
            .iter()
            .map(|p| (p.clone(), result(p, pct(p), 1.0, 40)))
            .collect();
        let d = dimension_overheads(&rs);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].probe,
            "io-fsync@bind+io-overwrite@bind+io-prealloc@bind"
        );
        assert_eq!(d[0].rounds, 120);
        assert!(
            d[0].overhead_pct > -5.0 && d[0].overhead_pct < 2.0,
            "{:?}",
            d[0]
        );
        assert!(
            d[0].ci_low_pct < -5.0 && d[0].ci_high_pct > 2.0,
            "{:?}",
            d[0]
        );
        assert!(d[0].between_probe_sd_pct.expect("a prediction") > 2.0);
    }
}
