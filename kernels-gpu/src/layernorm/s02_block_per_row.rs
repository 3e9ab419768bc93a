#[allow(unused_imports)]
use super::LayerNormParams;
use crate::gpu::{math, thread};

kernel! {
    /// Step 2 — one block of 256 per row, coalesced scalar loads, shared-memory reductions;
    /// still three passes over x in global memory (mean, two-pass variance, y).
    ///
    /// Changed from step 1: thread `t` of block `r` takes columns `t, t + 256, …` (each load
    /// instruction is one coalesced line per warp); the block sums with shuffles and one
    /// exchange through 32 floats of shared memory ([`super::row_sum`], two `bar.sync`).
    ///
    /// Bytes: x is read three times (the second and third mostly from L2: a 4096-column row
    /// is 16 KiB, 132 SMs × 8 blocks × 16 KiB ≈ 17 MiB in flight fits the 60 MB L2).
    /// Expected: ≈ 55–65% of copy at 4096 × 4096 (one 4-byte load in flight per lane per pass,
    /// and the DRAM sees x once plus L2 traffic for the re-reads).
    fn layernorm_s02_block_per_row(p: LayerNormParams) {
        let warps = shared_array!(layernorm_s02_warps: [f32; 32]);
        let r = thread::block_idx_x() as usize;
        let (t, step) = (thread::thread_idx_x() as usize, thread::block_dim_x() as usize);
        let cols = p.cols as usize;
        let (x, y) = (p.x.offset(r * cols), p.y.offset(r * cols));
        let mut s = 0.0f32;
        let mut c = t;
        while c < cols {
            s += unsafe { x.load(c) };
            c += step;
        }
        let mean = crate::gpu::norm_reduce::div_full(super::row_sum(s, warps), cols as f32);
        let mut q = 0.0f32;
        c = t;
        while c < cols {
            let d = unsafe { x.load(c) } - mean;
            q += d * d;
            c += step;
        }
        let rstd = math::rsqrt_fast(crate::gpu::norm_reduce::div_full(super::row_sum(q, warps), cols as f32) + p.eps);
        c = t;
        while c < cols {
            let xhat = (unsafe { x.load(c) } - mean) * rstd;
            let v = math::fma(xhat, unsafe { p.gamma.load(c) }, unsafe { p.beta.load(c) });
            unsafe { y.store(c, v) };
            c += step;
        }
        if t == 0 {
            unsafe {
                p.mean.store(r, mean);
                p.rstd.store(r, rstd);
            }
        }
    }
}

step! {
    kernel: layernorm_s02_block_per_row,
    technique: "one block per row, coalesced, shared-memory reductions, three passes over global",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::BlockPerRow { threads: 256 },
}
