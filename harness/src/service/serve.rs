//! `calibench serve`: a small HTTP/1.1 server answering every request with 200 after a
//! fixed delay, for service-benchmark tests and examples. The delay is held precisely
//! (sleep to within 200 µs, then spin) on the worker thread serving the request, with no
//! hand-off to another thread whose wake-up would add to it; so the server serves as
//! many requests at once as it has worker threads (its capacity is workers / delay).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Holds the calling thread for `delay`, to within microseconds.
fn hold(delay: Duration) {
    let start = Instant::now();
    let coarse = delay.saturating_sub(Duration::from_micros(200));
    if !coarse.is_zero() {
        std::thread::sleep(coarse);
    }
    while start.elapsed() < delay {
        std::hint::spin_loop();
    }
}

async fn answer(
    _: Request<Incoming>,
    delay: Duration,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !delay.is_zero() {
        hold(delay);
    }
    Ok(Response::new(Full::new(Bytes::from_static(b"ok\n"))))
}

/// Serves on `addr` with `workers` threads until killed (or an accept error).
pub fn serve_with_workers(
    addr: SocketAddr,
    delay: Duration,
    workers: usize,
) -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()?
        .block_on(serve(addr, delay))
}

/// Serves on `addr` until killed.
pub async fn serve(addr: SocketAddr, delay: Duration) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!("calibench serve: listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, delay));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_lasts_the_delay_and_little_more() {
        let start = Instant::now();
        hold(Duration::from_millis(2));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(2), "{took:?}");
    }
}
