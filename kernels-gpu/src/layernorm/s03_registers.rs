#[allow(unused_imports)]
use super::LayerNormParams;

kernel! {
    #[launch_bounds(512)]
    /// Step 3 — the row in registers: one read of x, 128-bit loads and stores, a block shape
    /// per row length.
    ///
    /// Changed from step 2: the launch ([`super::Grid::Rows`]) gives each row `tx` threads,
    /// the multiple of 32 that leaves each about 4 `F32x4` vectors, at most 512 (4096 columns:
    /// 256 threads; 32000: 512 threads, ≈ 16 each; 128 columns: 32 threads, a warp per row, 8
    /// rows per block of 256). Each thread keeps up to 16 vectors (64 floats) in registers
    /// ([`super::norm_rows`]): the mean, then the two-pass variance `Σ(x − mean)²` from the
    /// registers (accurate, and free: no second read), then y; γ and β are 128-bit loads (L2
    /// resident, shared by all rows). When `cols % 4 != 0` (or a pointer is not 16-byte
    /// aligned) the rows are re-read as scalars in each pass instead. Launch bounds 512: ≤ 128
    /// registers (ptxas: 114, no spills; at R = 8 under a 64-register cap it spilled 84 B).
    /// The last pass recomputes the vectors' addresses from an opaque `threadIdx.x`
    /// (`norm_reduce::opaque_u32`): kept live through both reductions they spilled.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)`, x read once. Expected: ≈ 90% of copy at
    /// 4096 × 4096 (2 blocks of 256 per SM at 114 registers: 16 warps, 32 KiB of loads in
    /// flight per SM) and ≈ 88% at 8192 × 32000 (one block of 512 per SM, 128 KiB in flight
    /// but the reductions not overlapped); 32768 × 128 (a warp per row, 2 KiB per block of 8
    /// rows) ≈ 70%: short blocks, the reductions' latency exposed.
    fn layernorm_s03_registers(p: LayerNormParams) {
        let warps = shared_array!(layernorm_s03_warps: [f32; 32]);
        super::norm_rows::<f32, 16, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, warps,
        );
    }
}

step! {
    kernel: layernorm_s03_registers,
    technique: "row in registers (one read), 128-bit loads, two-pass variance, tx per row length",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Rows { vecs: 4, max_tx: 512, block: 256 },
}
