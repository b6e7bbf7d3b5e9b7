//! The network dimension: what the container's network path adds to one request.
//!
//! Two HTTP servers (`calibench serve`), one answering at once and one after 1 ms, run
//! on the host, reached on loopback, and in containers of the calibrated configuration,
//! reached over each path the configuration offers (bridge: a published port and the
//! container's address; host network: the host's loopback). Each round runs one load
//! window per server in a fresh random order, driven by the same in-process open-model
//! generator that service benchmarks use; a window's sample is its median latency. The
//! cost of a path is the median of the per-round differences (path − host) with its
//! order-statistic interval, which needs no assumption about their distribution.
//!
//! **Additive, not a ratio, where the machine shows it.** A path adds work per request
//! that does not depend on what the server does: a veth hop and NAT in the kernel, and
//! with a published port a copy through the engine's userland proxy. If so, a server
//! that answers in 1 ms and one that answers at once pay the same added microseconds,
//! and a ratio measured with one would be wrong for the other. That is tested, not
//! assumed: the per-round difference between the two servers' costs must have an
//! interval covering zero (`additive`). Then service results over the path lose its
//! added time (`crate::adjust`); otherwise they are not adjusted, with the reason (on a
//! virtual machine, CPU idle states and contention with the proxy can make the cost
//! depend on the server's timing).
//!
//! The servers run without the configuration's CPU quota: the quota's effect depends on
//! the server's work and is the limits' part, not the network's.

use std::time::{Duration, Instant};

use calibench_calibrator::{median, median_ci, CONFIDENCE};
use calibench_results::{NetworkCost, NetworkPath, ServerCost};
use calibench_suites::{
    Benchmark, BenchmarkKind, Dimension, LoadSpec, Network, Readiness, RunSettings, ServiceSpec,
    Via,
};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::error::CalibrationError;
use super::MIN_ROUNDS;
use crate::docker::cleanup::remove;
use crate::docker::launch::ContainerFactory;
use crate::docker::spec::ContainerSpec;
use crate::executor::Block;
use crate::launch::HostLauncher;
use crate::service::container::{check_alive, start};
use crate::service::host::HostServer;
use crate::service::ready::wait_ready;
use crate::service::{free_port, ServiceRun};

/// Requests per second in a window: light enough that no queue forms on either side
/// (the 1 ms server on its one connection), and for the server that answers at once
/// frequent enough that CPUs do not sink into deep idle states between requests (at
/// 400 requests/s its median moved by ±0.1 ms from window to window on a virtual
/// machine, at 1000 by a few µs).
fn rate(delay_ms: u32) -> f64 {
    if delay_ms == 0 {
        1000.0
    } else {
        400.0
    }
}
/// How long the two servers take to answer.
const DELAYS_MS: [u32; 2] = [0, 1];
/// Length of one window.
const WINDOW: Duration = Duration::from_millis(250);
/// At most this many rounds.
const MAX_ROUNDS: usize = 200;

/// The server and load every side of the network calibration uses.
fn server_benchmark(exe: &std::path::Path, via: Via, delay_ms: u32) -> Benchmark {
    let service = ServiceSpec {
        argv: vec![
            exe.display().to_string(),
            "serve".into(),
            "--port".into(),
            "{port}".into(),
            "--delay".into(),
            format!("{delay_ms}ms"),
        ],
        port: None,
        ready: Readiness::Http { path: "/".into() },
        ready_timeout: Duration::from_secs(15),
        via,
        load: LoadSpec {
            connections: 1,
            rate: rate(delay_ms),
            duration: WINDOW,
            timeout: Duration::from_secs(1),
            ..LoadSpec::default()
        },
    };
    Benchmark {
        name: "network".into(),
        kind: BenchmarkKind::Service(Box::new(service)),
        dimension: Dimension::Network,
        env: Default::default(),
        workdir: None,
        settings: RunSettings::default(),
    }
}

/// One server being measured: how to reach it and whether it still runs.
struct Target {
    path: NetworkPath,
    delay_ms: u32,
    run: ServiceRun,
    alive: Box<dyn FnMut() -> Result<(), String>>,
    p50_us: Vec<f64>,
}

impl Target {
    /// One window; its median latency in µs.
    fn window(&mut self, bench: &Benchmark, number: usize, warmup: bool) -> Result<(), String> {
        let Some(spec) = crate::service::spec_of(bench) else {
            return Err("not a service".into());
        };
        let block: Block = self.run.windows(spec, number, 1, warmup, &mut self.alive);
        if let Some(why) = block.failure {
            return Err(format!("{}: {why}", self.path.as_str()));
        }
        if let Some(s) = block.samples.first() {
            self.p50_us.push(s.value * 1e6);
        }
        Ok(())
    }
}

