//! Bias + GELU, `y[r][c] = gelu(x[r][c] + bias[c])` over a row-major `rows × cols` matrix, with
//! the tanh approximation `gelu(v) = 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³)))`: the fusion
//! ladder (two kernels and a temporary → one kernel → one vectorised kernel), then the
//! vectorised kernel on bf16 data (f32 math, 8 halves per 128-bit access).

steps! {
    s01_two_kernels,
    s02_fused,
    s03_fused_vectorized,
    s04_bf16_fused_vectorized,
}

/// How a bias + GELU step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// Two kernels (the step's first symbol, then its second), one thread per element each.
    TwoKernels { threads: u32 },
    /// One kernel, one thread per element.
    OnePerElement { threads: u32 },
    /// One kernel, a grid-stride loop of `per_thread`-element vectors over `blocks_per_sm`
    /// blocks per SM.
    Stride {
        threads: u32,
        blocks_per_sm: u32,
        per_thread: u32,
    },
}

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the bias-GELU kernels. `tmp` (`rows × cols`) is used only by the two-kernel
/// step: the first kernel writes `x + bias` there, the second reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BiasGeluParams<T = f32> {
    pub x: GlobalPtr<T>,
    pub bias: GlobalPtr<T>,
    pub tmp: GlobalPtrMut<T>,
    pub y: GlobalPtrMut<T>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl<T: Copy> KernelParams for BiasGeluParams<T> {}

/// `√(2/π)`.
pub const SQRT_2_OVER_PI: f32 = 0.797_884_6;
/// The cubic coefficient of the tanh approximation.
pub const GELU_CUBIC: f32 = 0.044_715;

/// Tanh-approximated GELU: `tanh.approx.f32` (MUFU.TANH, ~2⁻¹¹ relative error), two FMAs.
/// `h·(1 + t)` is computed as `fma(h, t, h)` with `h = v/2`.
#[inline(always)]
pub fn gelu(v: f32) -> f32 {
    use crate::gpu::math::{fma, tanh_fast};
    let u = v * fma(SQRT_2_OVER_PI * GELU_CUBIC, v * v, SQRT_2_OVER_PI);
    let h = 0.5 * v;
    fma(h, tanh_fast(u), h)
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::TwoKernels { threads }
            | Grid::OnePerElement { threads }
            | Grid::Stride { threads, .. } => threads,
        }
    }
}
