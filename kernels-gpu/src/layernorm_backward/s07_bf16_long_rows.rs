#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::layernorm_backward::LONG_THREADS)]
    /// Step 7, kernel 1 — step 6 over bf16: dy, x, γ, dx in bf16 (`Bf16x8` vectors), f32
    /// math and partials.
    ///
    /// Changed from step 6: a vector holds 8 elements, so thread `t` owns the vectors
    /// `t + 1024·k`, `k < 4` (32 columns again: 32000 columns are 4000 vectors, 4 rounds);
    /// its dβ partials of a vector are two planes of 4 f32 (lanes 0–3, 4–7). Step 3 measured
    /// 10.5% of copy at 8192 × 32000 (H200): its workspace read-modify-write (8 + 8 bytes per
    /// element) beside the 6 bytes of dy, x, dx.
    ///
    /// Bytes (DRAM minimum): `2·(3·rows·cols + cols) + 8·rows + 2·4·slots·cols`: 1.57 GB +
    /// 34 MB at 8192 × 32000 (2.2% over the minimum). γ is 64 KiB, but it does not stay in
    /// L1 beside the 128 KiB of partials and the streaming rows (ncu: 8% L1 hits). Measured
    /// (H200, 9f877d8): 60.1% of copy at 8192 × 32000 (step 3: 10.5%), 31.3% at 4096².
    fn layernorm_backward_s07_bf16_long_rows(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s07_a0: [f32; 32]),
                shared_array!(layernorm_backward_s07_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s07_a1: [f32; 32]),
                shared_array!(layernorm_backward_s07_b1: [f32; 32]),
            ],
        ];
        super::long_rows::<Bf16, 4>(p, scratch);
    }
}

kernel! {
    /// Step 7, kernel 2 — dγ, dβ rounded to bf16 from the f32 sums of the workspace rows.
    fn layernorm_backward_s07_bf16_long_rows_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s07_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s07_red_b: [f32; 1024]),
        ];
        super::sum_columns::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s07_bf16_long_rows, layernorm_backward_s07_bf16_long_rows_columns],
    technique: "step 6 over bf16: 8 per 128-bit vector, f32 dgamma partials in registers and dbeta partials in shared memory",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Long { lanes: 8 },
}
