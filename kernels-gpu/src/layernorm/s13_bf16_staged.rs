#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS, 2)]
    /// Step 13 — step 6 with the row staged in shared memory instead of registers: two blocks
    /// of 1024 threads an SM at 32000 columns where step 6 (and 11) fit one.
    ///
    /// Changed from step 6 ([`super::norm_staged`]): each thread copies its 4 vectors of the
    /// row into the block's `2·cols` bytes of dynamic shared memory (`cp.async.cg`,
    /// `LDGSTS.E.BYPASS.128`), waits for its own copies, and reads them back (`LDS.128`) in
    /// each of the three passes (mean, `Σ(x − mean)²`, y). The row holds no registers, so the
    /// kernel fits 32 (`launch_bounds(1024, 2)`; step 6: 64).
    ///
    /// Why: a 32000-column row is one block of 1024 threads; at 64 registers an SM holds one,
    /// and while it reduces and writes, no read is in flight there. Step 11 measured 86.5% of
    /// copy at 8192 × 32000 and step 6 82.1% (H200, a4328c4). A CUDA C++ probe of this layout
    /// (row in shared memory by `cp.async`, two-pass, 32 registers) measured 89.8% there,
    /// against 75.5% for the same probe with the row in registers (H200, 2026-12-02; the
    /// chapter's "The staged row").
    ///
    /// Bytes: step 6's, `2·(2·rows·cols + 2·cols) + 8·rows`. Predicted: 89% of copy at
    /// 8192 × 32000, 80% at 4096² (at 128 threads a block the registers did not limit step 6).
    fn layernorm_s13_bf16_staged(p: LayerNormParams<Bf16>) {
        let scratch = [
            shared_array!(layernorm_s13_mean: [f32; 32]),
            shared_array!(layernorm_s13_var: [f32; 32]),
        ];
        super::norm_staged::<{ crate::softmax::CHUNKS }>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s13_bf16_staged,
    technique: "step 6 with the row staged in shared memory by cp.async: 32 registers, two blocks of 1024 an SM",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Staged { chunks: crate::softmax::CHUNKS as u32 },
}
