#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 11, kernel 1 — step 10 over bf16: a thread owns one `Bf16x8` of the row, its 16
    /// partials f32 registers; three row groups ahead (4 stages of 40 KiB).
    ///
    /// Why: step 5 measured 39.5% of copy at 4096² (H200, a38c0a8): its partials in shared
    /// memory cost 8 bytes a column each row whatever the element type, twice the row's own
    /// bytes in bf16, and capped an SM at 4 rows in flight. Here they are registers, and the
    /// rows in flight are bytes of dy and x only (96 KiB a SM three groups ahead).
    ///
    /// Bytes: `2·(3·rows·cols + cols) + 4·2·rows + 2·4·132·cols`. Predicted 4096²: 88% for
    /// kernel 1, 80% with the column sum (≈ 3 µs of 27).
    fn layernorm_backward_s11_bf16_streamed(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s11_a0: [f32; 32]),
                shared_array!(layernorm_backward_s11_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s11_a1: [f32; 32]),
                shared_array!(layernorm_backward_s11_b1: [f32; 32]),
            ],
        ];
        super::streamed_rows::<Bf16, { super::AHEAD_11 }>(p, scratch);
    }
}

kernel! {
    /// Step 11, kernel 2 — dγ, dβ rounded to bf16 ([`super::sum_columns`]).
    fn layernorm_backward_s11_bf16_streamed_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s11_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s11_red_b: [f32; 1024]),
        ];
        super::sum_columns::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s11_bf16_streamed, layernorm_backward_s11_bf16_streamed_columns],
    technique: "step 10 over bf16: one Bf16x8 a thread, f32 partials in registers, three row groups ahead",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Streamed { lanes: 8, stages: super::AHEAD_11 + 1, cluster: 1 },
}
