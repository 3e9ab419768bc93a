#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 15, kernel 1 — step 14 over bf16 (step 11's body, three row groups ahead).
    ///
    /// The workspace is f32 whatever the element type, so it weighs twice as much here: step
    /// 11's 264 rows were 17.4 MB of traffic beside the 100.7 MB of dy, x and dx at 4096²
    /// (59.6% of copy, H200, 1a24c3b; kernel 1 alone 33.1 µs under ncu). 132 rows: 8.7 MB.
    ///
    /// Bytes: `2·(3·rows·cols + cols) + 4·2·rows + 2·4·132·cols`. Predicted 4096²: 62%.
    fn layernorm_backward_s15_bf16_cluster_summed(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s15_a0: [f32; 32]),
                shared_array!(layernorm_backward_s15_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s15_a1: [f32; 32]),
                shared_array!(layernorm_backward_s15_b1: [f32; 32]),
            ],
        ];
        super::streamed_cluster_rows::<Bf16, { super::AHEAD_11 }>(p, scratch);
    }
}

kernel! {
    #[arch(sm_90a)]
    /// Step 15, kernel 2 — dγ, dβ rounded to bf16 ([`super::sum_columns_after`]: a
    /// programmatic dependent launch).
    fn layernorm_backward_s15_bf16_cluster_summed_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s15_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s15_red_b: [f32; 1024]),
        ];
        super::sum_columns_after::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s15_bf16_cluster_summed, layernorm_backward_s15_bf16_cluster_summed_columns],
    technique: "step 14 over bf16: one Bf16x8 a thread, three row groups ahead",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Streamed { lanes: 8, stages: super::AHEAD_11 + 1, cluster: super::SUM_CLUSTER },
    arch: Sm90a,
}
