//! Distribution functions, from `statrs` (regularised incomplete gamma and beta
//! functions, accurate to double precision), so that no hand-written approximation
//! decides a p-value or an interval.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

fn standard_normal() -> Normal {
    // Mean 0 and sd 1 are always valid parameters.
    Normal::standard()
}

/// Quantile of the standard normal distribution; `p` is clamped into (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    standard_normal().inverse_cdf(p.clamp(1e-300, 1.0 - 1e-16))
}

/// Upper tail P(Z > z) of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    standard_normal().sf(z)
}

/// Above this many degrees of freedom t is the normal distribution to 1e-6 (and statrs'
/// inverse t search does not end at very large df).
const T_IS_NORMAL_DF: f64 = 1e6;

/// Quantile of Student's t with `df` degrees of freedom (df > 0); the normal quantile
/// when `df` is not a usable number of degrees of freedom or beyond `T_IS_NORMAL_DF`.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) if df.is_finite() && df < T_IS_NORMAL_DF => {
            t.inverse_cdf(p.clamp(1e-300, 1.0 - 1e-16))
        }
        _ => normal_quantile(p),
    }
}

/// Upper tail P(T > t) of Student's t with `df` degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) if df.is_finite() && df < T_IS_NORMAL_DF => dist.sf(t),
        _ => normal_sf(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_degrees_of_freedom_are_the_normal() {
        assert!((t_quantile(0.975, 1e9) - 1.959964).abs() < 1e-5);
        assert!((t_sf(1.959964, 1e12) - 0.025).abs() < 1e-6);
    }

    /// Reference values from R 4.3 (`qnorm`, `pnorm(lower.tail = FALSE)`, `qt`).
    #[test]
    fn known_answers_to_1e_9() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.abs().max(1.0);
        assert!(close(normal_quantile(0.975), 1.959_963_984_540_054));
        assert!(close(normal_quantile(0.8), 0.841_621_233_572_914_2));
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!(close(normal_sf(1.959_963_984_540_054), 0.025));
        assert!(close(normal_sf(-1.0), 0.841_344_746_068_542_9));
        assert!(close(normal_sf(3.0), 0.001_349_898_031_630_094_5));
        // df = 4 has a closed form: 1/2 − t(t² + 6) / (2 (t² + 4)^{3/2}).
        assert!(close(t_sf(2.5, 4.0), 0.033_383_272_405_994_04));
        for (df, want) in [
            (1.0, 12.706_204_736_174_7),
            (2.0, 4.302_652_729_749_464),
            (5.0, 2.570_581_835_636_314),
            (9.0, 2.262_157_162_798_205),
            (29.0, 2.045_229_642_132_703),
        ] {
            let got = t_quantile(0.975, df);
            assert!(close(got, want), "df {df}: {got} against {want}");
        }
    }
}
