#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 6 — step 5 over bf16, the row kept packed: x, γ, β and y in bf16 (8 per 128-bit
    /// vector), f32 math, f32 mean and rstd.
    ///
    /// Changed from step 5: a chunk of 8 is one `Bf16x8` (`LDG.E.128`), held packed (4
    /// registers per chunk, 16 for the row's share) and widened exactly (`shl`/`and`) in each
    /// pass instead of stored as f32; y is rounded to nearest even in pairs
    /// (`F2FP.BF16.F32.PACK_AB`) and written as one `STG.E.128` per chunk. The same launch rule
    /// (128 threads at 4096 columns, 1024 at 32000) and fallback. Step 4 measured 40.6% of
    /// copy at 4096² and 48.3% at 8192 × 32000 (H200, 128 registers).
    ///
    /// Bytes: `2·(2·rows·cols + 2·cols) + 8·rows`: half of step 5's. Expected: ≈ 90% of copy
    /// at 4096 × 4096 (an 8 KiB row per block of 128: short blocks, many resident) and ≈ 95%
    /// at 8192 × 32000.
    fn layernorm_s06_bf16_strided(p: LayerNormParams<Bf16>) {
        let scratch = [
            shared_array!(layernorm_s06_mean: [f32; 32]),
            shared_array!(layernorm_s06_var: [f32; 32]),
        ];
        super::norm_strided::<Bf16, { crate::softmax::CHUNKS }, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s06_bf16_strided,
    technique: "step 5 over bf16: the row packed in registers, 8 per 128-bit vector, f32 math",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
