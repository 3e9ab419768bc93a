//! The device API on the host: the same modules, types and functions as `gpu/` (the nvptx
//! side, which this mirrors), implemented by the CPU emulator (`crate::emu`) instead of PTX, so
//! that every kernel also compiles for the host and runs in the emulator.
//!
//! Each function behaves as its PTX does, except where its doc says how it differs (fast math
//! is computed accurately, docs/emulator.md). Memory accesses, barriers and warp collectives
//! take the caller's source location (`#[track_caller]`), so the emulator's messages name the
//! kernel's line. A device function added to `gpu/` needs its twin here; one the emulator
//! cannot model calls [`crate::emu::not_emulated`].

pub mod atomic;
pub mod cluster;
pub mod cp_async;
pub mod global;
pub mod grid_dep;
pub mod half;
pub mod ldmatrix;
pub mod math;
pub mod mma;
pub mod norm_reduce;
pub mod shared;
pub mod sync;
pub mod thread;
pub mod tma;
#[path = "../unroll.rs"]
pub mod unroll;
pub mod warp;
pub mod wgmma;

pub use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
pub use crate::ptr::F32x4;
pub use crate::swizzle;
pub use sync::sync_threads;
pub use unroll::unroll;
