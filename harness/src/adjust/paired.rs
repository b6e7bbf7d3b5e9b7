//! The adjusted value against the host in a run on both sides, over the run's paired
//! rounds. An adjusted median and a host median, each from their own runs, differ by
//! both sides' noise and by the drift between the times their runs happened to take
//! (on a shared machine, several percent in a few minutes). The runs of one round on
//! each side are close in time, so the per-round ratio of block medians cancels the
//! drift; the interval is a t interval over ABBA cycles of two rounds
//! (`calibench_calibrator::paired_overhead`). The container's values are those the
//! adjustment uses (the limits' effect removed per run), and the ratio is then divided
//! by the factors that adjusted the median, each widening the interval by its own
//! (`calibench_calibrator::adjust`). Where the result's interval excludes 0, the profile
//! does not hold for this work on this machine.

use std::collections::BTreeMap;

use calibench_calibrator::{
    adjust, median, paired_overhead, Adjusted, OverheadInterval, CONFIDENCE,
};
use calibench_results::PairedRatio;

/// Medians of `values` per round, in round order; `None` where the two lists differ in
/// length (runs without round numbers).
fn round_medians(values: &[f64], rounds: &[u32]) -> Option<BTreeMap<u32, f64>> {
    if rounds.is_empty() || values.len() != rounds.len() {
        return None;
    }
    let mut by: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (v, r) in values.iter().zip(rounds) {
        by.entry(*r).or_default().push(*v);
    }
    Some(
        by.into_iter()
            .filter_map(|(r, v)| Some((r, median(&v).ok()?)))
            .collect(),
    )
}

/// The container's `values` (one per run, numbered by `rounds`) against the host's runs
/// over the rounds both ran, divided by each of `factors` in turn. `None` without two
/// paired rounds or with non-positive figures.
pub fn adjusted_vs_host(
    host: (&[f64], &[u32]),
    container: (&[f64], &[u32]),
    factors: &[OverheadInterval],
) -> Option<PairedRatio> {
    let h = round_medians(host.0, host.1)?;
    let c = round_medians(container.0, container.1)?;
    let (hs, cs): (Vec<f64>, Vec<f64>) = c
        .iter()
        .filter_map(|(r, cv)| Some((*h.get(r)?, *cv)))
        .unzip();
    let o = paired_overhead(&hs, &cs, CONFIDENCE).ok()?;
    let raw = Adjusted {
        median: 1.0 + o.overhead,
        ci_low: 1.0 + o.ci_low,
        ci_high: 1.0 + o.ci_high,
    };
    let a = factors
        .iter()
        .try_fold(raw, |a, f| adjust(a.median, a.ci_low, a.ci_high, *f))
        .ok()?;
    Some(PairedRatio {
        rounds: o.rounds,
        change_pct: (a.median - 1.0) * 100.0,
        ci_low_pct: (a.ci_low - 1.0) * 100.0,
        ci_high_pct: (a.ci_high - 1.0) * 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figure where one must exist.
    fn paired(h: (&[f64], &[u32]), c: (&[f64], &[u32]), f: &[OverheadInterval]) -> PairedRatio {
        adjusted_vs_host(h, c, f).expect("two paired rounds or more")
    }

    fn none() -> OverheadInterval {
        OverheadInterval::from_pct(0.0, 0.0, 0.0)
    }

    /// Eight rounds of two runs a side; the host drifts 30 % slower over the run and
    /// the container is `c` times the host in every round.
    fn drifting(c: f64) -> (Vec<f64>, Vec<f64>, Vec<u32>) {
        let mut host = Vec::new();
        let mut cont = Vec::new();
        let mut rounds = Vec::new();
        for r in 0..8u32 {
            let base = 1.0 + 0.3 * f64::from(r) / 7.0;
            for k in 0..2 {
                let jitter = 1.0 + 0.002 * f64::from(k);
                host.push(base * jitter);
                cont.push(base * c * jitter);
                rounds.push(r);
            }
        }
        (host, cont, rounds)
    }

    #[test]
    fn drift_between_rounds_cancels_and_the_factors_divide_it() {
        let (host, cont, rounds) = drifting(1.10);
        let raw = paired((&host, &rounds), (&cont, &rounds), &[none()]);
        assert_eq!(raw.rounds, 8);
        assert!((raw.change_pct - 10.0).abs() < 1e-9, "{raw:?}");
        // No factor at all: the raw paired ratio.
        let bare = paired((&host, &rounds), (&cont, &rounds), &[]);
        assert!((bare.change_pct - 10.0).abs() < 1e-9, "{bare:?}");
        // A 10 % overhead, known exactly, leaves the container's runs the host's.
        let ten = OverheadInterval::from_pct(10.0, 10.0, 10.0);
        let adj = paired((&host, &rounds), (&cont, &rounds), &[ten]);
        assert!(adj.change_pct.abs() < 1e-9, "{adj:?}");
        // Two factors divide in turn: 1.10 / (1.05 · 1.05) − 1.
        let five = OverheadInterval::from_pct(5.0, 5.0, 5.0);
        let two = paired((&host, &rounds), (&cont, &rounds), &[five, five]);
        assert!((two.change_pct - (1.10 / 1.05 / 1.05 - 1.0) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn the_factors_uncertainty_widens_the_interval() {
        let (host, cont, rounds) = drifting(1.10);
        let exact = paired(
            (&host, &rounds),
            (&cont, &rounds),
            &[OverheadInterval::from_pct(10.0, 10.0, 10.0)],
        );
        let loose = paired(
            (&host, &rounds),
            (&cont, &rounds),
            &[OverheadInterval::from_pct(10.0, 7.0, 13.0)],
        );
        assert!(
            loose.ci_low_pct < exact.ci_low_pct - 2.0,
            "{loose:?} {exact:?}"
        );
        assert!(
            loose.ci_high_pct > exact.ci_high_pct + 2.0,
            "{loose:?} {exact:?}"
        );
        assert!(loose.ci_low_pct <= 0.0 && 0.0 <= loose.ci_high_pct);
    }

    #[test]
    fn only_rounds_both_sides_ran_are_paired() {
        let (host, cont, rounds) = drifting(1.10);
        // The host ran two more rounds alone, much slower: they pair with nothing.
        let mut h = host.clone();
        let mut hr = rounds.clone();
        h.extend([9.0, 9.0]);
        hr.extend([8, 9]);
        let r = paired((&h, &hr), (&cont, &rounds), &[none()]);
        assert_eq!(r.rounds, 8);
        assert!((r.change_pct - 10.0).abs() < 1e-9);
    }

    #[test]
    fn runs_without_round_numbers_give_nothing() {
        let (host, cont, rounds) = drifting(1.10);
        assert!(adjusted_vs_host((&host, &[]), (&cont, &rounds), &[none()]).is_none());
        assert!(adjusted_vs_host((&host, &rounds), (&cont, &rounds[1..]), &[none()]).is_none());
        // One round is no pair of rounds.
        let one = [0u32, 0];
        assert!(adjusted_vs_host((&host[..2], &one), (&cont[..2], &one), &[none()]).is_none());
    }
}
