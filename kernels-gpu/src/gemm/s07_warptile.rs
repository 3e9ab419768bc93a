#[allow(unused_imports)]
use super::{GemmParams, WarpTile};
use {
    super::common::{a_vec_ok, b_vec_ok, c_vec_ok, load4, store4},
    crate::gpu::{
        F32x4, math::fma, shared::SharedPtr, shared::dynamic_shared, sync_threads, thread, unroll,
    },
};

/// Step 7's tile: 128×128 block tile, `BK = 16`, 4 warps of 64×64, each lane 1×4 sub-tiles of
/// 8×4 (128 accumulators) — siboehm's kernel 10 parameters.
pub const S07_TILE: WarpTile = WarpTile {
    bm: 128,
    bn: 128,
    bk: 16,
    wm: 64,
    wn: 64,
    wniter: 4,
    tm: 8,
    tn: 4,
};

/// Where a thread works inside its block: offsets of its `A` rows and `B` columns in the
/// tiles (warp offset + lane offset), shared by the compute loop and the epilogue.
#[derive(Clone, Copy)]
pub(super) struct Lane {
    /// Row of the thread's first result inside the block tile.
    pub row: u32,
    /// Column of the thread's first result inside the block tile.
    pub col: u32,
}

impl Lane {
    /// Warp `tid / 32` takes sub-tile `(tid/32) / (BN/WN), (tid/32) % (BN/WN)`; inside it, lanes
    /// form a `(WSUBM/TM) × (WSUBN/TN)` grid, row-major.
    #[inline(always)]
    pub fn new<
        const BN: usize,
        const WM: usize,
        const WN: usize,
        const WNITER: usize,
        const TM: usize,
        const TN: usize,
    >(
        tid: u32,
    ) -> Self {
        let (warp, lane) = (tid / 32, tid % 32);
        let lanes_n = ((WN / WNITER) / TN) as u32;
        let (wrow, wcol) = (warp / (BN / WN) as u32, warp % (BN / WN) as u32);
        Self {
            row: wrow * WM as u32 + (lane / lanes_n) * TM as u32,
            col: wcol * WN as u32 + (lane % lanes_n) * TN as u32,
        }
    }
}

/// Loads this thread's chunks of the next `A` and `B` tiles (`K` offset `k0`) into registers:
/// chunk `c = tid + i·threads` is `A[bm + c / (BK/4), k0 + 4·(c % (BK/4)) ..+4]` and
/// `B[k0 + c / (BN/4), bn + 4·(c % (BN/4)) ..+4]` — consecutive lanes read consecutive 16 bytes.
/// Zero-filled outside the matrices (also past `K`, so the last tile needs no special case).
///
/// Fast path: when a whole tile lies inside its matrix and the 128-bit path is allowed (a
/// block-uniform test per tile), every chunk is one `LDG.E.128` with no per-chunk test; edge
/// tiles go through [`load4`]'s per-chunk tests.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn load_tiles<
    const BM: usize,
    const BN: usize,
    const BK: usize,
    const NT: usize,
    const NLA: usize,
    const NLB: usize,
>(
    p: &GemmParams,
    vec: (bool, bool),
    tid: u32,
    bm: u32,
    bn: u32,
    k0: u32,
    ra: &mut [F32x4; NLA],
    rb: &mut [F32x4; NLB],
) {
    let k_full = k0 + BK as u32 <= p.k;
    if vec.0 && k_full && bm + BM as u32 <= p.m {
        unroll::<NLA>(
            #[inline(always)]
            |i| {
                let c = tid + (i * NT) as u32;
                let (r, kk) = (c / (BK / 4) as u32, (c % (BK / 4) as u32) * 4);
                let e = (bm + r) as usize * p.k as usize + (k0 + kk) as usize;
                ra[i] = unsafe { p.a.offset(e).load_f32x4(0) };
            },
        );
    } else {
        unroll::<NLA>(
            #[inline(always)]
            |i| {
                let c = tid + (i * NT) as u32;
                let (r, kk) = (c / (BK / 4) as u32, (c % (BK / 4) as u32) * 4);
                ra[i] = unsafe { load4(p.a, p.m, p.k, vec.0, bm + r, k0 + kk) };
            },
        );
    }
    if vec.1 && k_full && bn + BN as u32 <= p.n {
        unroll::<NLB>(
            #[inline(always)]
            |i| {
                let c = tid + (i * NT) as u32;
                let (r, nn) = (c / (BN / 4) as u32, (c % (BN / 4) as u32) * 4);
                let e = (k0 + r) as usize * p.n as usize + (bn + nn) as usize;
                rb[i] = unsafe { p.b.offset(e).load_f32x4(0) };
            },
        );
    } else {
        unroll::<NLB>(
            #[inline(always)]
            |i| {
                let c = tid + (i * NT) as u32;
                let (r, nn) = (c / (BN / 4) as u32, (c % (BN / 4) as u32) * 4);
                rb[i] = unsafe { load4(p.b, p.k, p.n, vec.1, k0 + r, bn + nn) };
            },
        );
    }
}

