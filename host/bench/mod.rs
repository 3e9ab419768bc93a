//! The benchmark harness: honest timings of registered steps.

pub mod ceilings;
pub mod compare;
pub mod docs;
pub mod python;
pub mod render;
pub mod report;
pub mod results;
pub mod runner;
pub mod stats;
pub mod timing;

pub use stats::Stats;
pub use timing::{L2Flush, TimingOptions, time_case, time_fn};
