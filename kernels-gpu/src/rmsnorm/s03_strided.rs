#[allow(unused_imports)]
use super::RmsNormParams;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 3 — layernorm/5's body without the mean: softmax's register layout (a block per
    /// row of `softmax::register_block_threads(cols, 4)` threads, vectors strided by the
    /// block), `Σx²` from the registers, one block reduction (one barrier), `y = x·rstd·γ`.
    ///
    /// Changed from step 1 (55.9% / 77.3% of copy at 4096² / 8192 × 32000 on the H200, 16
    /// reserved `F32x4` under launch bounds 512): 8 `F32x4` per thread at most, 64 registers,
    /// whole sectors per warp instruction, one barrier per row.
    ///
    /// Bytes: `4·(2·rows·cols + cols + rows)`. Expected: ≈ 93% of copy at 4096 × 4096 and
    /// ≈ 96% at 8192 × 32000.
    fn rmsnorm_s03_strided(p: RmsNormParams) {
        let scratch = [
            shared_array!(rmsnorm_s03_unused: [f32; 32]),
            shared_array!(rmsnorm_s03_sq: [f32; 32]),
        ];
        crate::layernorm::norm_strided::<f32, { crate::softmax::CHUNKS }, true>(
            p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: rmsnorm_s03_strided,
    technique: "softmax's register layout: block per row by width, vectors strided by the block, one reduction",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
