#[allow(unused_imports)]
use super::RmsNormParams;

kernel! {
    #[launch_bounds(512)]
    /// Step 1 — layernorm/3's register body without the mean: one read of x into registers
    /// (up to 16 `F32x4` per thread, 512 threads per row: launch bounds 512), `Σx²` from them, one block reduction, `y = x·rstd·γ`.
    ///
    /// Thread mapping as layernorm/3 ([`crate::layernorm::Grid::Rows`]). The mean pass and
    /// its reduction are gone, so a block does one `row_sum` (two `bar.sync`) instead of two.
    ///
    /// Bytes: `4·(2·rows·cols + cols + rows)`. Expected: ≈ 91% of copy at 4096 × 4096.
    fn rmsnorm_s01_registers(p: RmsNormParams) {
        let warps = shared_array!(rmsnorm_s01_warps: [f32; 32]);
        crate::layernorm::norm_rows::<f32, 16, true>(
            p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, warps,
        );
    }
}

step! {
    kernel: rmsnorm_s01_registers,
    technique: "row in registers (one read), 128-bit loads, one reduction (sum of squares)",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Rows { vecs: 4, max_tx: 512, block: 256 },
}
