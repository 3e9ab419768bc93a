#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(crate::layernorm_backward::LONG_THREADS)]
    /// Step 6, kernel 1 — rows longer than 16384 columns: a persistent block of 1024 threads
    /// per SM takes a row at a time, the dγ partials of its threads' columns in registers and
    /// the dβ partials in shared memory ([`super::long_rows`]).
    ///
    /// Changed from steps 2 and 4: past 16384 columns step 2 keeps 16 columns per thread in
    /// registers and step 4's fallback none; the rest of the columns' partials are
    /// read-modify-written in the block's workspace row for every row (8 more bytes read and
    /// 8 written per element beside the 12 of dy, x, dx: step 2 measured 32.8% of copy at
    /// 8192 × 32000, H200). Here thread `t` owns the vectors `t + 1024·k`, `k < 8` (32
    /// columns: 32000 columns are 8000 vectors, 8 rounds, the last 832 threads short), dγ in
    /// 32 registers, dβ in 128 KiB of shared memory (its own 16-byte words). Launch bounds
    /// 1024: ≤ 64 registers, 1 block (32 warps) per SM.
    ///
    /// Bytes (DRAM minimum): `4·(3·rows·cols + cols) + 8·rows + 2·4·slots·cols`, slots = 132:
    /// 3.15 GB + 34 MB at 8192 × 32000 (1.1% over the 3-array minimum). Pass 2 re-reads the
    /// row's dy and x (256 KiB per SM, 33 MB over 132 SMs, within the 50 MB L2) and γ (128
    /// KiB, read twice per row; about 100 KiB of L1 is left beside the 128 KiB of partials):
    /// L2→SM traffic ≈ 7 GB at 8192 × 32000, over 2× the DRAM bytes. Measured (H200,
    /// 9f877d8): 62.5% of copy at 8192 × 32000 (step 2: 32.8%), 53.5% at 4096² (ncu: DRAM
    /// 70% of peak, L2 hits 52%, L1 1.5%; 72% of the issue gaps wait on global loads).
    fn layernorm_backward_s06_long_rows(p: LayerNormBackwardParams) {
        let scratch = [
            [
                shared_array!(layernorm_backward_s06_a0: [f32; 32]),
                shared_array!(layernorm_backward_s06_b0: [f32; 32]),
            ],
            [
                shared_array!(layernorm_backward_s06_a1: [f32; 32]),
                shared_array!(layernorm_backward_s06_b1: [f32; 32]),
            ],
        ];
        super::long_rows::<f32, 8>(p, scratch);
    }
}

kernel! {
    /// Step 6, kernel 2 — dγ, dβ: the 132 workspace rows added in slot order
    /// ([`super::sum_columns`]).
    fn layernorm_backward_s06_long_rows_columns(p: LayerNormBackwardParams) {
        let red = [
            shared_array!(layernorm_backward_s06_red_g: [f32; 1024]),
            shared_array!(layernorm_backward_s06_red_b: [f32; 1024]),
        ];
        super::sum_columns::<f32>(p, red);
    }
}

step! {
    kernels: [layernorm_backward_s06_long_rows, layernorm_backward_s06_long_rows_columns],
    technique: "long rows: a 1024-thread block per SM per row, dgamma partials in registers, dbeta partials in shared memory, row re-read from L2",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Long { lanes: 4 },
}
