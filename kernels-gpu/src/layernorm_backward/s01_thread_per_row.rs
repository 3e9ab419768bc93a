#[allow(unused_imports)]
use super::LayerNormBackwardParams;
use crate::gpu::thread;

kernel! {
    /// Step 1, kernel 1 — one thread per row: `Σg`, `Σg·x̂` in one loop, then dx in a second
    /// (x, dy and γ read twice, uncoalesced across the warp).
    ///
    /// Bytes (minimum, both kernels): `4·(3·rows·cols + 3·cols + 2·rows)`. Expected: a few %
    /// of copy, as layernorm/1.
    fn layernorm_backward_s01_thread_per_row(p: LayerNormBackwardParams) {
        let r = thread::index_1d();
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let (dy, x, dx) = (p.dy.offset(r * cols), p.x.offset(r * cols), p.dx.offset(r * cols));
            let (m, s) = unsafe { (p.mean.load(r), p.rstd.load(r)) };
            let (mut a, mut b) = (0.0f32, 0.0f32);
            let mut c = 0;
            while c < cols {
                let g = unsafe { dy.load(c) * p.gamma.load(c) };
                a += g;
                b += g * ((unsafe { x.load(c) } - m) * s);
                c += 1;
            }
            let (a, b) = (crate::gpu::norm_reduce::div_full(a, cols as f32), crate::gpu::norm_reduce::div_full(b, cols as f32));
            c = 0;
            while c < cols {
                let xhat = (unsafe { x.load(c) } - m) * s;
                let g = unsafe { dy.load(c) * p.gamma.load(c) };
                unsafe { dx.store(c, s * (g - crate::gpu::math::fma(xhat, b, a))) };
                c += 1;
            }
        }
    }
}

kernel! {
    /// Step 1, kernel 2 — one thread per column: `dγ[c] = Σ_r dy·x̂`, `dβ[c] = Σ_r dy` over
    /// all rows in row order (deterministic). Lanes of a warp read consecutive columns of a row
    /// (coalesced); only `cols` threads exist (4096 columns: 128 warps for 132 SMs), each with
    /// one load in flight.
    fn layernorm_backward_s01_thread_per_row_columns(p: LayerNormBackwardParams) {
        let c = thread::index_1d();
        let cols = p.cols as usize;
        if c < cols {
            let (mut g, mut b) = (0.0f32, 0.0f32);
            let mut r = 0;
            while r < p.rows as usize {
                let (m, s) = unsafe { (p.mean.load(r), p.rstd.load(r)) };
                let d = unsafe { p.dy.load(r * cols + c) };
                g = crate::gpu::math::fma(d, (unsafe { p.x.load(r * cols + c) } - m) * s, g);
                b += d;
                r += 1;
            }
            unsafe {
                p.dgamma.store(c, g);
                p.dbeta.store(c, b);
            }
        }
    }
}

step! {
    kernels: [layernorm_backward_s01_thread_per_row, layernorm_backward_s01_thread_per_row_columns],
    technique: "thread per row (dx), then thread per column (dgamma, dbeta over all rows)",
    dtype: F32,
    accepts: Any,
    grid: Grid::ThreadPerRowThenColumn { threads: 256 },
}
