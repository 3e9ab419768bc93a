#[allow(unused_imports)]
use super::SoftmaxParams;
use crate::gpu::{math, thread, warp};

kernel! {
    /// Step 3 — one warp per row: shuffles instead of shared memory and barriers.
    ///
    /// Changed from step 2: warp `w` of the grid owns row `w` (blocks of 256 = 8 rows); lane
    /// `l` walks columns `l, l + 32, …` (each load instruction one coalesced 128-byte line)
    /// in the same three passes, and each reduction is 5 × `SHFL.BFLY` (`warp::reduce_max`,
    /// `warp::reduce_sum`), no barrier. Short rows (128 columns: 4 loads per lane) no longer
    /// leave most of a 256-thread block idle.
    ///
    /// Bytes: as step 2. Expected: better than step 2 on short rows (32768 × 128: ≈ 50–60% of
    /// copy), worse on long ones (one warp walks a 16 KB row with one load in flight per lane).
    fn softmax_s03_warp_per_row(p: SoftmaxParams) {
        let r = thread::index_1d() / 32;
        // Warp-uniform: all 32 lanes share r, so the shuffles have every lane.
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let (x, y) = (p.x.offset(r * cols), p.y.offset(r * cols));
            let lane = thread::lane_id() as usize;
            let mut m = f32::NEG_INFINITY;
            let mut c = lane;
            while c < cols {
                m = math::max_nan(m, unsafe { x.load(c) });
                c += 32;
            }
            let m = warp::reduce_max(m);
            let mut s = 0.0f32;
            let mut c = lane;
            while c < cols {
                s += super::exp_shifted(unsafe { x.load(c) }, m);
                c += 32;
            }
            let inv = crate::gpu::math::rcp_fast(warp::reduce_sum(s));
            let mut c = lane;
            while c < cols {
                let e = super::exp_shifted(unsafe { x.load(c) }, m);
                unsafe { y.store(c, e * inv) };
                c += 32;
            }
        }
    }
}

step! {
    kernel: softmax_s03_warp_per_row,
    technique: "one warp per row, shuffle reductions, three passes",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::WarpPerRow { threads: 256 },
}
