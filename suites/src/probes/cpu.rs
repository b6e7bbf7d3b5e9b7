//! CPU probes: a fixed integer + floating-point kernel, and a sort of pseudo-random
//! integers (branches that cannot be predicted, memory beyond the core's own caches),
//! timed inside the process so that process start-up does not blur the figure.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

/// Iterations for about 30–60 ms on a current x86-64 core.
pub const DEFAULT_WORK: u64 = 12_000_000;

/// One step of xorshift64*: advances the state `x` and returns the next output.
fn xorshift_star(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// The kernel: xorshift64* integer mixing feeding a dependent floating-point recurrence.
/// Dependent chains keep the compiler from vectorising away the work.
fn kernel(iterations: u64, seed: u64) -> f64 {
    let mut x = seed | 1;
    let mut acc = 0.5f64;
    for _ in 0..iterations {
        let r = xorshift_star(&mut x);
        acc = acc.mul_add(0.999_999, (r >> 40) as f64 * 1e-9);
    }
    acc + (x & 1) as f64
}

/// Seconds for `work` iterations on one thread.
pub fn single(work: u64) -> f64 {
    let start = Instant::now();
    black_box(kernel(black_box(work), 0x9E37_79B9_7F4A_7C15));
    start.elapsed().as_secs_f64()
}

/// Seconds for `work` iterations on each of the CPUs this process may use.
pub fn threads(work: u64) -> (f64, BTreeMap<String, f64>) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..n {
            scope.spawn(move || black_box(kernel(black_box(work), 0x9E37_79B9 + t as u64)));
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    (elapsed, BTreeMap::from([("threads".to_string(), n as f64)]))
}

/// Elements sorted when a suite does not say: 8 MiB of `u32`, beyond a core's L2.
pub const DEFAULT_SORT_ELEMENTS: u64 = 2 << 20;

/// Seconds to sort `elements` pseudo-random `u32` (xorshift, fixed seed) on one thread;
/// generating them is not timed.
pub fn sort(elements: u64) -> f64 {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut data: Vec<u32> = (0..elements.max(1))
        .map(|_| (xorshift_star(&mut x) >> 32) as u32)
        .collect();
    let start = Instant::now();
    data.sort_unstable();
    black_box(&data);
    start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_deterministic_and_scales() {
        assert_eq!(kernel(1000, 3).to_bits(), kernel(1000, 3).to_bits());
        let small = single(200_000);
        let large = single(2_000_000);
        assert!(small > 0.0 && large > small, "{small} {large}");
    }

    #[test]
    fn sorting_takes_longer_for_more_elements() {
        let (small, large) = (sort(20_000), sort(2_000_000));
        assert!(small > 0.0 && large > 10.0 * small, "{small} {large}");
    }
}
