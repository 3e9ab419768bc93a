#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxBackwardParams};

/// Chunks of `y` a thread of step 4's long-row path holds: 4 (32 f32 registers), a row of
/// `32 × 1024` = 32768 columns.
pub const Y_CHUNKS: usize = 4;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 4 — step 2 with a long-row path that holds only `y`: rows of 16384 to 32768
    /// columns read each input once from DRAM.
    ///
    /// Changed from step 2: a row that fits 2 chunks of `y` and of `dy` a thread (at most
    /// 16384 columns: every benchmark shape but 8192 × 32000) runs step 2's body unchanged; a
    /// longer one (up to `8 × 4 × 1024` = 32768 columns, whole aligned chunks) holds 4 chunks
    /// of `y` a thread (32 registers), streams `dy` into the dot, and re-reads `dy` for
    /// `y·(dy − dot)` ([`super::y_registers_row`]) instead of step 2's fallback, which re-reads
    /// both inputs ([`super::two_pass_row`]). Same grid as step 2 (1024 threads at 32000).
    ///
    /// Why: step 2 measured 77.6% of copy at 8192 × 32000 on the H200 (101.4% at 4096²):
    /// its two passes move 5 bytes into the SM per 3 of DRAM traffic (y and dy twice), and the
    /// second pass's loads wait behind the barrier. Here 4 per 3 (dy twice), all `y` loads
    /// in flight before the first use. Bytes (DRAM): `12·rows·cols`, as step 2.
    fn softmax_backward_s04_y_registers(p: SoftmaxBackwardParams) {
        let (team, r) = super::block_row(shared_array!(softmax_backward_s04_w: [f32; 32]));
        let off = r * p.cols as usize;
        let (y, dy, dx) = (p.y.offset(off), p.dy.offset(off), p.dx.offset(off));
        let cols = p.cols as usize;
        let long = cols / 8 > CHUNKS * team.size
            && cols / 8 <= Y_CHUNKS * team.size
            && crate::softmax::chunked::<f32>(y.addr(), dy.addr(), cols)
            && dx.addr() % 16 == 0;
        if long {
            super::y_registers_row::<f32, Y_CHUNKS, true>(y, dy, dx, cols, team);
        } else {
            super::registers_row::<f32, CHUNKS, true>(y, dy, dx, cols, true, team);
        }
    }
}

kernel! {
    /// Step 4, short rows (at most 512 columns): step 2's sub-warp kernel.
    fn softmax_backward_s04_y_registers_warp(p: SoftmaxBackwardParams) {
        super::warp_rows!(p, f32, CHUNKS);
    }
}

step! {
    kernels: [softmax_backward_s04_y_registers, softmax_backward_s04_y_registers_warp],
    technique: "step 2, and rows past 16384 columns hold y only (dy re-read from L2)",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 512, chunks: CHUNKS as u32 },
}