/// The paths a container on `network` is reached over.
fn paths(network: Network) -> Vec<(NetworkPath, Via)> {
    match network {
        Network::Host => vec![(NetworkPath::HostNetwork, Via::Published)],
        Network::Bridge => vec![
            (NetworkPath::PublishedPort, Via::Published),
            (NetworkPath::BridgeAddress, Via::Address),
        ],
    }
}

/// Measures what each path of `spec` adds to a request, within `budget` (at least
/// `MIN_ROUNDS` rounds unless `hard_deadline` passes first).
pub fn network_costs(
    launcher: &mut HostLauncher,
    factory: &ContainerFactory,
    handle: &tokio::runtime::Handle,
    spec: &ContainerSpec,
    budget: Duration,
    hard_deadline: Instant,
    seed: u64,
) -> Result<Vec<NetworkCost>, CalibrationError> {
    let fail = |e: String| CalibrationError::Missing(format!("network calibration: {e}"));
    let mut server_spec = spec.clone();
    server_spec.nano_cpus = None;
    let mut host_servers = Vec::new();
    let mut containers = Vec::new();
    let measured = (|| -> Result<Vec<(Target, Benchmark)>, CalibrationError> {
        let mut targets = Vec::new();
        for delay in DELAYS_MS {
            // The host's server, pinned as host runs are.
            let bench = server_benchmark(&factory.exe, Via::Published, delay);
            let service = crate::service::spec_of(&bench).ok_or_else(|| fail("no spec".into()))?;
            let port = free_port().map_err(|e| fail(e.message))?;
            host_servers.push(
                HostServer::start(launcher, &bench, &service.argv_for(port))
                    .map_err(|e| fail(format!("starting the host's server: {e}")))?,
            );
            let server = host_servers
                .last_mut()
                .ok_or_else(|| fail("no server".into()))?;
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let rt = ServiceRun::runtime().map_err(|e| fail(e.message))?;
            wait_ready(&rt, addr, &service.ready, service.ready_timeout, || {
                server.check_alive()
            })
            .map_err(|e| fail(format!("the host's server: {e}")))?;
            targets.push((
                Target {
                    path: NetworkPath::Loopback,
                    delay_ms: delay,
                    run: ServiceRun::new(rt, addr, NetworkPath::Loopback),
                    alive: Box::new(|| Ok(())),
                    p50_us: Vec::new(),
                },
                bench.clone(),
            ));
            for (path, via) in paths(spec.network) {
                let bench = server_benchmark(&factory.exe, via, delay);
                let service =
                    crate::service::spec_of(&bench).ok_or_else(|| fail("no spec".into()))?;
                let started = handle
                    .block_on(start(factory, &server_spec, &bench, service))
                    .map_err(|e| fail(e.message))?
                    .map_err(|why| fail(format!("the server over {}: {why}", path.as_str())))?;
                containers.push(started.id.clone());
                let rt = ServiceRun::runtime().map_err(|e| fail(e.message))?;
                let (h, f, id) = (handle.clone(), factory.clone(), started.id.clone());
                let mut alive = move || h.block_on(check_alive(&f, &id));
                wait_ready(
                    &rt,
                    started.addr,
                    &service.ready,
                    service.ready_timeout,
                    &mut alive,
                )
                .map_err(|e| fail(format!("the server over {}: {e}", path.as_str())))?;
                targets.push((
                    Target {
                        path: started.path,
                        delay_ms: delay,
                        run: ServiceRun::new(rt, started.addr, started.path),
                        alive: Box::new(alive),
                        p50_us: Vec::new(),
                    },
                    bench,
                ));
            }
        }
        rounds(&mut targets, budget, hard_deadline, seed).map_err(fail)?;
        Ok(targets)
    })();
    for s in &mut host_servers {
        s.stop();
    }
    for id in &containers {
        let _ = handle.block_on(remove(&factory.engine.docker, id));
    }
    let targets = measured?;
    let series = |path: NetworkPath, delay: u32| -> Vec<f64> {
        targets
            .iter()
            .find(|(t, _)| t.path == path && t.delay_ms == delay)
            .map(|(t, _)| t.p50_us.clone())
            .unwrap_or_default()
    };
    paths(spec.network)
        .into_iter()
        .map(|(path, _)| {
            let [fast, slow] = DELAYS_MS.map(|d| Series {
                delay_ms: d,
                host_us: series(NetworkPath::Loopback, d),
                path_us: series(path, d),
            });
            cost(path, &fast, &slow).map_err(fail)
        })
        .collect()
}

