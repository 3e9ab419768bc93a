//! Self-tests of the tensor-core API: `mma.sync` with fragments loaded straight from global
//! memory (bf16 and f16), every `ldmatrix` form, every `cp.async` form with its groups, and the
//! whole chain the GEMM ladder uses (cp.async into 128-byte-swizzled tiles, `ldmatrix.x4` and
//! `.x4.trans`, mma). `tests/gpu/device_api/tensor_core.rs` checks each against a CPU model
//! written from the PTX ISA's description (not from this code).

use crate::half::Bf16;
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};
use crate::{
    gpu::{
        cp_async,
        ldmatrix::{self, load_a_x4, load_b_x4_trans, x4_row_of_lane},
        mma::{FragA, FragB, FragC, MmaInput},
        shared::SharedPtr,
        sync_threads, thread,
        unroll::unroll,
    },
    half::F16,
    swizzle::{swizzle_128b, swizzle_128b_u16},
};

/// Arguments of the tensor-core self-tests; each kernel's doc says which buffers it uses.
/// `a` and `b` hold 16-bit elements (bf16 bits, or f16 bits for the f16 test).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TensorCoreSelftestParams {
    pub a: GlobalPtr<Bf16>,
    pub b: GlobalPtr<Bf16>,
    pub c: GlobalPtr<f32>,
    pub d: GlobalPtrMut<f32>,
    pub raw: GlobalPtrMut<u32>,
    pub n: u32,
}
unsafe impl KernelParams for TensorCoreSelftestParams {}

/// `u32` outputs per lane of `selftest_ldmatrix`: x1, x2, x4, x1.trans, x2.trans, x4.trans.
pub const LDMATRIX_WORDS_PER_LANE: usize = 14;
/// Row stride (elements) of `selftest_ldmatrix`'s 16×16 shared tile: 48 bytes, so each row
/// really is addressed on its own.
pub const LDMATRIX_STRIDE: usize = 24;
/// Words of `selftest_cp_async`'s shared buffer (and of its `raw` output).
pub const CP_ASYNC_WORDS: usize = 544;
/// The value `selftest_cp_async` fills its buffer with before the copies.
pub const CP_ASYNC_POISON: u32 = 0xDEAD_BEEF;
/// `selftest_tc_chain`'s problem: `D[16×64] = A[16×64]·B[64×64] + C`.
pub const CHAIN_M: usize = 16;
pub const CHAIN_N: usize = 64;
pub const CHAIN_K: usize = 64;

/// One warp per 16×8×16 problem, fragments gathered from global memory by their documented
/// coordinates (`FragA::coords`, ...), one mma, D scattered back.
#[inline(always)]
fn mma_from_global<T: MmaInput>(p: TensorCoreSelftestParams) {
    let lane = thread::lane_id();
    let w = thread::warp_id() as usize;
    if w >= p.n as usize {
        return; // whole warps only: the condition is uniform across the warp
    }
    let (a, b, c, d) = (
        p.a.offset(256 * w),
        p.b.offset(128 * w),
        p.c.offset(128 * w),
        p.d.offset(128 * w),
    );
    let bits = |x: GlobalPtr<Bf16>, i: u32| unsafe { x.load(i as usize) }.to_bits() as u32;
    let mut ra = [0u32; 4];
    unroll::<4>(
        #[inline(always)]
        |r| {
            let (r0, c0) = FragA::<T>::coords(lane, r as u32, 0);
            let (r1, c1) = FragA::<T>::coords(lane, r as u32, 1);
            ra[r] = bits(a, r0 * 16 + c0) | bits(a, r1 * 16 + c1) << 16;
        },
    );
    let mut rb = [0u32; 2];
    unroll::<2>(
        #[inline(always)]
        |r| {
            let (k0, n0) = FragB::<T>::coords(lane, r as u32, 0);
            let (k1, n1) = FragB::<T>::coords(lane, r as u32, 1);
            rb[r] = bits(b, k0 * 8 + n0) | bits(b, k1 * 8 + n1) << 16;
        },
    );
    let mut acc = FragC::default();
    unroll::<4>(
        #[inline(always)]
        |i| {
            let (row, col) = FragC::coords(lane, i as u32);
            acc.0[i] = unsafe { c.load((row * 8 + col) as usize) };
        },
    );
    acc.mma(&FragA::<T>::from_regs(ra), &FragB::<T>::from_regs(rb));
    unroll::<4>(
        #[inline(always)]
        |i| {
            let (row, col) = FragC::coords(lane, i as u32);
            unsafe { d.store((row * 8 + col) as usize, acc.0[i]) };
        },
    );
}

kernel! {
    /// bf16 mma from global memory: warp `w < n` computes `D_w = A_w·B_w + C_w` with one
    /// `mma.sync.m16n8k16.row.col.f32.bf16.bf16.f32`, `A_w` 16×16 row-major at `a[256w ..]`,
    /// `B_w` 16×8 row-major (`K×N`) at `b[128w ..]`, `C_w`, `D_w` 16×8 row-major f32 at
    /// `c[128w ..]`, `d[128w ..]`. Launch `32n` threads in one block.
    fn selftest_mma_bf16(p: TensorCoreSelftestParams) {
        mma_from_global::<Bf16>(p)
    }
}

