#[allow(unused_imports)]
use super::LayerNormParams;

/// Chunks of γ and β layernorm step 10 loads right after x (before the reduction), and how
/// far ahead it loads each later one (chunk `k + 1`'s after chunk `k`'s store): the 64
/// registers of launch bounds 1024 hold the row (32 f32) and one chunk of γ and β (16); a
/// second chunk ahead (`AHEAD = 2`) spilled 52 B, `AHEAD = 3` 128 B (ptxas, sm_90).
pub const PREFETCH_10: usize = 1;
/// See [`PREFETCH_10`].
pub const AHEAD_10: usize = 1;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 10 — step 5 with one block reduction and γ, β loaded ahead of their use.
    ///
    /// Changed from step 5 ([`super::norm_one_pass`]): the mean and variance from one pass of
    /// shifted sums (`Σ(x − x₀)`, `Σ(x − x₀)²`, one barrier instead of two); γ and β of the
    /// first chunk loaded right after x, each later chunk's right after the previous chunk's
    /// store (step 5 loads each 128-bit vector's after the previous vector's store).
    ///
    /// Why: step 5 measured 88.1% of copy at 8192 × 32000 (H200, a38c0a8) where softmax/5,
    /// the same layout, reached 98.4%. At 32000 columns a block of 1024 threads fills an SM
    /// (64 registers), so whatever a block waits on after its loads is not hidden by another
    /// block: step 5's SASS issues γ and β per 128-bit vector after the previous vector's
    /// store — 8 serial L2 round trips per row — after two reductions.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)`, as step 5. Expected: ≈ 95% of copy at
    /// 8192 × 32000, ≈ 94% at 4096 × 4096 (8 blocks an SM there: step 5's 93.6% was
    /// already near the top).
    fn layernorm_s10_one_pass(p: LayerNormParams) {
        let scratch = [
            shared_array!(layernorm_s10_s: [f32; 32]),
            shared_array!(layernorm_s10_q: [f32; 32]),
        ];
        super::norm_one_pass::<f32, { crate::softmax::CHUNKS }, PREFETCH_10, AHEAD_10>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s10_one_pass,
    technique: "step 5 with one-pass shifted statistics (one barrier) and gamma/beta loaded ahead",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
