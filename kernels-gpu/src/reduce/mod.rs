//! Reductions of f32 (sum and max): the reduction ladder. Each step is one generic body over
//! [`ReduceOp`], instantiated as `reduce_sum_sNN_*` and `reduce_max_sNN_*`.
//!
//! Steps 1–7 reduce each block's slice to one partial in `output[blockIdx.x]`; the host
//! launches them again on the partials until one value is left. The single-pass step
//! finishes in one launch.

mod s05_warp_shuffle;
pub use s05_warp_shuffle::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the reduction kernels: `output[block] = reduce(input[block's slice])`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ReduceParams {
    pub input: GlobalPtr<f32>,
    pub output: GlobalPtrMut<f32>,
    pub n: u32,
}
unsafe impl KernelParams for ReduceParams {}

/// A reduction operator: an identity and an associative, commutative combine.
pub trait ReduceOp {
    /// The identity (`0` for sum, `-inf` for max).
    const IDENTITY: f32;
    /// Combines two values.
    fn combine(a: f32, b: f32) -> f32;
    /// Combines over the 32 lanes of a warp (every lane gets the result).
    #[cfg(target_arch = "nvptx64")]
    fn warp(v: f32) -> f32;
}

/// Sum.
pub struct Sum;
/// Maximum.
pub struct Max;

impl ReduceOp for Sum {
    const IDENTITY: f32 = 0.0;
    #[inline(always)]
    fn combine(a: f32, b: f32) -> f32 {
        a + b
    }
    #[cfg(target_arch = "nvptx64")]
    #[inline(always)]
    fn warp(v: f32) -> f32 {
        crate::gpu::warp::reduce_sum(v)
    }
}

impl ReduceOp for Max {
    const IDENTITY: f32 = f32::NEG_INFINITY;
    #[inline(always)]
    fn combine(a: f32, b: f32) -> f32 {
        a.max(b)
    }
    #[cfg(target_arch = "nvptx64")]
    #[inline(always)]
    fn warp(v: f32) -> f32 {
        crate::gpu::warp::reduce_max(v)
    }
}
