//! Helpers of the normalisation kernels (layernorm, rmsnorm).

use core::arch::asm;

/// `x`, through a `mov.b32` the optimiser cannot see through or merge with another: a value
/// computed from the result is computed again, not kept from an earlier computation from `x`.
/// The normalisation kernels pass `threadIdx.x` through it before their last pass, so the
/// addresses of the row's vectors are recomputed there (two integer adds each) instead of
/// being kept in registers across both block reductions (64-bit each: spills at 64
/// registers).
#[inline(always)]
pub fn opaque_u32(x: u32) -> u32 {
    let r: u32;
    // SAFETY: a register move; not `pure`, so LLVM neither merges nor hoists it.
    unsafe {
        asm!("mov.b32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(nomem, nostack))
    };
    r
}
