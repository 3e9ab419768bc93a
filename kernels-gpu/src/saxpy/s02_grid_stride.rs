#[allow(unused_imports)]
use super::SaxpyParams;
use crate::gpu::{math::fma, thread};

kernel! {
    /// Step 2 — grid-stride loop: a fixed grid (a few blocks per SM) walks the array in steps
    /// of `gridDim.x * blockDim.x`.
    ///
    /// Changed from step 1: the grid no longer grows with `n`; each thread handles
    /// `n / (grid * block)` elements, amortising block start-up and index math.
    /// Bytes: unchanged, 12 per element. Expected: a few percent over step 1.
    fn saxpy_s02_grid_stride(p: SaxpyParams) {
        let n = p.n as usize;
        let stride = thread::grid_stride_1d();
        let mut i = thread::index_1d();
        while i < n {
            unsafe { p.y.store(i, fma(p.a, p.x.load(i), p.y.load(i))) };
            i += stride;
        }
    }
}

step! {
    kernel: saxpy_s02_grid_stride,
    technique: "grid-stride loop over a fixed grid",
    dtype: F32,
    accepts: Any,
    grid: Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 1 },
}
