#[allow(unused_imports)]
use super::RowSumParams;
use crate::gpu::{thread, warp};

kernel! {
    /// Step 2 — one warp per row: lanes read consecutive columns, shuffles finish.
    ///
    /// Changed from step 1: warp `w` of the grid takes row `w`; lane `l` sums columns
    /// `l, l+32, …` (each load instruction is one coalesced 128-byte line), then
    /// `warp::reduce_sum` (5 × `SHFL.BFLY`) and lane 0 writes. Blocks of 256 threads = 8 rows.
    ///
    /// Bytes: unchanged. Expected: near bandwidth for long rows when enough warps are in flight
    /// (8192 rows = 8192 warps); one 4-byte load in flight per lane limits it.
    fn row_sum_s02_warp_per_row(p: RowSumParams) {
        let r = thread::index_1d() / 32;
        // Warp-uniform: all 32 lanes of a warp share r, so the shuffles have every lane.
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let row = p.input.offset(r * cols);
            let mut s = 0.0f32;
            let mut c = thread::lane_id() as usize;
            while c < cols {
                s += unsafe { row.load(c) };
                c += 32;
            }
            let s = warp::reduce_sum(s);
            if thread::lane_id() == 0 {
                unsafe { p.output.store(r, s) };
            }
        }
    }
}

step! {
    kernel: row_sum_s02_warp_per_row,
    technique: "one warp per row, coalesced, shuffle reduction",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::WarpPerRow { threads: 256 },
}
