//! The run table printed after `calibench run` and by `calibench show`.

use std::fmt::Write;

use calibench_results::{BenchmarkResult, RunReport, Runtime, Status};

use super::format::{percent, quantity, truncate};

/// Renders a run as an aligned text table, then the failures in full.
pub fn run_table(run: &RunReport) -> String {
    let header = [
        "benchmark",
        "runtime",
        "n",
        "median",
        "95% CI",
        "±",
        "mean ± sd",
        "vs host",
        "status",
    ];
    let mut rows: Vec<[String; 9]> = Vec::new();
    // Group each benchmark's runtimes together, host first, in suite order.
    let mut ordered: Vec<&BenchmarkResult> = run.benchmarks.iter().collect();
    let first_seen = |name: &str| run.benchmarks.iter().position(|x| x.name == name);
    ordered.sort_by_key(|b| (first_seen(&b.name), b.runtime));
    for b in ordered {
        let host_median = run
            .benchmarks
            .iter()
            .find(|h| h.name == b.name && h.runtime == Runtime::Host)
            .and_then(|h| h.median);
        rows.push(row(b, host_median));
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {}  suite {}  tag {}  context {}",
        run.run_id,
        run.suite,
        run.tag.as_deref().unwrap_or("-"),
        run.context
    );
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(widths.iter())
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w.saturating_sub(c.chars().count());
                if (2..=7).contains(&i) {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(str::to_string)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    for b in run.benchmarks.iter().filter(|b| b.status == Status::Failed) {
        let _ = writeln!(
            out,
            "FAILED {} ({}): {}",
            b.name,
            b.runtime.as_str(),
            b.failure.as_deref().unwrap_or("unknown reason")
        );
    }
    for b in &run.benchmarks {
        if let Some(why) = &b.execution_environment.not_adjustable {
            let _ = writeln!(
                out,
                "not adjusted {} ({}): {why}",
                b.name,
                b.runtime.as_str()
            );
        }
    }
    for line in run.benchmarks.iter().filter_map(adjusted_line) {
        let _ = writeln!(out, "{line}");
    }
    let services: Vec<&BenchmarkResult> = run
        .benchmarks
        .iter()
        .filter(|b| b.execution_environment.service.is_some())
        .collect();
    if !services.is_empty() {
        let _ = writeln!(
            out,
            "\nservice latency (all measured windows, from each request's intended send time)"
        );
        for b in services {
            if let Some(s) = &b.execution_environment.service {
                let l = &s.latency;
                let t = |v: f64| quantity(v, "s");
                let _ = writeln!(
                    out,
                    "  {} ({}, {}): p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (from send: p50 {}  p99 {})  {:.1} req/s of {:.0} asked  errors {} of {}",
                    b.name,
                    b.runtime.as_str(),
                    s.path.as_str(),
                    t(l.p50),
                    t(l.p90),
                    t(l.p99),
                    t(l.p999),
                    t(l.max),
                    t(s.service_time.p50),
                    t(s.service_time.p99),
                    s.throughput,
                    s.target_rate,
                    s.non_2xx + s.timeouts + s.connection_errors,
                    s.requests
                );
            }
        }
    }
    for n in &run.notices {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// What a profile made of a container result: the adjusted median with its interval and
/// what was removed to get it.
fn adjusted_line(b: &BenchmarkResult) -> Option<String> {
    let median = b.adjusted_median?;
    let q = |v: f64| quantity(v, &b.unit);
    let env = &b.execution_environment;
    let ci = match (b.adjusted_ci_low, b.adjusted_ci_high) {
        (Some(lo), Some(hi)) => format!(" (95% CI {} – {})", q(lo), q(hi)),
        _ => String::new(),
    };
    let mixture = env.io_share.map_or(String::new(), |share| {
        format!(
            "; io on the {:.0} % of the time off CPU, cpu on the rest",
            share * 100.0
        )
    });
    let overhead = match (
        env.overhead_pct,
        env.overhead_ci_low_pct,
        env.overhead_ci_high_pct,
    ) {
        (Some(o), Some(lo), Some(hi)) => format!("{} ({lo:+.1}…{hi:+.1}{mixture})", percent(o)),
        (Some(o), _, _) => percent(o),
        _ => "-".into(),
    };
    let removed = match (env.network_added_us, env.throttled_removed_s) {
        (Some(us), _) => format!("the network path's {us:.1} µs a request removed"),
        (None, Some(s)) => match env.quota_effect {
            Some(e) => format!(
                "{} of throttled time removed from a median run, then the quota's effect on the work {} ({:+.1}…{:+.1}, {} blocks against a quota-free twin), then the containerisation overhead {overhead}",
                q(s),
                percent(e.change_pct),
                e.ci_low_pct,
                e.ci_high_pct,
                e.rounds
            ),
            None => format!(
                "{} of throttled time removed from a median run, then the containerisation overhead {overhead}; the quota's effect on the work itself stays in (docs/truth.md)",
                q(s)
            ),
        },
        (None, None) => format!("the containerisation overhead {overhead} removed"),
    };
    // Where the host ran in the same rounds: the adjusted value against it, paired.
    let held = env.adjusted_vs_host.map_or(String::new(), |p| {
        format!(
            "; against the host in the same {} rounds {} ({:+.1}…{:+.1})",
            p.rounds,
            percent(p.change_pct),
            p.ci_low_pct,
            p.ci_high_pct
        )
    });
    Some(format!(
        "adjusted {} ({}): {}{ci}, {removed}{held}",
        b.name,
        b.runtime.as_str(),
        q(median)
    ))
}

fn row(b: &BenchmarkResult, host_median: Option<f64>) -> [String; 9] {
    let q = |v: Option<f64>| v.map_or("-".to_string(), |v| quantity(v, &b.unit));
    let ci = match (b.ci_low, b.ci_high) {
        (Some(lo), Some(hi)) => format!("{} – {}", quantity(lo, &b.unit), quantity(hi, &b.unit)),
        _ => "-".into(),
    };
    // The precision reached: the interval's half-width relative to the median.
    let precision = match (b.ci_low, b.ci_high, b.median) {
        (Some(lo), Some(hi), Some(m)) if m > 0.0 => format!("{:.1} %", (hi - lo) / 2.0 / m * 100.0),
        _ => "-".into(),
    };
    let spread = match (b.mean, b.stddev) {
        (Some(m), Some(sd)) => format!("{} ± {}", quantity(m, &b.unit), quantity(sd, &b.unit)),
        _ => "-".into(),
    };
    // Interleaved runs give the paired ratio with its interval; otherwise the ratio of
    // the two medians, which drift between the sides can move.
    let vs_host = match (b.runtime, &b.execution_environment.paired_with_host) {
        (Runtime::Docker, Some(p)) => format!(
            "{} ({:+.1}…{:+.1})",
            percent(p.change_pct),
            p.ci_low_pct,
            p.ci_high_pct
        ),
        _ => match (b.runtime, b.median, host_median) {
            (Runtime::Docker, Some(m), Some(h)) if h > 0.0 => percent((m / h - 1.0) * 100.0),
            _ => String::new(),
        },
    };
    let status = match b.status {
        Status::Ok => "ok".to_string(),
        Status::Failed => format!(
            "FAILED: {}",
            truncate(b.failure.as_deref().unwrap_or(""), 40)
        ),
    };
    [
        b.name.clone(),
        b.runtime.as_str().to_string(),
        b.n.to_string(),
        q(b.median),
        ci,
        precision,
        spread,
        vs_host,
        status,
    ]
}

#[cfg(test)]
mod tests {
    use calibench_results::testing::{fixture_result, fixture_run};
    use calibench_results::{Runtime, Status};

    use super::run_table;

    #[test]
    fn run_table_snapshot() {
        let mut run = fixture_run(Some("v1.4.0"), 0, 0);
        run.benchmarks.push(fixture_result(
            "gzip",
            Runtime::Host,
            vec![0.10, 0.11, 0.12],
        ));
        let mut docker = fixture_result("gzip", Runtime::Docker, vec![0.105, 0.115, 0.125]);
        docker.execution_environment.runtime = Runtime::Docker;
        // Adjusted after its throttled time was removed.
        docker.adjusted_median = Some(0.1);
        docker.adjusted_ci_low = Some(0.095);
        docker.adjusted_ci_high = Some(0.106);
        docker.execution_environment.overhead_pct = Some(0.4);
        docker.execution_environment.overhead_ci_low_pct = Some(-0.3);
        docker.execution_environment.overhead_ci_high_pct = Some(1.1);
        docker.execution_environment.throttled_removed_s = Some(0.0512);
        docker.execution_environment.quota_effect = Some(calibench_results::PairedRatio {
            rounds: 12,
            change_pct: 2.1,
            ci_low_pct: 1.2,
            ci_high_pct: 3.0,
        });
        docker.execution_environment.adjusted_vs_host = Some(calibench_results::PairedRatio {
            rounds: 12,
            change_pct: -0.8,
            ci_low_pct: -3.9,
            ci_high_pct: 2.4,
        });
        run.benchmarks.push(docker);
        // An IO program adjusted by the io ratio for its time off CPU, cpu for the rest.
        let mut fio = fixture_result("fio", Runtime::Docker, vec![0.30, 0.31, 0.32]);
        fio.execution_environment.runtime = Runtime::Docker;
        fio.adjusted_median = Some(0.308);
        fio.adjusted_ci_low = Some(0.29);
        fio.adjusted_ci_high = Some(0.33);
        let env = &mut fio.execution_environment;
        (env.overhead_pct, env.overhead_ci_low_pct) = (Some(0.6), Some(-3.0));
        (env.overhead_ci_high_pct, env.io_share) = (Some(5.7), Some(0.54));
        run.benchmarks.push(fio);
        let mut failed = fixture_result("crash", Runtime::Host, vec![]);
        failed.status = Status::Failed;
        failed.failure = Some("exit status 3: stderr tail".into());
        run.benchmarks.push(failed);
        let mut service = fixture_result("api", Runtime::Docker, vec![0.0021, 0.0022, 0.0023]);
        service.execution_environment.runtime = Runtime::Docker;
        service.execution_environment.service = Some(calibench_results::ServiceReport {
            path: calibench_results::NetworkPath::PublishedPort,
            address: "127.0.0.1:32768".into(),
            target_rate: 200.0,
            connections: 4,
            measured_s: 10.0,
            requests: 2000,
            ok: 1998,
            non_2xx: 0,
            timeouts: 2,
            connection_errors: 0,
            throughput: 199.8,
            latency: calibench_results::LatencyPercentiles {
                p50: 0.0022,
                p90: 0.0031,
                p99: 0.0047,
                p999: 0.0102,
                max: 0.0153,
                mean: 0.0024,
            },
            service_time: calibench_results::LatencyPercentiles {
                p50: 0.0021,
                p90: 0.0029,
                p99: 0.0041,
                p999: 0.0090,
                max: 0.0120,
                mean: 0.0022,
            },
        });
        run.benchmarks.push(service);
        insta::with_settings!({filters => vec![
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[run-id]"),
        ]}, {
            insta::assert_snapshot!(run_table(&run));
        });
    }
}
