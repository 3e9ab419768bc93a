#[allow(unused_imports)]
use super::GemmParams;
use {super::common::store1, crate::gpu::math::fma, crate::gpu::thread};

kernel! {
    /// Step 2 — global-memory coalescing: the same dot product per thread, but `threadIdx.x`
    /// now runs along **N** (columns), so a warp reads 32 consecutive floats of a row of `B`
    /// (one 128-byte line), broadcasts one element of `A`, and writes 128 contiguous bytes of
    /// `C`. Changed from step 1: only the mapping of threads to elements.
    ///
    /// Bytes per FMA from L1/L2 drop from ~32 sectors per warp load to ~1.
    /// Expected: several times step 1 (siboehm: 6–8×), still far from the FMA peak because
    /// every operand comes from the memory hierarchy (intensity 0.25 FLOP/B at the thread).
    fn gemm_s02_coalesced(p: GemmParams) {
        let col = thread::block_idx_x() * thread::block_dim_x() + thread::thread_idx_x();
        let row = thread::block_idx_y() * thread::block_dim_y() + thread::thread_idx_y();
        if row < p.m && col < p.n {
            let (n, k) = (p.n as usize, p.k as usize);
            let (arow, c) = (row as usize * k, col as usize);
            let mut acc = 0.0f32;
            for i in 0..k {
                acc = fma(unsafe { p.a.load(arow + i) }, unsafe { p.b.load(i * n + c) }, acc);
            }
            unsafe { store1(&p, row, col, acc) };
        }
    }
}

step! {
    kernel: gemm_s02_coalesced,
    technique: "threads along N: coalesced B loads and C stores",
    dtype: F32,
    accepts: Any,
    grid: Grid::ColMajorThreads,
}