kernel! {
    /// f16 mma from global memory: as `selftest_mma_bf16`, with `a` and `b` holding f16 bits
    /// (`mma.sync.m16n8k16.row.col.f32.f16.f16.f32`).
    fn selftest_mma_f16(p: TensorCoreSelftestParams) {
        mma_from_global::<F16>(p)
    }
}

kernel! {
    /// ldmatrix, every form: one warp stores the 16×16 tile `a` (row-major, 16-bit elements)
    /// into shared memory with a row stride of [`LDMATRIX_STRIDE`] elements; lane `l` points at
    /// row `l % 16`, column `8·(l / 16)` (`x4_row_of_lane`) and writes the registers of `x1`,
    /// `x2`, `x4`, `x1.trans`, `x2.trans`, `x4.trans` to `raw[14l ..]` in that order. So matrix
    /// `i` is the tile's quarter `i` in fragment order (top-left, bottom-left, top-right,
    /// bottom-right). Launch 32 threads.
    fn selftest_ldmatrix(p: TensorCoreSelftestParams) {
        let tile = shared_array!(selftest_ldmatrix_tile: [Bf16; 16 * LDMATRIX_STRIDE]);
        let lane = thread::lane_id();
        unroll::<8>(
            #[inline(always)]
            |i| {
                let e = lane * 8 + i as u32;
                let (row, col) = (e / 16, e % 16);
                unsafe { tile.store(row * LDMATRIX_STRIDE as u32 + col, p.a.load(e as usize)) };
            },
        );
        sync_threads();
        let (r, c) = x4_row_of_lane(lane);
        let addr = tile.offset(r * LDMATRIX_STRIDE as u32 + c).addr();
        let out: [u32; LDMATRIX_WORDS_PER_LANE] = unsafe {
            let [x1] = ldmatrix::ldmatrix_x1(addr);
            let [x2a, x2b] = ldmatrix::ldmatrix_x2(addr);
            let [x4a, x4b, x4c, x4d] = ldmatrix::ldmatrix_x4(addr);
            let [t1] = ldmatrix::ldmatrix_x1_trans(addr);
            let [t2a, t2b] = ldmatrix::ldmatrix_x2_trans(addr);
            let [t4a, t4b, t4c, t4d] = ldmatrix::ldmatrix_x4_trans(addr);
            [x1, x2a, x2b, x4a, x4b, x4c, x4d, t1, t2a, t2b, t4a, t4b, t4c, t4d]
        };
        unroll::<LDMATRIX_WORDS_PER_LANE>(
            #[inline(always)]
            |k| unsafe { p.raw.store(LDMATRIX_WORDS_PER_LANE * lane as usize + k, out[k]) },
        );
    }
}

kernel! {
    /// cp.async, every form, in two groups: one warp fills a shared buffer of
    /// [`CP_ASYNC_WORDS`] words with [`CP_ASYNC_POISON`], then lane `t` copies from `c` (read
    /// as 32-bit words `src`) into the same word offsets of the buffer:
    /// group 0: `ca` 4 B at word `t`, `ca` 8 B at `32 + 2t`, `ca` 16 B at `96 + 4t`;
    /// group 1: `cg` 16 B at `224 + 4t`, `cg` 16 B zero-filled after `t % 17` bytes at
    /// `352 + 4t`, `ca` 8 B zero-filled after `t % 9` bytes at `480 + 2t`.
    /// Then `wait_group 1` and a barrier, `raw[0..224]` = the buffer's words 0..224 (group 0
    /// must be complete); `wait_group 0`, a barrier, `raw[224..544]`. Launch 32 threads.
    fn selftest_cp_async(p: TensorCoreSelftestParams) {
        let buf = shared_array!(selftest_cp_async_buf: [u32; CP_ASYNC_WORDS]);
        let t = thread::lane_id();
        unroll::<17>(
            #[inline(always)]
            |i| unsafe { buf.store(t + 32 * i as u32, CP_ASYNC_POISON) },
        );
        sync_threads();
        let src = p.c.cast::<u32>();
        let at = |w: u32| src.offset(w as usize).addr();
        unsafe {
            cp_async::copy_ca::<4, u32>(buf.offset(t), at(t));
            cp_async::copy_ca::<8, u32>(buf.offset(32 + 2 * t), at(32 + 2 * t));
            cp_async::copy_ca::<16, u32>(buf.offset(96 + 4 * t), at(96 + 4 * t));
        }
        cp_async::commit_group();
        unsafe {
            cp_async::copy_cg_16(buf.offset(224 + 4 * t), at(224 + 4 * t));
            cp_async::copy_cg_16_zfill(buf.offset(352 + 4 * t), at(352 + 4 * t), t % 17);
            cp_async::copy_ca_zfill::<8, u32>(buf.offset(480 + 2 * t), at(480 + 2 * t), t % 9);
        }
        cp_async::commit_group();
        cp_async::wait_group::<1>();
        sync_threads();
        unroll::<7>(
            #[inline(always)]
            |i| {
                let w = t + 32 * i as u32;
                unsafe { p.raw.store(w as usize, buf.load(w)) };
            },
        );
        cp_async::wait_group::<0>();
        sync_threads();
        unroll::<10>(
            #[inline(always)]
            |i| {
                let w = 224 + t + 32 * i as u32;
                unsafe { p.raw.store(w as usize, buf.load(w)) };
            },
        );
    }
}

