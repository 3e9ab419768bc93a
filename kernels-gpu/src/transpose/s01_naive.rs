#[allow(unused_imports)]
use super::TransposeParams;
use crate::gpu::thread;

/// Width and height of the step-1 block's patch (block 32 × 8, one element per thread).
pub const S01_TILE: (u32, u32) = (32, 8);

kernel! {
    /// Step 1 — naive: one thread per element, `out[c·rows + r] = in[r·cols + c]`.
    ///
    /// Thread mapping: block 32 × 8 covers a 32-wide, 8-tall patch; `threadIdx.x` runs along
    /// a row of the input, so the reads of a warp are one 128-byte line (coalesced) and its
    /// writes hit 32 different output rows, `4·rows` bytes apart: 32 sectors of 32 bytes for
    /// 128 useful bytes.
    ///
    /// Bytes: 8 per element (read + write). Expected: the writes move 8× the useful bytes
    /// through L2 (a 32-byte sector per 4-byte store); L2 merges some of them before DRAM, so
    /// well under half of copy bandwidth.
    fn transpose_s01_naive(p: TransposeParams) {
        let (bx, by) = super::tile_of_block(p.cols, S01_TILE.0);
        let c = bx * S01_TILE.0 + thread::thread_idx_x();
        let r = by * S01_TILE.1 + thread::thread_idx_y();
        if r < p.rows && c < p.cols {
            let (r, c) = (r as usize, c as usize);
            unsafe {
                p.output.store(c * p.rows as usize + r, p.input.load(r * p.cols as usize + c))
            };
        }
    }
}

step! {
    kernel: transpose_s01_naive,
    technique: "one thread per element: coalesced reads, strided writes",
    dtype: F32,
    accepts: Exactly,
    grid: Grid { tile: S01_TILE, block: S01_TILE },
}
