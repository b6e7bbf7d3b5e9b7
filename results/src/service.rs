//! What a service benchmark's load windows measured on one side: the path the requests
//! took, the load asked for and achieved, the failures, and the latency distribution of
//! every measured window together (an HDR histogram, microsecond resolution, read here
//! as percentiles in seconds).

use serde::{Deserialize, Serialize};

/// The network path between the load generator and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkPath {
    /// Server on the host, reached on loopback.
    Loopback,
    /// Server in a container sharing the host's network namespace (`network = "host"`).
    HostNetwork,
    /// Server in a container on the bridge, reached through a port published on the
    /// host (NAT, and the engine's userland proxy where it runs one).
    PublishedPort,
    /// Server in a container on the bridge, reached at the container's address.
    BridgeAddress,
}

impl NetworkPath {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkPath::Loopback => "loopback",
            NetworkPath::HostNetwork => "host_network",
            NetworkPath::PublishedPort => "published_port",
            NetworkPath::BridgeAddress => "bridge_address",
        }
    }
}

/// Latency percentiles, seconds, from the intended send time of each request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyPercentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// One side of a service benchmark, over its measured windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    pub path: NetworkPath,
    /// Where the requests went (`127.0.0.1:41234`).
    pub address: String,
    /// Requests per second asked for.
    pub target_rate: f64,
    pub connections: u32,
    /// Seconds of measured windows.
    pub measured_s: f64,
    /// Requests whose send time fell in a measured window.
    pub requests: u64,
    /// Answered with a 2xx status.
    pub ok: u64,
    /// Answered with another status.
    pub non_2xx: u64,
    /// Unanswered within the timeout after their intended send time.
    pub timeouts: u64,
    /// Refused, reset or otherwise failed connections.
    pub connection_errors: u64,
    /// 2xx answers per second of measured window.
    pub throughput: f64,
    /// Over the 2xx answers, from each request's intended send time.
    pub latency: LatencyPercentiles,
    /// The same answers from when each was actually sent: what a closed-loop tool such
    /// as wrk reports. Far below `latency` when requests waited for a connection.
    #[serde(default)]
    pub service_time: LatencyPercentiles,
}

impl ServiceReport {
    /// Failed requests over all requests (0 when none were sent).
    pub fn error_fraction(&self) -> f64 {
        let failed = self.non_2xx + self.timeouts + self.connection_errors;
        if self.requests == 0 {
            0.0
        } else {
            failed as f64 / self.requests as f64
        }
    }
}
