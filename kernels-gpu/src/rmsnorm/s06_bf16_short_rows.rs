#[allow(unused_imports)]
use super::RmsNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 6 — step 4 with softmax's short-row layout: rows of at most 1024 columns a
    /// sub-warp team each (layernorm/8's `norm_short_rows` with `RMS = true`), longer rows
    /// step 4's block per row.
    ///
    /// Why: at 32768 × 128 bf16 step 4 took 25.8 µs and step 5 24.1 µs (H200, 41cb9d6),
    /// torch's rms_norm 25.5 µs in the Python bench (d17062e): a 64-thread block per row with
    /// 16 threads holding it. Bytes: `2·(2·rows·cols + cols) + 4·rows`. Predicted: ≈ 8 µs at
    /// 32768 × 128 (softmax/6's warp kernel: 7.65 µs for the same bytes), step 4's times from
    /// 1025 columns on.
    fn rmsnorm_s06_bf16_short_rows(p: RmsNormParams<Bf16>) {
        if p.cols <= crate::layernorm::SHORT_MAX_COLS {
            crate::layernorm::norm_short_rows::<Bf16, { crate::softmax::CHUNKS }, true>(
                p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps,
            );
        } else {
            let scratch = [
                shared_array!(rmsnorm_s06_unused: [f32; 32]),
                shared_array!(rmsnorm_s06_sq: [f32; 32]),
            ];
            crate::layernorm::norm_strided::<Bf16, { crate::softmax::CHUNKS }, true>(
                p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, scratch,
            );
        }
    }
}

step! {
    kernel: rmsnorm_s06_bf16_short_rows,
    technique: "step 4 with a sub-warp team per row up to 1024 columns (no barrier)",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::ShortRows {
        chunks: crate::softmax::CHUNKS as u32,
        warp_threads: 256,
        warp_max_cols: crate::layernorm::SHORT_MAX_COLS,
    },
}
