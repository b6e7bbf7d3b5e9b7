//! The containerisation overhead of work whose time is made of parts the container slows
//! by different ratios: an IO-bound program also starts, parses and computes, and that
//! CPU work takes the CPU dimension's ratio, not the synced writes'.
//!
//! Method: the work's time is a sum of parts, T = Σ tₖ, and each part is slowed by its
//! dimension's ratio, T′ = Σ tₖ·rₖ. Then T′/T = Σ (tₖ/T)·rₖ: the work's ratio is the mean
//! of its parts' ratios weighted by their shares of the time, so it lies between the
//! smallest and the largest of them whatever the shares are (the mean-value bound used
//! for ratios of sums). Where each part's ratio lies in its interval, the work's ratio
//! therefore lies between the lowest lower bound and the highest upper bound; that hull
//! is the interval given. The estimate weights the parts by a measured share of the time
//! (for IO work, the share of the runs' time off CPU); a share mismeasured moves the
//! estimate within the hull, never out of it.

use crate::overhead::OverheadInterval;

/// The overhead of work that spends `share` (0…1) of its time in the part `part` slows
/// and the rest in the part `rest` slows: the share-weighted ratio, and the hull of both
/// intervals. A share outside 0…1 (or not finite) is clamped: the hull holds regardless.
pub fn mixed(part: OverheadInterval, rest: OverheadInterval, share: f64) -> OverheadInterval {
    let w = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let low = part.low.min(rest.low);
    let high = part.high.max(rest.high);
    let estimate = w * part.estimate + (1.0 - w) * rest.estimate;
    OverheadInterval {
        estimate: estimate.clamp(low, high),
        low,
        high,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn iv(estimate: f64, low: f64, high: f64) -> OverheadInterval {
        OverheadInterval {
            estimate,
            low,
            high,
        }
    }

    #[test]
    fn the_estimate_weights_the_parts_by_their_share_of_the_time() {
        // 1 s of IO at +2 % and 3 s of CPU work at 0 %: 4 s become 4.02 s, +0.5 %.
        let m = mixed(iv(0.02, 0.01, 0.03), iv(0.0, -0.01, 0.01), 0.25);
        assert!(close(m.estimate, 0.005), "{m:?}");
        assert!(close(m.low, -0.01) && close(m.high, 0.03), "{m:?}");
    }

    #[test]
    fn whole_shares_give_one_part_alone_with_the_hull() {
        let io = iv(0.02, 0.015, 0.025);
        let cpu = iv(-0.01, -0.03, 0.04);
        let all_io = mixed(io, cpu, 1.0);
        assert!(close(all_io.estimate, 0.02), "{all_io:?}");
        assert!(
            close(all_io.low, -0.03) && close(all_io.high, 0.04),
            "{all_io:?}"
        );
        assert!(close(mixed(io, cpu, 0.0).estimate, -0.01));
        assert!(close(mixed(io, cpu, f64::NAN).estimate, 0.02));
        assert!(close(mixed(io, cpu, 7.0).estimate, 0.02));
    }

    #[test]
    fn the_ratio_of_any_sum_of_parts_lies_in_the_interval() {
        // Whatever the parts' times and wherever each ratio lies in its interval, the
        // sum's ratio lies in the mixture's interval.
        let io = iv(0.02, 0.01, 0.035);
        let cpu = iv(0.0, -0.02, 0.015);
        let hull = mixed(io, cpu, 0.5);
        for step in 0..=40 {
            let t_io = step as f64 / 10.0;
            let t_cpu = 4.0 - t_io + 0.001;
            for (r_io, r_cpu) in [
                (io.low, cpu.low),
                (io.high, cpu.high),
                (io.low, cpu.high),
                (io.high, cpu.low),
            ] {
                let ratio = (t_io * (1.0 + r_io) + t_cpu * (1.0 + r_cpu)) / (t_io + t_cpu) - 1.0;
                assert!(hull.low - 1e-12 <= ratio && ratio <= hull.high + 1e-12);
            }
        }
    }
}
