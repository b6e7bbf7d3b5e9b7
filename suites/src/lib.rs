//! What calibench runs: the suite file schema, its validation into domain types, and the
//! built-in probes that run identically on the host and in a container.

pub mod compose;
pub mod cpuset;
pub mod error;
pub mod location;
pub mod model;
pub mod probes;
mod raw;
pub mod service;
pub mod units;
mod validate;

pub use cpuset::CpuSet;
pub use error::SuiteError;
pub use model::{
    Benchmark, BenchmarkKind, BuildStep, ContainerSettings, Dimension, Network, RunSettings, Suite,
};
pub use probes::{ProbeKind, ProbeReport};
pub use service::{LoadSpec, Readiness, ServiceSpec, Via};
pub use validate::{load_build_step, load_suite, parse_suite};