/// Writes the registers of [`load_tiles`] into one shared-memory stage: `A` transposed
/// (`a_s[k][m]`, row stride `BM + 4`, four `STS`), `B` as is (one `STS.128`).
#[inline(always)]
pub(super) fn store_tiles<
    const BM: usize,
    const BN: usize,
    const BK: usize,
    const NT: usize,
    const NLA: usize,
    const NLB: usize,
>(
    a_s: SharedPtr<f32>,
    b_s: SharedPtr<f32>,
    tid: u32,
    ra: &[F32x4; NLA],
    rb: &[F32x4; NLB],
) {
    let a_stride = (BM + 4) as u32;
    unroll::<NLA>(
        #[inline(always)]
        |i| {
            let c = tid + (i * NT) as u32;
            let (r, kk) = (c / (BK / 4) as u32, (c % (BK / 4) as u32) * 4);
            unroll::<4>(
                #[inline(always)]
                |j| unsafe { a_s.store((kk + j as u32) * a_stride + r, ra[i].0[j]) },
            );
        },
    );
    unroll::<NLB>(
        #[inline(always)]
        |i| {
            let c = tid + (i * NT) as u32;
            let (r, nn) = (c / (BN / 4) as u32, (c % (BN / 4) as u32) * 4);
            unsafe { b_s.store_f32x4(r * BN as u32 + nn, rb[i]) };
        },
    );
}

/// The inner product over one stage: for each of the `BK` rows, `TM/4` `LDS.128` of `A` per
/// `WMITER` sub-tile and `TN/4` `LDS.128` of `B` per `WNITER` sub-tile into registers, then
/// `(WMITER·TM)·(WNITER·TN)` FMAs (outer product). Fully unrolled.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn compute_stage<
    const BM: usize,
    const BN: usize,
    const BK: usize,
    const WM: usize,
    const WN: usize,
    const WNITER: usize,
    const TM: usize,
    const TN: usize,
    const WMITER: usize,
    const NACC: usize,
    const NRM: usize,
    const NRN: usize,
>(
    a_s: SharedPtr<f32>,
    b_s: SharedPtr<f32>,
    lane: Lane,
    acc: &mut [f32; NACC],
) {
    let a_stride = (BM + 4) as u32;
    let (wsubm, wsubn) = ((WM / WMITER) as u32, (WN / WNITER) as u32);
    let mut reg_m = [0.0f32; NRM];
    let mut reg_n = [0.0f32; NRN];
    unroll::<BK>(
        #[inline(always)]
        |d| {
            let d = d as u32;
            unroll::<WMITER>(
                #[inline(always)]
                |w| {
                    unroll::<{ 4 }>(
                        #[inline(always)]
                        |q| {
                            if q < TM / 4 {
                                let v = unsafe {
                                    a_s.load_f32x4(
                                        d * a_stride + lane.row + w as u32 * wsubm + 4 * q as u32,
                                    )
                                };
                                unroll::<4>(
                                    #[inline(always)]
                                    |e| reg_m[w * TM + 4 * q + e] = v.0[e],
                                );
                            }
                        },
                    );
                },
            );
            unroll::<WNITER>(
                #[inline(always)]
                |w| {
                    unroll::<{ 4 }>(
                        #[inline(always)]
                        |q| {
                            if q < TN / 4 {
                                let v = unsafe {
                                    b_s.load_f32x4(
                                        d * BN as u32 + lane.col + w as u32 * wsubn + 4 * q as u32,
                                    )
                                };
                                unroll::<4>(
                                    #[inline(always)]
                                    |e| reg_n[w * TN + 4 * q + e] = v.0[e],
                                );
                            }
                        },
                    );
                },
            );
            unroll::<NRM>(
                #[inline(always)]
                |i| {
                    unroll::<NRN>(
                        #[inline(always)]
                        |j| acc[i * NRN + j] = fma(reg_m[i], reg_n[j], acc[i * NRN + j]),
                    );
                },
            );
        },
    );
}

/// `C = α·acc + β·C` for the thread's `(WMITER·TM) × (WNITER·TN)` results, 4 columns at a
/// time (`STG.E.128` where `N % 4 == 0`), guarded at the edges.
#[inline(always)]
pub(super) fn epilogue<
    const WM: usize,
    const WN: usize,
    const WNITER: usize,
    const TM: usize,
    const TN: usize,
    const WMITER: usize,
    const NACC: usize,
    const NRN: usize,
