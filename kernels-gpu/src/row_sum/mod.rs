//! Row sums of a row-major `rows × cols` matrix, `out[r] = Σ_c in[r][c]` in f32: the 2-D
//! reduction ladder (one thread per row → one warp per row → one block per row), of f32
//! input (steps 1–3) and of bf16 input (step 4).

steps! {
    s01_thread_per_row,
    s02_warp_per_row,
    s03_block_per_row,
    s04_bf16_block_per_row,
}

/// How a row-sum step is launched: what sums one row.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// One thread per row: `rows` threads, `threads` per block.
    ThreadPerRow { threads: u32 },
    /// One warp per row: `32 × rows` threads, `threads` per block.
    WarpPerRow { threads: u32 },
    /// One block of `threads` per row.
    BlockPerRow { threads: u32 },
}

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the row-sum kernels: `input` is `rows × cols`, `output` has `rows` values.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RowSumParams<T = f32> {
    pub input: GlobalPtr<T>,
    pub output: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl<T: Copy> KernelParams for RowSumParams<T> {}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::ThreadPerRow { threads }
            | Grid::WarpPerRow { threads }
            | Grid::BlockPerRow { threads } => threads,
        }
    }
}
