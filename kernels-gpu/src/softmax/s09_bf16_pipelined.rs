#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxParams};
#[allow(unused_imports)]
use crate::half::Bf16;

/// Rows per block of step 9's launch: at 4096² bf16, 820 blocks of 128 threads, within the
/// 132 × 7 = 924 an H200 holds at once (72 registers a thread), so one wave.
pub const ROWS_PER_BLOCK_9: u32 = 5;
/// Step 9's largest block (its launch bounds): ptxas then allows 72 registers a thread
/// (65536 / 896, rounded down to 8), what the two rows in flight need without spilling (at
/// `launch_bounds(1024)`: 64 and 32 B of spills; at 512: 98 registers, 4 blocks an SM).
pub const MAX_THREADS_9: u32 = 896;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS_9)]
    /// Step 9 — step 7's packed row, five rows a block, software-pipelined: the next row's
    /// loads are issued before the current row's reductions and stores.
    ///
    /// Changed from step 7: block `b` of `G = ⌈rows / 5⌉` takes rows `b, b + G, …`
    /// (`pipelined_rows_packed`); while it reduces, exponentiates and stores row `r` its
    /// 16 registers of the next row are already loading. Same chunks (`tid + k·size`, 4 a
    /// thread), same fill, same arithmetic and bits as steps 7 and 8.
    ///
    /// Why (4096² bf16: step 6 18.05 µs, step 8 18.7 µs, floor 15.7 µs): step 6 has 60
    /// registers × 128 threads, 8 blocks (8 rows, 64 KB) an SM, but a block has loads in
    /// flight only until its row arrives; through its two barriers, 32 `ex2` a thread and its
    /// stores it asks for nothing, and 31 rows an SM run as ≈ 4 such rounds. An SM needs
    /// ≈ 32 GB/s × ≈ 1 µs ≈ 32 KB of reads in flight all the time. Here every block has
    /// 8 KB (its next row) in flight through its compute phase too: 7 blocks × 8–16 KB =
    /// 56–112 KB, and one wave (820 blocks) with no block start-up between rows.
    /// Registers: 16 (current row) + 16 (next) + step 7's arithmetic and addresses: 72
    /// (ptxas, `launch_bounds(896)`), 7 blocks of 128 an SM. Rows longer than 28672 columns
    /// (896 threads × 4 chunks × 8) take the looped online fallback: step 8 stays the step for
    /// 8192 × 32000. Bytes: `4·rows·cols`.
    /// Predicted: 16.9 µs at 4096² (93% of the 256 MiB copy: the floor plus ≈ 1.2 µs of
    /// launch ramp and last-row drain that a same-size copy pays too).
    fn softmax_s09_bf16_pipelined(p: SoftmaxParams<Bf16>) {
        let scratch = [
            shared_array!(softmax_s09_m: [f32; 32]),
            shared_array!(softmax_s09_s: [f32; 32]),
        ];
        let t = crate::gpu::thread::block_idx_x() as usize;
        let g = crate::gpu::thread::grid_dim_x() as usize;
        super::pipelined_rows_packed::<CHUNKS>(
            p.x,
            p.y,
            p.rows as usize,
            p.cols as usize,
            t,
            g,
            super::block_team(scratch),
        );
    }
}

step! {
    kernel: softmax_s09_bf16_pipelined,
    technique: "step 7 five rows a block, the next row's loads in flight during the current one",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Pipelined {
        chunks: CHUNKS as u32,
        rows_per_block: ROWS_PER_BLOCK_9,
        max_threads: MAX_THREADS_9,
    },
}