>(
    p: &GemmParams,
    bm: u32,
    bn: u32,
    lane: Lane,
    acc: &[f32; NACC],
) {
    let c_vec = c_vec_ok(p);
    let (wsubm, wsubn) = ((WM / WMITER) as u32, (WN / WNITER) as u32);
    unroll::<WMITER>(
        #[inline(always)]
        |wm| {
            unroll::<TM>(
                #[inline(always)]
                |ti| {
                    let i = wm * TM + ti;
                    let row = bm + lane.row + wm as u32 * wsubm + ti as u32;
                    unroll::<WNITER>(
                        #[inline(always)]
                        |wn| {
                            unroll::<{ 4 }>(
                                #[inline(always)]
                                |q| {
                                    if q < TN / 4 {
                                        let j = wn * TN + 4 * q;
                                        let col = bn + lane.col + wn as u32 * wsubn + 4 * q as u32;
                                        let v = [
                                            acc[i * NRN + j],
                                            acc[i * NRN + j + 1],
                                            acc[i * NRN + j + 2],
                                            acc[i * NRN + j + 3],
                                        ];
                                        unsafe { store4(p, c_vec, row, col, v) };
                                    }
                                },
                            );
                        },
                    );
                },
            );
        },
    );
}

/// Step 7's body for any valid [`WarpTile`] (the const parameters are its fields and derived
/// sizes, see `warptile_kernel!`): one shared-memory stage, load → sync → compute → sync.
#[inline(always)]
pub(super) fn warptile<
    const BM: usize,
    const BN: usize,
    const BK: usize,
    const WM: usize,
    const WN: usize,
    const WNITER: usize,
    const TM: usize,
    const TN: usize,
    const WMITER: usize,
    const NT: usize,
    const NACC: usize,
    const NRM: usize,
    const NRN: usize,
    const NLA: usize,
    const NLB: usize,
>(
    p: GemmParams,
) {
    let tid = thread::thread_idx_x();
    let (bm, bn) = (
        thread::block_idx_y() * BM as u32,
        thread::block_idx_x() * BN as u32,
    );
    let a_s = dynamic_shared::<f32>();
    let b_s = a_s.offset((BK * (BM + 4)) as u32);
    let lane = Lane::new::<BN, WM, WN, WNITER, TM, TN>(tid);
    let vec = (a_vec_ok(&p), b_vec_ok(&p));
    // Zeroed with a memset, not `[0.0; NACC]`: for 128 elements rustc emits a store loop with a
    // variable index, which keeps the whole tile in local memory (SROA cannot split it).
    // SAFETY: all-zero bits are 0.0f32.
    let mut acc: [f32; NACC] = unsafe { core::mem::zeroed() };
    let mut ra = [F32x4::default(); NLA];
    let mut rb = [F32x4::default(); NLB];
    let mut k0 = 0;
    while k0 < p.k {
        load_tiles::<BM, BN, BK, NT, NLA, NLB>(&p, vec, tid, bm, bn, k0, &mut ra, &mut rb);
        store_tiles::<BM, BN, BK, NT, NLA, NLB>(a_s, b_s, tid, &ra, &rb);
        sync_threads();
        compute_stage::<BM, BN, BK, WM, WN, WNITER, TM, TN, WMITER, NACC, NRM, NRN>(
            a_s, b_s, lane, &mut acc,
        );
        sync_threads();
        k0 += BK as u32;
    }
    epilogue::<WM, WN, WNITER, TM, TN, WMITER, NACC, NRN>(&p, bm, bn, lane, &acc);
}

warptile_kernel! {
    /// Step 7 — warp tiling: the block tile (128×128, `BK = 16`, 128 threads) is split into one
    /// 64×64 tile per warp, and each warp walks its tile in sub-tiles so that a lane's results
    /// are 1×4 blocks of 8×4 spaced 16 columns apart (siboehm's kernel 10). Every `LDS.128` of a
    /// warp then reads 4 distinct 16-byte `B` addresses (64 contiguous bytes) and 8 `A`
    /// addresses 32 bytes apart: no bank conflicts, where step 6's `B` reads were 2-way.
    /// Warps are the unit of scheduling, so a warp's operands stay in one region of shared
    /// memory (better locality in the register cache, fewer distinct addresses per load).
    /// The `A` and `B` tiles live in dynamic shared memory (`(16·132 + 16·128)·4` = 16.25 KiB).
    ///
    /// Per thread and `K` index: 2 + 4 `LDS.128` for 128 FMAs (step 6: 4 for 64).
    /// Napkin math per block and `BK` step: 2·128·128·16 = 524288 FLOPs for 16 KiB: 32 FLOP/B.
    /// Expected: +10–20% over step 6, ~75–85% of cuBLAS.
    gemm_s07_warptile, warptile, S07_TILE
}

step! {
    kernel: gemm_s07_warptile,
    technique: "warp tiling 128x128x16, warps 64x64, lanes 8x4 x (1x4)",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::Warp { tile: S07_TILE, stages: 1 },
}
