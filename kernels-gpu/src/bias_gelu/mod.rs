//! Bias + GELU, `y[r][c] = gelu(x[r][c] + bias[c])` over a row-major `rows × cols` matrix, with
//! the tanh approximation `gelu(v) = 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³)))`: the fusion
//! ladder (two kernels and a temporary → one kernel → one vectorised kernel).

mod s01_two_kernels;
mod s02_fused;
mod s03_fused_vectorized;
pub use s01_two_kernels::*;
pub use s02_fused::*;
pub use s03_fused_vectorized::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the bias-GELU kernels. `tmp` (`rows × cols`) is used only by the two-kernel
/// step: the first kernel writes `x + bias` there, the second reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BiasGeluParams {
    pub x: GlobalPtr<f32>,
    pub bias: GlobalPtr<f32>,
    pub tmp: GlobalPtrMut<f32>,
    pub y: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl KernelParams for BiasGeluParams {}

/// `√(2/π)`.
pub const SQRT_2_OVER_PI: f32 = 0.797_884_6;
/// The cubic coefficient of the tanh approximation.
pub const GELU_CUBIC: f32 = 0.044_715;

/// Tanh-approximated GELU: `tanh.approx.f32` (MUFU.TANH, ~2⁻¹¹ relative error), two FMAs.
/// `h·(1 + t)` is computed as `fma(h, t, h)` with `h = v/2`.
#[cfg(target_arch = "nvptx64")]
#[inline(always)]
pub fn gelu(v: f32) -> f32 {
    use crate::gpu::math::{fma, tanh_fast};
    let u = v * fma(SQRT_2_OVER_PI * GELU_CUBIC, v * v, SQRT_2_OVER_PI);
    let h = 0.5 * v;
    fma(h, tanh_fast(u), h)
}
