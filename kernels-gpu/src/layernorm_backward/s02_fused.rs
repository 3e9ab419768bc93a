#[allow(unused_imports)]
use super::LayerNormBackwardParams;

kernel! {
    #[launch_bounds(512)]
    /// Step 2, kernel 1 — dx with dy and x read once into registers (up to 3 `F32x4` each per
    /// thread, about 2 by the launch, 512 threads per row: rows up to 6144 columns), and the
    /// dγ/dβ partial sums of
    /// the thread's columns kept in registers across the slot's rows ([`super::fused_rows`]).
    ///
    /// Changed from step 1: coalesced 128-bit loads, two block reductions per row, and no
    /// second pass over dy and x for dγ/dβ: each of `slots` (one per SM) row slots writes one
    /// row of partials, kernel 2 adds them. Rows longer than 6144 (8192 × 32000) re-read the
    /// rest from L2 and keep its partials in the workspace (read-modify-write).
    ///
    /// ptxas: 120 registers, no spills (at 4 vectors: 128 and 16 B of spills, the 16 f32
    /// partials per thread living across the row loop beside dy and x); 512 threads × 120
    /// registers: one block (16 warps) per SM, hence one slot per SM.
    ///
    /// Bytes: `4·(3·rows·cols + 3·cols + 2·rows) + 2·4·slots·cols` (written here, read by kernel
    /// 2; +4.3% at 4096 × 4096 with 132 slots). Expected: ≈ 65% of copy at 4096 × 4096 (16
    /// warps per SM walking their rows one at a time, the reductions not overlapped), ≈ 35% at
    /// 8192 × 32000 (the part beyond the registers is re-read and read-modify-written).
    fn layernorm_backward_s02_fused(p: LayerNormBackwardParams) {
        let warps = shared_array!(layernorm_backward_s02_warps: [f32; 32]);
        super::fused_rows::<f32, 3>(p, warps);
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
    grid: Grid::Fused { vecs: 2, max_tx: 512, block: 256, slots_per_sm: 1, threads: 256 },
}
