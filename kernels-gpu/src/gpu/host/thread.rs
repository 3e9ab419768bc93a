//! Thread, block and grid indices of the emulated thread (`%tid`, `%ctaid`, `%ntid`, `%nctaid`).

use crate::emu::ctx::indices;

/// `%tid.x`: the thread's index in its block, x.
#[inline]
pub fn thread_idx_x() -> u32 {
    indices().0[0]
}
/// `%tid.y`.
#[inline]
pub fn thread_idx_y() -> u32 {
    indices().0[1]
}
/// `%ctaid.x`: the block's index in the grid, x.
#[inline]
pub fn block_idx_x() -> u32 {
    indices().1[0]
}
/// `%ctaid.y`.
#[inline]
pub fn block_idx_y() -> u32 {
    indices().1[1]
}
/// `%ntid.x`: threads per block, x.
#[inline]
pub fn block_dim_x() -> u32 {
    indices().2[0]
}
/// `%ntid.y`.
#[inline]
pub fn block_dim_y() -> u32 {
    indices().2[1]
}
/// `%nctaid.x`: blocks in the grid, x.
#[inline]
pub fn grid_dim_x() -> u32 {
    indices().3[0]
}
/// `%nctaid.y`.
#[inline]
pub fn grid_dim_y() -> u32 {
    indices().3[1]
}

/// The global 1-D index `blockIdx.x * blockDim.x + threadIdx.x`, as `usize`.
#[inline]
pub fn index_1d() -> usize {
    (block_idx_x() * block_dim_x() + thread_idx_x()) as usize
}

/// The global 2-D index `(x, y)`: x is the fast (contiguous) direction.
#[inline]
pub fn index_2d() -> (usize, usize) {
    (
        (block_idx_x() * block_dim_x() + thread_idx_x()) as usize,
        (block_idx_y() * block_dim_y() + thread_idx_y()) as usize,
    )
}

/// Total threads in a 1-D grid, the step of a grid-stride loop.
#[inline]
pub fn grid_stride_1d() -> usize {
    (grid_dim_x() * block_dim_x()) as usize
}

/// The lane within the warp, 0..32 (`threadIdx.x % 32` for 1-D blocks, as on the GPU side).
#[inline]
pub fn lane_id() -> u32 {
    thread_idx_x() & 31
}

/// The warp within a 1-D block (`threadIdx.x / 32`).
#[inline]
pub fn warp_id() -> u32 {
    thread_idx_x() >> 5
}
