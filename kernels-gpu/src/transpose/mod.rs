//! Matrix transpose of f32, `out[c][r] = in[r][c]` for an `rows × cols` row-major input (the
//! output is `cols × rows`): the transpose ladder. Any shape, including edges that are not a
//! multiple of the tile.
//!
//! Every step launches a 1-D grid of tiles (`tiles_x · tiles_y` blocks, block `b` takes tile
//! `(b % tiles_x, b / tiles_x)`), so tall matrices never hit the 65535 limit of `gridDim.y`.

mod s01_naive;
mod s02_smem_tile;
mod s03_padded;
mod s04_vectorized_4x4;
mod s05_smem_vectorized;
pub use s01_naive::*;
pub use s02_smem_tile::*;
pub use s03_padded::*;
pub use s04_vectorized_4x4::*;
pub use s05_smem_vectorized::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the transpose kernels: `input` is `rows × cols`, `output` is `cols × rows`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TransposeParams {
    pub input: GlobalPtr<f32>,
    pub output: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl KernelParams for TransposeParams {}

/// Tile `(x, y)` of this block when the grid is 1-D over `ceil(cols / tile_w)` tiles per row.
#[cfg(target_arch = "nvptx64")]
#[inline(always)]
pub(crate) fn tile_of_block(cols: u32, tile_w: u32) -> (u32, u32) {
    let tiles_x = cols.div_ceil(tile_w);
    let b = crate::gpu::thread::block_idx_x();
    (b % tiles_x, b / tiles_x)
}
