#[allow(unused_imports)]
use super::VectorAddParams;
use crate::gpu::thread;

kernel! {
    /// Step 1 — one thread per element: `c[i] = a[i] + b[i]`.
    ///
    /// Thread mapping: `i = blockIdx.x * blockDim.x + threadIdx.x`, one guard `i < n`.
    /// Bytes: 12 per element (two 4-byte reads, one write), 1 FLOP: 0.08 FLOP/B, so it is
    /// memory-bound and can at best reach copy bandwidth (counting reads + writes).
    fn vector_add_s01_naive(p: VectorAddParams) {
        let i = thread::index_1d();
        if i < p.n as usize {
            unsafe { p.c.store(i, p.a.load(i) + p.b.load(i)) };
        }
    }
}

step! {
    kernel: vector_add_s01_naive,
    technique: "one thread per element",
    dtype: F32,
    accepts: Any,
    grid: Grid::OnePerElement { threads: 256 },
}
