#[allow(unused_imports)]
use super::LayerNormParams;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 12 — step 10 by persistent blocks, the next row streamed into shared memory
    /// (`cp.async`) while the current one is reduced and written.
    ///
    /// Changed from step 10 ([`super::norm_streamed`]): [`super::Grid::Streamed`] —
    /// `streamed_blocks(rows, threads, 132)` blocks (132 of 1024 threads at 32000 columns,
    /// 1056 of 128 at 4096), block `b` taking rows `b, b + G, …`; each thread copies its next
    /// row's vectors into the block's `4·cols` bytes of dynamic shared memory
    /// (`LDGSTS.E.BYPASS.128`) right after it has summed the current row's, and reads them
    /// back (`LDS.128`) after its `cp.async.wait_all`. The same one-pass statistics, γ, β one
    /// chunk ahead, and y.
    ///
    /// Why: step 5 measured 88.1% of copy at 8192 × 32000 (H200, a38c0a8; ncu: DRAM 69.9% of
    /// peak, 1.19 eligible warps a scheduler, one block of 1024 per SM). While a block of
    /// step 5 or 10 reduces and writes a row, no read of the next row is in flight on its
    /// SM; here one row (128 KB) is.
    ///
    /// Bytes: `4·(2·rows·cols + 2·cols + 2·rows)` plus γ, β per block from L2, as step 10.
    /// Predicted: 96% of copy at 8192 × 32000, 94% at 4096². Measured (bundle 04e9dd3, H200):
    /// ncu at 8192 × 32000 576.4 µs against step 5's 616.1 (DRAM 75.1% of peak against
    /// 69.9%; no bench there); 89.8% at 4096² (step 5 94.1%: 8 blocks an SM there already
    /// overlap one another's rows).
    fn layernorm_s12_streamed(p: LayerNormParams) {
        let scratch = [
            shared_array!(layernorm_s12_s0: [f32; 32]),
            shared_array!(layernorm_s12_q0: [f32; 32]),
            shared_array!(layernorm_s12_s1: [f32; 32]),
            shared_array!(layernorm_s12_q1: [f32; 32]),
        ];
        super::norm_streamed::<{ crate::softmax::CHUNKS }>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s12_streamed,
    technique: "step 10 by persistent blocks, the next row streamed into shared memory by cp.async",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Streamed {
        chunks: crate::softmax::CHUNKS as u32,
        sms: super::STREAMED_SMS,
    },
}
