#[allow(unused_imports)]
use super::{MAX_THREADS, ReduceOp, ReduceParams};
use crate::gpu::{sync_threads, thread};

/// Step 1 body — interleaved addressing with a divergent branch (Harris' "reduction #1").
///
/// Thread mapping: block `b` of `B` threads (a power of two, ≤ [`MAX_THREADS`]) reduces
/// `input[b·B .. (b+1)·B]`; each thread loads one element into a shared tile, then at level
/// `s = 1, 2, 4, …` the threads with `tid % 2s == 0` add `tile[tid + s]` into `tile[tid]`.
///
/// Bytes: 4 per element read, 4 per block written (the host relaunches on the partials).
/// Cost: `%` is a slow integer op, and half the warp's lanes idle from the first level on —
/// every warp stays busy until level 32, so the tree costs `log2 B` full-warp passes.
/// Expected: far below bandwidth (Harris measured ~2 GB/s on a G80; here a few hundred GB/s).
#[inline(always)]
fn s01_body<O: ReduceOp>(p: ReduceParams) {
    let tile = shared_array!(reduce_s01_tile: [f32; MAX_THREADS as usize]);
    let tid = thread::thread_idx_x();
    let bd = thread::block_dim_x();
    let i = thread::block_idx_x() as usize * bd as usize + tid as usize;
    let v = if i < p.n as usize {
        unsafe { p.input.load(i) }
    } else {
        O::IDENTITY
    };
    unsafe { tile.store(tid, v) };
    sync_threads();
    let mut s = 1;
    while s < bd {
        if tid % (2 * s) == 0 {
            // SAFETY: tid is a multiple of 2s and B a power of two, so tid + s < B.
            unsafe { tile.store(tid, O::combine(tile.load(tid), tile.load(tid + s))) };
        }
        sync_threads();
        s <<= 1;
    }
    if tid == 0 {
        unsafe { p.output.store(thread::block_idx_x() as usize, tile.load(0)) };
    }
}

super::reduce_kernels!(
    s01_body,
    ReduceParams,
    reduce_sum_s01_interleaved,
    reduce_max_s01_interleaved,
    "Step 1 — interleaved addressing, divergent `tid % 2s` branch: one element per thread, \
     shared-memory tree. See the step's body for mapping and napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s01_interleaved,
    max: reduce_max_s01_interleaved,
    technique: "interleaved addressing, divergent tid % 2s branch",
    accepts: PowerOfTwo { min: 1 },
    grid: Grid::Tree { threads: 256, per_thread: 1 },
}