/// Warm-up windows, then rounds of one window per target in a random order.
fn rounds(
    targets: &mut [(Target, Benchmark)],
    budget: Duration,
    hard_deadline: Instant,
    seed: u64,
) -> Result<(), String> {
    for (t, bench) in targets.iter_mut() {
        t.window(bench, 0, true)?;
    }
    let start = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..targets.len()).collect();
    let mut last_round = Duration::ZERO;
    for round in 0..MAX_ROUNDS {
        let now = Instant::now();
        let enough = round >= MIN_ROUNDS;
        if (enough && now + last_round >= start + budget)
            || (round >= 2 && now + last_round >= hard_deadline)
        {
            break;
        }
        order.shuffle(&mut rng);
        for &i in &order {
            let (t, bench) = &mut targets[i];
            t.window(bench, round, false)?;
        }
        last_round = now.elapsed();
    }
    Ok(())
}

/// One server's per-round medians on the host and over a path, µs.
struct Series {
    delay_ms: u32,
    host_us: Vec<f64>,
    path_us: Vec<f64>,
}

impl Series {
    fn added(&self) -> Vec<f64> {
        self.path_us
            .iter()
            .zip(&self.host_us)
            .map(|(c, h)| c - h)
            .collect()
    }
}

fn interval(v: &[f64]) -> Result<calibench_calibrator::ConfidenceInterval, String> {
    median_ci(v, CONFIDENCE).map_err(|e| {
        format!(
            "{} rounds are too few for an interval ({e}); give the calibration more time",
            v.len()
        )
    })
}

/// The cost of one path from the fast and the slow server's rounds.
fn cost(path: NetworkPath, fast: &Series, slow: &Series) -> Result<NetworkCost, String> {
    let med = |v: &[f64]| median(v).unwrap_or(f64::NAN);
    let mut servers = Vec::new();
    for s in [fast, slow] {
        let ci = interval(&s.added())?;
        servers.push(ServerCost {
            delay_ms: f64::from(s.delay_ms),
            host_p50_us: med(&s.host_us),
            container_p50_us: med(&s.path_us),
            added_us: ci.estimate,
            ci_low_us: ci.low,
            ci_high_us: ci.high,
        });
    }
    let (a, b) = (fast.added(), slow.added());
    let effect: Vec<f64> = b.iter().zip(&a).map(|(s, f)| s - f).collect();
    let effect = interval(&effect)?;
    let both: Vec<f64> = a.iter().chain(&b).copied().collect();
    let all = interval(&both)?;
    Ok(NetworkCost {
        path,
        rounds: a.len().min(b.len()),
        servers,
        added_us: all.estimate,
        ci_low_us: all.low,
        ci_high_us: all.high,
        delay_effect_us: effect.estimate,
        delay_effect_ci_low_us: effect.low,
        delay_effect_ci_high_us: effect.high,
        additive: effect.low <= 0.0 && 0.0 <= effect.high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(delay_ms: u32, added: f64) -> Series {
        let host_us: Vec<f64> = (0..20).map(|i| 20.0 + f64::from(i % 5)).collect();
        let path_us = host_us.iter().map(|h| h + added).collect();
        Series {
            delay_ms,
            host_us,
            path_us,
        }
    }

    #[test]
    fn the_cost_is_the_median_difference_and_additive_when_both_servers_agree() -> Result<(), String>
    {
        let c = cost(
            NetworkPath::PublishedPort,
            &series(0, 140.0),
            &series(1, 140.0),
        )?;
        assert!((c.added_us - 140.0).abs() < 1e-9, "{c:?}");
        assert!(c.ci_low_us <= c.added_us && c.added_us <= c.ci_high_us);
        assert!(c.additive, "{c:?}");
        assert_eq!((c.rounds, c.servers.len()), (20, 2));
        // A cost that shrinks for the slow server is not an addition.
        let mut slow = series(1, 140.0);
        for (i, p) in slow.path_us.iter_mut().enumerate() {
            *p -= 100.0 + i as f64;
        }
        let c = cost(NetworkPath::PublishedPort, &series(0, 140.0), &slow)?;
        assert!(!c.additive && c.delay_effect_ci_high_us < 0.0, "{c:?}");
        let short = Series {
            delay_ms: 0,
            host_us: vec![1.0; 3],
            path_us: vec![2.0; 3],
        };
        assert!(cost(NetworkPath::BridgeAddress, &short, &short).is_err());
        Ok(())
    }

    #[test]
    fn a_bridge_offers_two_paths_and_the_host_network_one() {
        assert_eq!(paths(Network::Bridge).len(), 2);
        assert_eq!(paths(Network::Host)[0].0, NetworkPath::HostNetwork);
    }
}
