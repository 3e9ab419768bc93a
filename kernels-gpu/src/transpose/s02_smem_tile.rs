#[allow(unused_imports)]
use super::TransposeParams;
use crate::gpu::{shared::SharedPtr, sync_threads, thread};

/// Edge of the shared tile of steps 2 and 3 (block 32 × 8: each thread moves 4 elements).
pub const TILE: u32 = 32;
/// Rows of the block (threads per block = `TILE · BLOCK_ROWS` = 256).
pub const BLOCK_ROWS: u32 = 8;

/// Steps 2–3 body: a 32 × 32 tile through shared memory with row stride `STRIDE` words.
///
/// Thread mapping: block 32 × 8; thread `(tx, ty)` reads input rows `ty, ty+8, ty+16, ty+24`
/// of the tile at column `tx` (coalesced) into `tile[row][tx]`, then after `bar.sync` writes
/// output rows `ty + 8j` (= input columns) at column `tx` (= input row) from
/// `tile[tx][ty + 8j]`: the writes are coalesced too. Out-of-range elements are neither read
/// nor written, and a tile entry is read only where it was written.
///
/// Shared-memory banks: the column read `tile[tx][·]` touches addresses `tx·STRIDE + k`.
/// With `STRIDE = 32` all 32 lanes hit one bank (32-way conflict, step 2); with 33 they hit 32
/// different banks (step 3).
#[inline(always)]
pub(crate) fn tiled_body<const STRIDE: u32>(p: TransposeParams, tile: SharedPtr<f32>) {
    let (bx, by) = super::tile_of_block(p.cols, TILE);
    let (tx, ty) = (thread::thread_idx_x(), thread::thread_idx_y());
    let (rows, cols) = (p.rows, p.cols);
    let c = bx * TILE + tx;
    let mut j = 0;
    while j < TILE {
        let r = by * TILE + ty + j;
        if r < rows && c < cols {
            let v = unsafe { p.input.load(r as usize * cols as usize + c as usize) };
            unsafe { tile.store((ty + j) * STRIDE + tx, v) };
        }
        j += BLOCK_ROWS;
    }
    sync_threads();
    // Output element (orow, ocol) = input (ocol, orow).
    let ocol = by * TILE + tx;
    let mut j = 0;
    while j < TILE {
        let orow = bx * TILE + ty + j;
        if orow < cols && ocol < rows {
            let v = unsafe { tile.load(tx * STRIDE + ty + j) };
            unsafe {
                p.output
                    .store(orow as usize * rows as usize + ocol as usize, v)
            };
        }
        j += BLOCK_ROWS;
    }
}

kernel! {
    /// Step 2 — shared-memory tile, 32 × 32, block 32 × 8 (4 elements per thread).
    ///
    /// Changed from step 1: the block stages a 32 × 32 tile in shared memory so that both the
    /// global reads and the global writes are whole 128-byte lines; the transposition happens
    /// in shared memory. New cost: reading a tile column (`tile[tx][k]`, stride 32 words) is a
    /// 32-way bank conflict, so each of those `LDS` replays 32 times.
    ///
    /// Bytes: 8 per element, all coalesced. Expected: ~2× over step 1, capped by the
    /// conflicts (roughly 60–70% of copy bandwidth).
    fn transpose_s02_smem_tile(p: TransposeParams) {
        let tile = shared_array!(transpose_s02_tile: [f32; (TILE * TILE) as usize]);
        tiled_body::<TILE>(p, tile)
    }
}

step! {
    kernel: transpose_s02_smem_tile,
    technique: "32x32 shared tile, block 32x8: coalesced both ways, 32-way bank conflicts",
    dtype: F32,
    accepts: Exactly,
    grid: Grid { tile: (TILE, TILE), block: (TILE, BLOCK_ROWS) },
}
