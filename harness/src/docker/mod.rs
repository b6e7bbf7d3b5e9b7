//! The Docker side, through the Engine API (bollard): engine facts and what it can
//! enforce, the host-mirror image, container specs, and cleanup.

pub mod cleanup;
pub mod engine;
pub mod image;
pub mod launch;
pub mod spec;

/// Label on every container calibench creates: the run it belongs to.
pub const LABEL_RUN_ID: &str = "calibench.run_id";
/// Label on every container calibench creates: what it is for (`benchmark`, `calibrate`).
pub const LABEL_ROLE: &str = "calibench.role";
