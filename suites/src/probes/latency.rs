//! Latency probes: a raw syscall loop (what seccomp filtering costs), loopback TCP
//! ping-pong, and fork+exec of a trivial program.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// Mean seconds per `getppid` system call over `count` calls, issued with `syscall(2)`
/// so no libc caching can skip the kernel.
pub fn syscall_loop(count: u64) -> f64 {
    let n = count.max(1);
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: getppid takes no arguments and cannot fail.
        std::hint::black_box(unsafe { libc::syscall(libc::SYS_getppid) });
    }
    start.elapsed().as_secs_f64() / n as f64
}

/// Median round-trip seconds of a 64-byte ping-pong over 127.0.0.1 between two threads
/// of this process (the loopback of whatever network namespace it runs in).
pub fn tcp_pingpong(rounds: u64) -> Result<(f64, BTreeMap<String, f64>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let n = rounds.max(1);
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut buf = [0u8; 64];
        for _ in 0..n {
            s.read_exact(&mut buf)?;
            s.write_all(&buf)?;
        }
        Ok(())
    });
    let mut c = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    c.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = [7u8; 64];
    let mut rtt = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        c.write_all(&buf).map_err(|e| e.to_string())?;
        c.read_exact(&mut buf).map_err(|e| e.to_string())?;
        rtt.push(t.elapsed().as_secs_f64());
    }
    server
        .join()
        .map_err(|_| "ping-pong server panicked".to_string())?
        .map_err(|e| e.to_string())?;
    rtt.sort_by(f64::total_cmp);
    let p99 = rtt[((rtt.len() - 1) as f64 * 0.99).round() as usize];
    Ok((
        rtt[rtt.len() / 2],
        BTreeMap::from([("p99_s".to_string(), p99)]),
    ))
}

/// Mean seconds to fork+exec+reap `true` (found on PATH), over `count` spawns.
pub fn spawn(count: u64) -> Result<f64, String> {
    let n = count.max(1);
    let start = Instant::now();
    for _ in 0..n {
        let status = std::process::Command::new("true")
            .status()
            .map_err(|e| format!("cannot spawn `true`: {e}"))?;
        if !status.success() {
            return Err("`true` failed".into());
        }
    }
    Ok(start.elapsed().as_secs_f64() / n as f64)
}
