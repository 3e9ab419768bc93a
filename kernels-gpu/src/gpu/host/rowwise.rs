//! Helpers of the row-wise ladders in the emulator: `rcp.approx` computed exactly (the GPU's is
//! within about 1 ulp), keeping its `.ftz` behaviour.

/// `rcp.approx.ftz.f32`: `1 / x`, subnormal inputs and results flushed to zero of their sign.
#[inline]
pub fn rcp_fast(x: f32) -> f32 {
    let x = if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    };
    let r = 1.0 / x;
    if r.is_subnormal() {
        0.0f32.copysign(r)
    } else {
        r
    }
}
