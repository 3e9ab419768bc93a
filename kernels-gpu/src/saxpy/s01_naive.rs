#[allow(unused_imports)]
use super::SaxpyParams;
use crate::gpu::{math::fma, thread};

kernel! {
    /// Step 1 — one thread per element: `y[i] = fma(a, x[i], y[i])`.
    ///
    /// Bytes: 12 per element (read x, read y, write y), 2 FLOPs. Memory-bound; the grid has
    /// `ceil(n / 256)` blocks, so for 64 Mi elements 262144 blocks of which each thread does
    /// one element: launch and index overhead per element is the cost to beat.
    fn saxpy_s01_naive(p: SaxpyParams) {
        let i = thread::index_1d();
        if i < p.n as usize {
            unsafe { p.y.store(i, fma(p.a, p.x.load(i), p.y.load(i))) };
        }
    }
}

step! {
    kernel: saxpy_s01_naive,
    technique: "one thread per element",
    dtype: F32,
    accepts: Any,
    grid: Grid::OnePerElement { threads: 256 },
}
