#[allow(unused_imports)]
use super::RmsNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS_9)]
    /// Step 5 — step 4, five rows a block, software-pipelined: the next row's packed chunks
    /// are loaded before the current row's reduction and its stores (layernorm step 7's body
    /// with `RMS = true`: one reduction, the two scratch arrays swapped each row).
    ///
    /// Why: step 4 took 18.6 µs at 4096² bf16 (84.6% of copy; floor 15.7 µs), the same
    /// idle-between-rows pattern as softmax step 6. Bytes: `2·(2·rows·cols + cols) + 4·rows`.
    /// Predicted: 16.9 µs at 4096² (93%).
    fn rmsnorm_s05_bf16_pipelined(p: RmsNormParams<Bf16>) {
        let scratch = [
            shared_array!(rmsnorm_s05_a: [f32; 32]),
            shared_array!(rmsnorm_s05_b: [f32; 32]),
        ];
        crate::layernorm::norm_pipelined::<{ crate::softmax::CHUNKS }, true>(
            p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: rmsnorm_s05_bf16_pipelined,
    technique: "step 4 five rows a block, the next row's loads in flight during the current one",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Pipelined {
        chunks: crate::softmax::CHUNKS as u32,
        rows_per_block: crate::softmax::ROWS_PER_BLOCK_9,
        max_threads: crate::softmax::MAX_THREADS_9,
    },
}
