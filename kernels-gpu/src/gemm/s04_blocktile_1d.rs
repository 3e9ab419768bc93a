#[allow(unused_imports)]
use super::GemmParams;
use {
    super::common::{load1, store1},
    crate::gpu::{math::fma, sync_threads, thread},
};

/// Step 4's block tile: `BM × BN` of `C`, `K` in steps of `BK`, `TM` results per thread.
pub const S04_BM: u32 = 64;
/// See [`S04_BM`].
pub const S04_BN: u32 = 64;
/// See [`S04_BM`].
pub const S04_BK: u32 = 8;
/// See [`S04_BM`].
pub const S04_TM: u32 = 8;
/// Threads per block of step 4: `BM·BN / TM`.
pub const S04_THREADS: u32 = S04_BM * S04_BN / S04_TM;

kernel! {
    /// Step 4 — 1-D block tiling: each of 512 threads computes a column of `TM = 8` results of a
    /// 64×64 block tile, stepping through `K` by `BK = 8`. Per `K` index the thread loads one
    /// `B` value into a register and reuses it for 8 FMAs with 8 `A` values (broadcast `LDS`).
    /// Changed from step 3: work per thread ×8, shared loads per FMA from 2 to 1.125.
    ///
    /// Napkin math per block and `BK` step: 2·64·64·8 = 65536 FLOPs for (64+64)·8·4 = 4 KiB:
    /// 16 FLOP/B (2× step 3). Expected: ~2× step 3 (siboehm: 2.3×).
    /// Thread mapping: `col = tid % 64`, rows `(tid / 64)·8 .. +8`; tile loads one element of `A`
    /// (`A` tile stored `[m][k]`) and one of `B` per thread, zero-filled at the edges.
    fn gemm_s04_blocktile_1d(p: GemmParams) {
        const BM: u32 = S04_BM;
        const BN: u32 = S04_BN;
        const BK: u32 = S04_BK;
        const TM: usize = S04_TM as usize;
        let a_tile = shared_array!(gemm_s04_a: [f32; (S04_BM * S04_BK) as usize]);
        let b_tile = shared_array!(gemm_s04_b: [f32; (S04_BK * S04_BN) as usize]);
        let tid = thread::thread_idx_x();
        let (bm, bn) = (thread::block_idx_y() * BM, thread::block_idx_x() * BN);
        let (tcol, trow) = (tid % BN, tid / BN);
        let (a_r, a_c) = (tid / BK, tid % BK);
        let (b_r, b_c) = (tid / BN, tid % BN);
        let mut acc = [0.0f32; TM];
        let mut k0 = 0;
        while k0 < p.k {
            unsafe {
                a_tile.store(a_r * BK + a_c, load1(p.a, p.m, p.k, bm + a_r, k0 + a_c));
                b_tile.store(b_r * BN + b_c, load1(p.b, p.k, p.n, k0 + b_r, bn + b_c));
            }
            sync_threads();
            for d in 0..BK {
                let bv = unsafe { b_tile.load(d * BN + tcol) };
                for (r, a) in acc.iter_mut().enumerate() {
                    *a = fma(unsafe { a_tile.load((trow * TM as u32 + r as u32) * BK + d) }, bv, *a);
                }
            }
            sync_threads();
            k0 += BK;
        }
        for (r, &a) in acc.iter().enumerate() {
            unsafe { store1(&p, bm + trow * TM as u32 + r as u32, bn + tcol, a) };
        }
    }
}

step! {
    kernel: gemm_s04_blocktile_1d,
    technique: "64x64x8 block tile, 8 results per thread (1-D)",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::Tile1d,
}
