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

/// `div.full.f32`: `a / b` within 2 ulp, inline (`MUFU.RCP` and a few FMAs). The IEEE
/// `div.rn.f32` that Rust's `/` emits calls a slow-path subroutine, which these kernels do not
/// need for a sum divided by the row length (their tolerances allow far more than 2 ulp).
#[inline(always)]
pub fn div_full(a: f32, b: f32) -> f32 {
    let r: f32;
    // SAFETY: a register-only instruction.
    unsafe {
        asm!("div.full.f32 {r}, {a}, {b};", r = out(reg32) r, a = in(reg32) a, b = in(reg32) b,
            options(pure, nomem, nostack))
    };
    r
}
