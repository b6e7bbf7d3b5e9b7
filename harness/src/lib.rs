//! calibench's harness: where and how benchmarks run (executors, sampling, environment
//! capture, progress). The binary in `main.rs` is a thin layer over this library.

pub mod ab;
pub mod adjust;
pub mod benchenv;
pub mod calibrate;
pub mod confirm;
pub mod criterion_bench;
pub mod docker;
pub mod environment;
pub mod events;
pub mod executor;
pub mod exit;
pub mod import;
pub mod launch;
pub mod output;
pub mod paths;
pub mod plan;
pub mod preflight;
pub mod runner;
pub mod sampler;
pub mod service;
pub mod summarize;
