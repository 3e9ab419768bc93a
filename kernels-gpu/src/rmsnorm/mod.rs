//! RMS normalisation over the last dimension of a row-major `rows × cols` matrix:
//! `y = x·rstd·γ` with `rstd = 1/√(mean(x²) + eps)`, outputs `y` and the per-row `rstd`
//! (f32). The kernels are layernorm's register body with `RMS = true` (no mean pass, no β):
//! step 1 f32, step 2 bf16 in memory with f32 math.

steps! {
    s01_registers,
    s02_bf16_registers,
    s03_strided,
    s04_bf16_strided,
    s05_bf16_pipelined,
    s06_bf16_short_rows,
    s07_short_rows,
}

pub use crate::layernorm::Grid;
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the rmsnorm forward kernels: `x`, `y` are `rows × cols`, `gamma` has `cols`
/// values, `rstd` has `rows`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RmsNormParams<T = f32> {
    pub x: GlobalPtr<T>,
    pub gamma: GlobalPtr<T>,
    pub y: GlobalPtrMut<T>,
    pub rstd: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
    pub eps: f32,
}
unsafe impl<T: Copy> KernelParams for RmsNormParams<T> {}
