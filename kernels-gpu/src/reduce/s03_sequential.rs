#[allow(unused_imports)]
use super::{MAX_THREADS, ReduceOp, ReduceParams};
use crate::gpu::{sync_threads, thread};

/// Step 3 body — sequential addressing.
///
/// Changed from step 2: the stride halves from `B/2` down to 1 and thread `tid < s` adds
/// `tile[tid + s]`: a warp reads 32 consecutive words, one per bank — no bank conflicts, and
/// the active threads are still the first ones (no divergence until fewer than 32 remain).
///
/// Bytes: unchanged. Expected: ~2× over step 2 (Harris: 2.01×). Half the threads idle from
/// the first level on, which step 4 fixes.
#[inline(always)]
fn s03_body<O: ReduceOp>(p: ReduceParams) {
    let tile = shared_array!(reduce_s03_tile: [f32; MAX_THREADS as usize]);
    let tid = thread::thread_idx_x();
    let bd = thread::block_dim_x();
    let i = thread::block_idx_x() as usize * bd as usize + tid as usize;
    let mut v = if i < p.n as usize {
        unsafe { p.input.load(i) }
    } else {
        O::IDENTITY
    };
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
    s03_body,
    ReduceParams,
    reduce_sum_s03_sequential,
    reduce_max_s03_sequential,
    "Step 3 — sequential addressing (`tid < s` adds `tile[tid + s]`): conflict-free shared \
     memory. See the step's body for the napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s03_sequential,
    max: reduce_max_s03_sequential,
    technique: "sequential addressing: conflict-free shared tree",
    accepts: PowerOfTwo { min: 1 },
    grid: Grid::Tree { threads: 256, per_thread: 1 },
}
