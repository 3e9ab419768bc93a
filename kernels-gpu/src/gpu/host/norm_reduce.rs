//! Helpers of the normalisation kernels, on the host.

/// `x` (on the GPU a `mov.b32` the optimiser cannot merge; nothing to hide on the host).
#[inline]
pub fn opaque_u32(x: u32) -> u32 {
    x
}

/// `div.full.f32`: `a / b` (on the GPU within 2 ulp; here the correctly rounded quotient).
#[inline]
pub fn div_full(a: f32, b: f32) -> f32 {
    a / b
}
