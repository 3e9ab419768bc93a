#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(crate::layernorm_backward::MAX_TEAM)]
    /// Step 4, kernel 1 — the forward's strided register layout, a team per row, several rows
    /// in flight per SM, the dγ/dβ partials in shared memory ([`super::strided_rows`]).
    ///
    /// Changed from step 2: step 2 held dy, x and the 16 f32 partials of its columns in
    /// registers (120 registers, 512 threads: one block, one row at a time per SM; 46.9% of
    /// copy at 4096², H200). Here thread `tid` of a team of `S` holds 2 chunks of 8 of dy and
    /// of x (the vectors `tid + j·S`, `j < 4`: 32 registers of data), `S = 256` at 4096
    /// columns, 64 at 1024, 8 at 128 (`team_of`); blocks of 512 threads (`G = 512 / S` rows
    /// at a time); launch bounds 1024, so ≤ 64 registers. The partials live in shared memory,
    /// `G·cols·8` bytes = 64 KiB per block at every width up to 4096 (at 8192 and 16384
    /// columns one team of 1024: 64 and 128 KiB), owned per thread: `LDS.128`/`STS.128`, no
    /// atomics. In registers they would cost 32 more per thread (≈ 96 in all: 2 blocks of 256
    /// per SM instead of 4); in shared memory 3 blocks of 512 fit per SM (3 × 64 KiB ≤ 227
    /// KiB; registers: 3 × 512 × 64 = 96 K > 64 K, so 2 by the register file): 32 warps, 4 rows
    /// of 4096 (128 KiB of dy and x) in flight per SM. Each block writes one workspace row
    /// (`slots` = blocks ≤ 2 per SM: 264 × cols × 8 B, L2-resident), kernel 2 adds them.
    /// Rows longer than 16384 columns (2 chunks × 8 × 1024 threads), not whole chunks of 8,
    /// or misaligned pointers take a looped body (`looped_rows`: the row read twice, the
    /// partials read-modify-written in the workspace).
    ///
    /// Bytes (DRAM minimum): `4·(3·rows·cols + cols + rows·2) + 2·4·slots·cols` (γ from L1,
    /// the workspace written and read once).
    fn layernorm_backward_s04_strided(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s04_a0: [f32; 32]),
                shared_array!(layernorm_backward_s04_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s04_a1: [f32; 32]),
                shared_array!(layernorm_backward_s04_b1: [f32; 32]),
            ],
        ];
        super::strided_rows::<f32, { super::CHUNKS }>(p, super::BLOCK, scratch);
    }
}

kernel! {
    /// Step 4, kernel 2 — dγ, dβ: 32 columns × 32 slot lanes a block adds the workspace rows
    /// in a fixed order ([`super::sum_columns`]).
    fn layernorm_backward_s04_strided_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s04_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s04_red_b: [f32; 1024]),
        ];
        super::sum_columns::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s04_strided, layernorm_backward_s04_strided_columns],
    technique: "forward's strided register layout, team per row, dgamma/dbeta partials in shared memory, persistent blocks",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Strided { chunks: super::CHUNKS as u32, block: super::BLOCK, slots_per_sm: 2 },
}
