#[allow(unused_imports)]
use super::LayerNormParams;
use crate::gpu::{math, thread};

kernel! {
    /// Step 1 — one thread per row, three sequential loops: the mean, the variance
    /// `Σ(x − mean)²/cols` (two-pass: exact to f32 rounding even with a large offset), then
    /// `y = (x − mean)·rstd·γ + β`.
    ///
    /// Thread mapping: `r = blockIdx.x·blockDim.x + threadIdx.x`. Lanes of a warp read
    /// addresses `4·cols` bytes apart (uncoalesced), and x is read three times.
    ///
    /// Bytes (minimum): `4·(2·rows·cols + 2·cols + 2·rows)`; actually fetched: x three times,
    /// each sector for one float per lane. Expected: a few % of copy bandwidth; 4096 rows are
    /// only 128 warps for 132 SMs.
    fn layernorm_s01_thread_per_row(p: LayerNormParams) {
        let r = thread::index_1d();
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let (x, y) = (p.x.offset(r * cols), p.y.offset(r * cols));
            let mut s = 0.0f32;
            let mut c = 0;
            while c < cols {
                s += unsafe { x.load(c) };
                c += 1;
            }
            let mean = crate::gpu::norm_reduce::div_full(s, cols as f32);
            let mut q = 0.0f32;
            c = 0;
            while c < cols {
                let d = unsafe { x.load(c) } - mean;
                q += d * d;
                c += 1;
            }
            let rstd = math::rsqrt_fast(crate::gpu::norm_reduce::div_full(q, cols as f32) + p.eps);
            c = 0;
            while c < cols {
                let xhat = (unsafe { x.load(c) } - mean) * rstd;
                let v = math::fma(xhat, unsafe { p.gamma.load(c) }, unsafe { p.beta.load(c) });
                unsafe { y.store(c, v) };
                c += 1;
            }
            unsafe {
                p.mean.store(r, mean);
                p.rstd.store(r, rstd);
            }
        }
    }
}

step! {
    kernel: layernorm_s01_thread_per_row,
    technique: "one thread per row, three loops over global (mean, two-pass variance, y)",
    dtype: F32,
    accepts: Any,
    grid: Grid::ThreadPerRow { threads: 256 },
}
