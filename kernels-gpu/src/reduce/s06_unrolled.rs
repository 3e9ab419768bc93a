#[allow(unused_imports)]
use super::{MAX_THREADS, ReduceOp, ReduceParams};
use crate::gpu::{sync_threads, thread};

/// Block size of the step-6 kernels (the const generic they are instantiated with); the host
/// launches them with exactly this many threads.
pub const S06_THREADS: u32 = 256;

/// Step 6 body — the block size `B` is a const generic, so the tree is fully unrolled.
///
/// Changed from step 5: every `if B >= …` is decided at compile time, the loop counter, its
/// compare and branch disappear, and `2·B` in the index becomes a shift. Same mapping as step 5
/// (block `b` reduces `input[2·b·B .. 2·(b+1)·B]`), same bytes (4 per element).
/// Expected: a few percent over step 5 (Harris: 1.4× on G80, much less on a modern GPU where
/// the kernel is already close to the memory bound once enough blocks are resident).
#[inline(always)]
fn s06_body<O: ReduceOp, const B: u32>(p: ReduceParams) {
    let tile = shared_array!(reduce_s06_tile: [f32; MAX_THREADS as usize]);
    let tid = thread::thread_idx_x();
    let n = p.n as usize;
    let i = thread::block_idx_x() as usize * 2 * B as usize + tid as usize;
    let mut v = O::IDENTITY;
    if i < n {
        v = unsafe { p.input.load(i) };
    }
    if i + (B as usize) < n {
        v = O::combine(v, unsafe { p.input.load(i + B as usize) });
    }
    unsafe { tile.store(tid, v) };
    sync_threads();
    macro_rules! level {
        ($s:literal) => {
            if B >= 2 * $s {
                if tid < $s {
                    v = O::combine(v, unsafe { tile.load(tid + $s) });
                    unsafe { tile.store(tid, v) };
                }
                sync_threads();
            }
        };
    }
    level!(512);
    level!(256);
    level!(128);
    level!(64);
    if tid < 32 {
        if B >= 64 {
            v = O::combine(v, unsafe { tile.load(tid + 32) });
        }
        v = O::warp(v);
        if tid == 0 {
            unsafe { p.output.store(thread::block_idx_x() as usize, v) };
        }
    }
}

#[inline(always)]
fn s06_body_256<O: ReduceOp>(p: ReduceParams) {
    s06_body::<O, S06_THREADS>(p)
}

super::reduce_kernels!(
    s06_body_256,
    ReduceParams,
    reduce_sum_s06_unrolled,
    reduce_max_s06_unrolled,
    "Step 6 — block size as a const generic (256): the shared tree and the warp stage fully \
     unrolled. Launch with exactly `S06_THREADS` threads."
);

super::reduce_steps! {
    sum: reduce_sum_s06_unrolled,
    max: reduce_max_s06_unrolled,
    technique: "block size as a const generic: tree fully unrolled",
    accepts: Exactly,
    grid: Grid::Tree { threads: S06_THREADS, per_thread: 2 },
}
