//! Service results (the network dimension): adjusted by the time their network path adds
//! to a request, not by a ratio.

use calibench_calibrator::{median, median_ci, CONFIDENCE};
use calibench_results::{BenchmarkResult, CalibrationProfile};

/// A service result over a path the profile measured: the median loses the path's added
/// time, and the interval widens by the cost's own (half-widths in quadrature, as the
/// ratio's are combined in `calibench_calibrator::adjust`). The ratio this amounts to
/// for this result is recorded as its overhead so that comparisons of adjusted values
/// carry the cost's uncertainty. A cost as large as the latency itself is not adjusted.
pub(super) fn adjust_network(b: &mut BenchmarkResult, profile: &CalibrationProfile) -> bool {
    let Some(path) = b.execution_environment.service.as_ref().map(|s| s.path) else {
        return false;
    };
    let Some(cost) = profile.network_cost(path) else {
        return false;
    };
    if !cost.additive {
        b.execution_environment.not_adjustable = Some(format!(
            "the {} path's cost was not one addition per request when calibrated: {:+.0} µs a request to a server answering at once, {:+.0} µs more (95 % CI {:+.0} … {:+.0}) to one answering after 1 ms; compare with the host in one run (--runtime both) instead",
            path.as_str(),
            cost.servers.first().map_or(cost.added_us, |s| s.added_us),
            cost.delay_effect_us,
            cost.delay_effect_ci_low_us,
            cost.delay_effect_ci_high_us
        ));
        return false;
    }
    let (Ok(m), Ok(ci)) = (median(&b.samples), median_ci(&b.samples, CONFIDENCE)) else {
        return false;
    };
    let (added, low, high) = (
        cost.added_us / 1e6,
        cost.ci_low_us / 1e6,
        cost.ci_high_us / 1e6,
    );
    let value = m - added;
    if value <= 0.0 || m - high <= 0.0 {
        b.execution_environment.not_adjustable = Some(format!(
            "the {} path adds {:.0} µs (95 % CI up to {:.0}) a request, as much as the median latency {:.0} µs itself",
            path.as_str(),
            cost.added_us,
            cost.ci_high_us,
            m * 1e6
        ));
        return false;
    }
    let down = (m - ci.low.min(m)).hypot(high - added);
    let up = (ci.high.max(m) - m).hypot(added - low);
    b.adjusted_median = Some(value);
    b.adjusted_ci_low = Some((value - down).max(f64::MIN_POSITIVE));
    b.adjusted_ci_high = Some(value + up);
    let pct = |a: f64| (m / (m - a) - 1.0) * 100.0;
    let env = &mut b.execution_environment;
    env.overhead_pct = Some(pct(added));
    env.overhead_ci_low_pct = Some(pct(low));
    env.overhead_ci_high_pct = Some(pct(high));
    env.network_added_us = Some(cost.added_us);
    true
}

#[cfg(test)]
mod tests {
    use calibench_calibrator::{Dimension, Verdict};
    use calibench_results::testing::{fixture_profile, fixture_result, fixture_run};
    use calibench_results::{
        LatencyPercentiles, NetworkCost, NetworkPath, RunReport, Runtime, ServiceReport,
    };

    use super::super::apply_profile;
    use super::*;

    /// Window medians of a service over a published port, seconds (median 200 µs).
    const P50S: [f64; 8] = [
        190e-6, 195e-6, 198e-6, 200e-6, 200e-6, 202e-6, 205e-6, 210e-6,
    ];

    fn service_run(path: NetworkPath) -> RunReport {
        let mut run = fixture_run(None, 0, 0);
        let mut r = fixture_result("api", Runtime::Docker, P50S.to_vec());
        r.dimension = Dimension::Network;
        r.execution_environment.runtime = Runtime::Docker;
        r.execution_environment.service = Some(ServiceReport {
            path,
            address: "127.0.0.1:1".into(),
            target_rate: 100.0,
            connections: 1,
            measured_s: 1.0,
            requests: 100,
            ok: 100,
            non_2xx: 0,
            timeouts: 0,
            connection_errors: 0,
            throughput: 100.0,
            latency: LatencyPercentiles::default(),
            service_time: LatencyPercentiles::default(),
        });
        run.benchmarks.push(r);
        run
    }

    fn profile(added_us: f64, low: f64, high: f64) -> CalibrationProfile {
        // A ratio for the latency dimension that must not touch service results.
        let mut p = fixture_profile(Dimension::Latency, 50.0, 40.0, 60.0, Verdict::Overhead);
        p.network = vec![NetworkCost {
            path: NetworkPath::PublishedPort,
            rounds: 20,
            servers: Vec::new(),
            added_us,
            ci_low_us: low,
            ci_high_us: high,
            delay_effect_us: 0.0,
            delay_effect_ci_low_us: -5.0,
            delay_effect_ci_high_us: 5.0,
            additive: true,
        }];
        p
    }

    #[test]
    fn a_service_result_loses_its_paths_added_time_not_a_ratio() {
        let mut run = service_run(NetworkPath::PublishedPort);
        assert_eq!(apply_profile(&mut run, &profile(140.0, 130.0, 150.0)), 1);
        let b = &run.benchmarks[0];
        let (Some(adj), Some(lo), Some(hi)) =
            (b.adjusted_median, b.adjusted_ci_low, b.adjusted_ci_high)
        else {
            panic!("not adjusted: {b:?}");
        };
        assert!((adj - 60e-6).abs() < 1e-12, "{adj}");
        // The cost's own ±10 µs widens the interval on both sides.
        assert!(lo < adj - 10e-6 && hi > adj + 10e-6, "{lo} {hi}");
        assert_eq!(b.execution_environment.network_added_us, Some(140.0));
        // 200 µs → 60 µs is a ratio of 200/60 for this result.
        let pct = b.execution_environment.overhead_pct.unwrap_or(0.0);
        assert!((pct - (200.0 / 60.0 - 1.0) * 100.0).abs() < 1e-6, "{pct}");
        assert_eq!(b.samples, P50S.to_vec());
    }

    #[test]
    fn a_path_not_measured_a_cost_as_large_as_the_latency_or_not_additive_is_not_adjusted() {
        let mut other = service_run(NetworkPath::BridgeAddress);
        assert_eq!(apply_profile(&mut other, &profile(140.0, 130.0, 150.0)), 0);
        assert!(other.benchmarks[0].adjusted_median.is_none());
        let mut larger = service_run(NetworkPath::PublishedPort);
        assert_eq!(apply_profile(&mut larger, &profile(190.0, 150.0, 230.0)), 0);
        let mut varying = service_run(NetworkPath::PublishedPort);
        let mut p = profile(140.0, 130.0, 150.0);
        p.network[0].additive = false;
        assert_eq!(apply_profile(&mut varying, &p), 0);
        for (run, words) in [(&larger, "as much as"), (&varying, "not one addition")] {
            let b = &run.benchmarks[0];
            assert!(b.adjusted_median.is_none());
            assert!(
                b.execution_environment
                    .not_adjustable
                    .as_deref()
                    .is_some_and(|w| w.contains("published_port") && w.contains(words)),
                "{b:?}"
            );
        }
    }
}
