#[allow(unused_imports)]
use super::{GemmBf16Params, Grid, MmaTile};
use {
    super::common::{
        a_vec_ok, b_vec_ok, epilogue, load_a_frags, load_b_frags, load_tile_regs, mma_sweep,
        store_tile_regs,
    },
    crate::gpu::mma::{FragA, FragB, FragC},
    crate::gpu::{sync_threads, thread, unroll::unroll},
    crate::half::{Bf16, Bf16x8},
};

/// Step 2's tile: 128×128 per block of 8 warps (2 along M × 4 along N), each warp 64×32
/// (4 × 4 mma tiles), 32 deep, one shared-memory stage.
pub const S02_TILE: MmaTile = MmaTile {
    bm: 128,
    bn: 128,
    bk: 32,
    wm: 64,
    wn: 32,
    stages: 1,
};
const _: () = assert!(S02_TILE.is_valid());

const T: MmaTile = S02_TILE;
const MI: usize = T.mi();
const NI: usize = T.ni();
/// Row bytes of the `A` tile (`bk` bf16) and of the `B` tile (`bn` bf16): plain row-major.
const A_ROW: u32 = 2 * T.bk;
const B_ROW: u32 = 2 * T.bn;

kernel! {
    /// Step 2 — shared-memory tiles read with `ldmatrix`. A block of 256 threads owns a
    /// 128×128 tile of `C`; per 32-deep k-tile it loads `A` (128×32) and `B` (32×128) into
    /// registers (two 16-byte chunks of each per thread, `ld.global.nc.v4`; guarded 16-bit
    /// loads when rows are not 16-byte aligned), stores them to shared memory (`st.shared.v4`)
    /// between two barriers, and each warp computes its 64×32 sub-tile: per 16-deep k-step 4
    /// `ldmatrix.x4` (A) + 2 `ldmatrix.x4.trans` (B, two n8 tiles each) feed 16 mmas.
    ///
    /// Napkin math: each element of `A` is now read from global once per block column (N/128
    /// times) instead of once per warp column: 64 FLOP per global byte per block (was 5.3 per
    /// L1 byte). Shared memory: 6 `ldmatrix.x4` (3 KiB) per 16 mmas per warp. Not yet fixed:
    /// the rows are plain (64 B for `A`, 256 B for `B`), so `ldmatrix` has 2-way (A) and 8-way
    /// (B) bank conflicts; the loads are synchronous (latency exposed at every k-tile, two
    /// barriers). Expect 120–200 TFLOP/s at 4096³ (15–25% of cuBLAS).
    fn gemm_bf16_s02_smem_ldmatrix(p: GemmBf16Params) {
        let sa = shared_array!(gemm_bf16_s02_a: [Bf16; (S02_TILE.bm * S02_TILE.bk) as usize]);
        let sb = shared_array!(gemm_bf16_s02_b: [Bf16; (S02_TILE.bk * S02_TILE.bn) as usize]);
        let (tid, lane, warp) = (thread::thread_idx_x(), thread::lane_id(), thread::warp_id());
        let warps_n = T.bn / T.wn;
        let (wm, wn) = (T.wm * (warp / warps_n), T.wn * (warp % warps_n));
        let (bm0, bn0) = (thread::block_idx_y() * T.bm, thread::block_idx_x() * T.bn);
        let (va, vb) = (a_vec_ok(&p), b_vec_ok(&p));
        // SAFETY: all-zero bits are 0.0f32 (a memset: an array literal of 64 floats may become a
        // store loop that keeps the tile in local memory).
        let mut acc: [[FragC; NI]; MI] = unsafe { core::mem::zeroed() };
        let mut ra = [Bf16x8::default(); S02_TILE.a_chunks()];
        let mut rb = [Bf16x8::default(); S02_TILE.b_chunks()];
        let ktiles = p.k.div_ceil(T.bk);
        let mut kt = 0;
        while kt < ktiles {
            let k0 = kt * T.bk;
            unsafe {
                load_tile_regs::<{ S02_TILE.bk }, { S02_TILE.threads() }, { S02_TILE.a_chunks() }>(
                    p.a, (p.m, p.k), va, (bm0, k0), tid, &mut ra,
                );
                load_tile_regs::<{ S02_TILE.bn }, { S02_TILE.threads() }, { S02_TILE.b_chunks() }>(
                    p.b, (p.k, p.n), vb, (k0, bn0), tid, &mut rb,
                );
            }
            sync_threads(); // the previous k-tile's ldmatrix reads are done
            unsafe {
                store_tile_regs::<
                    { S02_TILE.bk }, A_ROW, false, { S02_TILE.threads() }, { S02_TILE.a_chunks() },
                >(sa.addr(), tid, &ra);
                store_tile_regs::<
                    { S02_TILE.bn }, B_ROW, false, { S02_TILE.threads() }, { S02_TILE.b_chunks() },
                >(sb.addr(), tid, &rb);
            }
            sync_threads();
            unroll::<{ (S02_TILE.bk / 16) as usize }>(
                #[inline(always)]
                |ks| {
                    let mut fa = [FragA::<Bf16>::zero(); MI];
                    let mut fb = [FragB::<Bf16>::zero(); NI];
                    unsafe {
                        load_a_frags::<A_ROW, false, MI>(sa.addr(), lane, wm, ks as u32, &mut fa);
                        load_b_frags::<B_ROW, false, NI>(sb.addr(), lane, wn, ks as u32, &mut fb);
                    }
                    mma_sweep(&mut acc, &fa, &fb);
                },
            );
            kt += 1;
        }
        unsafe { epilogue::<MI, NI>(&p, &acc, (bm0 + wm, bn0 + wn), lane) };
    }
}

step! {
    kernel: gemm_bf16_s02_smem_ldmatrix,
    technique: "128x128x32 smem tiles, ldmatrix x4 / x4.trans, 64x32 warp tiles",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Tiles { bm: S02_TILE.bm, bn: S02_TILE.bn, threads: S02_TILE.threads(), smem: 0 },
}
