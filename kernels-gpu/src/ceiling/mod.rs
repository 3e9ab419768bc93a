//! Ceiling kernels: not ladder steps, but the hardware limits every benchmark run measures
//! beside the ladders (host/bench/ceilings.rs): read-only streaming bandwidth and FP32 FMA
//! throughput. Their symbols are registered as auxiliary symbols (`registry::aux_symbols`), so
//! the module-load symbol check covers them.

mod fma_throughput;
mod read_stream;
pub use fma_throughput::*;
pub use read_stream::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of [`ceiling_read_stream`]: `n4` 16-byte vectors to read, one partial sum per
/// thread written to `out` (length = grid × block threads).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ReadStreamParams {
    pub input: GlobalPtr<f32>,
    pub out: GlobalPtrMut<f32>,
    /// Number of [`F32x4`] vectors in `input`.
    pub n4: u32,
}
unsafe impl KernelParams for ReadStreamParams {}

/// Arguments of [`ceiling_fma_throughput`]: every thread runs `iters` rounds of
/// [`FMA_CHAINS`] independent FMA chains and writes one value to `out[thread]`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FmaThroughputParams {
    pub out: GlobalPtrMut<f32>,
    pub iters: u32,
    /// Multiplier of the chains (close to 1 so values stay finite).
    pub a: f32,
    /// Addend of the chains.
    pub b: f32,
}
unsafe impl KernelParams for FmaThroughputParams {}

/// Independent FMA chains per thread of [`ceiling_fma_throughput`]: enough to hide the 4-cycle
/// FMA latency at any occupancy.
pub const FMA_CHAINS: u32 = 16;
/// FMAs per chain per loop iteration (unrolled).
pub const FMA_UNROLL: u32 = 8;

/// FLOPs of one launch of [`ceiling_fma_throughput`] with `threads` threads in all.
pub fn fma_throughput_flops(threads: u64, iters: u32) -> f64 {
    2.0 * threads as f64 * iters as f64 * (FMA_CHAINS * FMA_UNROLL) as f64
}
