#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

/// Chunks of γ and β layernorm step 11 loads right after x, and how far ahead it loads each
/// later one (chunk `k + 2`'s after chunk `k`'s store): the row (16 registers of packed pairs)
/// and two chunks of packed γ and β (16) fit launch bounds 1024's 64 registers (63, no
/// spills). softmax/8's layout (512 threads × 8 packed chunks, launch bounds `(512, 2)`)
/// spilled 76–156 B with any prefetch (ptxas, sm_90): the row alone is 32 of its 64.
pub const PREFETCH_11: usize = 2;
/// See [`PREFETCH_11`].
pub const AHEAD_11: usize = 2;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 11 — step 10 over bf16: step 6's layout with one block reduction and γ, β loaded
    /// ahead of their use.
    ///
    /// Changed from step 6 ([`super::norm_one_pass`]): one pass of shifted sums (one barrier
    /// instead of two); γ and β of the first two chunks (packed, 4 registers each) loaded right
    /// after x, chunk `k + 2`'s right after chunk `k`'s store. The launch is step 6's
    /// (`softmax::register_block_threads(cols, 4)`: 128 threads at 4096 columns, 1024 at 32000).
    ///
    /// Why: step 6 measured 82.1% of copy at 8192 × 32000 and 79.7% at 4096² (H200, a38c0a8;
    /// softmax/6, the same layout with no γ, β: 86.8% at 4096²): its SASS loads γ and β per
    /// chunk after the previous chunk's store, 4 serial L2 round trips per row after two
    /// barriers, with DRAM idle for this block meanwhile.
    ///
    /// Bytes: `2·(2·rows·cols + 2·cols) + 8·rows`, as step 6. Predicted: 87% of copy at
    /// 8192 × 32000, 83% at 4096². Measured (bundle 04e9dd3, H200): 78.6% at 4096² (step 6
    /// 79.9%); ncu at 8192 × 32000 322.6 µs against step 6's 338.9 (no bench there).
    fn layernorm_s11_bf16_one_pass(p: LayerNormParams<Bf16>) {
        let scratch = [
            shared_array!(layernorm_s11_s: [f32; 32]),
            shared_array!(layernorm_s11_q: [f32; 32]),
        ];
        super::norm_one_pass::<Bf16, { crate::softmax::CHUNKS }, PREFETCH_11, AHEAD_11>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s11_bf16_one_pass,
    technique: "step 10 over bf16: the row packed, one-pass shifted statistics, gamma/beta loaded ahead",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
