#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(512)]
    /// Step 3, kernel 1 — step 2 over bf16: dy, x, γ, dx in bf16 (8 per 128-bit vector), f32
    /// math, partials and mean/rstd; up to 2 `Bf16x8` of dy and of x per thread, 512 threads
    /// per row (rows up to 8192 columns in registers; at 4 per thread the 8 f32 partials per
    /// vector spilled 452 B under the 128-register cap, at 2 none).
    ///
    /// Bytes: `2·(3·rows·cols + 3·cols) + 8·rows + 2·4·slots·cols`. At 4096 × 4096 the f32
    /// workspace (264 slots × 4096 × 8 B, written and read) is ≈ 17 MB beside ≈ 100 MB:
    /// expected ≈ 75% of copy counting only the minimum bytes.
    fn layernorm_backward_s03_bf16_fused(p: LayerNormBackwardParams<Bf16>) {
        let warps = shared_array!(layernorm_backward_s03_warps: [f32; 32]);
        super::fused_rows::<Bf16, 2>(p, warps);
    }
}

kernel! {
    /// Step 3, kernel 2 — dγ, dβ rounded to bf16 from the f32 sums of the slots' partials.
    fn layernorm_backward_s03_bf16_fused_columns(p: LayerNormBackwardParams<Bf16>) {
        super::sum_slots::<Bf16>(p);
    }
}

step! {
    kernels: [layernorm_backward_s03_bf16_fused, layernorm_backward_s03_bf16_fused_columns],
    technique: "step 2 over bf16: 8 per 128-bit vector, f32 math and partials, bf16 dgamma/dbeta",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Fused { vecs: 2, max_tx: 512, block: 256, slots_per_sm: 2, threads: 256 },
}
