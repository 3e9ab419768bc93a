#[allow(unused_imports)]
use super::RowSumParams;
use crate::gpu::thread;

kernel! {
    /// Step 1 — one thread per row, a sequential loop over the columns.
    ///
    /// Thread mapping: `r = blockIdx.x·blockDim.x + threadIdx.x`. At each iteration the 32
    /// lanes of a warp read 32 addresses `4·cols` bytes apart: 32 sectors for 128 useful bytes
    /// (uncoalesced), and only `rows` threads exist — 8192 rows is 256 warps for 132 SMs.
    ///
    /// Bytes: 4 per element + 4 per row. Expected: a small fraction of bandwidth (each sector
    /// is fetched for one float, and relies on L1/L2 to serve the next 7 from the same line).
    fn row_sum_s01_thread_per_row(p: RowSumParams) {
        let r = thread::index_1d();
        if r < p.rows as usize {
            let cols = p.cols as usize;
            let row = p.input.offset(r * cols);
            let mut s = 0.0f32;
            let mut c = 0;
            while c < cols {
                s += unsafe { row.load(c) };
                c += 1;
            }
            unsafe { p.output.store(r, s) };
        }
    }
}

step! {
    kernel: row_sum_s01_thread_per_row,
    technique: "one thread per row (uncoalesced)",
    dtype: F32,
    accepts: Any,
    grid: Grid::ThreadPerRow { threads: 256 },
}
