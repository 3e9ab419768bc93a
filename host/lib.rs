//! kernel-lab's host library: the runtime on cudarc, the ladder registries, verification,
//! the benchmark harness, and the `klab` CLI.
//!
//! ```no_run
//! use kernel_lab::{registry, runtime::Gpu, inputs};
//! let gpu = Gpu::open_default()?;
//! let (ladder, step) = registry::find("reduce_sum/5")?;
//! let mut case = ladder.prepare(&gpu, &ladder.default_shape(), inputs::fresh_seed())?;
//! let check = case.verify(&gpu, step)?;
//! assert!(check.passed(), "{check}");
//! # Ok::<(), kernel_lab::Error>(())
//! ```

pub mod baselines;
pub mod bench;
pub mod cli;
pub mod doctor;
pub mod error;
pub mod inputs;
pub mod ladders;
pub mod npy;
pub mod npy_inputs;
pub mod ptx;
pub mod registry;
pub mod runtime;
pub mod shape;
pub mod testing;
pub mod tools;
pub mod tuning;
pub mod verify;

pub use error::{Error, Result};
