#[allow(unused_imports)]
use super::LayerNormParams;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 9 — step 8's short-row layout for f32: rows of at most 512 columns a sub-warp team
    /// each (`norm_short_rows` at 2 chunks of 8 a lane: 8 lanes at 128 columns, 4 rows a warp,
    /// shuffles only, no barrier), longer rows a block per row of `norm_strided` at 2 chunks a
    /// thread (`register_block_threads(cols, 2)`: twice step 5's threads; rows past 16384
    /// columns its looped fallback). 2 chunks, not step 5's 4: at 4 ptxas spilled 36 B.
    ///
    /// Why: at 32768 × 128 f32 step 5 measured 46.2 µs (17.2% of copy; H200, a38c0a8) —
    /// a 64-thread block per row, 16 threads holding it, two barriers a row — where bf16 step 8
    /// took 7.87 µs (50.8%) with the warp teams. Bytes: `4·(2·rows·cols + 2·cols) + 8·rows`
    /// (33.6 MB at 32768 × 128). Predicted: ≈ 12 µs at 32768 × 128 (softmax/5's warp kernel:
    /// 11.07 µs for the same x/y bytes, plus γ, β from L1 and the second reduction), step 5's
    /// times (about) from 513 columns on. Not measured yet: no shape rule takes it.
    fn layernorm_s09_short_rows(p: LayerNormParams) {
        if p.cols <= super::SHORT_MAX_COLS_F32 {
            super::norm_short_rows::<f32, { super::SHORT_CHUNKS_F32 }, false>(
                p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps,
            );
        } else {
            let scratch = [
                shared_array!(layernorm_s09_mean: [f32; 32]),
                shared_array!(layernorm_s09_var: [f32; 32]),
            ];
            super::norm_strided::<f32, { super::SHORT_CHUNKS_F32 }, false>(
                p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
            );
        }
    }
}

step! {
    kernel: layernorm_s09_short_rows,
    technique: "step 5 (f32) at 2 chunks, a sub-warp team per row up to 512 columns (no barrier)",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::ShortRows {
        chunks: super::SHORT_CHUNKS_F32 as u32,
        warp_threads: 256,
        warp_max_cols: super::SHORT_MAX_COLS_F32,
    },
}
