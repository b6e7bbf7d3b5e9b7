//! The calibration table: one section per dimension, one line per probe.

use std::fmt::Write;

use calibench_results::{CalibrationProfile, Dimension};

use crate::calibrate::check::CheckReport;

use super::format::quantity;

pub fn calibration_table(p: &CalibrationProfile) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "calibration {}{}  ({:.0} s of at most {:.0} s; target CI half-width {} pp)",
        p.profile_id,
        if p.aa { "  A/A: host against host" } else { "" },
        p.elapsed_s,
        p.max_time_s,
        p.target_ci_pct
    );
    let mut dims: Vec<Dimension> = p.probes.iter().map(|r| r.dimension).collect();
    dims.dedup();
    let other = if p.aa { "host (B)" } else { "container" };
    for dim in dims {
        let _ = writeln!(out, "\n{dim}");
        let _ = writeln!(
            out,
            "  {:<20} {:>10} {:>10} {:>9} {:>20} {:>6} {:>6}  {:<19} stopped by",
            "probe", "host", other, "overhead", "95% CI", "rounds", "time", "verdict"
        );
        for r in p.probes.iter().filter(|r| r.dimension == dim) {
            let throttled = match r.throttled_periods {
                Some(t) if t > 0 => format!("  ({t} throttled periods)"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {:<20} {:>10} {:>10} {:>+8.2}% {:>20} {:>6} {:>5.1}s  {:<19} {}{throttled}",
                r.probe,
                quantity(r.host_median, "s"),
                quantity(r.container_median, "s"),
                r.overhead_pct,
                format!("{:+.2} … {:+.2} %", r.ci_low_pct, r.ci_high_pct),
                r.rounds,
                r.seconds,
                r.verdict,
                r.stopped_by
            );
        }
    }
    if let Some(m) = &p.memory {
        let _ = writeln!(
            out,
            "\nmemory footprint: container cgroup peak {:.1} MiB vs host peak RSS {:.1} MiB, shim {} → overhead {:.1} MiB",
            m.container_cgroup_peak_mb,
            m.host_peak_rss_mb,
            m.shim_rss_mb.map_or("not found".to_string(), |s| format!("{s:.1} MiB")),
            p.memory_overhead_mb.unwrap_or(0.0)
        );
    }
    if let Some(s) = &p.start_latency {
        let _ = writeln!(
            out,
            "container start: create → first output {:.0} ms, → removed {:.0} ms; host spawn {:.1} ms; added {:.0} ms (95 % CI {:.0} … {:.0})",
            s.create_to_first_output_ms, s.create_to_removed_ms, s.host_spawn_ms, s.added_ms, s.added_ci_low_ms, s.added_ci_high_ms
        );
    }
    if !p.network.is_empty() {
        let _ = writeln!(
            out,
            "\nnetwork (added to each request; service results over the path lose it where additive)"
        );
        let _ = writeln!(
            out,
            "  {:<16} {:>8} {:>10} {:>10} {:>10} {:>22} {:>6}",
            "path", "server", "host p50", "path p50", "added", "95% CI", "rounds"
        );
        for n in &p.network {
            for s in &n.servers {
                let _ = writeln!(
                    out,
                    "  {:<16} {:>6.0}ms {:>7.1} µs {:>7.1} µs {:>+7.1} µs {:>22} {:>6}",
                    n.path.as_str(),
                    s.delay_ms,
                    s.host_p50_us,
                    s.container_p50_us,
                    s.added_us,
                    format!("{:+.1} … {:+.1} µs", s.ci_low_us, s.ci_high_us),
                    n.rounds
                );
            }
            let _ = writeln!(
                out,
                "  {:<16} {:>8} {:>10} {:>10} {:>+7.1} µs {:>22}  {}",
                n.path.as_str(),
                "both",
                "",
                "",
                n.added_us,
                format!("{:+.1} … {:+.1} µs", n.ci_low_us, n.ci_high_us),
                if n.additive {
                    "additive: adjusts service results".to_string()
                } else {
                    format!(
                        "not additive (1 ms server {:+.1} µs, {:+.1} … {:+.1}): adjusts nothing",
                        n.delay_effect_us, n.delay_effect_ci_low_us, n.delay_effect_ci_high_us
                    )
                }
            );
        }
    }
    for d in p
        .dimensions
        .iter()
        .filter(|d| d.between_probe_sd_pct.is_some())
    {
        let _ = writeln!(
            out,
            "\n{} adjusts by where another program is expected over its probes {}: {:+.2} % (95 % prediction {:+.2} … {:+.2} %), between the probes sd {:.2} %",
            d.dimension,
            d.probe,
            d.overhead_pct,
            d.ci_low_pct,
            d.ci_high_pct,
            d.between_probe_sd_pct.unwrap_or(0.0)
        );
    }
    if !p.pooled.is_empty() {
        let _ = writeln!(
            out,
            "\nadjusts with (this calibration pooled with the key's earlier ones, random effects)"
        );
        for d in &p.pooled {
            let _ = writeln!(
                out,
                "  {:<8} {:<20} {:>+8.2}% {:>20}  {} calibrations, between them sd {:.2} %",
                d.dimension.to_string(),
                d.probe,
                d.overhead_pct,
                format!("{:+.2} … {:+.2} %", d.ci_low_pct, d.ci_high_pct),
                d.calibrations,
                d.between_sd_pct
            );
        }
    }
    for n in &p.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// `calibrate --check`: the stored overhead against a fresh measurement, per dimension.
pub fn check_table(r: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "checking calibration profile {} (fresh measurement {}, not stored)",
        r.profile_id, r.check_id
    );
    let _ = writeln!(
        out,
        "  {:<8} {:<16} {:>26} {:>26} {:>26}  outcome",
        "dimension", "probe", "stored (95% CI)", "now (95% CI)", "difference (95% CI)"
    );
    let pct = |m: Option<f64>, l: Option<f64>, h: Option<f64>| match (m, l, h) {
        (Some(m), Some(l), Some(h)) => format!("{m:+.2} ({l:+.2} … {h:+.2}) %"),
        _ => "—".to_string(),
    };
    for d in &r.dimensions {
        let _ = writeln!(
            out,
            "  {:<8} {:<16} {:>26} {:>26} {:>26}  {}",
            d.dimension.to_string(),
            d.probe,
            pct(
                Some(d.stored_pct),
                Some(d.stored_ci_low_pct),
                Some(d.stored_ci_high_pct)
            ),
            pct(d.now_pct, d.now_ci_low_pct, d.now_ci_high_pct),
            pct(
                d.difference_pct,
                d.difference_ci_low_pct,
                d.difference_ci_high_pct
            ),
            d.outcome
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if r.holds {
            "the stored profile holds"
        } else {
            "the stored profile does NOT hold: run `calibench calibrate` with the same flags to re-measure and store it"
        }
    );
    out
}
