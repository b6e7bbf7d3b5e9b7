//! Where calibench's numbers live and how they are shown: the versioned wire model, the
//! stores (SQLite by default, PostgreSQL for teams), the spool and the reports.

pub mod compare;
pub mod error;
pub mod format;
pub mod ids;
pub mod model;
pub mod present;
pub mod profile;
pub mod redact;
pub mod report;
pub mod service;
pub mod spool;
pub mod store;
#[doc(hidden)]
pub mod testing;

pub use error::StoreError;
pub use ids::RunId;
pub use model::*;
pub use profile::*;
pub use service::{LatencyPercentiles, NetworkPath, ServiceReport};
pub use spool::Spool;
pub use store::{open_store, redact_url, RunListing, SaveOutcome, Store, StoreStatus};
