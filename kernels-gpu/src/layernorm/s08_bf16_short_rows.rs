#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 8 — step 6 with softmax's short-row layout: rows of at most 1024 columns a
    /// sub-warp team each (`norm_short_rows`: 4 lanes of 4 packed chunks at 128 columns, 8
    /// rows a warp, shuffles only), longer rows step 6's block per row (`norm_strided`).
    ///
    /// Why: at 32768 × 128 bf16 (16 MiB of traffic, ≈ 4 µs at copy speed) step 6 took 34.3 µs
    /// (H200, 41cb9d6): 32768 blocks of 64 threads of which 16 hold the row, two barriers a
    /// row; softmax/6's warp kernel moves the same bytes in 7.65 µs. Here 1024 blocks of 256,
    /// no barrier. Bytes: `2·(2·rows·cols + 2·cols) + 8·rows`. Predicted: ≈ 9 µs at 32768 ×
    /// 128 (softmax/6's warp kernel plus the γ, β loads and the second reduction), ≈ 8 µs at
    /// 4096 × 1024 (32 lanes a row); step 6's times at 4096² and beyond.
    fn layernorm_s08_bf16_short_rows(p: LayerNormParams<Bf16>) {
        if p.cols <= super::SHORT_MAX_COLS {
            super::norm_short_rows::<Bf16, { crate::softmax::CHUNKS }, false>(
                p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps,
            );
        } else {
            let scratch = [
                shared_array!(layernorm_s08_mean: [f32; 32]),
                shared_array!(layernorm_s08_var: [f32; 32]),
            ];
            super::norm_strided::<Bf16, { crate::softmax::CHUNKS }, false>(
                p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
            );
        }
    }
}

step! {
    kernel: layernorm_s08_bf16_short_rows,
    technique: "step 6 with a sub-warp team per row up to 1024 columns (no barrier)",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::ShortRows {
        chunks: crate::softmax::CHUNKS as u32,
        warp_threads: 256,
        warp_max_cols: super::SHORT_MAX_COLS,
    },
}
