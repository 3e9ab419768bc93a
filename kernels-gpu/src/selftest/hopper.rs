//! Self-test of the Hopper warpgroup MMA (`gpu::wgmma`, sm_90a module only):
//! `tests/gpu/device_api/tensor_core.rs` checks it against a matrix product on devices of
//! compute capability 9.0 (and skips it elsewhere).

#[allow(unused_imports)]
use super::TensorCoreSelftestParams;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
use crate::{
    gpu::{mma::FragC, shared::dynamic_shared, sync_threads, thread, unroll::unroll, wgmma},
    half::Bf16,
    swizzle::swizzle_128b_u16,
};

/// `selftest_wgmma`'s problem: `D[64×256] = A[64×64]·B[64×256] + C`.
pub const WGMMA_M: usize = 64;
pub const WGMMA_N: usize = 256;
pub const WGMMA_K: usize = 64;
/// Dynamic shared memory of a `selftest_wgmma` launch: `A` (8 KiB) and `B` (32 KiB) plus 1 KiB
/// of alignment.
pub const WGMMA_SMEM: u32 = (2 * (WGMMA_M * WGMMA_K + WGMMA_K * WGMMA_N) + 1024) as u32;

kernel! {
    #[arch(sm_90a)]
    /// wgmma from shared memory, the layouts of gemm_bf16/5: one warpgroup (128 threads)
    /// stores `A` (64×64 bf16, row-major in `a`) K-major and `B` (64×256 bf16, row-major in
    /// `b`) MN-major in 64-column panels, both 128-byte swizzled on 1024-byte aligned tiles,
    /// element by element (`st.shared.b16`); `fence.proxy.async`, a barrier; loads `C` (64×256
    /// f32, row-major in `c`) into the accumulators by their documented layout; issues four
    /// `wgmma.m64n256k16` (k-steps: `A` descriptor +32 B, `B` +2 KiB, `B` transposed),
    /// commits, waits, and stores `D` to `d` (64×256, row-major). Launch 128 threads with
    /// [`WGMMA_SMEM`] bytes of dynamic shared memory.
    fn selftest_wgmma(p: TensorCoreSelftestParams) {
        let tid = thread::thread_idx_x();
        let base = (dynamic_shared::<u8>().addr() + 1023) & !1023;
        let (a, b) = (base, base + (2 * WGMMA_M * WGMMA_K) as u32);
        let panel = (128 * WGMMA_K) as u32;
        let mut e = tid;
        while e < (WGMMA_M * WGMMA_K) as u32 {
            let (r, c) = (e / 64, e % 64);
            let to = crate::gpu::shared::SharedPtr::<Bf16>::from_addr(a + swizzle_128b_u16(r, c, 128));
            unsafe { to.store(0, p.a.load(e as usize)) };
            e += 128;
        }
        let mut e = tid;
        while e < (WGMMA_K * WGMMA_N) as u32 {
            let (k, n) = (e / WGMMA_N as u32, e % WGMMA_N as u32);
            let at = b + (n / 64) * panel + swizzle_128b_u16(k, n % 64, 128);
            let to = crate::gpu::shared::SharedPtr::<Bf16>::from_addr(at);
            unsafe { to.store(0, p.b.load(e as usize)) };
            e += 128;
        }
        wgmma::fence_proxy_async_shared();
        sync_threads();
        let (warp, lane) = (tid / 32, thread::lane_id());
        let (r, c) = FragC::coords(lane, 0);
        let row = 16 * warp + r;
        let mut acc = [0f32; 128];
        unroll::<32>(
            #[inline(always)]
            |j| {
                let col = 8 * j + c as usize;
                let at = |row: u32, col: usize| row as usize * WGMMA_N + col;
                unsafe {
                    acc[4 * j] = p.c.load(at(row, col));
                    acc[4 * j + 1] = p.c.load(at(row, col + 1));
                    acc[4 * j + 2] = p.c.load(at(row + 8, col));
                    acc[4 * j + 3] = p.c.load(at(row + 8, col + 1));
                }
            },
        );
        wgmma::fence();
        unroll::<4>(
            #[inline(always)]
            |ks| {
                let da = wgmma::desc_sw128(a + 32 * ks as u32, 16, 1024);
                let db = wgmma::desc_sw128(b + 2048 * ks as u32, panel, 1024);
                wgmma::mma_m64n256k16_bf16::<0, 1>(&mut acc, da, db, true);
            },
        );
        wgmma::commit_group();
        wgmma::wait_group::<0>();
        unroll::<32>(
            #[inline(always)]
            |j| {
                let col = 8 * j + c as usize;
                let at = |row: u32, col: usize| row as usize * WGMMA_N + col;
                unsafe {
                    p.d.store(at(row, col), acc[4 * j]);
                    p.d.store(at(row, col + 1), acc[4 * j + 1]);
                    p.d.store(at(row + 8, col), acc[4 * j + 2]);
                    p.d.store(at(row + 8, col + 1), acc[4 * j + 3]);
                }
            },
        );
    }
}

