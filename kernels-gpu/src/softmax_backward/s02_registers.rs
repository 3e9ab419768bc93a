#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxBackwardParams};

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 2 — both rows in registers: one read of `y` and `dy`, one write of `dx`.
    ///
    /// Changed from step 1: each thread issues all its loads first (at most [`CHUNKS`] = 2
    /// chunks of 8 of each input: 32 f32 registers, four `LDG.E.128` per input), the block sums
    /// `dy·y`, and each thread writes `y·(dy − dot)` from its registers (`STG.E.128`). Block
    /// size by `softmax::register_block_threads` (256 threads at 4096 columns). A row holds at
    /// most `16 × 1024` = 16384 columns this way: the 32000-wide rows (256 KB of `y` and `dy`,
    /// the whole register file of an SM) take step 1's two passes inside the kernel, as do
    /// rows that are not whole 16-byte chunks.
    ///
    /// Bytes: `12·rows·cols` (the minimum). Expected: ≥ 85% of copy at 4096²; at 8192 × 32000
    /// step 1's, ≈ 75–85% (the second read from L2).
    fn softmax_backward_s02_registers(p: SoftmaxBackwardParams) {
        let (team, r) = super::block_row(shared_array!(softmax_backward_s02_w: [f32; 32]));
        let off = r * p.cols as usize;
        super::registers_row::<f32, CHUNKS, true>(
            p.y.offset(off),
            p.dy.offset(off),
            p.dx.offset(off),
            p.cols as usize,
            true,
            team,
        );
    }
}

kernel! {
    /// Step 2, short rows (at most 512 columns): a sub-warp team per row (the fewest lanes that
    /// hold it at 2 chunks each), shuffles only.
    fn softmax_backward_s02_registers_warp(p: SoftmaxBackwardParams) {
        super::warp_rows!(p, f32, CHUNKS);
    }
}

step! {
    kernels: [softmax_backward_s02_registers, softmax_backward_s02_registers_warp],
    technique: "y and dy in registers: one read each, 128-bit loads; lanes per row up to 512",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 512, chunks: CHUNKS as u32 },
}
