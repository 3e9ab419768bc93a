#[allow(unused_imports)]
use super::{GemmParams, S05_BK, S05_BM, S05_BN, S05_THREADS, S05_TM, S05_TN};
use {
    super::common::{a_vec_ok, b_vec_ok, c_vec_ok, load4, store4},
    crate::gpu::{F32x4, math::fma, sync_threads, thread, unroll},
};

/// Row stride (floats) of step 6's transposed `A` tile: `BM + 4` (keeps 16-byte alignment; the
/// pad puts the two `k` halves of a warp's transposing stores in different banks).
pub const S06_A_STRIDE: u32 = S05_BM + 4;

kernel! {
    /// Step 6 — 128-bit loads: step 5's tiling (128×128×8, 8×8 per thread, 256 threads), but
    /// `A` is stored **transposed** in shared memory (`[k][m]`), so a thread's 8 `A` values are
    /// contiguous: two `LDS.128` instead of eight `LDS`; the 8 `B` values are two `LDS.128`.
    /// Global tiles are loaded as one 16-byte chunk per thread and operand
    /// (`LDG.E.128.CONSTANT`) when `K % 4 == 0` (for `A`) / `N % 4 == 0` (for `B`), else as four
    /// guarded scalar loads; `C` is written with `STG.E.128` when `N % 4 == 0`.
    ///
    /// Napkin math: the same 32 FLOP/B per block as step 5; shared-memory instructions per
    /// `K` index and thread: 4 `LDS.128` for 64 FMAs (step 5: 16 `LDS`).
    /// Expected: +20–40% over step 5 (siboehm: 1.3×).
    fn gemm_s06_vectorized(p: GemmParams) {
        const BM: u32 = S05_BM;
        const BN: u32 = S05_BN;
        const BK: u32 = S05_BK;
        const TM: usize = S05_TM as usize;
        const TN: usize = S05_TN as usize;
        const AS: u32 = S06_A_STRIDE;
        let a_tile = shared_array!(gemm_s06_a: [f32; (S05_BK * S06_A_STRIDE) as usize]);
        let b_tile = shared_array!(gemm_s06_b: [f32; (S05_BK * S05_BN) as usize]);
        let tid = thread::thread_idx_x();
        let (bm, bn) = (thread::block_idx_y() * BM, thread::block_idx_x() * BN);
        let tcol = tid % (BN / TN as u32);
        let trow = tid / (BN / TN as u32);
        // One 4-float chunk of A (row a_r, k a_c..a_c+4) and of B (row b_r, n b_c..b_c+4) per thread.
        const _: () = assert!(S05_BM * S05_BK / 4 == S05_THREADS && S05_BK * S05_BN / 4 == S05_THREADS);
        let (a_r, a_c) = (tid / (BK / 4), (tid % (BK / 4)) * 4);
        let (b_r, b_c) = (tid / (BN / 4), (tid % (BN / 4)) * 4);
        let (a_vec, b_vec, c_vec) = (a_vec_ok(&p), b_vec_ok(&p), c_vec_ok(&p));
        let mut acc = [0.0f32; TM * TN];
        let mut reg_m = [0.0f32; TM];
        let mut reg_n = [0.0f32; TN];
        let mut k0 = 0;
        while k0 < p.k {
            let av = unsafe { load4(p.a, p.m, p.k, a_vec, bm + a_r, k0 + a_c) };
            let bv = unsafe { load4(p.b, p.k, p.n, b_vec, k0 + b_r, bn + b_c) };
            for j in 0..4u32 {
                unsafe { a_tile.store((a_c + j) * AS + a_r, av.0[j as usize]) };
            }
            unsafe { b_tile.store_f32x4(b_r * BN + b_c, bv) };
            sync_threads();
            unroll::<{ S05_BK as usize }>(
                #[inline(always)]
                |d| {
                    let d = d as u32;
                    unroll::<{ S05_TM as usize / 4 }>(
                        #[inline(always)]
                        |q| {
                            let v: F32x4 = unsafe { a_tile.load_f32x4(d * AS + trow * TM as u32 + 4 * q as u32) };
                            unroll::<4>(
                                #[inline(always)]
                                |e| reg_m[4 * q + e] = v.0[e],
                            );
                        },
                    );
                    unroll::<{ S05_TN as usize / 4 }>(
                        #[inline(always)]
                        |q| {
                            let v: F32x4 = unsafe { b_tile.load_f32x4(d * BN + tcol * TN as u32 + 4 * q as u32) };
                            unroll::<4>(
                                #[inline(always)]
                                |e| reg_n[4 * q + e] = v.0[e],
                            );
                        },
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
                let row = bm + trow * TM as u32 + i as u32;
                unroll::<{ S05_TN as usize / 4 }>(
                    #[inline(always)]
                    |q| {
                        let col = bn + tcol * TN as u32 + 4 * q as u32;
                        let j = i * TN + 4 * q;
                        let v = [acc[j], acc[j + 1], acc[j + 2], acc[j + 3]];
                        unsafe { store4(&p, c_vec, row, col, v) };
                    },
                );
            },
        );
    }
}

step! {
    kernel: gemm_s06_vectorized,
    technique: "transposed A tile, LDS.128, 128-bit global loads/stores",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::Tile2d,
}
