//! kernel-lab's host library: the runtime on cudarc, the ladder registries, verification,
//! the benchmark harness, and the `klab` CLI.
//!
//! Verifying one step from Rust: `examples/verify_one_step.rs` (`cargo run --example
//! verify_one_step`; `cargo test` builds it, so it keeps compiling).

pub mod baselines;
pub mod bench;
pub mod cli;
pub mod doctor;
pub mod element;
pub mod error;
pub mod grade;
pub mod half_ref;
pub mod inputs;
pub mod ladder;
pub mod ladders;
pub mod npy;
pub mod npy_inputs;
pub mod ops;
pub mod ptx;
pub mod reference;
pub mod registry;
pub mod runtime;
pub mod shape;
pub mod testing;
pub mod tools;
pub mod tuning;
pub mod verify;

pub use error::{Error, Result};
