#[allow(unused_imports)]
use super::RowSumParams;
use crate::gpu::thread;
use crate::reduce::Sum;

kernel! {
    /// Step 3 — one block per row with 128-bit loads.
    ///
    /// Changed from step 2: block `r` (256 threads) takes row `r`; the row's 16-byte aligned
    /// middle is read as `F32x4` with a block-stride loop (four `LDG.E.128` in flight per
    /// thread), its unaligned head and tail (a row starts at `4·r·cols` bytes: aligned only
    /// when `cols % 4 == 0`) as scalars; the block reduces with shuffles and one exchange
    /// through shared memory (the reduction ladder's step-7 machinery).
    ///
    /// Bytes: unchanged. Expected: ≥ 90% of copy bandwidth for long rows (8192 columns =
    /// 2048 vectors = 8 per thread); short rows waste most of the block.
    fn row_sum_s03_block_per_row(p: RowSumParams) {
        let warps = shared_array!(row_sum_s03_warps: [f32; 32]);
        let r = thread::block_idx_x() as usize;
        let cols = p.cols as usize;
        let acc = crate::reduce::strided_partial::<Sum, f32>(
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
    kernel: row_sum_s03_block_per_row,
    technique: "one block per row, 128-bit loads, block reduction",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::BlockPerRow { threads: 256 },
}
