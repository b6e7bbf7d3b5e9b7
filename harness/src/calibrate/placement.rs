//! Does IO latency depend on the CPU a run lands on? The IO probe on the host, pinned to
//! each CPU the container may use in turn, in interleaved rounds (the order reversed
//! every other round, so drift falls on every CPU alike). Measured on a 2-vCPU machine
//! whose block device interrupts CPU 1 takes: a 4 KiB write + `fdatasync` took 150–158
//! µs pinned to CPU 1 and 218–222 µs pinned to CPU 0 (`taskset -c N calibench probe
//! io-fsync --work 256`, 30 runs each, twice). Unpinned, each run's figure is one or the
//! other; the IO probe's ratio in calibrations of unpinned configurations read −7.0 to
//! +13.6 % there, two calibrations of one configuration up to 6.6 % apart (τ), while
//! those pinned to CPU 0 read −2.7 to +1.8 % (docs/truth.md).

use calibench_calibrator::{placement, CONFIDENCE, DEFAULT_RESAMPLES};
use calibench_results::{CpuFigure, IoPlacement};
use calibench_suites::ProbeKind;

use super::error::CalibrationError;
use super::probes::{CalibrationProbe, Variant};
use super::rounds::Side;
use super::sides::HostSide;
use crate::launch::HostLauncher;

/// Runs per CPU: from 30 the interval is Price & Bonett's, which a few disturbed runs do
/// not widen as much as a bootstrap of 20 (one calibration read +30.8 %, −10.7 … +44.6
/// with 20). The probe runs in about 20 ms.
pub const ROUNDS: usize = 40;

/// The IO probe pinned to each of `cpus` (at least two) on the host.
pub fn io_placement(
    launcher: &HostLauncher,
    cpus: &[usize],
    seed: u64,
) -> Result<IoPlacement, CalibrationError> {
    let probe = CalibrationProbe::new(ProbeKind::IoFsync, Variant::Default, None);
    let mut sides: Vec<HostSide> = cpus
        .iter()
        .map(|&cpu| HostSide {
            launcher: HostLauncher {
                cpus: Some(vec![cpu]),
                ..launcher.clone()
            },
        })
        .collect();
    let mut figures = vec![Vec::with_capacity(ROUNDS); cpus.len()];
    for round in 0..ROUNDS {
        let mut order: Vec<usize> = (0..cpus.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            figures[i].push(sides[i].measure(&probe)?.value);
        }
    }
    let p = placement(&figures, CONFIDENCE, DEFAULT_RESAMPLES, seed)
        .map_err(|e| CalibrationError::Missing(format!("the IO placement check: {e}")))?;
    Ok(IoPlacement {
        probe: probe.label,
        cpus: cpus
            .iter()
            .zip(&p.medians)
            .map(|(&cpu, &median)| CpuFigure {
                cpu,
                median,
                runs: ROUNDS,
            })
            .collect(),
        spread_pct: p.spread * 100.0,
        ci_low_pct: p.ci_low * 100.0,
        ci_high_pct: p.ci_high * 100.0,
        depends: p.depends,
    })
}
