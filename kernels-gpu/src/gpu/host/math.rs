//! Fast math in the emulator. The GPU's `MUFU` approximations are computed here with the host's
//! accurate functions, keeping only the `.ftz` behaviour (subnormal inputs and results become
//! ±0), so results differ from the GPU's by the approximation error: `ex2.approx` / `lg2.approx`
//! about 2 ulp, `rsqrt.approx` about 1 ulp, `tanh.approx` up to about 2^-11 absolute (which the
//! ladders' tolerances already allow, §6). `fma` and `max_nan` are exact, as on the GPU.

/// A subnormal becomes a zero of its sign (`.ftz`).
#[inline]
fn ftz(x: f32) -> f32 {
    if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// `fma.rn.f32`: `a * b + c` with one rounding.
#[inline]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}

/// `max.NaN.f32`: the larger of `a` and `b`, the canonical NaN if either is NaN; `+0` above `-0`.
#[inline]
pub fn max_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::from_bits(0x7fff_ffff)
    } else if a == b {
        f32::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}

/// `ex2.approx.ftz.f32`: `2^x` (here accurate, see the module doc).
#[inline]
pub fn exp2_fast(x: f32) -> f32 {
    ftz(ftz(x).exp2())
}

/// `e^x` as `ex2.approx(x * log2(e))` (CUDA's `__expf`), the same two steps as on the GPU.
#[inline]
pub fn exp_fast(x: f32) -> f32 {
    exp2_fast(x * core::f32::consts::LOG2_E)
}

/// `lg2.approx.ftz.f32`: `log2(x)`.
#[inline]
pub fn log2_fast(x: f32) -> f32 {
    ftz(ftz(x).log2())
}

/// `ln(x)` as `lg2.approx(x) * ln(2)` (CUDA's `__logf`).
#[inline]
pub fn log_fast(x: f32) -> f32 {
    log2_fast(x) * core::f32::consts::LN_2
}

/// `rsqrt.approx.ftz.f32`: `1 / sqrt(x)`.
#[inline]
pub fn rsqrt_fast(x: f32) -> f32 {
    ftz(1.0 / ftz(x).sqrt())
}

/// `rcp.approx.ftz.f32`: `1 / x`.
#[inline]
pub fn rcp_fast(x: f32) -> f32 {
    ftz(1.0 / ftz(x))
}

/// `tanh.approx.f32`: `tanh(x)`.
#[inline]
pub fn tanh_fast(x: f32) -> f32 {
    x.tanh()
}
