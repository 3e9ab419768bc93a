#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(512)]
    /// Step 4 — step 3 over bf16: x, γ, β and y in bf16 (8 per 128-bit vector), f32 math,
    /// f32 mean and rstd (as torch's `native_layer_norm` for bf16 input).
    ///
    /// Changed from step 3: `Bf16x8` vectors (`ld.global.nc.v4.b32`), each pair widened
    /// exactly (`shl`/`and`), y rounded to nearest even in pairs (`cvt.rn.bf16x2.f32`). Up to
    /// 8 vectors = 64 elements per thread stay in registers (32 registers: packed), 512
    /// threads per row at most (launch bounds 512; ptxas: 128 registers, no spills), so rows
    /// up to 32768 are read once. 4096 columns: 512 vectors, 128 threads per row, 2 rows per
    /// block of 256.
    ///
    /// Bytes: `2·(2·rows·cols + 2·cols) + 8·rows`: half of step 3's. Expected: ≈ 88% of copy
    /// at 4096 × 4096 (a 4096-column row is only 8 KiB: blocks are short and the two
    /// reductions' latency matters more than in f32), ≈ 90% at 8192 × 32000.
    fn layernorm_s04_bf16_registers(p: LayerNormParams<Bf16>) {
        let warps = shared_array!(layernorm_s04_warps: [f32; 32]);
        super::norm_rows::<Bf16, 8, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, warps,
        );
    }
}

step! {
    kernel: layernorm_s04_bf16_registers,
    technique: "step 3 over bf16: 8 per 128-bit vector, f32 math, f32 mean and rstd",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Rows { vecs: 4, max_tx: 512, block: 256 },
}
