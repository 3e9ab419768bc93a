//! Thread, block and grid indices (PTX special registers `%tid`, `%ctaid`, `%ntid`, `%nctaid`,
//! `%laneid`), with 1-D and 2-D helpers.

use core::arch::nvptx;

/// `%tid.x`: the thread's index in its block, x.
#[inline(always)]
pub fn thread_idx_x() -> u32 {
    unsafe { nvptx::_thread_idx_x() as u32 }
}
/// `%tid.y`.
#[inline(always)]
pub fn thread_idx_y() -> u32 {
    unsafe { nvptx::_thread_idx_y() as u32 }
}
/// `%ctaid.x`: the block's index in the grid, x.
#[inline(always)]
pub fn block_idx_x() -> u32 {
    unsafe { nvptx::_block_idx_x() as u32 }
}
/// `%ctaid.y`.
#[inline(always)]
pub fn block_idx_y() -> u32 {
    unsafe { nvptx::_block_idx_y() as u32 }
}
/// `%ntid.x`: threads per block, x.
#[inline(always)]
pub fn block_dim_x() -> u32 {
    unsafe { nvptx::_block_dim_x() as u32 }
}
/// `%ntid.y`.
#[inline(always)]
pub fn block_dim_y() -> u32 {
    unsafe { nvptx::_block_dim_y() as u32 }
}
/// `%nctaid.x`: blocks in the grid, x.
#[inline(always)]
pub fn grid_dim_x() -> u32 {
    unsafe { nvptx::_grid_dim_x() as u32 }
}
/// `%nctaid.y`.
#[inline(always)]
pub fn grid_dim_y() -> u32 {
    unsafe { nvptx::_grid_dim_y() as u32 }
}

/// The global 1-D index `blockIdx.x * blockDim.x + threadIdx.x` (one `mad.lo`), as `usize`.
#[inline(always)]
pub fn index_1d() -> usize {
    (block_idx_x() * block_dim_x() + thread_idx_x()) as usize
}

/// The global 2-D index `(x, y)`: x is the fast (contiguous) direction.
#[inline(always)]
pub fn index_2d() -> (usize, usize) {
    (
        (block_idx_x() * block_dim_x() + thread_idx_x()) as usize,
        (block_idx_y() * block_dim_y() + thread_idx_y()) as usize,
    )
}

/// Total threads in a 1-D grid, the step of a grid-stride loop.
#[inline(always)]
pub fn grid_stride_1d() -> usize {
    (grid_dim_x() * block_dim_x()) as usize
}

/// The lane within the warp, 0..32 (`threadIdx.x % 32` for 1-D blocks; one `and`).
#[inline(always)]
pub fn lane_id() -> u32 {
    thread_idx_x() & 31
}

/// The warp within a 1-D block (`threadIdx.x / 32`).
#[inline(always)]
pub fn warp_id() -> u32 {
    thread_idx_x() >> 5
}
