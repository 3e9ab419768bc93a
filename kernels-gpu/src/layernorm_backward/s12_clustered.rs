#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(crate::layernorm_backward::STREAMED_MAX_TEAM)]
    /// Step 12, kernel 1 — step 10 with a row split over a cluster of 4 CTAs: each a quarter
    /// of the row streamed into its shared memory, the two row sums exchanged through
    /// distributed shared memory ([`super::cluster_rows`]).
    ///
    /// Changed from step 6: a row of 32000 f32 columns (256 KiB of dy and x) fits no SM's
    /// shared memory, so step 6 read it twice (the second time from L2) with one block per SM
    /// and nothing of the next row in flight: 62.6% of copy at 8192 × 32000 (H200, a4328c4).
    /// Here cluster `k` takes rows `k, k + clusters, …`; its CTA of rank `r` streams columns
    /// `8000·r ..` of the next two rows into 3 stages of 72 KiB while it reduces the current
    /// one, and sends its `(Σg, Σg·x̂)` to the 4 CTAs' exchange slots (`st.shared::cluster`)
    /// before one cluster barrier a row. Nothing is read twice.
    ///
    /// Bytes: `4·(3·rows·cols + cols + 2·rows) + 2·4·clusters·cols`. Predicted at 8192 ×
    /// 32000: 85% of copy (the cluster barrier's `MEMBAR` waits for a CTA's stores each row:
    /// ≈ 0.5 µs of a row's 3 µs).
    fn layernorm_backward_s12_clustered(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s12_a0: [f32; 32]),
                shared_array!(layernorm_backward_s12_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s12_a1: [f32; 32]),
                shared_array!(layernorm_backward_s12_b1: [f32; 32]),
            ],
        ];
        let xchg = shared_array!(layernorm_backward_s12_xchg: [f32; 16]);
        super::cluster_rows::<f32, { super::AHEAD_12 }>(p, scratch, xchg);
    }
}

kernel! {
    #[arch(sm_90a)]
    /// Step 12, kernel 2 — dγ, dβ: the clusters' workspace rows added in a fixed order
    /// ([`super::sum_columns`]).
    fn layernorm_backward_s12_clustered_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s12_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s12_red_b: [f32; 1024]),
        ];
        super::sum_columns::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s12_clustered, layernorm_backward_s12_clustered_columns],
    technique: "step 10 with a row split over a cluster of 4 CTAs, the row sums exchanged through distributed shared memory",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Clustered { lanes: 4, stages: super::AHEAD_12 + 1 },
    arch: Sm90a,
}
