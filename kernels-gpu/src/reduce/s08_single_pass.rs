#[allow(unused_imports)]
use super::{ReduceInput, ReduceOp, ReduceSinglePassParams};
use crate::gpu::{atomic, sync::thread_fence, sync_threads, thread};

/// Step 8 body — single pass: the last block to finish reduces the partials.
///
/// Changed from step 7: no second launch. Each block reduces its grid-stride share as in
/// step 7 and thread 0 writes the partial to `partials[blockIdx.x]`, fences
/// (`membar.gl`, so the partial is visible device-wide before the count), and bumps `counter`
/// with `atom.global.add`. The block that sees `gridDim.x - 1` is the last: after a fence it
/// reads every partial with `ld.global.cg` (L2, never a stale L1 line), reduces them and writes
/// `output[0]`, then sets `counter` back to 0 so that the next launch starts clean (the host's
/// `Case::reset` also zeroes it, outside the timed region).
///
/// Works for any operator (max has no float atomic; this needs none). Bytes: as step 7 plus
/// 8 per block. Expected: step 7 minus one launch (~2–4 µs of a ~90 µs run at 64 Mi elements).
///
/// Generic over the input's element type `T` (partials and result are f32 whatever `T`):
/// step 8 is `T = f32`, step 9 the sum over `Bf16`. Its two shared arrays exist once for
/// every instantiation, each kernel getting its own copy per block.
#[inline(always)]
pub(super) fn s08_body<O: ReduceOp, T: ReduceInput>(p: ReduceSinglePassParams<T>) {
    let warps = shared_array!(reduce_s08_warps: [f32; 32]);
    let last = shared_array!(reduce_s08_last: [u32; 1]);
    let tid = thread::thread_idx_x();
    let grid = thread::grid_dim_x();
    let acc = super::strided_partial::<O, T>(
        p.input,
        p.n as usize,
        thread::index_1d(),
        thread::grid_stride_1d(),
    );
    let r = super::block_reduce::<O>(acc, warps);
    if tid == 0 {
        unsafe { p.partials.store(thread::block_idx_x() as usize, r) };
        thread_fence();
        let done = unsafe { atomic::add_u32_global(p.counter, 0, 1) };
        unsafe { last.store(0, (done == grid - 1) as u32) };
    }
    // Also separates block_reduce's reads of `warps` from the second round's writes.
    sync_threads();
    if unsafe { last.load(0) } != 0 {
        thread_fence();
        let mut v = O::IDENTITY;
        let mut j = tid;
        while j < grid {
            v = O::combine(v, unsafe { p.partials.load_cg(j as usize) });
            j += thread::block_dim_x();
        }
        let r = super::block_reduce::<O>(v, warps);
        if tid == 0 {
            unsafe {
                p.output.store(0, r);
                p.counter.store(0, 0);
            }
        }
    }
}

/// Step 8: [`s08_body`] over f32 input.
#[inline(always)]
fn s08_f32<O: ReduceOp>(p: ReduceSinglePassParams) {
    s08_body::<O, f32>(p)
}

super::reduce_kernels!(
    s08_f32,
    ReduceSinglePassParams,
    reduce_sum_s08_single_pass,
    reduce_max_s08_single_pass,
    "Step 8 — single pass: step 7's blocks, then the last block (atomic counter + fence) \
     reduces the partials. See the step's body for the napkin math."
);

super::reduce_steps! {
    sum: reduce_sum_s08_single_pass,
    max: reduce_max_s08_single_pass,
    technique: "one launch: last block (atomic counter + fence) reduces the partials",
    accepts: WarpMultiple,
    grid: Grid::SinglePass { threads: GS_THREADS, blocks_per_sm: GS_BLOCKS_PER_SM },
}
