#[allow(unused_imports)]
use super::RmsNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 4 — step 3 over bf16, the row kept packed (`Bf16x8` per chunk, widened in each
    /// pass), y rounded in pairs, f32 math and rstd.
    ///
    /// Changed from step 2 (62.2% / 89.1% of copy on the H200; its CUDA C++ twin 11–25%
    /// faster): layernorm/6's layout and launch, one reduction.
    ///
    /// Bytes: `2·(2·rows·cols + cols) + 4·rows`. Expected: ≈ 92% of copy at 4096 × 4096 and
    /// ≈ 96% at 8192 × 32000.
    fn rmsnorm_s04_bf16_strided(p: RmsNormParams<Bf16>) {
        let scratch = [
            shared_array!(rmsnorm_s04_unused: [f32; 32]),
            shared_array!(rmsnorm_s04_sq: [f32; 32]),
        ];
        crate::layernorm::norm_strided::<Bf16, { crate::softmax::CHUNKS }, true>(
            p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: rmsnorm_s04_bf16_strided,
    technique: "step 3 over bf16: the row packed in registers, f32 math and rstd",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
