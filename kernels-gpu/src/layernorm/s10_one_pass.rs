#[allow(unused_imports)]
use super::LayerNormParams;

/// Chunks of γ and β layernorm step 10 loads right after x (before the reduction): none —
/// chunk 0's right after the reduction, chunk `k + 1`'s after chunk `k`'s store
/// ([`AHEAD_10`]). With chunk 0's before the reduction (`PREFETCH = 1`, bundle 04e9dd3) ptxas
/// fitted its 16 registers beside the row's 32 by issuing x's eight `LDG.E.128` in four groups
/// (2, 1, 2, 3), each after the previous group's data had arrived (H200: 87.7% of copy at 4096², step 5
/// 94.1%; ncu at 8192 × 32000 670 µs, step 5 616 µs); now all eight go first (SASS, sm_90).
/// A second chunk ahead (`AHEAD = 2`) spilled 52 B, `AHEAD = 3` 128 B.
pub const PREFETCH_10: usize = 0;
/// See [`PREFETCH_10`].
pub const AHEAD_10: usize = 1;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 10 — step 5 with one block reduction and γ, β loaded ahead of their use.
    ///
    /// Changed from step 5 ([`super::norm_one_pass`]): the mean and variance from one pass of
    /// shifted sums (`Σ(x − x₀)`, `Σ(x − x₀)²`, one barrier instead of two); γ and β of each
    /// chunk after k > 0 loaded right after the previous chunk's store (step 5 loads each
    /// 128-bit vector's after the previous vector's store).
    ///
    /// Why: step 5 measured 88.1% of copy at 8192 × 32000 (H200, a38c0a8) where softmax/5,
    /// the same layout, reached 98.4%. At 32000 columns a block of 1024 threads fills an SM
    /// (64 registers), so whatever a block waits on after its loads is not hidden by another
    /// block: step 5's SASS issues γ and β per 128-bit vector after the previous vector's
    /// store — 8 serial L2 round trips per row — after two reductions.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)`, as step 5. Predicted: 91% of copy at
    /// 8192 × 32000, 94% at 4096². Measured with chunk 0's γ/β before the reduction (bundle
    /// 04e9dd3, H200): 87.7% at 4096² (step 5 94.1%), ncu 670 µs at 8192 × 32000 (step 5
    /// 616 µs) — x's loads serialised ([`PREFETCH_10`]); the fixed kernel is unmeasured.
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
