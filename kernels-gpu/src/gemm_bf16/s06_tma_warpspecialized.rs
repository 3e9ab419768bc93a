#[allow(unused_imports)]
use super::{GemmBf16Params, GemmBf16TmaParams, Grid, MmaTile, gemm_bf16_s05_wgmma};
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
use {
    super::s05_wgmma::store_warpgroup_tile,
    crate::gpu::tma::{self, Mbarrier},
    crate::gpu::{shared::dynamic_shared, sync_threads, thread, unroll::unroll, wgmma},
};

/// Step 6's tile: step 5's (128×256×64, two consumer warpgroups of 64×256, 4 stages of 48
/// KiB), plus a producer warpgroup.
pub const S06_TILE: MmaTile = super::S05_TILE;
/// Threads per block: one producer warpgroup, then two consumer warpgroups.
pub const S06_THREADS: u32 = 3 * 128;
/// Registers per thread after `setmaxnreg`: the producer gives back down to 40, the consumers
/// take up to 232 (128·40 + 256·232 = 64512 of the SM's 65536; at entry each has 168, the
/// most that `#[launch_bounds(384, 1)]` leaves).
pub const S06_PRODUCER_REGS: u32 = 40;
pub const S06_CONSUMER_REGS: u32 = 232;
/// Bytes the TMA copies per stage: `A` (128×64 bf16) and four 64×64 panels of `B`.
pub const S06_STAGE_TX: u32 = S06_TILE.stage_bytes();
/// Dynamic shared memory: four stages, 1 KiB to align them to 1024 bytes, then the 2×4
/// mbarriers (64 bytes; a 1 KiB slot keeps the total a round number).
pub const S06_SMEM: u32 = S06_TILE.smem_bytes() + 2 * 1024;

#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const T: MmaTile = S06_TILE;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const A_BYTES: u32 = 2 * T.bm * T.bk;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const PANEL_BYTES: u32 = 128 * T.bk;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
const KSTEPS: usize = (T.bk / 16) as usize;

/// The stages (1024-byte aligned) and, after them, the "full" and "empty" mbarrier of each.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[derive(Clone, Copy)]
struct Ring {
    base: u32,
}

#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
impl Ring {
    #[inline(always)]
    fn new() -> Self {
        Ring {
            base: (dynamic_shared::<u8>().addr() + 1023) & !1023,
        }
    }
    #[inline(always)]
    fn stage(self, s: u32) -> u32 {
        self.base + s * T.stage_bytes()
    }
    /// Completed by the TMA bytes of stage `s` (1 arrival: the producer's `expect_tx`).
    #[inline(always)]
    fn full(self, s: u32) -> Mbarrier {
        Mbarrier(self.base + T.stages * T.stage_bytes() + 8 * s)
    }
    /// Completed when every consumer thread is done reading stage `s` (256 arrivals).
    #[inline(always)]
    fn empty(self, s: u32) -> Mbarrier {
        Mbarrier(self.base + T.stages * T.stage_bytes() + 8 * (T.stages + s))
    }
}

/// The producer: one thread copies every k-tile with the TMA, `A` as one 64×128 box (K
/// inner), `B` as four 64×64 boxes (N inner), waiting for each stage to be empty first.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
unsafe fn produce(p: &GemmBf16TmaParams, ring: Ring, (bm0, bn0): (u32, u32), ktiles: u32) {
    let (map_a, map_b) = (p.tmaps.addr(), p.tmaps.addr() + 128);
    let mut kt = 0;
    while kt < ktiles {
        let (s, round) = (kt % T.stages, kt / T.stages);
        unsafe {
            ring.empty(s).wait((round & 1) ^ 1);
            ring.full(s).arrive_expect_tx(S06_STAGE_TX);
            let (a, b) = (ring.stage(s), ring.stage(s) + A_BYTES);
            let k0 = (kt * T.bk) as i32;
            tma::load_2d(a, map_a, (k0, bm0 as i32), ring.full(s));
            unroll::<4>(
                #[inline(always)]
                |pnl| {
                    let n0 = (bn0 + 64 * pnl as u32) as i32;
                    tma::load_2d(b + PANEL_BYTES * pnl as u32, map_b, (n0, k0), ring.full(s));
                },
            );
        }
        kt += 1;
    }
}

