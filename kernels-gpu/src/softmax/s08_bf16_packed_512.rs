#[allow(unused_imports)]
use super::{CHUNKS_8, MAX_THREADS_8, SoftmaxParams};
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS_8, 2)]
    /// Step 8 — step 7 at half the threads per row and twice the chunks: 512 × 8 packed.
    ///
    /// Changed from step 7: 8 chunks a thread (32 registers of bf16 pairs), blocks of at most
    /// 512 (`register_block_threads_max(cols, 8, 512)`: 512 at 32000 columns, 64 at 4096),
    /// launch bounds `(512, 2)` so ptxas holds a thread to 64 registers and two rows fit an SM
    /// at 32000 columns (2 × 512 × 64 = 64 K registers).
    ///
    /// Why: step 6 runs one row per SM at 32000 columns and does not overlap its ≈ 1 µs of
    /// `ex2` per row with traffic (246 µs copy + 63 µs MUFU ≈ 316 µs measured). Two rows per
    /// SM, each 64 KB of loads in flight (twice the ≈ 32 KB an SM needs), overlap one row's
    /// arithmetic (≈ 2 µs of MUFU, `ex2` twice) with the other's ≈ 4 µs of traffic.
    /// Bytes: `4·rows·cols`, as step 6.
    fn softmax_s08_bf16_packed_512(p: SoftmaxParams<Bf16>) {
        let scratch = [
            shared_array!(softmax_s08_m: [f32; 32]),
            shared_array!(softmax_s08_s: [f32; 32]),
        ];
        let cols = p.cols as usize;
        let r = crate::gpu::thread::block_idx_x() as usize;
        super::registers_row_packed::<CHUNKS_8, true>(
            p.x.offset(r * cols),
            p.y.offset(r * cols),
            cols,
            true,
            super::block_team(scratch),
        );
    }
}

kernel! {
    /// Step 8, short rows (at most 1024 columns): a sub-warp team per row
    /// (`lanes_per_row(cols, 8)`: 2 lanes at 128 columns, 16 rows per warp).
    fn softmax_s08_bf16_packed_512_warp(p: SoftmaxParams<Bf16>) {
        super::warp_rows!(p, CHUNKS_8, super::registers_row_packed::<CHUNKS_8, false>);
    }
}

step! {
    kernels: [softmax_s08_bf16_packed_512, softmax_s08_bf16_packed_512_warp],
    technique: "step 7 at 512 threads x 8 packed chunks: two rows per SM at 32000",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::RegistersMax {
        warp_threads: 256,
        warp_max_cols: 1024,
        chunks: CHUNKS_8 as u32,
        max_threads: MAX_THREADS_8,
    },
}
