//! IO probes in a chosen directory: 4 KiB write + fdatasync latency, appended to a new
//! file, over a written-out one and into a preallocated one, and a sequential write then
//! read with the page cache dropped for the file in between.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Instant;

fn scratch_file(dir: &Path, name: &str) -> Result<(std::path::PathBuf, File), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("calibench-{name}-{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, file))
}

const BLOCK: usize = 4096;

/// `count` 4 KiB writes appended to a new file, each followed by fdatasync (which then
/// commits the file's new size too); the figure is the median latency (seconds); extra:
/// p99 and the mean.
pub fn fsync_latency(dir: &Path, count: u64) -> Result<(f64, BTreeMap<String, f64>), String> {
    let (path, mut file) = scratch_file(dir, "fsync")?;
    let block = [0x5au8; BLOCK];
    let lat = timed_syncs(&mut file, count, |f| f.write_all(&block));
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(latency_summary(lat?))
}

/// `count` 4 KiB writes in order over a file first written out in full and synced, each
/// followed by fdatasync: data only, no size or allocation to commit (a database page
/// write). Figure and extra as `fsync_latency`.
pub fn overwrite_latency(dir: &Path, count: u64) -> Result<(f64, BTreeMap<String, f64>), String> {
    in_order_over(dir, "overwrite", count, |file, count| {
        let data = vec![0xa5u8; BLOCK];
        for _ in 0..count {
            file.write_all(&data)?;
        }
        file.sync_all()
    })
}

/// `count` 4 KiB writes in order into a file first preallocated with `fallocate` (its
/// size set, its extents unwritten), each followed by fdatasync, which then commits the
/// written extent's conversion: what fio does by default, and a preallocated log. Figure
/// and extra as `fsync_latency`.
pub fn prealloc_latency(dir: &Path, count: u64) -> Result<(f64, BTreeMap<String, f64>), String> {
    in_order_over(dir, "prealloc", count, |file, count| {
        let len = (count * BLOCK as u64) as libc::off_t;
        // SAFETY: a valid open descriptor; mode 0 allocates and sets the size.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        file.sync_all()
    })
}

/// Prepares a scratch file with `prepare`, then times `count` 4 KiB writes over it in
/// order, each followed by fdatasync.
fn in_order_over(
    dir: &Path,
    name: &str,
    count: u64,
    prepare: impl FnOnce(&mut File, u64) -> std::io::Result<()>,
) -> Result<(f64, BTreeMap<String, f64>), String> {
    let (path, mut file) = scratch_file(dir, name)?;
    let count = count.max(1);
    let mut offset = 0u64;
    let block = [0x5au8; BLOCK];
    let lat = prepare(&mut file, count)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|()| {
            timed_syncs(&mut file, count, |f| {
                f.write_all_at(&block, offset)?;
                offset += BLOCK as u64;
                Ok(())
            })
        });
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(latency_summary(lat?))
}

/// Times `count` rounds of `write` followed by fdatasync.
fn timed_syncs(
    file: &mut File,
    count: u64,
    mut write: impl FnMut(&mut File) -> std::io::Result<()>,
) -> Result<Vec<f64>, String> {
    let mut lat = Vec::with_capacity(count as usize);
    for _ in 0..count.max(1) {
        let t = Instant::now();
        write(file).map_err(|e| e.to_string())?;
        file.sync_data().map_err(|e| e.to_string())?;
        lat.push(t.elapsed().as_secs_f64());
    }
    Ok(lat)
}

/// The median latency, with p99 and the mean as extras.
fn latency_summary(mut lat: Vec<f64>) -> (f64, BTreeMap<String, f64>) {
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    (
        q(0.5),
        BTreeMap::from([("p99_s".to_string(), q(0.99)), ("mean_s".to_string(), mean)]),
    )
}

/// Writes `mib` MiB sequentially, syncs, drops the file's cached pages, reads it back;
/// the figure is the total seconds; extra: write and read MB/s.
pub fn sequential(dir: &Path, mib: u64) -> Result<(f64, BTreeMap<String, f64>), String> {
    let (path, mut file) = scratch_file(dir, "seq")?;
    let chunk = vec![0xa5u8; 1 << 20];
    let start = Instant::now();
    for _ in 0..mib.max(1) {
        file.write_all(&chunk).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    let written = start.elapsed().as_secs_f64();
    // SAFETY: a valid open descriptor; advice only affects caching.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    drop(file);
    let read_start = Instant::now();
    let mut f = File::open(&path).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let read = read_start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let mb = total as f64 / 1e6;
    Ok((
        written + read,
        BTreeMap::from([
            ("write_mb_per_s".to_string(), mb / written),
            ("read_mb_per_s".to_string(), mb / read.max(1e-9)),
        ]),
    ))
}
