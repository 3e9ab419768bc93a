#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 13, kernel 1 — step 12 over bf16 (step 11's body, three row groups ahead: 4
    /// stages of 40 KiB), against step 7's 59.9% at 8192 × 32000 (H200, a4328c4).
    ///
    /// Bytes: `2·(3·rows·cols + cols) + 4·2·rows + 2·4·clusters·cols`. Predicted at 8192 ×
    /// 32000: 80% of copy.
    fn layernorm_backward_s13_bf16_clustered(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s13_a0: [f32; 32]),
                shared_array!(layernorm_backward_s13_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s13_a1: [f32; 32]),
                shared_array!(layernorm_backward_s13_b1: [f32; 32]),
            ],
        ];
        let xchg = shared_array!(layernorm_backward_s13_xchg: [f32; 16]);
        super::cluster_rows::<Bf16, { super::AHEAD_13 }>(p, scratch, xchg);
    }
}

kernel! {
    #[arch(sm_90a)]
    /// Step 13, kernel 2 — dγ, dβ: the clusters' workspace rows added in a fixed order
    /// ([`super::sum_columns`]).
    fn layernorm_backward_s13_bf16_clustered_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s13_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s13_red_b: [f32; 1024]),
        ];
        super::sum_columns::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s13_bf16_clustered, layernorm_backward_s13_bf16_clustered_columns],
    technique: "step 12 over bf16: one Bf16x8 a thread, three row groups ahead",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Clustered { lanes: 8, stages: super::AHEAD_13 + 1 },
    arch: Sm90a,
}
