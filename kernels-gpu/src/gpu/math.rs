//! Fast math on the special-function unit (`MUFU`), and FMA.
//!
//! core has no `expf` on nvptx; these are what CUDA's `__expf`, `__logf`, `rsqrtf` and
//! `tanhf` fast paths emit. Accuracy: `ex2.approx` and `lg2.approx` have about 2 ulp of
//! relative error (plus the rounding of the scale), `tanh.approx` about 2^-11 absolute.

use core::arch::asm;

/// `fma.rn.f32`: `a * b + c` with one rounding. Rust never contracts `a * b + c` into an FMA
/// on its own (docs/architecture.md §3); write this where the FMA matters.
#[inline(always)]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    core::f32::math::mul_add(a, b, c)
}

/// `max.NaN.f32` (sm_80+): the larger of `a` and `b`, NaN if either is NaN (IEEE 754-2019
/// `maximum`, `torch.max`'s rule). Plain `f32::max` is `max.f32`, which returns the number
/// when one operand is NaN.
#[inline(always)]
pub fn max_nan(a: f32, b: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("max.NaN.f32 {r}, {a}, {b};", r = out(reg32) r, a = in(reg32) a, b = in(reg32) b, options(pure, nomem, nostack))
    };
    r
}

/// `ex2.approx.ftz.f32`: `2^x`.
#[inline(always)]
pub fn exp2_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("ex2.approx.ftz.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}

/// `e^x` as `ex2.approx(x * log2(e))` (CUDA's `__expf`).
#[inline(always)]
pub fn exp_fast(x: f32) -> f32 {
    exp2_fast(x * core::f32::consts::LOG2_E)
}

/// `lg2.approx.ftz.f32`: `log2(x)`.
#[inline(always)]
pub fn log2_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("lg2.approx.ftz.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}

/// `ln(x)` as `lg2.approx(x) * ln(2)` (CUDA's `__logf`).
#[inline(always)]
pub fn log_fast(x: f32) -> f32 {
    log2_fast(x) * core::f32::consts::LN_2
}

/// `rsqrt.approx.ftz.f32`: `1 / sqrt(x)`.
#[inline(always)]
pub fn rsqrt_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("rsqrt.approx.ftz.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}

/// `rcp.approx.ftz.f32`: `1 / x` (about 1 ulp; no division subroutine, unlike `1.0 / x`,
/// which is IEEE-rounded and calls ptxas's `rcp_rn` slow path).
#[inline(always)]
pub fn rcp_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("rcp.approx.ftz.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}

/// `tanh.approx.f32` (sm_75+): `tanh(x)`.
#[inline(always)]
pub fn tanh_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("tanh.approx.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}
