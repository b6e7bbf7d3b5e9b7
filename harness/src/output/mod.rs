//! What the user sees: tables, progress, formatted numbers.

pub mod calibration;
pub mod format;
pub mod progress;
pub mod table;