/// A consumer warpgroup (`c` = 0, 1: rows `64c ..` of the tile): per k-tile, wait for the
/// stage, four wgmmas, keep one group in flight, and release the previous k-tile's stage.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
unsafe fn consume(
    p: &GemmBf16TmaParams,
    ring: Ring,
    c: u32,
    (bm0, bn0): (u32, u32),
    ktiles: u32,
    t: u32,
) {
    // SAFETY: all-zero bits are 0.0f32.
    let mut acc: [f32; 128] = unsafe { core::mem::zeroed() };
    let mut kt = 0;
    while kt < ktiles {
        let (s, round) = (kt % T.stages, kt / T.stages);
        unsafe { ring.full(s).wait(round & 1) };
        let a = ring.stage(s) + c * 64 * 128;
        let b = ring.stage(s) + A_BYTES;
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
        // The previous k-tile's wgmmas are complete: its stage may be refilled. Every consumer
        // thread arrives (256 per phase): no lane-dependent branch near the wgmmas.
        if kt > 0 {
            unsafe { ring.empty((kt - 1) % T.stages).arrive() };
        }
        kt += 1;
    }
    wgmma::wait_group::<0>();
    unsafe { store_warpgroup_tile(&p.gemm, &acc, (bm0 + 64 * c, bn0), t) };
}

kernel! {
    #[arch(sm_90a)]
    #[launch_bounds(384, 1)]
    /// Step 6 — TMA, mbarriers and warp specialisation (sm_90a). Step 5's tiles and wgmmas,
    /// but the copies move to a producer warpgroup: one of its threads issues, per k-tile, one
    /// TMA box for `A` (64×128, K inner) and four for `B` (64×64 panels, N inner), all 128-byte
    /// swizzled by the TMA itself into exactly step 5's layouts, and completing their 48 KiB
    /// on the stage's "full" mbarrier. The two consumer warpgroups wait on "full", issue four
    /// `wgmma.m64n256k16`, keep one group in flight, and arrive on the previous stage's
    /// "empty" mbarrier, which the producer waits on before refilling it. No block barrier in
    /// the main loop: each warpgroup runs at its own pace, four stages deep.
    ///
    /// `setmaxnreg`: the producer drops to 40 registers, the consumers rise to 232 (128 f32
    /// accumulators plus the epilogue); the kernel's `#[launch_bounds(384, 1)]` gives ptxas the
    /// entry count (168) that `setmaxnreg` needs. Edges: the TMA writes zeros outside `A` and
    /// `B`, so partial tiles and the `K` tail need no code; the TMA needs 16-byte row strides,
    /// so for `K` or `N` not a multiple of 8 the host launches step 5's kernel instead.
    ///
    /// Napkin math: the tensor cores now wait only for data (48 KiB per 1 Mi FLOP... per k-tile
    /// 4 MiFLOP per SM, 48 KiB in 1 µs at ~4 TB/s / 132 SMs of L2 share) and for the epilogue
    /// (C read and written once, ~32 µs of 190 at 4096³, not overlapped). Expect 650–760
    /// TFLOP/s at 4096³ (0.90–1.04 of cuBLAS).
    fn gemm_bf16_s06_tma_warpspecialized(p: GemmBf16TmaParams) {
        let tid = thread::thread_idx_x();
        let wg = tid / 128;
        let ring = Ring::new();
        // Thread 0 initialises the barriers, tested inside the asm (`init_if`): a Rust `if tid
        // == 0` here and the producer's after the barrier could make rustc copy the barrier
        // into both arms (docs/device-api.md, gotcha 5).
        unroll::<{ S06_TILE.stages as usize }>(
            #[inline(always)]
            |s| unsafe {
                ring.full(s as u32).init_if(tid == 0, 1);
                ring.empty(s as u32).init_if(tid == 0, 256);
            },
        );
        tma::fence_mbarrier_init();
        sync_threads();
        let origin = (thread::block_idx_y() * T.bm, thread::block_idx_x() * T.bn);
        let ktiles = p.gemm.k.div_ceil(T.bk);
        if wg == 0 {
            wgmma::set_max_registers_dec::<S06_PRODUCER_REGS>();
            if tid == 0 {
                unsafe { produce(&p, ring, origin, ktiles) };
            }
        } else {
            wgmma::set_max_registers_inc::<S06_CONSUMER_REGS>();
            unsafe { consume(&p, ring, wg - 1, origin, ktiles, tid % 128) };
        }
    }
}

step! {
    kernels: [gemm_bf16_s06_tma_warpspecialized, gemm_bf16_s05_wgmma],
    technique: "TMA producer warpgroup + 2 wgmma consumers, mbarrier ring of 4, setmaxnreg 40/232",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Tma { bm: S06_TILE.bm, bn: S06_TILE.bn, threads: S06_THREADS, smem: S06_SMEM },
    arch: Sm90a,
}
