#[allow(unused_imports)]
use super::RmsNormParams;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 7 — layernorm/9 for rmsnorm (`norm_short_rows` with `RMS = true`): rows of at most
    /// 512 columns a sub-warp team each at 2 chunks a lane, longer rows a block per row of
    /// `norm_strided` at 2 chunks a thread (rows past 16384 columns its looped fallback).
    ///
    /// Why: at 32768 × 128 f32 step 3 measured 30.0 µs (26.3% of copy; H200, a38c0a8) and the
    /// rms_norm op ran 0.957× torch there (Python bench, a38c0a8), where bf16 step 6 took
    /// 7.49 µs (52.9%). Bytes: `4·(2·rows·cols + cols) + 4·rows`. Predicted: ≈ 11.5 µs at
    /// 32768 × 128 (softmax/5's warp kernel: 11.07 µs for the same bytes), step 3's times
    /// (about) from 513 columns on. Not measured yet: no shape rule takes it.
    fn rmsnorm_s07_short_rows(p: RmsNormParams) {
        if p.cols <= crate::layernorm::SHORT_MAX_COLS_F32 {
            crate::layernorm::norm_short_rows::<f32, { crate::layernorm::SHORT_CHUNKS_F32 }, true>(
                p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps,
            );
        } else {
            let scratch = [
                shared_array!(rmsnorm_s07_unused: [f32; 32]),
                shared_array!(rmsnorm_s07_sq: [f32; 32]),
            ];
            crate::layernorm::norm_strided::<f32, { crate::layernorm::SHORT_CHUNKS_F32 }, true>(
                p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, scratch,
            );
        }
    }
}

step! {
    kernel: rmsnorm_s07_short_rows,
    technique: "step 3 (f32) at 2 chunks, a sub-warp team per row up to 512 columns (no barrier)",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::ShortRows {
        chunks: crate::layernorm::SHORT_CHUNKS_F32 as u32,
        warp_threads: 256,
        warp_max_cols: crate::layernorm::SHORT_MAX_COLS_F32,
    },
}
