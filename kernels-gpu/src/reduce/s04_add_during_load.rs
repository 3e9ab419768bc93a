#[allow(unused_imports)]
use super::{MAX_THREADS, ReduceOp, ReduceParams};
use crate::gpu::{sync_threads, thread};

/// Step 4 body — first add during the load.
///
/// Changed from step 3: block `b` covers `2·B` elements; each thread loads `input[i]` and
/// `input[i + B]` and combines them before the tree, so no thread idles at the first level
/// and the grid is half as large (two loads in flight per thread instead of one).
///
/// Bytes: unchanged (4 per element). Expected: ~1.8× over step 3 (Harris: 1.78×); the tree
/// and its `bar.sync` per level now dominate, which steps 5 and 6 attack.
#[inline(always)]
fn s04_body<O: ReduceOp>(p: ReduceParams) {
    let tile = shared_array!(reduce_s04_tile: [f32; MAX_THREADS as usize]);
    let tid = thread::thread_idx_x();
    let bd = thread::block_dim_x();
    let n = p.n as usize;
    let i = thread::block_idx_x() as usize * 2 * bd as usize + tid as usize;
    let mut v = O::IDENTITY;
    if i < n {
        v = unsafe { p.input.load(i) };
    }
    if i + (bd as usize) < n {
        v = O::combine(v, unsafe { p.input.load(i + bd as usize) });
    }
    unsafe { tile.store(tid, v) };
    sync_threads();
    let mut s = bd / 2;
    while s > 0 {
        if tid < s {
            v = O::combine(v, unsafe { tile.load(tid + s) });
            unsafe { tile.store(tid, v) };
        }
        sync_threads();
        s >>= 1;
    }
    if tid == 0 {
        unsafe { p.output.store(thread::block_idx_x() as usize, v) };
    }
}

super::reduce_kernels!(
    s04_body,
    ReduceParams,
    reduce_sum_s04_add_during_load,
    reduce_max_s04_add_during_load,
    "Step 4 — two elements per thread, combined during the load, then the sequential tree. \
     See the step's body for the napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s04_add_during_load,
    max: reduce_max_s04_add_during_load,
    technique: "two elements per thread, combined during the load",
    accepts: PowerOfTwo { min: 1 },
    grid: Grid::Tree { threads: 256, per_thread: 2 },
}