/// Arguments of `selftest_tma`: the tensor map (global memory, 128 bytes), the box
/// coordinates (inner dimension first), and the output of the shared tile's raw words.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TmaSelftestParams {
    pub map: crate::ptr::GlobalPtr<u8>,
    pub raw: crate::ptr::GlobalPtrMut<u32>,
    pub c0: i32,
    pub c1: i32,
}
unsafe impl crate::ptr::KernelParams for TmaSelftestParams {}

/// Rows and columns of `selftest_tma`'s box (64 bf16 = 128 bytes per row, the swizzle span).
pub const TMA_BOX: (usize, usize) = (64, 64);
/// Dynamic shared memory of a `selftest_tma` launch: the box (8 KiB), its mbarrier, and 1 KiB
/// of alignment.
pub const TMA_SMEM: u32 = (2 * TMA_BOX.0 * TMA_BOX.1) as u32 + 2048;

kernel! {
    #[arch(sm_90a)]
    /// TMA and mbarrier: thread 0 initialises an mbarrier (1 arrival), all fence, and after a
    /// barrier thread 0 registers 8 KiB with `arrive_expect_tx` and copies the 64×64 bf16 box at
    /// `(c0, c1)` (column, row) of the tensor map `map` to a 1024-byte aligned shared tile; all
    /// 128 threads wait on the mbarrier's phase 0, then write the tile's 2048 raw words to
    /// `raw` (the 128-byte swizzled layout, zeros for the part of the box outside the matrix).
    /// Launch 128 threads with [`TMA_SMEM`] bytes of dynamic shared memory.
    fn selftest_tma(p: TmaSelftestParams) {
        let tid = thread::thread_idx_x();
        let tile = (dynamic_shared::<u8>().addr() + 1023) & !1023;
        let bar = crate::gpu::tma::Mbarrier(tile + (2 * TMA_BOX.0 * TMA_BOX.1) as u32);
        // Tested inside the asm: a Rust `if tid == 0` on both sides of the barrier made rustc
        // copy the barrier into both arms (docs/device-api.md, gotcha 5; seen here).
        unsafe { bar.init_if(tid == 0, 1) };
        crate::gpu::tma::fence_mbarrier_init();
        sync_threads();
        if tid == 0 {
            unsafe {
                bar.arrive_expect_tx((2 * TMA_BOX.0 * TMA_BOX.1) as u32);
                crate::gpu::tma::load_2d(tile, p.map.addr(), (p.c0, p.c1), bar);
            }
        }
        unsafe { bar.wait(0) };
        let words = crate::gpu::shared::SharedPtr::<u32>::from_addr(tile);
        let mut w = tid;
        while w < (TMA_BOX.0 * TMA_BOX.1 / 2) as u32 {
            unsafe { p.raw.store(w as usize, words.load(w)) };
            w += 128;
        }
    }
}
