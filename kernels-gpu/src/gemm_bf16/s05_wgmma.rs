#[allow(unused_imports)]
use super::{GemmBf16Params, Grid, MmaTile};
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
use {
    super::common::{a_vec_ok, b_vec_ok, copy_tile_async_to, store_pair},
    crate::gpu::mma::FragC,
    crate::gpu::{cp_async, shared::dynamic_shared, sync_threads, thread, unroll::unroll, wgmma},
    crate::swizzle::swizzle_128b,
};

/// Step 5's tile: 128×256 per block of two warpgroups (256 threads), each warpgroup 64×256
/// (one `wgmma.m64n256k16` per 16-deep k-step, 128 f32 accumulators per thread), 64 deep,
/// four 48 KiB stages (`wm`/`wn` describe a warpgroup's tile here).
pub const S05_TILE: MmaTile = MmaTile {
    bm: 128,
    bn: 256,
    bk: 64,
    wm: 64,
    wn: 256,
    stages: 4,
};
const _: () = assert!(S05_TILE.is_valid() && S05_TILE.stages >= 3);
const _: () = assert!(S05_TILE.bk == 64, "one 128-byte swizzle atom of K per row");

/// Threads per block: two warpgroups of 128 (`MmaTile::threads` counts warps of 64×256 as
/// one warp each, so the step declares its own).
pub const S05_THREADS: u32 = 128 * (S05_TILE.bm / S05_TILE.wm);
/// Dynamic shared memory of a launch: four stages plus 1 KiB to align them to 1024 bytes
/// (the swizzle atom, which the descriptors assume).
pub const S05_SMEM: u32 = S05_TILE.smem_bytes() + 1024;

#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const T: MmaTile = S05_TILE;
/// Bytes of a stage's `A` tile (`bm` rows of 128 bytes) and of one 64-column panel of its `B`
/// tile (`bk` rows of 128 bytes).
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const A_BYTES: u32 = 2 * T.bm * T.bk;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const PANEL_BYTES: u32 = 128 * T.bk;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const KSTEPS: usize = (T.bk / 16) as usize;

/// `C = α·acc + β·C` for a warpgroup's 64×256 tile at `(row0, col0)` of `C`, guarded; `t` is
/// the thread's index in its warpgroup. wgmma's accumulator layout: `acc[4j + e]` is row
/// `16·(t/32) + g + 8·(e/2)`, column `8j + 2q + (e%2)` (`g`, `q`: the lane's group and index
/// in it), an mma C fragment per 8 columns (`gpu::wgmma` docs).
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
pub(super) unsafe fn store_warpgroup_tile(
    p: &GemmBf16Params,
    acc: &[f32; 128],
    (row0, col0): (u32, u32),
    t: u32,
) {
    let vec2 = super::common::c_vec2_ok(p);
    let (r, c) = FragC::coords(t % 32, 0);
    let row = row0 + 16 * (t / 32) + r;
    unroll::<32>(
        #[inline(always)]
        |j| {
            let col = col0 + 8 * j as u32 + c;
            unsafe {
                store_pair(p, vec2, row, col, [acc[4 * j], acc[4 * j + 1]]);
                store_pair(p, vec2, row + 8, col, [acc[4 * j + 2], acc[4 * j + 3]]);
            }
        },
    );
}

/// The first stage's shared address, rounded up to 1024 bytes.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
fn stages_base() -> u32 {
    (dynamic_shared::<u8>().addr() + 1023) & !1023
}

