#[allow(unused_imports)]
use super::RowSumParams;
use crate::gpu::thread;
#[allow(unused_imports)]
use crate::half::Bf16;
use crate::reduce::Sum;

kernel! {
    /// Step 4 — step 3 over bf16 input: one block per row, 8 elements per 128-bit load, f32
    /// accumulation, f32 sums.
    ///
    /// Changed from step 3: the matrix is bf16, so the row's 16-byte aligned middle is read as
    /// `Bf16x8` (`ld.global.nc.v4.b32`, four `LDG.E.128` in flight per thread), each pair
    /// widened to f32 exactly and added into f32 accumulators (the reduction ladder's
    /// `strided_partial` over `Bf16`). A row starts at `2·r·cols` bytes: 16-byte aligned only
    /// when `cols % 8 == 0`; otherwise its head and tail (≤ 7 elements each) are scalar
    /// `ld.global.nc.b16` loads. Block reduction as step 3; thread 0 stores the f32 sum.
    ///
    /// Bytes: 2 per element + 4 per row (half of step 3's reads). At 8192 columns a row is
    /// 1024 vectors: exactly one round of four loads per thread, so a block is short-lived
    /// (load, reduce, exit) and 8 resident blocks per SM keep the loads in flight. Expected:
    /// ≈ 93% of copy bandwidth at 8192 × 8192 (≈ 34 µs for 134 MB).
    fn row_sum_s04_bf16_block_per_row(p: RowSumParams<Bf16>) {
        let warps = shared_array!(row_sum_s04_warps: [f32; 32]);
        let r = thread::block_idx_x() as usize;
        let cols = p.cols as usize;
        let acc = crate::reduce::strided_partial::<Sum, Bf16>(
            p.input.offset(r * cols),
            cols,
            thread::thread_idx_x() as usize,
            thread::block_dim_x() as usize,
        );
        let s = crate::reduce::block_reduce::<Sum>(acc, warps);
        if thread::thread_idx_x() == 0 {
            unsafe { p.output.store(r, s) };
        }
    }
}

step! {
    kernel: row_sum_s04_bf16_block_per_row,
    technique: "step 3 over bf16: 8 per 128-bit load, f32 accumulation and sums",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::BlockPerRow { threads: 256 },
}
