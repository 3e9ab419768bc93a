#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::layernorm_backward::MAX_TEAM)]
    /// Step 9, kernel 1 — step 5 with the next row group's dy and x (bf16) prefetched into
    /// L2 before the current one's loads, team sums and dx ([`super::prefetched_rows`]).
    ///
    /// Changed from step 5: step 5 holds half of step 4's bytes a thread (2 packed chunks, 64
    /// B of dy and x) and ran load → sums → dx one after the other (DRAM 31% of peak, 39.8%
    /// of copy at 4096², H200). The prefetch keeps a row group (32 KiB a block at 4096
    /// columns, 64 KiB per SM) on its way from DRAM during the current one's sums and dx,
    /// with no register (a register copy of the next rows spilled 116 B). Step 5's team
    /// (`S = 256` at 4096 columns), blocks, shared memory and slots.
    ///
    /// Bytes (DRAM minimum): as step 5, `2·(3·rows·cols + cols) + 8·rows + 2·4·slots·cols`.
    ///
    /// Measured (H200, 0eac54f): 39.3% of copy at 4096² (step 5 in the same run: 39.5%),
    /// 26.7% at 4096 × 1024 (29.3%), 33.7% at 32768 × 128 (35.1%): slower; no rule takes it.
    fn layernorm_backward_s09_bf16_prefetched(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s09_a0: [f32; 32]),
                shared_array!(layernorm_backward_s09_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s09_a1: [f32; 32]),
                shared_array!(layernorm_backward_s09_b1: [f32; 32]),
            ],
        ];
        super::prefetched_rows::<Bf16, { super::CHUNKS }>(p, super::BLOCK, scratch);
    }
}

kernel! {
    /// Step 9, kernel 2 — dγ, dβ rounded to bf16 from the f32 sums of the workspace rows.
    fn layernorm_backward_s09_bf16_prefetched_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s09_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s09_red_b: [f32; 1024]),
        ];
        super::sum_columns::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s09_bf16_prefetched, layernorm_backward_s09_bf16_prefetched_columns],
    technique: "step 5 with the next row group's packed dy, x prefetched into L2 before this one's loads, team sums and dx",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Strided { chunks: super::CHUNKS as u32, block: super::BLOCK, slots_per_sm: 2 },
}
