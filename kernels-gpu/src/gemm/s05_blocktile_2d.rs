#[allow(unused_imports)]
use super::GemmParams;
use {
    super::common::{load1, store1},
    crate::gpu::{math::fma, sync_threads, thread, unroll},
};

/// Step 5's block tile: `BM × BN` of `C`, `K` in steps of `BK`, a `TM × TN` register tile per
/// thread (steps 5 and 6 share these).
pub const S05_BM: u32 = 128;
/// See [`S05_BM`].
pub const S05_BN: u32 = 128;
/// See [`S05_BM`].
pub const S05_BK: u32 = 8;
/// See [`S05_BM`].
pub const S05_TM: u32 = 8;
/// See [`S05_BM`].
pub const S05_TN: u32 = 8;
/// Threads per block of steps 5 and 6: `BM·BN / (TM·TN)` = 256.
pub const S05_THREADS: u32 = S05_BM * S05_BN / (S05_TM * S05_TN);

kernel! {
    /// Step 5 — 2-D block tiling: 256 threads compute a 128×128 tile of `C`, each an 8×8 register
    /// tile, `K` in steps of 8. Per `K` index a thread loads 8 `A` and 8 `B` values into
    /// registers and does 64 FMAs with them (outer product).
    /// Changed from step 4: shared loads per FMA from 1.125 to 0.25; 64 accumulators per thread.
    ///
    /// Napkin math per block and `BK` step: 2·128·128·8 = 262144 FLOPs for (128+128)·8·4 = 8 KiB:
    /// 32 FLOP/B at the block (L2) level. Expected: ~2× step 4 (siboehm: 1.9×).
    /// Tiles are loaded with scalar loads (4 per thread per operand), `A` stored `[m][k]` —
    /// so the 8 `A` values of a thread are 8 scalar `LDS` (step 6 fixes that).
    fn gemm_s05_blocktile_2d(p: GemmParams) {
        const BM: u32 = S05_BM;
        const BN: u32 = S05_BN;
        const BK: u32 = S05_BK;
        const TM: usize = S05_TM as usize;
        const TN: usize = S05_TN as usize;
        const NT: u32 = S05_THREADS;
        let a_tile = shared_array!(gemm_s05_a: [f32; (S05_BM * S05_BK) as usize]);
        let b_tile = shared_array!(gemm_s05_b: [f32; (S05_BK * S05_BN) as usize]);
        let tid = thread::thread_idx_x();
        let (bm, bn) = (thread::block_idx_y() * BM, thread::block_idx_x() * BN);
        let tcol = tid % (BN / TN as u32);
        let trow = tid / (BN / TN as u32);
        let (a_r, a_c) = (tid / BK, tid % BK);
        let (b_r, b_c) = (tid / BN, tid % BN);
        let mut acc = [0.0f32; TM * TN];
        let mut reg_m = [0.0f32; TM];
        let mut reg_n = [0.0f32; TN];
        let mut k0 = 0;
        while k0 < p.k {
            let mut r = 0;
            while r < BM {
                unsafe { a_tile.store((a_r + r) * BK + a_c, load1(p.a, p.m, p.k, bm + a_r + r, k0 + a_c)) };
                r += NT / BK;
            }
            let mut r = 0;
            while r < BK {
                unsafe { b_tile.store((b_r + r) * BN + b_c, load1(p.b, p.k, p.n, k0 + b_r + r, bn + b_c)) };
                r += NT / BN;
            }
            sync_threads();
            // Unrolled (`unroll`): a register tile indexed by a rolled loop would live in local memory.
            unroll::<{ S05_BK as usize }>(
                #[inline(always)]
                |d| {
                    let d = d as u32;
                    unroll::<TM>(
                        #[inline(always)]
                        |i| reg_m[i] = unsafe { a_tile.load((trow * TM as u32 + i as u32) * BK + d) },
                    );
                    unroll::<TN>(
                        #[inline(always)]
                        |j| reg_n[j] = unsafe { b_tile.load(d * BN + tcol * TN as u32 + j as u32) },
                    );
                    unroll::<TM>(
                        #[inline(always)]
                        |i| {
                            unroll::<TN>(
                                #[inline(always)]
                                |j| acc[i * TN + j] = fma(reg_m[i], reg_n[j], acc[i * TN + j]),
                            )
                        },
                    );
                },
            );
            sync_threads();
            k0 += BK;
        }
        unroll::<TM>(
            #[inline(always)]
            |i| {
                unroll::<TN>(
                    #[inline(always)]
                    |j| {
                        let (row, col) = (bm + trow * TM as u32 + i as u32, bn + tcol * TN as u32 + j as u32);
                        unsafe { store1(&p, row, col, acc[i * TN + j]) };
                    },
                )
            },
        );
    }
}

step! {
    kernel: gemm_s05_blocktile_2d,
    technique: "128x128x8 block tile, 8x8 register tile per thread",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::Tile2d,
}
