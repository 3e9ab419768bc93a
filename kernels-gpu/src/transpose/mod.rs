//! Matrix transpose, `out[c][r] = in[r][c]` for an `rows × cols` row-major input (the output is
//! `cols × rows`): the transpose ladder. Steps 1–5 move f32, step 6 bf16. Any shape, including
//! edges that are not a multiple of the tile.
//!
//! Every step launches a 1-D grid of tiles (`tiles_x · tiles_y` blocks, block `b` takes tile
//! `(b % tiles_x, b / tiles_x)`), so tall matrices never hit the 65535 limit of `gridDim.y`.

steps! {
    s01_naive,
    s02_smem_tile,
    s03_padded,
    s04_vectorized_4x4,
    s05_smem_vectorized,
    s06_bf16_smem_vectorized,
}

/// How a transpose step is launched: a 1-D grid of tiles, each block covering one input patch.
#[derive(Clone, Copy, Debug)]
pub struct Grid {
    /// Width and height of the input patch one block covers.
    pub tile: (u32, u32),
    /// Block dimensions (x, y).
    pub block: (u32, u32),
}

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the transpose kernels: `input` is `rows × cols`, `output` is `cols × rows`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TransposeParams<T = f32> {
    pub input: GlobalPtr<T>,
    pub output: GlobalPtrMut<T>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl<T: Copy> KernelParams for TransposeParams<T> {}

/// Tile `(x, y)` of this block when the grid is 1-D over `ceil(cols / tile_w)` tiles per row.
#[inline(always)]
pub(crate) fn tile_of_block(cols: u32, tile_w: u32) -> (u32, u32) {
    let tiles_x = cols.div_ceil(tile_w);
    let b = crate::gpu::thread::block_idx_x();
    (b % tiles_x, b / tiles_x)
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        self.block.0 * self.block.1
    }
}
