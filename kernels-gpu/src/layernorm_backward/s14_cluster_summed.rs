#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 14, kernel 1 — step 10 launched in clusters of 2 blocks, whose dγ/dβ partials are
    /// added together through distributed shared memory before they leave the SMs
    /// ([`super::streamed_cluster_rows`]): one workspace row per cluster.
    ///
    /// Changed from step 10: at 4096² step 10 reached 80.5% of copy (H200, 1a24c3b) while its
    /// kernel 1 alone ran at ≈ 93% (ncu: 50.9 µs); the other ≈ 7.7 µs were the 264 blocks'
    /// workspace rows (8.7 MB written at the end of kernel 1, when every block ends at once)
    /// and kernel 2 reading them back (6.1 µs under ncu, latency-bound, one wave). Here 132
    /// rows: 4.3 MB each way, two cluster barriers per block. (Clusters of 4 — 66 rows —
    /// measured no faster: the device held 62 of the 66 clusters, 7af3e7d.)
    ///
    /// Bytes: `4·(3·rows·cols + cols + 2·rows) + 2·4·132·cols` at 4096 columns on 132 SMs.
    /// Predicted 4096²: 83% of copy (≈ 2 µs of 58.6 saved).
    fn layernorm_backward_s14_cluster_summed(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s14_a0: [f32; 32]),
                shared_array!(layernorm_backward_s14_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s14_a1: [f32; 32]),
                shared_array!(layernorm_backward_s14_b1: [f32; 32]),
            ],
        ];
        super::streamed_cluster_rows::<f32, { super::AHEAD_10 }>(p, scratch);
    }
}

kernel! {
    #[arch(sm_90a)]
    /// Step 14, kernel 2 — dγ, dβ: the clusters' workspace rows added in a fixed order
    /// ([`super::sum_columns_after`]: a programmatic dependent launch).
    fn layernorm_backward_s14_cluster_summed_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s14_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s14_red_b: [f32; 1024]),
        ];
        super::sum_columns_after::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s14_cluster_summed, layernorm_backward_s14_cluster_summed_columns],
    technique: "step 10 in clusters of 2 blocks, the partials added across the cluster through distributed shared memory: a workspace row per cluster",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Streamed { lanes: 4, stages: super::AHEAD_10 + 1, cluster: super::SUM_CLUSTER },
    arch: Sm90a,
}
