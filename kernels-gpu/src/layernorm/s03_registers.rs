#[allow(unused_imports)]
use super::LayerNormParams;

kernel! {
    #[launch_bounds(1024)]
    /// Step 3 — the row in registers: one read of x, 128-bit loads and stores, a block shape
    /// per row length.
    ///
    /// Changed from step 2: the launch ([`super::Grid::Rows`]) gives each row `tx` threads,
    /// the multiple of 32 that leaves each about 4 `F32x4` vectors (4096 columns: 256 threads;
    /// 32000: 1024 threads, ≈ 8 each; 128 columns: 32 threads, a warp per row, 8 rows per
    /// block of 256). Each thread keeps up to 8 vectors (32 floats) in registers
    /// ([`super::norm_rows`]): the mean, then the two-pass variance `Σ(x − mean)²` from the
    /// registers (accurate, and free: no second read), then y; γ and β are 128-bit loads (L2
    /// resident, shared by all rows). When `cols % 4 != 0` (or a pointer is not 16-byte
    /// aligned) the same code reads and writes scalars. Launch bounds 1024: ≤ 64 registers.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)`, x read once. Expected: ≈ 90% of copy at
    /// 4096 × 4096 and 8192 × 32000; 32768 × 128 (warp per row, 2 KiB per block of 8 rows)
    /// ≈ 75%: each block is short-lived and the reductions' latency is not hidden.
    fn layernorm_s03_registers(p: LayerNormParams) {
        let warps = shared_array!(layernorm_s03_warps: [f32; 32]);
        super::norm_rows::<f32, 8, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, warps,
        );
    }
}

step! {
    kernel: layernorm_s03_registers,
    technique: "row in registers (one read), 128-bit loads, two-pass variance, tx per row length",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Rows { vecs: 4, max_tx: 1024, block: 256 },
}
