//! The dimensions of container cost: which calibrated overhead adjusts a result.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which container overhead adjusts a benchmark's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Cpu,
    Memory,
    Io,
    Latency,
    /// Request/response latency through the container's network path: service
    /// benchmarks, adjusted by an added time per request rather than a ratio.
    Network,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Cpu,
        Dimension::Memory,
        Dimension::Io,
        Dimension::Latency,
        Dimension::Network,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Cpu => "cpu",
            Dimension::Memory => "memory",
            Dimension::Io => "io",
            Dimension::Latency => "latency",
            Dimension::Network => "network",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
