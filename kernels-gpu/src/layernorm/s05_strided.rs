#[allow(unused_imports)]
use super::LayerNormParams;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 5 — softmax's register layout: a block per row of the fewest warps that hold it at
    /// 4 chunks of 8 floats a thread, vectors strided by the block, launch bounds 1024.
    ///
    /// Changed from step 4 (and step 3): the first H200 run put step 3 at 49.6% of copy at
    /// 4096² and 65.6% at 8192 × 32000, while softmax/5 — the same bytes, the same two block
    /// reductions — reached 97–98%. Step 3 reserves 16 `F32x4` per thread under launch
    /// bounds 512 (114 registers: ≤ 16 warps per SM) and reduces with `row_sum` (two barriers
    /// each). Here ([`super::norm_strided`]) the launch is [`super::Grid::Registers`]
    /// (`softmax::register_block_threads(cols, 4)`: 128 threads at 4096 columns, 1024 at
    /// 32000), thread `t` holds the vectors `t + j·B` (`j < 8`: 32 floats), all eight
    /// `LDG.E.128` issued before the first use, then the mean, `Σ(x − mean)²` from the
    /// registers (two-pass variance) and y with γ, β loaded in the same layout; each block
    /// reduction is one barrier (`softmax::Team::all_reduce`, its own scratch). Launch bounds
    /// 1024 cap the registers at 64, so at 4096 columns 8 blocks of 128 are resident per SM
    /// (32 warps, the register file's limit) and a 32000-column row still launches as one
    /// block of 1024.
    ///
    /// Rows that are not whole aligned chunks (`cols % 8 != 0`) or longer than 32768 take
    /// step 3's body with no register vectors ([`super::norm_rows`]`::<_, 0, _>`: three looped
    /// passes), uniformly over the block.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)`, x read once, y written once. Expected: ≈ 92%
    /// of copy at 4096 × 4096 and ≈ 95% at 8192 × 32000 (softmax/5's layout and occupancy;
    /// γ and β are an extra 2·cols per row from L2).
    fn layernorm_s05_strided(p: LayerNormParams) {
        let scratch = [
            shared_array!(layernorm_s05_mean: [f32; 32]),
            shared_array!(layernorm_s05_var: [f32; 32]),
        ];
        super::norm_strided::<f32, { crate::softmax::CHUNKS }, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s05_strided,
    technique: "softmax's register layout: block per row by width, vectors strided by the block, 4 chunks a thread",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { chunks: crate::softmax::CHUNKS as u32 },
}
