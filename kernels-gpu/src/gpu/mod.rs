//! The device API (our `cuda_std`): what kernels call instead of raw PTX.
//!
//! Same vocabulary as rust-cuda's `cuda_std` where one exists (`thread::index_1d`,
//! `sync_threads`, `shared_array!`, `warp::shuffle_down`). Each function's doc names the PTX it
//! emits. Only compiled for `nvptx64`.

pub mod atomic;
#[cfg(target_feature = "sm_90a")]
pub mod cluster;
pub mod cp_async;
pub mod global;
#[cfg(target_feature = "sm_90a")]
pub mod grid_dep;
pub mod half;
pub mod ldmatrix;
pub mod math;
pub mod mma;
pub mod norm_reduce;
pub mod shared;
pub mod sync;
pub mod thread;
#[cfg(target_feature = "sm_90a")]
pub mod tma;
pub mod unroll;
pub mod warp;
#[cfg(target_feature = "sm_90a")]
pub mod wgmma;

pub use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
pub use crate::ptr::F32x4;
pub use crate::swizzle;
pub use sync::sync_threads;
pub use unroll::unroll;
