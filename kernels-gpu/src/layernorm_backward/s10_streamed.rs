#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 10, kernel 1 — dy and x streamed into shared memory by `cp.async` two row groups
    /// ahead, the dγ/dβ partials in registers ([`super::streamed_rows`]).
    ///
    /// Changed from step 4: step 4 loaded each row into registers and only then reduced it,
    /// so a team had nothing in flight while it summed and wrote (70.8% of copy at 4096²,
    /// H200, a38c0a8; ncu 0eac54f: DRAM 62% of peak), and kept its partials in shared memory
    /// (`LDS`/`STS` of 8 bytes a column each row). Here one block of 1024 threads per SM, a
    /// thread owning 8 columns (two `F32x4`): its 16 partials are registers, and its next
    /// two row groups' dy, x, mean and rstd are already on their way into a stage of shared
    /// memory (3 stages of 72 KiB: 144 KiB in flight per SM against the ≈ 32 KiB that
    /// 4.2 TB/s × 1 µs over 132 SMs needs) while it reduces and writes the current one.
    ///
    /// Bytes (DRAM minimum): `4·(3·rows·cols + cols + 2·rows) + 2·4·132·cols` (γ from L1,
    /// the workspace written and read once, L2-resident). Predicted 4096²: 90% of copy for
    /// kernel 1, 87% with the column sum (≈ 3 µs of 54).
    fn layernorm_backward_s10_streamed(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s10_a0: [f32; 32]),
                shared_array!(layernorm_backward_s10_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s10_a1: [f32; 32]),
                shared_array!(layernorm_backward_s10_b1: [f32; 32]),
            ],
        ];
        super::streamed_rows::<f32, { super::AHEAD_10 }>(p, scratch);
    }
}

kernel! {
    /// Step 10, kernel 2 — dγ, dβ: the workspace rows added in a fixed order
    /// ([`super::sum_columns`]).
    fn layernorm_backward_s10_streamed_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s10_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s10_red_b: [f32; 1024]),
        ];
        super::sum_columns::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s10_streamed, layernorm_backward_s10_streamed_columns],
    technique: "dy and x streamed into shared memory by cp.async two row groups ahead, dgamma/dbeta partials in registers, one block per SM",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Streamed { lanes: 4, stages: super::AHEAD_10 + 1, cluster: 1 },
}
