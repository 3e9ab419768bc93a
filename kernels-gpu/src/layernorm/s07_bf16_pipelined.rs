#[allow(unused_imports)]
use super::LayerNormParams;
#[allow(unused_imports)]
use crate::half::Bf16;

/// Layernorm step 7's largest block (its launch bounds): 80 registers a thread (65536 / 768),
/// what the two rows in registers plus γ and β need without spilling (at 896: 72 and 12 B of
/// spills).
pub const MAX_THREADS_7: u32 = 768;
/// Rows per block of layernorm step 7: at 4096² bf16, 683 blocks of 128 threads, within the
/// 132 × 6 = 792 an H200 holds at once at 80 registers, so one wave.
pub const ROWS_PER_BLOCK_7: u32 = 6;

kernel! {
    #[launch_bounds(crate::layernorm::MAX_THREADS_7)]
    /// Step 7 — step 6, six rows a block, software-pipelined: the next row's packed chunks
    /// are loaded before the current row's two reductions and its stores (softmax step 9's
    /// schedule, `norm_pipelined`).
    ///
    /// Changed from step 6: `⌈rows / 6⌉` blocks, block `b` taking rows `b, b + G, …`; the same
    /// chunks (`tid + k·size`, 4 a thread, 0 fill), mean, two-pass variance and y. Launch
    /// bounds 768 (80 registers a thread for two rows in registers, 6 blocks of 128 an SM);
    /// rows longer than 24576 columns, or not whole aligned chunks, take a looped scalar
    /// fallback (step 6 stays the step for 8192 × 32000).
    ///
    /// Why: step 6 took 19.6 µs at 4096² bf16 (80.1% of copy; floor 15.7 µs): a block has
    /// loads in flight only until its row arrives, then two barriers and its stores with
    /// nothing asked of DRAM. Here each block's next row (8 KB) is in flight meanwhile.
    /// Bytes: `2·(2·rows·cols + 2·cols) + 8·rows`. Predicted: 17.2 µs at 4096² (91%).
    fn layernorm_s07_bf16_pipelined(p: LayerNormParams<Bf16>) {
        let scratch = [
            shared_array!(layernorm_s07_mean: [f32; 32]),
            shared_array!(layernorm_s07_var: [f32; 32]),
        ];
        super::norm_pipelined::<{ crate::softmax::CHUNKS }, false>(
            p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, scratch,
        );
    }
}

step! {
    kernel: layernorm_s07_bf16_pipelined,
    technique: "step 6 six rows a block, the next row's loads in flight during the current one",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Pipelined {
        chunks: crate::softmax::CHUNKS as u32,
        rows_per_block: ROWS_PER_BLOCK_7,
        max_threads: MAX_THREADS_7,
    },
}
