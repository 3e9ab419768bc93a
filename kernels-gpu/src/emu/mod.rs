//! The CPU emulator of the device API (host builds only): every kernel of this crate also
//! compiles for the host, and [`launch`] runs it over a grid with checks a GPU does not make.
//!
//! - [`Memory`] holds the emulated global memory: allocations with their bounds, so each
//!   `GlobalPtr` access is checked (out of bounds, freed, misaligned).
//! - [`launch`] runs block by block; each block's threads are stackful coroutines
//!   (corosensei) with a seeded, reproducible interleaving ([`Options`]); `sync_threads()` and
//!   the warp collectives are rendezvous points.
//! - Shared memory is checked for races between barriers, for accesses outside its arrays and
//!   for reads of bytes never written ([`Warning`]); barriers for divergence and deadlock.
//!
//! The device API's host side is `crate::gpu` (`src/gpu/host/`), which calls into [`ctx`].
//! What is modelled and what is not: docs/emulator.md.

pub(crate) mod ctx;
mod error;
mod kernel;
mod launch;
mod memory;
mod shared;

pub use ctx::not_emulated;
#[doc(hidden)]
pub use ctx::shared_array;
pub use error::{Error, ErrorKind, Warning};
pub use kernel::HostKernel;
#[doc(hidden)]
pub use kernel::{params_size_of, params_type_of};
pub use launch::{LaunchConfig, MAX_CLUSTER_BLOCKS, Options, Report, launch};
pub use memory::Memory;
#[doc(hidden)]
pub use shared::SharedDecl;
