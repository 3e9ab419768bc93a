//! Row sums of a row-major f32 `rows × cols` matrix, `out[r] = Σ_c in[r][c]`: the 2-D
//! reduction ladder (one thread per row → one warp per row → one block per row).

mod s01_thread_per_row;
mod s02_warp_per_row;
mod s03_block_per_row;
pub use s01_thread_per_row::*;
pub use s02_warp_per_row::*;
pub use s03_block_per_row::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the row-sum kernels: `input` is `rows × cols`, `output` has `rows` values.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RowSumParams {
    pub input: GlobalPtr<f32>,
    pub output: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl KernelParams for RowSumParams {}
