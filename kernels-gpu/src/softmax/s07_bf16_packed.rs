#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxParams};
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 7 — step 6 with the row kept packed as bf16 pairs in registers.
    ///
    /// Changed from step 6: a thread's 4 chunks stay as loaded (16 registers of `Bf16x2`, not
    /// 32 f32) and are widened in each pass (`registers_row_packed`): max, then the sum of
    /// `exp(x − m)`, then `exp(x − m)·(1/s)` again — `ex2` twice per element, same results.
    /// Same grid, loads, stores and fallback as step 6.
    ///
    /// Why: at 8192 × 32000 step 6's 1024-thread block holds 32 f32 a thread (plus addresses:
    /// more than 32 registers), so one block — one row — per SM: load 64 KB, reduce, 32000
    /// `ex2` at 16 a clock (≈ 1 µs), store, and only then the next row's loads start. The
    /// measured 316 µs ≈ 246 µs of copy-speed traffic + 62 rows/SM × ≈ 1 µs of unoverlapped
    /// arithmetic. With ≤ 32 registers a thread two 1024-thread blocks fit an SM (64 K
    /// registers), so one row's loads (64 KB in flight, twice the ≈ 32 KB latency × bandwidth
    /// an SM needs) overlap the other's `ex2` and stores. The second `ex2` doubles the MUFU
    /// work (≈ 2 µs a row against ≈ 4 µs of its traffic at 32 GB/s an SM): hidden if the two
    /// rows interleave. Bytes: `4·rows·cols`, as step 6.
    ///
    /// Outcome in ptxas: 64 registers under `launch_bounds(1024)` (it spills at
    /// `(1024, 2)`), so still one row per SM: step 8 takes the idea to 512 × 8 chunks.
    fn softmax_s07_bf16_packed(p: SoftmaxParams<Bf16>) {
        let scratch = [
            shared_array!(softmax_s07_m: [f32; 32]),
            shared_array!(softmax_s07_s: [f32; 32]),
        ];
        let cols = p.cols as usize;
        let r = crate::gpu::thread::block_idx_x() as usize;
        super::registers_row_packed::<CHUNKS, true>(
            p.x.offset(r * cols),
            p.y.offset(r * cols),
            cols,
            true,
            super::block_team(scratch),
        );
    }
}

kernel! {
    /// Step 7, short rows (at most 1024 columns): a sub-warp team per row, packed as the block
    /// kernel (fewer registers a thread: more warps resident).
    fn softmax_s07_bf16_packed_warp(p: SoftmaxParams<Bf16>) {
        super::warp_rows!(p, CHUNKS, super::registers_row_packed::<CHUNKS, false>);
    }
}

step! {
    kernels: [softmax_s07_bf16_packed, softmax_s07_bf16_packed_warp],
    technique: "step 6 kept packed in registers: two rows per SM, ex2 twice",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 1024, chunks: CHUNKS as u32 },
}