kernel! {
    /// The GEMM ladder's chain on one warp: `D[16×64] = A[16×64]·B[64×64] + C` (bf16 `a`, `b`
    /// row-major; f32 `c`, `d` row-major 16×64). `cp.async.cg` 16-byte copies put `A` and `B`
    /// into shared tiles with 128-byte rows, XOR-swizzled (`swizzle_128b`); after
    /// `wait_group 0` and a barrier the warp dumps both tiles' raw words to `raw` (A's 512
    /// words, then B's 2048: the physical layout), then per 16-deep `k` step loads A with
    /// `ldmatrix.x4` and B with four `ldmatrix.x4.trans` (two n-tiles each) from the swizzled
    /// addresses and issues 8 mmas. Launch 32 threads.
    fn selftest_tc_chain(p: TensorCoreSelftestParams) {
        let sa = shared_array!(selftest_tc_chain_a: [Bf16; CHAIN_M * CHAIN_K]);
        let sb = shared_array!(selftest_tc_chain_b: [Bf16; CHAIN_K * CHAIN_N]);
        let lane = thread::lane_id();
        let row_bytes = 128;
        // A: 16 rows × 8 chunks of 16 B; B: 64 rows × 8 chunks.
        unroll::<4>(
            #[inline(always)]
            |j| {
                let q = lane + 32 * j as u32;
                let (row, ch) = (q / 8, q % 8);
                let src = p.a.offset((row * 64 + ch * 8) as usize).addr();
                let dst = SharedPtr::<u8>::from_addr(sa.addr() + swizzle_128b(row, ch, row_bytes));
                unsafe { cp_async::copy_cg_16(dst, src) };
            },
        );
        unroll::<16>(
            #[inline(always)]
            |j| {
                let q = lane + 32 * j as u32;
                let (row, ch) = (q / 8, q % 8);
                let src = p.b.offset((row * 64 + ch * 8) as usize).addr();
                let dst = SharedPtr::<u8>::from_addr(sb.addr() + swizzle_128b(row, ch, row_bytes));
                unsafe { cp_async::copy_cg_16(dst, src) };
            },
        );
        cp_async::commit_group();
        cp_async::wait_group::<0>();
        sync_threads();
        let (wa, wb) = (sa.cast::<u32>(), sb.cast::<u32>());
        unroll::<16>(
            #[inline(always)]
            |i| {
                let w = lane + 32 * i as u32;
                unsafe { p.raw.store(w as usize, wa.load(w)) };
            },
        );
        let mut i = 0;
        while i < 64 {
            let w = lane + 32 * i;
            unsafe { p.raw.store(512 + w as usize, wb.load(w)) };
            i += 1;
        }
        let mut acc = [FragC::default(); 8];
        unroll::<8>(
            #[inline(always)]
            |nt| {
                unroll::<4>(
                    #[inline(always)]
                    |e| {
                        let (row, col) = FragC::coords(lane, e as u32);
                        let idx = row as usize * CHAIN_N + 8 * nt + col as usize;
                        acc[nt].0[e] = unsafe { p.c.load(idx) };
                    },
                );
            },
        );
        unroll::<4>(
            #[inline(always)]
            |ks| {
                let ks = ks as u32;
                let fa: FragA<Bf16> = unsafe {
                    load_a_x4(lane, |r, c| sa.addr() + swizzle_128b_u16(r, 16 * ks + c, row_bytes))
                };
                unroll::<4>(
                    #[inline(always)]
                    |np| {
                        let (b0, b1): (FragB<Bf16>, FragB<Bf16>) = unsafe {
                            load_b_x4_trans(lane, |k, n| {
                                sb.addr() + swizzle_128b_u16(16 * ks + k, 16 * np as u32 + n, row_bytes)
                            })
                        };
                        acc[2 * np].mma(&fa, &b0);
                        acc[2 * np + 1].mma(&fa, &b1);
                    },
                );
            },
        );
        unroll::<8>(
            #[inline(always)]
            |nt| {
                unroll::<4>(
                    #[inline(always)]
                    |e| {
                        let (row, col) = FragC::coords(lane, e as u32);
                        let idx = row as usize * CHAIN_N + 8 * nt + col as usize;
                        unsafe { p.d.store(idx, acc[nt].0[e]) };
                    },
                );
            },
        );
    }
}
