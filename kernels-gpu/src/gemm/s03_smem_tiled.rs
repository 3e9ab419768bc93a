#[allow(unused_imports)]
use super::GemmParams;
use {
    super::common::{load1, store1},
    crate::gpu::{math::fma, sync_threads, thread},
};

/// Edge of the square tiles of step 3 (block of `TILE × TILE` threads).
pub const S03_TILE: u32 = 32;

kernel! {
    /// Step 3 — shared-memory tiling: a 32×32 block stages a 32×32 tile of `A` and of `B` in
    /// shared memory (`STS`), synchronises, and every thread takes its 32 products from there
    /// (`LDS`: one broadcast of `A`, 32 consecutive floats of `B` per warp).
    /// Changed from step 2: each element of `A` and `B` is read from global memory once per
    /// block instead of once per thread — 32× less global/L2 traffic.
    ///
    /// Napkin math per block and `K`-step of 32: 2·32³ = 65536 FLOPs for 2·32·32·4 = 8 KiB
    /// loaded: 8 FLOP/B at the block level. Per FMA the thread now issues two `LDS`, so the
    /// shared-memory pipe (not DRAM) is the limit. Expected: ~1.5× step 2.
    /// Edges: loads outside `A`/`B` put zeros in the tile; stores are guarded.
    fn gemm_s03_smem_tiled(p: GemmParams) {
        const T: u32 = S03_TILE;
        let a_tile = shared_array!(gemm_s03_a: [f32; (S03_TILE * S03_TILE) as usize]);
        let b_tile = shared_array!(gemm_s03_b: [f32; (S03_TILE * S03_TILE) as usize]);
        let (tx, ty) = (thread::thread_idx_x(), thread::thread_idx_y());
        let col = thread::block_idx_x() * T + tx;
        let row = thread::block_idx_y() * T + ty;
        let mut acc = 0.0f32;
        let mut k0 = 0;
        while k0 < p.k {
            unsafe {
                a_tile.store(ty * T + tx, load1(p.a, p.m, p.k, row, k0 + tx));
                b_tile.store(ty * T + tx, load1(p.b, p.k, p.n, k0 + ty, col));
            }
            sync_threads();
            for i in 0..T {
                acc = fma(unsafe { a_tile.load(ty * T + i) }, unsafe { b_tile.load(i * T + tx) }, acc);
            }
            sync_threads();
            k0 += T;
        }
        unsafe { store1(&p, row, col, acc) };
    }
}

step! {
    kernel: gemm_s03_smem_tiled,
    technique: "32x32 tiles of A and B staged in shared memory",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::ColMajorThreads,
}
