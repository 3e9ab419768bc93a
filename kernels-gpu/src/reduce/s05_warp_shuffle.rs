#[allow(unused_imports)]
use super::{Max, ReduceOp, ReduceParams, Sum};
use crate::gpu::{sync_threads, thread};

/// Largest block size the shared tile holds.
pub const S05_MAX_THREADS: u32 = 1024;

/// Step 5 body: first combine during the load (2 elements per thread), shared-memory tree with
/// sequential addressing down to 64 values, then the last warp finishes with shuffles
/// (`shfl.sync.bfly`) instead of shared memory and barriers.
///
/// Thread mapping: block `b` reduces `input[2·b·B .. 2·(b+1)·B]` (B = blockDim.x, a power of
/// two from 64 to 1024). Bytes: 4 per element read once, plus 4 per block written.
#[inline(always)]
fn s05_body<O: ReduceOp>(p: ReduceParams) {
    let tile = shared_array!(reduce_s05_tile: [f32; S05_MAX_THREADS as usize]);
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
    while s > 32 {
        if tid < s {
            v = O::combine(v, unsafe { tile.load(tid + s) });
            unsafe { tile.store(tid, v) };
        }
        sync_threads();
        s >>= 1;
    }
    if tid < 32 {
        v = O::combine(v, unsafe { tile.load(tid + 32) });
        v = O::warp(v);
        if tid == 0 {
            unsafe { p.output.store(thread::block_idx_x() as usize, v) };
        }
    }
}

kernel! {
    /// Step 5, sum: see [`S05_MAX_THREADS`] and the step's body for the technique.
    /// Changed from step 4: the last six tree levels (64 → 1) run in one warp with shuffles,
    /// no shared memory and no `bar.sync`. Expected: fewer instructions per element; the
    /// kernel approaches the bandwidth limit once enough loads are in flight (step 7).
    fn reduce_sum_s05_warp_shuffle(p: ReduceParams) {
        s05_body::<Sum>(p)
    }
}

kernel! {
    /// Step 5, max: the same body with `max` and identity `-inf`.
    fn reduce_max_s05_warp_shuffle(p: ReduceParams) {
        s05_body::<Max>(p)
    }
}

super::reduce_steps! {
    sum: reduce_sum_s05_warp_shuffle,
    max: reduce_max_s05_warp_shuffle,
    technique: "add during load, shared tree to 64, last warp with shuffles",
    accepts: PowerOfTwo { min: 64 },
    grid: Grid::Tree { threads: 256, per_thread: 2 },
}
