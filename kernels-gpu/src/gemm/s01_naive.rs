#[allow(unused_imports)]
use super::GemmParams;
use {super::common::store1, crate::gpu::math::fma, crate::gpu::thread};

kernel! {
    /// Step 1 — naive: one thread per element of `C`, a dot product of length `K` from global
    /// memory. Thread mapping: `threadIdx.x` runs along **M** (rows), blocks of 32×32.
    ///
    /// The 32 lanes of a warp hold 32 different rows and one column: every `A` load of the warp
    /// touches 32 rows (32 sectors for 128 useful bytes), every `B` load is one broadcast, and
    /// the stores of `C` are strided by `N`. Each element of `A` and `B` is read `N` resp. `M`
    /// times from L1/L2: arithmetic intensity at the thread level is 2 FLOPs per 8 bytes.
    /// Expected: a few percent of cuBLAS, bound by L1/L2 transactions.
    fn gemm_s01_naive(p: GemmParams) {
        let row = thread::block_idx_x() * thread::block_dim_x() + thread::thread_idx_x();
        let col = thread::block_idx_y() * thread::block_dim_y() + thread::thread_idx_y();
        if row < p.m && col < p.n {
            let (n, k) = (p.n as usize, p.k as usize);
            let (arow, col) = (row as usize * k, col as usize);
            let mut acc = 0.0f32;
            for i in 0..k {
                acc = fma(unsafe { p.a.load(arow + i) }, unsafe { p.b.load(i * n + col) }, acc);
            }
            unsafe { store1(&p, row, col as u32, acc) };
        }
    }
}

step! {
    kernel: gemm_s01_naive,
    technique: "one thread per C element, threads along M (uncoalesced)",
    dtype: F32,
    accepts: Any,
    grid: Grid::RowMajorThreads,
}
