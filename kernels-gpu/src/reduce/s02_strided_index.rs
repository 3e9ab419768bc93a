#[allow(unused_imports)]
use super::{MAX_THREADS, ReduceOp, ReduceParams};
use crate::gpu::{sync_threads, thread};

/// Step 2 body — interleaved addressing with a strided index, no divergent branch.
///
/// Changed from step 1: at level `s` thread `tid` works on `index = 2·s·tid`, so the active
/// threads are the *first* `B / 2s` ones (whole warps idle instead of half of every warp) and
/// the `%` is gone. New problem: `tile[2·s·tid]` hits the same bank for lanes `2s·tid` apart by
/// multiples of 32 words — a 2-way conflict at `s = 1`, 4-way at `s = 2`, … 16-way.
///
/// Bytes: unchanged (4 per element). Expected: ~2× over step 1 (Harris: 2.33×).
#[inline(always)]
fn s02_body<O: ReduceOp>(p: ReduceParams) {
    let tile = shared_array!(reduce_s02_tile: [f32; MAX_THREADS as usize]);
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
        let index = 2 * s * tid;
        if index < bd {
            // SAFETY: index is a multiple of 2s below B (a power of two), so index + s < B.
            unsafe { tile.store(index, O::combine(tile.load(index), tile.load(index + s))) };
        }
        sync_threads();
        s <<= 1;
    }
    if tid == 0 {
        unsafe { p.output.store(thread::block_idx_x() as usize, tile.load(0)) };
    }
}

super::reduce_kernels!(
    s02_body,
    ReduceParams,
    reduce_sum_s02_strided_index,
    reduce_max_s02_strided_index,
    "Step 2 — strided index `2·s·tid`: no divergence inside warps, but shared-memory bank \
     conflicts. See the step's body for the napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s02_strided_index,
    max: reduce_max_s02_strided_index,
    technique: "strided index 2*s*tid: no divergence, bank conflicts",
    accepts: PowerOfTwo { min: 1 },
    grid: Grid::Tree { threads: 256, per_thread: 1 },
}