/// Starts the copies of k-tile `kt` (if any) into stage `s`: `A` as 128 rows of 128 bytes
/// (K-major), `B` as four 64-column panels of 64 k-rows of 128 bytes (MN-major), both
/// 128-byte swizzled. The caller commits.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
unsafe fn issue(
    p: &GemmBf16Params,
    v: (bool, bool),
    (bm0, bn0): (u32, u32),
    kt: u32,
    s: u32,
    tid: u32,
) {
    const NA: usize = (S05_TILE.bm * S05_TILE.bk / 8 / S05_THREADS) as usize;
    const NB: usize = (S05_TILE.bk * S05_TILE.bn / 8 / S05_THREADS) as usize;
    let a = stages_base() + s * T.stage_bytes();
    let b = a + A_BYTES;
    let k0 = kt * T.bk;
    unsafe {
        copy_tile_async_to::<{ S05_TILE.bk }, S05_THREADS, NA>(
            p.a,
            (p.m, p.k),
            v.0,
            (bm0, k0),
            tid,
            |r, ch| a + swizzle_128b(r, ch, 128),
        );
        copy_tile_async_to::<{ S05_TILE.bn }, S05_THREADS, NB>(
            p.b,
            (p.k, p.n),
            v.1,
            (k0, bn0),
            tid,
            |k, ch| b + (ch / 8) * PANEL_BYTES + swizzle_128b(k, ch % 8, 128),
        );
    }
}

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(256, 1)]
    /// Step 5 — wgmma (sm_90a): the tensor cores read both operands straight from shared
    /// memory. Two warpgroups per block, each issuing one `wgmma.mma_async.m64n256k16` per
    /// 16-deep k-step (4 per 64-deep k-tile) on its 64 rows of the 128×256 tile; no
    /// `ldmatrix`, no fragments in registers, 128 f32 accumulators per thread.
    ///
    /// Layouts: `A` K-major (rows of 64 bf16 = 128 B), `B` MN-major (64-column panels of k-rows
    /// of 128 B), both 128-byte XOR swizzled on 1024-byte aligned stages, as wgmma's 128-byte
    /// swizzle descriptors expect (`gpu::wgmma` docs: `A`: SBO 1024, k-step +32 B; `B`: LBO a
    /// panel (8 KiB), SBO 1024, k-step +2 KiB, transposed). Copies: `cp.async.cg` by all 256
    /// threads, 2 k-tiles ahead in a ring of 4 stages; per k-tile `cp.async.wait_group 1`,
    /// `fence.proxy.async` (the copies are generic-proxy writes, wgmma reads through the async
    /// proxy), one barrier, the copies of k-tile `kt + 2` into the stage whose wgmmas finished
    /// two k-tiles ago, then `wgmma.fence`, 4 wgmmas, `commit`, `wait_group 1` (one k-tile of
    /// wgmmas stays in flight across the barrier).
    ///
    /// Napkin math: one m64n256k16 is 524 k FLOP from 10 KiB of shared memory (51 FLOP/B,
    /// 5× step 4's 10.7 per `ldmatrix` byte); the tensor cores' dense rate (~990 TFLOP/s,
    /// 4 k FLOP/clk/SM) needs 80 B/clk of operand reads, within shared memory's 128. What
    /// limits it: the copies are still issued by the same threads that wait for the wgmmas, one
    /// barrier per k-tile synchronises both warpgroups, and 1 block per SM (193 KiB). Expect
    /// 550–700 TFLOP/s at 4096³ (0.75–0.95 of cuBLAS).
    fn gemm_bf16_s05_wgmma(p: GemmBf16Params) {
        let tid = thread::thread_idx_x();
        let wg = tid / 128;
        let origin = (thread::block_idx_y() * T.bm, thread::block_idx_x() * T.bn);
        let v = (a_vec_ok(&p), b_vec_ok(&p));
        // SAFETY: all-zero bits are 0.0f32.
        let mut acc: [f32; 128] = unsafe { core::mem::zeroed() };
        let ktiles = p.k.div_ceil(T.bk);
        unroll::<{ (S05_TILE.stages - 2) as usize }>(
            #[inline(always)]
            |s| {
                if (s as u32) < ktiles {
                    unsafe { issue(&p, v, origin, s as u32, s as u32, tid) };
                }
                cp_async::commit_group();
            },
        );
        let mut kt = 0;
        while kt < ktiles {
            cp_async::wait_group::<{ S05_TILE.stages - 3 }>();
            wgmma::fence_proxy_async_shared();
            sync_threads();
            let next = kt + T.stages - 2;
            if next < ktiles {
                unsafe { issue(&p, v, origin, next, next % T.stages, tid) };
            }
            cp_async::commit_group();
            let a = stages_base() + (kt % T.stages) * T.stage_bytes() + wg * 64 * 128;
            let b = stages_base() + (kt % T.stages) * T.stage_bytes() + A_BYTES;
            wgmma::fence();
            unroll::<KSTEPS>(
                #[inline(always)]
                |ks| {
                    let da = wgmma::desc_sw128(a + 32 * ks as u32, 16, 1024);
                    let db = wgmma::desc_sw128(b + 2048 * ks as u32, PANEL_BYTES, 1024);
                    wgmma::mma_m64n256k16_bf16::<0, 1>(&mut acc, da, db, true);
                },
            );
            wgmma::commit_group();
            wgmma::wait_group::<1>();
            kt += 1;
        }
        wgmma::wait_group::<0>();
        cp_async::wait_group::<0>();
        unsafe { store_warpgroup_tile(&p, &acc, (origin.0 + 64 * wg, origin.1), tid % 128) };
    }
}

step! {
    kernel: gemm_bf16_s05_wgmma,
    technique: "wgmma m64n256k16 from 128B-swizzled smem, cp.async ring of 4, one wgmma group in flight",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Tiles { bm: S05_TILE.bm, bn: S05_TILE.bn, threads: S05_THREADS, smem: S05_SMEM },
    arch: Sm90a,
}
