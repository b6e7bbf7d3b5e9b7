//! Memory probes: STREAM-style triad over arrays far larger than the last-level cache,
//! and first touch of a large buffer (page faults plus memory-cgroup charging).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

/// Size of the largest CPU cache in bytes, from sysfs (0 if unknown).
pub fn last_level_cache_bytes() -> u64 {
    let mut best = 0;
    for index in 0..8 {
        let path = format!("/sys/devices/system/cpu/cpu0/cache/index{index}/size");
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let t = text.trim();
        let (num, mult) = match t.strip_suffix('K') {
            Some(n) => (n, 1024),
            None => match t.strip_suffix('M') {
                Some(n) => (n, 1024 * 1024),
                None => (t, 1),
            },
        };
        if let Ok(n) = num.parse::<u64>() {
            best = best.max(n * mult);
        }
    }
    best
}

/// Largest span of the three triad arrays together. Virtual machines report the whole
/// socket's LLC (260 MiB seen here), of which a guest gets a share; 4× that would be a
/// gigabyte, beyond the memory limits calibrations run under (a 1 GiB container was
/// OOM-killed). The same size must run on both sides, so it cannot follow one side's
/// limit; this cap keeps it under a 512 MiB limit.
pub const TRIAD_MAX_BYTES: u64 = 384 << 20;

/// Elements per triad array: the three arrays together span 4× the LLC, at least
/// 48 MiB and at most `TRIAD_MAX_BYTES`.
pub fn triad_elements() -> usize {
    let total = (4 * last_level_cache_bytes()).clamp(48 << 20, TRIAD_MAX_BYTES);
    (total / 3 / 8) as usize
}

/// Seconds for `passes` triad passes `a = b + s·c`; extra: bytes moved and GB/s.
pub fn triad(passes: u64) -> (f64, BTreeMap<String, f64>) {
    let n = triad_elements();
    let mut a = vec![0.0f64; n];
    let b = vec![1.0f64; n];
    let c = vec![2.0f64; n];
    // One untimed pass faults every page in, so only bandwidth is timed.
    for i in 0..n {
        a[i] = b[i] + 3.0 * c[i];
    }
    let start = Instant::now();
    for p in 0..passes {
        let s = black_box(3.0 + p as f64 * 1e-9);
        for ((x, y), z) in a.iter_mut().zip(&b).zip(&c) {
            *x = y + s * z;
        }
        black_box(&mut a);
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes = (3 * 8 * n) as f64 * passes as f64;
    let extra = BTreeMap::from([
        ("bytes".to_string(), bytes),
        ("gb_per_s".to_string(), bytes / secs / 1e9),
    ]);
    (secs, extra)
}

/// Seconds to allocate `mib` MiB and write one byte per 4 KiB page; extra: the peak RSS
/// of this process (KiB) and, inside a cgroup, its memory peak (bytes).
pub fn first_touch(mib: u64) -> (f64, BTreeMap<String, f64>) {
    let len = (mib << 20) as usize;
    let start = Instant::now();
    // A zeroed allocation this large is fresh mmap'd memory: no page is touched until
    // the loop below writes it.
    let mut buf: Vec<u8> = vec![0u8; len];
    for i in (0..len).step_by(4096) {
        buf[i] = 1;
    }
    black_box(&mut buf);
    let secs = start.elapsed().as_secs_f64();
    let mut extra = BTreeMap::new();
    // SAFETY: rusage is plain data filled by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
        extra.insert("max_rss_kib".to_string(), usage.ru_maxrss as f64);
    }
    if let Some(peak) = super::cgroup::current().memory_peak_bytes {
        extra.insert("cgroup_peak_bytes".to_string(), peak as f64);
    }
    drop(buf);
    (secs, extra)
}
