//! Service benchmarks: a server started on each side (`host`: a process group on this
//! machine; `container`: the main process of a container with the run's limits), made
//! ready, then driven window after window by the in-process load generator (`load`).
//! The generator always runs here, outside the container, so the container side's
//! figures include the network path to it, recorded as a `NetworkPath`.
//!
//! Each window is one run of the benchmark: its sample is the window's median latency,
//! so the runner's ABBA interleaving, paired ratio and adjustment apply unchanged, and
//! windows, not requests, are the unit of replication (requests of one window share the
//! server's state and queue). The percentiles, throughput and failures of all measured
//! windows together are kept in the result's `service` report.

pub mod container;
pub mod host;
pub mod load;
pub mod ready;
pub mod serve;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use calibench_results::{LatencyPercentiles, NetworkPath, ServiceReport};
use calibench_suites::{Benchmark, BenchmarkKind, ServiceSpec};

use crate::executor::{Block, ExecutorError, Sample};
use crate::launch::interrupted;
use load::Window;

/// The service spec of `bench`, if it is a service benchmark.
pub fn spec_of(bench: &Benchmark) -> Option<&ServiceSpec> {
    match &bench.kind {
        BenchmarkKind::Service(spec) => Some(spec),
        _ => None,
    }
}

/// A port nothing listens on now, on every interface.
pub fn free_port() -> Result<u16, ExecutorError> {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ExecutorError::new(format!("cannot find a free TCP port: {e}")))
}

/// The port a side's server listens on: a fresh free one when the command holds
/// `{port}`, else the fixed one, which must be free on this network namespace (else
/// another server, maybe the other side's, would be measured).
pub fn side_port(spec: &ServiceSpec, shares_host_network: bool) -> Result<u16, String> {
    match spec.port {
        None => free_port().map_err(|e| e.message),
        Some(p) if !shares_host_network => Ok(p),
        Some(p) => match TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)) {
            Ok(_) => Ok(p),
            Err(e) => Err(format!(
                "port {p} is taken on the host ({e}); put {{port}} in the server command so each side gets a free port"
            )),
        },
    }
}

/// The client side of one service benchmark on one runtime: where the server is and
/// what the measured windows saw.
pub struct ServiceRun {
    pub rt: tokio::runtime::Runtime,
    pub addr: SocketAddr,
    pub path: NetworkPath,
    measured: Option<Window>,
    measured_s: f64,
}

impl ServiceRun {
    /// The load generator's runtime: one thread, so that both sides are driven by the
    /// same client in the same way.
    pub fn runtime() -> Result<tokio::runtime::Runtime, ExecutorError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ExecutorError::new(format!("cannot start the load generator: {e}")))
    }

    pub fn new(rt: tokio::runtime::Runtime, addr: SocketAddr, path: NetworkPath) -> Self {
        Self {
            rt,
            addr,
            path,
            measured: None,
            measured_s: 0.0,
        }
    }

    /// Runs `count` windows (warm-ups when `warmup`); a window that cannot run, or whose
    /// failed fraction is above the limit, ends the block with the reason.
    pub fn windows(
        &mut self,
        spec: &ServiceSpec,
        first: usize,
        count: usize,
        warmup: bool,
        mut alive: impl FnMut() -> Result<(), String>,
    ) -> Block {
        let mut block = Block::default();
        for i in 0..count {
            let phase = if warmup { "warm-up window" } else { "window" };
            let number = first + i + 1;
            if interrupted() {
                block.failure = Some("interrupted".into());
                break;
            }
            let window = match self.rt.block_on(load::run_window(self.addr, &spec.load)) {
                Ok(w) => w,
                Err(e) => {
                    let why = alive().err().unwrap_or(e);
                    block.failure = Some(format!("{phase} {number}: {why}"));
                    break;
                }
            };
            block.wall_s += window.elapsed.as_secs_f64();
            let errors = window.error_fraction();
            if errors > spec.load.max_error_fraction || window.ok == 0 {
                block.failure = Some(format!(
                    "{phase} {number}: {:.1} % of {} requests failed ({} non-2xx, {} timeouts, {} connection errors), above max_error_fraction {:.1} %{}",
                    errors * 100.0,
                    window.requests,
                    window.non_2xx,
                    window.timeouts,
                    window.connection_errors,
                    spec.load.max_error_fraction * 100.0,
                    alive().err().map(|e| format!("; {e}")).unwrap_or_default(),
                ));
                break;
            }
            if warmup {
                continue;
            }
            let p50 = window.latency_us.value_at_quantile(0.5) as f64 / 1e6;
            block.samples.push(Sample {
                value: p50,
                wall_s: window.elapsed.as_secs_f64(),
                user_s: 0.0,
                system_s: 0.0,
                max_rss_kib: 0,
                cgroup: None,
                probe_extra: Default::default(),
            });
            self.measured_s += window.elapsed.as_secs_f64();
            match &mut self.measured {
                Some(total) => total.add(&window),
                None => self.measured = Some(window),
            }
        }
        block
    }

    /// What the measured windows saw together.
    pub fn report(&self, spec: &ServiceSpec) -> ServiceReport {
        let w = self.measured.clone().unwrap_or_else(Window::empty);
        ServiceReport {
            path: self.path,
            address: self.addr.to_string(),
            target_rate: spec.load.rate,
            connections: spec.load.connections,
            measured_s: self.measured_s,
            requests: w.requests,
            ok: w.ok,
            non_2xx: w.non_2xx,
            timeouts: w.timeouts,
            connection_errors: w.connection_errors,
            throughput: if self.measured_s > 0.0 {
                w.ok as f64 / self.measured_s
            } else {
                0.0
            },
            latency: percentiles(&w.latency_us),
            service_time: percentiles(&w.service_us),
        }
    }
}

/// Percentiles of a histogram of microseconds, in seconds.
fn percentiles(h: &hdrhistogram::Histogram<u64>) -> LatencyPercentiles {
    if h.is_empty() {
        return LatencyPercentiles::default();
    }
    let s = |us: u64| us as f64 / 1e6;
    LatencyPercentiles {
        p50: s(h.value_at_quantile(0.5)),
        p90: s(h.value_at_quantile(0.9)),
        p99: s(h.value_at_quantile(0.99)),
        p999: s(h.value_at_quantile(0.999)),
        max: s(h.max()),
        mean: h.mean() / 1e6,
    }
}
