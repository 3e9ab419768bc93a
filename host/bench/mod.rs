//! The benchmark harness: honest timings of registered steps.

pub mod stats;
pub mod timing;

pub use stats::Stats;
pub use timing::{L2Flush, TimingOptions, time_case};
