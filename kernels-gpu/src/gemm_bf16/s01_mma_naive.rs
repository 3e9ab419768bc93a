#[allow(unused_imports)]
use super::{GemmBf16Params, Grid};
use {
    super::common::{epilogue, pair_along_col, pair_along_row},
    crate::gpu::mma::{FragA, FragB, FragC},
    crate::gpu::{thread, unroll::unroll},
    crate::half::Bf16,
};

/// Rows of `C` per block of step 1 (two warps along M, 16 rows each).
pub const S01_BM: u32 = 32;
/// Columns of `C` per block of step 1 (two warps along N, 8 columns each).
pub const S01_BN: u32 = 16;
/// Threads per block of step 1: four warps.
pub const S01_THREADS: u32 = 128;

kernel! {
    /// Step 1 — one `mma.sync.m16n8k16` per warp and k-step, fragments gathered straight from
    /// global memory. Warp `w` of a 128-thread block owns the 16×8 tile of `C` at rows
    /// `32·by + 16·(w / 2)`, columns `16·bx + 8·(w % 2)`; per 16-deep k-step each lane loads
    /// the 8 elements of its A fragment and the 4 of its B fragment (`FragA::coords`,
    /// `FragB::coords`: pairs along K, so B's pairs are two rows apart in memory) with guarded
    /// 16-bit loads, and the warp issues one mma (4096 FLOPs).
    ///
    /// Napkin math: per mma a warp moves 384 bf16 (768 B) through L1 for 4096 FLOPs, 5.3
    /// FLOP/B, in 12 scalar 16-bit loads per lane (B's strided by a row of `B`: poor
    /// coalescing). L1/L2 bandwidth and load-instruction issue bound it, not the tensor core:
    /// expect 10–30 TFLOP/s at 4096³ (1–4% of cuBLAS), far below FP32 FFMA's 60.
    fn gemm_bf16_s01_mma_naive(p: GemmBf16Params) {
        let (lane, warp) = (thread::lane_id(), thread::warp_id());
        let row0 = thread::block_idx_y() * S01_BM + 16 * (warp / 2);
        let col0 = thread::block_idx_x() * S01_BN + 8 * (warp % 2);
        let mut acc = FragC::default();
        let mut k0 = 0;
        while k0 < p.k {
            let mut ra = [0u32; 4];
            unroll::<4>(
                #[inline(always)]
                |r| {
                    let (row, col) = FragA::<Bf16>::coords(lane, r as u32, 0);
                    ra[r] = unsafe { pair_along_row(p.a, p.m, p.k, row0 + row, k0 + col) };
                },
            );
            let mut rb = [0u32; 2];
            unroll::<2>(
                #[inline(always)]
                |r| {
                    let (k, n) = FragB::<Bf16>::coords(lane, r as u32, 0);
                    rb[r] = unsafe { pair_along_col(p.b, p.k, p.n, k0 + k, col0 + n) };
                },
            );
            acc.mma(&FragA::<Bf16>::from_regs(ra), &FragB::<Bf16>::from_regs(rb));
            k0 += 16;
        }
        unsafe { epilogue::<1, 1>(&p, &[[acc]], (row0, col0), lane) };
    }
}

step! {
    kernel: gemm_bf16_s01_mma_naive,
    technique: "mma.sync m16n8k16 per warp, fragments gathered from global",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Tiles { bm: S01_BM, bn: S01_BN, threads: S01_THREADS, smem: 0 },
}
