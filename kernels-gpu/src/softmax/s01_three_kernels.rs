#[allow(unused_imports)]
use super::SoftmaxThreePassParams;
use crate::gpu::{math, thread};

kernel! {
    /// Step 1, kernel 1 of 3 — the row maxima: thread `r` walks row `r` and writes `max[r]`
    /// (NaN-propagating `max.NaN.f32`).
    ///
    /// The textbook softmax as three kernels with the per-row temporaries in global memory:
    /// this kernel reads `x` once, the second (`…_sum`) reads `x` again for `Σ exp(x − max)`,
    /// the third (`…_normalise`, one thread per element) reads `x` a third time and writes
    /// `y`. Thread-per-row walks are uncoalesced (the 32 lanes of a warp read 32 rows,
    /// `4·cols` bytes apart: one 32-byte sector per lane per load).
    ///
    /// Bytes: `4·rows·cols` × 4 (three reads, one write) + `16·rows` for the temporaries:
    /// twice the fused minimum. Expected: far below that — the uncoalesced walks fetch a
    /// sector per element unless L1 keeps the rows' lines (a warp's 32 rows × 128 B = 4 KB
    /// per step: mostly L1 hits), and only `rows` threads run (4096 rows = 4096 threads,
    /// a quarter of one wave's slots): ≈ 5–10% of copy bandwidth.
    fn softmax_s01_three_kernels(p: SoftmaxThreePassParams) {
        let r = thread::index_1d();
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let row = p.x.offset(r * cols);
            let mut m = f32::NEG_INFINITY;
            let mut c = 0;
            while c < cols {
                m = math::max_nan(m, unsafe { row.load(c) });
                c += 1;
            }
            unsafe { p.max.store(r, m) };
        }
    }
}

kernel! {
    /// Step 1, kernel 2 of 3 — the row sums `Σ_c exp(x[r][c] − max[r])`, thread `r` per row
    /// (a sequential chain of `cols` additions).
    fn softmax_s01_three_kernels_sum(p: SoftmaxThreePassParams) {
        let r = thread::index_1d();
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let row = p.x.offset(r * cols);
            let m = unsafe { p.max.load(r) };
            let mut s = 0.0f32;
            let mut c = 0;
            while c < cols {
                s += super::exp_shifted(unsafe { row.load(c) }, m);
                c += 1;
            }
            unsafe { p.sum.store(r, s) };
        }
    }
}

kernel! {
    /// Step 1, kernel 3 of 3 — `y = exp(x − max[r]) / sum[r]`, one thread per element
    /// (coalesced).
    fn softmax_s01_three_kernels_normalise(p: SoftmaxThreePassParams) {
        let i = thread::index_1d();
        let cols = p.cols as usize;
        if i < p.rows as usize * cols {
            let r = i / cols;
            let (m, s) = unsafe { (p.max.load(r), p.sum.load(r)) };
            let e = super::exp_shifted(unsafe { p.x.load(i) }, m);
            unsafe { p.y.store(i, e * crate::gpu::math::rcp_fast(s)) };
        }
    }
}

step! {
    kernels: [
        softmax_s01_three_kernels,
        softmax_s01_three_kernels_sum,
        softmax_s01_three_kernels_normalise,
    ],
    technique: "three kernels (max, sum, normalise), temporaries in global, thread per row",
    dtype: F32,
    accepts: Any,
    grid: Grid::ThreePass { threads: 256 },
}
