//! Waiting for a started server: poll until it accepts (TCP) or answers 2xx (HTTP),
//! checking between attempts that the server is still alive, so a server that failed to
//! start (its port taken, a bad flag) is reported with its own words instead of as a
//! readiness timeout, and a stranger listening on the port is never measured.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use calibench_suites::Readiness;
use http_body_util::Full;
use hyper::Request;
use tokio::net::TcpStream;

use super::load::{connect, exchange};

const POLL: Duration = Duration::from_millis(50);
const ATTEMPT: Duration = Duration::from_millis(500);

/// One readiness attempt; `Ok(())` when ready, else what was seen.
async fn attempt(addr: SocketAddr, ready: &Readiness) -> Result<(), String> {
    match ready {
        Readiness::Tcp => TcpStream::connect(addr)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Readiness::Http { path } => {
            let mut sender = connect(addr).await?;
            let req = Request::get(path.as_str())
                .header(hyper::header::HOST, addr.to_string())
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?;
            match exchange(&mut sender, req).await? {
                s if (200..300).contains(&s) => Ok(()),
                s => Err(format!("GET {path} answered {s}")),
            }
        }
    }
}

/// Polls `addr` until ready, `alive` says the server died, or `timeout` passes. Each
/// attempt runs on `rt`; `alive` runs between attempts, outside it (it may block on
/// another runtime, as the engine's client does).
pub fn wait_ready(
    rt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    ready: &Readiness,
    timeout: Duration,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<Duration, String> {
    let start = Instant::now();
    let mut last = String::from("no attempt");
    while start.elapsed() < timeout {
        alive()?;
        match rt.block_on(async { tokio::time::timeout(ATTEMPT, attempt(addr, ready)).await }) {
            Ok(Ok(())) => {
                // A server that exits right after accepting is not ready.
                alive()?;
                return Ok(start.elapsed());
            }
            Ok(Err(e)) => last = e,
            Err(_) => last = format!("no answer within {} ms", ATTEMPT.as_millis()),
        }
        std::thread::sleep(POLL);
    }
    Err(format!(
        "the server at {addr} was not ready within {:.0} s (last attempt: {last})",
        timeout.as_secs_f64()
    ))
}
