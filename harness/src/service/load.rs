//! One load window: an open model at a constant rate (after Schroeder, Wierman and
//! Harchol-Balter, "Open versus closed: a cautionary tale", NSDI 2006). Request `i` is
//! due at `start + i / rate` whatever happened to the requests before it, and its
//! latency is measured from that intended send time, not from when a connection was
//! free to send it, so a stalled server shows as latency instead of as fewer requests
//! (the "coordinated omission" that Gil Tene described and wrk2 corrects the same way).
//!
//! Each of `connections` keep-alive HTTP/1.1 connections carries one request at a time
//! and takes the next due request when it is free. Connections are opened before the
//! window starts. A request whose intended time is more than `timeout` past when a
//! connection takes it, or that is unanswered by then, is a timeout.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use calibench_suites::LoadSpec;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Latencies are recorded in microseconds, from 1 µs to one hour, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .expect("1 µs to 1 h at 3 digits is a valid range")
}

/// What one window measured.
#[derive(Debug, Clone)]
pub struct Window {
    /// Latencies of 2xx answers from their intended send time, microseconds.
    pub latency_us: Histogram<u64>,
    /// The same answers from when they were actually sent: what a closed-loop tool
    /// (wrk, ab) reports, blind to the time a request waited for a free connection.
    pub service_us: Histogram<u64>,
    pub requests: u64,
    pub ok: u64,
    pub non_2xx: u64,
    pub timeouts: u64,
    pub connection_errors: u64,
    /// From the window's start to the last answer.
    pub elapsed: Duration,
}

impl Window {
    pub fn empty() -> Self {
        Self {
            latency_us: new_histogram(),
            service_us: new_histogram(),
            requests: 0,
            ok: 0,
            non_2xx: 0,
            timeouts: 0,
            connection_errors: 0,
            elapsed: Duration::ZERO,
        }
    }

    pub fn add(&mut self, other: &Window) {
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        let _ = self.service_us.add(&other.service_us);
        self.requests += other.requests;
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.timeouts += other.timeouts;
        self.connection_errors += other.connection_errors;
    }

    /// Failed requests over all requests.
    pub fn error_fraction(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        (self.non_2xx + self.timeouts + self.connection_errors) as f64 / self.requests as f64
    }
}

/// A connection, opened again after an error.
struct Connection {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(connect(self.addr).await?);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }
}

/// Opens an HTTP/1.1 connection to `addr`; its driver runs as a task.
pub async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Builds request `spec` for `addr`.
pub fn request(spec: &LoadSpec, addr: SocketAddr) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder()
        .method(spec.method.as_str())
        .uri(spec.path.as_str())
        .header(hyper::header::HOST, addr.to_string());
    for (k, v) in &spec.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = spec.body.clone().map(Bytes::from).unwrap_or_default();
    builder
        .body(Full::new(body))
        .map_err(|e| format!("bad request: {e}"))
}

/// Sends one request and reads the whole answer; the status code.
pub async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    req: Request<Full<Bytes>>,
) -> Result<u16, String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    resp.into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(status)
}

/// Waits until `due` precisely: the timer (millisecond ticks) for all but the last
/// millisecond, then yields until the clock passes it, so that the client's own timer
/// does not read as server latency.
async fn wait_until(due: Instant) {
    loop {
        let now = Instant::now();
        if now >= due {
            return;
        }
        let left = due - now;
        if left > Duration::from_micros(1500) {
            tokio::time::sleep(left - Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// Runs one window of `spec` against `addr`.
pub async fn run_window(addr: SocketAddr, spec: &LoadSpec) -> Result<Window, String> {
    let total = (spec.rate * spec.duration.as_secs_f64()).round().max(1.0) as u64;
    let interval = Duration::from_secs_f64(1.0 / spec.rate);
    let mut connections = Vec::with_capacity(spec.connections as usize);
    for _ in 0..spec.connections {
        let sender = connect(addr)
            .await
            .map_err(|e| format!("cannot connect to the server at {addr}: {e}"))?;
        connections.push(Connection {
            addr,
            sender: Some(sender),
        });
    }
    request(spec, addr)?;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(2);
    let mut workers = Vec::with_capacity(connections.len());
    for mut conn in connections {
        let next = next.clone();
        let spec = spec.clone();
        workers.push(tokio::spawn(async move {
            let mut w = Window::empty();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let due = start + interval.mul_f64(i as f64);
                wait_until(due).await;
                w.requests += 1;
                let late = due.elapsed();
                if late >= spec.timeout {
                    w.timeouts += 1;
                    continue;
                }
                let Ok(req) = request(&spec, addr) else {
                    break;
                };
                let sent = async {
                    let sender = conn.sender().await?;
                    let at = Instant::now();
                    exchange(sender, req).await.map(|status| (status, at))
                };
                match tokio::time::timeout(spec.timeout - late, sent).await {
                    Ok(Ok((status, at))) if (200..300).contains(&status) => {
                        let micros = |since: Instant| {
                            u64::try_from(since.elapsed().as_micros().max(1)).unwrap_or(u64::MAX)
                        };
                        w.latency_us.saturating_record(micros(due));
                        w.service_us.saturating_record(micros(at));
                        w.ok += 1;
                    }
                    Ok(Ok(_)) => w.non_2xx += 1,
                    Ok(Err(_)) => {
                        w.connection_errors += 1;
                        conn.sender = None;
                    }
                    Err(_) => {
                        w.timeouts += 1;
                        conn.sender = None;
                    }
                }
            }
            w
        }));
    }
    let mut window = Window::empty();
    for worker in workers {
        let w = worker
            .await
            .map_err(|e| format!("a load connection failed: {e}"))?;
        window.add(&w);
    }
    window.elapsed = start.elapsed();
    Ok(window)
}
