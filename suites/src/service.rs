//! Service benchmarks: a server started on each side, made ready, then driven at a
//! constant request rate while latencies are recorded. Each measured run of a service
//! benchmark is one load window; its sample is the window's median latency.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Placeholder in a server command for the port calibench chose for that side.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// When a started server counts as ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "check")]
pub enum Readiness {
    /// A TCP connection to the port succeeds.
    Tcp,
    /// `GET path` answers with a 2xx status.
    Http { path: String },
}

/// How the load generator reaches a server in a container on the bridge network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A port published on the host's loopback (NAT, and the engine's userland proxy
    /// where it runs one).
    Published,
    /// The container's own address on the bridge, no NAT.
    Address,
}

impl Via {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "published" => Some(Via::Published),
            "address" => Some(Via::Address),
            _ => None,
        }
    }
}

/// The load of one window: an open model, requests sent at a constant rate whatever the
/// server's answers do, each latency taken from the request's intended send time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSpec {
    pub method: String,
    pub path: String,
    pub body: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// Connections kept open; each carries one request at a time.
    pub connections: u32,
    /// Requests per second, spread evenly.
    pub rate: f64,
    #[serde(with = "crate::model::secs")]
    pub duration: Duration,
    /// A request unanswered this long after its intended send time is a timeout.
    #[serde(with = "crate::model::secs")]
    pub timeout: Duration,
    /// A window whose failed fraction (non-2xx, timeouts, connection errors) is above
    /// this fails the benchmark.
    pub max_error_fraction: f64,
}

impl Default for LoadSpec {
    fn default() -> Self {
        Self {
            method: "GET".into(),
            path: "/".into(),
            body: None,
            headers: BTreeMap::new(),
            connections: 4,
            rate: 100.0,
            duration: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            max_error_fraction: 0.01,
        }
    }
}

/// A server to start on each side and the load to drive it with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// The server's argv; `{port}` is replaced by the port chosen for each side.
    pub argv: Vec<String>,
    /// The port the server listens on when its command has no `{port}`.
    pub port: Option<u16>,
    pub ready: Readiness,
    #[serde(with = "crate::model::secs")]
    pub ready_timeout: Duration,
    /// For a container on the bridge network: through a published port or its address.
    pub via: Via,
    pub load: LoadSpec,
}

impl ServiceSpec {
    /// Whether calibench chooses the port (the command holds `{port}`).
    pub fn chooses_port(&self) -> bool {
        self.argv.iter().any(|a| a.contains(PORT_PLACEHOLDER))
    }

    /// The command with `{port}` replaced.
    pub fn argv_for(&self, port: u16) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| a.replace(PORT_PLACEHOLDER, &port.to_string()))
            .collect()
    }
}
