#[allow(unused_imports)]
use super::RmsNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(512)]
    /// Step 2 — step 1 over bf16: x, γ and y in bf16 (8 per 128-bit vector), f32 math and
    /// rstd.
    ///
    /// Bytes: `2·(2·rows·cols + cols) + 4·rows`. Expected: ≈ 89% of copy at 4096 × 4096.
    fn rmsnorm_s02_bf16_registers(p: RmsNormParams<Bf16>) {
        let warps = shared_array!(rmsnorm_s02_warps: [f32; 32]);
        crate::layernorm::norm_rows::<Bf16, 8, true>(
            p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, warps,
        );
    }
}

step! {
    kernel: rmsnorm_s02_bf16_registers,
    technique: "step 1 over bf16: 8 per 128-bit vector, f32 math and rstd",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Rows { vecs: 4, max_tx: 512, block: 256 },
}
