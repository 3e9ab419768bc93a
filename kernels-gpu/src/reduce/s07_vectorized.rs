#[allow(unused_imports)]
use super::{ReduceOp, ReduceParams};
use crate::gpu::thread;

/// Step 7 body — many elements per thread: a grid-stride loop of 128-bit loads.
///
/// Changed from step 6: the grid is fixed (a few blocks per SM, not `n / 512` blocks); each
/// thread walks the input in steps of the whole grid with `LDG.E.128` (four independent
/// 16-byte loads in flight per iteration, see `strided_partial`), keeping its partial in
/// registers; the unaligned head and the tail (≤ 3 elements each) are read as scalars. The
/// block then reduces with warp shuffles and one shared-memory exchange of 32 floats (one
/// `bar.sync` in all, instead of one per tree level).
///
/// Bytes: 4 per element read, 4 per block written; the host relaunches one block on the
/// `gridDim.x` partials (a few KiB). Expected: close to read bandwidth (≥ 90% of copy),
/// limited by the bytes in flight per SM: 4 × 16 B × 1024 threads = 64 KiB.
#[inline(always)]
fn s07_body<O: ReduceOp>(p: ReduceParams) {
    let warps = shared_array!(reduce_s07_warps: [f32; 32]);
    let acc = super::strided_partial::<O, f32>(
        p.input,
        p.n as usize,
        thread::index_1d(),
        thread::grid_stride_1d(),
    );
    let r = super::block_reduce::<O>(acc, warps);
    if thread::thread_idx_x() == 0 {
        unsafe { p.output.store(thread::block_idx_x() as usize, r) };
    }
}

super::reduce_kernels!(
    s07_body,
    ReduceParams,
    reduce_sum_s07_vectorized,
    reduce_max_s07_vectorized,
    "Step 7 — grid-stride loop of 128-bit loads (scalar head and tail), block reduction with \
     shuffles. See the step's body for the napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s07_vectorized,
    max: reduce_max_s07_vectorized,
    technique: "grid-stride loop of 128-bit loads, shuffle block reduction",
    accepts: WarpMultiple,
    grid: Grid::GridStride { threads: GS_THREADS, blocks_per_sm: GS_BLOCKS_PER_SM },
}
