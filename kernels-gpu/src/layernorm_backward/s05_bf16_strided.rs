#[allow(unused_imports)]
use super::LayerNormBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::layernorm_backward::MAX_TEAM)]
    /// Step 5, kernel 1 — step 4 over bf16: dy, x, γ, dx in bf16 (a chunk of 8 is one
    /// `Bf16x8`, kept packed: 16 registers of data), f32 math and partials.
    ///
    /// Changed from step 4: the 128-bit vectors hold 8 elements, so a chunk is one vector and
    /// the team's partials of a vector are two planes of 4 f32 (lanes 0–3, 4–7), each read
    /// and written as `LDS.128`/`STS.128` by consecutive threads. The same team rule (2 chunks:
    /// 256 threads at 4096 columns), blocks, shared memory (64 KiB a block) and slots. Step 3
    /// measured 28.6% of copy at 4096² (H200).
    ///
    /// Bytes (DRAM minimum): `2·(3·rows·cols + cols) + 8·rows + 2·4·slots·cols` (the f32
    /// workspace: 264 slots × 4096 × 16 B = 17 MB written and read, beside ≈ 100 MB, mostly in
    /// L2).
    fn layernorm_backward_s05_bf16_strided(p: LayerNormBackwardParams<Bf16>) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s05_a0: [f32; 32]),
                shared_array!(layernorm_backward_s05_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s05_a1: [f32; 32]),
                shared_array!(layernorm_backward_s05_b1: [f32; 32]),
            ],
        ];
        super::strided_rows::<Bf16, { super::CHUNKS }>(p, super::BLOCK, scratch);
    }
}

kernel! {
    /// Step 5, kernel 2 — dγ, dβ rounded to bf16 from the f32 sums of the workspace rows.
    fn layernorm_backward_s05_bf16_strided_columns(p: LayerNormBackwardParams<Bf16>) {
        let red = [
            shared_array!(layernorm_backward_s05_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s05_red_b: [f32; 1024]),
        ];
        super::sum_columns::<Bf16>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s05_bf16_strided, layernorm_backward_s05_bf16_strided_columns],
    technique: "step 4 over bf16: the rows packed in registers, 8 per 128-bit vector, f32 partials in shared memory",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Strided { chunks: super::CHUNKS as u32, block: super::BLOCK, slots_per_sm: 2 },
}
