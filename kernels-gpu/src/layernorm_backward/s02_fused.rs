#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(512)]
    /// Step 2, kernel 1 — dx with dy and x read once into registers (up to 4 `F32x4` each per
    /// thread, 512 threads per row: rows up to 8192 columns), and the dγ/dβ partial sums of
    /// the thread's columns kept in registers across the slot's rows ([`super::fused_rows`]).
    ///
    /// Changed from step 1: coalesced 128-bit loads, two block reductions per row, and no
    /// second pass over dy and x for dγ/dβ: each of `slots` (≈ 2 per SM) row slots writes one
    /// row of partials, kernel 2 adds them. Rows longer than 8192 (8192 × 32000) re-read the
    /// rest from L2 and keep its partials in the workspace (read-modify-write).
    ///
    /// ptxas: 128 registers, 16 B of spills (the 16 f32 partials per thread live across the
    /// row loop beside 32 registers of dy and x).
    ///
    /// Bytes: `4·(3·rows·cols + 3·cols + 2·rows) + 2·4·slots·cols` (written here, read by kernel
    /// 2; ≈ 4% more at 4096 × 4096 with 264 slots). Expected: ≈ 82% of copy at 4096 × 4096
    /// (16 warps per SM, the reductions not overlapped), ≈ 50% at 8192 × 32000 (the part
    /// beyond the registers is read three times and read-modify-written).
    fn layernorm_backward_s02_fused(p: LayerNormBackwardParams) {
        let warps = shared_array!(layernorm_backward_s02_warps: [f32; 32]);
        super::fused_rows::<f32, 4>(p, warps);
    }
}

kernel! {
    /// Step 2, kernel 2 — dγ, dβ: one thread per column adds the slots' partials in slot order
    /// ([`super::sum_slots`]).
    fn layernorm_backward_s02_fused_columns(p: LayerNormBackwardParams) {
        super::sum_slots::<f32>(p);
    }
}

step! {
    kernels: [layernorm_backward_s02_fused, layernorm_backward_s02_fused_columns],
    technique: "dy, x in registers (one read), 128-bit, dgamma/dbeta partials per row slot + column sum",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Fused { vecs: 4, max_tx: 512, block: 256, slots_per_sm: 2, threads: 256 },
}
