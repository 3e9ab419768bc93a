#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(crate::layernorm_backward::MAX_TEAM)]
    /// Step 8, kernel 1 — step 4 with the block's next row group prefetched into L2 before
    /// the current one's loads, team sums and dx ([`super::prefetched_rows`]).
    ///
    /// Changed from step 4: step 4 ran each row group as a serial chain (load → team sums
    /// (barrier) → dx and partials) with nothing of the block in flight during the last two
    /// (H200, b9b3808: DRAM 64% of peak, 70.8% of copy at 4096²). Holding the next rows in
    /// registers as well (software pipelining) spilled at the 64-register cap of 2 blocks of
    /// 512 per SM (48 B at 1 chunk a row, 116 B for bf16 at 2): here the next row group's
    /// dy and x (64 KiB a block at 4096 columns: 128 KiB per SM, Little's law asks ≈ 32 KiB)
    /// are asked of L2 by `prefetch.global.L2`, which needs no register, so the team, blocks,
    /// shared memory and slots are step 4's (`S = 256` at 4096 columns, blocks of 512, ≤ 2
    /// per SM, 64 KiB of partials a block) and its loads then hit L2.
    ///
    /// Bytes (DRAM minimum): as step 4, `4·(3·rows·cols + cols + 2·rows) + 2·4·slots·cols`.
    ///
    /// Measured (H200, 0eac54f): 59.4% of copy at 4096² (step 4 in the same run: 70.8%),
    /// 42.0% at 4096 × 1024 (47.4%), 50.1% at 32768 × 128 (55.9%): slower; no rule takes it.
    fn layernorm_backward_s08_prefetched(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s08_a0: [f32; 32]),
                shared_array!(layernorm_backward_s08_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s08_a1: [f32; 32]),
                shared_array!(layernorm_backward_s08_b1: [f32; 32]),
            ],
        ];
        super::prefetched_rows::<f32, { super::CHUNKS }>(p, super::BLOCK, scratch);
    }
}

kernel! {
    /// Step 8, kernel 2 — dγ, dβ: step 4's column sum of the workspace rows
    /// ([`super::sum_columns`]).
    fn layernorm_backward_s08_prefetched_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s08_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s08_red_b: [f32; 1024]),
        ];
        super::sum_columns::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s08_prefetched, layernorm_backward_s08_prefetched_columns],
    technique: "step 4 with the next row group's dy, x prefetched into L2 before this one's loads, team sums and dx",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Strided { chunks: super::CHUNKS as u32, block: super::BLOCK, slots_per_sm: 2 },
}
